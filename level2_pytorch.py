"""Level 2 - PyTorch: nn layers, an nn loss, torch.optim, and your own loop.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: the layers (`nn.Linear` holds W and b and computes x W + b), their
initialisation (`nn.init`), the loss (`nn.BCEWithLogitsLoss`), the gradients (autograd, through
`loss.backward()`), the update (`torch.optim.SGD`), and handing out the batches (`DataLoader`,
in an order that the script shuffles itself). Also: torchvision's download, a GPU (`--device`).

What it makes you write: the training loop - for each batch: forward, loss, `backward()`,
`step()`, `zero_grad()` - the shuffled order of the examples, and the evaluation.

Compared with level 1, what is gone: Keras's `fit()`. The loop is yours.
The README's concept map shows each level in a column named as in this docstring's first line.
"""

import machinery.startup  # noqa: F401  (flags checked, Ctrl-C answered, before the framework loads)
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import common
from machinery import cli, mnist_files, params_files

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
def load_data(data_dir, limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    # torchvision downloads MNIST once, into ~/.cache/torchvision.
    # Either way: uint8 images N x 28 x 28 and labels N (--data-dir: the same files at every level).
    if data_dir:
        train, test = mnist_files.read_dir(data_dir, torch.from_numpy)
    else:                                      # torchvision is needed only here (2 s to import)
        from torchvision import datasets
        sets = [datasets.MNIST(cli.TORCHVISION_ROOT, train=train) for train in (True, False)]
        train, test = [(mnist.data, mnist.targets) for mnist in sets]

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
# a rounds to 0 or 1; PyTorch's documentation recommends it over nn.Sigmoid + nn.BCELoss.
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
    order = torch.randperm(n_train, generator=rng) if shuffle else torch.arange(n_train)
    # Not the usual DataLoader(dataset, batch_size, shuffle=True), which fetches one example at a
    # time: the sampler hands out a whole batch of indices (order.split), batch_size=None takes
    # each as one batch, and the order is the script's own (docs/design.md, "whole batches").
    loader = DataLoader(TensorDataset(x_train, y_train), sampler=order.split(batch_size),
                        batch_size=None)
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
def main(argv=None):
    args = cli.parse_args(__doc__, argv, "torch")   # the flags, checked; --device auto resolved
    rng = torch.Generator().manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)               # nn.init draws from torch's global generator

    (x_train, y_train), (x_test, y_test) = load_data(args.data_dir, args.limit, dtype)
    model = build_model(args.hidden, dtype)
    if args.init_from:                         # start from a file's weights (compare.py --lockstep)
        params_files.into_torch_model(model, params_files.load(args))   # W1^T into model[0].weight
    x_train, y_train = x_train.to(args.device), y_train.to(args.device)   # to the GPU if --device cuda
    x_test, y_test = x_test.to(args.device), y_test.to(args.device)
    model.to(args.device)                      # the layers' weights too (in place)
    # The optimizer holds the model's four tensors (W1^T, b1, W2^T, b2): the very tensors whose
    # .grad backward() fills, and that step() changes.
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)   # plain SGD, no momentum

    with cli.Report(__file__, args) as report:   # one line per epoch; stops a run that diverges
        for epoch in range(args.epochs):
            train_loss, train_acc = train_epoch(model, optimizer, x_train, y_train, args.batch_size,
                                                rng, args.shuffle)
            test_loss, test_acc = evaluate(model, x_test, y_test)
            report.epoch(train_loss, train_acc, test_loss, test_acc)

    if args.save_weights:
        params_files.save(args.save_weights, params_files.from_torch_model(model))


if __name__ == "__main__":
    cli.run(main)
