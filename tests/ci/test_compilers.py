"""compilers.py's slower runs, which CI runs after the suite: level 1 with XLA, and level 3 with
torch.compile on forward() and loss_fn(), end where the plain runs end."""

import json

import numpy as np
import pytest

import common
from conftest import run_script

SMALL = ("--limit", 256, "--epochs", 1, "--hidden", 16, "--batch-sizes", 32)


def test_xla_gives_the_plain_numbers(mnist_dir, tmp_path):
    """Level 1 with jit_compile=True ends where level 1 as it is ends, within float32 rounding;
    the table and the JSON say so."""
    out = tmp_path / "compilers.json"
    done = run_script("instruments/compilers.py", "--data-dir", mnist_dir, *SMALL, "--modes", "plain,xla",
                      "--json-out", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {(r["level"], r["mode"]): r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == {("1 Keras", "plain"), ("1 Keras", "xla"), ("3 autograd", "plain")}
    xla = rows[("1 Keras", "xla")]
    assert 0 <= xla["max_weight_difference"] <= 1e-5
    assert xla["loss"] == pytest.approx(rows[("1 Keras", "plain")]["loss"], rel=1e-5)
    assert "jit_compile=True (XLA)" in done.stdout


def test_compiled_forward_and_loss_give_the_eager_numbers(mnist_dir, tmp_path):
    """torch.compile on forward() and loss_fn(), with the Inductor compiler: level 3's step gives
    its eager numbers."""
    weights = {}
    for mode in ("plain", "compiled-forward-loss"):
        out = tmp_path / f"{mode}.npz"
        done = run_script("instruments/compilers.py", "--framework", "torch", "--mode", mode, "--batch-size",
                          32, "--data-dir", mnist_dir, "--limit", 256, "--epochs", 1, "--hidden",
                          16, "--out", out, home=tmp_path)
        assert done.returncode == 0, done.stderr
        with np.load(out) as f:
            weights[mode] = {name: f[name] for name in common.PARAM_NAMES}
    for name in common.PARAM_NAMES:
        plain, compiled = weights["plain"][name], weights["compiled-forward-loss"][name]
        assert np.abs(compiled - plain).max() <= 1e-5, name
