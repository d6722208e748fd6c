"""The solutions in exercises/ (see EXERCISES.md), each checked the way its exercise says.

Gradients against central finite differences and against PyTorch's autograd, lockstep weights
(float64, the same start, batches in dataset order: largest |dW| <= 1e-8), accuracy bands on the
small generated data of conftest.py. Keras runs in processes of its own, as in test_data.py.
To check your own solution, put it in place of exercises/solution_N_*.py, same function names.
"""

import re

import numpy as np
import pytest
import torch

import common
import level3_autograd
import level4_numpy
from exercises import helpers
from exercises import solution_1_mse as ex1
from exercises import solution_2_relu as ex2
from exercises import solution_3_softmax as ex3
from exercises import solution_4_sum as ex4
from exercises import solution_5_momentum as ex5
from exercises import solution_6_two_hidden as ex6
from exercises import solution_7_broken as ex7
from machinery import params_files
from conftest import EPOCH_LINE, run_script

GRADIENT_CHECK = 1e-6        # finite differences, relative error (tests/test_gradients.py)
AUTOGRAD = 1e-10             # against PyTorch's autograd, absolute
LOCKSTEP = 1e-8              # float64 weights, largest |dW| (tests/test_lockstep.py)
# The lockstep setting of tests/test_lockstep.py: 1,500 examples, batch 50, 2 epochs, H 24.
SETTING = dict(epochs=2, batch_size=50, hidden=24)


@pytest.fixture(scope="module")
def data(mnist_dir):
    """The generated training and test sets, float64."""
    return level4_numpy.load_data(mnist_dir, 1500, np.float64)


@pytest.fixture(scope="module")
def start():
    """One float64 Glorot start for every lockstep comparison."""
    return level4_numpy.init_params(SETTING["hidden"], np.random.default_rng(7), np.float64)


def copy(params):
    return {k: v.copy() for k, v in params.items()}


def autograd_gradients(loss_of, params):
    """dL/dp for every parameter by PyTorch's autograd; loss_of(tensors) builds L in torch."""
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss_of(tensors).backward()
    return {k: t.grad.numpy() for k, t in tensors.items()}


def assert_gradients_right(loss_at, loss_of_tensors, grads, params):
    """Both independent checks: finite differences and PyTorch's autograd."""
    errors = helpers.gradient_check(loss_at, grads, params)
    assert max(errors.values()) <= GRADIENT_CHECK, errors
    for name, expected in autograd_gradients(loss_of_tensors, params).items():
        assert np.abs(grads[name] - expected).max() <= AUTOGRAD, name
        assert np.abs(expected).max() > 1e-6, name          # a real gradient, not zeros


def train(step, params, data, lr, epochs, batch_size=32, seed=0):
    (x_train, y_train), _ = data
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        helpers.train_epoch(lambda p, x, y: step(p, x, y, lr), params, x_train, y_train,
                            batch_size, rng, shuffle=True)
    return params


def test_exercise_helpers_backward_is_level_4s_chain_rule():
    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    mine = helpers.backward(x, params, h, (a - y) / y.size, 1 - h * h)
    for name, expected in level4_numpy.gradients(x, y, params, h, a).items():
        assert np.abs(mine[name] - expected).max() <= 1e-15 * np.abs(expected).max(), name


# ---------------------------------------------------------------------------------------------
# 1. MSE
# ---------------------------------------------------------------------------------------------
def test_exercise_1_mse_gradients():
    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    y_t = torch.tensor(y)
    assert_gradients_right(
        lambda p: ex1.loss_mse(level4_numpy.forward(x, p)[2], y),
        lambda t: torch.mean((level3_autograd.forward(torch.tensor(x), t)[2] - y_t) ** 2),
        ex1.gradients_mse(x, y, params, h, a), params)


def test_exercise_1_confidently_wrong_output_learns_slowly_with_mse(data):
    (x_train, y_train), _ = data
    steps, first = {}, {}
    for loss, step in ex1.STEPS.items():
        start = ex1.confidently_wrong_start(24, np.random.default_rng(0), np.float64)
        assert (level4_numpy.forward(x_train, start)[2][:, 0] > 0.99).all()   # confidently "zero"
        first[loss] = ex1.first_gradient(loss, start, x_train[:32], y_train[:32])
        steps[loss] = ex1.steps_to_recover(step, start, x_train, y_train, 32, 1.0, 200)
    assert first["MSE"] < 0.02 * first["BCE"], first           # the a (1 - a) factor, ~ 0.005
    assert steps["BCE"] is not None and steps["BCE"] <= 10, steps
    assert steps["MSE"] is None or steps["MSE"] >= 10 * steps["BCE"], steps


