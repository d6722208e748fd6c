"""Level 3½ - own autograd: level 3's training code on a small autograd engine written here.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: nothing but the arithmetic, as at level 4 - but the backward pass is
not derived by hand either. The engine below does what PyTorch's autograd does at level 3: every
operation on a `Tensor` records its parents and a closure that carries a gradient back to them
(a vector-Jacobian product), and `loss.backward()` walks that record backwards, in reverse
topological order, adding each contribution into `.grad`.

What it makes you write: the engine (the `Tensor`, `backward()`, `no_grad()`, and the derivative
of each of the eight kinds of operation the model uses: @, +, -, *, tanh, sigmoid, logaddexp,
mean; the sigmoid's is never called in training, as the loss starts from z2),
then, as at level 3, the initial draw of the weights, the forward pass, the loss, the SGD
update, and the batching and shuffling of the data.

Compared with level 3, what is gone: PyTorch. `torch` becomes the engine; the data is loaded the
NumPy way, as at level 4. (The file is named level3b: a file name cannot hold the ½.)
"""

import contextlib
import gzip
import os

import common  # first: from the shell, machinery/ reads the flags before NumPy loads
import numpy as np

# ---------------------------------------------------------------------------------------------
# The engine: a Tensor that remembers how it was made, and backward()
# ---------------------------------------------------------------------------------------------
class Tensor:
    """A NumPy array, its gradient `.grad` (dL/dthis, the same shape), and how it was made:
    its `parents` and, for each parent, a function `vjps[i](g)` that turns g = dL/dthis into
    that parent's share of dL/dparent (the vector-Jacobian product)."""

    def __init__(self, data, requires_grad=False, parents=(), vjps=()):
        self.data, self.grad = np.asarray(data), None
        self.requires_grad, self.parents, self.vjps = requires_grad, parents, vjps

    def backward(self):
        """Fill .grad of every tensor this one was computed from, by the chain rule."""
        order, seen = [], set()

        def visit(t):                          # depth first: parents before children
            if id(t) not in seen:              # (recursive: fine for this shallow graph; Python
                seen.add(id(t))                # stops a walk like this near 1,000 levels deep)
                for parent in t.parents:
                    visit(parent)
                order.append(t)
        visit(self)
        for t in order:                        # called again, intermediate results start at zero;
            if t.parents:                      # leaves (the parameters) keep adding up, as in torch
                t.grad = None
        self.grad = np.ones_like(self.data)    # dL/dL = 1
        for t in reversed(order):              # children before parents: each t.grad is complete
            for parent, vjp in zip(t.parents, t.vjps):
                if parent.requires_grad:
                    g = vjp(t.grad)
                    parent.grad = g if parent.grad is None else parent.grad + g

    def __matmul__(self, other):               # d(A B) = dA B + A dB
        return record(self.data @ other.data, (self, other),
                      (lambda g: g @ other.data.T,       # dL/dA = dL/d(AB) B^T
                       lambda g: self.data.T @ g))       # dL/dB = A^T dL/d(AB)

    def __add__(self, other):                  # d(A + B) = dA + dB
        return record(self.data + other.data, (self, other),
                      (lambda g: unbroadcast(g, self.data.shape),
                       lambda g: unbroadcast(g, other.data.shape)))

    def __sub__(self, other):                  # d(A - B) = dA - dB
        return record(self.data - other.data, (self, other),
                      (lambda g: unbroadcast(g, self.data.shape),
                       lambda g: -unbroadcast(g, other.data.shape)))

    def __mul__(self, other):                  # d(A * B) = dA * B + A * dB  (element by element)
        return record(self.data * other.data, (self, other),
                      (lambda g: unbroadcast(g * other.data, self.data.shape),
                       lambda g: unbroadcast(g * self.data, other.data.shape)))

    def __isub__(self, g):                     # p -= g: the numbers changed in place, unrecorded
        self.data -= g
        return self


class no_grad(contextlib.ContextDecorator):
    """`with no_grad():` (or `@no_grad()` on a function): nothing recorded, as in torch."""
    recording, before = True, []               # before: what each open no_grad found

    def __enter__(self):                       # a list, not self.before: @no_grad() on a
        no_grad.before.append(no_grad.recording)   # function that calls itself enters one
        no_grad.recording = False              # instance again before it exits

    def __exit__(self, *error):
        no_grad.recording = no_grad.before.pop()


def record(data, parents, vjps):
    """The result of an operation, remembering its parents if any of them needs a gradient."""
    if not no_grad.recording or not any(p.requires_grad for p in parents):
        return Tensor(data)                    # data only: nothing to carry a gradient back to
    return Tensor(data, True, parents, vjps)


