"""Exercise 1 - mean squared error instead of cross-entropy (level 4). Your code goes here.

EXERCISES.md, "Exercise 1", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 1          (from the project folder)

or by running this file. The notation is the project's: x (B x 784), y (B x 10, one-hot), W1, b1,
W2, b2, z1 = x W1 + b1, h = tanh(z1), z2 = h W2 + b2, a = sigmoid(z2). The new loss is

    L = mean((a - y)^2)          the mean over all B x 10 numbers, as the project's BCE
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

import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402,F401


def loss_mse(a, y):
    """The MSE loss L = mean((a - y)^2) over the B x 10 numbers.

    a: the sigmoid outputs (B x 10), y: the one-hot labels (B x 10), NumPy arrays.
    Returns L, one number."""
    raise NotImplementedError


def gradients_mse(x, y, params, h, a):
    """Backpropagation for the MSE loss: the gradient of L with respect to every quantity of the
    chain, from the output down.

    x (B x 784), y (B x 10), params {"W1", "b1", "W2", "b2"}, and h (B x H) and a (B x 10) as
    level4_numpy.forward(x, params) returns them (it returns h, z2, a). Returns a dict keyed by
    what each gradient is the gradient of, every array of the shape of that quantity:

        {"z2": dL/dz2 (B x 10), "W2": dL/dW2 (H x 10), "b2": dL/db2 (10),
         "h": dL/dh (B x H),    "z1": dL/dz1 (B x H),
         "W1": dL/dW1 (784 x H), "b1": dL/db1 (H)}

    dL/dz2, dL/dh and dL/dz1 are there so that the checker can show where in the chain a mistake
    starts. Level 4's gradients() computes all of them (as local variables dz2, dh, dz1)."""
    raise NotImplementedError


def train_step_mse(params, x, y, lr):
    """One SGD step on the MSE loss, as level4_numpy.train_step() is one on BCE.

    Changes params in place: theta <- theta - lr * dL/dtheta for each of W1, b1, W2, b2.
    Returns (loss, accuracy) of the batch before the update (level4_numpy.accuracy(a, y))."""
    raise NotImplementedError


# The two training steps to compare: step(params, x, y, lr) -> (loss, accuracy).
STEPS = {"BCE": level4_numpy.train_step, "MSE": train_step_mse}


def confidently_wrong_start(hidden, rng, dtype):
    """A start that says "this is a zero" to every image, confidently.

    Level 4's initial parameters, level4_numpy.init_params(hidden, rng, dtype), with b2[0] = 6:
    a[:, 0] = sigmoid(6 + something small) ~ 0.998 for every image. Returns the params dict."""
    raise NotImplementedError


def first_gradient(loss_name, params, x, y):
    """How hard the first SGD step pushes the wrong output: |dL/db2[0]|.

    loss_name: "BCE" (level4_numpy.gradients) or "MSE" (gradients_mse); params: the start;
    x, y: the first batch. Leaves params unchanged. Returns |dL/db2[0]|, one number."""
    raise NotImplementedError


def steps_to_recover(step, start, x, y, batch_size, lr, max_steps):
    """The number of SGD updates until output 0 stops saying "zero", or None.

    step: a training step, step(params, x, y, lr), such as STEPS["MSE"]; start: the parameters
    to begin from (train a copy: leave start unchanged); x, y: the whole training set;
    batch_size, lr: the batch size and the learning rate; max_steps: the most updates to make.

    Batches are taken in dataset order, as level4_numpy.train_epoch(..., shuffle=False) takes
    them, epoch after epoch: batch 0 is rows 0 .. B-1, batch 1 rows B .. 2B-1, and so on; the last
    batch of an epoch holds what is left (it may be shorter), and the next batch starts at row 0
    again. Then, for k = 0, 1, 2, ...:

      1. with the parameters after k updates, compute a = sigmoid(z2) on batch k - before
         updating on it - and the mean of its column 0, a[:, 0], over the rows of batch k;
      2. if that mean is below 0.5, return k;
      3. if k == max_steps, return None;
      4. update on batch k: step(params, x_k, y_k, lr).

    So the figure is the number of updates made: 0 if the start already said "not zero", 1 if
    one update on batch 0 was enough for batch 1, and so on."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["1", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
