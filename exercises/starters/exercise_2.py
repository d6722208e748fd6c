"""Exercise 2 - a ReLU hidden layer, He or Glorot (level 4). Your code goes here.

EXERCISES.md, "Exercise 2", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 2          (from the project folder)

or by running this file. The network is level 4's with h = relu(z1) = max(0, z1) in place of
tanh(z1): z1 = x W1 + b1, h = relu(z1), z2 = h W2 + b2, a = sigmoid(z2), and the loss is still
level 4's binary cross-entropy, level4_numpy.loss_fn(z2, y).
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


def forward_relu(x, params):
    """Level 4's forward pass with a ReLU hidden layer.

    x (B x 784), params {"W1", "b1", "W2", "b2"}. Returns (h, z2, a), as level4_numpy.forward()
    does: h = relu(z1) (B x H), z2 (B x 10), a = sigmoid(z2) (B x 10)."""
    raise NotImplementedError


def gradients_relu(x, y, params, h, a):
    """Backpropagation for the ReLU network: the gradient of L with respect to every quantity
    of the chain, from the output down.

    x (B x 784), y (B x 10), params, and h and a as forward_relu(x, params) returns them.
    Returns a dict keyed by what each gradient is the gradient of, every array of the shape of
    that quantity:

        {"z2": dL/dz2 (B x 10), "W2": dL/dW2 (H x 10), "b2": dL/db2 (10),
         "h": dL/dh (B x H),    "z1": dL/dz1 (B x H),
         "W1": dL/dW1 (784 x H), "b1": dL/db1 (H)}

    dL/dz2, dL/dh and dL/dz1 are there so that the checker can show where in the chain a mistake
    starts."""
    raise NotImplementedError


def he_normal(fan_in, fan_out, rng, dtype):
    """He-normal weights as Keras's he_normal draws them: a normal truncated at 2 of its own
    standard deviations (values beyond are drawn again), scaled so that the weights end with
    standard deviation sqrt(2 / fan_in). Compare level4_numpy.glorot_normal() and common.py.

    rng: a np.random.Generator; dtype: the NumPy dtype of the result. Returns a fan_in x fan_out
    array."""
    raise NotImplementedError


def init_params(hidden, rng, dtype, init="he"):
    """W1 (784 x H), b1 (H), W2 (H x 10), b2 (10): biases zero, weights drawn from rng by
    he_normal() when init is "he", and by level 4's own Glorot draw when init is "glorot" - then
    the result is exactly level4_numpy.init_params(hidden, rng, dtype). Returns the dict."""
    raise NotImplementedError


def train_step_relu(params, x, y, lr):
    """One SGD step of the ReLU network on level 4's loss, as level4_numpy.train_step() is one of
    the tanh network: params changed in place, theta <- theta - lr * dL/dtheta. Returns (loss,
    accuracy) of the batch before the update."""
    raise NotImplementedError


def signal_std(init, depth=10, width=256, rows=500, seed=0):
    """How the size of a signal changes through `depth` ReLU layers of `width` units.

    With rng = np.random.default_rng(seed): start from z = rng.standard_normal((rows, width)),
    then `depth` times draw W (width x width, float64) from rng - by he_normal if init is "he",
    by level4_numpy.glorot_normal if init is "glorot" - and set z = relu(z) W. Returns the list
    of the `depth` standard deviations of z (over all its entries), one after each layer."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["2", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
