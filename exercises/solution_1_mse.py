"""Exercise 1 - mean squared error instead of binary cross-entropy (level 4; checked at level 3).

The loss, averaged over the batch and the 10 outputs as before:

    L = mean( (a - y)^2 )                        over B x 10 numbers, n = 10 B
    dL/da  = 2 (a - y) / n
    dL/dz2 = dL/da * a (1 - a) = 2 (a - y) a (1 - a) / n

With cross-entropy the sigmoid's derivative a (1 - a) cancelled; with MSE it stays. An output
that is confidently wrong (a near 1 where y = 0) has a (1 - a) near 0, so its gradient is tiny
and it learns slowly. This script measures how slowly:

    python exercises/solution_1_mse.py --data-dir PATH/TO/MNIST
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # project folder
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402


def loss_mse(a, y):
    """Mean squared error over the batch and the 10 outputs."""
    return np.mean((a - y) ** 2)               # L = mean((a - y)^2)


def gradients_mse(x, y, params, h, a):
    """dL/dW1, dL/db1, dL/dW2, dL/db2 for the MSE loss: only dL/dz2 differs from level 4."""
    n = y.size                                 # the loss averages over B x 10 numbers
    dz2 = 2 * (a - y) * a * (1 - a) / n        # dL/dz2 = 2 (a - y) a (1 - a) / n   (B x 10)
    return helpers.backward(x, params, h, dz2, 1 - h * h)   # below z2 as before: tanh' = 1 - h^2


def train_step_mse(params, x, y, lr):
    """One SGD step on the MSE loss; the batch's loss and accuracy before the update."""
    h, z2, a = level4_numpy.forward(x, params)
    loss = loss_mse(a, y)
    grads = gradients_mse(x, y, params, h, a)
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta
    return loss, level4_numpy.accuracy(a, y)


def train_step_bce(params, x, y, lr):
    return level4_numpy.train_step(params, x, y, lr)   # level 4 itself


STEPS = {"BCE": train_step_bce, "MSE": train_step_mse}


def confidently_wrong_start(hidden, rng, dtype, bias=6.0):
    """Level 4's Glorot start, but output 0 says "it is a zero" to every image: b2[0] = bias,
    so a[:, 0] = sigmoid(6 + small) ~ 0.998, wrong for the 90% of images that are not zeros."""
    params = level4_numpy.init_params(hidden, rng, dtype)
    params["b2"][0] = bias
    return params


def steps_to_recover(step, params, x_train, y_train, batch_size, lr, max_steps):
    """SGD steps (batches in dataset order) until output 0's mean over the batch falls below 0.5,
    i.e. it stops answering "zero" to most images; None if it has not after max_steps."""
    n = len(x_train)
    for k in range(max_steps):
        start = k * batch_size % n
        x, y = x_train[start:start + batch_size], y_train[start:start + batch_size]
        h, z2, a = level4_numpy.forward(x, params)
        if a[:, 0].mean() < 0.5:
            return k
        step(params, x, y, lr)
    return None


def first_gradient(loss, params, x, y):
    """|dL/db2[0]| on the first batch: how hard the first step pushes the wrong output."""
    h, z2, a = level4_numpy.forward(x, params)
    grads = (gradients_mse if loss == "MSE" else level4_numpy.gradients)(x, y, params, h, a)
    return abs(float(grads["b2"][0]))


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=2, dtype="float64"), argv)
    dtype = np.dtype(args.dtype)

    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    errors = helpers.gradient_check(lambda p: loss_mse(level4_numpy.forward(x, p)[2], y),
                                    gradients_mse(x, y, params, h, a), params)
    print("gradient check of gradients_mse (relative error, pass <= 1e-6):",
          helpers.format_errors(errors))

    (x_train, y_train), (x_test, y_test) = level4_numpy.load_data(args.data_dir, args.limit, dtype)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    max_steps = args.epochs * steps_per_epoch
    print(f"confidently wrong start: b2[0] = 6, a[:, 0] ~ 0.998 for every image; lr {args.lr:g}, "
          f"batch {args.batch_size}, hidden {args.hidden}")
    for loss, step in STEPS.items():
        start = confidently_wrong_start(args.hidden, np.random.default_rng(args.seed), dtype)
        grad = first_gradient(loss, start, x_train[:args.batch_size], y_train[:args.batch_size])
        params = {k: v.copy() for k, v in start.items()}
        steps = steps_to_recover(step, params, x_train, y_train, args.batch_size, args.lr,
                                 max_steps)
        params = {k: v.copy() for k, v in start.items()}
        for epoch in range(args.epochs):
            helpers.train_epoch(lambda p, xb, yb: step(p, xb, yb, args.lr), params, x_train,
                                y_train, args.batch_size, None, shuffle=False)
        h, z2, a = level4_numpy.forward(x_test, params)
        acc = level4_numpy.accuracy(a, y_test)
        print(f"{loss}: first |dL/db2[0]| {grad:.2e}; steps until output 0 stops saying 'zero': "
              f"{steps if steps is not None else f'more than {max_steps}'}; "
              f"test accuracy after {args.epochs} epochs {100 * acc:.2f}%")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
