"""What the solutions share: the chain rule below z2, a gradient check, a training loop, the flags.

None of this is an exercise. It is here so that each solution file holds only what its exercise
changes, in the project's notation: x (B x 784), y (B x 10, one-hot), W1, b1, W2, b2,
z1 = x W1 + b1, h = f(z1), z2 = h W2 + b2, a = sigmoid(z2).
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

import common  # noqa: E402
from machinery import cli, params_files  # noqa: E402


# ---------------------------------------------------------------------------------------------
# The backward pass below z2
# ---------------------------------------------------------------------------------------------
def backward(x, params, h, dz2, dh_dz1):
    """The chain rule from dL/dz2 down to W1, b1, W2, b2, for a hidden layer h = f(z1).

    dz2 is dL/dz2 (B x 10), whatever the loss and output were; dh_dz1 is f'(z1) (B x H), written
    with h: 1 - h^2 for tanh. level4_numpy.gradients() is this with dz2 = (a - y) / n."""
    dW2 = h.T @ dz2                            # dL/dW2 = h^T dL/dz2           (H x 10)
    db2 = dz2.sum(axis=0)                      # dL/db2 = sum over the batch of dL/dz2   (10)
    dh = dz2 @ params["W2"].T                  # dL/dh  = dL/dz2 W2^T          (B x H)
    dz1 = dh * dh_dz1                          # dL/dz1 = dL/dh * f'(z1)       (B x H)
    dW1 = x.T @ dz1                            # dL/dW1 = x^T dL/dz1           (784 x H)
    db1 = dz1.sum(axis=0)                      # dL/db1 = sum over the batch of dL/dz1   (H)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# ---------------------------------------------------------------------------------------------
# The gradient check
# ---------------------------------------------------------------------------------------------
def check_batch(hidden=7, rows=6, seed=3):
    """A small float64 batch and parameters for gradient checks, as tests/test_gradients.py
    builds them: nonzero biases (so their gradients count) and W2 x 4 (some outputs saturate)."""
    import level4_numpy
    rng = np.random.default_rng(seed)
    params = level4_numpy.init_params(hidden, rng, np.float64)
    params["b1"] += rng.normal(0, 0.1, hidden)
    params["b2"] += rng.normal(0, 0.1, common.N_OUTPUTS)
    params["W2"] *= 4
    x = rng.random((rows, common.N_INPUTS))
    y = np.eye(common.N_OUTPUTS)[rng.integers(0, common.N_OUTPUTS, rows)]
    return params, x, y


def numerical_gradients(loss_at, params, step=1e-6):
    """dL/dp for every entry of every parameter by central differences,
    dL/dp ~ (L(p + e) - L(p - e)) / 2e. loss_at(params) computes L; each entry is restored."""
    numeric = {}
    for name, p in params.items():
        numeric[name] = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + step
            up = loss_at(params)
            p[i] = saved - step
            down = loss_at(params)
            p[i] = saved
            numeric[name][i] = (up - down) / (2 * step)
    return numeric


def gradient_check(loss_at, grads, params, step=1e-6):
    """Each parameter's relative error max|grad - numeric| / max|numeric|. In float64 a right
    gradient gives about 1e-9 or less (the check passes at <= 1e-6); a wrong one 1e-2 or more."""
    numeric = numerical_gradients(loss_at, params, step)
    return {name: float(np.abs(grads[name] - numeric[name]).max() / np.abs(numeric[name]).max())
            for name in params}


def format_errors(errors):
    return "  ".join(f"{name} {error:.1e}" for name, error in errors.items())


# ---------------------------------------------------------------------------------------------
# Training with a step of your own
# ---------------------------------------------------------------------------------------------
def train_epoch(step, params, x_train, y_train, batch_size, rng, shuffle):
    """level4_numpy.train_epoch(), with the training step as an argument:
    step(params, x, y) updates params in place and returns the batch's loss and accuracy."""
    n = len(x_train)
    order = rng.permutation(n) if shuffle else np.arange(n)
    total_loss = total_acc = 0.0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        loss, acc = step(params, x_train[batch], y_train[batch])
        total_loss += loss * len(batch)
        total_acc += acc * len(batch)
    return float(total_loss) / n, float(total_acc) / n


def max_abs_difference(p, q):
    """The largest |p - q| over all parameters: the lockstep measure (float64: <= 1e-8)."""
    return max(float(np.abs(np.asarray(p[k], np.float64) - np.asarray(q[k], np.float64)).max())
               for k in p)


def as_numpy(params):
    """NumPy copies of a dict of NumPy arrays or torch tensors."""
    return {k: np.array(params_files.as_numpy(v)) for k, v in params.items()}


# ---------------------------------------------------------------------------------------------
# The flags: the levels' own, with shorter defaults
# ---------------------------------------------------------------------------------------------
def parser(doc, **defaults):
    """The levels' flag parser (machinery/cli.py); a solution adds its own flags to it."""
    p = cli.make_parser(doc)
    p.set_defaults(**defaults)
    return p


def parse(p, argv=None):
    """Parse and check the flags as the levels do; one BLAS thread for NumPy, as at level 4."""
    args = p.parse_args(argv)
    cli.check_args(p, args)
    cli.limit_blas_threads()
    return args