def unbroadcast(g, shape):
    """Sum g back to `shape`. A broadcast copies a value to many places (b1 to every row of the
    batch), so the gradient of that value is the sum of theirs: dL/db1 is a sum over the batch."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def tanh(z):                                   # tanh'(z) = 1 - tanh(z)^2
    out = np.tanh(z.data)
    return record(out, (z,), (lambda g: g * (1 - out * out),))


def sigmoid(z):                                # sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))
    out = 0.5 * (1 + np.tanh(0.5 * z.data))    # = 1 / (1 + e^-z), without e^-z overflowing
    return record(out, (z,), (lambda g: g * out * (1 - out),))


def logaddexp(u, v):                           # d log(e^u + e^v) = (e^u du + e^v dv) / (e^u + e^v)
    out = np.logaddexp(u.data, v.data)
    return record(out, (u, v), (lambda g: unbroadcast(g * np.exp(u.data - out), u.data.shape),
                                lambda g: unbroadcast(g * np.exp(v.data - out), v.data.shape)))


def mean(z):                                   # d mean(z) / dz_i = 1 / (number of entries)
    return record(z.data.mean(), (z,), (lambda g: np.full(z.data.shape, g / z.data.size),))


def zeros_like(z):
    return Tensor(np.zeros_like(z.data))


# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
MNIST_DIR = os.path.expanduser("~/.cache/mnist-idx")   # the four files (the shell run fetches them)


def read_idx(name):
    """One gzipped IDX file of MNIST_DIR as an array of bytes. IDX: a magic number (two zero
    bytes, 8 for unsigned bytes, the number of dimensions n), n sizes (4-byte big-endian), data."""
    with gzip.open(os.path.join(MNIST_DIR, name)) as f:
        raw = f.read()
    n = raw[3]                                 # 3 for images (N x 28 x 28), 1 for labels (N)
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(n)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * n).reshape(shape)


def load_data(limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    # NumPy has no loader: read the four IDX files, uint8 images N x 28 x 28 and labels N.
    train = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).astype(dtype) / 255   # pixels -> [0, 1]
        y = np.eye(common.N_OUTPUTS, dtype=dtype)[labels[:limit]]              # one-hot rows
        return x, y

    return prepare(*train), prepare(*test)


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def glorot_normal(fan_in, fan_out, rng, dtype):
    """Glorot/Xavier normal weights, truncated at 2 s0 as Keras draws them (see common.py)."""
    w = rng.standard_normal((fan_in, fan_out))   # float64 (rounded to dtype at the end)
    # Truncated: while any entry lies outside [-2, 2], draw those again (`outside := ...`
    # names the mask of them and tests it in one expression).
    while (outside := np.abs(w) > common.TRUNCATION_CUTOFF).any():
        w[outside] = rng.standard_normal(np.count_nonzero(outside))
    return (w * common.glorot_s0(fan_in, fan_out)).astype(dtype)   # N(0, s0^2), cut at 2 s0


def init_params(hidden, rng, dtype):
    """W1 (784 x H), b1 (H), W2 (H x 10), b2 (10): Glorot-normal weights, zero biases."""
    params = {
        "W1": glorot_normal(common.N_INPUTS, hidden, rng, dtype),
        "b1": np.zeros(hidden, dtype=dtype),
        "W2": glorot_normal(hidden, common.N_OUTPUTS, rng, dtype),
        "b2": np.zeros(common.N_OUTPUTS, dtype=dtype),
    }
    return {k: Tensor(p, requires_grad=True) for k, p in params.items()}   # leaves: every use recorded


def forward(x, params):
    """Forward: x (B x 784) to a (B x 10), with z2 (for the loss)."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1          (B x H)
    h = tanh(z1)                               # h = tanh(z1)            (B x H)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2          (B x 10)
    a = sigmoid(z2)                            # a = sigmoid(z2) = (1 + tanh(z2/2)) / 2   (B x 10)
    return z2, a


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
def loss_fn(z2, y):
    """Binary cross-entropy, averaged over the batch and the 10 outputs.

    L = mean( -[y log a + (1 - y) log(1 - a)] ) with a = sigmoid(z2), which is the same number as
    mean( log(1 + e^z2) - y z2 ): written that way it stays finite when a rounds to 0 or 1.
    """
    softplus = logaddexp(zeros_like(z2), z2)               # log(1 + e^z2)
    return mean(softplus - y * z2)                         # L = mean(log(1 + e^z2) - y z2)


def accuracy(a, y):
    """Fraction of rows whose largest output is the labelled digit."""
    return np.mean(a.data.argmax(axis=1) == y.data.argmax(axis=1))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def train_step(params, x, y, lr):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    z2, a = forward(x, params)
    loss = loss_fn(z2, y)
    # Backward pass: the engine adds dL/dp into p.grad, for every tensor p that requires grad
    loss.backward()
    # Update weights
    with no_grad():                            # as level 3 (the engine's -= records nothing anyway)
        for p in params.values():
            p -= lr * p.grad                   # theta <- theta - lr * dL/dtheta  (in place)
            p.grad = None                      # .grad accumulates: clear it for the next batch
    return loss.data, accuracy(a, y)


def train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n_train = len(x_train)                     # examples in the training set
    order = rng.permutation(n_train) if shuffle else np.arange(n_train)
    total_loss = total_acc = 0.0
    for start in range(0, n_train, batch_size):
        batch = order[start:start + batch_size]
        x, y = Tensor(x_train[batch]), Tensor(y_train[batch])   # data: no gradient wanted
        loss, acc = train_step(params, x, y, lr)
        total_loss += loss * len(x.data)
        total_acc += acc * len(x.data)
    return float(total_loss) / n_train, float(total_acc) / n_train


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
@no_grad()                                     # nothing recorded: no gradients are needed here
def evaluate(params, x, y):
    """Loss and accuracy on a whole set, in one forward pass."""
    z2, a = forward(Tensor(x), params)
    return float(loss_fn(z2, Tensor(y)).data), float(accuracy(a, Tensor(y)))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(epochs=common.EPOCHS, batch_size=common.BATCH_SIZE, lr=common.LR, hidden=common.HIDDEN,
         seed=common.SEED, dtype=common.DTYPE, shuffle=True, limit=None):
    """Train the network, print one line per epoch, return the trained parameters."""
    rng = np.random.default_rng(seed)          # the initial draw, then the shuffling
    dtype = np.dtype(dtype)

    (x_train, y_train), (x_test, y_test) = load_data(limit, dtype)
    params = init_params(hidden, rng, dtype)
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle)
        test_loss, test_acc = evaluate(params, x_test, y_test)
        common.print_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc)
    return params


if __name__ == "__main__":
    common.run(main)                           # main() with the shell's flags (--help lists them)
