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


def hard_data(n_train=600, n_test=300, seed=0):
    """(x_train, y_train), (x_test, y_test), float64: data on which training takes some doing,
    so that a wrong step shows in the accuracy. Like MNIST, mostly zeros: each digit is three
    of eight random strokes (so digits share strokes), of which each image keeps about 70% of
    the pixels, plus 5% stray pixels. Level 4 at H 10, lr 1, batch 32 reaches about 94% after
    3 epochs on seed 1's, and without tanh's derivative in the backward pass about 52%."""
    rng = np.random.default_rng(seed)
    strokes = rng.random((8, common.N_INPUTS)) < 0.06
    templates = np.array([strokes[rng.choice(8, 3, replace=False)].any(axis=0)
                          for _ in range(common.N_OUTPUTS)])

    def draw(n):
        labels = rng.integers(0, common.N_OUTPUTS, n)
        on = (templates[labels] & (rng.random((n, common.N_INPUTS)) < 0.7)) | \
            (rng.random((n, common.N_INPUTS)) < 0.05)
        images = on * rng.uniform(128, 255, (n, common.N_INPUTS))
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


def exact_trainer(loss="bce", hidden="tanh"):
    """A training step with autograd's gradients of the stated loss, as a student's step is
    called: step(params, x, y, lr) changes params in place and returns (loss before, 0)."""
    def step(params, x, y, lr):
        before = exact_loss(x, y, params, loss, hidden)
        for k, v in exact_gradients(x, y, params, loss, hidden).items():
            if k in params:
                params[k] -= lr * v
        return before, 0.0
    return step


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


def first_wrong(ex, name, yours, exact, order=helpers.CHAIN, graph=None,
                computed_from=helpers.FROM):
    """The gradient check: a table, and a Failure naming the first wrong quantity. With the
    network's graph (chain_graph()), each wrong quantity below it is marked in the table as
    following from it (its own line is right, given yours above it) or as wrong on its own."""
    marks = {}

    def marks_of(rows, first):
        marks.update(follow_on(rows, first, yours, graph, computed_from))
        return marks
    rows, first = ex.gradients(name, yours, exact, order, marks_of)
    if first is not None:
        words = helpers.first_wrong_in_words(first, rows, computed_from)
        own = [n for n, mark in marks.items() if mark == OWN]
        if own:
            words += (f"; {', '.join('d' + n for n in own)} {'is' if len(own) == 1 else 'are'} "
                      f"wrong in {'its' if len(own) == 1 else 'their'} own line too")
        raise Failure(words)
    return rows


FOLLOWS, OWN = "follows from d{}", "wrong in its own line too"


def chain_graph(x, params, hidden="tanh"):
    """The forward pass in PyTorch, its tensors by the chain's names (W1, b1, z1, h, W2, b2,
    z2), for follow_on()."""
    import torch
    t = {k: torch.tensor(np.asarray(v, np.float64), requires_grad=True)
         for k, v in params.items()}
    z1, h, z2 = torch_network(x, t, hidden)
    return {**t, "z1": z1, "h": h, "z2": z2}


def follow_on(rows, first, yours, graph, computed_from):
    """{name: mark} for the wrong quantities below the first wrong one: FOLLOWS when yours is
    what autograd's one step from your own quantity above it gives (the error came from there),
    else OWN."""
    import torch
    marks = {}
    if first is None or graph is None:
        return marks
    names = [row.name for row in rows]
    for row in rows[names.index(first.name) + 1:]:
        parent = computed_from.get(row.name)
        if row.close or parent not in graph or row.name not in graph or parent not in yours:
            continue
        try:
            upstream = torch.as_tensor(np.asarray(yours[parent], np.float64))
            expected = torch.autograd.grad(graph[parent], graph[row.name], upstream,
                                           retain_graph=True)[0].numpy()
            mine = np.asarray(yours[row.name], np.float64)
        except (RuntimeError, TypeError, ValueError):
            continue                           # a shape that does not fit: nothing to say
        follows = mine.shape == expected.shape and np.isfinite(mine).all() and \
            relative_error(mine, expected) <= helpers.TOLERANCE
        marks[row.name] = FOLLOWS.format(parent) if follows else OWN
    return marks


def learns(step, exact_step, start, data, lr, epochs, predict, batch_size=32,
           exact="the exact step", meaning="does not take the steps -lr dL/dtheta of the stated "
                                            "loss"):
    """The "learns" check: train a copy of start with the student's step and one with the exact
    step, on the same batches in dataset order; the student's test accuracy must be within a
    point of the exact step's. Returns the words of a pass, or raises Failure."""
    found = []
    for one in (step, exact_step):
        params = train(one, copy(start), data, lr, epochs, batch_size, shuffle=False)
        found.append(accuracy_on_test(predict(data[1][0], params), data))
    yours, reference = found
    require(abs(yours - reference) <= 0.01,
            f"after {epochs} epochs your step reaches a test accuracy of {100 * yours:.1f}%, "
            f"{exact} {100 * reference:.1f}% from the same start on the same batches: your "
            f"step {meaning}")
    return f"test accuracy {100 * yours:.1f}%, as {exact}'s {100 * reference:.1f}%"


def train(step, params, data, lr, epochs, batch_size=32, seed=0, shuffle=True):
    (x_train, y_train), _ = data
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        helpers.train_epoch(step, params, x_train, y_train, batch_size, lr, rng, shuffle)
    return params


def accuracy_on_test(a_or_z, data):
    (_, _), (x_test, y_test) = data
    return float(np.mean(np.asarray(a_or_z).argmax(axis=1) == y_test.argmax(axis=1)))
