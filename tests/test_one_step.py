"""one_step.py: one SGD step on one batch, opened up - the same numbers at every level."""

import json
import os
import sys

import numpy as np
import pytest

import common
import level4_numpy
from instruments import one_step
from conftest import run_script
from machinery import mnist_files



KEYS = ["z1", "h", "z2", "a", "loss", "dz2", "dW2", "db2", "dh", "dz1", "dW1", "db1",
        "W1_after", "b1_after", "W2_after", "b2_after"]
HIDDEN_IN_KERAS = ["z1", "h", "z2", "dz2", "dh", "dz1"]     # inside its Dense layers and its tape


def run_one_step(data_dir, folder, *flags):
    out = folder / "one_step.json"
    done = run_script("instruments/one_step.py", "--data-dir", data_dir, *flags, "--json-out", out, home=folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""                               # no TensorFlow log, no warnings
    return done.stdout, json.loads(out.read_text())


@pytest.fixture(scope="module")
def step_data(mnist_dir):
    """Real MNIST where MNIST_DIR is set, else the tests' own small data."""
    return os.environ.get("MNIST_DIR") or mnist_dir


@pytest.fixture(scope="module")
def float64_run(step_data, tmp_path_factory):
    """The defaults: float64, B = 4, H = 5, lr = common.LR, seed 0."""
    return run_one_step(step_data, tmp_path_factory.mktemp("one_step"))


def expected_step(data_dir, batch, hidden, seed, lr):
    """The README's derivation written out here, on the same start and the same batch."""
    (images, labels), _ = mnist_files.read_dir(data_dir)
    x = images[:batch].reshape(-1, 784) / 255
    y = np.eye(10)[labels[:batch]]
    p = level4_numpy.init_params(hidden, np.random.default_rng(seed), np.float64)
    z1 = x @ p["W1"] + p["b1"]
    h = np.tanh(z1)
    z2 = h @ p["W2"] + p["b2"]
    a = 1 / (1 + np.exp(-z2))
    loss = np.mean(-(y * np.log(a) + (1 - y) * np.log(1 - a)))
    dz2 = (a - y) / y.size
    dh = dz2 @ p["W2"].T
    dz1 = dh * (1 - h**2)
    grads = {"W1": x.T @ dz1, "b1": dz1.sum(0), "W2": h.T @ dz2, "b2": dz2.sum(0)}
    values = {"z1": z1, "h": h, "z2": z2, "a": a, "loss": loss, "dz2": dz2, "dh": dh, "dz1": dz1}
    values.update({"d" + name: g for name, g in grads.items()})
    values.update({name + "_after": p[name] - lr * grads[name] for name in common.PARAM_NAMES})
    return values


def test_every_quantity_agrees_across_the_levels(float64_run):
    stdout, report = float64_run
    assert report["levels"] == ["keras", "pytorch", "autograd", "own_autograd", "numpy"]
    assert list(report["quantities"]) == KEYS
    shapes = {"z1": [4, 5], "loss": [], "dz2": [4, 10], "dW1": [784, 5], "db1": [5],
              "W2_after": [5, 10], "b2_after": [10]}
    for key, info in report["quantities"].items():
        assert {"pytorch", "autograd", "numpy"} <= set(info["levels"]), key
        assert info["max_abs_difference"] <= 1e-10, (key, info)
        assert min(info["norm"].values()) > 1e-3, key     # real numbers, not zeros on all sides
        if key in shapes:
            assert info["shape"] == shapes[key], key


def test_numbers_are_those_of_the_derivation(float64_run, step_data):
    """Each level's norm of each quantity equals that of the README's formulas, computed here."""
    stdout, report = float64_run
    expected = expected_step(step_data, 4, 5, 0, common.LR)
    for key, info in report["quantities"].items():
        for level, norm in info["norm"].items():
            assert norm == pytest.approx(np.linalg.norm(expected[key]), rel=1e-12), (key, level)


def test_keras_tape_gradients_are_level_4s(float64_run):
    stdout, report = float64_run
    quantities = report["quantities"]
    for key in ("a", "loss", "dW1", "db1", "dW2", "db2", "W1_after", "b1_after", "W2_after",
                "b2_after"):
        assert "keras" in quantities[key]["levels"], key
        assert quantities[key]["norm"]["keras"] == pytest.approx(quantities[key]["norm"]["numpy"],
                                                                rel=1e-12)
        assert quantities[key]["max_abs_difference"] <= 1e-10
    for key in HIDDEN_IN_KERAS:
        assert "keras" not in quantities[key]["levels"]
        assert "inside" in quantities[key]["hidden"]["keras"] or "tape" in \
            quantities[key]["hidden"]["keras"]


def test_finite_differences(float64_run):
    stdout, report = float64_run
    assert set(report["finite_difference"]) == set(common.PARAM_NAMES)
    for name, error in report["finite_difference"].items():
        assert error <= 1e-6, (name, error)
    assert report["finite_difference_entries"] == {"W1": 3920, "b1": 5, "W2": 50, "b2": 10}


def printed_blocks(stdout):
    """{quantity: {level: the rest of its line}} and {quantity: its max |difference| line}."""
    formulas = {q.formula: q.key for q in one_step.QUANTITIES}
    lines, current = {}, None
    differences = {}
    for line in stdout.splitlines():
        header = line.split("   (")[0]
        if header in formulas:
            current = formulas[header]
            lines[current] = {}
        elif current and line.startswith("  max |difference|: "):
            differences[current] = line.split(": ")[1].split()[0]
            current = None
        elif current and line[2:].split(" ")[0] in one_step.LEVELS:
            lines[current][line[2:].split(" ")[0]] = line[15:]
    return lines, differences


def test_the_table_shows_the_json_numbers(float64_run):
    stdout, report = float64_run
    table = [line for line in stdout.splitlines() if not line.startswith("One SGD step on")]
    assert max(len(line) for line in table) <= 120       # the first line names the data's path
    lines, differences = printed_blocks(stdout)
    assert list(lines) == KEYS
    for key, info in report["quantities"].items():
        assert differences[key] == f"{info['max_abs_difference']:.1e}", key
        for level, rest in lines[key].items():
            if level in info["hidden"]:
                assert rest.startswith("hidden: " + info["hidden"][level][:40]), (key, level)
            elif key == "loss":
                assert float(rest) == info["norm"][level]        # the scalar, to 16 digits
            else:
                assert rest.split("norm ")[1] == f"{info['norm'][level]:.6e}", (key, level)
    assert sorted(lines["z1"]) == sorted(one_step.LEVELS)    # a line for every level
    for name, error in report["finite_difference"].items():
        assert f"dL/d{name}" in stdout and f"relative error {error:.1e}" in stdout
    assert "model[0].weight.grad is 5 x 784" in stdout       # level 2 stores W1 transposed


def test_flags_float32_other_sizes(mnist_dir, tmp_path):
    stdout, report = run_one_step(mnist_dir, tmp_path, "--dtype", "float32", "--batch-size", 3,
                                  "--hidden", 7, "--lr", 0.5, "--seed", 3)
    assert report["config"] == {"batch_size": 3, "hidden": 7, "lr": 0.5, "seed": 3,
                                "dtype": "float32", "data_dir": mnist_dir}
    quantities = report["quantities"]
    assert quantities["z1"]["shape"] == [3, 7] and quantities["dW1"]["shape"] == [784, 7]
    expected = expected_step(mnist_dir, 3, 7, 3, 0.5)
    for key, info in quantities.items():
        assert info["max_abs_difference"] <= 1e-5, (key, info)   # float32 rounding only
        for level, norm in info["norm"].items():
            assert norm == pytest.approx(np.linalg.norm(expected[key]), rel=1e-5), (key, level)
    for name, error in report["finite_difference"].items():
        assert error <= 1e-4, (name, error)
    assert "float32, H = 7, lr = 0.5" in stdout


def test_locals_of_reads_a_frame_and_restores_the_profiler():
    rng = np.random.default_rng(1)
    params = level4_numpy.init_params(3, rng, np.float64)
    x = rng.random((2, 784))
    before = sys.getprofile()
    with one_step.locals_of(level4_numpy.forward) as inside:
        h, z2, a = level4_numpy.forward(x, params)
    assert sys.getprofile() is before
    assert np.array_equal(inside["z1"], x @ params["W1"] + params["b1"])
    assert inside["h"] is h and inside["z2"] is z2


# --- bad input: the same messages as the levels ---------------------------------------------
BAD_FLAGS = {
    "batch-size-zero": ["--batch-size", "0"],
    "hidden-negative": ["--hidden", "-3"],
    "hidden-not-a-number": ["--hidden", "ten"],
    "lr-zero": ["--lr", "0"],
    "lr-nan": ["--lr", "nan"],
    "lr-beyond-float32": ["--lr", "1e300", "--dtype", "float32"],
    "seed-negative": ["--seed", "-1"],
    "dtype-unknown": ["--dtype", "float16"],
    "json-out-no-folder": ["--json-out", "/nonexistent/folder/out.json"],
}


def error_line(done, script):
    """The last line of stderr, with the script's own name taken out."""
    assert "Traceback" not in done.stderr + done.stdout
    return done.stderr.strip().splitlines()[-1].replace(script, "SCRIPT")


@pytest.mark.parametrize("case", BAD_FLAGS)
def test_bad_flags_get_the_levels_errors(case, mnist_dir, tmp_path):
    flags = BAD_FLAGS[case]
    done = run_script("instruments/one_step.py", "--data-dir", mnist_dir, *flags, home=tmp_path)
    level = run_script("level4_numpy.py", "--data-dir", mnist_dir, *flags, home=tmp_path)
    assert done.returncode == level.returncode == 2, done.stderr
    assert flags[0] in done.stderr
    assert error_line(done, "one_step.py") == error_line(level, "level4_numpy.py")


@pytest.mark.parametrize("folder", ["nowhere", "empty"])
def test_bad_data_dir(folder, tmp_path):
    data = tmp_path / folder
    if folder == "empty":
        data.mkdir()
    done = run_script("instruments/one_step.py", "--data-dir", data, home=tmp_path)
    level = run_script("level4_numpy.py", "--data-dir", data, home=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "--data-dir" in done.stderr
    assert error_line(done, "one_step.py") == error_line(level, "level4_numpy.py")


def test_no_data_dir_and_no_network(tmp_path):
    done = run_script("instruments/one_step.py", home=tmp_path)             # offline_env drops MNIST_DIR
    assert done.returncode == 1
    assert "could not download" in error_line(done, "one_step.py")
    assert "--data-dir" in done.stderr
