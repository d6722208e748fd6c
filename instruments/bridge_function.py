"""Between levels 3 and 4: hand-derived backward passes, plugged into PyTorch's autograd.

Level 3 lets autograd differentiate every operation; level 4 derives the whole backward pass by
hand. A custom `torch.autograd.Function` is where the two meet, and it is how framework authors add
an operation: you write its forward() and its backward() yourself, and when loss.backward()
reaches the operation, autograd calls your backward() with dL/d(output) and takes from it
dL/d(each input). Here are level 4's two hand-derived formulas, as such operations:

* Linear, the layer z = x W + b:  dL/dx = dL/dz W^T,  dL/dW = x^T dL/dz,  dL/db = sum over the
  batch of dL/dz;
* BCEFromLogits, the loss through the sigmoid, L = mean(log(1 + e^z2) - y z2):
  dL/dz2 = (sigmoid(z2) - y) / n, with n = B x 10 the number of terms averaged.

forward() and loss_fn() below are level 3's, with these two in place of autograd's own operations;
level 3's train_step() runs unchanged when they stand in for its own forward() and loss_fn()
(tests/test_bridge.py does that, and gets the same weights). Run this file to check them:

    python instruments/bridge_function.py

It runs torch.autograd.gradcheck on both operations (in float64: it compares your backward()
with finite differences of your forward()), then compares the gradients of level 3's model with
and without them on one batch.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # the levels

import torch  # noqa: E402

import common  # noqa: E402
import level3_autograd  # noqa: E402
from machinery import cli  # noqa: E402


class Linear(torch.autograd.Function):
    """z = x W + b, with the backward pass of level 4's gradients()."""

    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)            # what backward() will need
        return x @ W + b                       # z = x W + b

    @staticmethod
    def backward(ctx, dz):                     # dz = dL/dz, from the operations after this one
        x, W = ctx.saved_tensors
        return dz @ W.T, x.T @ dz, dz.sum(axis=0)   # dL/dx, dL/dW, dL/db


class BCEFromLogits(torch.autograd.Function):
    """L = mean(log(1 + e^z2) - y z2), with dL/dz2 = (sigmoid(z2) - y) / n by hand."""

    @staticmethod
    def forward(ctx, z2, y):
        ctx.save_for_backward(z2, y)
        return torch.mean(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2)

    @staticmethod
    def backward(ctx, dL):                     # dL = dL/dL = 1, unless L feeds something else
        z2, y = ctx.saved_tensors
        return dL * (torch.sigmoid(z2) - y) / y.numel(), None   # dL/dz2; y needs no gradient


def forward(x, params):
    """Level 3's forward pass, with the hand-written layer in place of autograd's @ and +."""
    z1 = Linear.apply(x, params["W1"], params["b1"])   # z1 = x W1 + b1
    h = torch.tanh(z1)                                 # h = tanh(z1): autograd's own backward
    z2 = Linear.apply(h, params["W2"], params["b2"])   # z2 = h W2 + b2
    a = torch.sigmoid(z2)                              # a = sigmoid(z2)
    return z2, a


loss_fn = BCEFromLogits.apply


def batch(hidden=5, size=4, seed=0):
    """Level 3's initial parameters and a random batch shaped like MNIST, in float64."""
    rng = torch.Generator().manual_seed(seed)
    params = level3_autograd.init_params(hidden, rng, torch.float64)   # leaves, requires_grad
    with torch.no_grad():
        params["b1"] += 0.1 * torch.randn(hidden, generator=rng, dtype=torch.float64)   # b1 != 0
    x = torch.rand((size, common.N_INPUTS), generator=rng, dtype=torch.float64)
    y = torch.eye(common.N_OUTPUTS, dtype=torch.float64)[torch.randint(10, (size,), generator=rng)]
    return params, x, y


def parameter_gradients(forward_fn, loss, params, x, y):
    """dL/dp for every parameter, through the given forward pass and loss."""
    for p in params.values():
        p.grad = None
    loss(forward_fn(x, params)[0], y).backward()
    return {k: p.grad.clone() for k, p in params.items()}


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
                            ).parse_args(argv)       # no flags; --help shows the docstring
    params, x, y = batch()
    W, b = params["W1"][:12, :].detach().clone().requires_grad_(), params["b1"]
    small_x = x[:, :12].clone().requires_grad_()
    print("gradcheck Linear:        ", torch.autograd.gradcheck(Linear.apply, (small_x, W, b)))
    z2 = torch.randn((4, 10), dtype=torch.float64, requires_grad=True)
    print("gradcheck BCEFromLogits: ", torch.autograd.gradcheck(loss_fn, (z2, y)))
    ours = parameter_gradients(forward, loss_fn, params, x, y)
    autograd = parameter_gradients(level3_autograd.forward, level3_autograd.loss_fn, params, x, y)
    for name in common.PARAM_NAMES:
        difference = float((ours[name] - autograd[name]).abs().max())
        print(f"dL/d{name}: largest |hand-written backward - autograd's| = {difference:.1e}")


if __name__ == "__main__":
    cli.run(main)
