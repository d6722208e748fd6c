"""Ctrl-C at any moment, from start-up to the middle of training, ends the same way every time:
one line "Interrupted: k of n ...", a whole --json-out with the k epochs so far, exit code 130,
no traceback, no crash, and no file left behind half-written.

Each run is interrupted as Ctrl-C in a terminal does it: SIGINT to the whole process group. The
tests here interrupt every script once at a fixed moment; tests/stress_interrupts.py (which CI
runs after the suite) interrupts each many times at random moments, with the same checks.
"""

import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, offline_env
from test_errors import data, digest  # noqa: F401

# script: (interrupts, latest delay in seconds: well into training, start-up included)
STRESS = {"level1_keras.py": (20, 9.0), "level2_pytorch.py": (5, 9.0),
          "level3_autograd.py": (5, 7.0), "level3b_own_autograd.py": (5, 1.5),
          "level4_numpy.py": (5, 1.5), "compare.py": (5, 12.0)}
EPOCHS = 100000


def interrupted_run(script, data, folder, delay):
    """Start `script`, send Ctrl-C after `delay` seconds; its exit code, stderr and JSON text."""
    out, home = os.path.join(folder, "out", "run.json"), os.path.join(folder, "home")
    os.makedirs(os.path.dirname(out))
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, script), "--data-dir", str(data), "--epochs", str(EPOCHS),
         "--hidden", "8", "--json-out", out],
        cwd=ROOT, env=offline_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)
    try:
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = open(out).read() if os.path.exists(out) else None
    left = sorted(set(os.listdir(os.path.dirname(out))) - {"run.json"})
    return process.returncode, stdout, stderr, text, left


def check_clean(script, delay, code, stdout, stderr, text, left):
    """The promise, for one interrupted run; returns how many epochs it had completed."""
    where = f"{script} interrupted after {delay:.2f} s"
    assert code == 130, (where, code, stderr[-2000:])
    assert "Traceback" not in stderr and "Error" not in stderr, (where, stderr[-2000:])
    assert not left, (where, left)               # no temporary or partial file left behind
    assert text is not None, (where, "no --json-out", stderr)
    report = json.loads(text)                    # whole: it parses
    if script == "compare.py":
        done = sum(1 for r in report["levels"].values() if len(r["epochs"]) == EPOCHS)
        assert report["interrupted"] and done == 0, where
        assert f"Interrupted: {done} of 5 levels completed" in stderr, (where, stderr)
        return sum(len(r["epochs"]) for r in report["levels"].values())
    epochs = report["epochs"]
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1)), where
    assert report["config"]["epochs"] == EPOCHS
    assert f"Interrupted: {len(epochs)} of {EPOCHS} epochs completed" in stderr, (where, stderr)
    assert len(stdout.splitlines()) == len(epochs), where   # the JSON keeps every printed epoch
    return len(epochs)


def stress(script, data, folder, count, latest, seed=None):
    """`count` runs of `script`, each interrupted at a random moment between 0.05 s and `latest`
    seconds, one in each of `count` equal stretches, two at a time; every run checked. Returns
    [(delay, epochs completed)]."""
    rng = random.Random(seed if seed is not None else f"{script}-{os.getpid()}-{time.time()}")
    step = (latest - 0.05) / count
    delays = [0.05 + (i + rng.random()) * step for i in range(count)]
    folders = [os.path.join(folder, f"run{i}") for i in range(count)]
    for path in folders:
        os.makedirs(path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: interrupted_run(script, data, *args),
                                zip(folders, delays)))
    return [(delay, check_clean(script, delay, *result)) for delay, result in zip(delays, results)]


@pytest.mark.parametrize("script", ["level1_keras.py", "level2_pytorch.py", "compare.py"])
def test_ctrl_c_during_start_up(script, mnist_dir, tmp_path):
    """While TensorFlow or PyTorch is still being imported: one line, exit 130, an empty JSON."""
    code, stdout, stderr, text, left = interrupted_run(script, mnist_dir, str(tmp_path), 1.0)
    assert stdout == ""                                  # nothing had been printed yet
    assert check_clean(script, 1.0, code, stdout, stderr, text, left) == 0


@pytest.mark.parametrize("script", list(STRESS))
def test_ctrl_c_after_the_first_epoch_keeps_it(script, data, tmp_path):
    """Ctrl-C once the first epoch's line is out: that epoch is in the JSON, the data untouched."""
    before = digest(data)
    out = tmp_path / "run.json"
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, script), "--data-dir", str(data), "--epochs", str(EPOCHS),
         "--hidden", "8", "--json-out", str(out)],
        cwd=ROOT, env=offline_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)      # its own process group, like a shell job
    try:
        if script == "compare.py":
            assert process.stderr.readline().split() == ["keras", "running", "level1_keras.py",
                                                         "..."]
            assert process.stderr.readline().startswith(f"keras        epoch      1/{EPOCHS}")
        else:
            first = process.stdout.readline()
            assert first.startswith(f"epoch      1/{EPOCHS}"), first
        os.killpg(process.pid, signal.SIGINT)    # what Ctrl-C in a terminal does
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    report = json.loads(out.read_text())
    if script == "compare.py":                   # the level it was running, stopped and kept
        epochs = report["levels"]["keras"]["epochs"]
        assert report["interrupted"] and list(report["levels"]) == ["keras"]
        assert "Interrupted: 0 of 5 levels completed; level1_keras.py stopped after " \
            f"{len(epochs)} of {EPOCHS} epochs." in stderr
    else:
        epochs = report["epochs"]
        assert f"Interrupted: {len(epochs)} of {EPOCHS} epochs" in stderr
    assert len(epochs) >= 1 and epochs[0]["epoch"] == 1   # the epochs so far are kept
    assert digest(data) == before
