"""Exercise 5, a solution - momentum: by hand at levels 3 and 4, by the optimizers at levels 1, 2.

Momentum keeps a velocity v per parameter (starting at 0) and steps along it:

    torch.optim.SGD(momentum=mu), and levels 3 and 4 here:   v <- mu v + dL/dtheta
                                                            theta <- theta - lr v
    keras.optimizers.SGD(momentum=mu) (Keras 3):             m <- mu m - lr dL/dtheta
                                                            theta <- theta + m

The two look different but, for a constant lr, m = -lr v at every step (true at the start, and
kept true by each update: mu m - lr g = -lr (mu v + g)), so they take the same steps. Only
rounding differs: in float64 the four levels end within about 1e-15 of each other.

One catch, found by this lockstep: Keras 3 (TensorFlow backend) applies ops.cast(momentum,
"float64"), which makes a float32 constant first, so mu = 0.9 becomes 0.89999997615814...
even in float64. Levels 2 to 4 here use that same number, float(np.float32(mu)); with mu = 0.9
exactly they differ from Keras by about 5e-8 after two epochs, not 1e-16. The answers to the
exercise's questions: answers_5.md, beside this file.

    python exercises/solutions/exercise_5.py --data-dir PATH/TO/MNIST

trains all four levels from one start on the batches in dataset order (Keras in a process of its
own) and prints the largest weight difference between level 4 and each of the others.
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
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402
from machinery import params_files, processes  # noqa: E402


def keras_momentum(mu):
    """The momentum Keras 3 (TensorFlow backend) multiplies by when given mu, even in float64:
    mu made a float32 constant first (see above)."""
    return float(np.float32(mu))


# ---------------------------------------------------------------------------------------------
# Level 4: momentum by hand
# ---------------------------------------------------------------------------------------------
def train_step_momentum(params, velocity, x, y, lr, mu):
    """Level 4's training step with momentum; velocity holds v for each parameter."""
    h, z2, a = level4_numpy.forward(x, params)
    loss = level4_numpy.loss_fn(z2, y)
    grads = level4_numpy.gradients(x, y, params, h, a)
    for name, p in params.items():
        velocity[name] = mu * velocity[name] + grads[name]   # v <- mu v + dL/dtheta
        p -= lr * velocity[name]                             # theta <- theta - lr v
    return loss, level4_numpy.accuracy(a, y)


def train_level4(start, x_train, y_train, args, lr, mu):
    params = {k: v.copy() for k, v in start.items()}
    velocity = {k: np.zeros_like(v) for k, v in start.items()}   # v = 0 at the start
    for epoch in range(args.epochs):
        for i in range(0, len(x_train), args.batch_size):
            train_step_momentum(params, velocity, x_train[i:i + args.batch_size],
                                y_train[i:i + args.batch_size], lr, mu)
    return params


# ---------------------------------------------------------------------------------------------
# Level 3: momentum by hand, gradients by autograd
# ---------------------------------------------------------------------------------------------
def train_step_momentum_torch(params, velocity, x, y, lr, mu):
    """Level 3's training step with momentum."""
    import torch
    import level3_autograd
    z2, a = level3_autograd.forward(x, params)
    loss = level3_autograd.loss_fn(z2, y)
    loss.backward()
    with torch.no_grad():
        for name, p in params.items():
            velocity[name] = mu * velocity[name] + p.grad    # v <- mu v + dL/dtheta
            p -= lr * velocity[name]                         # theta <- theta - lr v
            p.grad = None
    return loss.detach(), level3_autograd.accuracy(a.detach(), y)


def train_level3(start, x_train, y_train, args, lr, mu):
    import torch
    params = {k: torch.tensor(v).requires_grad_() for k, v in start.items()}
    velocity = {k: torch.zeros_like(p) for k, p in params.items()}
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(args.epochs):
        for i in range(0, len(x_train), args.batch_size):
            train_step_momentum_torch(params, velocity, x_train[i:i + args.batch_size],
                                      y_train[i:i + args.batch_size], lr, mu)
    return helpers.as_numpy(params)


# ---------------------------------------------------------------------------------------------
# Levels 2 and 1: the frameworks' own optimizers
# ---------------------------------------------------------------------------------------------
def make_optimizer(model, lr, mu):
    """Level 2's optimizer, with momentum."""
    import torch
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=mu)


def compile_with_momentum(model, lr, mu):
    """Level 1's compile_model(), with momentum."""
    import keras
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=mu),
                  loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc")], steps_per_execution=50)


