"""Exercise 1's checks: the MSE loss, its gradients, one step, and the confidently wrong start that
MSE unlearns slowly.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import GRADIENT, LOSS, require, number, same_params, copy
from exercises.checks.exact import (chain_graph, check_step, exact_gradients, exact_loss,
                                    exact_step, exact_trainer, first_wrong, hard_data, learns,
                                    small_data, start_params)

TITLE = "mean squared error instead of cross-entropy"
CHILD = "numpy"               # its functions run where PyTorch and TensorFlow are not


def nth_batch(k, n, batch_size):
    """Rows lo:hi of batch k in dataset order, epoch after epoch (the last batch of an epoch may
    be shorter): what steps_to_recover's docstring defines."""
    per_epoch = -(-n // batch_size)
    lo = (k % per_epoch) * batch_size
    return lo, min(lo + batch_size, n)


def count_steps(step, start, x, y, batch_size, lr, max_steps):
    """The figure of exercise 1 as its docstring defines it (see exercise_1.steps_to_recover)."""
    params = copy(start)
    for k in range(max_steps + 1):
        lo, hi = nth_batch(k, len(x), batch_size)
        if level4_numpy.forward(x[lo:hi], params)[2][:, 0].mean() < 0.5:
            return k
        if k == max_steps:
            return None
        step(params, x[lo:hi], y[lo:hi], lr)


def mse_step(params, x, y, lr):
    """An exact MSE step, for counting steps; params changed in place."""
    for k, v in exact_step(params, x, y, lr, "mse").items():
        params[k][...] = v
    return exact_loss(x, y, params, "mse"), 0.0


def run(ex):
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)

    def loss():
        yours = number(ex.call("loss_mse", a.copy(), y.copy()), "`loss_mse`")
        exact = float(np.mean((a - y) ** 2))
        require(abs(yours - exact) <= LOSS * exact,
                f"`loss_mse` gave {yours:.10g}; mean((a - y)^2) over the B x 10 numbers is "
                f"{exact:.10g}")
        return f"{yours:.6f} on the check batch, as mean((a - y)^2)"
    ex.check("loss_mse is the mean of (a - y)^2 over B x 10", loss)

    def gradient():
        yours = ex.call("gradients_mse", x, y, copy(params), h, a)
        first_wrong(ex, "gradients_mse", yours, exact_gradients(x, y, params, "mse"),
                    graph=chain_graph(x, params))
        errors = helpers.gradient_check(
            lambda p: exact_loss(x, y, p, "mse"), yours, copy(params))
        require(max(errors.values()) <= GRADIENT,
                f"finite differences disagree: {helpers.format_errors(errors)}")
        return (f"every quantity within {GRADIENT:g} of autograd's; finite differences "
                f"{helpers.format_errors(errors)}")
    ex.check(f"gradients_mse against autograd and finite differences (check batch H 9, 5 rows, "
             f"seed {ex.seed})", gradient)

    def step():
        check_step("train_step_mse", ex.fn("train_step_mse"), copy(params), x, y, 0.5,
                   exact_step(params, x, y, 0.5, "mse"), exact_loss(x, y, params, "mse"))
        steps = ex.fn("STEPS")
        require(isinstance(steps, dict) and set(steps) == {"BCE", "MSE"},
                "STEPS must be a dict with the keys \"BCE\" and \"MSE\"")
        require(steps["MSE"] is ex.fn("train_step_mse"), "STEPS[\"MSE\"] is not train_step_mse")
        return "one SGD step of lr 0.5 is theta - lr dL/dtheta, and the loss is before it"
    ex.check("train_step_mse, and STEPS", step, needs=["train_step_mse"])

    def learning():
        data = hard_data(600, 300, seed=1)
        return learns(ex.fn("train_step_mse"), exact_trainer("mse"), start_params(10, 0), data,
                      1.0, 3, lambda x, p: level4_numpy.forward(x, p)[2])
    ex.check("train_step_mse learns as the exact MSE step does (the checker's harder data, H 10, "
             "lr 1, 3 epochs)", learning)

    def start():
        rng = np.random.default_rng(ex.seed)
        yours = same_params(ex.call("confidently_wrong_start", 13, rng, np.float32),
                            common.PARAM_NAMES, "what `confidently_wrong_start` returned")
        expected = level4_numpy.init_params(13, np.random.default_rng(ex.seed), np.float32)
        expected["b2"][0] = 6
        for k, v in expected.items():
            got = np.asarray(yours[k])
            require(got.dtype == np.float32, f"{k} is {got.dtype}, not the dtype asked for")
            require(got.shape == v.shape and np.array_equal(got, v),
                    f"{k} is not level4_numpy.init_params(hidden, rng, dtype)'s with b2[0] = 6")
        return "level 4's start from the same rng, b2[0] = 6 (H 13, float32)"
    ex.check("confidently_wrong_start", start)

    data = small_data(600, 200, seed=1)
    (x_train, y_train), _ = data
    wrong = level4_numpy.init_params(24, np.random.default_rng(5), np.float64)
    wrong["b2"][0] = 6

    def first():
        xb, yb = x_train[:32], y_train[:32]
        found = {}
        for loss in ("BCE", "MSE"):
            yours = number(ex.call("first_gradient", loss, copy(wrong), xb, yb),
                           f"first_gradient({loss!r}, ...)")
            exact = abs(exact_gradients(xb, yb, wrong, loss.lower())["b2"][0])
            require(abs(yours - exact) <= GRADIENT * exact,
                    f"first_gradient({loss!r}) gave {yours:.6g}; |dL/db2[0]| on that batch is "
                    f"{exact:.6g}")
            found[loss] = yours
        return f"BCE {found['BCE']:.3g}, MSE {found['MSE']:.3g}, as autograd's"
    ex.check("first_gradient, BCE and MSE, on a batch of the checker's data", first)

    def counting():
        counter = ex.fn("steps_to_recover")
        found = []
        for loss, step, lr in (("BCE", level4_numpy.train_step, 1.0), ("MSE", mse_step, 1.0)):
            expected = count_steps(step, wrong, x_train, y_train, 32, lr, 300)
            before = copy(wrong)
            yours = counter(step, wrong, x_train, y_train, 32, lr, 300)
            require(helpers.max_abs_difference(before, wrong) == 0,
                    "`steps_to_recover` changed `start`: train a copy of it")
            require(yours == expected,
                    f"{loss} at lr {lr:g} (the checker's exact step): `steps_to_recover` counted "
                    f"{yours}, the docstring's definition gives {expected}")
            if expected:
                fewer = counter(step, wrong, x_train, y_train, 32, lr, expected - 1)
                require(fewer is None, f"with max_steps = {expected - 1}, one update too few, "
                                       f"`steps_to_recover` returned {fewer}, not None")
            found.append(f"{loss} {expected}")
        return ", ".join(found) + " steps, and None when max_steps is one too few"
    ex.check("steps_to_recover counts as its docstring defines (the checker's steps, 600 rows, "
             "batch 32)", counting)

    def claim():
        steps = ex.fn("STEPS")
        count, grad = {}, {}
        for loss in ("BCE", "MSE"):
            grad[loss] = number(ex.call("first_gradient", loss, copy(wrong), x_train[:32],
                                        y_train[:32]), "first_gradient")
            count[loss] = ex.call("steps_to_recover", steps[loss], wrong, x_train, y_train, 32,
                                  1.0, 300)
        ratio = grad["BCE"] / grad["MSE"]
        require(ratio > 50, f"MSE's first |dL/db2[0]| is {ratio:.3g} times BCE's, not 50 times "
                            f"smaller or more" if ratio >= 1 else
                            f"MSE's first |dL/db2[0]| is {1 / ratio:.3g} times larger than BCE's, "
                            f"not 50 times smaller or more")
        require(count["BCE"] is not None and count["BCE"] <= 10,
                f"BCE took {count['BCE']} steps, more than 10")
        require(count["MSE"] is None or count["MSE"] >= 10 * count["BCE"],
                f"MSE took {count['MSE']} steps against BCE's {count['BCE']}: not 10 times more")
        mse = "more than 300" if count["MSE"] is None else count["MSE"]
        return (f"first |dL/db2[0]| {ratio:.0f} times smaller with MSE; steps until output 0's "
                f"mean falls below 0.5, lr 1: BCE {count['BCE']}, MSE {mse}")
    ex.check("the confidently wrong start unlearns slowly with MSE (your STEPS, lr 1)", claim,
             needs=["first_gradient", "steps_to_recover", "train_step_mse", "gradients_mse"])

