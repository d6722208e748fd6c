"""Level 2 - PyTorch out of the box: nn layers, an nn loss, torch.optim, your own loop.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: the layers (`nn.Linear` holds W and b and computes x W + b),
their initialisation (`nn.init`), the loss (`nn.BCELoss`), the gradients (autograd, through
`loss.backward()`), the update (`torch.optim.SGD.step()`), handing out the batches
(`DataLoader` over a `TensorDataset`), the GPU (`--device cuda`), and the download of MNIST
(torchvision).

What it makes you write: the training loop itself - for each batch: forward, loss,
`optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()` - the shuffled order of the
examples, and the evaluation.

Compared with level 1, what is gone is Keras's `fit()`: the loop is yours.
The README's concept map shows this file in its column "Level 2 - PyTorch".
"""

import contextlib
import io
import os
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets

import common

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
TORCHVISION_ROOT = os.path.join(os.path.expanduser("~"), ".cache", "torchvision")


def load_data(data_dir, limit, dtype, device):
    """Train and test sets as TensorDatasets: x as N x 784 floats in [0, 1], y one-hot N x 10."""
    if data_dir:
        arrays = [torch.from_numpy(a.copy()) for a in common.read_mnist_dir(data_dir)]
    else:
        arrays = []
        for train in (True, False):
            try:
                with contextlib.redirect_stdout(io.StringIO()):   # keep its download log quiet
                    mnist = datasets.MNIST(TORCHVISION_ROOT, train=train, download=True)
            except (RuntimeError, OSError) as e:
                reason = str(e).splitlines() or [""]   # it lists every mirror it tried
                raise common.DataError(f"torchvision could not download MNIST ({reason[0]} "
                                       f"{reason[-1]}). " + common.DATA_HINT) from None
            arrays += [mnist.data, mnist.targets]
        common.check_mnist(*(t.numpy() for t in arrays))

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).to(dtype) / 255           # pixels -> [0, 1]
        y = nn.functional.one_hot(labels[:limit].long(), common.N_OUTPUTS)        # one-hot rows
        return TensorDataset(x.to(device), y.to(dtype).to(device))

    return prepare(*arrays[:2]), prepare(*arrays[2:])


def batches(dataset, batch_size, shuffle, generator):
    """A DataLoader for one epoch. Its sampler hands out a whole batch of indices at a time,
    and the TensorDataset slices all of them at once: no per-example Python work, no collate."""
    n = len(dataset)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    return DataLoader(dataset, sampler=order.split(batch_size), batch_size=None)


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def build_model(hidden, dtype):
    """784 -> tanh(H) -> sigmoid(10). nn.Linear stores W as (out, in) and computes x W^T + b."""
    model = nn.Sequential(
        nn.Linear(common.N_INPUTS, hidden),    # z1 = x W1 + b1
        nn.Tanh(),                             # h = tanh(z1)
        nn.Linear(hidden, common.N_OUTPUTS),   # z2 = h W2 + b2
        nn.Sigmoid(),                          # a = sigmoid(z2)
    ).to(dtype)
    for layer in (model[0], model[2]):
        # nn.Linear's own default is a uniform draw; torch's xavier_normal_ is not truncated.
        # trunc_normal_ with Keras's sigma and cut-off draws what Keras's GlorotNormal draws.
        sigma = common.glorot_sigma(layer.in_features, layer.out_features)
        cut = common.TRUNCATION_CUTOFF * sigma
        nn.init.trunc_normal_(layer.weight, std=sigma, a=-cut, b=cut)
        nn.init.zeros_(layer.bias)             # nn.Linear's default bias is random, too
    return model


def set_params(model, params):
    """Copy W1, b1, W2, b2 (NumPy, file layout) into the model; nn.Linear keeps W transposed."""
    with torch.no_grad():
        for layer, W, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            layer.weight.copy_(torch.from_numpy(params[W].T))
            layer.bias.copy_(torch.from_numpy(params[b]))


def get_params(model):
    """W1, b1, W2, b2 as NumPy arrays in the file layout."""
    def array(p):
        return p.detach().cpu().numpy()
    return {"W1": array(model[0].weight).T, "b1": array(model[0].bias),
            "W2": array(model[2].weight).T, "b2": array(model[2].bias)}


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
# Binary cross-entropy, averaged over the batch and the 10 outputs:
# L = mean( -[y log a + (1 - y) log(1 - a)] ). (BCELoss clamps each log at -100 so that it stays
# finite when a rounds to 0 or 1; the other levels compute the same value from z2 instead.)
loss_fn = nn.BCELoss()


def accuracy(a, y):
    """Fraction of rows whose largest output is the labelled digit."""
    return torch.mean((a.argmax(dim=1) == y.argmax(dim=1)).to(a.dtype))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def train_step(model, optimizer, x, y):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    a = model(x)
    loss = loss_fn(a, y)
    # Backward pass
    optimizer.zero_grad()                      # .grad accumulates: clear it first
    loss.backward()                            # autograd: p.grad = dL/dp for every parameter
    # Update weights
    optimizer.step()                           # theta <- theta - lr * dL/dtheta
    return loss.detach(), accuracy(a.detach(), y)


def train_epoch(model, optimizer, loader):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    model.train()
    n = total_loss = total_acc = 0
    for x, y in loader:                        # DataLoader yields (x, y), one batch at a time
        loss, acc = train_step(model, optimizer, x, y)
        total_loss += loss * len(x)            # stays on the device: no wait for the GPU here
        total_acc += acc * len(x)
        n += len(x)
    return float(total_loss) / n, float(total_acc) / n


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(model, dataset):
    """Loss and accuracy on a whole set, in one forward pass, with nothing recorded."""
    model.eval()
    x, y = dataset.tensors
    a = model(x)
    return float(loss_fn(a, y)), float(accuracy(a, y))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    parser = common.make_parser(__doc__, device=True)
    args = common.parse_args(parser, argv)
    dtype = getattr(torch, args.dtype)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    elif args.device == "cuda" and not torch.cuda.is_available():
        raise common.UserError("--device cuda: PyTorch sees no CUDA GPU here; use --device cpu.")
    torch.manual_seed(args.seed)               # the initial weights come from torch's global RNG
    generator = torch.Generator().manual_seed(args.seed)

    train_set, test_set = load_data(args.data_dir, args.limit, dtype, args.device)
    model = build_model(args.hidden, dtype)
    if args.init_from:
        set_params(model, common.load_params(args.init_from, args.hidden, args.dtype))
    model.to(args.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

    with common.Report("level2_pytorch", args) as report:
        for epoch in range(args.epochs):
            start = time.perf_counter()
            loader = batches(train_set, args.batch_size, args.shuffle, generator)
            train_loss, train_acc = train_epoch(model, optimizer, loader)
            test_loss, test_acc = evaluate(model, test_set)
            report.epoch(train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start)

    if args.save_weights:
        common.save_params(args.save_weights, get_params(model))


if __name__ == "__main__":
    common.run(main)
