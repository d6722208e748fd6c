"""Exercise 7 - break it on purpose (level 4). Your code goes here.

EXERCISES.md, "Exercise 7", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 7          (from the project folder)

or by running this file. Here the checks must *fail* on your two broken versions of level 4's
gradients(), and fail in the right place. Start each from a copy of level4_numpy.gradients().
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
from exercises import helpers  # noqa: E402,F401


def gradients_without_tanh_derivative(x, y, params, h, a):
    """BROKEN ON PURPOSE: level 4's gradients() with dL/dz1 = dL/dh, tanh's derivative
    (1 - h^2) dropped.

    Arguments as level4_numpy.gradients(x, y, params, h, a). Returns a dict keyed by what each
    gradient is the gradient of (level 4 returns only the last four of them):

        {"z2": dL/dz2, "W2": dL/dW2, "b2": dL/db2, "h": dL/dh, "z1": dL/dz1,
         "W1": dL/dW1, "b1": dL/db1}"""
    raise NotImplementedError


def gradients_wrong_transpose(x, y, params, h, a):
    """BROKEN ON PURPOSE: level 4's gradients() with dL/dh = dL/dz2 W2 instead of dL/dz2 W2^T.
    Arguments and the dict returned as gradients_without_tanh_derivative()."""
    raise NotImplementedError


def check(gradients, hidden=10):
    """The finite-difference check of a version of gradients().

    The batch is helpers.check_batch(hidden=hidden) (6 rows, float64); the loss is level 4's,
    level4_numpy.loss_fn(z2, y); gradients(x, y, params, h, a) is called with h and a from
    level4_numpy.forward(x, params), and helpers.gradient_check compares it with central
    finite differences. Returns {"W1": relative error, "b1": ..., "W2": ..., "b2": ...}.
    Any error that computing the gradients raises (a ValueError, with H = 7) is let through."""
    raise NotImplementedError


def train_step_with(gradients):
    """Level 4's training step with another gradients() in place of level4_numpy.gradients.
    Returns a function step(params, x, y, lr) that changes params in place, theta <- theta - lr *
    grads[theta] with grads = gradients(x, y, params, h, a), and returns (loss, accuracy) of the
    batch before the update, as level4_numpy.train_step does."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["7", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
