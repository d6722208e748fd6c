"""Check your work on the exercises of EXERCISES.md, one exercise at a time or all of them.

    python -m exercises.check 1                      # exercises/starters/exercise_1.py
    python -m exercises.check all                    # all eight, one after the other
    python -m exercises.check 3 --solutions DIR      # DIR/exercise_3.py instead
    python -m exercises.check 1 --seed 7             # the check batches of an earlier run

Run it from the project folder (`python exercises/check.py 1` works from anywhere). It needs no
MNIST and no network: it makes small data of its own.

Every check prints one line, passed or FAILED, with the reason in words. A gradient is compared
with the exact one, which PyTorch's autograd computes from the loss as the exercise states it
(never from a solution), in a table in the chain's order - dz2, dW2, db2, dh, dz1, dW1, db1 - and
the first wrong quantity is named, because everything below it in the chain inherits its error.
Some checks use a check batch drawn afresh for each run (its seed is printed; --seed draws it
again) and sizes that EXERCISES.md does not print, so that a figure copied from there cannot pass.

Each exercise file is loaded on its own, by its path: a file that is missing, does not load or is
half written fails its own exercise's checks, never another exercise's. The checks of Keras
code (exercises 3, 5 and 8) run Keras in a process of its own, because TensorFlow and PyTorch do
not share one.

Exit code: 0 when every check passed, 1 when one failed, 2 for a mistake on the command line.
"""

import argparse
import ast
import contextlib
import importlib.abc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402

STARTERS = os.path.join(ROOT, "exercises", "starters")
TITLES = {1: "mean squared error instead of cross-entropy",
          2: "a ReLU hidden layer, He or Glorot",
          3: "softmax and categorical cross-entropy, and a Keras trap",
          4: "sum over the outputs instead of the mean",
          5: "momentum, by hand and by the optimizers",
          6: "a second hidden layer",
          7: "break it on purpose",
          8: "write level 1's training step yourself"}
KERAS = {3, 5, 8}              # exercises with Keras code, checked in a process of its own
GRADIENT = helpers.TOLERANCE   # the gradient check: relative error at most 1e-6
STEP = 1e-6                    # one update against the exact one: relative error of the change
LOCKSTEP = 1e-8                # two float64 trainings: largest |dW| at most this
LOSS = 1e-10                   # a loss against the exact one: relative error


# ---------------------------------------------------------------------------------------------
# Checks, and what a failure says
# ---------------------------------------------------------------------------------------------
class Failure(Exception):
    """A check that failed; the message says why, in words."""


def is_unwritten(function):
    """Whether a def's body (an ast.FunctionDef), past its docstring, is only
    `raise NotImplementedError` - a starter's function that nobody has written yet."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]                        # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def unwritten_functions(tree):
    """The names of the functions (and Class.method) of a module that are not written yet."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and is_unwritten(node):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(f"{node.name}.{f.name}" for f in node.body
                         if isinstance(f, ast.FunctionDef) and is_unwritten(f))
    return names


def one_line(text, limit=240):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe_error(error, path):
    """An exception from a student's code as one line: "`f` not written yet" for the
    NotImplementedError of a starter, else what was raised, and where in the file."""
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if os.path.abspath(f.filename) == os.path.abspath(path)]
    if isinstance(error, NotImplementedError) and frames and mine and frames[-1] is mine[-1]:
        inner, outer = mine[-1].name, mine[0].name
        return (f"`{inner}` not written yet" if inner == outer else
                f"`{inner}` not written yet (`{outer}` calls it)")
    what = f"{type(error).__name__}: {one_line(error, 160)}"
    if mine:
        return (f"`{mine[0].name}` raised {what} ({os.path.basename(path)}, line "
                f"{mine[-1].lineno}, in {mine[-1].name})")
    return f"{what} (from the values your code returned)"


class NoFramework(importlib.abc.MetaPathFinder):
    """While installed, `import keras` (or tensorflow, or torch: `names`) fails with a message
    that says why: TensorFlow and PyTorch must not share a process."""

    def __init__(self, names, advice):
        self.names, self.advice = names, advice

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"import {name.split('.')[0]}: {self.advice}")
        return None

    def __enter__(self):
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self)


def load_module(path, name):
    """Run the file at `path` as a module called `name`, and return it."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class Exercise:
    """One exercise file under check: its module, and the checks' results as they are printed."""

    def __init__(self, number, folder, seed):
        self.number, self.seed = number, seed
        self.path = os.path.abspath(os.path.join(folder, f"exercise_{number}.py"))
        self.file = os.path.basename(self.path)
        self.module, self.unwritten, self.passed, self.failed = None, set(), 0, 0
        self.notes = []
        self.cleanup = []          # a Keras process and its folder, ended after the checks

    # The file ----------------------------------------------------------------------------
    def load(self, import_it=True):
        """Read, parse and (unless import_it is False) import the file. A failure is one FAILED
        line; returns whether the exercise's checks can go on."""
        if not os.path.isfile(self.path):
            return self.fail_file(f"{shown(self.path)} does not exist: copy "
                                  f"exercises/starters/{self.file} there")
        try:
            with open(self.path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), self.path)
        except SyntaxError as e:
            return self.fail_file(f"{self.file} has a syntax error, line {e.lineno}: {e.msg}")
        except (OSError, UnicodeDecodeError) as e:
            return self.fail_file(f"{self.file} cannot be read: {one_line(e)}")
        self.unwritten = unwritten_functions(tree)
        if not import_it:
            return True
        advice = ("TensorFlow and PyTorch must not share a process: import keras inside the "
                  "level 1 functions only, as the starter does")
        try:
            with NoFramework({"keras", "tensorflow"}, advice):
                self.module = load_module(self.path, f"_exercise_{self.number}_under_check")
        except (Exception, SystemExit) as e:
            return self.fail_file(f"{self.file} does not load: {describe_error(e, self.path)}")
        return True

    def fail_file(self, message):
        print(f"  FAILED  {message}")
        self.failed += 1
        return False

    def fn(self, name):
        """The student's function `name` (Class.method for a method), checked to be there."""
        if name in self.unwritten:
            raise Failure(f"`{name}` not written yet")
        value = self.module
        for part in name.split("."):
            if not hasattr(value, part):
                raise Failure(f"`{name}` is missing from {self.file}: the starter has it; "
                              f"keep its name")
            value = getattr(value, part)
        return value

    # The checks --------------------------------------------------------------------------
    def check(self, label, body, needs=()):
        """Run one check: body() returns what passed (words), or raises Failure(why). When some
        of the functions it `needs` are not written yet, it fails saying so, without running."""
        self.notes = []
        unwritten = [name for name in needs if name in self.unwritten]
        try:
            if unwritten:
                raise Failure("; ".join(f"`{name}` not written yet" for name in unwritten))
            ok, detail = True, body()
        except Failure as e:
            ok, detail = False, str(e)
        except (Exception, SystemExit) as e:
            ok, detail = False, describe_error(e, self.path)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"  {'passed' if ok else 'FAILED'}  {label}" + (f": {detail}" if detail else ""))
        for note in self.notes:
            print("          " + note.replace("\n", "\n          "))
        sys.stdout.flush()
        return ok

    def note(self, text):
        """Lines to print under the check's own line (a table)."""
        self.notes.append(text)

    def call(self, name, *args):
        return self.fn(name)(*args)

    def gradients(self, name, yours, exact, order=helpers.CHAIN):
        """Compare a gradient dict with the exact one; the table goes under the check's line."""
        if not isinstance(yours, dict):
            raise Failure(f"`{name}` returned {type(yours).__name__}, not a dict of gradients")
        missing = [k for k in order if k in exact and k not in yours]
        if missing:
            raise Failure(f"`{name}` returned no {', '.join(repr(k) for k in missing)}: the dict "
                          f"must hold every gradient of the chain (see its docstring)")
        rows, first = helpers.compare_gradients(yours, exact, order)
        self.note(helpers.gradient_table(rows))
        return rows, first


