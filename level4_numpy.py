"""Level 4 - NumPy: every step written by hand.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: nothing but the arithmetic. NumPy multiplies matrices and applies
tanh to whole arrays; everything else is here in plain sight.

What it makes you write: the initial draw of the weights, the forward pass, the loss, the
backward pass (the chain rule, derived by hand in `gradients`), the SGD update, and the
batching and shuffling of the data.

Compared with level 3, what is gone is autograd: `loss.backward()` becomes `gradients()`.
The README's concept map shows this file in its column "Level 4 - NumPy".
"""

import os
import time
import urllib.error
import urllib.request

import numpy as np

import common

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"   # a mirror of the original files
CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "mnist-idx")


def download_mnist(folder=CACHE_DIR):
    """Fetch the four canonical MNIST .gz files into `folder` (once) and return the folder."""
    os.makedirs(folder, exist_ok=True)
    for name in common.MNIST_FILES.values():
        path = os.path.join(folder, name)
        if os.path.exists(path):
            continue
        partial = path + ".part"
        try:
            urllib.request.urlretrieve(MNIST_URL + name, partial)
        except (urllib.error.URLError, OSError) as e:
            if os.path.exists(partial):
                os.remove(partial)
            reason = getattr(e, "reason", e)
            raise common.DataError(f"could not download {MNIST_URL + name} ({reason}). "
                                   + common.DATA_HINT) from None
        os.replace(partial, path)
    return folder


def load_data(data_dir, limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    images_train, labels_train, images_test, labels_test = common.read_mnist_dir(
        data_dir or download_mnist())

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).astype(dtype) / 255   # pixels -> [0, 1]
        y = np.eye(common.N_OUTPUTS, dtype=dtype)[labels[:limit]]              # one-hot rows
        return x, y

    return prepare(images_train, labels_train), prepare(images_test, labels_test)


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def glorot_normal(fan_in, fan_out, rng, dtype):
    """Glorot/Xavier normal weights, truncated at 2 sigma as Keras draws them (see common.py)."""
    w = rng.standard_normal((fan_in, fan_out))
    outside = np.abs(w) > common.TRUNCATION_CUTOFF
    while outside.any():                                       # redraw until all lie in [-2, 2]
        w[outside] = rng.standard_normal(np.count_nonzero(outside))
        outside = np.abs(w) > common.TRUNCATION_CUTOFF
    return (w * common.glorot_sigma(fan_in, fan_out)).astype(dtype)


def init_params(hidden, rng, dtype):
    """W1 (784 x H), b1 (H), W2 (H x 10), b2 (10): Glorot-normal weights, zero biases."""
    return {
        "W1": glorot_normal(common.N_INPUTS, hidden, rng, dtype),
        "b1": np.zeros(hidden, dtype),
        "W2": glorot_normal(hidden, common.N_OUTPUTS, rng, dtype),
        "b2": np.zeros(common.N_OUTPUTS, dtype),
    }


def forward(x, params):
    """The forward pass, keeping what the backward pass will need."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1
    h = np.tanh(z1)                            # h = tanh(z1)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2
    a = 0.5 * (1 + np.tanh(0.5 * z2))          # a = sigmoid(z2) = 1 / (1 + e^-z2), without overflow
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
    """Backpropagation: dL/dW1, dL/db1, dL/dW2, dL/db2 by the chain rule, output to input."""
    n = y.size                                 # the loss averages over batch x 10 outputs
    dz2 = (a - y) / n                          # dL/dz2 = (a - y) / (batch * 10)
    dW2 = h.T @ dz2                            # dL/dW2 = h^T dL/dz2
    db2 = dz2.sum(axis=0)                      # dL/db2 = sum over the batch of dL/dz2
    dh = dz2 @ params["W2"].T                  # dL/dh  = dL/dz2 W2^T
    dz1 = dh * (1 - h * h)                     # dL/dz1 = dL/dh * (1 - h^2)   (tanh' = 1 - tanh^2)
    dW1 = x.T @ dz1                            # dL/dW1 = x^T dL/dz1
    db1 = dz1.sum(axis=0)                      # dL/db1 = sum over the batch of dL/dz1
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train_step(params, x, y, lr):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    h, z2, a = forward(x, params)
    loss = loss_fn(z2, y)
    # Backward pass
    grads = gradients(x, y, params, h, a)
    # Update weights
    for name, p in params.items():
        p -= lr * grads[name]                  # theta <- theta - lr * dL/dtheta  (in place)
    return loss, accuracy(a, y)


def train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n = len(x_train)
    order = rng.permutation(n) if shuffle else np.arange(n)
    total_loss = total_acc = 0.0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        x, y = x_train[batch], y_train[batch]
        loss, acc = train_step(params, x, y, lr)
        total_loss += loss * len(x)
        total_acc += acc * len(x)
    return total_loss / n, total_acc / n


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
def evaluate(params, x, y):
    """Loss and accuracy on a whole set, in one forward pass."""
    h, z2, a = forward(x, params)
    return loss_fn(z2, y), accuracy(a, y)


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    parser = common.make_parser(__doc__)
    args = common.parse_args(parser, argv)
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)

    (x_train, y_train), (x_test, y_test) = load_data(args.data_dir, args.limit, dtype)
    if args.init_from:
        params = common.load_params(args.init_from, args.hidden, dtype)
    else:
        params = init_params(args.hidden, rng, dtype)

    with common.Report("level4_numpy", args) as report:
        for epoch in range(args.epochs):
            start = time.perf_counter()
            train_loss, train_acc = train_epoch(params, x_train, y_train, args.batch_size,
                                                args.lr, rng, args.shuffle)
            test_loss, test_acc = evaluate(params, x_test, y_test)
            report.epoch(train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start)

    if args.save_weights:
        common.save_params(args.save_weights, params)


if __name__ == "__main__":
    common.run(main)
