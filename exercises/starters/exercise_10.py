"""Exercise 10 - write level 2's abstractions: a module that registers its parameters, Linear,
Tanh, Sequential, SGD, Adam and a DataLoader, on PyTorch's tensors with autograd (level 3). Your
code goes here.

EXERCISES.md, "Exercise 10", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 10         (from the project folder)

or by running this file. The checker looks at what parameters() returns and in which order, at
SGD's and Adam's step() and zero_grad(), at the batches your DataLoader gives, and then runs
level 2's own train_step, unchanged, on your pieces: in float64, from level 4's start, in dataset
order, their weights must end within 1e-12 of level 2's own (nn.Linear, torch.optim.SGD,
PyTorch's DataLoader).

Your pieces reach the tensor library through four names only, given below: `Parameter`,
`parameter`, `tanh` and `no_grad`. On tensors, Module, Linear, Tanh, Sequential and SGD use only
those, `@`, `+`, a number times a tensor, `p -= ...` and `p.grad = None` (NumPy, and
level4_numpy for the initial draw, as you like). Then they run on any engine put behind the four
names - the checker puts level 3½'s there, and `python -m exercises.check stack` the engine of
Exercise 9. Adam and the DataLoader are PyTorch's side only: they may use torch as they like.
"""

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

import numpy as np  # noqa: E402,F401
import torch  # noqa: E402

import level4_numpy  # noqa: E402,F401


# The tensor library these pieces compute with, in four names (given).
Parameter = torch.nn.Parameter                 # the kind of tensor a module registers as its own


def parameter(array):
    """A Parameter (a tensor that autograd tracks) made from a NumPy array (given). Returns
    it."""
    return Parameter(torch.tensor(array))


tanh = torch.tanh                              # tanh(x), recorded for backward()
no_grad = torch.no_grad                        # `with no_grad():` records nothing


class Module:
    """What Linear, Tanh and Sequential share: the dicts in which a module registers, by name,
    its parameters and the modules it holds (given), the registering (yours), and calling it
    calls forward() (given)."""

    def __init__(self):
        # object.__setattr__ sets an attribute without calling the __setattr__ below.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):
        """self.name = value calls this. Set the attribute, and register value under name, as
        nn.Module does: a Parameter in _parameters, a Module in _modules, anything else
        nowhere. A name assigned again holds the new value, in its old place. Returns None."""
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self):
        """Returns a list of (name, tensor) pairs: the tensors of parameters(), in its order,
        each under the name nn.Module's named_parameters() gives it ("0.weight", ...)."""
        raise NotImplementedError

    def parameters(self):
        """Returns a list of the tensors to train, in nn.Module's order: this module's own, then
        those of each module it holds, in the order they were first assigned."""
        raise NotImplementedError


class Linear(Module):
    """z = x W + b, with W (in_features x out_features), as level 3's W1 (nn.Linear keeps its
    transpose)."""

    def __init__(self, in_features, out_features, rng, dtype=np.float32):
        """rng is a NumPy Generator (np.random.default_rng(seed)), dtype a NumPy dtype. The
        parameters self.weight (in_features x out_features) and self.bias (out_features), such
        that parameters() is [weight, bias] and Linear(784, H, rng), Linear(H, 10, rng) start
        where level 4's init_params(H, rng) does. Returns None."""
        raise NotImplementedError

    def forward(self, x):
        """Returns x @ weight + bias."""
        raise NotImplementedError


class Tanh(Module):
    def forward(self, x):
        """Returns tanh(x)."""
        raise NotImplementedError


class Sequential(Module):
    """Modules applied one after the other."""

    def __init__(self, *layers):
        """The layers, registered in order, each under its index as a name ("0", "1", ...), as
        nn.Sequential does. Returns None."""
        raise NotImplementedError

    def forward(self, x):
        """Returns x passed through each layer in turn."""
        raise NotImplementedError

    def __getitem__(self, i):
        """Returns layer i (given): model[0] is the first Linear."""
        return self._modules[str(i)]


class SGD:
    """SGD, as torch.optim.SGD(params, lr, momentum) (without dampening, weight decay or
    Nesterov)."""

    def __init__(self, params, lr, momentum=0.0):
        """Keep the tensors to train (params: any iterable of them), the learning rate and the
        momentum. Returns None."""
        raise NotImplementedError

    def step(self):
        """One step of torch.optim.SGD for every tensor that has a gradient: theta <- theta - lr
        dL/dtheta without momentum; with it, as torch's does. Returns None."""
        raise NotImplementedError

    def zero_grad(self):
        """Clear every tensor's gradient, as torch.optim's zero_grad() does. Returns None."""
        raise NotImplementedError


class Adam:
    """Adam, as torch.optim.Adam(params, lr, betas, eps) (without weight decay or amsgrad): for
    each tensor, a running mean of its gradient and one of its gradient squared, each corrected
    for starting at zero. It may use torch as it likes (it divides and takes square roots, which
    level 3½'s engine cannot)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        """Keep the tensors to train (params: any iterable of them) and the settings. Returns
        None."""
        raise NotImplementedError

    def step(self):
        """One step of torch.optim.Adam for every tensor that has a gradient (its rule: the
        installed torch/optim/adam.py, _single_tensor_adam). Returns None."""
        raise NotImplementedError

    def zero_grad(self):
        """Clear every tensor's gradient, as SGD's zero_grad() does. Returns None."""
        raise NotImplementedError


class TensorDataset:
    """The dataset of x and y, row by row (given): a DataLoader indexes its `tensors`."""

    def __init__(self, *tensors):
        self.tensors = tensors


class DataLoader:
    """The batches of a TensorDataset: each pass over the loader (each epoch) in a new order
    drawn from the generator when shuffle is set, else in dataset order."""

    def __init__(self, dataset, batch_size=1, shuffle=False, generator=None):
        """Keep the settings. Returns None."""
        raise NotImplementedError

    def __iter__(self):
        """Returns an iterator over the batches (x, y) of one pass, as PyTorch's DataLoader
        gives them (its order may differ when shuffled); shuffled, drawn from this generator
        only, so that two loaders given equally seeded generators give the same batches."""
        raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["10", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
