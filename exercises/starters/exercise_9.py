"""Exercise 9 - write the engine (level 3½'s autograd). Your code goes here.

EXERCISES.md, "Exercise 9", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 9          (from the project folder)

or by running this file. The checker compares every operation's value and gradients with
PyTorch's autograd (in its own process: here PyTorch cannot be imported), checks backward()'s
order on graphs that use a value twice, and then trains level 3½'s own code - its init_params,
forward, loss_fn, train_step and train_epoch, unchanged - on your engine, in float64, against
level 4: the weights must end within 1e-12 of level 4's.

A Tensor holds a NumPy array `.data`, its gradient `.grad` (dL/dthis, the same shape, or None),
and how it was made: its `parents` and, for each parent, a function `vjps[i](g)` that turns
g = dL/dthis into that parent's share of dL/dparent. `record()` makes such a Tensor; `sigmoid`
below is a whole operation, written out, to copy the shape of.
"""

import contextlib
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


class Tensor:
    """A NumPy array, its gradient, and how it was made (given)."""

    def __init__(self, data, requires_grad=False, parents=(), vjps=()):
        self.data, self.grad = np.asarray(data), None
        self.requires_grad, self.parents, self.vjps = requires_grad, parents, vjps

    def backward(self):
        """Fill .grad of every tensor this one was computed from that requires grad, by the
        chain rule: dL/dthis = 1 for this one (the loss), then, in an order where every tensor
        comes after all the tensors computed from it (a reverse topological order), add each
        vjp's share into its parent's .grad. A tensor used twice gets both shares, added; each
        tensor's vjps run once. As in PyTorch, a leaf's .grad (a tensor with no parents: a
        parameter) adds up over calls until it is set back to None; a tensor with parents starts
        from nothing at each call. It works on graphs of any depth: 10,000 operations one after
        the other, say, which a walk that calls itself once per level does not manage. Returns
        None."""
        raise NotImplementedError

    def __matmul__(self, other):
        """Returns self @ other (a Tensor), for 2-D self (B x n) and other (n x m)."""
        raise NotImplementedError

    def __add__(self, other):
        """Returns self + other (both Tensors: level 3½'s code never adds a plain number), with
        NumPy's broadcasting (z1 = x @ W1 + b1 adds b1 to every row)."""
        raise NotImplementedError

    def __sub__(self, other):
        """Returns self - other (both Tensors), with broadcasting."""
        raise NotImplementedError

    def __mul__(self, other):
        """Returns self * other (both Tensors), element by element, with broadcasting."""
        raise NotImplementedError

    def __isub__(self, g):
        """p -= g (g a NumPy array): the numbers changed in place, nothing recorded (given)."""
        self.data -= g
        return self


class no_grad(contextlib.ContextDecorator):
    """`with no_grad():` (or `@no_grad()` on a function): nothing recorded, as in torch (given)."""
    recording = True

    def __enter__(self):
        self.before, no_grad.recording = no_grad.recording, False

    def __exit__(self, *error):
        no_grad.recording = self.before


def record(data, parents, vjps):
    """The result of an operation, remembering its parents if any of them needs a gradient
    (given)."""
    if not no_grad.recording or not any(p.requires_grad for p in parents):
        return Tensor(data)
    return Tensor(data, True, parents, vjps)


def unbroadcast(g, shape):
    """Returns g (a NumPy array: the gradient of a broadcast result) summed back to `shape`,
    the shape of the value that was broadcast: over the leading axes it lacked, and over the
    axes where it had 1."""
    raise NotImplementedError


def sigmoid(z):                                # sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))
    """An operation, written out (given): the value, then the vjp, from what it keeps."""
    out = 0.5 * (1 + np.tanh(0.5 * z.data))    # = 1 / (1 + e^-z), without e^-z overflowing
    return record(out, (z,), (lambda g: g * out * (1 - out),))


def tanh(z):
    """Returns tanh(z), element by element."""
    raise NotImplementedError


def relu(z):
    """Returns max(z, 0), element by element; its derivative at 0 is taken as 0, as PyTorch
    takes it. (The model does not use it: an operation level 3½ does not have.)"""
    raise NotImplementedError


def logaddexp(u, v):
    """Returns log(e^u + e^v), element by element, with broadcasting; finite for u and v in
    the thousands."""
    raise NotImplementedError


def mean(z):
    """Returns the mean of all the entries of z: a Tensor holding one number."""
    raise NotImplementedError


def zeros_like(z):
    """A Tensor of zeros shaped as z, needing no gradient (given)."""
    return Tensor(np.zeros_like(z.data))


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["9", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