def shown(path):
    """A path as the user would type it: relative to the current folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def require(condition, message):
    if not condition:
        raise Failure(message)


def array(value, what, shape=None):
    """value as a float64 array, or a Failure that says what it was instead."""
    try:
        result = np.asarray(value.detach() if hasattr(value, "detach") else value, np.float64)
    except (TypeError, ValueError):
        raise Failure(f"{what} is {type(value).__name__}, not an array of numbers") from None
    if shape is not None and result.shape != tuple(shape):
        raise Failure(f"{what} has shape {result.shape}, expected {tuple(shape)}")
    if not np.isfinite(result).all():
        raise Failure(f"{what} holds NaN or infinity")
    return result


def number(value, what):
    result = array(value, what)
    require(result.size == 1, f"{what} has shape {result.shape}, expected one number")
    return float(result.reshape(()))


def relative_error(yours, exact):
    yours, exact = np.asarray(yours, np.float64), np.asarray(exact, np.float64)
    return float(np.abs(yours - exact).max() / max(np.abs(exact).max(), 1e-300))


def same_params(params, names, what):
    """params checked to be a dict holding each of `names`."""
    require(isinstance(params, dict), f"{what} is {type(params).__name__}, not a dict")
    missing = [n for n in names if n not in params]
    require(not missing, f"{what} has no {', '.join(repr(n) for n in missing)}")
    return params


def copy(params):
    return {k: np.array(v, copy=True) for k, v in params.items()}


# ---------------------------------------------------------------------------------------------
# The data and the exact values: the task's statement, computed by PyTorch's autograd
# ---------------------------------------------------------------------------------------------
def small_data(n_train=600, n_test=300, seed=0):
    """(x_train, y_train), (x_test, y_test), float64: MNIST-like data that a small network learns
    in a few epochs - one random template image per digit, plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 2, (10, common.N_INPUTS)) * 200.0

    def draw(n):
        labels = rng.integers(0, 10, n)
        images = np.clip(templates[labels] + rng.normal(0, 40, (n, common.N_INPUTS)), 0, 255)
        return np.floor(images) / 255, np.eye(common.N_OUTPUTS)[labels]
    return draw(n_train), draw(n_test)


def start_params(hidden, seed):
    """Level 4's Glorot start, float64."""
    return level4_numpy.init_params(hidden, np.random.default_rng(seed), np.float64)


def stated_loss(loss, z2, y):
    """The loss each exercise states, in PyTorch: L from z2 (B x 10) and the one-hot y."""
    import torch
    if loss == "bce":         # the project's: mean over B x 10 of log(1 + e^z2) - y z2
        return torch.mean(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2)
    if loss == "sum":         # exercise 4: summed over the 10 outputs, mean over the batch
        return torch.mean(torch.sum(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2, dim=1))
    if loss == "mse":         # exercise 1: mean over B x 10 of (a - y)^2
        return torch.mean((torch.sigmoid(z2) - y) ** 2)
    if loss == "softmax":     # exercise 3: categorical cross-entropy of softmax(z2), mean over B
        return torch.nn.functional.cross_entropy(z2, y.argmax(dim=1))
    raise ValueError(loss)


def torch_network(x, t, hidden="tanh"):
    """z1, h, z2 in PyTorch, from parameter tensors t: the forward pass of README's mathematics."""
    import torch
    z1 = torch.as_tensor(x) @ t["W1"] + t["b1"]
    h = torch.tanh(z1) if hidden == "tanh" else torch.relu(z1)
    return z1, h, h @ t["W2"] + t["b2"]


def exact_gradients(x, y, params, loss="bce", hidden="tanh"):
    """dL/dz2, dL/dW2, dL/db2, dL/dh, dL/dz1, dL/dW1, dL/db1 by PyTorch's autograd."""
    import torch
    y_t = torch.as_tensor(y)

    def loss_of(t):
        z1, h, z2 = torch_network(x, t, hidden)
        return stated_loss(loss, z2, y_t), {"z2": z2, "h": h, "z1": z1}
    return helpers.autograd_gradients(loss_of, params)


def exact_loss(x, y, params, loss="bce", hidden="tanh"):
    """The loss as the exercise states it, in NumPy (fast enough for finite differences)."""
    z1 = x @ params["W1"] + params["b1"]
    h = np.tanh(z1) if hidden == "tanh" else np.maximum(z1, 0)
    z2 = h @ params["W2"] + params["b2"]
    if loss == "bce":
        return float(np.mean(np.logaddexp(0, z2) - y * z2))
    if loss == "sum":
        return float(np.mean(np.sum(np.logaddexp(0, z2) - y * z2, axis=1)))
    if loss == "mse":
        return float(np.mean((1 / (1 + np.exp(-z2)) - y) ** 2))
    if loss == "softmax":
        return float(np.mean(np.logaddexp.reduce(z2, axis=1) - (y * z2).sum(axis=1)))
    raise ValueError(loss)


def exact_step(params, x, y, lr, loss="bce", hidden="tanh"):
    """One SGD step, theta <- theta - lr dL/dtheta, with autograd's gradients: new parameters."""
    grads = exact_gradients(x, y, params, loss, hidden)
    return {k: v - lr * grads[k] for k, v in params.items()}


def check_step(name, step, params, x, y, lr, expected, loss_before):
    """step(params, x, y, lr) must change params in place to `expected` and return the batch's
    loss before the update, and its accuracy."""
    before = copy(params)
    out = step(params, x, y, lr)
    require(isinstance(out, tuple) and len(out) == 2,
            f"`{name}` returned {type(out).__name__}, not (loss, accuracy)")
    for k in expected:
        change = array(params[k], f"params[{k!r}] after `{name}`", before[k].shape) - before[k]
        require(np.abs(change).max() > 0, f"`{name}` did not change params[{k!r}] in place")
        error = relative_error(change, expected[k] - before[k])
        require(error <= STEP, f"`{name}` changed params[{k!r}] by another amount than "
                               f"-lr dL/d{k}: relative error {error:.2g}")
    loss = number(out[0], f"the loss `{name}` returned")
    require(abs(loss - loss_before) <= LOSS * abs(loss_before),
            f"`{name}` returned the loss {loss:.10g}; the batch's loss before the update is "
            f"{loss_before:.10g}")
    return loss


def first_wrong(ex, name, yours, exact, order=helpers.CHAIN):
    """The gradient check: a table, and a Failure naming the first wrong quantity."""
    rows, first = ex.gradients(name, yours, exact, order)
    if first is not None:
        raise Failure(helpers.first_wrong_in_words(first, rows))
    return rows


def train(step, params, data, lr, epochs, batch_size=32, seed=0, shuffle=True):
    (x_train, y_train), _ = data
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        helpers.train_epoch(step, params, x_train, y_train, batch_size, lr, rng, shuffle)
    return params


def accuracy_on_test(a_or_z, data):
    (_, _), (x_test, y_test) = data
    return float(np.mean(np.asarray(a_or_z).argmax(axis=1) == y_test.argmax(axis=1)))


