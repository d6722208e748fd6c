"""Exercise 5 - momentum, by hand (levels 4 and 3) and by the optimizers (levels 2 and 1).
Your code goes here.

EXERCISES.md, "Exercise 5", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 5          (from the project folder)

or by running this file. SGD with momentum mu, as torch.optim.SGD writes it, with a velocity v
per parameter that starts at 0:

    v <- mu v + dL/dtheta,        theta <- theta - lr v

The checker trains each level from one float64 start on the same batches, in dataset order,
with lr 0.1 and momentum 0.9: level 1 (Keras) with mu = 0.9, levels 2, 3 and 4 with
mu = keras_momentum(0.9). Every level must end within 1e-8 of level 4.

Import torch inside the level 2 and 3 functions and keras inside the level 1 function, never at
the top of this file: the checker runs level 1 in a process of its own, and TensorFlow and
PyTorch must not share a process.
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

import level4_numpy  # noqa: E402,F401


def keras_momentum(mu):
    """The momentum that Keras's SGD(momentum=mu) really multiplies by, in float64 - which you
    will find out. If you have not found any difference, return mu. Returns a Python float."""
    raise NotImplementedError


def train_step_momentum(params, velocity, x, y, lr, mu):
    """Level 4: one SGD step with momentum. params and velocity are dicts of NumPy arrays with
    the same keys (velocity starts at zeros); both are updated: velocity[k] <- mu velocity[k] +
    dL/dk, then params[k] <- params[k] - lr velocity[k], params in place. The gradients are
    level4_numpy.gradients(). Returns (loss, accuracy) of the batch before the update."""
    raise NotImplementedError


def train_step_momentum_torch(params, velocity, x, y, lr, mu):
    """Level 3: the same step with autograd's gradients. params: dict of torch tensors that
    require grad, changed in place; velocity: dict of torch tensors (zeros at the start),
    updated; x, y: torch tensors. Returns (loss, accuracy) of the batch before the update."""
    raise NotImplementedError


def make_optimizer(model, lr, mu):
    """Level 2: the optimizer for level2_pytorch.build_model()'s model - SGD with learning rate
    lr and momentum mu. Returns a torch.optim optimizer; the checker trains with it through
    level2_pytorch.train_epoch(model, optimizer, ..., shuffle=False)."""
    raise NotImplementedError


def compile_with_momentum(model, lr, mu):
    """Level 1: compile level1_keras.build_model()'s model as level1_keras.compile_model() does,
    but with SGD of learning rate lr and momentum mu. Returns nothing; the checker then calls
    model.fit(x, y, batch_size=..., epochs=..., shuffle=False)."""
    raise NotImplementedError


if __name__ == "__main__":                    # running this file runs its check
    from exercises import check
    sys.exit(check.main(["5", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
