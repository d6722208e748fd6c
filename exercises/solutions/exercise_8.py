"""Exercise 8, a solution - level 1's training step written out: train_step with tf.GradientTape.

fit() calls the model's train_step(data) once per batch. Overriding it keeps everything else of
fit() - batching, epochs, callbacks, validation - and makes the step yours, in level 3's order:

    with tf.GradientTape() as tape:        # record the forward pass, as autograd does
        a = self(x)                        # h = tanh(x W1 + b1), a = sigmoid(h W2 + b2)
        L = self.compute_loss(...)         # the compiled loss: BCE, computed from z2
    grads = tape.gradient(L, weights)      # dL/dW1, dL/db1, dL/dW2, dL/db2 (= loss.backward())
    self.optimizer.apply(grads, weights)   # theta <- theta - lr * dL/dtheta (= optimizer.step())

From the same start, on the same batches, in float64, it gives fit()'s own weights. The answers
to the exercise's questions: answers_8.md, beside this file.

    python exercises/solutions/exercise_8.py --data-dir PATH/TO/MNIST

trains level 1 twice from one start - with fit()'s own step and with this one - and prints the
largest weight difference.
"""

import os
import sys

# You can skip this block. The project folder is the first folder above this file that holds
# level4_numpy.py; putting it first on Python's module search path makes `import level4_numpy`
# work however this file is run: from the project folder, from this folder, with python -m, or
# loaded by exercises/check.py.
PROJECT = os.path.dirname(os.path.abspath(__file__))
while not os.path.isfile(os.path.join(PROJECT, "level4_numpy.py")):
    if os.path.dirname(PROJECT) == PROJECT:    # not found: try the current folder
        PROJECT = os.getcwd()
        break
    PROJECT = os.path.dirname(PROJECT)
sys.path.insert(0, PROJECT)

import numpy as np  # noqa: E402

import machinery.quiet_tensorflow  # noqa: E402,F401
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import common  # noqa: E402
import level1_keras  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402
from machinery import cli, params_files  # noqa: E402


class StepByStep(keras.Sequential):
    """level 1's Sequential model, with a training step written out."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:                        # record the forward pass
            a = self(x, training=True)                         # h, z2 and a = sigmoid(z2)
            loss = self.compute_loss(x=x, y=y, y_pred=a)       # L = mean(log(1 + e^z2) - y z2)
        grads = tape.gradient(loss, self.trainable_variables)  # dL/dW1, dL/db1, dL/dW2, dL/db2
        self.optimizer.apply(grads, self.trainable_variables)  # theta <- theta - lr * dL/dtheta
        for metric in self.metrics:                            # the numbers fit() reports
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])   # weighted by batch size
            else:
                metric.update_state(y, a)                      # CategoricalAccuracy ("acc")
        return self.get_metrics_result()


def build_model(hidden):
    """level1_keras.build_model(), with its layers in a StepByStep instead of a Sequential."""
    layers = level1_keras.build_model(hidden).layers         # Dense(H, tanh), Dense(10, sigmoid)
    return StepByStep([keras.Input(shape=(common.N_INPUTS,)), *layers])


def train(model, start, x_train, y_train, x_test, y_test, args):
    """Level 1's training: its compile_model(), fit() and report line, from `start`."""
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    level1_keras.compile_model(model, args.lr)
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              shuffle=args.shuffle, validation_data=(x_test, y_test), verbose=0,
              callbacks=[level1_keras.print_epochs(args.epochs)])
    return dict(zip(common.PARAM_NAMES, model.get_weights()))


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=2, batch_size=50, lr=0.7, hidden=24,
                                        limit=1500, dtype="float64", shuffle=False), argv)
    keras.utils.set_random_seed(args.seed)
    keras.config.set_floatx(args.dtype)
    (x_train, y_train), (x_test, y_test) = helpers.load_data(level1_keras, args.data_dir, args.limit,
                                                                  args.dtype)
    start = params_files.load(args, common) if args.init_from else level4_numpy.init_params(
        args.hidden, np.random.default_rng(args.seed), np.dtype(args.dtype))
    data = (x_train, y_train, x_test, y_test, args)

    print("fit() with Keras's own train_step:")
    own = train(level1_keras.build_model(args.hidden), start, *data)
    print("fit() with StepByStep.train_step:")
    mine = train(build_model(args.hidden), start, *data)
    print(f"largest |dW| between the two: {helpers.max_abs_difference(own, mine):.2e}; "
          f"training moved the weights by up to {helpers.max_abs_difference(mine, start):.3f}")
    if args.save_weights:
        params_files.save(args.save_weights, mine)


if __name__ == "__main__":
    cli.run(main)
