"""Exercise 2, a solution - a ReLU hidden layer, and He against Glorot initialisation (level 4).

    h = relu(z1) = max(0, z1)
    dh/dz1 = 1 where z1 > 0, else 0            (written with h: h > 0)

so in the backward pass dL/dz1 = dL/dh * (h > 0) replaces dL/dh * (1 - h^2).

Initialisation. A layer z = h W with fan_in inputs keeps the size of its signal when
fan_in * Var(W) * E[h^2] = Var(z_previous). For tanh (slope 1 at 0), E[h^2] ~ Var(z_previous):
Glorot's Var(W) = 2 / (fan_in + fan_out) is a compromise between forward and backward. ReLU zeroes
half of its inputs, so E[h^2] = Var(z_previous) / 2, and He's Var(W) = 2 / fan_in makes up for
the lost half. Drawn like Keras's he_normal: the same truncated normal, another scale. The
answers to the exercise's questions: answers_2.md, beside this file.

    python exercises/solutions/exercise_2.py --data-dir PATH/TO/MNIST
"""

import math
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

import common  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402


def forward_relu(x, params):
    """Level 4's forward pass with a ReLU hidden layer."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1          (B x H)
    h = np.maximum(z1, 0)                      # h = relu(z1) = max(0, z1)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2          (B x 10)
    a = 0.5 * (1 + np.tanh(0.5 * z2))          # a = sigmoid(z2)
    return h, z2, a


def gradients_relu(x, y, params, h, a):
    """As level 4's gradients(), with relu'(z1) = (h > 0) in place of tanh'(z1) = 1 - h^2;
    dL/dz2, dL/dh and dL/dz1 returned too."""
    dz2 = (a - y) / y.size                     # dL/dz2 = (a - y) / (10 B), as before
    dW2 = h.T @ dz2
    db2 = dz2.sum(axis=0)
    dh = dz2 @ params["W2"].T
    relu_slope = (h > 0).astype(h.dtype)       # relu'(z1) = 1 where z1 > 0, else 0
    dz1 = dh * relu_slope                      # dL/dz1 = dL/dh * relu'(z1)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}


def he_normal(fan_in, fan_out, rng, dtype):
    """He normal, truncated at 2 sigma like Keras's he_normal: standard deviation sqrt(2 / fan_in).
    It is level 4's Glorot draw, rescaled: the same truncated normal, a larger sigma."""
    w = level4_numpy.glorot_normal(fan_in, fan_out, rng, np.float64)
    he_sigma = math.sqrt(2.0 / fan_in) / common.TRUNCATION_STD
    return (w * he_sigma / common.glorot_s0(fan_in, fan_out)).astype(dtype)


def init_params(hidden, rng, dtype, init="he"):
    """W1, b1, W2, b2: weights by "he" or by "glorot" (level 4's own), zero biases. From the same
    rng the two draws are the very same numbers times another scale: a fair comparison."""
    if init == "glorot":
        return level4_numpy.init_params(hidden, rng, dtype)
    return {"W1": he_normal(common.N_INPUTS, hidden, rng, dtype), "b1": np.zeros(hidden, dtype),
            "W2": he_normal(hidden, common.N_OUTPUTS, rng, dtype),
            "b2": np.zeros(common.N_OUTPUTS, dtype)}


def train_step_relu(params, x, y, lr):
    """One SGD step of the ReLU network; the batch's loss and accuracy before the update."""
    h, z2, a = forward_relu(x, params)
    loss = level4_numpy.loss_fn(z2, y)         # the same BCE from z2
    grads = gradients_relu(x, y, params, h, a)
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta
    return loss, level4_numpy.accuracy(a, y)


def signal_std(init, depth=10, width=256, rows=500, seed=0):
    """The standard deviation of z after each of `depth` ReLU layers of `width` units, started
    from unit-variance inputs: He keeps it near 1, Glorot halves its variance every layer."""
    rng = np.random.default_rng(seed)
    draw = he_normal if init == "he" else level4_numpy.glorot_normal
    z = rng.standard_normal((rows, width))
    stds = []
    for _ in range(depth):
        z = np.maximum(z, 0) @ draw(width, width, rng, np.float64)   # z_next = relu(z) W
        stds.append(float(z.std()))
    return stds


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=2), argv)
    dtype = np.dtype(args.dtype)

    params, x, y = helpers.check_batch()
    h, z2, a = forward_relu(x, params)
    errors = helpers.gradient_check(lambda p: level4_numpy.loss_fn(forward_relu(x, p)[1], y),
                                    gradients_relu(x, y, params, h, a), params)
    print("gradient check of gradients_relu (relative error, pass <= 1e-6):",
          helpers.format_errors(errors))
    for init in ("glorot", "he"):
        stds = signal_std(init)
        print(f"{init:>6}: std of z after ReLU layers 1, 5, 10 (256 wide): "
              f"{stds[0]:.3f}  {stds[4]:.3f}  {stds[9]:.4f}")

    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    runs = {"tanh + Glorot (level 4)": (level4_numpy.train_step, level4_numpy.forward, "glorot"),
            "ReLU + Glorot": (train_step_relu, forward_relu, "glorot"),
            "ReLU + He": (train_step_relu, forward_relu, "he")}
    print(f"hidden {args.hidden}, lr {args.lr:g}, batch {args.batch_size}, seed {args.seed}: "
          f"test accuracy after each of {args.epochs} epochs")
    for label, (step, forward, init) in runs.items():
        rng = np.random.default_rng(args.seed)
        params = init_params(args.hidden, rng, dtype, init)
        accs = []
        for epoch in range(args.epochs):
            helpers.train_epoch(step, params, x_train, y_train, args.batch_size, args.lr, rng,
                                args.shuffle)
            accs.append(level4_numpy.accuracy(forward(x_test, params)[2], y_test))
        print(f"{label:>24}: " + "  ".join(f"{100 * acc:.2f}%" for acc in accs))


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
