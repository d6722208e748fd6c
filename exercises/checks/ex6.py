"""Exercise 6's checks: a network of any number of tanh layers, written as loops: the start, the
forward pass, the gradients layer by layer, and training.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import GRADIENT, require, array, relative_error, same_params, copy
from exercises.checks.exact import small_data, stated_loss, first_wrong, train, accuracy_on_test

TITLE = "a second hidden layer"


def layered_batch(sizes, seed, rows=5):
    """A float64 check batch for a network of layer sizes [784, H1, ..., 10]: Glorot weights,
    nonzero biases, the top weights times 4."""
    rng = np.random.default_rng(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = level4_numpy.glorot_normal(fan_in, fan_out, rng, np.float64)
        params[f"b{l}"] = rng.normal(0, 0.1, fan_out)
    params[f"W{len(sizes) - 1}"] *= 4
    x = rng.random((rows, sizes[0]))
    y = np.eye(common.N_OUTPUTS)[rng.integers(0, common.N_OUTPUTS, rows)]
    return params, x, y


def layered_exact(x, y, params):
    """hs, z, a and the parameter gradients of a tanh network of any depth, by autograd."""
    import torch
    n = len(params) // 2
    kept = {}

    def loss_of(t):
        h = torch.tensor(x)
        for l in range(1, n):
            h = torch.tanh(h @ t[f"W{l}"] + t[f"b{l}"])
            kept[l] = h
        z = h @ t[f"W{n}"] + t[f"b{n}"]
        kept["z"] = z
        return stated_loss("bce", z, torch.tensor(y))
    grads = helpers.autograd_gradients(loss_of, params)
    hs = [x] + [kept[l].detach().numpy() for l in range(1, n)]
    z = kept["z"].detach().numpy()
    return hs, z, 1 / (1 + np.exp(-z)), grads


def order_of(params):
    n = len(params) // 2
    return [name for l in range(n, 0, -1) for name in (f"W{l}", f"b{l}")]


def run(ex):
    def init():
        params = same_params(ex.call("init_params", [784, 40, 30, 10],
                                     np.random.default_rng(ex.seed), np.float32),
                             ["W1", "b1", "W2", "b2", "W3", "b3"], "what `init_params` returned")
        for l, (fan_in, fan_out) in enumerate([(784, 40), (40, 30), (30, 10)], start=1):
            w = array(params[f"W{l}"], f"W{l}", (fan_in, fan_out))
            array(params[f"b{l}"], f"b{l}", (fan_out,))
            require(np.asarray(params[f"W{l}"]).dtype == np.float32, f"W{l} is not float32")
            require(not np.any(params[f"b{l}"]), f"b{l} does not start at 0")
            require(np.abs(w).max() <= 2 * common.glorot_sigma(fan_in, fan_out) * (1 + 1e-6),
                    f"W{l} is not truncated at 2 sigma")
        std = float(np.std(params["W1"]))
        require(abs(std / np.sqrt(2 / (784 + 40)) - 1) <= 0.03,
                f"W1's standard deviation is {std:.4g}, not Glorot's sqrt(2 / (784 + 40))")
        return "784 -> 40 -> 30 -> 10: shapes, float32, Glorot normal weights, zero biases"
    ex.check("init_params", init)

    sizes = [784, 8, 6, 10]
    params, x, y = layered_batch(sizes, ex.seed)
    hs, z, a, grads = layered_exact(x, y, params)

    def forward():
        out = ex.call("forward", x, copy(params))
        require(isinstance(out, tuple) and len(out) == 3, "`forward` must return (hs, z, a)")
        require(len(out[0]) == 3, f"hs has {len(out[0])} entries, not 3 (x, h1, h2)")
        for what, yours, exact in [(f"hs[{i}]", out[0][i], hs[i]) for i in range(3)] + [
                ("z", out[1], z), ("a", out[2], a)]:
            error = relative_error(array(yours, what, exact.shape), exact)
            require(error <= 1e-12, f"{what} is off: relative error {error:.2g}")
        return "hs = [x, h1, h2], z and a as PyTorch computes them"
    ex.check("forward, two hidden layers", forward)

    def gradient():
        yours = ex.call("gradients", y, copy(params), hs, a)
        first_wrong(ex, "gradients", yours, grads, order_of(params))
        return f"every gradient within {GRADIENT:g} of autograd's"
    ex.check(f"gradients against autograd (784 -> 8 -> 6 -> 10, seed {ex.seed})", gradient)

    def deeper():
        deep, xd, yd = layered_batch([784, 6, 5, 4, 10], ex.seed + 1)
        hs_d, z_d, a_d, grads_d = layered_exact(xd, yd, deep)
        yours = ex.call("forward", xd, copy(deep))
        require(len(yours[0]) == 4, "with three hidden layers `forward` did not give 4 hs")
        first_wrong(ex, "gradients", ex.call("gradients", yd, copy(deep), hs_d, a_d), grads_d,
                    order_of(deep))
        one, x1, y1 = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
        h1, z1, a1 = level4_numpy.forward(x1, one)
        expected = level4_numpy.gradients(x1, y1, one, h1, a1)
        mine = ex.call("gradients", y1, copy(one), [x1, h1], a1)
        for k, v in expected.items():
            error = relative_error(array(mine.get(k), k, v.shape), v)
            require(error <= 1e-12, f"with one hidden layer, d{k} is not level 4's: relative "
                                    f"error {error:.2g}")
        return "the same loop is right for three hidden layers, and is level 4's for one"
    ex.check("the loop takes any number of layers (784 -> 6 -> 5 -> 4 -> 10, and one layer)",
             deeper, needs=["forward", "gradients"])

    def learns():
        data = small_data(600, 300, seed=9)
        trained = train(ex.fn("train_step"), ex.call("init_params", [784, 32, 16, 10],
                                                     np.random.default_rng(0), np.float64),
                        data, 0.5, 3)
        acc = accuracy_on_test(ex.call("forward", data[1][0], trained)[2], data)
        require(acc > 0.8, f"after 3 epochs the test accuracy is {100 * acc:.1f}%, not above 80%")
        return f"784 -> 32 -> 16 -> 10, lr 0.5, 3 epochs: test accuracy {100 * acc:.1f}%"
    ex.check("train_step learns (the checker's data)", learns,
             needs=["train_step", "init_params", "forward"])

