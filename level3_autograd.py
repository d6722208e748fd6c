"""Level 3 - PyTorch autograd only: raw tensors, the gradients computed for you.

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: the backward pass. The parameters are plain tensors created with
`requires_grad=True`; every operation on them is recorded, and `loss.backward()` walks that
record backwards, applying the chain rule, to fill each parameter's `.grad`. PyTorch also
moves the work to a GPU (`--device cuda`), and torchvision downloads MNIST.

What it makes you write: the initial draw of the weights, the forward pass, the loss, the SGD
update (under `torch.no_grad()`, so that the update itself is not recorded), and the batching
and shuffling of the data. No `nn.Module`, no `torch.optim`.

Compared with level 2, what is gone is `nn` (layers, initialisers, the loss) and `torch.optim`.
The README's concept map shows this file in its column "Level 3 - autograd".
"""

import contextlib
import io
import os
import time

import torch
from torchvision import datasets

import common

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
TORCHVISION_ROOT = os.path.join(os.path.expanduser("~"), ".cache", "torchvision")


def load_data(data_dir, limit, dtype, device):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
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
        y = torch.nn.functional.one_hot(labels[:limit].long(), common.N_OUTPUTS)  # one-hot rows
        return x.to(device), y.to(dtype).to(device)

    return prepare(*arrays[:2]), prepare(*arrays[2:])


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def glorot_normal(fan_in, fan_out, generator, dtype):
    """Glorot/Xavier normal weights, truncated at 2 sigma as Keras draws them (see common.py)."""
    w = torch.randn(fan_in, fan_out, generator=generator, dtype=torch.float64)
    outside = w.abs() > common.TRUNCATION_CUTOFF
    while outside.any():                                       # redraw until all lie in [-2, 2]
        w[outside] = torch.randn(int(outside.sum()), generator=generator, dtype=torch.float64)
        outside = w.abs() > common.TRUNCATION_CUTOFF
    return (w * common.glorot_sigma(fan_in, fan_out)).to(dtype)


def init_params(hidden, generator, dtype):
    """W1 (784 x H), b1 (H), W2 (H x 10), b2 (10): Glorot-normal weights, zero biases."""
    return {
        "W1": glorot_normal(common.N_INPUTS, hidden, generator, dtype),
        "b1": torch.zeros(hidden, dtype=dtype),
        "W2": glorot_normal(hidden, common.N_OUTPUTS, generator, dtype),
        "b2": torch.zeros(common.N_OUTPUTS, dtype=dtype),
    }


def forward(x, params):
    """The forward pass. Every operation on a tensor that requires grad is recorded."""
    z1 = x @ params["W1"] + params["b1"]       # z1 = x W1 + b1
    h = torch.tanh(z1)                         # h = tanh(z1)
    z2 = h @ params["W2"] + params["b2"]       # z2 = h W2 + b2
    a = torch.sigmoid(z2)                      # a = sigmoid(z2) = 1 / (1 + e^-z2)
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
    return torch.mean((a.argmax(dim=1) == y.argmax(dim=1)).to(a.dtype))


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
def train_step(params, x, y, lr):
    """One SGD step on one batch; returns the batch's loss and accuracy before the update."""
    # Forward pass
    z2, a = forward(x, params)
    loss = loss_fn(z2, y)
    # Backward pass: autograd fills p.grad = dL/dp for every tensor p that requires grad
    loss.backward()
    # Update weights
    with torch.no_grad():                      # the update is not part of the model: no record
        for p in params.values():
            p -= lr * p.grad                   # theta <- theta - lr * dL/dtheta  (in place)
            p.grad = None                      # .grad accumulates: clear it for the next batch
    return loss.detach(), accuracy(a.detach(), y)


def train_epoch(params, x_train, y_train, batch_size, lr, generator, shuffle):
    """One pass over the training set; the batch-size-weighted mean loss and accuracy."""
    n = len(x_train)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    total_loss = total_acc = 0.0
    for batch in order.to(x_train.device).split(batch_size):
        x, y = x_train[batch], y_train[batch]
        loss, acc = train_step(params, x, y, lr)
        total_loss += loss * len(x)            # stays on the device: no wait for the GPU here
        total_acc += acc * len(x)
    return float(total_loss) / n, float(total_acc) / n


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(params, x, y):
    """Loss and accuracy on a whole set, in one forward pass, with nothing recorded."""
    z2, a = forward(x, params)
    return float(loss_fn(z2, y)), float(accuracy(a, y))


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
    generator = torch.Generator().manual_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = load_data(args.data_dir, args.limit, dtype, args.device)
    if args.init_from:
        arrays = common.load_params(args.init_from, args.hidden, args.dtype)
        params = {name: torch.from_numpy(array) for name, array in arrays.items()}
    else:
        params = init_params(args.hidden, generator, dtype)
    for name, p in params.items():             # leaf tensors on the device, recorded by autograd
        params[name] = p.to(args.device).requires_grad_()

    with common.Report("level3_autograd", args) as report:
        for epoch in range(args.epochs):
            start = time.perf_counter()
            train_loss, train_acc = train_epoch(params, x_train, y_train, args.batch_size,
                                                args.lr, generator, args.shuffle)
            test_loss, test_acc = evaluate(params, x_test, y_test)
            report.epoch(train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start)

    if args.save_weights:
        common.save_params(args.save_weights,
                           {name: p.detach().cpu().numpy() for name, p in params.items()})


if __name__ == "__main__":
    common.run(main)
