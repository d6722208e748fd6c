"""Exercise 9, a solution - the engine: a Tensor that remembers how it was made, and backward().

Every operation records its parents and, for each, a vector-Jacobian product: a function from
g = dL/d(result) to that parent's share of dL/d(parent). backward() walks the record from the
loss back to the leaves, in reverse topological order, so that a tensor's .grad is complete (all
the shares of everything computed from it added in) before its own vjps run; then, as PyTorch's
does, it frees each result it has passed (its parents, its vjps and its .grad), so that the graph
holds no memory once the gradients are in the leaves:

    d(A @ B):  g @ B^T,  A^T @ g              d(A + B):  g, g        (each unbroadcast)
    d(A * B):  g * B,    g * A                d(A - B):  g, -g
    tanh:      g (1 - tanh^2)                 relu:      g [z > 0]
    logaddexp: g e^(u - out), g e^(v - out)   mean:      g / (number of entries), everywhere
    A.T:       g.T                            reshape:   g in the old shape
    -A:        -g                             a number:  a constant Tensor, no gradient
    exp:       g e^z                          log:       g / z
    sum:       g, copied back along the summed axes (the mirror of unbroadcast)

A value broadcast to many places (b1 to every row) gets the sum of their gradients:
unbroadcast() sums g back to the value's shape. The answers to the exercise's questions:
answers_9.md, beside this file.

    python exercises/solutions/exercise_9.py --data-dir PATH/TO/MNIST

trains level 3½'s own code on this engine and level 4 from one start on the same batches, and
prints the largest weight difference; then builds level 3's graph for one batch of 2,048, on level
3½'s engine and on this one, and counts the bytes each keeps after backward().
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
    """A NumPy array, its gradient, and how it was made."""

    def __init__(self, data, requires_grad=False, parents=(), vjps=()):
        self.data, self.grad = np.asarray(data), None
        self.requires_grad, self.parents, self.vjps = requires_grad, parents, vjps

    def backward(self):
        # Depth first, a tensor listed after all its parents, with a stack of our own: a
        # recursive walk stops at Python's recursion limit (about 1,000 calls deep).
        order, seen, stack = [], {id(self)}, [(self, iter(self.parents))]
        while stack:
            t, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:                 # all its parents listed: list t
                order.append(t)
                stack.pop()
            elif id(parent) not in seen:       # seen: a tensor used twice is listed once
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
        if any(t.vjps is None for t in order):  # a result that an earlier backward() freed
            raise RuntimeError("backward() through a graph that an earlier backward() freed: "
                               "compute the loss again")
        self.grad = np.ones_like(self.data)    # dL/dL = 1
        for t in reversed(order):              # every tensor before its parents: complete
            for parent, vjp in zip(t.parents, t.vjps):
                if parent.requires_grad:
                    g = vjp(t.grad)
                    parent.grad = g if parent.grad is None else parent.grad + g
            if t.parents:                      # a result, used up: freed, as in PyTorch
                t.parents, t.vjps, t.grad = (), None, None   # vjps None: "freed"

    def __matmul__(self, other):               # d(A B) = dA B + A dB
        return record(self.data @ other.data, (self, other),
                      (lambda g: g @ other.data.T,       # dL/dA = dL/d(AB) B^T
                       lambda g: self.data.T @ g))       # dL/dB = A^T dL/d(AB)

    def __add__(self, other):                  # d(A + B) = dA + dB
        other = constant(other, self)
        return record(self.data + other.data, (self, other),
                      (lambda g: unbroadcast(g, self.data.shape),
                       lambda g: unbroadcast(g, other.data.shape)))

    def __radd__(self, other):                 # 3 + t: Python asks t, once 3 has said no
        return self + other

    def __sub__(self, other):                  # d(A - B) = dA - dB
        other = constant(other, self)
        return record(self.data - other.data, (self, other),
                      (lambda g: unbroadcast(g, self.data.shape),
                       lambda g: -unbroadcast(g, other.data.shape)))

    def __rsub__(self, other):                 # 1 - t
        return constant(other, self) - self

    def __mul__(self, other):                  # d(A * B) = dA * B + A * dB
        other = constant(other, self)
        return record(self.data * other.data, (self, other),
                      (lambda g: unbroadcast(g * other.data, self.data.shape),
                       lambda g: unbroadcast(g * self.data, other.data.shape)))

    def __rmul__(self, other):                 # 2 * t
        return self * other

    def __neg__(self):                         # d(-A) = -dA
        return record(-self.data, (self,), (lambda g: -g,))

    @property
    def T(self):                               # d(A^T) = (dA)^T: g goes back transposed
        return record(self.data.T, (self,), (lambda g: g.T,))

    def reshape(self, *shape):                 # the same entries: g goes back in the old shape
        return record(self.data.reshape(*shape), (self,), (lambda g: g.reshape(self.data.shape),))

    def sum(self, axis=None, keepdims=False):  # each entry's derivative is 1: g, copied back
        out = self.data.sum(axis=axis, keepdims=keepdims)
        kept = self.data.sum(axis=axis, keepdims=True).shape   # the summed axes as size 1

        def vjp(g):                            # g's summed axes put back as 1, then broadcast
            return np.broadcast_to(np.reshape(g, kept), self.data.shape).copy()
        return record(out, (self,), (vjp,))

    def __isub__(self, g):
        self.data -= g
        return self


class no_grad(contextlib.ContextDecorator):
    recording, before = True, []               # before: what each open no_grad found

    def __enter__(self):                       # a list, not self.before: @no_grad() on a
        no_grad.before.append(no_grad.recording)   # function that calls itself enters one
        no_grad.recording = False              # instance again before it exits

    def __exit__(self, *error):
        no_grad.recording = no_grad.before.pop()


def record(data, parents, vjps):
    if not no_grad.recording or not any(p.requires_grad for p in parents):
        return Tensor(data)
    return Tensor(data, True, parents, vjps)


def constant(value, like):
    """A Tensor as it is; a number as a Tensor that needs no gradient, in like's dtype (a
    float64 0-d array would make a float32 result float64)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=like.data.dtype))


