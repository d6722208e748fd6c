"""instruments/bench.py's run, which CI runs after the suite (about 15 s): its table, its JSON,
level 4's thread choice, the plot, and runs combined."""

import json
import os

from conftest import run_script

# The tests run the frameworks on one thread (conftest.offline_env); bench compares NumPy's
# BLAS on one thread and on all of them.
ALL_BLAS_THREADS = {"OPENBLAS_NUM_THREADS": str(os.cpu_count())}


def test_bench_prints_its_table_and_json(mnist_dir, tmp_path):
    out, png = tmp_path / "bench.json", tmp_path / "speed.png"
    done = run_script("instruments/bench.py", "--data-dir", mnist_dir, "--epochs", 2, "--limit", 600,
                      "--hidden", 16, "--batch-sizes", "300,50", "--repeats", 1, "--json-out", out,
                      "--plot", png, "--levels", "numpy,autograd", home=tmp_path,
                      env=ALL_BLAS_THREADS)                # it compares NumPy's threads
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{os.cpu_count()} CPUs" in lines[0] and "NumPy" in lines[0]
    assert lines[1].startswith("GPU: ") and "level 1 (TensorFlow) runs on" in lines[1]
    assert "batch 50" in lines[3] and lines[3].index("batch 50") < lines[3].index("batch 300")
    rows = {line.split()[0]: line.split()[1:] for line in lines[4:-2]}
    report = json.loads(out.read_text())
    assert list(rows) == ["autograd", "numpy", "bound"]       # --levels, in the levels' order
    assert report["config"]["hidden"] == 16 and report["bound"] > 0
    assert report["config"]["batch_sizes"] == [50, 300]
    for name, r in report["levels"].items():
        for batch in ("50", "300"):
            assert len(r["batches"][batch]["epochs"]) == 2
            assert f"{r['batches'][batch]['epoch']:.3f}" in " ".join(rows[name])
        if not name.endswith("cuda"):
            assert r["import"] > 0 and r["data"] > 0
    for line, check in zip(lines[-2:], report["blas_threads"]):   # level 4's threads, checked
        assert line == check["line"] and line.startswith(f"batch {check['batch']}: level 4 chose ")
        assert check["chosen"].split()[0] in ("1", "all") and "measured" in check["chosen"]
        assert len(check["runs"]["1"]) == len(check["runs"]["all"]) == 1
        assert check["within"] == (check["ratio"] <= 1.05)
        assert ("NOT within" not in line) == check["within"]
    assert report["machine"]["cpu"] in lines[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Several runs combined: the median of each cell, each run's thread lines, the plot
    again = tmp_path / "combined.png"
    done = run_script("instruments/bench.py", "--combine", out, out, "--plot", again, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "then the median of 2 runs" in done.stdout and again.exists()
    assert done.stdout.count("run 2: batch ") == 2
    for name in ("autograd", "numpy"):
        row = next(line for line in done.stdout.splitlines() if line.startswith(name + " "))
        assert f"{report['levels'][name]['batches']['50']['epoch']:.3f}" in row
