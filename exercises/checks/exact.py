"""The exact values the checks compare with: the tasks' statements, computed by PyTorch's
autograd (never from a solution), and the small data the checker makes itself (no MNIST).

PyTorch is imported inside the functions that use it, so that the Keras process can import this
module without it.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import (LOSS, STEP, Failure, array, copy, number, relative_error,
                                   require)


def small_data(n_train=600, n_test=300, seed=0):
    """(x_train, y_train), (x_test, y_test), float64: MNIST-like data that a small network learns
    in a few epochs - one random template image per digit, plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 2, (10, common.N_INPUTS)) * 200.0

    def draw(n):
        labels = rng.integers(0, 10, n)
        images = np.clip(templates[labels] + rng.normal(0, 40, (n, common.N_INPUTS)), 0, 255)
        return np.floor(images) / 255, np.eye(common.N_OUTPUTS)[labels]
    return draw(n_train), draw(n_test)


def start_params(hidden, seed):
    """Level 4's Glorot start, float64."""
    return level4_numpy.init_params(hidden, np.random.default_rng(seed), np.float64)


def stated_loss(loss, z2, y):
    """The loss each exercise states, in PyTorch: L from z2 (B x 10) and the one-hot y."""
    import torch
    if loss == "bce":         # the project's: mean over B x 10 of log(1 + e^z2) - y z2
        return torch.mean(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2)
    if loss == "sum":         # exercise 4: summed over the 10 outputs, mean over the batch
        return torch.mean(torch.sum(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2, dim=1))
    if loss == "mse":         # exercise 1: mean over B x 10 of (a - y)^2
        return torch.mean((torch.sigmoid(z2) - y) ** 2)
    if loss == "softmax":     # exercise 3: categorical cross-entropy of softmax(z2), mean over B
        return torch.nn.functional.cross_entropy(z2, y.argmax(dim=1))
    raise ValueError(loss)


def torch_network(x, t, hidden="tanh"):
    """z1, h, z2 in PyTorch, from parameter tensors t: the forward pass of README's mathematics."""
    import torch
    z1 = torch.as_tensor(x) @ t["W1"] + t["b1"]
    h = torch.tanh(z1) if hidden == "tanh" else torch.relu(z1)
    return z1, h, h @ t["W2"] + t["b2"]


def exact_gradients(x, y, params, loss="bce", hidden="tanh"):
    """dL/dz2, dL/dW2, dL/db2, dL/dh, dL/dz1, dL/dW1, dL/db1 by PyTorch's autograd."""
    import torch
    y_t = torch.as_tensor(y)

    def loss_of(t):
        z1, h, z2 = torch_network(x, t, hidden)
        return stated_loss(loss, z2, y_t), {"z2": z2, "h": h, "z1": z1}
    return helpers.autograd_gradients(loss_of, params)


def exact_loss(x, y, params, loss="bce", hidden="tanh"):
    """The loss as the exercise states it, in NumPy (fast enough for finite differences)."""
    z1 = x @ params["W1"] + params["b1"]
    h = np.tanh(z1) if hidden == "tanh" else np.maximum(z1, 0)
    z2 = h @ params["W2"] + params["b2"]
    if loss == "bce":
        return float(np.mean(np.logaddexp(0, z2) - y * z2))
    if loss == "sum":
        return float(np.mean(np.sum(np.logaddexp(0, z2) - y * z2, axis=1)))
    if loss == "mse":
        return float(np.mean((1 / (1 + np.exp(-z2)) - y) ** 2))
    if loss == "softmax":
        return float(np.mean(np.logaddexp.reduce(z2, axis=1) - (y * z2).sum(axis=1)))
    raise ValueError(loss)


def exact_step(params, x, y, lr, loss="bce", hidden="tanh"):
    """One SGD step, theta <- theta - lr dL/dtheta, with autograd's gradients: new parameters."""
    grads = exact_gradients(x, y, params, loss, hidden)
    return {k: v - lr * grads[k] for k, v in params.items()}


def check_step(name, step, params, x, y, lr, expected, loss_before):
    """step(params, x, y, lr) must change params in place to `expected` and return the batch's
    loss before the update, and its accuracy."""
    before = copy(params)
    out = step(params, x, y, lr)
    require(isinstance(out, tuple) and len(out) == 2,
            f"`{name}` returned {type(out).__name__}, not (loss, accuracy)")
    for k in expected:
        change = array(params[k], f"params[{k!r}] after `{name}`", before[k].shape) - before[k]
        require(np.abs(change).max() > 0, f"`{name}` did not change params[{k!r}] in place")
        error = relative_error(change, expected[k] - before[k])
        require(error <= STEP, f"`{name}` changed params[{k!r}] by another amount than "
                               f"-lr dL/d{k}: relative error {error:.2g}")
    loss = number(out[0], f"the loss `{name}` returned")
    require(abs(loss - loss_before) <= LOSS * abs(loss_before),
            f"`{name}` returned the loss {loss:.10g}; the batch's loss before the update is "
            f"{loss_before:.10g}")
    return loss


def first_wrong(ex, name, yours, exact, order=helpers.CHAIN):
    """The gradient check: a table, and a Failure naming the first wrong quantity."""
    rows, first = ex.gradients(name, yours, exact, order)
    if first is not None:
        raise Failure(helpers.first_wrong_in_words(first, rows))
    return rows


def train(step, params, data, lr, epochs, batch_size=32, seed=0, shuffle=True):
    (x_train, y_train), _ = data
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        helpers.train_epoch(step, params, x_train, y_train, batch_size, lr, rng, shuffle)
    return params


def accuracy_on_test(a_or_z, data):
    (_, _), (x_test, y_test) = data
    return float(np.mean(np.asarray(a_or_z).argmax(axis=1) == y_test.argmax(axis=1)))
