"""Shared test helpers: small MNIST-like IDX files, and running the scripts as a user would."""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import common  # noqa: E402
from machinery import mnist_files  # noqa: E402

LEVELS = ["level1_keras.py", "level2_pytorch.py", "level3_autograd.py", "level3b_own_autograd.py",
          "level4_numpy.py"]
FOUR_LEVELS = [level for level in LEVELS if level != "level3b_own_autograd.py"]
SCRIPTS = LEVELS + ["compare.py"]
EPOCH_LINE = re.compile(r"^epoch +\d+/\d+  train loss \d+\.\d{4}  train acc +\d+\.\d\d%  "
                        r"test loss \d+\.\d{4}  test acc +\d+\.\d\d%  +\d+\.\d\d s$", re.M)


def write_idx(path, array):
    """Write a uint8 array as a gzipped IDX file: magic 0x0000 08 ndim, sizes, data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def make_digits(n, rng, templates):
    """n 28x28 images: one of ten fixed random templates per class, plus noise."""
    labels = rng.integers(0, 10, n).astype(np.uint8)
    noise = rng.normal(0, 40, (n, 28, 28))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def write_mnist(folder, n_train=1500, n_test=300, seed=0):
    """A folder with the four canonical file names, holding small learnable data."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 2, (10, 28, 28)) * 200.0
    x_train, y_train = make_digits(n_train, rng, templates)
    x_test, y_test = make_digits(n_test, rng, templates)
    os.makedirs(folder, exist_ok=True)
    for key, array in zip(mnist_files.FILES, (x_train, y_train, x_test, y_test)):
        write_idx(os.path.join(folder, mnist_files.FILES[key]), array)
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder)
    return str(folder)


@pytest.fixture(scope="session")
def real_mnist():
    """The real MNIST folder from MNIST_DIR; tests that need it run only when it is set."""
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        pytest.skip("MNIST_DIR is not set")
    return folder


def offline_env(home):
    """The environment of a user with an empty home and no network: every download fails fast."""
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "KERAS_HOME")}
    # One thread for the frameworks: the tests run side by side, two or more at a time, and a
    # framework's threads waiting on each other's busy cores slow tiny computations many times.
    env.update(OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    env.update(HOME=str(home), PYTHONUNBUFFERED="1",
               http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="")
    return env


def run_script(script, *args, home, timeout=600, env=None):
    """Run a script from the shell, as a user would, offline and with an empty home; `env` adds
    to that environment."""
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *map(str, args)],
                          cwd=ROOT, env={**offline_env(home), **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


# The slowest tests first, so that the workers (pytest-xdist) finish together rather than one
# waiting on a long test picked up last.
SLOW_FIRST = ["test_lockstep_on_real_mnist", "test_a_hostile_class", "test_bench", "test_exercise_whole_stack", "test_real_mnist", "test_lockstep",
              "test_saturated", "test_compare_", "test_level_trains", "test_loaders",
              "test_one_step.py", "test_xla_gives", "test_compiled_forward",
              "test_notebook_runs", "test_another_activation", "test_ctrl_c", "test_exercise_solution_passes_its_check[5]",
              "test_exercise_solution_passes_its_check[8]",
              "test_exercise_solution_passes_its_check[3]", "test_out_of_memory"]


def pytest_configure(config):
    """One folder for the whole run (its workers inherit it) in which the exercise checker keeps
    the Keras references it computed (exercises/checks/core.py): tests that check the same inputs
    start TensorFlow once between them. Removed at the end."""
    if "LEVELS_CHECK_CACHE" not in os.environ:
        os.environ["LEVELS_CHECK_CACHE"] = config._levels_cache = tempfile.mkdtemp(
            prefix="levels-check-cache-")


def pytest_unconfigure(config):
    if getattr(config, "_levels_cache", None):
        shutil.rmtree(config._levels_cache, ignore_errors=True)
        os.environ.pop("LEVELS_CHECK_CACHE", None)


def pytest_collection_modifyitems(items):
    """The slowest first, file by file: a file's tests stay together, so that a worker sets up
    a file's module fixture once (a fixture is torn down when another file's test comes
    between), and the files run in the order of their slowest test, each file's tests too."""
    def rank(item):
        return next((i for i, word in enumerate(SLOW_FIRST) if word in item.nodeid),
                    len(SLOW_FIRST))
    first = {}
    for item in items:
        first[item.module.__name__] = min(first.get(item.module.__name__, len(SLOW_FIRST)),
                                          rank(item))
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (first[item.module.__name__], item.module.__name__, rank(item),
                                 position[id(item)]))
