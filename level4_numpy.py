"""Level 4 - NumPy: every step written by hand.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: nothing but the arithmetic. NumPy multiplies matrices and applies
tanh to whole arrays; everything else is here in plain sight.

What it makes you write: the initial draw of the weights, the forward pass, the loss,
the backward pass (the chain rule, derived by hand in `gradients()`),
the SGD update, and the batching and shuffling of the data.

Compared with level 3½, what is gone: the engine. `loss.backward()` becomes `gradients()`.
"""

import gzip
import os

import common  # first: from the shell, machinery/ reads the flags before NumPy loads
import numpy as np

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
    return {
        "W1": glorot_normal(common.N_INPUTS, hidden, rng, dtype),
        "b1": np.zeros(hidden, dtype=dtype),
        "W2": glorot_normal(hidden, common.N_OUTPUTS, rng, dtype),
        "b2": np.zeros(common.N_OUTPUTS, dtype=dtype),
    }


def forward(x, params):
    """Forward: x (B x 784) to a (B x 10), with h (for gradients()) and z2 (for the loss)."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1          (B x H)
    h = np.tanh(z1)                            # h = tanh(z1)            (B x H)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2          (B x 10)
    a = 0.5 * (1 + np.tanh(0.5 * z2))          # a = sigmoid(z2) = (1 + tanh(z2/2)) / 2   (B x 10)
    return h, z2, a


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
def loss_fn(z2, y):
    """Binary cross-entropy, averaged over the batch and the 10 outputs.

    L = mean( -[y log a + (1 - y) log(1 - a)] ) with a = sigmoid(z2), which is the same number as
    mean( log(1 + e^z2) - y z2 ): written that way it stays finite when a rounds to 0 or 1.
    """
    softplus = np.logaddexp(0, z2)                         # log(1 + e^z2)
    return np.mean(softplus - y * z2)                      # L = mean(log(1 + e^z2) - y z2)


def accuracy(a, y):
    """Fraction of rows whose largest output is the labelled digit."""
    return np.mean(a.argmax(axis=1) == y.argmax(axis=1))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def gradients(x, y, params, h, a):
    """Backpropagation: dL/dW1, dL/db1, dL/dW2, dL/db2 by the chain rule, output to input.
    Each gradient has the shape of what it is the gradient of (README, "The model and its mathematics")."""
    n = y.size                                 # the loss averages over B x 10 numbers
    dz2 = (a - y) / n                          # dL/dz2 = (a - y) / (10 B)     (B x 10)
    dW2 = h.T @ dz2                            # dL/dW2 = h^T dL/dz2           (H x 10)
    db2 = dz2.sum(axis=0)                      # dL/db2 = sum over the batch of dL/dz2   (10)
    dh = dz2 @ params["W2"].T                  # dL/dh  = dL/dz2 W2^T          (B x H)
    dz1 = dh * (1 - h * h)                     # dL/dz1 = dL/dh * (1 - h^2)    (B x H): tanh' = 1 - h^2
    dW1 = x.T @ dz1                            # dL/dW1 = x^T dL/dz1           (784 x H)
    db1 = dz1.sum(axis=0)                      # dL/db1 = sum over the batch of dL/dz1   (H)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train_step(params, x, y, lr):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    h, z2, a = forward(x, params)
    loss = loss_fn(z2, y)
    # Backward pass: gradients() applies the chain rule, written out by hand
    grads = gradients(x, y, params, h, a)
    # Update weights
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta  (in place)
    return loss, accuracy(a, y)


def train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n_train = len(x_train)                     # examples in the training set
    order = rng.permutation(n_train) if shuffle else np.arange(n_train)
    total_loss = total_acc = 0.0
    for start in range(0, n_train, batch_size):
        batch = order[start:start + batch_size]
        x, y = x_train[batch], y_train[batch]
        loss, acc = train_step(params, x, y, lr)
        total_loss += loss * len(x)
        total_acc += acc * len(x)
    return float(total_loss) / n_train, float(total_acc) / n_train


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
def evaluate(params, x, y):
    """Loss and accuracy on a whole set, in one forward pass."""
    h, z2, a = forward(x, params)
    return float(loss_fn(z2, y)), float(accuracy(a, y))


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