# ---------------------------------------------------------------------------------------------
# Exercise 1: MSE
# ---------------------------------------------------------------------------------------------
def nth_batch(k, n, batch_size):
    """Rows lo:hi of batch k in dataset order, epoch after epoch (the last batch of an epoch may
    be shorter): what steps_to_recover's docstring defines."""
    per_epoch = -(-n // batch_size)
    lo = (k % per_epoch) * batch_size
    return lo, min(lo + batch_size, n)


def count_steps(step, start, x, y, batch_size, lr, max_steps):
    """The figure of exercise 1 as its docstring defines it (see exercise_1.steps_to_recover)."""
    params = copy(start)
    for k in range(max_steps + 1):
        lo, hi = nth_batch(k, len(x), batch_size)
        if level4_numpy.forward(x[lo:hi], params)[2][:, 0].mean() < 0.5:
            return k
        if k == max_steps:
            return None
        step(params, x[lo:hi], y[lo:hi], lr)


def mse_step(params, x, y, lr):
    """An exact MSE step, for counting steps; params changed in place."""
    for k, v in exact_step(params, x, y, lr, "mse").items():
        params[k][...] = v
    return exact_loss(x, y, params, "mse"), 0.0


def exercise_1(ex):
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)

    def loss():
        yours = number(ex.call("loss_mse", a.copy(), y.copy()), "`loss_mse`")
        exact = float(np.mean((a - y) ** 2))
        require(abs(yours - exact) <= LOSS * exact,
                f"`loss_mse` gave {yours:.10g}; mean((a - y)^2) over the B x 10 numbers is "
                f"{exact:.10g}")
        return f"{yours:.6f} on the check batch, as mean((a - y)^2)"
    ex.check("loss_mse is the mean of (a - y)^2 over B x 10", loss)

    def gradient():
        yours = ex.call("gradients_mse", x, y, copy(params), h, a)
        first_wrong(ex, "gradients_mse", yours, exact_gradients(x, y, params, "mse"))
        errors = helpers.gradient_check(
            lambda p: exact_loss(x, y, p, "mse"), yours, copy(params))
        require(max(errors.values()) <= GRADIENT,
                f"finite differences disagree: {helpers.format_errors(errors)}")
        return (f"every quantity within {GRADIENT:g} of autograd's; finite differences "
                f"{helpers.format_errors(errors)}")
    ex.check(f"gradients_mse against autograd and finite differences (check batch H 9, 5 rows, "
             f"seed {ex.seed})", gradient)

    def step():
        check_step("train_step_mse", ex.fn("train_step_mse"), copy(params), x, y, 0.5,
                   exact_step(params, x, y, 0.5, "mse"), exact_loss(x, y, params, "mse"))
        steps = ex.fn("STEPS")
        require(isinstance(steps, dict) and set(steps) == {"BCE", "MSE"},
                "STEPS must be a dict with the keys \"BCE\" and \"MSE\"")
        require(steps["MSE"] is ex.fn("train_step_mse"), "STEPS[\"MSE\"] is not train_step_mse")
        return "one SGD step of lr 0.5 is theta - lr dL/dtheta, and the loss is before it"
    ex.check("train_step_mse, and STEPS", step, needs=["train_step_mse"])

    def start():
        rng = np.random.default_rng(ex.seed)
        yours = same_params(ex.call("confidently_wrong_start", 13, rng, np.float32),
                            common.PARAM_NAMES, "what `confidently_wrong_start` returned")
        expected = level4_numpy.init_params(13, np.random.default_rng(ex.seed), np.float32)
        expected["b2"][0] = 6
        for k, v in expected.items():
            got = np.asarray(yours[k])
            require(got.dtype == np.float32, f"{k} is {got.dtype}, not the dtype asked for")
            require(got.shape == v.shape and np.array_equal(got, v),
                    f"{k} is not level4_numpy.init_params(hidden, rng, dtype)'s with b2[0] = 6")
        return "level 4's start from the same rng, b2[0] = 6 (H 13, float32)"
    ex.check("confidently_wrong_start", start)

    data = small_data(600, 200, seed=1)
    (x_train, y_train), _ = data
    wrong = level4_numpy.init_params(24, np.random.default_rng(5), np.float64)
    wrong["b2"][0] = 6

    def first():
        xb, yb = x_train[:32], y_train[:32]
        found = {}
        for loss in ("BCE", "MSE"):
            yours = number(ex.call("first_gradient", loss, copy(wrong), xb, yb),
                           f"first_gradient({loss!r}, ...)")
            exact = abs(exact_gradients(xb, yb, wrong, loss.lower())["b2"][0])
            require(abs(yours - exact) <= GRADIENT * exact,
                    f"first_gradient({loss!r}) gave {yours:.6g}; |dL/db2[0]| on that batch is "
                    f"{exact:.6g}")
            found[loss] = yours
        return f"BCE {found['BCE']:.3g}, MSE {found['MSE']:.3g}, as autograd's"
    ex.check("first_gradient, BCE and MSE, on a batch of the checker's data", first)

    def counting():
        counter = ex.fn("steps_to_recover")
        found = []
        for loss, step, lr in (("BCE", level4_numpy.train_step, 1.0), ("MSE", mse_step, 1.0)):
            expected = count_steps(step, wrong, x_train, y_train, 32, lr, 300)
            before = copy(wrong)
            yours = counter(step, wrong, x_train, y_train, 32, lr, 300)
            require(helpers.max_abs_difference(before, wrong) == 0,
                    "`steps_to_recover` changed `start`: train a copy of it")
            require(yours == expected,
                    f"{loss} at lr {lr:g} (the checker's exact step): `steps_to_recover` counted "
                    f"{yours}, the docstring's definition gives {expected}")
            if expected:
                fewer = counter(step, wrong, x_train, y_train, 32, lr, expected - 1)
                require(fewer is None, f"with max_steps = {expected - 1}, one update too few, "
                                       f"`steps_to_recover` returned {fewer}, not None")
            found.append(f"{loss} {expected}")
        return ", ".join(found) + " steps, and None when max_steps is one too few"
    ex.check("steps_to_recover counts as its docstring defines (the checker's steps, 600 rows, "
             "batch 32)", counting)

    def claim():
        steps = ex.fn("STEPS")
        count, grad = {}, {}
        for loss in ("BCE", "MSE"):
            grad[loss] = number(ex.call("first_gradient", loss, copy(wrong), x_train[:32],
                                        y_train[:32]), "first_gradient")
            count[loss] = ex.call("steps_to_recover", steps[loss], wrong, x_train, y_train, 32,
                                  1.0, 300)
        ratio = grad["BCE"] / grad["MSE"]
        require(ratio > 50, f"MSE's first |dL/db2[0]| is {ratio:.3g} times BCE's, not 50 times "
                            f"smaller or more" if ratio >= 1 else
                            f"MSE's first |dL/db2[0]| is {1 / ratio:.3g} times larger than BCE's, "
                            f"not 50 times smaller or more")
        require(count["BCE"] is not None and count["BCE"] <= 10,
                f"BCE took {count['BCE']} steps, more than 10")
        require(count["MSE"] is None or count["MSE"] >= 10 * count["BCE"],
                f"MSE took {count['MSE']} steps against BCE's {count['BCE']}: not 10 times more")
        mse = "more than 300" if count["MSE"] is None else count["MSE"]
        return (f"first |dL/db2[0]| {ratio:.0f} times smaller with MSE; steps until output 0's "
                f"mean falls below 0.5, lr 1: BCE {count['BCE']}, MSE {mse}")
    ex.check("the confidently wrong start unlearns slowly with MSE (your STEPS, lr 1)", claim,
             needs=["first_gradient", "steps_to_recover", "train_step_mse", "gradients_mse"])


# ---------------------------------------------------------------------------------------------
# Exercise 2: ReLU, He and Glorot
# ---------------------------------------------------------------------------------------------
def exercise_2(ex):
    import torch
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    z1, h, z2 = (t.numpy() for t in torch_network(x, {k: torch.tensor(v) for k, v in
                                                      params.items()}, "relu"))
    a = 1 / (1 + np.exp(-z2))

    def forward():
        out = ex.call("forward_relu", x, copy(params))
        require(isinstance(out, tuple) and len(out) == 3,
                "`forward_relu` must return (h, z2, a), as level4_numpy.forward does")
        for what, yours, exact in zip(("h", "z2", "a"), out, (h, z2, a)):
            error = relative_error(array(yours, what, exact.shape), exact)
            require(error <= 1e-12, f"{what} is not relu's: relative error {error:.2g}")
        return "h = max(0, z1), z2, a as PyTorch computes them"
    ex.check("forward_relu", forward)

    def gradient():
        require((h == 0).any() and (h > 0).any(), "the check batch has no unit on one side")
        yours = ex.call("gradients_relu", x, y, copy(params), h, a)
        first_wrong(ex, "gradients_relu", yours, exact_gradients(x, y, params, "bce", "relu"))
        return f"every quantity within {GRADIENT:g} of autograd's"
    ex.check(f"gradients_relu against autograd (check batch H 9, seed {ex.seed}, units on both "
             f"sides of the kink)", gradient)

    def he():
        w = array(ex.call("he_normal", 900, 300, np.random.default_rng(ex.seed), np.float32),
                  "what `he_normal` returned", (900, 300))
        require(ex.call("he_normal", 900, 300, np.random.default_rng(ex.seed), np.float32).dtype
                == np.float32, "`he_normal` did not return the dtype asked for")
        sigma = np.sqrt(2 / 900)
        require(abs(w.std() / sigma - 1) <= 0.02, f"the standard deviation is {w.std():.4g}, "
                                                  f"not sqrt(2 / fan_in) = {sigma:.4g}")
        cut = 2 * sigma / common.TRUNCATION_STD
        require(np.abs(w).max() <= cut * (1 + 1e-6),
                f"a weight of {np.abs(w).max():.4g} lies beyond the cut at 2 sigma ({cut:.4g})")
        require(np.abs(w).max() > 0.9 * cut, "no weight comes near the cut: not Keras's draw")
        return f"std {w.std():.4f} = sqrt(2 / 900) within 2%, cut at 2 sigma (900 x 300)"
    ex.check("he_normal (fan_in 900, fan_out 300, float32)", he)

    def init():
        glorot = same_params(ex.call("init_params", 50, np.random.default_rng(ex.seed),
                                     np.float64, "glorot"), common.PARAM_NAMES, "init_params")
        expected = level4_numpy.init_params(50, np.random.default_rng(ex.seed), np.float64)
        require(helpers.max_abs_difference(glorot, expected) == 0,
                "init_params(..., \"glorot\") is not level4_numpy.init_params()'s draw")
        he = same_params(ex.call("init_params", 50, np.random.default_rng(ex.seed), np.float64,
                                 "he"), common.PARAM_NAMES, "init_params")
        for k, shape in common.param_shapes(50).items():
            array(he[k], f"init_params(..., \"he\")[{k!r}]", shape)
        require(not np.any(he["b1"]) and not np.any(he["b2"]), "the biases do not start at 0")
        std = float(np.std(he["W1"]))
        require(abs(std / np.sqrt(2 / 784) - 1) <= 0.02,
                f"He's W1 has standard deviation {std:.4g}, not sqrt(2 / 784)")
        return "\"glorot\" is level 4's draw; \"he\" has W1's std sqrt(2 / 784), zero biases"
    ex.check("init_params, \"glorot\" and \"he\" (H 50)", init)

    def signal():
        out = {}
        for init in ("he", "glorot"):
            stds = [number(s, "a standard deviation") for s in ex.call("signal_std", init)]
            require(len(stds) == 10, f"signal_std({init!r}) gave {len(stds)} numbers, not one per "
                                     f"layer (10)")
            out[init] = stds
        short = [number(s, "a standard deviation") for s in
                 ex.call("signal_std", "he", 4, 128, 300, ex.seed)]
        require(len(short) == 4 and all(0.5 < s < 2 for s in short),
                f"signal_std(\"he\", depth=4, width=128, rows=300, seed={ex.seed}) gave {short}: "
                f"not 4 numbers near 1")
        require(0.5 < out["he"][-1] < 2, f"He's std after 10 layers is {out['he'][-1]:.3g}, not "
                                         f"near 1")
        require(out["glorot"][-1] < 0.1, f"Glorot's std after 10 layers is "
                                         f"{out['glorot'][-1]:.3g}: it should have shrunk")
        return (f"after 10 ReLU layers: He {out['he'][-1]:.3g}, Glorot {out['glorot'][-1]:.3g}")
    ex.check("signal_std: He keeps the signal, Glorot shrinks it", signal)

    def step():
        check_step("train_step_relu", ex.fn("train_step_relu"), copy(params), x, y, 0.5,
                   exact_step(params, x, y, 0.5, "bce", "relu"),
                   exact_loss(x, y, params, "bce", "relu"))
        data = small_data(600, 300, seed=2)
        trained = train(ex.fn("train_step_relu"), ex.call(
            "init_params", 32, np.random.default_rng(0), np.float64, "he"), data, 0.5, 3)
        acc = accuracy_on_test(ex.call("forward_relu", data[1][0], trained)[2], data)
        require(acc > 0.8, f"after 3 epochs the test accuracy is {100 * acc:.1f}%, not above 80%")
        return f"one step as autograd's; ReLU + He, H 32, 3 epochs: test accuracy {100 * acc:.1f}%"
    ex.check("train_step_relu: one exact step, and it learns (the checker's data)", step,
             needs=["train_step_relu", "init_params", "forward_relu"])


