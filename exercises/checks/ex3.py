"""Exercise 3's checks: softmax and its cross-entropy at level 4; then, with the student's Keras
code run where Keras runs, what CategoricalCrossentropy computes on a sigmoid output, and what
fit() trains with it.
"""

import numpy as np

import level4_numpy
from exercises import helpers
from exercises.checks.core import (GRADIENT, LOCKSTEP, require, array, number, relative_error,
                                   copy, weights)
from exercises.checks.exact import (chain_graph, check_step, exact_gradients, exact_loss,
                                    exact_step, exact_trainer, first_wrong, hard_data, learns,
                                    small_data, start_params)

TITLE = "softmax and categorical cross-entropy, and a Keras trap"
CHILD = "numpy"               # its NumPy functions run where PyTorch and TensorFlow are not
KERAS = True                  # and its Keras functions where Keras is
TRAP = dict(hidden=24, seed=11, rows=600, batch_size=50, lr=0.1, epochs=2)


def run(ex):
    import torch
    F = torch.nn.functional
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)

    def softmax():
        for scale in (1, 1000):
            yours = array(ex.call("softmax", z2 * scale), "what `softmax` returned", z2.shape)
            exact = F.softmax(torch.tensor(z2 * scale), dim=1).numpy()
            error = relative_error(yours, exact)
            require(error <= 1e-12, f"softmax(z2 x {scale}) is off: relative error {error:.2g}"
                    + (" (e^z2 overflows: subtract the row's largest z2 first)" if scale > 1
                       else ""))
        return "equals torch.softmax, also for z2 in the thousands"
    ex.check("softmax", softmax)

    def loss():
        for scale in (1, 1000):
            yours = number(ex.call("loss_softmax", z2 * scale, y), "what `loss_softmax` returned")
            exact = float(F.cross_entropy(torch.tensor(z2 * scale), torch.tensor(y.argmax(1))))
            require(abs(yours - exact) <= 1e-12 * abs(exact),
                    f"loss_softmax(z2 x {scale}) is {yours:.10g}, torch's cross_entropy "
                    f"{exact:.10g}" + (" (not stable for large z2)" if scale > 1 else ""))
        return "equals torch.nn.functional.cross_entropy, also for z2 in the thousands"
    ex.check("loss_softmax", loss)

    def gradient():
        p = F.softmax(torch.tensor(z2), dim=1).numpy()
        yours = ex.call("gradients_softmax", x, y, copy(params), h, p)
        first_wrong(ex, "gradients_softmax", yours, exact_gradients(x, y, params, "softmax"),
                    graph=chain_graph(x, params))
        return f"every quantity within {GRADIENT:g} of autograd's"
    ex.check(f"gradients_softmax against autograd (check batch H 9, seed {ex.seed})", gradient)

    def step():
        check_step("train_step_softmax", ex.fn("train_step_softmax"), copy(params), x, y,
                   0.1, exact_step(params, x, y, 0.1, "softmax"),
                   exact_loss(x, y, params, "softmax"))
        trained = learns(ex.fn("train_step_softmax"), exact_trainer("softmax"),
                         start_params(32, 0), hard_data(600, 300, seed=3), 0.1, 3,
                         lambda x, p: level4_numpy.forward(x, p)[1])
        return f"one step as autograd's; {trained}"
    ex.check("train_step_softmax: one exact step, and it learns as the exact step does (the "
             "checker's harder data, H 32, lr 0.1, 3 epochs)", step, needs=["train_step_softmax"])

    start = start_params(TRAP["hidden"], TRAP["seed"])
    data = keras_inputs()
    (x_train, y_train), _ = small_data(TRAP["rows"], 10, seed=4)

    def keras_loss():
        out = ex.keras("exercise_3_loss", start, data, TRAP)
        require(isinstance(out, dict), "the Keras run gave no value")
        floatx(out, "keras_loss_on_sigmoid")
        value = number(out.get("value"), "the Keras loss")
        z2_t = level4_numpy.forward(x_train[:5], start)[1]
        softmax_ce = float(F.cross_entropy(torch.tensor(z2_t), torch.tensor(y_train[:5].argmax(1))))
        a5 = level4_numpy.forward(x_train[:5], start)[2]
        normalised = float(np.mean(-(y_train[:5] * np.log(a5 / a5.sum(1, keepdims=True))).sum(1)))
        require(abs(value - softmax_ce) <= 1e-12 * softmax_ce,
                f"your Keras loss is {value:.10f}; Keras, compiled as the docstring says, "
                f"computes {softmax_ce:.10f} on these rows")
        return (f"Keras's CategoricalCrossentropy on the sigmoid output: {value:.10f} = softmax "
                f"cross-entropy of z2; a normalised would give {normalised:.10f}")
    ex.check("keras_loss_on_sigmoid: what Keras computes (first 5 rows)", keras_loss,
             needs=["keras_loss_on_sigmoid"])

    def trap():
        out = ex.keras("exercise_3_trap", start, data, TRAP)
        require(isinstance(out, dict), "the Keras run gave no value")
        floatx(out, "train_keras_trap")
        keras_weights = weights(out.get("weights"), "what `train_keras_trap` returned")
        softmax_weights, bce_weights = copy(start), copy(start)
        for epoch in range(TRAP["epochs"]):
            for i in range(0, TRAP["rows"], TRAP["batch_size"]):
                xb, yb = x_train[i:i + TRAP["batch_size"]], y_train[i:i + TRAP["batch_size"]]
                softmax_weights = exact_step(softmax_weights, xb, yb, TRAP["lr"], "softmax")
                bce_weights = exact_step(bce_weights, xb, yb, TRAP["lr"], "bce")
        to_softmax = helpers.max_abs_difference(keras_weights, softmax_weights)
        to_bce = helpers.max_abs_difference(keras_weights, bce_weights)
        require(helpers.max_abs_difference(keras_weights, start) > 1e-2,
                "Keras's weights hardly moved: did it train?")
        require(to_softmax <= LOCKSTEP,
                f"Keras's weights are {to_softmax:.2e} from softmax cross-entropy training (and "
                f"{to_bce:.2e} from BCE's); the lockstep wants <= {LOCKSTEP:g}")
        return (f"largest |dW| from softmax cross-entropy training {to_softmax:.2e}, from binary "
                f"cross-entropy training {to_bce:.2e}")
    ex.check(f"train_keras_trap: fit() with CategoricalCrossentropy on the sigmoid output trains "
             f"what Keras computes (lockstep, float64, {TRAP['rows']} rows, batch "
             f"{TRAP['batch_size']}, H {TRAP['hidden']})", trap, needs=["train_keras_trap"])


def floatx(out, name):
    """The docstring's requirement: Keras's floatx set to start's dtype (float64 here)."""
    require(out.get("floatx") == "float64",
            f"`{name}` left Keras's floatx at {out.get('floatx')!r}: its docstring asks for "
            f"keras.config.set_floatx(start's dtype), float64 here, before the model is built")


def keras_inputs():
    (x_train, y_train), _ = small_data(TRAP["rows"], 10, seed=4)
    return dict(x_train=x_train, y_train=y_train)