def unbroadcast(g, shape):
    while g.ndim > len(shape):                 # the leading axes the value did not have
        g = g.sum(axis=0)
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def sigmoid(z):                                # sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))
    out = 0.5 * (1 + np.tanh(0.5 * z.data))
    return record(out, (z,), (lambda g: g * out * (1 - out),))


def tanh(z):                                   # tanh'(z) = 1 - tanh(z)^2
    out = np.tanh(z.data)
    return record(out, (z,), (lambda g: g * (1 - out * out),))


def relu(z):                                   # relu'(z) = 1 where z > 0, else 0
    return record(np.maximum(z.data, 0), (z,), (lambda g: g * (z.data > 0),))


def logaddexp(u, v):                           # d log(e^u + e^v) = (e^u du + e^v dv) / e^out
    out = np.logaddexp(u.data, v.data)
    return record(out, (u, v), (lambda g: unbroadcast(g * np.exp(u.data - out), u.data.shape),
                                lambda g: unbroadcast(g * np.exp(v.data - out), v.data.shape)))


def exp(z):                                    # d e^z = e^z dz
    out = np.exp(z.data)
    return record(out, (z,), (lambda g: g * out,))


def log(z):                                    # d log z = dz / z
    return record(np.log(z.data), (z,), (lambda g: g / z.data,))


def mean(z):                                   # d mean(z) / dz_i = 1 / (number of entries)
    return record(z.data.mean(), (z,), (lambda g: np.full(z.data.shape, g / z.data.size),))


