"""Exercise 10, a solution - level 2's abstractions, rebuilt on level 3's tensors.

    Module      __setattr__ registers a Parameter, or a Module, assigned to an attribute, in a
                dict by name, as nn.Module does; parameters() is its own, then theirs, in
                order, and named_parameters() the same, each under its dotted name.
    Linear      weight = glorot_normal(in, out), bias = 0, both leaves; forward: x @ W + b
    Tanh        forward: tanh(x)
    Sequential  registers its layers; forward: one after the other
    SGD         step(): p -= lr * p.grad under no_grad (p stays a leaf); zero_grad(): p.grad = None
    Adam        step(): per tensor t, m and v; p -= lr m^ / (sqrt(v^) + eps), m^ and v^ corrected
    DataLoader  each pass: torch.randperm(n, generator) (or 0..n-1), then slices of batch_size

Level 2's own train_step runs on them unchanged: model(x), loss.backward(), optimizer.step(),
optimizer.zero_grad(). The answers to the exercise's questions: answers_10.md, beside this file.

    python exercises/solutions/exercise_10.py --data-dir PATH/TO/MNIST

trains level 2's train_step on these pieces and level 2 itself (nn.Linear, torch.optim.SGD,
torch's DataLoader) from one start on the same batches, in dataset order, and prints the largest
weight difference. (Shuffled, the two orders differ: torch's DataLoader draws more from the
generator than one permutation per epoch.)
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

import numpy as np  # noqa: E402
import torch  # noqa: E402

import level4_numpy  # noqa: E402


Parameter = torch.nn.Parameter


def parameter(array):
    return Parameter(torch.tensor(array))


tanh = torch.tanh
no_grad = torch.no_grad


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):        # what nn.Module.__setattr__ does, in short
        if isinstance(value, Module):
            self._modules[name] = value
        elif isinstance(value, Parameter):    # not every tensor that requires grad
            self._parameters[name] = value
        object.__setattr__(self, name, value)  # not self.name = value: that would call this again

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self):                # its own, then each module's, "name." before
        return (list(self._parameters.items())
                + [(f"{name}.{inner}", p) for name, m in self._modules.items()
                   for inner, p in m.named_parameters()])

    def parameters(self):
        return [p for name, p in self.named_parameters()]


class Linear(Module):
    def __init__(self, in_features, out_features, rng, dtype=np.float32):
        super().__init__()
        self.weight = parameter(level4_numpy.glorot_normal(in_features, out_features, rng, dtype))
        self.bias = parameter(np.zeros(out_features, dtype=dtype))   # registered by __setattr__

    def forward(self, x):
        return x @ self.weight + self.bias     # z = x W + b


class Tanh(Module):
    def forward(self, x):
        return tanh(x)


class Sequential(Module):
    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)       # registered under "0", "1", ... as nn.Sequential

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self._modules[str(i)]


class SGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocity = {}                     # torch's momentum_buffer, one per tensor

    def step(self):
        with no_grad():                        # the update is not part of the model
            for i, p in enumerate(self.params):
                g = p.grad
                if g is None:                  # frozen, or not reached: left as it is, as
                    continue                   # torch.optim.SGD leaves it
                if self.momentum:              # v <- momentum v + g; the first v a copy of g
                    v = self.velocity.get(i)   # (1.0 * g: g itself is the .grad that a later
                    g = self.velocity[i] = 1.0 * g if v is None else self.momentum * v + g
                                               # backward() adds into, unless cleared)
                p -= self.lr * g               # theta <- theta - lr v, in place

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class Adam:
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
        self.state = {}                        # per tensor: its step count t, m and v

    def step(self):
        beta1, beta2 = self.betas
        with no_grad():
            for i, p in enumerate(self.params):
                g = p.grad
                if g is None:                  # no step, and no count: each tensor counts its
                    continue                   # own steps (torch's state["step"])
                t, m, v = self.state.get(i, (0, torch.zeros_like(p), torch.zeros_like(p)))
                t += 1
                m = beta1 * m + (1 - beta1) * g            # m <- b1 m + (1 - b1) g
                v = beta2 * v + (1 - beta2) * g * g        # v <- b2 v + (1 - b2) g^2
                m_hat = m / (1 - beta1 ** t)               # both start at 0: divided by the
                v_hat = v / (1 - beta2 ** t)               # weight that the 0 took from them
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)   # eps outside the root
                self.state[i] = (t, m, v)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class TensorDataset:
    def __init__(self, *tensors):
        self.tensors = tensors


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, generator=None):
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.generator = shuffle, generator

    def __iter__(self):
        n = len(self.dataset.tensors[0])
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for batch in order.split(self.batch_size):        # whole batches, by index
            yield tuple(t[batch] for t in self.dataset.tensors)


def main(argv=None):
    import level2_pytorch
    from exercises import helpers
    from machinery import params_files
    args = helpers.parse(helpers.parser(__doc__, epochs=2, batch_size=50, lr=0.7, hidden=24,
                                        limit=1500, dtype="float64", shuffle=False), argv)
    dtype = getattr(torch, args.dtype)
    (x_train, y_train), _ = helpers.load_data(level2_pytorch, args.data_dir, args.limit, dtype)
    start = level4_numpy.init_params(args.hidden, np.random.default_rng(args.seed),
                                     np.dtype(args.dtype))

    rng = np.random.default_rng(args.seed)     # draws level 4's start again, layer by layer
    mine = Sequential(Linear(784, args.hidden, rng, np.dtype(args.dtype)), Tanh(),
                      Linear(args.hidden, 10, rng, np.dtype(args.dtype)))
    optimizer = SGD(mine.parameters(), args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        for x, y in DataLoader(TensorDataset(x_train, y_train), args.batch_size, args.shuffle,
                               generator):
            level2_pytorch.train_step(mine, optimizer, x, y)

    theirs = level2_pytorch.build_model(args.hidden, dtype)
    params_files.into_torch_model(theirs, start)
    optimizer = torch.optim.SGD(theirs.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        level2_pytorch.train_epoch(theirs, optimizer, x_train, y_train, args.batch_size,
                                   generator, args.shuffle)
    weights = {"W1": mine[0].weight, "b1": mine[0].bias, "W2": mine[2].weight,
               "b2": mine[2].bias}
    diff = helpers.max_abs_difference(helpers.as_numpy(weights),
                                      params_files.from_torch_model(theirs))
    print(f"level 2's train_step on these pieces against level 2: {args.epochs} epochs of "
          f"{len(x_train)} examples, batch {args.batch_size}, lr {args.lr:g}, H {args.hidden}, "
          f"{args.dtype}, {'shuffled' if args.shuffle else 'in dataset order'}: "
          f"largest |dW| {diff:.2e}")


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