def train_level2(start, x_train, y_train, args, lr, mu):
    import torch
    import level2_pytorch
    model = level2_pytorch.build_model(args.hidden, getattr(torch, args.dtype))
    params_files.into_torch_model(model, start)
    optimizer = make_optimizer(model, lr, mu)
    for epoch in range(args.epochs):                          # level 2's own loop, unchanged
        level2_pytorch.train_epoch(model, optimizer, torch.from_numpy(x_train),
                                   torch.from_numpy(y_train), args.batch_size, None, shuffle=False)
    return params_files.from_torch_model(model)


def train_level1(start, x_train, y_train, args, lr, mu):
    import machinery.quiet_tensorflow  # noqa: F401
    import keras
    import level1_keras
    keras.config.set_floatx(args.dtype)
    model = level1_keras.build_model(args.hidden)
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    compile_with_momentum(model, lr, mu)
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, shuffle=False,
              verbose=0)
    return dict(zip(common.PARAM_NAMES, model.get_weights()))


LEVELS = {"keras": train_level1, "pytorch": train_level2, "autograd": train_level3,
          "numpy": train_level4}


def run_keras_apart(args, start, folder):
    """Level 1 in a process of its own (TensorFlow and PyTorch do not share one well)."""
    init, out = os.path.join(folder, "init.npz"), os.path.join(folder, "keras.npz")
    params_files.save(init, start)
    flags = ["--epochs", args.epochs, "--batch-size", args.batch_size, "--lr", args.lr,
             "--hidden", args.hidden, "--dtype", args.dtype, "--momentum", args.momentum]
    flags += ["--data-dir", args.data_dir] if args.data_dir else []
    flags += ["--limit", args.limit] if args.limit else []
    processes.run_python("level 1 with momentum", os.path.abspath(__file__), *flags,
                         "--level", "keras", "--init-from", init, "--save-weights", out)
    with np.load(out) as f:
        return {name: f[name] for name in common.PARAM_NAMES}


def main(argv=None):
    p = helpers.parser(__doc__, epochs=2, batch_size=50, lr=0.1, hidden=24, limit=1500,
                       dtype="float64")
    p.add_argument("--momentum", type=float, default=0.9, metavar="MU",
                   help="the momentum mu (default: %(default)s)")
    p.add_argument("--level", choices=[*LEVELS, "all"], default="all",
                   help="train one level and --save-weights, or all four and compare (default)")
    args = helpers.parse(p, argv)
    dtype = np.dtype(args.dtype)
    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    start = params_files.load(args, common) if args.init_from else level4_numpy.init_params(
        args.hidden, np.random.default_rng(args.seed), dtype)

    mu = keras_momentum(args.momentum)         # the momentum as Keras 3 applies it (see above)
    if args.level != "all":
        weights = LEVELS[args.level](start, x_train, y_train, args, args.lr, mu)
        if args.save_weights:
            params_files.save(args.save_weights, weights)
        return

    numpy_weights = train_level4(start, x_train, y_train, args, args.lr, mu)
    print(f"momentum {args.momentum:g} (as float32: {mu!r}), lr {args.lr:g}, {args.epochs} epochs "
          f"of {len(x_train)} examples in dataset order, {args.dtype}")
    with tempfile.TemporaryDirectory() as folder:
        others = {"keras": run_keras_apart(args, start, folder)}
    others.update({name: LEVELS[name](start, x_train, y_train, args, args.lr, mu)
                   for name in ("pytorch", "autograd")})
    for name, weights in others.items():
        diff = helpers.max_abs_difference(weights, numpy_weights)
        print(f"largest |dW|, {name} vs numpy: {diff:.2e}")
    exact = train_level4(start, x_train, y_train, args, args.lr, args.momentum)
    print(f"largest |dW|, keras vs numpy with mu = {args.momentum!r} exactly: "
          f"{helpers.max_abs_difference(others['keras'], exact):.2e}")

    def test_accuracy(params):
        return 100 * level4_numpy.accuracy(level4_numpy.forward(x_test, params)[2], y_test)
    big_lr = args.lr / (1 - args.momentum)     # momentum's steps add up to about lr / (1 - mu)
    plain = [train_level4(start, x_train, y_train, args, lr, 0.0) for lr in (args.lr, big_lr)]
    print(f"level 4 test accuracy: momentum {args.momentum:g} at lr {args.lr:g}: "
          f"{test_accuracy(numpy_weights):.2f}%; plain SGD at lr {args.lr:g}: "
          f"{test_accuracy(plain[0]):.2f}%; plain SGD at lr / (1 - mu) = {big_lr:.3g}: "
          f"{test_accuracy(plain[1]):.2f}%")
    if args.save_weights:
        params_files.save(args.save_weights, numpy_weights)


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
