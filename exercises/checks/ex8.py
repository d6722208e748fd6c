"""Exercise 8's checks, the student's code run where Keras runs: the model, what fit() reports
with the student's train_step, and the weights against fit()'s own step and level 4's.
"""

import numpy as np

import level4_numpy
from exercises import helpers
from exercises.checks.core import LOCKSTEP, Failure, copy, how_they_moved, require, weights
from exercises.checks.exact import small_data, start_params

TITLE = "write level 1's training step yourself"
KERAS = True                  # the file imports Keras: it runs where Keras runs, and only there
STEP8 = dict(hidden=24, seed=19, rows=620, batch_size=50, lr=0.7, epochs=2)   # last batch: 20
KERAS_STEP = ("Keras's own step does (TensorFlowTrainer.train_step, in "
              "keras/src/backend/tensorflow/trainer.py of the installed Keras)")
FUNCTIONS = ["build_model", "StepByStep.train_step"]


def run(ex):
    data = small_data(STEP8["rows"], 200, seed=12)
    start = start_params(STEP8["hidden"], STEP8["seed"])
    runs = {}

    def fitted(which):
        """fit() with the student's model ("mine") or level 1's ("own"), run once each."""
        if which not in runs:
            out = ex.keras(f"exercise_8_{which}", start, keras_inputs(), STEP8)
            require(isinstance(out, dict) and isinstance(out.get("history"), dict),
                    "the Keras run gave no history")
            runs[which] = out
        return runs[which]

    def model():
        out = fitted("mine")
        expected = [list(start[k].shape) for k in ("W1", "b1", "W2", "b2")]
        require(out.get("shapes") == expected, f"build_model()'s weights have shapes "
                                               f"{out.get('shapes')}, not level 1's {expected}")
        return f"a {out.get('kind')} with its own train_step and level 1's weight shapes"
    ex.check("build_model: level 1's layers in a StepByStep that has its own train_step", model,
             needs=FUNCTIONS)

    def history():
        mine = fitted("mine")["history"]
        own = fitted("own")["history"]
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
             f"rows in batches of {STEP8['batch_size']}: the last one shorter)", history,
             needs=FUNCTIONS)

    def lockstep():
        mine = weights(fitted("mine")["weights"], "your model's weights")
        own = weights(fitted("own")["weights"], "level 1's weights")
        numpy_weights = copy(start)
        for epoch in range(STEP8["epochs"]):
            level4_numpy.train_epoch(numpy_weights, data[0][0], data[0][1], STEP8["batch_size"],
                                     STEP8["lr"], None, shuffle=False)
        to_own = helpers.max_abs_difference(mine, own)
        to_numpy = helpers.max_abs_difference(mine, numpy_weights)
        require(helpers.max_abs_difference(mine, start) > 1e-2, "the weights hardly moved")
        require(to_own <= LOCKSTEP and to_numpy <= LOCKSTEP,
                f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}; "
                f"the lockstep wants <= {LOCKSTEP:g}. "
                + how_they_moved(mine, numpy_weights, start, "level 4's"))
        return f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}"
    ex.check(f"your step's weights in lockstep with fit()'s own and level 4's (float64, "
             f"{STEP8['rows']} rows, batch {STEP8['batch_size']}, H {STEP8['hidden']}, lr "
             f"{STEP8['lr']:g})", lockstep, needs=FUNCTIONS)


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
    (x_train, y_train), (x_test, y_test) = small_data(STEP8["rows"], 200, seed=12)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