# ---------------------------------------------------------------------------------------------
# Exercise 3: softmax; the Keras trap
# ---------------------------------------------------------------------------------------------
TRAP = dict(hidden=24, seed=11, rows=600, batch_size=50, lr=0.1, epochs=2)


def exercise_3(ex):
    import torch
    F = torch.nn.functional
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)
    keras_job = keras_start(ex, {"loss": ["keras_loss_on_sigmoid"],
                                 "trap": ["train_keras_trap"]}, trap_inputs)

    def softmax():
        for scale in (1, 1000):
            yours = array(ex.call("softmax", z2 * scale), "what `softmax` returned", z2.shape)
            exact = F.softmax(torch.tensor(z2 * scale), dim=1).numpy()
            error = relative_error(yours, exact)
            require(error <= 1e-12, f"softmax(z2 x {scale}) is off: relative error {error:.2g}"
                    + (" (e^z2 overflows: subtract the row's largest z2 first)" if scale > 1
                       else ""))
        return "equals torch.softmax, also for z2 in the thousands"
    ex.check("softmax", softmax)

    def loss():
        for scale in (1, 1000):
            yours = number(ex.call("loss_softmax", z2 * scale, y), "what `loss_softmax` returned")
            exact = float(F.cross_entropy(torch.tensor(z2 * scale), torch.tensor(y.argmax(1))))
            require(abs(yours - exact) <= 1e-12 * abs(exact),
                    f"loss_softmax(z2 x {scale}) is {yours:.10g}, torch's cross_entropy "
                    f"{exact:.10g}" + (" (not stable for large z2)" if scale > 1 else ""))
        return "equals torch.nn.functional.cross_entropy, also for z2 in the thousands"
    ex.check("loss_softmax", loss)

    def gradient():
        p = F.softmax(torch.tensor(z2), dim=1).numpy()
        yours = ex.call("gradients_softmax", x, y, copy(params), h, p)
        first_wrong(ex, "gradients_softmax", yours, exact_gradients(x, y, params, "softmax"))
        return f"every quantity within {GRADIENT:g} of autograd's"
    ex.check(f"gradients_softmax against autograd (check batch H 9, seed {ex.seed})", gradient)

    def step():
        check_step("train_step_softmax", ex.fn("train_step_softmax"), copy(params), x, y,
                   0.1, exact_step(params, x, y, 0.1, "softmax"),
                   exact_loss(x, y, params, "softmax"))
        data = small_data(600, 300, seed=3)
        trained = train(ex.fn("train_step_softmax"), start_params(32, 0), data, 0.1, 3)
        acc = accuracy_on_test(level4_numpy.forward(data[1][0], trained)[1], data)
        require(acc > 0.8, f"after 3 epochs the test accuracy is {100 * acc:.1f}%, not above 80%")
        return f"one step as autograd's; H 32, lr 0.1, 3 epochs: test accuracy {100 * acc:.1f}%"
    ex.check("train_step_softmax: one exact step, and it learns (the checker's data)", step,
             needs=["train_step_softmax"])

    results, folder = keras_finish(ex, keras_job)
    start = start_params(TRAP["hidden"], TRAP["seed"])
    (x_train, y_train), _ = small_data(TRAP["rows"], 10, seed=4)

    def keras_loss():
        value = keras_result(ex, results, ["keras_loss_on_sigmoid"], "loss")["value"]
        z2_t = level4_numpy.forward(x_train[:5], start)[1]
        softmax_ce = float(F.cross_entropy(torch.tensor(z2_t), torch.tensor(y_train[:5].argmax(1))))
        a5 = level4_numpy.forward(x_train[:5], start)[2]
        normalised = float(np.mean(-(y_train[:5] * np.log(a5 / a5.sum(1, keepdims=True))).sum(1)))
        require(abs(value - softmax_ce) <= 1e-12 * softmax_ce,
                f"your Keras loss is {value:.10f}; the softmax cross-entropy of z2 is "
                f"{softmax_ce:.10f} (and of a normalised to sum 1, {normalised:.10f})")
        return (f"Keras's CategoricalCrossentropy on the sigmoid output: {value:.10f} = softmax "
                f"cross-entropy of z2; a normalised would give {normalised:.10f}")
    ex.check("keras_loss_on_sigmoid: what Keras computes (first 5 rows)", keras_loss)

    def trap():
        keras_result(ex, results, ["train_keras_trap"], "trap")
        keras_weights = read_weights(folder, "trap.npz")
        softmax_weights, bce_weights = copy(start), copy(start)
        for epoch in range(TRAP["epochs"]):
            for i in range(0, TRAP["rows"], TRAP["batch_size"]):
                xb, yb = x_train[i:i + TRAP["batch_size"]], y_train[i:i + TRAP["batch_size"]]
                softmax_weights = exact_step(softmax_weights, xb, yb, TRAP["lr"], "softmax")
                bce_weights = exact_step(bce_weights, xb, yb, TRAP["lr"], "bce")
        to_softmax = helpers.max_abs_difference(keras_weights, softmax_weights)
        to_bce = helpers.max_abs_difference(keras_weights, bce_weights)
        require(helpers.max_abs_difference(keras_weights, start) > 1e-2,
                "Keras's weights hardly moved: did it train?")
        require(to_softmax <= LOCKSTEP,
                f"Keras's weights are {to_softmax:.2e} from softmax cross-entropy training (and "
                f"{to_bce:.2e} from BCE's); the lockstep wants <= {LOCKSTEP:g}")
        return (f"largest |dW| from softmax cross-entropy training {to_softmax:.2e}, from binary "
                f"cross-entropy training {to_bce:.2e}")
    ex.check(f"train_keras_trap: fit() with CategoricalCrossentropy on sigmoid trains a softmax "
             f"(lockstep, float64, {TRAP['rows']} rows, batch {TRAP['batch_size']}, "
             f"H {TRAP['hidden']})", trap)


def trap_inputs(folder):
    start = start_params(TRAP["hidden"], TRAP["seed"])
    (x_train, y_train), _ = small_data(TRAP["rows"], 10, seed=4)
    return dict(start=start, x_train=x_train, y_train=y_train, config=TRAP)


