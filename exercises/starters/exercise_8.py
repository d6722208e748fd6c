"""Exercise 8 - write level 1's training step yourself (Keras). Your code goes here.

EXERCISES.md, "Exercise 8", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 8          (from the project folder)

or by running this file. The checker builds your model with build_model(H), sets its weights to
a float64 start, compiles it with level1_keras.compile_model(model, lr), and calls fit() on the
batches in dataset order (shuffle=False) with validation data - then does the same with level 1's
own model. fit() must report the same loss and accuracy per epoch, and the weights must end
within 1e-8 of each other and of level 4's.
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

import machinery.quiet_tensorflow  # noqa: E402,F401  (Keras and TensorFlow, without their log)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402,F401

import common  # noqa: E402,F401
import level1_keras  # noqa: E402,F401


class StepByStep(keras.Sequential):
    """Level 1's Sequential model, with its training step written out."""

    def train_step(self, data):
        """What fit() calls for every batch: data is the batch (x, y). Record the forward pass
        with tf.GradientTape, compute the compiled loss with self.compute_loss(...), take the
        gradients with tape.gradient(...) and apply them with self.optimizer.apply(...), then
        update the metrics in self.metrics - the loss tracker, named "loss", weighted by the
        batch size, and the compiled metrics - and return self.get_metrics_result(). Keras's
        own step, in the installed Keras, has the shape of it: TensorFlowTrainer.train_step in
        keras/src/backend/tensorflow/trainer.py."""
        raise NotImplementedError


def build_model(hidden):
    """Level 1's model, level1_keras.build_model(hidden) - its input and its two Dense layers -
    as a StepByStep instead of a keras.Sequential. Returns the model, not compiled."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["8", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
