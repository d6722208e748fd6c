"""Level 2 - PyTorch: nn layers, an nn loss, torch.optim, and your own loop.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: the layers (`nn.Linear` holds W and b and computes x W + b), their
initialisation (`nn.init`), the loss (`nn.BCEWithLogitsLoss`), the gradients (autograd, through
`loss.backward()`), the update (`torch.optim.SGD`), and handing out the batches in a shuffled
order (`DataLoader`). Also: torchvision's download, and a GPU: every
operation runs where its tensors are: from the shell, `--device cuda` moves the data and
the model there from outside this file, and the lines below run there unchanged.

What it makes you write: the training loop - for each batch: forward, loss, `backward()`,
`step()`, `zero_grad()` - and the evaluation.

Compared with level 1, what is gone: Keras's `fit()`. The loop is yours.
"""

import common  # first: from the shell, machinery/ reads the flags before PyTorch loads
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

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
def build_model(hidden, dtype):
    """784 -> tanh(H) -> 10 outputs z2. The sigmoid is applied by the loss and by forward()."""
    model = nn.Sequential(
        nn.Linear(common.N_INPUTS, hidden),    # z1 = x W1 + b1; its .weight is W1^T (H x 784)
        nn.Tanh(),                             # h = tanh(z1)
        nn.Linear(hidden, common.N_OUTPUTS),   # z2 = h W2 + b2; its .weight is W2^T (10 x H)
    ).to(dtype)
    for layer in (model[0], model[2]):         # a trailing _ (trunc_normal_): changes it in place
        # nn.Linear's own default is a uniform draw; torch's xavier_normal_ is not truncated.
        # trunc_normal_ with Keras's s0 and cut-off draws what Keras's GlorotNormal draws.
        s0 = common.glorot_s0(layer.in_features, layer.out_features)
        nn.init.trunc_normal_(layer.weight, std=s0, a=-2 * s0, b=2 * s0)   # N(0, s0^2), cut at 2 s0
        nn.init.zeros_(layer.bias)             # nn.Linear's default bias is random, too
    return model                               # (weight and bias are made with requires_grad=True)


def forward(x, model):
    """Forward: x (B x 784) to a (B x 10), with z2 (for the loss)."""
    z2 = model(x)                              # z2 = h W2 + b2, h = tanh(x W1 + b1)     (B x 10)
    # (model(x) runs the three layers in order: nn.Sequential's own forward)
    a = torch.sigmoid(z2)                      # a = sigmoid(z2) = 1 / (1 + e^-z2)       (B x 10)
    return z2, a


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
# Binary cross-entropy, averaged over the batch and the 10 outputs:
# L = mean( -[y log a + (1 - y) log(1 - a)] ) with a = sigmoid(z2). BCEWithLogitsLoss takes z2
# ("logits") and computes the same number as mean( log(1 + e^z2) - y z2 ), finite even when
# a rounds to 0 or 1; PyTorch's documentation calls it more stable than nn.Sigmoid + nn.BCELoss.
loss_fn = nn.BCEWithLogitsLoss()               # an object, called like a function: loss_fn(z2, y)


def accuracy(a, y):
    """Fraction of rows whose largest output is the labelled digit."""
    return torch.mean((a.argmax(axis=1) == y.argmax(axis=1)).to(a.dtype))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def train_step(model, optimizer, x, y):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    z2, a = forward(x, model)
    loss = loss_fn(z2, y)
    # Backward pass: autograd adds dL/dp into p.grad, for every parameter p
    loss.backward()                            # dL/dW1 is model[0].weight.grad, transposed
    # Update weights
    optimizer.step()                           # theta <- theta - lr * dL/dtheta  (in place)
    optimizer.zero_grad()                      # .grad accumulates: set every p.grad = None
    # (Tutorials often clear .grad just before backward(); after step() is the same: level 3 too.)
    return loss.detach(), accuracy(a.detach(), y)   # detach(): the numbers, without their record


def train_epoch(model, optimizer, x_train, y_train, batch_size, rng, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n_train = len(x_train)                     # examples in the training set
    # DataLoader hands out the batches (x, y); with shuffle=True a new order at each pass, drawn
    # from the generator rng.
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=shuffle,
                        generator=rng)
    total_loss = total_acc = 0.0
    for x, y in loader:                        # DataLoader yields (x, y), one batch at a time
        loss, acc = train_step(model, optimizer, x, y)
        total_loss += loss * len(x)
        total_acc += acc * len(x)
    return float(total_loss) / n_train, float(total_acc) / n_train


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
@torch.no_grad()                               # nothing recorded: no gradients are needed here
def evaluate(model, x, y):
    """Loss and accuracy on a whole set, in one forward pass."""
    z2, a = forward(x, model)
    return float(loss_fn(z2, y)), float(accuracy(a, y))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(epochs=common.EPOCHS, batch_size=common.BATCH_SIZE, lr=common.LR, hidden=common.HIDDEN,
         seed=common.SEED, dtype=common.DTYPE, shuffle=True, limit=None):
    """Train the network, print one line per epoch, return the trained model."""
    rng = torch.Generator().manual_seed(seed)   # the shuffling
    torch.manual_seed(seed)                    # nn.init draws from torch's global generator
    dtype = getattr(torch, dtype)

    (x_train, y_train), (x_test, y_test) = load_data(limit, dtype)
    model = build_model(hidden, dtype)
    # The optimizer holds the model's four tensors (W1^T, b1, W2^T, b2): the very tensors whose
    # .grad backward() fills, and that step() changes.
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)   # plain SGD, no momentum
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = train_epoch(model, optimizer, x_train, y_train, batch_size, rng,
                                            shuffle)
        test_loss, test_acc = evaluate(model, x_test, y_test)
        common.print_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc)
    return model


if __name__ == "__main__":
    common.run(main)                           # main() with the shell's flags (--help lists them)
