"""Tools for doing and checking the exercises of EXERCISES.md, in the project's notation.

x (B x 784), y (B x 10, one-hot), W1, b1, W2, b2, z1 = x W1 + b1, h = tanh(z1), z2 = h W2 + b2,
a = sigmoid(z2). A gradient is a dict keyed by what it is the gradient of: grads["W1"] is dL/dW1,
grads["z2"] is dL/dz2 (level4_numpy.gradients() returns the four parameter gradients that way).

None of this is an exercise, and none of it solves one. Every function is listed, with what it is
for, in EXERCISES.md ("The tools in exercises/helpers.py"):

  the batch to check on       check_batch(), check_batch_layers()
  finite differences          numerical_gradients(), gradient_check(), gradient_check_layers(),
                              format_errors()
  PyTorch's autograd          autograd_gradients()
  yours against the exact     compare_gradients(), gradient_table(), first_wrong_in_words(),
                              in_words(), CHAIN, layer_chain()
  training and lockstep       load_data(), train_epoch(), max_abs_difference(), as_numpy(),
                              level_with()
  a script's flags            parser(), parse()
"""

import os
import sys
from typing import NamedTuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

import common  # noqa: E402
from machinery import cli, levels, params_files  # noqa: E402

TOLERANCE = 1e-6     # the gradient check: a relative error at most this passes (float64)


# ---------------------------------------------------------------------------------------------
# The batch to check on
# ---------------------------------------------------------------------------------------------
def check_batch(hidden=7, rows=6, seed=3):
    """params, x, y: a small float64 batch for gradient checks, as tests/test_gradients.py builds
    it. Level 4's Glorot start for `hidden` units, then b1 and b2 made nonzero (so that their
    gradients count) and W2 times 4 (so that some outputs saturate, a near 0 or 1); x is `rows`
    random rows in [0, 1), y their random one-hot labels. The same seed gives the same batch."""
    import level4_numpy
    rng = np.random.default_rng(seed)
    params = level4_numpy.init_params(hidden, rng, np.float64)
    params["b1"] += rng.normal(0, 0.1, hidden)
    params["b2"] += rng.normal(0, 0.1, common.N_OUTPUTS)
    params["W2"] *= 4
    x = rng.random((rows, common.N_INPUTS))
    y = np.eye(common.N_OUTPUTS)[rng.integers(0, common.N_OUTPUTS, rows)]
    return params, x, y


