"""Exercise 5's checks: momentum at levels 4 and 3 against its definition, level 2's optimizer,
the four levels in lockstep, level 1 in the Keras process.
"""

import numpy as np

import common
from exercises import helpers
from exercises.checks import keras_process
from exercises.checks.core import STEP, LOCKSTEP, require, array, number, relative_error, copy
from exercises.checks.exact import small_data, start_params, exact_gradients

TITLE = "momentum, by hand and by the optimizers"
MOMENTUM = dict(hidden=20, seed=17, rows=600, batch_size=40, lr=0.1, mu=0.9, epochs=2)
KERAS_NEEDS = {"momentum": ["compile_with_momentum"]}


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
    import level2_pytorch
    from machinery import params_files
    keras_job = keras_process.start(ex)
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

    def level2():
        model = level2_pytorch.build_model(MOMENTUM["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = ex.call("make_optimizer", model, 0.3, 0.8)
        require(isinstance(optimizer, torch.optim.Optimizer),
                "`make_optimizer` must return a torch.optim optimizer")
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        level2_pytorch.train_epoch(model, optimizer, x_t, y_t, batch, None, shuffle=False)
        exact = exact_momentum(start, x_train, y_train, 0.3, 0.8, 1, batch)
        diff = helpers.max_abs_difference(params_files.from_torch_model(model), exact)
        require(diff <= LOCKSTEP, f"one epoch of level 2 with your optimizer ends {diff:.2e} "
                                  f"from momentum's definition; the lockstep wants <= {LOCKSTEP:g}")
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
        model = level2_pytorch.build_model(MOMENTUM["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = ex.call("make_optimizer", model, lr, mu)
        for epoch in range(epochs):
            level2_pytorch.train_epoch(model, optimizer, x_t, y_t, batch, None, shuffle=False)
        out["level 2"] = params_files.from_torch_model(model)
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
                                      f"(v <- mu v + g, theta <- theta - lr v, mu = {mu!r})")
            diffs.append(f"{name} {diff:.1e}")
        return f"mu = keras_momentum(0.9) = {mu!r}; largest |dW| from the definition: " + \
            ", ".join(diffs)
    ex.check(f"keras_momentum, and levels 4, 3, 2 in lockstep at it (float64, "
             f"{MOMENTUM['rows']} rows, batch {batch}, H {MOMENTUM['hidden']}, lr {lr:g}, "
             f"{epochs} epochs)", three_levels,
             needs=["keras_momentum", "train_step_momentum", "train_step_momentum_torch",
                    "make_optimizer"])

    results, folder = keras_process.finish(ex, keras_job)

    def keras_level():
        keras_process.result(ex, results, ["compile_with_momentum"], "momentum")
        weights = keras_process.read_weights(folder, "momentum.npz")
        mu = number(ex.call("keras_momentum", MOMENTUM["mu"]), "keras_momentum(0.9)")
        exact = exact_momentum(start, x_train, y_train, lr, mu, epochs, batch)
        diff = helpers.max_abs_difference(weights, exact)
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
    start = start_params(MOMENTUM["hidden"], MOMENTUM["seed"])
    (x_train, y_train), _ = small_data(MOMENTUM["rows"], 10, seed=8)
    return dict(start=start, x_train=x_train, y_train=y_train, config=MOMENTUM)


# In the Keras process
def task_momentum(module, start, data, config, folder):
    import level1_keras
    model = level1_keras.build_model(config["hidden"])
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    module.compile_with_momentum(model, config["lr"], config["mu"])
    if model.optimizer is None:
        raise ValueError("compile_with_momentum() did not compile the model")
    model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
              epochs=config["epochs"], shuffle=False, verbose=0)
    keras_process.save_weights(folder, "momentum.npz",
                               dict(zip(common.PARAM_NAMES, model.get_weights())))
    return {}


KERAS_TASKS = {"momentum": task_momentum}
