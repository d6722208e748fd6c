"""docs/lr_sweep.py, the learning-rate sweep of docs/design.md: it runs, records a diverging rate
as such, and the table in design.md is the one its committed results print."""

import json
import os
import subprocess
import sys

from conftest import ROOT, offline_env

SCRIPT = os.path.join(ROOT, "docs", "lr_sweep.py")
RESULTS = os.path.join(ROOT, "docs", "lr_sweep.json")


def sweep(tmp_path, *args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], cwd=tmp_path,
                          env=offline_env(tmp_path), capture_output=True, text=True, timeout=300)


def test_the_sweep_runs_and_records_divergence(mnist_dir, tmp_path):
    out, png = tmp_path / "sweep.json", tmp_path / "sweep.png"
    done = sweep(tmp_path, "--data-dir", mnist_dir, "--limit", 300, "--epochs", 5,
                 "--rates", "0.5,1000", "--json", out, "--plot", png)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    calm, wild = data["results"]
    assert not calm["diverged"] and len(calm["epochs"]) == 5
    assert calm["epochs"][-1]["train_loss"] < calm["epochs"][0]["train_loss"]
    assert wild["diverged"] and len(wild["epochs"]) < 5 and "diverged" in wild["message"]
    assert "| diverged (stopped by the script) | no | epoch " in done.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_rates_are_refused_in_one_line(tmp_path):
    done = sweep(tmp_path, "--rates", "1,x", "--json", tmp_path / "s.json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--rates 1,x" in done.stderr and not (tmp_path / "s.json").exists()


def test_design_md_shows_the_committed_sweep(tmp_path):
    """The figures in docs/design.md are what the script prints from docs/lr_sweep.json."""
    done = sweep(tmp_path, "--from-json", RESULTS, "--plot", tmp_path / "again.png")
    assert done.returncode == 0, done.stderr
    design = open(os.path.join(ROOT, "docs", "design.md"), encoding="utf-8").read()
    assert done.stdout.strip() in design
    data = json.load(open(RESULTS))
    assert data["epochs"] == 20 and data["limit"] is None            # all of MNIST, 20 epochs
    assert any(r["diverged"] for r in data["results"])                # the sweep reaches divergence
    assert data["machine"] in design and data["date"] in design