# ---------------------------------------------------------------------------------------------
# 2. ReLU, He and Glorot
# ---------------------------------------------------------------------------------------------
def test_exercise_2_relu_gradients():
    params, x, y = helpers.check_batch()
    h, z2, a = ex2.forward_relu(x, params)
    assert (h == 0).any() and (h > 0).any()                    # both sides of the kink are used
    y_t = torch.tensor(y)

    def loss_of(t):
        z2_t = torch.relu(torch.tensor(x) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
        return level3_autograd.loss_fn(z2_t, y_t)
    assert_gradients_right(lambda p: level4_numpy.loss_fn(ex2.forward_relu(x, p)[1], y), loss_of,
                           ex2.gradients_relu(x, y, params, h, a), params)


def test_exercise_2_he_keeps_the_signal_and_glorot_shrinks_it(data):
    he = ex2.init_params(256, np.random.default_rng(0), np.float64, "he")
    glorot = ex2.init_params(256, np.random.default_rng(0), np.float64, "glorot")
    assert he["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)        # He: 2 / fan_in
    assert glorot["W1"].std() == pytest.approx(np.sqrt(2 / (784 + 256)), rel=0.02)
    assert np.abs(he["W1"]).max() <= 2 * np.sqrt(2 / 784) / common.TRUNCATION_STD   # truncated
    he_stds, glorot_stds = ex2.signal_std("he"), ex2.signal_std("glorot")
    assert 0.5 < he_stds[-1] < 2 and glorot_stds[-1] < 0.1, (he_stds, glorot_stds)
    params = train(ex2.train_step_relu, ex2.init_params(32, np.random.default_rng(0),
                                                        np.float64, "he"), data, 0.5, 3)
    (_, _), (x_test, y_test) = data
    assert level4_numpy.accuracy(ex2.forward_relu(x_test, params)[2], y_test) > 0.8


# ---------------------------------------------------------------------------------------------
# 3. Softmax and categorical cross-entropy; the Keras trap
# ---------------------------------------------------------------------------------------------
def test_exercise_3_softmax_gradients_and_accuracy(data):
    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    labels = torch.tensor(y.argmax(axis=1))

    def loss_of(t):                                            # PyTorch's own softmax CE
        z2_t = level3_autograd.forward(torch.tensor(x), t)[1]
        return torch.nn.functional.cross_entropy(z2_t, labels)
    assert ex3.loss_softmax(z2, y) == pytest.approx(float(loss_of(
        {k: torch.tensor(v) for k, v in params.items()})), rel=1e-14)
    assert_gradients_right(lambda p: ex3.loss_softmax(level4_numpy.forward(x, p)[1], y), loss_of,
                           ex3.gradients_softmax(x, y, params, h, ex3.softmax(z2)), params)
    trained = train(ex3.train_step_softmax, level4_numpy.init_params(
        32, np.random.default_rng(0), np.float64), data, 0.1, 3)
    (_, _), (x_test, y_test) = data
    assert level4_numpy.accuracy(level4_numpy.forward(x_test, trained)[1], y_test) > 0.8


def test_exercise_3_keras_categorical_crossentropy_on_sigmoid_is_softmax(mnist_dir, data, start,
                                                                          tmp_path):
    init, out = tmp_path / "init.npz", tmp_path / "keras.npz"
    params_files.save(str(init), start)
    done = run_script("exercises/solution_3_softmax.py", "--keras-trap", "--data-dir", mnist_dir,
                      "--limit", 1500, "--epochs", 2, "--batch-size", 50, "--lr", 0.1,
                      "--hidden", 24, "--dtype", "float64", "--no-shuffle", "--init-from", init,
                      "--save-weights", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    with np.load(out) as f:
        keras_weights = {name: f[name] for name in common.PARAM_NAMES}
    (x_train, y_train), _ = data
    softmax_weights, bce_weights = copy(start), copy(start)
    for epoch in range(2):
        helpers.train_epoch(lambda p, x, y: ex3.train_step_softmax(p, x, y, 0.1), softmax_weights,
                            x_train, y_train, 50, None, shuffle=False)
        level4_numpy.train_epoch(bce_weights, x_train, y_train, 50, 0.1, None, shuffle=False)
    assert helpers.max_abs_difference(softmax_weights, start) > 1e-2          # it trained
    assert helpers.max_abs_difference(keras_weights, softmax_weights) <= LOCKSTEP
    assert helpers.max_abs_difference(keras_weights, bce_weights) > 1e-2     # not BCE, not a
    values = [float(v) for v in re.findall(r": *(\d+\.\d+)$", done.stdout, re.M)[:3]]
    assert values[0] == pytest.approx(values[1], abs=1e-12)   # Keras's CCE = softmax CE of z2
    assert abs(values[0] - values[2]) > 1e-3                  # not the CE of a normalised


# ---------------------------------------------------------------------------------------------
# 4. Sum instead of mean
# ---------------------------------------------------------------------------------------------
def test_exercise_4_sum_with_a_tenth_of_the_lr_is_lockstep_with_mean(data, start):
    (x_train, y_train), _ = data
    setting = (x_train, y_train, SETTING["epochs"], SETTING["batch_size"])
    mean = ex4.train_level4_mean(start, *setting, 0.7)
    assert helpers.max_abs_difference(mean, start) > 1e-2                     # it trained
    assert helpers.max_abs_difference(ex4.train_level3_sum(start, *setting, 0.07), mean) <= LOCKSTEP
    assert helpers.max_abs_difference(ex4.train_level3_sum(start, *setting, 0.7), mean) > 1e-2


# ---------------------------------------------------------------------------------------------
# 5. Momentum
# ---------------------------------------------------------------------------------------------
MU = 0.9
MU_KERAS = float(np.float32(MU))   # Keras 3 casts the momentum through float32 (solution 5)


class Args:
    dtype, lr, momentum = "float64", 0.1, MU
    epochs, batch_size, hidden = SETTING["epochs"], SETTING["batch_size"], SETTING["hidden"]


def test_exercise_5_momentum_levels_2_3_4_in_lockstep(data, start):
    (x_train, y_train), _ = data
    weights = {name: ex5.LEVELS[name](start, x_train, y_train, Args, 0.1, MU_KERAS)
               for name in ("pytorch", "autograd", "numpy")}
    plain = ex5.train_level4(start, x_train, y_train, Args, 0.1, 0.0)
    assert helpers.max_abs_difference(weights["numpy"], plain) > 1e-2        # momentum mattered
    for name in ("pytorch", "autograd"):
        assert helpers.max_abs_difference(weights[name], weights["numpy"]) <= LOCKSTEP, name

    # Keras's form, m <- mu m - lr g; theta <- theta + m, is torch's with m = -lr v:
    params, m = copy(start), {k: np.zeros_like(v) for k, v in start.items()}
    for epoch in range(Args.epochs):
        for i in range(0, len(x_train), Args.batch_size):
            x, y = x_train[i:i + Args.batch_size], y_train[i:i + Args.batch_size]
            h, z2, a = level4_numpy.forward(x, params)
            grads = level4_numpy.gradients(x, y, params, h, a)
            for name, p in params.items():
                m[name] = MU_KERAS * m[name] - 0.1 * grads[name]
                p += m[name]
    assert helpers.max_abs_difference(params, weights["numpy"]) <= LOCKSTEP


def test_exercise_5_keras_momentum_in_lockstep(mnist_dir, data, start, tmp_path):
    init, out = tmp_path / "init.npz", tmp_path / "keras.npz"
    params_files.save(str(init), start)
    done = run_script("exercises/solution_5_momentum.py", "--level", "keras", "--data-dir",
                      mnist_dir, "--limit", 1500, "--epochs", 2, "--batch-size", 50, "--lr", 0.1,
                      "--hidden", 24, "--momentum", MU, "--dtype", "float64", "--init-from", init,
                      "--save-weights", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    with np.load(out) as f:
        keras_weights = {name: f[name] for name in common.PARAM_NAMES}
    (x_train, y_train), _ = data
    numpy_weights = ex5.train_level4(start, x_train, y_train, Args, 0.1, MU_KERAS)
    assert helpers.max_abs_difference(keras_weights, numpy_weights) <= LOCKSTEP
    exact = ex5.train_level4(start, x_train, y_train, Args, 0.1, MU)      # mu = 0.9 exactly:
    assert helpers.max_abs_difference(keras_weights, exact) > 1e-12      # Keras's is not 0.9


# ---------------------------------------------------------------------------------------------
# 6. A second hidden layer
# ---------------------------------------------------------------------------------------------
def test_exercise_6_two_hidden_layers_gradients_and_accuracy(data):
    params, x, y = ex6.check_batch()
    hs, z, a = ex6.forward(x, params)
    y_t = torch.tensor(y)

    def loss_of(t):
        h = torch.tensor(x)
        for l in (1, 2):
            h = torch.tanh(h @ t[f"W{l}"] + t[f"b{l}"])
        return level3_autograd.loss_fn(h @ t["W3"] + t["b3"], y_t)
    assert_gradients_right(lambda p: level4_numpy.loss_fn(ex6.forward(x, p)[1], y), loss_of,
                           ex6.gradients(y, params, hs, a), params)

    one, x, y = helpers.check_batch()                          # one hidden layer: level 4 itself
    hs, z, a = ex6.forward(x, one)
    expected = level4_numpy.gradients(x, y, one, hs[1], a)
    assert helpers.max_abs_difference(ex6.gradients(y, one, hs, a), expected) <= 1e-15

    trained = train(ex6.train_step, ex6.init_params([784, 32, 16, 10], np.random.default_rng(0),
                                                    np.float64), data, 0.5, 3)
    (_, _), (x_test, y_test) = data
    assert level4_numpy.accuracy(ex6.forward(x_test, trained)[2], y_test) > 0.8


# ---------------------------------------------------------------------------------------------
# 7. Broken on purpose: the checks must fail
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("broken", [ex7.gradients_without_tanh_derivative,
                                    ex7.gradients_wrong_transpose])
def test_exercise_7_gradient_checks_fail_on_broken_backprop(broken):
    right, wrong = ex7.check(level4_numpy.gradients), ex7.check(broken)
    assert max(right.values()) <= GRADIENT_CHECK, right
    assert wrong["W1"] > 1e-2 and wrong["b1"] > 1e-2, wrong     # the check fails, and where:
    assert wrong["W2"] <= GRADIENT_CHECK and wrong["b2"] <= GRADIENT_CHECK, wrong   # not above
    params, x, y = helpers.check_batch(hidden=10)
    h, z2, a = level4_numpy.forward(x, params)
    y_t = torch.tensor(y)
    expected = autograd_gradients(
        lambda t: level3_autograd.loss_fn(level3_autograd.forward(torch.tensor(x), t)[1], y_t),
        params)
    grads = broken(x, y, params, h, a)                         # autograd disagrees too
    assert np.abs(grads["W1"] - expected["W1"]).max() > 1e-2 * np.abs(expected["W1"]).max()
    if broken is ex7.gradients_wrong_transpose:                # the shape check, for H != 10
        with pytest.raises(ValueError):
            ex7.check(broken, hidden=7)


# ---------------------------------------------------------------------------------------------
# 8. Level 1's training step, by hand
# ---------------------------------------------------------------------------------------------
def test_exercise_8_custom_train_step_gives_fits_weights(mnist_dir, data, start, tmp_path):
    init, out = tmp_path / "init.npz", tmp_path / "mine.npz"
    params_files.save(str(init), start)
    done = run_script("exercises/solution_8_train_step.py", "--data-dir", mnist_dir, "--limit",
                      1500, "--epochs", 2, "--batch-size", 50, "--lr", 0.7, "--hidden", 24,
                      "--dtype", "float64", "--init-from", init, "--save-weights", out,
                      home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = EPOCH_LINE.findall(done.stdout)
    assert len(lines) == 4                                     # two epochs each, fit's and mine
    same = [re.sub(r" +\S+ s$", "", line) for line in lines]   # all but the seconds
    assert same[:2] == same[2:]
    diff = float(re.search(r"largest \|dW\| between the two: (\S+);", done.stdout).group(1))
    assert diff <= LOCKSTEP
    with np.load(out) as f:
        mine = {name: f[name] for name in common.PARAM_NAMES}
    (x_train, y_train), _ = data
    numpy_weights = copy(start)
    for epoch in range(2):
        level4_numpy.train_epoch(numpy_weights, x_train, y_train, 50, 0.7, None, shuffle=False)
    assert helpers.max_abs_difference(numpy_weights, start) > 1e-2             # it trained
    assert helpers.max_abs_difference(mine, numpy_weights) <= LOCKSTEP         # level 4's weights
