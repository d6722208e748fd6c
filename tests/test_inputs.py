"""More inputs a user can give, each answered in one line: parameter files that hold no real
finite numbers, numeric flags beyond what a dtype or a framework can hold, a loss that stops
being finite, a --data-dir that is a file. And outputs that are never left
half-written. Every case at every level (and in compare.py where it applies). Running out of
memory is in tests/ci/test_out_of_memory.py."""

import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import LEVELS, ROOT, SCRIPTS, offline_env
from test_errors import check_failure, data, run_failing, write_init  # noqa: F401


def cases(table):
    """(script, case) pairs: every case at level 4, which starts in a fraction of a second, and
    at each other script one case, a different one for each, so every class meets every script."""
    pairs = [("level4_numpy.py", case) for case in table]
    others = [script for script in SCRIPTS if script != "level4_numpy.py"]
    return pairs + [(script, list(table)[i % len(table)]) for i, script in enumerate(others)]


# --- parameter files whose values are not finite real numbers ---------------------------------
NOT_FINITE = {
    "nan": ({"W1": np.full((784, 8), np.nan)}, ["W1", "not finite", "nan"]),
    "infinite": ({"b2": np.array([np.inf] + [0.0] * 9)}, ["b2", "not finite", "inf"]),
    "complex": ({"W2": np.zeros((8, 10), complex)}, ["W2", "complex", "real numbers"]),
    "text": ({"b1": np.array(["0"] * 8)}, ["b1", "<U1", "real numbers"]),
    "beyond-float32": ({"W1": np.full((784, 8), 1e300)}, ["W1", "too large for float32"]),
}


@pytest.mark.parametrize("script,case", cases(NOT_FINITE))
def test_init_from_values_that_are_not_finite_real_numbers(script, case, data, tmp_path):
    changes, words = NOT_FINITE[case]
    init = tmp_path / "init.npz"
    write_init(init, **changes)
    before = init.read_bytes()
    run_failing(script, data, tmp_path, "--data-dir", data, "--init-from", init,
                words=["init.npz"] + words)
    assert init.read_bytes() == before


# --- numeric flags at extremes -----------------------------------------------------------------
EXTREMES = {
    "lr-beyond-float32": (["--lr", "1e39"], ["--lr", "largest float32"]),
    "lr-below-float32": (["--lr", "1e-40"], ["--lr", "smallest normal float32"]),
    "lr-beyond-float64": (["--lr", "1e308", "--lr", "1e309"], ["--lr"]),
    "seed-negative": (["--seed", "-1"], ["--seed", "non-negative"]),
    "seed-too-large": (["--seed", str(2**64)], ["--seed", "at most"]),
    "batch-size-too-large": (["--batch-size", str(2**40)], ["--batch-size", "at most"]),
    "epochs-too-large": (["--epochs", str(10**20)], ["--epochs", "at most"]),
    "hidden-beyond-memory": (["--hidden", str(10**9)], ["--hidden", "GiB", "this machine has"]),
}


@pytest.mark.parametrize("script,case", cases(EXTREMES))
def test_numeric_flags_at_extremes(script, case, data, tmp_path):
    args, words = EXTREMES[case]
    run_failing(script, data, tmp_path, "--data-dir", data, *args, code=2, words=words)


# --- a loss that stops being finite ------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_non_finite_loss_is_divergence(script, data, tmp_path):
    done = run_failing(script, data, tmp_path, "--data-dir", data, "--lr", "3e38",
                       words=["diverged in epoch 1", "no longer a finite number",
                              "smaller learning rate"])
    assert "Warning" not in done.stderr                     # no console noise on the way


# --- --data-dir that names a file ----------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_data_dir_that_is_a_file(script, tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not a folder")
    done = run_failing(script, path, tmp_path, "--data-dir", path,
                       words=["is a file, not a folder", "--data-dir"])
    assert "does not exist" not in done.stderr
    assert path.read_bytes() == b"not a folder"


# --- outputs are written whole or not at all ---------------------------------------------------
def small_file_limit(size):
    """A process whose files cannot grow beyond `size` bytes: a write beyond fails part-way
    (EFBIG; the signal that would otherwise kill the process is ignored)."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


# The limits let everything else through: the levels' own JSON, which compare.py collects (about
# 700 bytes each), is smaller than the file that must fail (compare.py's JSON, about 4,000 bytes).
# compare.py's own writes come after its levels have run: two of them suffice (--levels).
OUTPUTS = [(script, "--save-weights", "w.npz", 4000) for script in LEVELS] + \
          [(script, "--json-out", "r.json", 300) for script in LEVELS] + \
          [("compare.py", "--json-out", "r.json", 1000), ("compare.py", "--plot", "p.png", 6000)]
COMPARE_LEVELS = ("--levels", "own_autograd,numpy")


@pytest.mark.parametrize("script,flag,name,size", OUTPUTS)
def test_a_write_that_fails_part_way_leaves_the_old_file(script, flag, name, size, data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(b"my previous good file")
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, script), "--data-dir", str(data), "--limit", "100",
         "--epochs", "2", "--hidden", "16", flag, str(out / name),
         *(COMPARE_LEVELS if script == "compare.py" else ())], cwd=ROOT,
        env=offline_env(tmp_path), capture_output=True, text=True, timeout=600,
        preexec_fn=small_file_limit(size))
    check_failure(done, 1, f"cannot write {out / name}", "unchanged")
    assert (out / name).read_bytes() == b"my previous good file"
    assert os.listdir(out) == [name]                         # no temporary file left behind


# --- a reader that goes away: `python level4_numpy.py | head -1` ---------------------------------
def test_a_closed_pipe_stops_quietly(data, tmp_path):
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "level4_numpy.py"), "--data-dir", str(data),
         "--epochs", "100000", "--hidden", "8"],
        cwd=ROOT, env=offline_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    first = process.stdout.readline()
    process.stdout.close()                                   # what `| head -1` does after a line
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert first.strip()
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
