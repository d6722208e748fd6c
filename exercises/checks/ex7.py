"""Exercise 7's checks: they pass when the broken gradients fail in the right place: the
student's finite-difference check, where each mistake enters the chain, and how the broken
versions train.
"""

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import GRADIENT, Failure, require, number, relative_error, copy
from exercises.checks.remote import StudentError
from exercises.checks.exact import (check_step, exact_gradients, exact_loss, exact_step,
                                    hard_data, learns, start_params, stated_loss)

TITLE = "break it on purpose"
CHILD = "numpy"               # its functions run where PyTorch and TensorFlow are not


def run(ex):
    def errors_of(gradients, *hidden):
        errors = ex.call("check", gradients, *hidden)
        require(isinstance(errors, dict) and set(common.PARAM_NAMES) <= set(errors),
                "`check` must return {parameter: relative error} for W1, b1, W2, b2")
        return {k: number(errors[k], f"check(...)[{k!r}]") for k in common.PARAM_NAMES}

    def right():
        for hidden in ((), (12,)):
            errors = errors_of(level4_numpy.gradients, *hidden)
            require(max(errors.values()) <= GRADIENT,
                    f"check(level4_numpy.gradients{', hidden=12' if hidden else ''}) fails a "
                    f"right gradient: {helpers.format_errors(errors)}")

        def doubled(x, y, params, h, a):
            grads = level4_numpy.gradients(x, y, params, h, a)
            return {**grads, "W1": 2 * grads["W1"]}
        errors = errors_of(doubled)
        require(errors["W1"] > 1e-2, "`check` passes a dL/dW1 twice too large: it must compare "
                                     "with finite differences")
        return "passes level 4's gradients (H 10 and H 12), fails a doubled dL/dW1"
    ex.check("check() is a finite-difference check", right)

    for name in ("gradients_without_tanh_derivative", "gradients_wrong_transpose"):
        def caught(name=name):
            errors = errors_of(ex.fn(name))
            require(errors["W1"] > 1e-2 and errors["b1"] > 1e-2,
                    f"check({name}) does not fail W1 and b1: {helpers.format_errors(errors)}")
            require(errors["W2"] <= GRADIENT and errors["b2"] <= GRADIENT,
                    f"check({name}) fails W2 or b2, above the mistake: "
                    f"{helpers.format_errors(errors)}")
            return f"{helpers.format_errors(errors)}"
        ex.check(f"check({name}) fails W1 and b1, passes W2 and b2", caught,
                 needs=[name, "check"])

    params, x, y = helpers.check_batch(hidden=10, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)
    exact = exact_gradients(x, y, params)

    def where_tanh():
        rows, first = ex.gradients("gradients_without_tanh_derivative", ex.call(
            "gradients_without_tanh_derivative", x, y, copy(params), h, a), exact)
        require(first is not None, "it is right: it must make the mistake the exercise asks "
                                   "for, dL/dz1 = dL/dh")
        require(first.name == "z1", f"the first wrong quantity is d{first.name}, not dz1: "
                                    f"{helpers.first_wrong_in_words(first, rows)}")
        yours = ex.call("gradients_without_tanh_derivative", x, y, copy(params), h, a)
        error = relative_error(yours["z1"], exact["h"])
        require(error <= GRADIENT, f"dL/dz1 is not dL/dh, the mistake asked for: relative "
                                   f"error {error:.2g}")
        return "first wrong at dz1, which is dL/dh: the mistake asked for"
    ex.check(f"gradients_without_tanh_derivative goes wrong at dz1 (check batch H 10, seed "
             f"{ex.seed})", where_tanh)

    def where_transpose():
        rows, first = ex.gradients("gradients_wrong_transpose", ex.call(
            "gradients_wrong_transpose", x, y, copy(params), h, a), exact)
        require(first is not None, "it is right: it must make the mistake the exercise asks "
                                   "for, dL/dh = dL/dz2 W2")
        require(first.name == "h", f"the first wrong quantity is d{first.name}, not dh: "
                                   f"{helpers.first_wrong_in_words(first, rows)}")
        yours = ex.call("gradients_wrong_transpose", x, y, copy(params), h, a)
        error = relative_error(yours["h"], exact["z2"] @ params["W2"])
        require(error <= GRADIENT, f"dL/dh is not dL/dz2 W2, the mistake asked for: relative "
                                   f"error {error:.2g}")
        try:
            ex.call("check", ex.fn("gradients_wrong_transpose"), 7)
        except StudentError as e:
            if e.info["type"] == "ValueError":
                return "first wrong at dh, which is dL/dz2 W2; with H = 7 a ValueError (shapes)"
            raise
        raise Failure("check(gradients_wrong_transpose, hidden=7) did not raise ValueError: "
                      "with H != 10 the product dL/dz2 W2 must not fit")
    ex.check("gradients_wrong_transpose goes wrong at dh, and fails to run at H = 7",
             where_transpose, needs=["gradients_wrong_transpose", "check"])

    def trains():
        step = ex.call("train_step_with", level4_numpy.gradients)
        require(callable(step), "`train_step_with` must return a step function")
        p = copy(params)
        check_step("train_step_with(level4_numpy.gradients)", step, p, x, y, 1.0,
                   exact_step(params, x, y, 1.0), exact_loss(x, y, params))
        data, start = hard_data(600, 300, seed=11), start_params(10, 0)
        found = []
        for name, mistake in (("level4_numpy.gradients", None),
                              ("gradients_without_tanh_derivative", "no tanh'"),
                              ("gradients_wrong_transpose", "W2 not transposed")):
            gradients = level4_numpy.gradients if mistake is None else ex.fn(name)
            words = learns(ex.call("train_step_with", gradients), mistaken_step(mistake), start,
                           data, 1.0, 3, lambda x, p: level4_numpy.forward(x, p)[2],
                           exact="the exact step" if mistake is None else "the mistake itself",
                           meaning=f"with {name} does not train as the exact step "
                                   f"{'' if mistake is None else 'with that mistake '}does")
            accuracy = float(words.split("test accuracy ")[1].split("%")[0])
            require(accuracy > 30, f"trained with {name}, the test accuracy is {accuracy:.1f}%, "
                                   f"not above 30%")
            found.append(accuracy)
        return (f"and yet they learn: test accuracy without (1 - h^2) {found[1]:.1f}%, wrong "
                f"transpose {found[2]:.1f}%, level 4's own {found[0]:.1f}% (guessing: 10%), each "
                f"as the exact step with that mistake")
    ex.check("train_step_with: level 4's step with another gradients(); the broken ones train "
             "as the mistakes themselves do (the checker's harder data, H 10, lr 1, 3 epochs)",
             trains,
             needs=["train_step_with", "gradients_without_tanh_derivative",
                    "gradients_wrong_transpose"])


def mistaken_step(mistake):
    """A training step with autograd's gradients of the network with a mistake in its backward
    pass, made by autograd itself: "no tanh'" (dL/dz1 = dL/dh: h is tanh(z1) going forward and
    z1 going backward) or "W2 not transposed" (dL/dh = dL/dz2 W2, for H = 10); None for none."""
    import torch

    class Untransposed(torch.autograd.Function):
        @staticmethod
        def forward(h, w):
            return h @ w

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            h, w = ctx.saved_tensors
            return grad @ w, h.T @ grad          # dL/dh = dL/dz2 W2: the mistake

    def step(params, x, y, lr):
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        z1 = torch.as_tensor(x) @ t["W1"] + t["b1"]
        h = z1 + (torch.tanh(z1) - z1).detach() if mistake == "no tanh'" else torch.tanh(z1)
        product = Untransposed.apply(h, t["W2"]) if mistake == "W2 not transposed" else \
            h @ t["W2"]
        stated_loss("bce", product + t["b2"], torch.as_tensor(y)).backward()
        for k in params:
            params[k] -= lr * t[k].grad.numpy()
        return 0.0, 0.0
    return step
