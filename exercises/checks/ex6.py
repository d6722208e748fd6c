"""Exercise 6's checks: a network of any number of tanh layers, written as loops: the start, the
forward pass, the gradients layer by layer, and training.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import (GRADIENT, Failure, array, copy, relative_error, require,
                                   same_params)
from exercises.checks.exact import first_wrong, hard_data, learns, stated_loss

TITLE = "a second hidden layer"
CHILD = "numpy"               # its functions run where PyTorch and TensorFlow are not


def layered_batch(sizes, seed, rows=5):
    """A float64 check batch for a network of layer sizes [784, H1, ..., 10]: Glorot weights,
    nonzero biases, the top weights times 4 (helpers.check_batch_layers())."""
    return helpers.check_batch_layers(sizes, rows, seed)


def layered_forward(x, t):
    """The z_l of each layer of a tanh network of any depth, in PyTorch, from the parameter
    tensors t: {"z1": ..., "zL": ...}."""
    import torch
    n = len(t) // 2
    h, zs = torch.as_tensor(x), {}
    for l in range(1, n + 1):
        zs[f"z{l}"] = h @ t[f"W{l}"] + t[f"b{l}"]
        h = torch.tanh(zs[f"z{l}"])
    return zs


def layered_exact(x, y, params):
    """hs, z, a and the gradients (dL/dW_l, dL/db_l, dL/dz_l) of a tanh network of any depth,
    by autograd."""
    import torch
    n = len(params) // 2
    kept = {}

    def loss_of(t):
        kept.update(layered_forward(x, t))
        return stated_loss("bce", kept[f"z{n}"], torch.tensor(y)), dict(kept)
    grads = helpers.autograd_gradients(loss_of, params)
    hs = [x] + [np.tanh(kept[f"z{l}"].detach().numpy()) for l in range(1, n)]
    z = kept[f"z{n}"].detach().numpy()
    return hs, z, 1 / (1 + np.exp(-z)), grads


def layered_graph(x, params):
    """The tensors of the chain (W_l, b_l, z_l) for exact.follow_on()."""
    import torch
    t = {k: torch.tensor(np.asarray(v, np.float64), requires_grad=True)
         for k, v in params.items()}
    return {**t, **layered_forward(x, t)}


def exact_layered_step(params, x, y, lr):
    """One step with autograd's gradients, as a student's train_step is called."""
    grads = layered_exact(x, y, params)[3]
    for k in params:
        params[k] -= lr * grads[k]
    return 0.0, 0.0


def predict(x, params):
    import torch
    n = len(params) // 2
    t = {k: torch.tensor(v) for k, v in params.items()}
    return layered_forward(x, t)[f"z{n}"].numpy()


def check_chain(ex, yours, x, params, grads):
    """The gradient check of a network of any depth, in the chain's order z_L, W_L, b_L, ...,
    z_1, W_1, b_1: names the first wrong quantity, and the layer where the error enters."""
    layers = len(params) // 2
    order, computed_from = helpers.layer_chain(layers)
    try:
        first_wrong(ex, "gradients", yours, grads, order, layered_graph(x, params), computed_from)
    except Failure as e:
        words = str(e)
        if isinstance(yours, dict) and all(k in yours for k in order):
            rows, first = helpers.compare_gradients(yours, grads, order)
            if first is not None:
                words += ". " + where_it_enters(first, layers)
        raise Failure(words) from None


def where_it_enters(first, layers):
    """In words, the layer (1 to `layers`, counted from the input) where the error enters."""
    l = int(first.name[1:])
    if first.name == f"z{layers}":
        return (f"The error enters at the top layer, {layers}: dL/dz{layers} = (a - y) / (10 B), "
                f"as at level 4")
    if first.name.startswith("z"):
        return (f"The error enters at layer {l}: dL/dz{l}, from layer {l + 1}'s dL/dz{l + 1} "
                f"(which is right), W{l + 1} and h{l}")
    return f"The error is in layer {l}'s d{first.name}, from its dL/dz{l}, which is right"


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
            require(np.abs(w).max() <= 2 * common.glorot_s0(fan_in, fan_out) * (1 + 1e-6),
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
        check_chain(ex, ex.call("gradients", y, copy(params), hs, a), x, params, grads)
        return f"every gradient, dL/dz of each layer too, within {GRADIENT:g} of autograd's"
    ex.check(f"gradients against autograd (784 -> 8 -> 6 -> 10, seed {ex.seed})", gradient)

    def deeper():
        deep, xd, yd = layered_batch([784, 6, 5, 4, 10], ex.seed + 1)
        hs_d, z_d, a_d, grads_d = layered_exact(xd, yd, deep)
        yours = ex.call("forward", xd, copy(deep))
        require(len(yours[0]) == 4, "with three hidden layers `forward` did not give 4 hs")
        check_chain(ex, ex.call("gradients", yd, copy(deep), hs_d, a_d), xd, deep, grads_d)
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

    def learning():
        rng = np.random.default_rng(0)
        start = {}
        for l, (fan_in, fan_out) in enumerate([(784, 32), (32, 16), (16, 10)], start=1):
            start[f"W{l}"] = level4_numpy.glorot_normal(fan_in, fan_out, rng, np.float64)
            start[f"b{l}"] = np.zeros(fan_out)
        return learns(ex.fn("train_step"), exact_layered_step, start,
                      hard_data(600, 300, seed=9), 0.5, 3, predict)
    ex.check("train_step learns as the exact step does (the checker's harder data, "
             "784 -> 32 -> 16 -> 10, lr 0.5, 3 epochs)", learning, needs=["train_step"])

