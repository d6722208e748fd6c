"""Exercise 6, a solution - a second hidden layer at level 4: forward and backward as loops.

    z1 = x W1 + b1,   h1 = tanh(z1)          (784 -> H1)
    z2 = h1 W2 + b2,  h2 = tanh(z2)          (H1 -> H2)
    z3 = h2 W3 + b3,  a = sigmoid(z3)        (H2 -> 10)

Write the layers' inputs as h0 = x, h1, h2. Going backward, every layer l does the same three
things, from dL/dz_l down:

    dL/dW_l = h_(l-1)^T dL/dz_l,   dL/db_l = sum over the batch of dL/dz_l
    dL/dh_(l-1) = dL/dz_l W_l^T,   dL/dz_(l-1) = dL/dh_(l-1) * (1 - h_(l-1)^2)

starting from dL/dz3 = (a - y) / (10 B) at the top, as in level 4. Level 4's gradients() is this
loop unrolled for two layers. The answers to the exercise's questions: answers_6.md, beside
this file.

    python exercises/solutions/exercise_6.py --data-dir PATH/TO/MNIST
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

import common  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402


def init_params(sizes, rng, dtype):
    """W1, b1, ..., W_L, b_L for layer sizes such as [784, H1, H2, 10]: level 4's Glorot normal
    weights, zero biases."""
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = level4_numpy.glorot_normal(fan_in, fan_out, rng, dtype)
        params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
    return params


def n_layers(params):
    return len(params) // 2


def forward(x, params):
    """hs = [h0 = x, h1, ..., h_(L-1)], the top layer's z and a = sigmoid(z)."""
    hs = [x]
    for l in range(1, n_layers(params)):
        z = hs[-1] @ params[f"W{l}"] + params[f"b{l}"]      # z_l = h_(l-1) W_l + b_l
        hs.append(np.tanh(z))                               # h_l = tanh(z_l)
    L = n_layers(params)
    z = hs[-1] @ params[f"W{L}"] + params[f"b{L}"]          # z_L = h_(L-1) W_L + b_L
    a = 0.5 * (1 + np.tanh(0.5 * z))                        # a = sigmoid(z_L)
    return hs, z, a


def gradients(y, params, hs, a):
    """Backpropagation as a loop from the top layer down to W1; dL/dz_l of each layer too."""
    grads = {}
    dz = (a - y) / y.size                                   # dL/dz_L = (a - y) / (10 B)
    for l in range(n_layers(params), 0, -1):
        grads[f"z{l}"] = dz                                 # dL/dz_l, kept for the checker
        grads[f"W{l}"] = hs[l - 1].T @ dz                   # dL/dW_l = h_(l-1)^T dL/dz_l
        grads[f"b{l}"] = dz.sum(axis=0)                     # dL/db_l = sum over the batch
        if l > 1:
            dh = dz @ params[f"W{l}"].T                     # dL/dh_(l-1) = dL/dz_l W_l^T
            dz = dh * (1 - hs[l - 1] ** 2)                  # dL/dz_(l-1) = dL/dh * (1 - h^2)
    return grads


def train_step(params, x, y, lr):
    """One SGD step; the batch's loss and accuracy before the update."""
    hs, z, a = forward(x, params)
    loss = level4_numpy.loss_fn(z, y)          # level 4's BCE from the top layer's z
    grads = gradients(y, params, hs, a)
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta
    return loss, level4_numpy.accuracy(a, y)


def main(argv=None):
    p = helpers.parser(__doc__, epochs=2)
    p.add_argument("--hidden2", type=int, default=128, metavar="H2",
                   help="units in the second hidden layer (default: %(default)s)")
    args = helpers.parse(p, argv)
    dtype = np.dtype(args.dtype)

    params, x, y = helpers.check_batch_layers((common.N_INPUTS, 7, 5, common.N_OUTPUTS))
    hs, z, a = forward(x, params)
    errors = helpers.gradient_check_layers(forward, gradients(y, params, hs, a), params, x, y)
    print("gradient check, two hidden layers (relative error, pass <= 1e-6):",
          helpers.format_errors(errors))

    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    rng = np.random.default_rng(args.seed)
    params = init_params([common.N_INPUTS, args.hidden, args.hidden2, common.N_OUTPUTS], rng, dtype)
    print(f"784 -> {args.hidden} -> {args.hidden2} -> 10, lr {args.lr:g}, batch {args.batch_size}")
    for epoch in range(args.epochs):
        loss, acc = helpers.train_epoch(train_step, params, x_train, y_train, args.batch_size,
                                        args.lr, rng, args.shuffle)
        test_acc = level4_numpy.accuracy(forward(x_test, params)[2], y_test)
        print(f"epoch {epoch + 1}: train loss {loss:.4f}  test accuracy {100 * test_acc:.2f}%")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