# ---------------------------------------------------------------------------------------------
# Exercise 4: sum instead of mean
# ---------------------------------------------------------------------------------------------
def exercise_4(ex):
    import torch
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    data = small_data(600, 10, seed=6)
    (x_train, y_train), _ = data
    start = start_params(24, 13)

    def loss():
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        z2 = torch_network(x, t)[2]
        yours = ex.call("loss_sum", z2, torch.tensor(y))
        require(isinstance(yours, torch.Tensor) and yours.requires_grad,
                "`loss_sum` must return a torch tensor that autograd can differentiate")
        exact = float(stated_loss("sum", z2.detach(), torch.tensor(y)))
        value = float(yours.detach())
        require(abs(value - exact) <= LOSS * exact,
                f"`loss_sum` gave {value:.10g}; the mean over the batch of the sum over the 10 "
                f"outputs is {exact:.10g}")
        return f"{value:.6f} on the check batch"
    ex.check("loss_sum: summed over the 10 outputs, averaged over the batch", loss)

    def step():
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        out = ex.call("train_step_sum", t, torch.tensor(x), torch.tensor(y), 0.05)
        require(isinstance(out, tuple) and len(out) == 2,
                "`train_step_sum` must return (loss, accuracy)")
        expected = exact_step(params, x, y, 0.05, "sum")
        for k in params:
            error = relative_error(array(t[k], k) - params[k], expected[k] - params[k])
            require(error <= STEP, f"`train_step_sum` changed {k} by another amount than "
                                   f"-lr dL_sum/d{k}: relative error {error:.2g}")
        return "one step is theta - lr dL_sum/dtheta (autograd of the stated loss)"
    ex.check("train_step_sum (level 3)", step)

    def level3(lr):
        t = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        for epoch in range(2):
            for i in range(0, len(x_t), 50):
                ex.call("train_step_sum", t, x_t[i:i + 50], y_t[i:i + 50], lr)
        return helpers.as_numpy(t)

    def level4(lr):
        params = copy(start)
        for epoch in range(2):
            level4_numpy.train_epoch(params, x_train, y_train, 50, lr, None, shuffle=False)
        return params

    def lockstep():
        found = []
        for lr in (0.7, 0.35):
            mean = level4(lr)
            lr_sum = number(ex.call("same_steps_lr", lr), f"same_steps_lr({lr})")
            diff = helpers.max_abs_difference(level3(lr_sum), mean)
            require(diff <= LOCKSTEP,
                    f"level 3 with the summed loss at lr {lr_sum:g} ends {diff:.2e} from level 4 "
                    f"at lr {lr:g}; the lockstep wants <= {LOCKSTEP:g}")
            found.append(f"lr {lr:g} -> {lr_sum:g}: {diff:.1e}")
        unchanged = helpers.max_abs_difference(level3(0.7), level4(0.7))
        require(unchanged > 1e-2, "with lr 0.7 unchanged the summed loss gives the same weights?")
        return "largest |dW| " + "; ".join(found) + f"; with lr 0.7 unchanged: {unchanged:.2f}"
    ex.check("same_steps_lr: level 3 with the summed loss in lockstep with level 4 (float64, "
             "600 rows, batch 50, H 24, 2 epochs, lr 0.7 and 0.35)", lockstep,
             needs=["same_steps_lr", "train_step_sum"])


# ---------------------------------------------------------------------------------------------
# Exercise 5: momentum
# ---------------------------------------------------------------------------------------------
MOMENTUM = dict(hidden=20, seed=17, rows=600, batch_size=40, lr=0.1, mu=0.9, epochs=2)


def exact_momentum(start, x_train, y_train, lr, mu, epochs, batch_size):
    """SGD with momentum as torch.optim.SGD defines it: v <- mu v + g; theta <- theta - lr v."""
    params = copy(start)
    velocity = {k: np.zeros_like(v) for k, v in start.items()}
    for epoch in range(epochs):
        for i in range(0, len(x_train), batch_size):
            xb, yb = x_train[i:i + batch_size], y_train[i:i + batch_size]
            grads = exact_gradients(xb, yb, params)
            for k in params:
                velocity[k] = mu * velocity[k] + grads[k]
                params[k] = params[k] - lr * velocity[k]
    return params


