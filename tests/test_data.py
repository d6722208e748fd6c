"""The IDX reader, and the four levels' loaders on the same files."""

import os
import subprocess
import sys

import numpy as np
import pytest

from machinery import flags, levels, mnist_files
from conftest import ROOT, offline_env, write_idx




@pytest.mark.parametrize("shape", [(7,), (5, 28, 28), (3, 4, 6)])
def test_idx_round_trip(tmp_path, shape):
    array = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    path = tmp_path / "a-idx-ubyte.gz"
    write_idx(path, array)
    back = mnist_files.read_idx(str(path))
    assert back.dtype == np.uint8
    assert back.shape == shape
    assert np.array_equal(back, array)


def test_read_mnist_dir(tmp_path):
    from conftest import write_mnist
    written = write_mnist(tmp_path, n_train=40, n_test=20, seed=3)
    (x_train, y_train), (x_test, y_test) = mnist_files.read_dir(str(tmp_path))
    for a, b in zip(written, (x_train, y_train, x_test, y_test)):
        assert np.array_equal(a, b)


# Each level's own load_data(), run in a process of its own (TensorFlow and PyTorch are not
# meant to share one process), for both dtypes, saving what it returns for the test to compare.
LOADERS = {
    "keras": "import level1_keras as m; load = lambda dtype: levels.load_data(m, d, 1000, dtype)",
    "pytorch": "import torch, level2_pytorch as m; "
               "load = lambda dtype: levels.load_data(m, d, 1000, getattr(torch, dtype))",
    "autograd": "import torch, level3_autograd as m; "
                "load = lambda dtype: levels.load_data(m, d, 1000, getattr(torch, dtype))",
    "own_autograd": "import numpy, level3b_own_autograd as m; "
                    "load = lambda dtype: levels.load_data(m, d, 1000, numpy.dtype(dtype))",
    "numpy": "import numpy, level4_numpy as m; "
             "load = lambda dtype: levels.load_data(m, d, 1000, numpy.dtype(dtype))",
}
SAVE = ("\nimport numpy as np\nfor dtype in ('float32', 'float64'):\n"
        "    (a, b), (c, e) = load(dtype)\n"
        "    np.savez(out + '-' + dtype + '.npz', "
        "*[np.asarray(t.numpy() if hasattr(t, 'numpy') else t) for t in (a, b, c, e)])\n")


@pytest.fixture(scope="module")
def loaded(mnist_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loaded")
    out = {"float32": {}, "float64": {}}
    for name, code in LOADERS.items():
        path = str(folder / name)
        program = f"from machinery import levels; d, out = {mnist_dir!r}, {path!r}; " + code + SAVE
        done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                              text=True, env=offline_env(folder))
        assert done.returncode == 0, done.stderr
        for dtype in out:
            with np.load(f"{path}-{dtype}.npz") as f:
                out[dtype][name] = tuple(f[f"arr_{i}"] for i in range(4))
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loaders_give_identical_arrays(loaded, mnist_dir, dtype):
    (images, labels), (test_images, test_labels) = mnist_files.read_dir(mnist_dir)
    reference = loaded[dtype]["numpy"]
    assert reference[0].shape == (1000, 784) and reference[1].shape == (1000, 10)
    assert reference[2].shape == (300, 784) and reference[3].shape == (300, 10)
    assert reference[0].dtype == np.dtype(dtype)
    # the reference itself is right: pixels / 255 and one-hot labels
    assert np.array_equal(reference[0], images[:1000].reshape(-1, 784).astype(dtype) / 255)
    assert np.array_equal(reference[1].argmax(1), labels[:1000])
    assert np.array_equal(reference[1].sum(1), np.ones(1000))
    for name, arrays in loaded[dtype].items():
        for a, b in zip(arrays, reference):
            assert a.dtype == b.dtype, name
            assert np.array_equal(a, b), name


def test_data_dir_from_environment(mnist_dir, monkeypatch):
    import common
    monkeypatch.setenv("MNIST_DIR", mnist_dir)
    args = flags.parse("level4_numpy", "x", common, [])
    assert args.data_dir == mnist_dir
    args = flags.parse("level4_numpy", "x", common, ["--data-dir", "elsewhere"])
    assert args.data_dir == "elsewhere"
    assert os.path.isdir(mnist_dir)


@pytest.mark.parametrize("level", ["level3b_own_autograd", "level4_numpy"])
def test_the_numpy_levels_read_idx_files_as_the_machinery_does(level, tmp_path):
    """Levels 3½ and 4 read the IDX files themselves, with the lesson's few lines; they read what
    machinery/mnist_files.py, which checks every byte, reads; and they look where it downloads."""
    import importlib
    module = importlib.import_module(level)
    assert module.MNIST_DIR == mnist_files.CACHE_DIR
    for shape in [(7,), (5, 28, 28), (3, 4, 6)]:
        array = np.random.default_rng(len(shape)).integers(0, 256, shape).astype(np.uint8)
        write_idx(tmp_path / "a-idx-ubyte.gz", array)
        with levels.replaced(module, "MNIST_DIR", str(tmp_path)):
            mine = module.read_idx("a-idx-ubyte.gz")
        assert np.array_equal(mine, mnist_files.read_idx(str(tmp_path / "a-idx-ubyte.gz")))
        assert mine.shape == shape and mine.dtype == np.uint8
