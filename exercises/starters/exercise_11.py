"""Exercise 11 - write fit(): a small Model with compile(loss, optimizer) and fit(), which
returns the history of loss and accuracy per epoch as Keras's does. Your code goes here.

EXERCISES.md, "Exercise 11", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 11         (from the project folder)

or by running this file. The checker wraps level 2's own model in your Model, compiles it with
level 2's loss and torch.optim.SGD, and calls fit() on NumPy arrays, float64: in dataset order
(shuffle=False), the weights and the history must end within 1e-12 of level 1's (Keras's fit())
and of level 4's; shuffled with a seeded np.random.Generator, within 1e-12 of level 4 trained
with the same generator.

A network here is anything that is called on a batch x and returns z2 (level 2's model, your
Sequential of Exercise 10); a loss is called as loss(z2, y) and returns a one-number tensor with
backward(); an optimizer has step() and zero_grad(). Compute with the two names below
(`as_tensor`, `as_array`) for the tensors: then your fit() also runs on the engine of Exercise 9,
and `python -m exercises.check stack` trains on Exercises 9, 10 and 11 together.
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
import torch  # noqa: E402


# The tensor library fit() hands the batches to, in two names (given).
def as_tensor(array):
    """A NumPy batch as the tensors the network computes with (given). Returns it."""
    return torch.from_numpy(array)


def as_array(tensor):
    """A tensor's numbers as a NumPy array (given). Returns it."""
    return tensor.detach().numpy()


class History:
    """What fit() returns, as Keras's History (given): .history = {"loss": [...], "acc": [...]},
    one number per epoch."""

    def __init__(self):
        self.history = {"loss": [], "acc": []}


class Model:
    """A network, trained as Keras's Model is: compile(), then fit()."""

    def __init__(self, network):
        """network(x) is z2 for a batch x (given). Returns None."""
        self.network = network

    def compile(self, loss, optimizer):
        """Keep the loss, loss(z2, y), and the optimizer, with step() and zero_grad(), for fit().
        Returns None."""
        raise NotImplementedError

    def fit(self, x, y, batch_size=32, epochs=1, shuffle=True, rng=None):
        """Train on x (N x 784) and y (N x 10, one-hot), NumPy arrays, for `epochs` epochs. In
        each epoch: the order of the rows - rng.permutation(N), drawn afresh each epoch, when
        shuffle (rng None: a new np.random.default_rng()), else 0..N-1 - cut into batches of
        batch_size (the last one shorter when N is not a multiple); for each batch, as tensors:
        z2 = network(x), loss(z2, y), backward(), the optimizer's step() and zero_grad(). At the
        end of each epoch, append to the history the epoch's loss and accuracy as Keras reports
        them: the mean over the epoch's rows of the batches' losses (each batch's loss weighted
        by its number of rows), and the fraction of rows whose largest z2 is the labelled digit
        (both from before each batch's update). Returns the History."""
        raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["11", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
