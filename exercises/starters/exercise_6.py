"""Exercise 6 - a second hidden layer (level 4), written as loops over the layers.
Your code goes here.

EXERCISES.md, "Exercise 6", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 6          (from the project folder)

or by running this file. With layer sizes [784, H1, ..., 10] the network has L layers, numbered
l = 1 .. L, and parameters W1, b1, ..., WL, bL. Call the layers' inputs h0 = x, h1, ..., h(L-1):

    z_l = h_(l-1) W_l + b_l,   h_l = tanh(z_l) for l < L,   a = sigmoid(z_L)

and the loss is level 4's binary cross-entropy of z_L, level4_numpy.loss_fn(z_L, y). The checker
tries two hidden layers, three, and one - the same code must take them all.
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

import level4_numpy  # noqa: E402,F401


def init_params(sizes, rng, dtype):
    """W1, b1, ..., WL, bL for the layer sizes `sizes`, such as [784, 256, 128, 10]: W_l of
    shape sizes[l-1] x sizes[l] drawn from rng by level4_numpy.glorot_normal (W1 first), biases
    zero, all of the NumPy dtype `dtype`. Returns the dict {"W1": ..., "b1": ..., ...}."""
    raise NotImplementedError


def forward(x, params):
    """The forward pass, as a loop over the layers. x (B x 784). Returns (hs, z, a): the list of
    the layers' inputs hs = [x, h1, ..., h(L-1)], the top layer's z = z_L (B x 10), and
    a = sigmoid(z) (B x 10)."""
    raise NotImplementedError


def gradients(y, params, hs, a):
    """Backpropagation, as a loop from the top layer down. y (B x 10), params, and hs and a as
    forward() returns them. Returns {"W1": dL/dW1, "b1": dL/db1, ..., "WL": ..., "bL": ...},
    each of the shape of its parameter, and dL/dz_l of every layer as well: "z1": dL/dz1 (B x H1),
    ..., "zL": dL/dz_L (B x 10), so that the checker can name the layer where a mistake enters.
    With one hidden layer its W1, b1, W2, b2 must equal level4_numpy.gradients()'s.

    To check it yourself: helpers.check_batch_layers(sizes) gives a check batch for any number
    of layers, and helpers.gradient_check_layers(forward, grads, params, x, y) compares grads
    with finite differences of the loss of your forward()."""
    raise NotImplementedError


def train_step(params, x, y, lr):
    """One SGD step: params changed in place, theta <- theta - lr * dL/dtheta. Returns (loss,
    accuracy) of the batch before the update."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["6", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
