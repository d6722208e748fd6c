"""Exercise 4 - sum over the outputs instead of the mean (level 3; compared with level 4).
Your code goes here.

EXERCISES.md, "Exercise 4", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 4          (from the project folder)

or by running this file. The project's loss, level3_autograd.loss_fn, is the mean over all B x 10
terms log(1 + e^z2) - y z2. This exercise's loss sums the 10 terms of each row and averages over
the batch only:

    L_sum = mean over the B rows of  sum over k = 1..10 of  [log(1 + e^z2_k) - y_k z2_k]

The checker trains level 3 with your train_step_sum from one start, batches in dataset order,
float64, at the learning rate same_steps_lr(lr), and compares the weights with level 4's own
training at lr (level4_numpy.train_epoch(..., shuffle=False)): they must end within 1e-8.
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

import torch  # noqa: E402,F401

import level3_autograd  # noqa: E402,F401


def loss_sum(z2, y):
    """L_sum, from the torch tensors z2 (B x 10) and y (B x 10, one-hot).

    Returns a torch scalar that autograd can differentiate (loss.backward()), finite for large
    z2 (level3_autograd.loss_fn shows how)."""
    raise NotImplementedError


def train_step_sum(params, x, y, lr):
    """Level 3's train_step() with loss_sum in place of loss_fn: params is a dict of torch
    tensors that require grad, changed in place: theta <- theta - lr * dL_sum/dtheta.
    Returns (loss, accuracy) of the batch before the update."""
    raise NotImplementedError


def same_steps_lr(lr):
    """The learning rate for L_sum with which SGD takes the very same steps as SGD on the
    project's loss at learning rate lr. Returns a number."""
    raise NotImplementedError


def same_steps_lr_adam(lr):
    """The same question for Adam (torch.optim.Adam, its other settings left at their defaults):
    the learning rate for L_sum with which Adam takes the steps of Adam on the project's loss at
    learning rate lr. Returns a number."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["4", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
