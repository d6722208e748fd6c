"""Exercise 11 - write fit(): a small Model with compile(optimizer, loss) and fit(), which
returns the history of loss and accuracy per epoch as Keras's does. Your code goes here.

EXERCISES.md, "Exercise 11", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 11         (from the project folder)

or by running this file. The checker wraps level 2's own model in your Model, compiles it with
torch.optim.SGD and level 2's loss, and calls fit() on NumPy arrays, float64: in dataset order
(shuffle=False), the weights must end within 1e-12 of level 1's (Keras's fit()) and of level
4's, and the history within 1e-10; shuffled with a seeded np.random.Generator, within 1e-12 of
level 4 trained with the same generator. It compiles your Model with another loss and optimizer too, and checks
that fit() trains with them. Then it runs your fit() on another tensor library, level 3½'s
engine.

A network here is anything that is called on a batch x and returns z2 (level 2's model, your
Sequential of Exercise 10); a loss is called as loss(z2, y) and returns a one-number tensor with
backward(); an optimizer has step() and zero_grad(). Turn NumPy arrays into tensors and tensors
into NumPy arrays only with the two names below (`as_tensor`, `as_array`), and ask no more of a
tensor than that: then your fit() runs on any tensor library put behind those two names - the
checker puts level 3½'s engine there, and `python -m exercises.check stack` the engine of
Exercise 9.
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
        self.stop_training = False             # a callback sets it to end fit() early

    def compile(self, optimizer, loss):
        """Keep the optimizer, with step() and zero_grad(), and the loss, loss(z2, y), for fit(),
        in the order of Keras's compile(). Returns None."""
        raise NotImplementedError

    def fit(self, x, y, batch_size=32, epochs=1, shuffle=True, rng=None, validation_data=None,
            callbacks=()):
        """Train the compiled network on x (N x 784) and y (N x 10, one-hot), NumPy arrays:
          * `epochs` epochs, each in batches of batch_size rows (the last one shorter when N is
            not a multiple), one training step per batch;
          * with shuffle, the rows in an order from rng.permutation(N) (rng None: a new
            np.random.default_rng()); without, in dataset order;
          * after each epoch, the epoch's loss and accuracy appended to the history, as Keras's
            fit() reports them (accuracy: the fraction of rows whose largest output is the
            labelled digit), under "loss" and "acc";
          * with validation_data = (x_val, y_val), also the loss and accuracy on it after each
            epoch, under "val_loss" and "val_acc", as Keras's fit(validation_data=...) does (with
            only as_tensor and as_array, that pass may record a graph nothing uses: no matter);
          * then, as Keras's fit() does, each callback's on_epoch_end(epoch, logs), with the
            epoch counted from 0 and logs a dict of that epoch's numbers under the history's
            keys; and no more epochs once self.stop_training is set (a callback may set it, as
            Keras's EarlyStopping does; fit() sets it to False when it starts).
        Returns the History."""
        raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["11", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
