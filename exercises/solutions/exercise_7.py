"""Exercise 7, a solution - break the backward pass on purpose; which check catches it (level 4).

Two mistakes a learner makes in level 4's gradients():

* dropping tanh's derivative:  dL/dz1 = dL/dh           (instead of dL/dh * (1 - h^2))
* transposing the wrong matrix: dL/dh = dL/dz2 W2       (instead of dL/dz2 W2^T)

The second only runs when W2 is square, H = 10; for any other H NumPy stops it with a shape
error - the cheapest check of all. With H = 10 both run, and both still learn, far above the 10%
of guessing: a learning curve that goes up does not tell you that a gradient is right. The
finite-difference check does, and it says where: W2 and b2 come out right (their gradients are
computed above the mistake), W1 and b1 wrong, with relative errors near 1, not near 1e-9. The
answers to the exercise's questions: answers_7.md, beside this file.

    python exercises/solutions/exercise_7.py --data-dir PATH/TO/MNIST
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


def gradients_without_tanh_derivative(x, y, params, h, a):
    """BROKEN: level 4's gradients() without the factor (1 - h^2)."""
    dz2 = (a - y) / y.size                     # dL/dz2 = (a - y) / (10 B)
    dW2 = h.T @ dz2
    db2 = dz2.sum(axis=0)
    dh = dz2 @ params["W2"].T
    dz1 = dh                                   # dL/dz1 = dL/dh          <- the mistake
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}


def gradients_wrong_transpose(x, y, params, h, a):
    """BROKEN: dL/dh = dL/dz2 W2 instead of dL/dz2 W2^T (runs only when H = 10)."""
    dz2 = (a - y) / y.size
    dW2 = h.T @ dz2
    db2 = dz2.sum(axis=0)
    dh = dz2 @ params["W2"]                    # dL/dh = dL/dz2 W2       <- the mistake
    dz1 = dh * (1 - h * h)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}


VERSIONS = {"correct (level 4)": level4_numpy.gradients,
            "without (1 - h^2)": gradients_without_tanh_derivative,
            "dL/dz2 W2, not W2^T": gradients_wrong_transpose}


def check(gradients, hidden=10):
    """The finite-difference check (exercises/helpers.py) of one version of gradients()."""
    params, x, y = helpers.check_batch(hidden=hidden)
    h, z2, a = level4_numpy.forward(x, params)
    return helpers.gradient_check(lambda p: level4_numpy.loss_fn(level4_numpy.forward(x, p)[1], y),
                                  gradients(x, y, params, h, a), params)


def train_step_with(gradients):
    """Level 4's training step, with another gradients() in place of its own."""
    def step(params, x, y, lr):
        h, z2, a = level4_numpy.forward(x, params)
        grads = gradients(x, y, params, h, a)
        for name, p in params.items():
            p -= lr * grads[name]              # theta <- theta - lr * dL/dtheta
        return level4_numpy.loss_fn(z2, y), level4_numpy.accuracy(a, y)
    return step


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=1, hidden=10), argv)
    dtype = np.dtype(args.dtype)
    print("finite-difference check, H = 10 (relative error; pass <= 1e-6):")
    for label, gradients in VERSIONS.items():
        print(f"  {label:>20}: {helpers.format_errors(check(gradients))}")
    try:
        check(gradients_wrong_transpose, hidden=7)
    except ValueError as e:
        print(f"  with H = 7 the wrong transpose does not even run: ValueError: {e}")

    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    print(f"and yet they train: test accuracy after {args.epochs} epoch(s), hidden {args.hidden}, "
          f"lr {args.lr:g}")
    for label, gradients in VERSIONS.items():
        if gradients is gradients_wrong_transpose and args.hidden != 10:
            print(f"  {label:>20}: does not run with --hidden {args.hidden} (a shape error)")
            continue
        rng = np.random.default_rng(args.seed)
        params = level4_numpy.init_params(args.hidden, rng, dtype)
        for epoch in range(args.epochs):
            helpers.train_epoch(train_step_with(gradients), params, x_train, y_train,
                                args.batch_size, args.lr, rng, args.shuffle)
        acc = level4_numpy.accuracy(level4_numpy.forward(x_test, params)[2], y_test)
        print(f"  {label:>20}: {100 * acc:.2f}%")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
