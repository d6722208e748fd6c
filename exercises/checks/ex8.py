"""Exercise 8's checks, all in the Keras process: the model, what fit() reports with the
student's train_step, and the weights against fit()'s own step and level 4's.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks import keras_process
from exercises.checks.core import LOCKSTEP, Failure, copy, require
from exercises.checks.exact import small_data, start_params

TITLE = "write level 1's training step yourself"
IMPORT = False                 # the file imports Keras: loaded in the Keras process only
STEP8 = dict(hidden=24, seed=19, rows=620, batch_size=50, lr=0.7, epochs=2)   # last batch: 20
KERAS_STEP = ("Keras's own step does (TensorFlowTrainer.train_step, in "
              "keras/src/backend/tensorflow/trainer.py of the installed Keras)")
KERAS_NEEDS = {"own": ["build_model", "StepByStep.train_step"],
               "mine": ["build_model", "StepByStep.train_step"]}


def run(ex):
    functions = ["build_model", "StepByStep.train_step"]
    keras_job = keras_process.start(ex)
    results, folder = keras_process.finish(ex, keras_job)
    data = small_data(STEP8["rows"], 200, seed=12)

    def model():
        out = keras_process.result(ex, results, functions, "mine")
        return out["words"]
    ex.check("build_model: level 1's layers in a StepByStep that has its own train_step", model)

    def history():
        mine = keras_process.result(ex, results, functions, "mine")["history"]
        own = keras_process.result(ex, results, functions, "own")["history"]
        for key in ("loss", "acc", "val_loss", "val_acc"):
            require(key in mine, f"fit() with your step reported no {key!r}: update the metrics "
                                 f"and return self.get_metrics_result()")
            diff = float(np.abs(np.subtract(mine[key], own[key])).max())
            if key == "loss" and diff > 1e-10:
                unweighted = plain_means(data)
                if float(np.abs(np.subtract(mine[key], unweighted)).max()) <= 1e-10:
                    raise Failure(
                        f"fit() reports the train loss {shown(mine[key])} with your step, "
                        f"{shown(own[key])} with Keras's own: yours is the plain mean of the "
                        f"batches' losses, Keras's weights each batch's loss by its size, and "
                        f"the last batch of an epoch here has "
                        f"{STEP8['rows'] % STEP8['batch_size']} rows, not "
                        f"{STEP8['batch_size']}. Give the loss tracker the batch size as its "
                        f"sample_weight, as {KERAS_STEP}")
            require(diff <= 1e-10, f"fit() reports {key} {mine[key]} with your step, "
                                   f"{own[key]} with Keras's own")
        return (f"train loss {', '.join(f'{v:.4f}' for v in mine['loss'])}, train acc "
                f"{', '.join(f'{100 * v:.2f}%' for v in mine['acc'])}, as with Keras's own step")
    ex.check(f"fit() reports the same loss and accuracy as with Keras's own step ({STEP8['rows']} "
             f"rows in batches of {STEP8['batch_size']}: the last one shorter)", history)

    def weights():
        keras_process.result(ex, results, functions, "mine")
        mine = keras_process.read_weights(folder, "mine.npz")
        own = keras_process.read_weights(folder, "own.npz")
        start = start_params(STEP8["hidden"], STEP8["seed"])
        numpy_weights = copy(start)
        for epoch in range(STEP8["epochs"]):
            level4_numpy.train_epoch(numpy_weights, data[0][0], data[0][1], STEP8["batch_size"],
                                     STEP8["lr"], None, shuffle=False)
        to_own = helpers.max_abs_difference(mine, own)
        to_numpy = helpers.max_abs_difference(mine, numpy_weights)
        require(helpers.max_abs_difference(mine, start) > 1e-2, "the weights hardly moved")
        require(to_own <= LOCKSTEP and to_numpy <= LOCKSTEP,
                f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}; "
                f"the lockstep wants <= {LOCKSTEP:g}")
        return f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}"
    ex.check(f"your step's weights in lockstep with fit()'s own and level 4's (float64, "
             f"{STEP8['rows']} rows, batch {STEP8['batch_size']}, H {STEP8['hidden']}, lr "
             f"{STEP8['lr']:g})", weights)


def shown(values):
    return ", ".join(f"{v:.6f}" for v in values)


def plain_means(data):
    """The train loss of each epoch as the unweighted mean of its batches' losses (each before
    its update, as fit() reports them), level 4 in lockstep: what a loss tracker reports that is
    not weighted by the batch size."""
    (x_train, y_train), _ = data
    params, means = start_params(STEP8["hidden"], STEP8["seed"]), []
    for epoch in range(STEP8["epochs"]):
        losses = [level4_numpy.train_step(params, x_train[i:i + STEP8["batch_size"]],
                                          y_train[i:i + STEP8["batch_size"]], STEP8["lr"])[0]
                  for i in range(0, len(x_train), STEP8["batch_size"])]
        means.append(float(np.mean(losses)))
    return means


def keras_inputs():
    start = start_params(STEP8["hidden"], STEP8["seed"])
    (x_train, y_train), (x_test, y_test) = small_data(STEP8["rows"], 200, seed=12)
    return dict(start=start, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                config=STEP8)


# In the Keras process
def _fit(model, start, data, config):
    import level1_keras
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    level1_keras.compile_model(model, config["lr"])
    history = model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                        epochs=config["epochs"], shuffle=False, verbose=0,
                        validation_data=(data["x_test"], data["y_test"]))
    weights = dict(zip(common.PARAM_NAMES, model.get_weights()))
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, weights


def task_own(module, start, data, config, folder):
    import level1_keras
    history, weights = _fit(level1_keras.build_model(config["hidden"]), start, data, config)
    keras_process.save_weights(folder, "own.npz", weights)
    return {"history": history}


def task_mine(module, start, data, config, folder):
    import keras
    model = module.build_model(config["hidden"])
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_model() returned {type(model).__name__}, not a Keras model")
    if getattr(type(model), "train_step") is getattr(keras.Sequential, "train_step"):
        raise ValueError(f"build_model() returned a {type(model).__name__}, whose train_step is "
                         f"Keras's own: return a StepByStep")
    shapes = [tuple(w.shape) for w in model.get_weights()]
    expected = [common.param_shapes(config["hidden"])[k] for k in common.PARAM_NAMES]
    if shapes != expected:
        raise ValueError(f"build_model()'s weights have shapes {shapes}, not level 1's {expected}")
    history, weights = _fit(model, start, data, config)
    keras_process.save_weights(folder, "mine.npz", weights)
    return {"history": history, "words": f"a {type(model).__name__} with its own train_step and "
                                         f"level 1's weight shapes"}


KERAS_TASKS = {"own": task_own, "mine": task_mine}
