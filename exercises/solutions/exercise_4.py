"""Exercise 4, a solution - sum over the 10 outputs instead of the mean (level 3, against level 4).

The project's loss averages over all B x 10 terms. Summing over the 10 outputs (and averaging over
the batch only, as Keras's CategoricalCrossentropy and most textbooks do) gives

    L_sum = mean over the batch of sum_k [log(1 + e^z2_k) - y_k z2_k] = 10 L
    dL_sum/dtheta = 10 dL/dtheta

so SGD with learning rate lr / 10 on L_sum takes exactly the steps of lr on L:
    theta - (lr / 10) (10 dL/dtheta) = theta - lr dL/dtheta.
From the same start on the same batches the weights stay the same (lockstep, float64). The
answers to the exercise's questions: answers_4.md, beside this file.

    python exercises/solutions/exercise_4.py --data-dir PATH/TO/MNIST
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
import torch  # noqa: E402

import common  # noqa: E402
import level3_autograd  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402
from machinery import params_files  # noqa: E402


def loss_sum(z2, y):
    """Binary cross-entropy summed over the 10 outputs, averaged over the batch: 10 x level 3's."""
    softplus = torch.logaddexp(torch.zeros_like(z2), z2)     # log(1 + e^z2)
    return torch.mean(torch.sum(softplus - y * z2, dim=1))   # L_sum = mean_i sum_k (...)


def train_step_sum(params, x, y, lr):
    """Level 3's training step with loss_sum in place of loss_fn."""
    z2, a = level3_autograd.forward(x, params)
    loss = loss_sum(z2, y)
    loss.backward()                            # p.grad = dL_sum/dp = 10 dL/dp
    with torch.no_grad():
        for p in params.values():
            p -= lr * p.grad                   # theta <- theta - lr * dL_sum/dtheta
            p.grad = None
    return loss.detach(), level3_autograd.accuracy(a.detach(), y)


def same_steps_lr(lr):
    """The learning rate for loss_sum that makes SGD take level 4's steps at learning rate lr:
    L_sum = 10 L, so its gradients are 10 times larger."""
    return lr / 10


def same_steps_lr_adam(lr):
    """The learning rate for loss_sum that makes Adam take the steps of Adam on L at lr: Adam's
    step is lr m / (sqrt(v) + eps), and the factor 10 of the gradient is in m and in sqrt(v)
    alike, so it cancels, all but its share of eps (the summed run has, in effect, eps / 10)."""
    return lr


def train_adam(start, x_train, y_train, epochs, batch_size, lr, loss, eps=1e-8):
    """Level 3's forward pass with torch.optim.Adam and the given loss, from `start`, batches
    in dataset order."""
    params = {k: torch.tensor(v).requires_grad_() for k, v in start.items()}
    optimizer = torch.optim.Adam(params.values(), lr=lr, eps=eps)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(epochs):
        for i in range(0, len(x), batch_size):
            z2, a = level3_autograd.forward(x[i:i + batch_size], params)
            loss(z2, y[i:i + batch_size]).backward()
            optimizer.step()
            optimizer.zero_grad()
    return helpers.as_numpy(params)


def train_level3_sum(start, x_train, y_train, epochs, batch_size, lr):
    """Level 3 with the summed loss, from `start` (NumPy arrays), batches in dataset order."""
    params = {k: torch.tensor(v).requires_grad_() for k, v in start.items()}
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(epochs):
        for i in range(0, len(x), batch_size):
            train_step_sum(params, x[i:i + batch_size], y[i:i + batch_size], lr)
    return helpers.as_numpy(params)


def train_level4_mean(start, x_train, y_train, epochs, batch_size, lr):
    """Level 4 itself (the mean over B x 10), from `start`, batches in dataset order."""
    params = {k: v.copy() for k, v in start.items()}
    for epoch in range(epochs):
        level4_numpy.train_epoch(params, x_train, y_train, batch_size, lr, None, shuffle=False)
    return params


def main(argv=None):
    args = helpers.parse(helpers.parser(__doc__, epochs=2, batch_size=50, lr=0.7, hidden=24,
                                        limit=1500, dtype="float64"), argv)
    (x_train, y_train), _ = helpers.load_data(level4_numpy, args.data_dir, args.limit, np.dtype(args.dtype))
    start = params_files.load(args, common) if args.init_from else level4_numpy.init_params(
        args.hidden, np.random.default_rng(args.seed), np.dtype(args.dtype))
    setting = (x_train, y_train, args.epochs, args.batch_size)

    mean = train_level4_mean(start, *setting, args.lr)
    print(f"level 4, mean over B x 10, lr {args.lr:g}: moved the weights by up to "
          f"{helpers.max_abs_difference(mean, start):.3f}")
    for lr in (same_steps_lr(args.lr), args.lr):
        summed = train_level3_sum(start, *setting, lr)
        print(f"level 3, sum over the 10 outputs, lr {lr:g}: largest |dW| from level 4's "
              f"weights {helpers.max_abs_difference(summed, mean):.2e}")

    adam_lr = 0.01                             # a usual learning rate for Adam
    for eps in (1e-8, 1e-30):
        adam = train_adam(start, *setting, adam_lr, level3_autograd.loss_fn, eps)
        for lr in (same_steps_lr_adam(adam_lr), adam_lr / 10):
            summed = train_adam(start, *setting, lr, loss_sum, eps)
            print(f"Adam (eps {eps:g}), sum at lr {lr:g} against mean at lr {adam_lr:g}: "
                  f"largest |dW| {helpers.max_abs_difference(summed, adam):.2e}")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
