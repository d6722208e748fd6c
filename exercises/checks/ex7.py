"""Exercise 7's checks: they pass when the broken gradients fail in the right place: the
student's finite-difference check, where each mistake enters the chain, and how the broken
versions train.
"""

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import GRADIENT, Failure, require, number, relative_error, copy
from exercises.checks.exact import (small_data, start_params, exact_gradients, exact_loss,
                                    exact_step, check_step, train, accuracy_on_test)

TITLE = "break it on purpose"


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
        except ValueError:
            return "first wrong at dh, which is dL/dz2 W2; with H = 7 a ValueError (shapes)"
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
        data = small_data(1200, 300, seed=10)
        accs = {}
        for name in ("level4_numpy.gradients", "gradients_without_tanh_derivative",
                     "gradients_wrong_transpose"):
            gradients = level4_numpy.gradients if "." in name else ex.fn(name)
            trained = train(ex.call("train_step_with", gradients), start_params(10, 0), data,
                            1.0, 3)
            accs[name] = accuracy_on_test(level4_numpy.forward(data[1][0], trained)[2], data)
            require(accs[name] > 0.3, f"trained with {name}, the test accuracy is "
                                      f"{100 * accs[name]:.1f}%, not above 30%")
        return ("and yet they learn: test accuracy without (1 - h^2) "
                f"{100 * accs['gradients_without_tanh_derivative']:.1f}%, wrong transpose "
                f"{100 * accs['gradients_wrong_transpose']:.1f}%, level 4's own "
                f"{100 * accs['level4_numpy.gradients']:.1f}% (guessing: 10%)")
    ex.check("train_step_with: level 4's step with another gradients(); the broken ones train "
             "(the checker's data, H 10, lr 1, 3 epochs)", trains,
             needs=["train_step_with", "gradients_without_tanh_derivative",
                    "gradients_wrong_transpose"])

