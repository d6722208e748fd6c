"""Exercise 5's checks: momentum at levels 4 and 3 against its definition, level 2's optimizer,
the four levels in lockstep, level 1 with the student's Keras code run where Keras runs.
"""

import numpy as np

from exercises import helpers
from exercises.checks.core import (STEP, LOCKSTEP, require, array, number, relative_error,
                                   copy, weights, how_they_moved)
from exercises.checks.exact import small_data, start_params, exact_gradients

TITLE = "momentum, by hand and by the optimizers"
CHILD = "torch"               # its functions run where PyTorch is (and TensorFlow is not)
KERAS = True                  # and its Keras function where Keras is
MOMENTUM = dict(hidden=20, seed=17, rows=600, batch_size=40, lr=0.1, mu=0.9, epochs=2)


def exact_momentum(start, x_train, y_train, lr, mu, epochs, batch_size):
    """SGD with momentum as torch.optim.SGD defines it: v <- mu v + g; theta <- theta - lr v."""
    params = copy(start)
    velocity = {k: np.zeros_like(v) for k, v in start.items()}
    for epoch in range(epochs):
        for i in range(0, len(x_train), batch_size):
            xb, yb = x_train[i:i + batch_size], y_train[i:i + batch_size]
            grads = exact_gradients(xb, yb, params)
            for k in params:
                velocity[k] = mu * velocity[k] + grads[k]
                params[k] = params[k] - lr * velocity[k]
    return params


