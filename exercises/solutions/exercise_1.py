"""Exercise 1, a solution - mean squared error instead of binary cross-entropy (level 4).

The loss, averaged over the batch and the 10 outputs as before:

    L = mean( (a - y)^2 )                        over B x 10 numbers, n = 10 B
    dL/da  = 2 (a - y) / n
    dL/dz2 = dL/da * a (1 - a) = 2 (a - y) a (1 - a) / n

With cross-entropy the sigmoid's derivative a (1 - a) cancelled; with MSE it stays. An output
that is confidently wrong (a near 1 where y = 0) has a (1 - a) near 0, so its gradient is tiny
and it learns slowly. The answers to the exercise's questions: answers_1.md, beside this file.
This script measures how slowly, on MNIST:

    python exercises/solutions/exercise_1.py --data-dir PATH/TO/MNIST
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

import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402


def loss_mse(a, y):
    """Mean squared error over the batch and the 10 outputs."""
    return np.mean((a - y) ** 2)               # L = mean((a - y)^2)


def gradients_mse(x, y, params, h, a):
    """dL/dz2, dL/dW2, dL/db2, dL/dh, dL/dz1, dL/dW1, dL/db1 for the MSE loss: only dL/dz2
    differs from level 4's gradients()."""
    n = y.size                                 # the loss averages over B x 10 numbers
    dz2 = 2 * (a - y) * a * (1 - a) / n        # dL/dz2 = 2 (a - y) a (1 - a) / n   (B x 10)
    dW2 = h.T @ dz2                            # below z2, level 4's chain rule, unchanged
    db2 = dz2.sum(axis=0)
    dh = dz2 @ params["W2"].T
    dz1 = dh * (1 - h * h)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}


def train_step_mse(params, x, y, lr):
    """One SGD step on the MSE loss; the batch's loss and accuracy before the update."""
    h, z2, a = level4_numpy.forward(x, params)
    loss = loss_mse(a, y)
    grads = gradients_mse(x, y, params, h, a)
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta
    return loss, level4_numpy.accuracy(a, y)


STEPS = {"BCE": level4_numpy.train_step, "MSE": train_step_mse}


def confidently_wrong_start(hidden, rng, dtype):
    """Level 4's Glorot start, but output 0 says "it is a zero" to every image: b2[0] = 6,
    so a[:, 0] = sigmoid(6 + small) ~ 0.998, wrong for the 90% of images that are not zeros."""
    params = level4_numpy.init_params(hidden, rng, dtype)
    params["b2"][0] = 6
    return params


def steps_to_recover(step, start, x, y, batch_size, lr, max_steps):
    """The number of SGD updates until output 0's mean over the batch falls below 0.5, counted
    as the starter's docstring defines it; None if max_steps updates were not enough."""
    params = {k: v.copy() for k, v in start.items()}
    n = len(x)
    per_epoch = -(-n // batch_size)            # batches per epoch, the last one maybe shorter
    for k in range(max_steps + 1):
        lo = (k % per_epoch) * batch_size      # batch k, in dataset order, epoch after epoch
        xb, yb = x[lo:lo + batch_size], y[lo:lo + batch_size]
        h, z2, a = level4_numpy.forward(xb, params)
        if a[:, 0].mean() < 0.5:               # checked before update k, on batch k
            return k
        if k == max_steps:
            return None
        step(params, xb, yb, lr)


def first_gradient(loss_name, params, x, y):
    """|dL/db2[0]| on the batch x, y: how hard the first step pushes the wrong output."""
    h, z2, a = level4_numpy.forward(x, params)
    gradients = gradients_mse if loss_name == "MSE" else level4_numpy.gradients
    return abs(float(gradients(x, y, params, h, a)["b2"][0]))


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=2, dtype="float64"), argv)
    dtype = np.dtype(args.dtype)

    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    errors = helpers.gradient_check(lambda p: loss_mse(level4_numpy.forward(x, p)[2], y),
                                    gradients_mse(x, y, params, h, a), params)
    print("gradient check of gradients_mse (relative error, pass <= 1e-6):",
          helpers.format_errors(errors))

    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    max_steps = args.epochs * steps_per_epoch
    print(f"confidently wrong start: b2[0] = 6, a[:, 0] ~ 0.998 for every image; lr {args.lr:g}, "
          f"batch {args.batch_size}, hidden {args.hidden}, batches in dataset order")
    for loss, step in STEPS.items():
        start = confidently_wrong_start(args.hidden, np.random.default_rng(args.seed), dtype)
        grad = first_gradient(loss, start, x_train[:args.batch_size], y_train[:args.batch_size])
        steps = steps_to_recover(step, start, x_train, y_train, args.batch_size, args.lr,
                                 max_steps)
        params = {k: v.copy() for k, v in start.items()}
        for epoch in range(args.epochs):
            helpers.train_epoch(step, params, x_train, y_train, args.batch_size, args.lr, None,
                                shuffle=False)
        h, z2, a = level4_numpy.forward(x_test, params)
        acc = level4_numpy.accuracy(a, y_test)
        print(f"{loss}: first |dL/db2[0]| {grad:.2e}; steps until output 0 stops saying 'zero': "
              f"{steps if steps is not None else f'more than {max_steps}'}; "
              f"test accuracy after {args.epochs} epochs {100 * acc:.2f}%")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
