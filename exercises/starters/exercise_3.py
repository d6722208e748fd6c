"""Exercise 3 - softmax and categorical cross-entropy (level 4), and a Keras trap (level 1).
Your code goes here.

EXERCISES.md, "Exercise 3", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 3          (from the project folder)

or by running this file. The network is level 4's up to z2; then p = softmax(z2) replaces the ten
sigmoids, and the loss is the categorical cross-entropy averaged over the batch:

    L = mean over the B rows of  -sum_k y_k log p_k

Part 2 is level 1, in Keras. Import keras inside those two functions, never at the top of this
file: the checker runs them in a process of their own, and runs the rest where PyTorch runs
(TensorFlow and PyTorch must not share a process).
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

import numpy as np  # noqa: E402,F401

import common  # noqa: E402,F401
import level4_numpy  # noqa: E402,F401
from exercises import helpers  # noqa: E402,F401


# ---------------------------------------------------------------------------------------------
# Part 1: level 4
# ---------------------------------------------------------------------------------------------
def softmax(z2):
    """p = softmax(z2), row by row: p_k = e^z2_k / sum_j e^z2_j.

    z2 (B x 10). Returns p (B x 10), each row summing to 1, without overflow even when z2 holds
    numbers in the thousands."""
    raise NotImplementedError


def loss_softmax(z2, y):
    """The categorical cross-entropy of softmax(z2) against the one-hot y, averaged over the
    batch: L = mean over the rows of -sum_k y_k log p_k. Computed from z2, finite even when z2
    holds numbers in the thousands. Returns L, one number."""
    raise NotImplementedError


def gradients_softmax(x, y, params, h, p):
    """Backpropagation for the softmax network: the gradient of L with respect to every quantity
    of the chain, from the output down.

    x (B x 784), y (B x 10), params, h (B x H) from level4_numpy.forward(x, params), and
    p = softmax(z2) (B x 10). Returns a dict keyed by what each gradient is the gradient of,
    every array of the shape of that quantity:

        {"z2": dL/dz2 (B x 10), "W2": dL/dW2 (H x 10), "b2": dL/db2 (10),
         "h": dL/dh (B x H),    "z1": dL/dz1 (B x H),
         "W1": dL/dW1 (784 x H), "b1": dL/db1 (H)}

    dL/dz2, dL/dh and dL/dz1 are there so that the checker can show where in the chain a mistake
    starts."""
    raise NotImplementedError


def train_step_softmax(params, x, y, lr):
    """One SGD step on the softmax cross-entropy: params changed in place, theta <- theta - lr *
    dL/dtheta. Returns (loss, accuracy) of the batch before the update; the accuracy is the
    fraction of rows whose largest p is the labelled digit."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Part 2: level 1, the trap (import keras inside these functions)
# ---------------------------------------------------------------------------------------------
def keras_loss_on_sigmoid(start, x, y):
    """What Keras computes. Build level 1's model, level1_keras.build_model(H) - its output is
    ten sigmoids - with Keras's floatx set to start's dtype (keras.config.set_floatx), set its
    weights to start's W1, b1, W2, b2 (model.set_weights), and return the number that
    keras.losses.CategoricalCrossentropy() gives for the labels y and the model's output on x.

    start: {"W1", "b1", "W2", "b2"} NumPy arrays (float64 in the check); x (B x 784), y
    (B x 10). Returns that loss as a Python float."""
    raise NotImplementedError


def train_keras_trap(start, x_train, y_train, epochs, batch_size, lr):
    """The trap, trained. Level 1's model from the weights `start` (floatx set to start's
    dtype), compiled with keras.optimizers.SGD(learning_rate=lr) and
    keras.losses.CategoricalCrossentropy() - on its sigmoid output - and trained by fit() for
    `epochs` epochs of batches of batch_size rows in dataset order (shuffle=False).

    Returns its final weights as a dict {"W1", "b1", "W2", "b2"} of NumPy arrays."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["3", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
