"""Exercise 9 - write the engine (level 3½'s autograd, and more). Your code goes here.

EXERCISES.md, "Exercise 9", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 9          (from the project folder)

or by running this file. The checker runs your engine where PyTorch cannot be imported, and
compares it with PyTorch's autograd in its own process; then it trains level 3½'s own training
code, unchanged, on your engine, against level 4.

A Tensor holds a NumPy array `.data`, its gradient `.grad` (dL/dthis, the same shape, or None),
and how it was made: its `parents` and, for each parent, a function `vjps[i](g)` that turns
g = dL/dthis into that parent's share of dL/dparent. `sigmoid` below is a whole operation,
written out, to copy the shape of.
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
        """Fill the .grad of every tensor that requires grad and that this one (the loss) was
        computed from, with dL/d(that tensor). As in PyTorch, a leaf's .grad (a tensor with no
        parents: a parameter) adds up over calls until it is set back to None; and the graph is
        freed as the walk goes: a result whose vjps have run lets go of its parents, its vjps
        and its .grad, so that the graph's memory can go while the loss is still held, and a
        second backward() through it raises RuntimeError. Works on a graph of any depth: 10,000
        operations one after the other, say. Returns None."""
        raise NotImplementedError

    def __matmul__(self, other):
        """Returns self @ other (a Tensor), for 2-D self (B x n) and other (n x m)."""
        raise NotImplementedError

    def __add__(self, other):
        """Returns self + other, other a Tensor or a number, with NumPy's broadcasting
        (z1 = x @ W1 + b1 adds b1 to every row)."""
        raise NotImplementedError

    def __radd__(self, other):
        """Returns other + self, for a number other (Python calls it for 3 + t)."""
        raise NotImplementedError

    def __sub__(self, other):
        """Returns self - other, other a Tensor or a number, with broadcasting."""
        raise NotImplementedError

    def __rsub__(self, other):
        """Returns other - self, for a number other (1 - t)."""
        raise NotImplementedError

    def __mul__(self, other):
        """Returns self * other, other a Tensor or a number, element by element, with
        broadcasting."""
        raise NotImplementedError

    def __rmul__(self, other):
        """Returns other * self, for a number other (2 * t)."""
        raise NotImplementedError

    def __neg__(self):
        """Returns -self."""
        raise NotImplementedError

    @property
    def T(self):
        """Returns the transpose of a 2-D tensor, as NumPy's a.T. (Level 3½ does not have it.)"""
        raise NotImplementedError

    def reshape(self, *shape):
        """Returns the same entries in the given shape, as NumPy's a.reshape(*shape). (Level 3½
        does not have it.)"""
        raise NotImplementedError

    def sum(self, axis=None, keepdims=False):
        """Returns the sum of the entries over `axis` (None: all of them; an int; or a tuple of
        ints), keeping the summed axes as size 1 with keepdims, as NumPy's a.sum(axis=...,
        keepdims=...) does. (Level 3½ does not have it.)"""
        raise NotImplementedError

    def __isub__(self, g):
        """p -= g (g a NumPy array): the numbers changed in place, nothing recorded (given)."""
        self.data -= g
        return self


class no_grad(contextlib.ContextDecorator):
    """`with no_grad():` (or `@no_grad()` on a function, which ContextDecorator gives): nothing is
    recorded inside, as in torch; on leaving, recording is as it was before, also when one
    no_grad is inside another."""

    def __enter__(self):
        """`with no_grad():` calls this on entering: nothing recorded from here on. Returns
        None."""
        raise NotImplementedError

    def __exit__(self, *error):
        """Called on leaving the block, also by an error: recording as it was before. Returns
        None (an error inside then goes on up)."""
        raise NotImplementedError


def record(data, parents, vjps):
    """Returns the Tensor holding `data`, the result of an operation on the Tensors `parents`,
    whose vjps are `vjps`: a tensor of the graph (it requires grad and remembers its parents
    and vjps) when one of the parents requires grad and no `no_grad` is in force, as in torch;
    else a plain Tensor that remembers nothing. Every operation makes its result with it."""
    raise NotImplementedError


def unbroadcast(g, shape):
    """g is dL/d(result) of an operation that broadcast one of its inputs, of shape `shape`.
    Returns that input's share: dL/d(input), a NumPy array of `shape`."""
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


def exp(z):
    """Returns e^z, element by element. (Level 3½ does not have it.)"""
    raise NotImplementedError


def log(z):
    """Returns the natural logarithm of z (entries > 0), element by element. (Level 3½ does not
    have it.)"""
    raise NotImplementedError


def mean(z):
    """Returns the mean of all the entries of z: a Tensor holding one number."""
    raise NotImplementedError


def softmax_cross_entropy(z, y):
    """Exercise 3's loss on this engine: the mean over the rows of -sum_k y_k log softmax(z)_k,
    for z (B x 10, any real numbers: entries in the thousands too) and one-hot y (B x 10), both
    Tensors. Write it with the operations above only - no vjp of its own. Returns a Tensor
    holding one number."""
    raise NotImplementedError


def zeros_like(z):
    """A Tensor of zeros shaped as z, needing no gradient (given)."""
    return Tensor(np.zeros_like(z.data))


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["9", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
