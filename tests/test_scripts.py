"""Each level run from the shell as a user runs it: the epoch lines, the JSON, learning."""

import json
import os

import pytest

from conftest import EPOCH_LINE, LEVELS, run_script


@pytest.mark.parametrize("script", LEVELS)
def test_level_trains_and_reports(script, mnist_dir, tmp_path):
    out = tmp_path / "run.json"
    done = run_script(script, "--data-dir", mnist_dir, "--limit", 600, "--epochs", 4,
                      "--hidden", 32, "--lr", 0.5, "--json-out", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""                   # no console noise
    lines = EPOCH_LINE.findall(done.stdout)
    assert len(lines) == 4 and done.stdout.splitlines() == lines
    assert lines[0].startswith("epoch 1/4") and lines[3].startswith("epoch 4/4")
    report = json.loads(out.read_text())
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


def test_bench_prints_its_table_and_json(mnist_dir, tmp_path):
    out = tmp_path / "bench.json"
    done = run_script("bench.py", "--data-dir", mnist_dir, "--epochs", 2, "--limit", 600,
                      "--hidden", 16, "--json-out", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:]}
    assert set(rows) == {"keras", "pytorch", "autograd", "own_autograd", "numpy",
                         "numpy-allthreads", "bound", "bound-1thread"}
    assert f"{os.cpu_count()} CPUs" in lines[0] and "NumPy" in lines[0]
    report = json.loads(out.read_text())
    assert report["config"]["hidden"] == 16 and report["bound"] > 0
    assert report["bound_one_thread"] > 0 and f"{report['bound_one_thread']:.3f}" in lines[-1]
    assert report["machine"]["cpu"] in lines[0]
    assert report["machine"]["blas"] and report["machine"]["blas"][0]["num_threads"] >= 1
    fastest = min(r["epoch"] for r in report["levels"].values())
    for name, r in report["levels"].items():
        assert len(r["epochs"]) == 2 and r["import"] > 0 and r["data"] > 0
        assert r["ratio_to_fastest"] == pytest.approx(r["epoch"] / fastest)
        assert r["ratio_to_bound"] == pytest.approx(r["epoch"] / report["bound"])
        assert f"{r['epoch']:.2f}" in " ".join(rows[name])


@pytest.mark.parametrize("script", LEVELS)
def test_seed_makes_runs_repeatable(script, mnist_dir, tmp_path):
    def losses(seed, name):
        out = tmp_path / name
        done = run_script(script, "--data-dir", mnist_dir, "--limit", 300, "--epochs", 2,
                          "--hidden", 16, "--seed", seed, "--json-out", out, home=tmp_path)
        assert done.returncode == 0, done.stderr
        return [(e["train_loss"], e["test_loss"]) for e in json.loads(out.read_text())["epochs"]]

    first = losses(3, "a.json")
    assert losses(3, "b.json") == first          # same seed: the very same numbers
    assert losses(4, "c.json") != first          # another seed: another draw and order
