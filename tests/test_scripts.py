"""Each level run from the shell as a user runs it: the epoch lines, the JSON, learning."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import EPOCH_LINE, LEVELS, ROOT, offline_env, run_script

# The tests run the frameworks on one thread (conftest.offline_env); these give NumPy's BLAS all.
ALL_BLAS_THREADS = {"OPENBLAS_NUM_THREADS": str(os.cpu_count())}


@pytest.mark.parametrize("script", LEVELS)
def test_level_trains_reports_repeats_and_replaces_old_files(script, mnist_dir, tmp_path):
    """Three runs of the level: the epoch lines and the JSON of a run that learns, written over
    old files of the user's, whole; the very same numbers again for the same --seed; others for
    another seed."""
    def run(seed, name):
        out, weights = tmp_path / f"{name}.json", tmp_path / f"{name}.npz"
        out.write_bytes(b"old")                          # files of the user's, to be replaced
        weights.write_bytes(b"old")
        done = run_script(script, "--data-dir", mnist_dir, "--limit", 600, "--epochs", 4,
                          "--hidden", 32, "--lr", 0.5, "--seed", seed, "--json-out", out,
                          "--save-weights", weights, home=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""                         # no console noise
        with np.load(weights) as f:                      # replaced whole
            assert f["W1"].shape == (784, 32) and f["b2"].shape == (10,)
        return done, json.loads(out.read_text())

    done, report = run(3, "first")
    lines = EPOCH_LINE.findall(done.stdout)
    assert len(lines) == 4 and done.stdout.splitlines() == lines
    assert lines[0].startswith("epoch 1/4") and lines[3].startswith("epoch 4/4")
    assert report["level"] == script[:-3]
    assert report["config"]["epochs"] == 4 and report["config"]["hidden"] == 32
    assert report["config"]["lr"] == 0.5 and report["config"]["limit"] == 600
    epochs = report["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4]
    assert set(epochs[0]) == {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}
    losses = [e["train_loss"] for e in epochs]
    assert losses[-1] < 0.8 * losses[0], losses                  # it learns
    assert epochs[-1]["test_loss"] < epochs[0]["test_loss"]
    assert epochs[-1]["test_acc"] > 0.8
    for e, line in zip(epochs, lines):                            # the line shows the JSON's numbers
        assert f"train loss {e['train_loss']:.4f}" in line
        assert f"test acc {100 * e['test_acc']:6.2f}%" in line
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]

    def numbers(report):
        return [(e["train_loss"], e["test_loss"]) for e in report["epochs"]]

    assert numbers(run(3, "again")[1]) == numbers(report)        # same seed: the very same numbers
    assert numbers(run(4, "other")[1]) != numbers(report)        # another seed: another draw and order


@pytest.mark.parametrize("script", LEVELS)
def test_help_explains_every_flag(script, tmp_path):
    done = run_script(script, "--help", home=tmp_path)
    assert done.returncode == 0
    for flag in ("--epochs", "--batch-size", "--lr", "--hidden", "--seed", "--data-dir", "--limit",
                 "--json-out", "--init-from", "--save-weights", "--no-shuffle", "--dtype"):
        assert flag in done.stdout
    assert ("--device" in done.stdout) == (script in ("level2_pytorch.py", "level3_autograd.py"))
    assert "What this level automates" in done.stdout


@pytest.mark.parametrize("script", LEVELS)
def test_real_mnist_one_epoch_above_90_percent(script, real_mnist, tmp_path):
    out = tmp_path / "run.json"
    done = run_script(script, "--data-dir", real_mnist, "--epochs", 1, "--json-out", out,
                      home=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["epochs"][0]["test_acc"] > 0.90


@pytest.mark.parametrize("script", ["level3b_own_autograd.py", "level4_numpy.py"])
def test_numpy_levels_choose_their_blas_threads_and_the_override_wins(script, mnist_dir, tmp_path):
    def threads(**env):
        out = tmp_path / "run.json"
        done = run_script(script, "--data-dir", mnist_dir, "--limit", 100, "--epochs", 1,
                          "--hidden", 16, "--json-out", out, home=tmp_path,
                          env={**ALL_BLAS_THREADS, **env})   # NumPy's threads to choose from
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return json.loads(out.read_text())["config"]["blas_threads"]

    chosen = threads()                                    # measured, and the measurement reported
    measured = r"(1|all) \(measured{}: \d+\.\d\d ms per step on 1 thread, \d+\.\d\d ms on all \d+\)"
    assert re.fullmatch(measured.format(""), chosen), chosen
    again = threads()                                     # remembered: the same choice, same numbers
    assert re.fullmatch(measured.format(" earlier on this machine"), again), again
    assert again.split(" (")[0] == chosen.split(" (")[0] and again.split(":")[1] == chosen.split(":")[1]
    assert threads(LEVELS_BLAS_THREADS="1") == "1 (set by $LEVELS_BLAS_THREADS)"
    assert threads(LEVELS_BLAS_THREADS="all") == "all (set by $LEVELS_BLAS_THREADS)"


def test_compare_natural_runs_show_their_epochs_as_they_come_and_differ_a_little(mnist_dir,
                                                                                tmp_path):
    """Captured (not a terminal): plain lines, no carriage returns, every level's epochs before
    the final table. Run naturally, each with its own draw and order, the levels all learn and
    differ a little."""
    out = tmp_path / "compare.json"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "compare.py"), "--data-dir",
                           str(mnist_dir), "--limit", "600", "--epochs", "2", "--hidden", "32",
                           "--json-out", str(out)],
                          cwd=ROOT, env=offline_env(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert done.returncode == 0, done.stdout
    assert "\r" not in done.stdout and "\033" not in done.stdout
    lines = done.stdout.splitlines()
    table = next(i for i, line in enumerate(lines) if line.startswith("epoch  "))
    for name in ("keras", "pytorch", "autograd", "own_autograd", "numpy"):
        progress = [line for line in lines[:table] if line.startswith(f"{name:<13}")]
        assert [line.split()[1] for line in progress] == ["running", "epoch", "epoch"], progress
        assert EPOCH_LINE.fullmatch(progress[2][13:]) and progress[2][13:].startswith("epoch 2/2")
    report = json.loads(out.read_text())
    assert "max_abs_dW" not in report
    accs = [r["epochs"][-1]["test_acc"] for r in report["levels"].values()]
    assert min(accs) > 0.8
    assert 0 < report["differences"]["train_loss"]["max_difference"] < 0.05
