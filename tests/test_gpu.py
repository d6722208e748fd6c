"""On a CUDA GPU: levels 2 and 3 give level 4's numbers, and --device auto picks the GPU.

These tests run where PyTorch sees a CUDA GPU, and are skipped, with that reason, where it sees
none (docs/speed.md gives the figures measured on a GPU)."""

import json

import numpy as np
import pytest

import common
import level4_numpy
from conftest import run_script
from machinery import params_files

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA GPU here: torch.cuda.is_available() is False")

SETTING = ("--limit", 1500, "--epochs", 2, "--batch-size", 50, "--lr", 0.7, "--hidden", 24)


def final_weights(script, data_dir, folder, dtype, device=None):
    init = folder / "init.npz"
    if not init.exists():
        params_files.save(str(init), level4_numpy.init_params(24, np.random.default_rng(7),
                                                              np.float64))
    out = folder / f"{script}-{device}.npz"
    flags = ["--device", device] if device else []
    done = run_script(script, "--data-dir", data_dir, *SETTING, "--dtype", dtype, "--init-from",
                      init, "--no-shuffle", "--save-weights", out, *flags, home=folder)
    assert done.returncode == 0, done.stderr
    with np.load(out) as f:
        return {name: f[name].astype(np.float64) for name in common.PARAM_NAMES}


@pytest.mark.parametrize("script", ["level2_pytorch.py", "level3_autograd.py"])
def test_float64_lockstep_on_cuda_matches_level_4(script, mnist_dir, tmp_path):
    cpu = final_weights("level4_numpy.py", mnist_dir, tmp_path, "float64")
    gpu = final_weights(script, mnist_dir, tmp_path, "float64", "cuda")
    for name in common.PARAM_NAMES:
        assert np.abs(gpu[name] - cpu[name]).max() <= 1e-12, name


def test_float32_run_on_cuda_matches_the_cpu(mnist_dir, tmp_path):
    losses = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / f"{device}.json"
        done = run_script("level3_autograd.py", "--data-dir", mnist_dir, "--limit", 1500,
                          "--epochs", 2, "--device", device, "--json-out", out, home=tmp_path)
        assert done.returncode == 0, done.stderr
        losses[device] = [e["train_loss"] for e in json.loads(out.read_text())["epochs"]]
    assert losses["cuda"] == pytest.approx(losses["cpu"], rel=1e-4)


def test_device_auto_picks_the_gpu(mnist_dir, tmp_path):
    out = tmp_path / "auto.json"
    done = run_script("level2_pytorch.py", "--data-dir", mnist_dir, "--limit", 300, "--epochs", 1,
                      "--device", "auto", "--json-out", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["config"]["device"] == "cuda"