def softmax_cross_entropy(z, y):               # L = mean over rows of -sum_k y_k log softmax_k
    # -log softmax(z)_k = log sum_j e^(s_j) - s_k, with s = z - max_j z_j. The shift is a
    # constant, no gradient: softmax(z - c) = softmax(z), so no c changes L or its gradient, and
    # e^s never overflows.
    s = z - Tensor(z.data.max(axis=1, keepdims=True))
    lse = log(exp(s).sum(axis=1, keepdims=True))           # B x 1, broadcast against s
    return mean((y * (lse - s)).sum(axis=1))


def zeros_like(z):
    return Tensor(np.zeros_like(z.data))


ENGINE = dict(Tensor=Tensor, no_grad=no_grad, record=record, unbroadcast=unbroadcast,
              sigmoid=sigmoid, tanh=tanh, logaddexp=logaddexp, mean=mean, zeros_like=zeros_like)


def kept_after_backward(loss):
    """What the graph of `loss` holds once backward() has run: (tensors, bytes of the values of
    its intermediate results (not x, y, a parameter or a constant), bytes of their gradients,
    bytes of arrays that the vjps alone keep)."""
    tensors, todo, seen = [], [loss], set()
    while todo:
        t = todo.pop()
        if id(t) not in seen:
            seen.add(id(t))
            tensors.append(t)
            todo += t.parents
    counted = {id(t.data) for t in tensors}
    data = sum(t.data.nbytes for t in tensors if t.parents)
    grads = sum(t.grad.nbytes for t in tensors if t.parents and t.grad is not None)
    closures = 0
    for t in tensors:
        for vjp in t.vjps or ():                   # None: freed
            for cell in vjp.__closure__ or ():
                value = cell.cell_contents
                if isinstance(value, np.ndarray) and id(value) not in counted:
                    counted.add(id(value))
                    closures += value.nbytes
    return len(tensors), data, grads, closures


def main(argv=None):
    import level4_numpy
    from exercises import helpers
    args = helpers.parse(helpers.parser(__doc__, epochs=2, batch_size=50, lr=0.7, hidden=24,
                                        limit=1500, dtype="float64", shuffle=False), argv)
    dtype = np.dtype(args.dtype)
    level3b = helpers.level_with("level3b_own_autograd", **ENGINE)
    (x_train, y_train), _ = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    mine = level3b.init_params(args.hidden, np.random.default_rng(args.seed), dtype)
    exact = level4_numpy.init_params(args.hidden, np.random.default_rng(args.seed), dtype)
    rngs = np.random.default_rng(args.seed + 1), np.random.default_rng(args.seed + 1)
    for epoch in range(args.epochs):
        level3b.train_epoch(mine, x_train, y_train, args.batch_size, args.lr, rngs[0],
                            args.shuffle)
        level4_numpy.train_epoch(exact, x_train, y_train, args.batch_size, args.lr, rngs[1],
                                 args.shuffle)
    diff = helpers.max_abs_difference({k: p.data for k, p in mine.items()}, exact)
    print(f"level 3½'s code on this engine against level 4: {args.epochs} epochs of "
          f"{len(x_train)} examples, batch {args.batch_size}, lr {args.lr:g}, H {args.hidden}, "
          f"{dtype}: largest |dW| {diff:.2e}")

    import level3b_own_autograd
    batch, hidden = 2048, 256                  # the levels' H, float32: the default run's sizes
    (x, y), _ = helpers.load_data(level4_numpy, args.data_dir, batch, np.float32)
    for name, level in (("level 3½'s engine", level3b_own_autograd), ("this engine", level3b)):
        params = level.init_params(hidden, np.random.default_rng(0), np.float32)
        loss = level.loss_fn(level.forward(level.Tensor(x), params)[0], level.Tensor(y))
        loss.backward()
        n, data, grads, closures = kept_after_backward(loss)
        print(f"{name}: the graph of one batch of {batch:,}, H {hidden}, float32, after "
              f"backward(): {n} tensor{'s' * (n != 1)}; its intermediate results keep "
              f"{data:,} bytes of values and {grads:,} bytes of gradients; the vjps alone keep "
              f"{closures:,} bytes more")

if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