def exercise_5(ex):
    import torch
    import level2_pytorch
    from machinery import params_files
    keras_job = keras_start(ex, {"momentum": ["compile_with_momentum"]}, momentum_inputs)
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    (x_train, y_train), _ = small_data(MOMENTUM["rows"], 10, seed=8)
    start = start_params(MOMENTUM["hidden"], MOMENTUM["seed"])
    lr, epochs, batch = MOMENTUM["lr"], MOMENTUM["epochs"], MOMENTUM["batch_size"]

    def two_steps(name, level3):
        """Two steps of mu 0.8, lr 0.3 from velocity 0, against momentum's definition."""
        if level3:
            mine = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
            velocity = {k: torch.zeros(v.shape, dtype=torch.float64) for k, v in params.items()}
            xs, ys = torch.tensor(x), torch.tensor(y)
        else:
            mine, velocity = copy(params), {k: np.zeros_like(v) for k, v in params.items()}
            xs, ys = x, y
        expected, v = copy(params), {k: np.zeros_like(p) for k, p in params.items()}
        for _ in range(2):
            out = ex.call(name, mine, velocity, xs, ys, 0.3, 0.8)
            require(isinstance(out, tuple) and len(out) == 2,
                    f"`{name}` must return (loss, accuracy)")
            before = copy(expected)
            grads = exact_gradients(x, y, expected)
            for k in params:
                v[k] = 0.8 * v[k] + grads[k]
                expected[k] = expected[k] - 0.3 * v[k]
            for k in params:
                error = relative_error(array(mine[k], k) - before[k], expected[k] - before[k])
                require(error <= STEP, f"after `{name}`, {k} is not theta - lr v with "
                                       f"v <- mu v + dL/dtheta: relative error {error:.2g}")
                error = relative_error(array(velocity[k], f"velocity[{k!r}]"), v[k])
                require(error <= STEP, f"after `{name}`, velocity[{k!r}] is not mu v + "
                                       f"dL/d{k}: relative error {error:.2g}")
        return "two steps (mu 0.8, lr 0.3) as v <- mu v + dL/dtheta, theta <- theta - lr v"

    ex.check("train_step_momentum (level 4)", lambda: two_steps("train_step_momentum", False))
    ex.check("train_step_momentum_torch (level 3)",
             lambda: two_steps("train_step_momentum_torch", True))

    def level2():
        model = level2_pytorch.build_model(MOMENTUM["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = ex.call("make_optimizer", model, 0.3, 0.8)
        require(isinstance(optimizer, torch.optim.Optimizer),
                "`make_optimizer` must return a torch.optim optimizer")
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        level2_pytorch.train_epoch(model, optimizer, x_t, y_t, batch, None, shuffle=False)
        exact = exact_momentum(start, x_train, y_train, 0.3, 0.8, 1, batch)
        diff = helpers.max_abs_difference(params_files.from_torch_model(model), exact)
        require(diff <= LOCKSTEP, f"one epoch of level 2 with your optimizer ends {diff:.2e} "
                                  f"from momentum's definition; the lockstep wants <= {LOCKSTEP:g}")
        return f"one epoch (mu 0.8, lr 0.3): largest |dW| from the definition {diff:.1e}"
    ex.check("make_optimizer (level 2), through level2_pytorch.train_epoch", level2)

    def levels(mu):
        """Levels 4 and 3's final weights, from one start, batches in dataset order."""
        out = {}
        p, v = copy(start), {k: np.zeros_like(w) for k, w in start.items()}
        for epoch in range(epochs):
            for i in range(0, len(x_train), batch):
                ex.call("train_step_momentum", p, v, x_train[i:i + batch],
                        y_train[i:i + batch], lr, mu)
        out["level 4"] = p
        t = {k: torch.tensor(w, requires_grad=True) for k, w in start.items()}
        vt = {k: torch.zeros_like(w) for k, w in t.items()}
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        for epoch in range(epochs):
            for i in range(0, len(x_t), batch):
                ex.call("train_step_momentum_torch", t, vt, x_t[i:i + batch], y_t[i:i + batch],
                        lr, mu)
        out["level 3"] = helpers.as_numpy(t)
        model = level2_pytorch.build_model(MOMENTUM["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = ex.call("make_optimizer", model, lr, mu)
        for epoch in range(epochs):
            level2_pytorch.train_epoch(model, optimizer, x_t, y_t, batch, None, shuffle=False)
        out["level 2"] = params_files.from_torch_model(model)
        return out

    def three_levels():
        mu = number(ex.call("keras_momentum", MOMENTUM["mu"]), "keras_momentum(0.9)")
        found = levels(mu)
        exact = exact_momentum(start, x_train, y_train, lr, mu, epochs, batch)
        plain = exact_momentum(start, x_train, y_train, lr, 0.0, epochs, batch)
        require(helpers.max_abs_difference(exact, plain) > 1e-2, "momentum made no difference?")
        diffs = []
        for name in ("level 4", "level 3", "level 2"):
            diff = helpers.max_abs_difference(found[name], exact)
            require(diff <= LOCKSTEP, f"{name} ends {diff:.2e} from momentum's definition "
                                      f"(v <- mu v + g, theta <- theta - lr v, mu = {mu!r})")
            diffs.append(f"{name} {diff:.1e}")
        return f"mu = keras_momentum(0.9) = {mu!r}; largest |dW| from the definition: " + \
            ", ".join(diffs)
    ex.check(f"keras_momentum, and levels 4, 3, 2 in lockstep at it (float64, "
             f"{MOMENTUM['rows']} rows, batch {batch}, H {MOMENTUM['hidden']}, lr {lr:g}, "
             f"{epochs} epochs)", three_levels,
             needs=["keras_momentum", "train_step_momentum", "train_step_momentum_torch",
                    "make_optimizer"])

    results, folder = keras_finish(ex, keras_job)

    def keras_level():
        keras_result(ex, results, ["compile_with_momentum"], "momentum")
        weights = read_weights(folder, "momentum.npz")
        mu = number(ex.call("keras_momentum", MOMENTUM["mu"]), "keras_momentum(0.9)")
        exact = exact_momentum(start, x_train, y_train, lr, mu, epochs, batch)
        diff = helpers.max_abs_difference(weights, exact)
        hint = ""
        if mu == MOMENTUM["mu"]:
            hint = (". A gap this size that no way of writing the update closes: look at what "
                    "Keras does with mu before it multiplies (keras/src/optimizers/sgd.py), then "
                    "at keras_momentum()")
        require(diff <= LOCKSTEP, f"Keras, given mu = 0.9, ends {diff:.2e} from momentum's "
                                  f"definition with mu = keras_momentum(0.9) = {mu!r}; the "
                                  f"lockstep wants <= {LOCKSTEP:g}{hint}")
        return f"largest |dW| from the definition with mu = {mu!r}: {diff:.2e}"
    ex.check("level 1 (Keras, compile_with_momentum) in lockstep at keras_momentum(0.9)",
             keras_level, needs=["compile_with_momentum", "keras_momentum"])


def momentum_inputs(folder):
    start = start_params(MOMENTUM["hidden"], MOMENTUM["seed"])
    (x_train, y_train), _ = small_data(MOMENTUM["rows"], 10, seed=8)
    return dict(start=start, x_train=x_train, y_train=y_train, config=MOMENTUM)


# ---------------------------------------------------------------------------------------------
# Exercise 6: a second hidden layer
# ---------------------------------------------------------------------------------------------
def layered_batch(sizes, seed, rows=5):
    """A float64 check batch for a network of layer sizes [784, H1, ..., 10]: Glorot weights,
    nonzero biases, the top weights times 4."""
    rng = np.random.default_rng(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = level4_numpy.glorot_normal(fan_in, fan_out, rng, np.float64)
        params[f"b{l}"] = rng.normal(0, 0.1, fan_out)
    params[f"W{len(sizes) - 1}"] *= 4
    x = rng.random((rows, sizes[0]))
    y = np.eye(common.N_OUTPUTS)[rng.integers(0, common.N_OUTPUTS, rows)]
    return params, x, y


def layered_exact(x, y, params):
    """hs, z, a and the parameter gradients of a tanh network of any depth, by autograd."""
    import torch
    n = len(params) // 2
    kept = {}

    def loss_of(t):
        h = torch.tensor(x)
        for l in range(1, n):
            h = torch.tanh(h @ t[f"W{l}"] + t[f"b{l}"])
            kept[l] = h
        z = h @ t[f"W{n}"] + t[f"b{n}"]
        kept["z"] = z
        return stated_loss("bce", z, torch.tensor(y))
    grads = helpers.autograd_gradients(loss_of, params)
    hs = [x] + [kept[l].detach().numpy() for l in range(1, n)]
    z = kept["z"].detach().numpy()
    return hs, z, 1 / (1 + np.exp(-z)), grads


def order_of(params):
    n = len(params) // 2
    return [name for l in range(n, 0, -1) for name in (f"W{l}", f"b{l}")]


def exercise_6(ex):
    def init():
        params = same_params(ex.call("init_params", [784, 40, 30, 10],
                                     np.random.default_rng(ex.seed), np.float32),
                             ["W1", "b1", "W2", "b2", "W3", "b3"], "what `init_params` returned")
        for l, (fan_in, fan_out) in enumerate([(784, 40), (40, 30), (30, 10)], start=1):
            w = array(params[f"W{l}"], f"W{l}", (fan_in, fan_out))
            array(params[f"b{l}"], f"b{l}", (fan_out,))
            require(np.asarray(params[f"W{l}"]).dtype == np.float32, f"W{l} is not float32")
            require(not np.any(params[f"b{l}"]), f"b{l} does not start at 0")
            require(np.abs(w).max() <= 2 * common.glorot_sigma(fan_in, fan_out) * (1 + 1e-6),
                    f"W{l} is not truncated at 2 sigma")
        std = float(np.std(params["W1"]))
        require(abs(std / np.sqrt(2 / (784 + 40)) - 1) <= 0.03,
                f"W1's standard deviation is {std:.4g}, not Glorot's sqrt(2 / (784 + 40))")
        return "784 -> 40 -> 30 -> 10: shapes, float32, Glorot normal weights, zero biases"
    ex.check("init_params", init)

    sizes = [784, 8, 6, 10]
    params, x, y = layered_batch(sizes, ex.seed)
    hs, z, a, grads = layered_exact(x, y, params)

    def forward():
        out = ex.call("forward", x, copy(params))
        require(isinstance(out, tuple) and len(out) == 3, "`forward` must return (hs, z, a)")
        require(len(out[0]) == 3, f"hs has {len(out[0])} entries, not 3 (x, h1, h2)")
        for what, yours, exact in [(f"hs[{i}]", out[0][i], hs[i]) for i in range(3)] + [
                ("z", out[1], z), ("a", out[2], a)]:
            error = relative_error(array(yours, what, exact.shape), exact)
            require(error <= 1e-12, f"{what} is off: relative error {error:.2g}")
        return "hs = [x, h1, h2], z and a as PyTorch computes them"
    ex.check("forward, two hidden layers", forward)

    def gradient():
        yours = ex.call("gradients", y, copy(params), hs, a)
        first_wrong(ex, "gradients", yours, grads, order_of(params))
        return f"every gradient within {GRADIENT:g} of autograd's"
    ex.check(f"gradients against autograd (784 -> 8 -> 6 -> 10, seed {ex.seed})", gradient)

    def deeper():
        deep, xd, yd = layered_batch([784, 6, 5, 4, 10], ex.seed + 1)
        hs_d, z_d, a_d, grads_d = layered_exact(xd, yd, deep)
        yours = ex.call("forward", xd, copy(deep))
        require(len(yours[0]) == 4, "with three hidden layers `forward` did not give 4 hs")
        first_wrong(ex, "gradients", ex.call("gradients", yd, copy(deep), hs_d, a_d), grads_d,
                    order_of(deep))
        one, x1, y1 = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
        h1, z1, a1 = level4_numpy.forward(x1, one)
        expected = level4_numpy.gradients(x1, y1, one, h1, a1)
        mine = ex.call("gradients", y1, copy(one), [x1, h1], a1)
        for k, v in expected.items():
            error = relative_error(array(mine.get(k), k, v.shape), v)
            require(error <= 1e-12, f"with one hidden layer, d{k} is not level 4's: relative "
                                    f"error {error:.2g}")
        return "the same loop is right for three hidden layers, and is level 4's for one"
    ex.check("the loop takes any number of layers (784 -> 6 -> 5 -> 4 -> 10, and one layer)",
             deeper, needs=["forward", "gradients"])

    def learns():
        data = small_data(600, 300, seed=9)
        trained = train(ex.fn("train_step"), ex.call("init_params", [784, 32, 16, 10],
                                                     np.random.default_rng(0), np.float64),
                        data, 0.5, 3)
        acc = accuracy_on_test(ex.call("forward", data[1][0], trained)[2], data)
        require(acc > 0.8, f"after 3 epochs the test accuracy is {100 * acc:.1f}%, not above 80%")
        return f"784 -> 32 -> 16 -> 10, lr 0.5, 3 epochs: test accuracy {100 * acc:.1f}%"
    ex.check("train_step learns (the checker's data)", learns,
             needs=["train_step", "init_params", "forward"])


# ---------------------------------------------------------------------------------------------
# Exercise 7: broken on purpose
# ---------------------------------------------------------------------------------------------
def exercise_7(ex):
    def errors_of(gradients, *hidden):
        errors = ex.call("check", gradients, *hidden)
        require(isinstance(errors, dict) and set(common.PARAM_NAMES) <= set(errors),
                "`check` must return {parameter: relative error} for W1, b1, W2, b2")
        return {k: number(errors[k], f"check(...)[{k!r}]") for k in common.PARAM_NAMES}

    def right():
        for hidden in ((), (12,)):
            errors = errors_of(level4_numpy.gradients, *hidden)
            require(max(errors.values()) <= GRADIENT,
                    f"check(level4_numpy.gradients{', hidden=12' if hidden else ''}) fails a "
                    f"right gradient: {helpers.format_errors(errors)}")

        def doubled(x, y, params, h, a):
            grads = level4_numpy.gradients(x, y, params, h, a)
            return {**grads, "W1": 2 * grads["W1"]}
        errors = errors_of(doubled)
        require(errors["W1"] > 1e-2, "`check` passes a dL/dW1 twice too large: it must compare "
                                     "with finite differences")
        return "passes level 4's gradients (H 10 and H 12), fails a doubled dL/dW1"
    ex.check("check() is a finite-difference check", right)

    for name in ("gradients_without_tanh_derivative", "gradients_wrong_transpose"):
        def caught(name=name):
            errors = errors_of(ex.fn(name))
            require(errors["W1"] > 1e-2 and errors["b1"] > 1e-2,
                    f"check({name}) does not fail W1 and b1: {helpers.format_errors(errors)}")
            require(errors["W2"] <= GRADIENT and errors["b2"] <= GRADIENT,
                    f"check({name}) fails W2 or b2, above the mistake: "
                    f"{helpers.format_errors(errors)}")
            return f"{helpers.format_errors(errors)}"
        ex.check(f"check({name}) fails W1 and b1, passes W2 and b2", caught,
                 needs=[name, "check"])

    params, x, y = helpers.check_batch(hidden=10, rows=5, seed=ex.seed)
    h, z2, a = level4_numpy.forward(x, params)
    exact = exact_gradients(x, y, params)

    def where_tanh():
        rows, first = ex.gradients("gradients_without_tanh_derivative", ex.call(
            "gradients_without_tanh_derivative", x, y, copy(params), h, a), exact)
        require(first is not None, "it is right: it must make the mistake the exercise asks "
                                   "for, dL/dz1 = dL/dh")
        require(first.name == "z1", f"the first wrong quantity is d{first.name}, not dz1: "
                                    f"{helpers.first_wrong_in_words(first, rows)}")
        yours = ex.call("gradients_without_tanh_derivative", x, y, copy(params), h, a)
        error = relative_error(yours["z1"], exact["h"])
        require(error <= GRADIENT, f"dL/dz1 is not dL/dh, the mistake asked for: relative "
                                   f"error {error:.2g}")
        return "first wrong at dz1, which is dL/dh: the mistake asked for"
    ex.check(f"gradients_without_tanh_derivative goes wrong at dz1 (check batch H 10, seed "
             f"{ex.seed})", where_tanh)

    def where_transpose():
        rows, first = ex.gradients("gradients_wrong_transpose", ex.call(
            "gradients_wrong_transpose", x, y, copy(params), h, a), exact)
        require(first is not None, "it is right: it must make the mistake the exercise asks "
                                   "for, dL/dh = dL/dz2 W2")
        require(first.name == "h", f"the first wrong quantity is d{first.name}, not dh: "
                                   f"{helpers.first_wrong_in_words(first, rows)}")
        yours = ex.call("gradients_wrong_transpose", x, y, copy(params), h, a)
        error = relative_error(yours["h"], exact["z2"] @ params["W2"])
        require(error <= GRADIENT, f"dL/dh is not dL/dz2 W2, the mistake asked for: relative "
                                   f"error {error:.2g}")
        try:
            ex.call("check", ex.fn("gradients_wrong_transpose"), 7)
        except ValueError:
            return "first wrong at dh, which is dL/dz2 W2; with H = 7 a ValueError (shapes)"
        raise Failure("check(gradients_wrong_transpose, hidden=7) did not raise ValueError: "
                      "with H != 10 the product dL/dz2 W2 must not fit")
    ex.check("gradients_wrong_transpose goes wrong at dh, and fails to run at H = 7",
             where_transpose, needs=["gradients_wrong_transpose", "check"])

    def trains():
        step = ex.call("train_step_with", level4_numpy.gradients)
        require(callable(step), "`train_step_with` must return a step function")
        p = copy(params)
        check_step("train_step_with(level4_numpy.gradients)", step, p, x, y, 1.0,
                   exact_step(params, x, y, 1.0), exact_loss(x, y, params))
        data = small_data(1200, 300, seed=10)
        accs = {}
        for name in ("level4_numpy.gradients", "gradients_without_tanh_derivative",
                     "gradients_wrong_transpose"):
            gradients = level4_numpy.gradients if "." in name else ex.fn(name)
            trained = train(ex.call("train_step_with", gradients), start_params(10, 0), data,
                            1.0, 3)
            accs[name] = accuracy_on_test(level4_numpy.forward(data[1][0], trained)[2], data)
            require(accs[name] > 0.3, f"trained with {name}, the test accuracy is "
                                      f"{100 * accs[name]:.1f}%, not above 30%")
        return ("and yet they learn: test accuracy without (1 - h^2) "
                f"{100 * accs['gradients_without_tanh_derivative']:.1f}%, wrong transpose "
                f"{100 * accs['gradients_wrong_transpose']:.1f}%, level 4's own "
                f"{100 * accs['level4_numpy.gradients']:.1f}% (guessing: 10%)")
    ex.check("train_step_with: level 4's step with another gradients(); the broken ones train "
             "(the checker's data, H 10, lr 1, 3 epochs)", trains,
             needs=["train_step_with", "gradients_without_tanh_derivative",
                    "gradients_wrong_transpose"])


# ---------------------------------------------------------------------------------------------
# Exercise 8: level 1's training step
# ---------------------------------------------------------------------------------------------
STEP8 = dict(hidden=24, seed=19, rows=600, batch_size=50, lr=0.7, epochs=2)


def exercise_8(ex):
    functions = ["build_model", "StepByStep.train_step"]
    keras_job = keras_start(ex, {"own": functions, "mine": functions}, step8_inputs)
    results, folder = keras_finish(ex, keras_job)
    data = small_data(STEP8["rows"], 200, seed=12)

    def model():
        out = keras_result(ex, results, functions, "mine")
        return out["words"]
    ex.check("build_model: level 1's layers in a StepByStep that has its own train_step", model)

    def history():
        mine = keras_result(ex, results, functions, "mine")["history"]
        own = keras_result(ex, results, functions, "own")["history"]
        for key in ("loss", "acc", "val_loss", "val_acc"):
            require(key in mine, f"fit() with your step reported no {key!r}: update the metrics "
                                 f"and return self.get_metrics_result()")
            diff = float(np.abs(np.subtract(mine[key], own[key])).max())
            require(diff <= 1e-10, f"fit() reports {key} {mine[key]} with your step, "
                                   f"{own[key]} with Keras's own")
        return (f"train loss {', '.join(f'{v:.4f}' for v in mine['loss'])}, train acc "
                f"{', '.join(f'{100 * v:.2f}%' for v in mine['acc'])}, as with Keras's own step")
    ex.check("fit() reports the same loss and accuracy as with Keras's own step", history)

    def weights():
        keras_result(ex, results, functions, "mine")
        mine, own = read_weights(folder, "mine.npz"), read_weights(folder, "own.npz")
        start = start_params(STEP8["hidden"], STEP8["seed"])
        numpy_weights = copy(start)
        for epoch in range(STEP8["epochs"]):
            level4_numpy.train_epoch(numpy_weights, data[0][0], data[0][1], STEP8["batch_size"],
                                     STEP8["lr"], None, shuffle=False)
        to_own = helpers.max_abs_difference(mine, own)
        to_numpy = helpers.max_abs_difference(mine, numpy_weights)
        require(helpers.max_abs_difference(mine, start) > 1e-2, "the weights hardly moved")
        require(to_own <= LOCKSTEP and to_numpy <= LOCKSTEP,
                f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}; "
                f"the lockstep wants <= {LOCKSTEP:g}")
        return f"largest |dW| from fit()'s own step {to_own:.2e}, from level 4 {to_numpy:.2e}"
    ex.check(f"your step's weights in lockstep with fit()'s own and level 4's (float64, "
             f"{STEP8['rows']} rows, batch {STEP8['batch_size']}, H {STEP8['hidden']}, lr "
             f"{STEP8['lr']:g})", weights)


def step8_inputs(folder):
    start = start_params(STEP8["hidden"], STEP8["seed"])
    (x_train, y_train), (x_test, y_test) = small_data(STEP8["rows"], 200, seed=12)
    return dict(start=start, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                config=STEP8)


# ---------------------------------------------------------------------------------------------
# Keras, in a process of its own
# ---------------------------------------------------------------------------------------------
def keras_start(ex, tasks, inputs):
    """Start the Keras process for those of `tasks` ({task: [the functions it calls]}) whose
    functions are all written; None if there are none. Its inputs (a start, data) go into a
    temporary folder, and its results come back there. The checks in this process run meanwhile."""
    wanted = sorted(task for task, functions in tasks.items()
                    if not any(f in ex.unwritten for f in functions))
    if not wanted:
        return None
    folder = tempfile.TemporaryDirectory(prefix="exercise-check-")
    ex.cleanup.append(folder)
    data = inputs(folder.name)
    config = data.pop("config")
    np.savez(os.path.join(folder.name, "input.npz"),
             **{f"start_{k}": v for k, v in data.pop("start").items()}, **data)
    with open(os.path.join(folder.name, "config.json"), "w") as f:
        json.dump({"tasks": wanted, **config}, f)
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--keras-child", str(ex.number), ex.path,
         folder.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    ex.cleanup.append(process)
    return process, folder.name


def keras_finish(ex, job):
    """Wait for the Keras process: (results by task, its folder); a failed process is a result
    {"*": {"error": ...}} that every Keras check reports."""
    if job is None:
        return {}, None
    process, folder = job
    try:
        out, err = process.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        err = "it ran for more than 15 minutes and was stopped"
    path = os.path.join(folder, "results.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f), folder
    last = err.strip().splitlines()[-1] if err.strip() else f"exit code {process.returncode}"
    return {"*": {"error": f"the Keras process failed: {one_line(last)}"}}, folder


def keras_result(ex, results, functions, task):
    """One task's result from the Keras process, or a Failure: not written, or its error."""
    unwritten = [f for f in functions if f in ex.unwritten]
    if unwritten:
        raise Failure("; ".join(f"`{f}` not written yet" for f in unwritten))
    for key in ("*", "load", task):
        if key in results and "error" in results[key]:
            raise Failure(results[key]["error"])
    if task not in results:
        raise Failure("the Keras process gave no result")
    return results[task]


def read_weights(folder, name):
    with np.load(os.path.join(folder, name)) as f:
        return {k: f[k] for k in common.PARAM_NAMES}


def keras_child(number, path, folder):
    """The Keras process: load the exercise file, run its level 1 code, write results.json."""
    advice = ("TensorFlow and PyTorch must not share a process: import torch inside the level 2 "
              "and 3 functions only, as the starter does")
    import machinery.quiet_tensorflow  # noqa: F401  (Keras and TensorFlow, without their log)
    import keras
    sys.meta_path.insert(0, NoFramework({"torch", "torchvision"}, advice))
    keras.config.set_floatx("float64")
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    with np.load(os.path.join(folder, "input.npz")) as f:
        data = {k: f[k] for k in f.files}
    start = {k: data[f"start_{k}"] for k in common.PARAM_NAMES}
    results = {}
    try:
        module = load_module(path, f"_exercise_{number}_in_keras")
    except (Exception, SystemExit) as e:
        results["load"] = {"error": f"{os.path.basename(path)} does not load where Keras runs: "
                                    f"{describe_error(e, path)}"}
        module = None
    for task in config["tasks"] if module else []:
        try:
            keras.utils.set_random_seed(0)
            results[task] = KERAS_TASKS[task](module, start, data, config, folder)
        except (Exception, SystemExit) as e:
            results[task] = {"error": describe_error(e, path)}
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f)
    return 0


def _save(folder, name, weights):
    np.savez(os.path.join(folder, name), **{k: np.asarray(v) for k, v in weights.items()})


def task_loss(module, start, data, config, folder):
    value = module.keras_loss_on_sigmoid(start, data["x_train"][:5], data["y_train"][:5])
    return {"value": float(np.asarray(value))}


def task_trap(module, start, data, config, folder):
    weights = module.train_keras_trap(start, data["x_train"], data["y_train"], config["epochs"],
                                      config["batch_size"], config["lr"])
    _save(folder, "trap.npz", weights)
    return {}


def task_momentum(module, start, data, config, folder):
    import level1_keras
    model = level1_keras.build_model(config["hidden"])
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    module.compile_with_momentum(model, config["lr"], config["mu"])
    if model.optimizer is None:
        raise ValueError("compile_with_momentum() did not compile the model")
    model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
              epochs=config["epochs"], shuffle=False, verbose=0)
    _save(folder, "momentum.npz", dict(zip(common.PARAM_NAMES, model.get_weights())))
    return {}


def _fit(model, start, data, config):
    import level1_keras
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    level1_keras.compile_model(model, config["lr"])
    history = model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                        epochs=config["epochs"], shuffle=False, verbose=0,
                        validation_data=(data["x_test"], data["y_test"]))
    weights = dict(zip(common.PARAM_NAMES, model.get_weights()))
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, weights


def task_own(module, start, data, config, folder):
    import level1_keras
    history, weights = _fit(level1_keras.build_model(config["hidden"]), start, data, config)
    _save(folder, "own.npz", weights)
    return {"history": history}


def task_mine(module, start, data, config, folder):
    import keras
    model = module.build_model(config["hidden"])
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_model() returned {type(model).__name__}, not a Keras model")
    if getattr(type(model), "train_step") is getattr(keras.Sequential, "train_step"):
        raise ValueError(f"build_model() returned a {type(model).__name__}, whose train_step is "
                         f"Keras's own: return a StepByStep")
    shapes = [tuple(w.shape) for w in model.get_weights()]
    expected = [common.param_shapes(config["hidden"])[k] for k in common.PARAM_NAMES]
    if shapes != expected:
        raise ValueError(f"build_model()'s weights have shapes {shapes}, not level 1's {expected}")
    history, weights = _fit(model, start, data, config)
    _save(folder, "mine.npz", weights)
    return {"history": history, "words": f"a {type(model).__name__} with its own train_step and "
                                         f"level 1's weight shapes"}


KERAS_TASKS = {"loss": task_loss, "trap": task_trap, "momentum": task_momentum,
               "own": task_own, "mine": task_mine}


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------
EXERCISES = {1: exercise_1, 2: exercise_2, 3: exercise_3, 4: exercise_4, 5: exercise_5,
             6: exercise_6, 7: exercise_7, 8: exercise_8}


def run_exercise(number, folder, seed):
    """Check one exercise; (passed, failed) counts."""
    ex = Exercise(number, folder, seed)
    print(f"Exercise {number}: {TITLES[number]} ({shown(ex.path)})")
    loaded = ex.load(import_it=number != 8)   # exercise 8 imports Keras: only its own process
    if loaded:
        try:
            with one_thread(torch=number != 8):
                EXERCISES[number](ex)
        finally:
            for thing in reversed(ex.cleanup):
                if isinstance(thing, subprocess.Popen):
                    if thing.poll() is None:   # the checks stopped early (Ctrl-C): end it
                        thing.kill()
                        thing.wait()
                else:
                    thing.cleanup()
            sys.modules.pop(f"_exercise_{number}_under_check", None)
    total = ex.passed + ex.failed
    verdict = ("all passed" if not ex.failed else f"{ex.passed} of {total} passed" if loaded
               else "not checked, because the file did not load")
    print(f"Exercise {number}: {verdict}.\n")
    return ex.passed, ex.failed


@contextlib.contextmanager
def one_thread(torch):
    """One thread for NumPy's BLAS and PyTorch while the checks run, then as before: the checks'
    arrays are so small that a second thread costs more than it brings, and on a busy machine
    far more."""
    from threadpoolctl import threadpool_limits
    if torch:
        import torch
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        if torch:
            torch.set_num_threads(threads)


def make_parser():
    p = argparse.ArgumentParser(
        prog="python -m exercises.check",
        description="Check the exercises of EXERCISES.md: each check passed or FAILED, and why.")
    p.add_argument("exercise", choices=[*map(str, EXERCISES), "all"],
                   help="the exercise to check, 1 to 8, or all")
    p.add_argument("--solutions", metavar="DIR", default=STARTERS,
                   help="the folder holding exercise_N.py (default: exercises/starters)")
    p.add_argument("--seed", type=int, default=None,
                   help="the seed of the check batches (default: a new one each run, printed)")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--keras-child"]:
        return keras_child(int(argv[1]), argv[2], argv[3])
    p = make_parser()
    args = p.parse_args(argv)
    if not os.path.isdir(args.solutions):
        p.error(f"--solutions {args.solutions}: no such folder")
    if args.seed is None:
        args.seed = int(np.random.default_rng().integers(1000, 100000))
    numbers = list(EXERCISES) if args.exercise == "all" else [int(args.exercise)]
    print(f"Checking {shown(os.path.abspath(args.solutions))}, check batches with --seed "
          f"{args.seed}\n")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # NaN: said in words
        done = {n: run_exercise(n, args.solutions, args.seed) for n in numbers}
    if len(numbers) > 1:
        good = [n for n, (passed, failed) in done.items() if not failed]
        bad = [str(n) for n in numbers if n not in good]
        print(f"{len(good)} of {len(numbers)} exercises pass" +
              (f"; not yet: {', '.join(bad)}." if bad else "."))
    return 0 if all(not failed for passed, failed in done.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("python -m exercises.check: interrupted.", file=sys.stderr)
        sys.exit(130)
