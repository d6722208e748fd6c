"""Bad input gets a clear message and a non-zero exit, never a traceback; no user file changes."""

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from machinery import mnist_files
from conftest import ROOT, SCRIPTS, offline_env, run_script, write_idx, write_mnist

FILES = mnist_files.FILES


def digest(folder):
    """Every file in a folder and the hash of its bytes."""
    result = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            result[name] = hashlib.sha256(f.read()).hexdigest()
    return result


@pytest.fixture
def data(tmp_path):
    """A fresh small MNIST folder of this test's own, which it may then spoil."""
    folder = tmp_path / "data"
    write_mnist(folder, n_train=300, n_test=100)
    return folder


def check_failure(done, code, *words):
    """Exit code, no traceback, and a message that names the problem."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    message = done.stderr.lower()
    for word in words:
        assert word.lower() in message, (word, done.stderr)


def run_failing(script, data, tmp_path, *args, code=1, words=()):
    before = digest(data) if os.path.isdir(data) else None
    done = run_script(script, "--epochs", 2, "--limit", 100, "--hidden", 8, *args, home=tmp_path)
    check_failure(done, code, *words)
    if before is not None:
        assert digest(data) == before              # the data files are untouched
    return done


# --- invalid hyperparameters, rejected when the arguments are parsed --------------------------
BAD_ARGS = {
    "epochs-zero": (["--epochs", "0"], "--epochs"),
    "batch-size-negative": (["--batch-size", "-5"], "--batch-size"),
    "hidden-zero": (["--hidden", "0"], "--hidden"),
    "lr-zero": (["--lr", "0"], "--lr"),
    "lr-nan": (["--lr", "nan"], "--lr"),
    "lr-infinite": (["--lr", "inf"], "--lr"),
    "limit-zero": (["--limit", "0"], "--limit"),
    "epochs-not-a-number": (["--epochs", "ten"], "--epochs"),
}


@pytest.mark.parametrize("case", BAD_ARGS)
@pytest.mark.parametrize("script", SCRIPTS)
def test_invalid_hyperparameters(script, case, data, tmp_path):
    args, flag = BAD_ARGS[case]
    run_failing(script, data, tmp_path, "--data-dir", data, *args, code=2, words=[flag])


# --- the data folder ---------------------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_data_dir_missing(script, tmp_path):
    run_failing(script, tmp_path / "nowhere", tmp_path, "--data-dir", tmp_path / "nowhere",
                words=["does not exist", "--data-dir"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_data_dir_empty(script, tmp_path):
    (tmp_path / "empty").mkdir()
    run_failing(script, tmp_path / "empty", tmp_path, "--data-dir", tmp_path / "empty",
                words=list(FILES.values()))


@pytest.mark.parametrize("script", SCRIPTS)
def test_data_dir_lacks_one_file(script, data, tmp_path):
    os.remove(data / FILES["test_labels"])
    done = run_failing(script, data, tmp_path, "--data-dir", data,
                       words=["lacks " + FILES["test_labels"]])
    assert FILES["train_images"] not in done.stderr.split("lacks")[1].split(".")[0]


# --- corrupt data files --------------------------------------------------------------------------
def truncated_gzip(folder):
    path = folder / FILES["train_images"]
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def not_gzip(folder):
    (folder / FILES["test_images"]).write_bytes(b"this is not a gzip file\n" * 100)


def truncated_data(folder):
    path = folder / FILES["train_images"]
    with gzip.open(path) as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(raw[:-500])


def wrong_magic(folder):
    path = folder / FILES["train_labels"]
    with gzip.open(path) as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x0b\x01" + raw[4:])     # 0x0b: 32-bit integers, not bytes


def wrong_dimensions(folder):
    write_idx(folder / FILES["test_images"], np.zeros((100, 28, 27), np.uint8))


def counts_disagree(folder):
    write_idx(folder / FILES["train_labels"], np.zeros(299, np.uint8))


def labels_out_of_range(folder):
    write_idx(folder / FILES["test_labels"], np.full(100, 12, np.uint8))


CORRUPT = {
    "truncated-gzip": (truncated_gzip, ["train-images-idx3-ubyte.gz", "truncated or not a gzip"]),
    "not-gzip": (not_gzip, ["t10k-images-idx3-ubyte.gz", "not a gzip"]),
    "truncated-data": (truncated_data, ["train-images-idx3-ubyte.gz", "truncated"]),
    "wrong-magic": (wrong_magic, ["train-labels-idx1-ubyte.gz", "magic number 0x00000b01"]),
    "wrong-dimensions": (wrong_dimensions, ["test images", "100, 28, 27"]),
    "counts-disagree": (counts_disagree, ["300 train images but 299 train labels"]),
    "labels-out-of-range": (labels_out_of_range, ["test labels", "0-9"]),
}


@pytest.mark.parametrize("case", CORRUPT)
@pytest.mark.parametrize("script", SCRIPTS)
def test_corrupt_data_file(script, case, data, tmp_path):
    spoil, words = CORRUPT[case]
    spoil(data)
    run_failing(script, data, tmp_path, "--data-dir", data, words=words)


# --- parameter files and output paths -------------------------------------------------------------
def write_init(path, **changes):
    params = {"W1": np.zeros((784, 8)), "b1": np.zeros(8), "W2": np.zeros((8, 10)), "b2": np.zeros(10)}
    params.update(changes)
    np.savez(path, **{k: v for k, v in params.items() if v is not None})


@pytest.mark.parametrize("script", SCRIPTS)
def test_init_from_missing_array(script, data, tmp_path):
    write_init(tmp_path / "init.npz", W2=None)
    run_failing(script, data, tmp_path, "--data-dir", data, "--init-from", tmp_path / "init.npz",
                words=["no array W2", "(8, 10)"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_init_from_wrong_shape(script, data, tmp_path):
    write_init(tmp_path / "init.npz", W1=np.zeros((8, 784)))
    run_failing(script, data, tmp_path, "--data-dir", data, "--init-from", tmp_path / "init.npz",
                words=["W1 has shape (8, 784)", "(784, 8)"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_init_from_not_an_npz_file(script, data, tmp_path):
    (tmp_path / "init.npz").write_text("W1 = 0\n")
    run_failing(script, data, tmp_path, "--data-dir", data, "--init-from", tmp_path / "init.npz",
                words=["init.npz", "not a readable .npz file"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_init_from_no_such_file(script, data, tmp_path):
    run_failing(script, data, tmp_path, "--data-dir", data, "--init-from", tmp_path / "no.npz",
                code=2, words=["--init-from", "no such file"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_json_out_cannot_be_written(script, data, tmp_path):
    run_failing(script, data, tmp_path, "--data-dir", data, "--json-out", tmp_path / "no" / "r.json",
                code=2, words=["--json-out", "does not exist"])
    run_failing(script, data, tmp_path, "--data-dir", data, "--json-out", tmp_path,
                code=2, words=["--json-out", "is a folder"])


@pytest.mark.parametrize("script", SCRIPTS)
def test_weights_or_plot_cannot_be_written(script, data, tmp_path):
    flag = "--plot" if script == "compare.py" else "--save-weights"
    run_failing(script, data, tmp_path, "--data-dir", data, flag, tmp_path / "no" / "w.npz",
                code=2, words=[flag, "does not exist"])


# --- no network, no --data-dir ------------------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_offline_without_data_dir(script, tmp_path):
    run_failing(script, tmp_path / "none", tmp_path, words=["could not download", "--data-dir"])


@pytest.mark.parametrize("script", ["level1_keras.py", "compare.py"])
def test_keras_cache_with_wrong_hash_is_kept(script, tmp_path):
    cache = tmp_path / ".keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"my own file, not MNIST")
    run_failing(script, cache, tmp_path, words=["mnist.npz", "SHA-256", "--data-dir"])
    assert (cache / "mnist.npz").read_bytes() == b"my own file, not MNIST"


# --- training that diverges ---------------------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_divergence_stops_with_advice(script, data, tmp_path):
    run_failing(script, data, tmp_path, "--data-dir", data, "--lr", "1000",
                words=["diverged in epoch 1", "smaller learning rate"])


@pytest.mark.parametrize("script", ["level2_pytorch.py", "level3_autograd.py", "compare.py"])
def test_device_cuda_without_a_gpu(script, data, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: --device cuda is valid here")
    run_failing(script, data, tmp_path, "--data-dir", data, "--device", "cuda",
                words=["--device cuda", "no CUDA GPU", "--device cpu"])
