"""The four levels are one model: from the same start, on the same batches, the same weights."""

import itertools
import json

import numpy as np
import pytest

import common
import level4_numpy
from machinery import params_files
from conftest import LEVELS, run_script

# The setting the project promises: 2 epochs over 1,500 training examples, batch 50, lr 0.7, H 24.
SETTING = ("--limit", 1500, "--epochs", 2, "--batch-size", 50, "--lr", 0.7, "--hidden", 24)
TOLERANCE = {"float64": 1e-8, "float32": 2e-4}


def lockstep_weights(data_dir, dtype, folder):
    init = folder / "init.npz"
    start = level4_numpy.init_params(24, np.random.default_rng(7), np.float64)
    params_files.save(str(init), start)
    weights = {}
    for script in LEVELS:
        out = folder / f"{script}.npz"
        done = run_script(script, "--data-dir", data_dir, *SETTING, "--dtype", dtype,
                          "--init-from", init, "--no-shuffle", "--save-weights", out, home=folder)
        assert done.returncode == 0, done.stderr
        with np.load(out) as f:
            weights[script] = {name: f[name] for name in common.PARAM_NAMES}
            assert all(f[name].dtype == np.dtype(dtype) for name in common.PARAM_NAMES)
    return start, weights


def check_lockstep(start, weights, dtype):
    for name in common.PARAM_NAMES:                # training moved every parameter a long way ...
        moved = max(np.abs(w[name] - start[name]).max() for w in weights.values())
        assert moved > 1e-2, name
    for a, b in itertools.combinations(weights, 2):  # ... and every level moved it the same way
        for name in common.PARAM_NAMES:
            diff = np.abs(weights[a][name].astype(np.float64) - weights[b][name]).max()
            assert diff <= TOLERANCE[dtype], (a, b, name, diff)


def test_lockstep_on_test_data_float32(mnist_dir, tmp_path):
    """In float64, compare.py --lockstep below checks the same on the same setting."""
    start, weights = lockstep_weights(mnist_dir, "float32", tmp_path)
    check_lockstep(start, weights, "float32")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lockstep_on_real_mnist(real_mnist, tmp_path, dtype):
    start, weights = lockstep_weights(real_mnist, dtype, tmp_path)
    check_lockstep(start, weights, dtype)


def test_compare_lockstep_table_json_and_plot(mnist_dir, tmp_path):
    out, png = tmp_path / "compare.json", tmp_path / "curves.png"
    done = run_script("compare.py", "--data-dir", mnist_dir, *SETTING, "--dtype", "float64",
                      "--lockstep", "--json-out", out, "--plot", png, home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(name in lines[0] for name in ("keras", "pytorch", "autograd", "own_autograd", "numpy"))
    assert lines[2].split()[0] == "1" and lines[3].split()[0] == "2"
    assert "largest difference between levels" in lines[4]
    assert "lockstep (float64): largest |dW|" in lines[5]
    report = json.loads(out.read_text())
    assert set(report["levels"]) == {"keras", "pytorch", "autograd", "own_autograd", "numpy"}
    assert report["max_abs_dW"]["value"] <= TOLERANCE["float64"]     # every level moved the same
    moved = report["max_abs_dW"]["moved"]                            # ... and a long way
    assert set(moved) == set(common.PARAM_NAMES) and min(moved.values()) > 1e-2, moved
    assert f"training moved them by up to {max(moved.values()):.3g}" in lines[5]
    assert report["differences"]["train_loss"]["max_difference"] <= 1e-8
    losses = [r["epochs"][0]["train_loss"] for r in report["levels"].values()]
    assert f"{losses[0]:.5f}" in lines[2]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000


def test_saturated_wrong_start_is_the_same_model_everywhere(mnist_dir, tmp_path):
    """One output pushed deep into saturation, and wrong: z2 = 18 for digit 0 everywhere (float32,
    W = 0). A level that computed the loss from a = sigmoid(z2) would see a rounded to 1, lose the
    gradient through it and report a far larger loss; every level computes it from z2."""
    start = {"W1": np.zeros((784, 24)), "b1": np.zeros(24), "W2": np.zeros((24, 10)),
             "b2": np.zeros(10)}
    start["b2"][0] = 18.0
    init = tmp_path / "saturated.npz"
    params_files.save(str(init), start)
    weights, losses = {}, {}
    for script in LEVELS:
        out, report = tmp_path / f"{script}.npz", tmp_path / f"{script}.json"
        done = run_script(script, "--data-dir", mnist_dir, "--limit", 500, "--epochs", 1,
                          "--batch-size", 50, "--lr", 0.7, "--hidden", 24, "--no-shuffle",
                          "--init-from", init, "--save-weights", out, "--json-out", report,
                          home=tmp_path)
        assert done.returncode == 0, done.stderr          # no false "diverged"
        assert "diverged" not in done.stderr
        with np.load(out) as f:
            weights[script] = {name: f[name] for name in common.PARAM_NAMES}
        losses[script] = json.loads(report.read_text())["epochs"][0]["train_loss"]
    assert 18.0 - weights[LEVELS[0]]["b2"][0] > 0.5           # the saturated output did learn
    for a, b in itertools.combinations(LEVELS, 2):
        for name in common.PARAM_NAMES:
            assert np.abs(weights[a][name] - weights[b][name]).max() <= 2e-4, (a, b, name)
        assert abs(losses[a] - losses[b]) <= 1e-4, (a, b, losses)