def run(ex):
    import torch
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    (x_train, y_train), _ = small_data(MOMENTUM["rows"], 10, seed=8)
    start = start_params(MOMENTUM["hidden"], MOMENTUM["seed"])
    lr, epochs, batch = MOMENTUM["lr"], MOMENTUM["epochs"], MOMENTUM["batch_size"]

    def two_steps(name, level3):
        """Two steps of mu 0.8, lr 0.3 from velocity 0, against momentum's definition."""
        if level3:
            mine = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
            velocity = {k: torch.zeros(v.shape, dtype=torch.float64) for k, v in params.items()}
            xs, ys = torch.tensor(x), torch.tensor(y)
        else:
            mine, velocity = copy(params), {k: np.zeros_like(v) for k, v in params.items()}
            xs, ys = x, y
        expected, v = copy(params), {k: np.zeros_like(p) for k, p in params.items()}
        for _ in range(2):
            out = ex.call(name, mine, velocity, xs, ys, 0.3, 0.8)
            require(isinstance(out, tuple) and len(out) == 2,
                    f"`{name}` must return (loss, accuracy)")
            before = copy(expected)
            grads = exact_gradients(x, y, expected)
            for k in params:
                v[k] = 0.8 * v[k] + grads[k]
                expected[k] = expected[k] - 0.3 * v[k]
            for k in params:
                error = relative_error(array(mine[k], k) - before[k], expected[k] - before[k])
                require(error <= STEP, f"after `{name}`, {k} is not theta - lr v with "
                                       f"v <- mu v + dL/dtheta: relative error {error:.2g}")
                error = relative_error(array(velocity[k], f"velocity[{k!r}]"), v[k])
                require(error <= STEP, f"after `{name}`, velocity[{k!r}] is not mu v + "
                                       f"dL/d{k}: relative error {error:.2g}")
        return "two steps (mu 0.8, lr 0.3) as v <- mu v + dL/dtheta, theta <- theta - lr v"

    ex.check("train_step_momentum (level 4)", lambda: two_steps("train_step_momentum", False))
    ex.check("train_step_momentum_torch (level 3)",
             lambda: two_steps("train_step_momentum_torch", True))

    def level2_model():
        """Level 2's model from `start`, made where the student's code runs."""
        model = ex.public("level2_pytorch.build_model")(MOMENTUM["hidden"], torch.float64)
        ex.public("machinery.params_files.into_torch_model")(model, start)
        return model

    def level2_epoch(model, optimizer):
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        ex.public("level2_pytorch.train_epoch")(model, optimizer, x_t, y_t, batch, None, False)

    def level2_weights(model):
        return weights(ex.public("machinery.params_files.from_torch_model")(model),
                       "level 2's weights")

    def level2():
        model = level2_model()
        optimizer = ex.call("make_optimizer", model, 0.3, 0.8)
        require(getattr(optimizer, "name", "") == "SGD",
                f"`make_optimizer` returned a {getattr(optimizer, 'name', 'value')}, not "
                f"torch.optim.SGD")
        level2_epoch(model, optimizer)
        exact = exact_momentum(start, x_train, y_train, 0.3, 0.8, 1, batch)
        diff = helpers.max_abs_difference(level2_weights(model), exact)
        require(diff <= LOCKSTEP, f"one epoch of level 2 with your optimizer ends {diff:.2e} "
                                  f"from momentum's definition; the lockstep wants <= "
                                  f"{LOCKSTEP:g}. "
                                  + how_they_moved(level2_weights(model), exact, start,
                                                   "momentum's definition's"))
        return f"one epoch (mu 0.8, lr 0.3): largest |dW| from the definition {diff:.1e}"
    ex.check("make_optimizer (level 2), through level2_pytorch.train_epoch", level2)

    def levels(mu):
        """Levels 4 and 3's final weights, from one start, batches in dataset order."""
        out = {}
        p, v = copy(start), {k: np.zeros_like(w) for k, w in start.items()}
        for epoch in range(epochs):
            for i in range(0, len(x_train), batch):
                ex.call("train_step_momentum", p, v, x_train[i:i + batch],
                        y_train[i:i + batch], lr, mu)
        out["level 4"] = p
        t = {k: torch.tensor(w, requires_grad=True) for k, w in start.items()}
        vt = {k: torch.zeros_like(w) for k, w in t.items()}
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        for epoch in range(epochs):
            for i in range(0, len(x_t), batch):
                ex.call("train_step_momentum_torch", t, vt, x_t[i:i + batch], y_t[i:i + batch],
                        lr, mu)
        out["level 3"] = helpers.as_numpy(t)
        model = level2_model()
        optimizer = ex.call("make_optimizer", model, lr, mu)
        for epoch in range(epochs):
            level2_epoch(model, optimizer)
        out["level 2"] = level2_weights(model)
        return out

    def three_levels():
        mu = number(ex.call("keras_momentum", MOMENTUM["mu"]), "keras_momentum(0.9)")
        found = levels(mu)
        exact = exact_momentum(start, x_train, y_train, lr, mu, epochs, batch)
        plain = exact_momentum(start, x_train, y_train, lr, 0.0, epochs, batch)
        require(helpers.max_abs_difference(exact, plain) > 1e-2, "momentum made no difference?")
        diffs = []
        for name in ("level 4", "level 3", "level 2"):
            diff = helpers.max_abs_difference(found[name], exact)
            require(diff <= LOCKSTEP, f"{name} ends {diff:.2e} from momentum's definition "
                                      f"(v <- mu v + g, theta <- theta - lr v, mu = {mu!r}). "
                                      + how_they_moved(found[name], exact, start,
                                                       "the definition's"))
            diffs.append(f"{name} {diff:.1e}")
        return f"mu = keras_momentum(0.9) = {mu!r}; largest |dW| from the definition: " + \
            ", ".join(diffs)
    ex.check(f"keras_momentum, and levels 4, 3, 2 in lockstep at it (float64, "
             f"{MOMENTUM['rows']} rows, batch {batch}, H {MOMENTUM['hidden']}, lr {lr:g}, "
             f"{epochs} epochs)", three_levels,
             needs=["keras_momentum", "train_step_momentum", "train_step_momentum_torch",
                    "make_optimizer"])

    def keras_level():
        found = weights(ex.keras("exercise_5_momentum", start, keras_inputs(), MOMENTUM),
                        "Keras's weights")
        mu = number(ex.call("keras_momentum", MOMENTUM["mu"]), "keras_momentum(0.9)")
        exact = exact_momentum(start, x_train, y_train, lr, mu, epochs, batch)
        diff = helpers.max_abs_difference(found, exact)
        hint = ""
        if mu == MOMENTUM["mu"]:
            hint = (". A gap this size that no way of writing the update closes: look at what "
                    "Keras does with mu before it multiplies (keras/src/optimizers/sgd.py), then "
                    "at keras_momentum()")
        require(diff <= LOCKSTEP, f"Keras, given mu = 0.9, ends {diff:.2e} from momentum's "
                                  f"definition with mu = keras_momentum(0.9) = {mu!r}; the "
                                  f"lockstep wants <= {LOCKSTEP:g}{hint}")
        return f"largest |dW| from the definition with mu = {mu!r}: {diff:.2e}"
    ex.check("level 1 (Keras, compile_with_momentum) in lockstep at keras_momentum(0.9)",
             keras_level, needs=["compile_with_momentum", "keras_momentum"])


def keras_inputs():
    (x_train, y_train), _ = small_data(MOMENTUM["rows"], 10, seed=8)
    return dict(x_train=x_train, y_train=y_train)
