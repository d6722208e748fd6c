"""Level 3 - autograd: raw PyTorch tensors, the gradients computed for you.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: the backward pass. Every operation on a tensor created with
`requires_grad=True` is recorded; `loss.backward()` walks that record backwards, applying the
chain rule, to fill each such tensor's `.grad`. Also: torchvision's download, and a GPU: every
operation runs where its tensors are: from the shell, `--device cuda` moves the data and
the weights there from outside this file, and the lines below run there unchanged.

What it makes you write: the initial draw of the weights, the forward pass, the loss,
the SGD update, and the batching and shuffling of the data.

Compared with level 2, what is gone: `nn` (layers, init, the loss), `torch.optim`, `DataLoader`.
"""

import common  # first: from the shell, machinery/ reads the flags before PyTorch loads
import torch

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
def mnist():
    """MNIST from torchvision, which downloads it once, into ~/.cache/torchvision."""
    from torchvision.datasets import MNIST     # (slow to import: only here)
    train, test = (MNIST("~/.cache/torchvision", train=t, download=True) for t in (True, False))
    return (train.data, train.targets), (test.data, test.targets)


def load_data(limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    train, test = mnist()                      # uint8 images N x 28 x 28 and labels N

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).to(dtype) / 255       # pixels -> [0, 1]
        y = torch.eye(common.N_OUTPUTS, dtype=dtype)[labels[:limit].long()]  # one-hot rows
        return x, y

    return prepare(*train), prepare(*test)


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def glorot_normal(fan_in, fan_out, rng, dtype):
    """Glorot/Xavier normal weights, truncated at 2 s0 as Keras draws them (see common.py)."""
    w = torch.randn((fan_in, fan_out), generator=rng, dtype=torch.float64)   # drawn in float64, as level 4 draws
    # Truncated: while any entry lies outside [-2, 2], draw those again (`outside := ...`
    # names the mask of them and tests it in one expression).
    while (outside := torch.abs(w) > common.TRUNCATION_CUTOFF).any():
        w[outside] = torch.randn(torch.count_nonzero(outside), generator=rng, dtype=torch.float64)
    return (w * common.glorot_s0(fan_in, fan_out)).to(dtype)   # N(0, s0^2), cut at 2 s0


def init_params(hidden, rng, dtype):
    """W1 (784 x H), b1 (H), W2 (H x 10), b2 (10): Glorot-normal weights, zero biases."""
    params = {
        "W1": glorot_normal(common.N_INPUTS, hidden, rng, dtype),
        "b1": torch.zeros(hidden, dtype=dtype),
        "W2": glorot_normal(hidden, common.N_OUTPUTS, rng, dtype),
        "b2": torch.zeros(common.N_OUTPUTS, dtype=dtype),
    }
    return {k: p.requires_grad_() for k, p in params.items()}   # leaves: every use recorded


def forward(x, params):
    """Forward: x (B x 784) to a (B x 10), with z2 (for the loss)."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1          (B x H)
    h = torch.tanh(z1)                         # h = tanh(z1)            (B x H)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2          (B x 10)
    a = torch.sigmoid(z2)                      # a = sigmoid(z2) = 1 / (1 + e^-z2)       (B x 10)
    return z2, a


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
def loss_fn(z2, y):
    """Binary cross-entropy, averaged over the batch and the 10 outputs.

    L = mean( -[y log a + (1 - y) log(1 - a)] ) with a = sigmoid(z2), which is the same number as
    mean( log(1 + e^z2) - y z2 ): written that way it stays finite when a rounds to 0 or 1.
    """
    softplus = torch.logaddexp(torch.zeros_like(z2), z2)   # log(1 + e^z2)
    return torch.mean(softplus - y * z2)                   # L = mean(log(1 + e^z2) - y z2)


def accuracy(a, y):
    """Fraction of rows whose largest output is the labelled digit."""
    return torch.mean((a.argmax(axis=1) == y.argmax(axis=1)).to(a.dtype))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def train_step(params, x, y, lr):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    z2, a = forward(x, params)
    loss = loss_fn(z2, y)
    # Backward pass: autograd adds dL/dp into p.grad, for every parameter p
    loss.backward()
    # Update weights
    with torch.no_grad():                      # unrecorded; outside, PyTorch refuses p -= ...
        for p in params.values():
            p -= lr * p.grad                   # theta <- theta - lr * dL/dtheta  (in place)
            p.grad = None                      # .grad accumulates: clear it for the next batch
    return loss.detach(), accuracy(a.detach(), y)   # detach(): the numbers, without their record


def train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n_train = len(x_train)                     # examples in the training set
    order = torch.randperm(n_train, generator=rng) if shuffle else torch.arange(n_train)
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
@torch.no_grad()                               # nothing recorded: no gradients are needed here
def evaluate(params, x, y):
    """Loss and accuracy on a whole set, in one forward pass."""
    z2, a = forward(x, params)
    return float(loss_fn(z2, y)), float(accuracy(a, y))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(epochs=common.EPOCHS, batch_size=common.BATCH_SIZE, lr=common.LR, hidden=common.HIDDEN,
         seed=common.SEED, dtype=common.DTYPE, shuffle=True, limit=None):
    """Train the network, print one line per epoch, return the trained parameters."""
    rng = torch.Generator().manual_seed(seed)   # the initial draw, then the shuffling
    dtype = getattr(torch, dtype)

    (x_train, y_train), (x_test, y_test) = load_data(limit, dtype)
    params = init_params(hidden, rng, dtype)
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = train_epoch(params, x_train, y_train, batch_size, lr, rng, shuffle)
        test_loss, test_acc = evaluate(params, x_test, y_test)
        common.print_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc)
    return params


if __name__ == "__main__":
    common.run(main)                           # main() with the shell's flags (--help lists them)