def check_batch_layers(sizes=(784, 7, 5, 10), rows=6, seed=3):
    """params, x, y: check_batch() for a network of any number of tanh layers (Exercise 6), of
    layer sizes `sizes` = [784, H1, ..., 10]: W1, b1, ..., WL, bL, float64. Each W_l is Glorot
    normal as level 4 draws it, each b_l nonzero, and the top W_L times 4 (some outputs
    saturate); x is `rows` random rows in [0, 1), y their random one-hot labels."""
    import level4_numpy
    rng = np.random.default_rng(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = level4_numpy.glorot_normal(fan_in, fan_out, rng, np.float64)
        params[f"b{l}"] = rng.normal(0, 0.1, fan_out)
    params[f"W{len(sizes) - 1}"] *= 4
    x = rng.random((rows, sizes[0]))
    y = np.eye(common.N_OUTPUTS)[rng.integers(0, common.N_OUTPUTS, rows)]
    return params, x, y


# ---------------------------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------------------------
def numerical_gradients(loss_at, params, step=1e-6):
    """dL/dp for every entry of every parameter by central differences,
    dL/dp ~ (L(p + e) - L(p - e)) / 2e with e = step. loss_at(params) returns L as a number;
    each entry is changed in place and put back."""
    numeric = {}
    for name, p in params.items():
        numeric[name] = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + step
            up = loss_at(params)
            p[i] = saved - step
            down = loss_at(params)
            p[i] = saved
            numeric[name][i] = (up - down) / (2 * step)
    return numeric


def gradient_check(loss_at, grads, params, step=1e-6):
    """{parameter: relative error}, the relative error being max|grads - numeric| / max|numeric|
    against numerical_gradients(loss_at, params). In float64 a right gradient gives about 1e-9 or
    less (the check passes at <= 1e-6); a wrong one 1e-2 or more. Only the keys of params are
    checked, so grads may hold more (dL/dz2 ...)."""
    numeric = numerical_gradients(loss_at, params, step)
    return {name: float(np.abs(np.asarray(grads[name]) - numeric[name]).max()
                        / np.abs(numeric[name]).max()) for name in params}


def gradient_check_layers(forward, grads, params, x, y, step=1e-6):
    """gradient_check() for a network of any number of layers (Exercise 6): `grads` against
    finite differences of the project's loss, L = mean(log(1 + e^z) - y z), of the top layer's z
    that forward(x, params) computes. forward is yours, returning (hs, z, a); params, x, y as
    check_batch_layers() gives them. Returns {parameter: relative error}."""
    def loss_at(p):
        z = np.asarray(forward(x, p)[1], np.float64)
        return float(np.mean(np.logaddexp(0, z) - y * z))
    return gradient_check(loss_at, grads, params, step)


def format_errors(errors):
    """{"W1": 2.1e-09, ...} as one line: "W1 2.1e-09  b1 7.6e-10 ..."."""
    return "  ".join(f"{name} {error:.1e}" for name, error in errors.items())


# ---------------------------------------------------------------------------------------------
# PyTorch's autograd
# ---------------------------------------------------------------------------------------------
def autograd_gradients(loss_of, params):
    """The exact gradients of a loss you write in PyTorch: {name: dL/dname} as float64 NumPy.

    params: a dict of NumPy arrays (W1, b1, ...). loss_of(t) gets them as a dict t of torch
    tensors that record their gradients, and computes L from them with torch operations. It
    returns either L, or (L, {name: tensor}) to get dL/d(tensor) for tensors on the way as well:

        def loss_of(t):
            z1 = torch.tensor(x) @ t["W1"] + t["b1"]
            h = torch.tanh(z1)
            z2 = h @ t["W2"] + t["b2"]
            L = torch.mean((torch.sigmoid(z2) - torch.tensor(y)) ** 2)
            return L, {"z2": z2, "h": h, "z1": z1}

        exact = helpers.autograd_gradients(loss_of, params)   # W1, b1, W2, b2, z2, h, z1

    Autograd applies the chain rule to the operations it recorded; nothing here is derived by
    hand, so it is an independent check of a gradient that is."""
    import torch
    tensors = {k: torch.tensor(np.asarray(v, np.float64), requires_grad=True)
               for k, v in params.items()}
    out = loss_of(tensors)
    loss, kept = out if isinstance(out, tuple) else (out, {})
    for t in kept.values():
        t.retain_grad()                        # autograd keeps .grad of the parameters only
    loss.backward()
    return {name: t.grad.detach().numpy().copy() for name, t in {**tensors, **kept}.items()}


# ---------------------------------------------------------------------------------------------
# Yours against the exact: a table in the chain's order
# ---------------------------------------------------------------------------------------------
CHAIN = ("z2", "W2", "b2", "h", "z1", "W1", "b1")    # the backward pass's order, output first
FROM = {"W2": "z2", "b2": "z2", "h": "z2", "z1": "h", "W1": "z1", "b1": "z1"}   # computed from


def layer_chain(layers):
    """(order, computed_from) for a network of `layers` tanh layers (Exercise 6), as CHAIN and
    FROM are for level 4's: for 3 layers the order is z3, W3, b3, z2, W2, b2, z1, W1, b1 (dL/dz_l
    of each layer, then its parameters), and dL/dW_l, dL/db_l and dL/dz_(l-1) are computed
    from dL/dz_l."""
    order, computed_from = [], {}
    for l in range(layers, 0, -1):
        order += [f"z{l}", f"W{l}", f"b{l}"]
        computed_from.update({f"W{l}": f"z{l}", f"b{l}": f"z{l}"})
        if l > 1:
            computed_from[f"z{l - 1}"] = f"z{l}"
    return tuple(order), computed_from


class Row(NamedTuple):
    """One line of the table: dL/d(name), yours against the exact one."""
    name: str                  # "z2": the row of dL/dz2
    exact: float               # the largest |entry| of the exact gradient
    close: bool                # relative error <= tolerance
    difference: float          # max |yours - exact|
    relative: float            # difference / exact
    words: str                 # what is wrong, in words ("" if close)


def in_words(yours, exact):
    """What is wrong with `yours` against `exact`, in words that follow "dL/dW1 ...", or "" when
    nothing can be said beyond the numbers: "of shape (7, 784), the transpose of the expected
    (784, 7)", "with NaN or infinity", "all zeros", "with the wrong sign", "off by a factor of 2
    (yours is smaller)"."""
    yours = np.asarray(yours, dtype=np.float64)
    if yours.shape != exact.shape:
        if yours.shape == exact.shape[::-1] and yours.ndim == 2:
            return f"of shape {yours.shape}, the transpose of the expected {exact.shape}"
        return f"of shape {yours.shape}, expected {exact.shape}"
    if not np.isfinite(yours).all():
        return "with NaN or infinity"
    if not exact.any():
        return ""
    if not yours.any():
        return "all zeros"
    ratio = float((yours * exact).sum() / (exact * exact).sum())    # yours ~ ratio * exact?
    rest = np.abs(yours - ratio * exact).max() / np.abs(exact).max()
    if rest > TOLERANCE or abs(ratio - 1) <= TOLERANCE or abs(ratio) < 1e-12:
        return ""
    if abs(ratio + 1) <= TOLERANCE:
        return "with the wrong sign"
    size = abs(ratio) if abs(ratio) >= 1 else 1 / abs(ratio)
    words = f"off by a factor of {size:.3g} (yours is {'larger' if abs(ratio) > 1 else 'smaller'})"
    return ("with the wrong sign, and " if ratio < 0 else "") + words


def compare_gradients(yours, exact, order=CHAIN, tolerance=TOLERANCE):
    """(rows, first_wrong): one Row per name of `order` that both dicts hold, in that order, and
    the Row of the first one that is not close (None if all are). yours and exact are dicts of
    arrays keyed as CHAIN: yours may be level4_numpy.gradients()'s, with W1, b1, W2, b2 only."""
    rows, first_wrong = [], None
    for name in order:
        if name not in exact or name not in yours:
            continue
        e = np.asarray(exact[name], dtype=np.float64)
        size = float(np.abs(e).max())
        words = in_words(yours[name], e)
        if words.startswith("of shape") or words.startswith("with NaN"):
            row = Row(name, size, False, float("nan"), float("nan"), words)
        else:
            difference = float(np.abs(np.asarray(yours[name], np.float64) - e).max())
            relative = difference / size if size > 0 else difference
            close = relative <= tolerance
            row = Row(name, size, close, difference, relative, "" if close else words)
        rows.append(row)
        if first_wrong is None and not row.close:
            first_wrong = row
    return rows, first_wrong


def gradient_table(rows, tolerance=TOLERANCE, marks=None):
    """The rows of compare_gradients() as a table, one line per quantity in the chain's order;
    the first wrong one is marked, and the others by marks ({name: words}) if given."""
    first = next((row.name for row in rows if not row.close), None)
    lines = [f"{'quantity':<10}{'exact':>10}{'close':>7}{'largest difference':>20}"
             f"{'relative error':>16}"]
    for row in rows:
        mark = "   <- first wrong" if row.name == first else \
            f"   <- {marks[row.name]}" if marks and row.name in marks else ""
        lines.append(f"{'d' + row.name:<10}{row.exact:>10.2e}{'yes' if row.close else 'NO':>7}"
                     f"{row.difference:>20.2e}{row.relative:>16.1e}{mark}")
    lines.append(f"(exact: the largest |entry| of the exact gradient; close: relative error "
                 f"<= {tolerance:g})")
    return "\n".join(lines)


def first_wrong_in_words(row, rows, computed_from=FROM):
    """The first wrong Row of compare_gradients(), given all its rows, as a sentence: what is
    wrong with it, and what that means for the quantities below it in the chain (computed_from:
    FROM, or layer_chain()'s for more layers)."""
    what = f"`dL/d{row.name}` {row.words or 'wrong'}"
    if row.relative == row.relative:           # not NaN: there is a relative error to give
        what += f": relative error {row.relative:.2g}"
    names = [r.name for r in rows]
    below = [name for name in names if _depends_on(name, row.name, computed_from)]
    if below:
        return (f"{what}. d{row.name} is the first wrong quantity in the chain; "
                f"{', '.join('d' + name for name in below)} below it inherit its error: fix it "
                f"first")
    if computed_from.get(row.name) in names:   # above it in the chain, so right
        return (f"{what}. It is computed from d{computed_from[row.name]}, which is right: the "
                f"mistake is in that one line")
    return f"{what}. It is the first wrong one from the output down: fix it first"


def _depends_on(name, source, computed_from=FROM):
    """Whether dL/d(name) is computed, directly or not, from dL/d(source)."""
    while name in computed_from:
        name = computed_from[name]
        if name == source:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Training and lockstep
# ---------------------------------------------------------------------------------------------
def train_epoch(step, params, x_train, y_train, batch_size, lr, rng, shuffle):
    """level4_numpy.train_epoch(), with the training step as its first argument:
    step(params, x, y, lr) updates params in place and returns the batch's loss and accuracy, as
    level4_numpy.train_step does. Batches in dataset order when shuffle is False (rng unused);
    returns the batch-size-weighted mean loss and accuracy."""
    n = len(x_train)
    order = rng.permutation(n) if shuffle else np.arange(n)
    total_loss = total_acc = 0.0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        loss, acc = step(params, x_train[batch], y_train[batch], lr)
        total_loss += loss * len(batch)
        total_acc += acc * len(batch)
    return float(total_loss) / n, float(total_acc) / n


def load_data(level, data_dir, limit, dtype):
    """level.load_data(limit, dtype), from the four MNIST files of data_dir if it is given, as
    --data-dir gives them to the levels run from the shell."""
    return levels.load_data(level, data_dir, limit, dtype)


def level_with(level, **names):
    """A fresh copy of a level's module (its file run again as a module of its own), with the
    given names of it replaced: level_with("level3b_own_autograd", Tensor=..., tanh=..., ...) is
    level 3½'s code on another engine. The level itself, as `import` gives it, is untouched.
    Returns the copy."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"{level}_with_yours",
                                                  os.path.join(ROOT, f"{level}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, value in names.items():
        if not hasattr(module, name):
            raise AttributeError(f"{level} has no {name!r} to replace")
        setattr(module, name, value)
    return module


def max_abs_difference(p, q):
    """The largest |p - q| over all parameters of p: the lockstep measure (float64: <= 1e-8)."""
    return max(float(np.abs(np.asarray(p[k], np.float64) - np.asarray(q[k], np.float64)).max())
               for k in p)


def as_numpy(params):
    """NumPy copies of a dict of NumPy arrays or torch tensors."""
    return {k: np.array(params_files.as_numpy(v)) for k, v in params.items()}


# ---------------------------------------------------------------------------------------------
# A script's flags: the levels' own, with other defaults
# ---------------------------------------------------------------------------------------------
def parser(doc, **defaults):
    """The levels' flag parser (machinery/cli.py: --data-dir, --epochs, --lr, ...) with other
    defaults; a script adds its own flags to it."""
    p = cli.make_parser(doc, common)
    p.set_defaults(**defaults)
    return p


def parse(p, argv=None):
    """Parse and check the flags as the levels do; NumPy's BLAS threads chosen as at level 4."""
    args = p.parse_args(argv)
    cli.check_args(p, args, common)
    cli.limit_blas_threads(args, common)
    return args
