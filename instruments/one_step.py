"""One SGD step on one batch, opened up: every quantity of the derivation, at every level.

The README's "The mathematics" derives one training step: the forward pass z1, h, z2, a, the
loss L, the backward pass dL/dz2 ... dL/db1, and the update theta <- theta - lr dL/dtheta. This
script takes that one step at every level, from the same start on the same batch, and prints
each quantity as each level computed it, then the largest difference between the levels:

    python instruments/one_step.py --data-dir PATH/TO/MNIST

The start is one seeded Glorot-normal draw (level 4's init_params, as compare.py --lockstep
uses); the batch is the first B training examples, loaded by each level's own load_data().

Every number comes from the level's own code - its functions, its model, its training step -
never from a re-implementation here. What this script adds is only a way to look inside:

* Level 4 (NumPy): forward() returns h, z2, a and gradients() the parameter gradients; z1 and
  dL/dz2, dL/dh, dL/dz1 are local variables of those functions. locals_of() reads them from the
  function's frame as it returns, through Python's profiling hook sys.setprofile, so that level 4
  runs unchanged. The update is its train_step(), on a copy of the start.
* Level 3 (autograd): z1 and h the same way. autograd keeps .grad only for leaf tensors (the
  parameters); .retain_grad() asks z1, h and z2 to keep theirs. The update is its train_step().
* Level 2 (PyTorch): forward hooks on model[0], model[1], model[2] catch z1, h and z2 as the model
  computes them. nn.Linear stores W as (out, in): model[0].weight.grad is dL/dW1 transposed. The
  update is torch.optim.SGD and its train_step().
* Level 1 (Keras): tf.GradientTape around the model's own call and its compiled loss - what fit()
  runs for every batch - gives a, L and the parameter gradients. z1 and z2 exist only inside the
  Dense layers, h only inside the model's call, so neither they nor the gradients with respect to
  them can be had. The update is fit() itself, on this one batch.

* Level 3½ (own autograd): z1 and h the same way; its engine keeps .grad on every tensor of the step,
  so dL/dz1, dL/dh and dL/dz2 are there after backward(). The update is its train_step().

TensorFlow and PyTorch do not share a process (with level 1 loaded, importing level 2 ends in a
segmentation fault here), so the levels of each framework run in a child process of their own
(the three side by side), which hands its numbers back in an .npz file. Last, each parameter
gradient of level 4 is checked against central finite differences of level 4's loss.
"""

import argparse
import concurrent.futures
import contextlib
import os
import sys
import tempfile
from typing import Callable, NamedTuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # the levels

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from machinery import cli, flags, levels, mnist_files, params_files, processes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH_SIZE = 4          # small, so that every number can be looked at
HIDDEN = 5
DTYPE = "float64"       # only rounding then separates the levels: about 1e-16
SHOWN = 4               # entries printed per quantity and level
FD_STEP = 1e-6          # e of the central finite differences, as in tests/test_gradients.py
FD_MAX_ENTRIES = 4000   # per parameter; beyond that, a random sample of entries is checked


# ---------------------------------------------------------------------------------------------
# The quantities of one step, in the order of the README's derivation
# ---------------------------------------------------------------------------------------------
class Quantity(NamedTuple):
    key: str            # its name in each level's results and in the JSON report
    formula: str        # as "The mathematics" derives it, in the scripts' notation
    shape: str          # in B and H; "" for the scalar L


QUANTITIES = [
    Quantity("z1", "z1 = x W1 + b1", "B x H"),
    Quantity("h", "h = tanh(z1)", "B x H"),
    Quantity("z2", "z2 = h W2 + b2", "B x 10"),
    Quantity("a", "a = sigmoid(z2) = 1 / (1 + e^-z2)", "B x 10"),
    Quantity("loss", "L = mean(-[y log a + (1 - y) log(1 - a)]) = mean(log(1 + e^z2) - y z2)", ""),
    Quantity("dz2", "dL/dz2 = (a - y) / (10 B)", "B x 10"),
    Quantity("dW2", "dL/dW2 = h^T dL/dz2", "H x 10"),
    Quantity("db2", "dL/db2 = sum over the batch of dL/dz2", "10"),
    Quantity("dh", "dL/dh = dL/dz2 W2^T", "B x H"),
    Quantity("dz1", "dL/dz1 = dL/dh * (1 - h^2)", "B x H"),
    Quantity("dW1", "dL/dW1 = x^T dL/dz1", "784 x H"),
    Quantity("db1", "dL/db1 = sum over the batch of dL/dz1", "H"),
    Quantity("W1_after", "W1 <- W1 - lr dL/dW1", "784 x H"),
    Quantity("b1_after", "b1 <- b1 - lr dL/db1", "H"),
    Quantity("W2_after", "W2 <- W2 - lr dL/dW2", "H x 10"),
    Quantity("b2_after", "b2 <- b2 - lr dL/db2", "10"),
]
SECTIONS = {"z1": "Forward pass", "loss": "Loss", "dz2": "Backward pass", "W1_after": "Update"}


# ---------------------------------------------------------------------------------------------
# Looking inside a function without changing it
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def locals_of(function):
    """The local variables of `function` as it returns, collected while the with-block runs.

    sys.setprofile() has Python call `profile` at every function call and return; at the return
    of `function` its frame still holds every local variable, and f_locals reads them."""
    captured = {}

    def profile(frame, event, arg):
        if event == "return" and frame.f_code is function.__code__:
            captured.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield captured
    finally:
        sys.setprofile(previous)


# ---------------------------------------------------------------------------------------------
# One step at each level, with the level's own code. Each returns {quantity: value}.
# ---------------------------------------------------------------------------------------------
def keras_step(args, start):
    import machinery.quiet_tensorflow  # noqa: F401  (TensorFlow's C++ start-up log, off the screen)
    import keras
    import tensorflow as tf

    import level1_keras

    keras.config.set_floatx(args.dtype)
    (x, y), _ = levels.load_data(level1_keras, args.data_dir, args.batch_size, args.dtype)
    model = level1_keras.build_model(args.hidden)
    model.set_weights([start[name] for name in common.PARAM_NAMES])   # W1, b1, W2, b2
    level1_keras.compile_model(model, args.lr)

    # What fit() runs for every batch, up to the update (Keras's train_step):
    with tf.GradientTape() as tape:
        a = model(x, training=True)                                    # a = sigmoid(h W2 + b2)
        loss = model.compute_loss(x=x, y=y, y_pred=a, training=True)   # the compiled loss, L
    first, second = model.layers                       # the two Dense layers
    grads = tape.gradient(loss, [first.kernel, first.bias, second.kernel, second.bias])
    out = {"a": a, "loss": loss}
    out.update({"d" + name: g for name, g in zip(common.PARAM_NAMES, grads)})   # dL/dW1 ...

    # The update: fit() itself, on this one batch
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    out.update({name + "_after": w for name, w in zip(common.PARAM_NAMES, model.get_weights())})
    return out


KERAS_HIDDEN = {
    "z1": "inside Dense(H, activation=\"tanh\"), which computes tanh(x W1 + b1) in one call",
    "h": "passed from the first Dense layer to the second inside model(x), never handed out",
    "z2": "inside Dense(10, activation=\"sigmoid\"), which returns a (it keeps z2 privately, "
          "for the loss)",
    "dz2": "the tape gives gradients with respect to tensors one holds; z2 stays in its layer",
    "dh": "the tape gives gradients with respect to tensors one holds; h stays in model(x)",
    "dz1": "the tape gives gradients with respect to tensors one holds; z1 stays in its layer",
}


def pytorch_step(args, start):
    import torch

    import level2_pytorch

    dtype = getattr(torch, args.dtype)
    (x, y), _ = levels.load_data(level2_pytorch, args.data_dir, args.batch_size, dtype)
    model = level2_pytorch.build_model(args.hidden, dtype)
    params_files.into_torch_model(model, start)        # nn.Linear gets W1^T and W2^T

    inside = {}

    def keep(name):
        def hook(layer, inputs, output):               # runs as the layer returns its output
            output.retain_grad()                       # keep dL/d(output): it is not a leaf
            inside[name] = output
        return hook

    hooks = [model[i].register_forward_hook(keep(name)) for i, name in enumerate(("z1", "h", "z2"))]
    z2, a = level2_pytorch.forward(x, model)
    loss = level2_pytorch.loss_fn(z2, y)               # nn.BCEWithLogitsLoss()(z2, y)
    loss.backward()
    for hook in hooks:
        hook.remove()

    out = {"z1": inside["z1"], "h": inside["h"], "z2": inside["z2"], "a": a, "loss": loss,
           "dz2": inside["z2"].grad, "dh": inside["h"].grad, "dz1": inside["z1"].grad}
    for i, name in ((0, "1"), (2, "2")):
        layer = model[i]
        out["dW" + name] = layer.weight.grad.T         # .weight is W^T (out x in), so is its .grad
        out["dW" + name + "_stored"] = layer.weight.grad
        out["db" + name] = layer.bias.grad

    # The update: torch.optim.SGD, stepped by level 2's own train_step, which expects .grad cleared,
    # as its previous step leaves it (set to None: the tensors read above stay as they are)
    model.zero_grad()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    level2_pytorch.train_step(model, optimizer, x, y)
    after = params_files.from_torch_model(model)       # W1, b1, W2, b2, transposed back
    out.update({name + "_after": after[name] for name in common.PARAM_NAMES})
    return out


def autograd_step(args, start):
    import torch

    import level3_autograd

    dtype = getattr(torch, args.dtype)
    (x, y), _ = levels.load_data(level3_autograd, args.data_dir, args.batch_size, dtype)

    def leaves():                                      # the start, as level 3's main() holds it
        return {name: torch.from_numpy(p.copy()).requires_grad_() for name, p in start.items()}

    params = leaves()
    with locals_of(level3_autograd.forward) as inside:
        z2, a = level3_autograd.forward(x, params)
    z1, h = inside["z1"], inside["h"]
    for t in (z1, h, z2):
        t.retain_grad()                                # autograd keeps .grad only for leaves
    loss = level3_autograd.loss_fn(z2, y)
    loss.backward()

    out = {"z1": z1, "h": h, "z2": z2, "a": a, "loss": loss,
           "dz2": z2.grad, "dh": h.grad, "dz1": z1.grad}
    out.update({"d" + name: p.grad for name, p in params.items()})

    # The update: level 3's own train_step, from a fresh copy of the start
    params = leaves()
    level3_autograd.train_step(params, x, y, args.lr)
    out.update({name + "_after": p for name, p in params.items()})
    return out


def own_autograd_step(args, start):
    import level3b_own_autograd as level

    (x, y), _ = levels.load_data(level, args.data_dir, args.batch_size, np.dtype(args.dtype))
    x, y = level.Tensor(x), level.Tensor(y)

    def leaves():                                      # the start, as level 3½'s main() holds it
        return {name: level.Tensor(p.copy(), requires_grad=True) for name, p in start.items()}

    params = leaves()
    with locals_of(level.forward) as inside:
        z2, a = level.forward(x, params)
    z1, h = inside["z1"], inside["h"]
    loss = level.loss_fn(z2, y)
    loss.backward()                                    # the engine fills .grad of every tensor

    out = {"z1": z1.data, "h": h.data, "z2": z2.data, "a": a.data, "loss": loss.data,
           "dz2": z2.grad, "dh": h.grad, "dz1": z1.grad}
    out.update({"d" + name: p.grad for name, p in params.items()})

    # The update: level 3½'s own train_step, from a fresh copy of the start
    params = leaves()
    level.train_step(params, x, y, args.lr)
    out.update({name + "_after": p.data for name, p in params.items()})
    return out


def numpy_step(args, start):
    (x, y), _ = levels.load_data(level4_numpy, args.data_dir, args.batch_size, np.dtype(args.dtype))
    params = {name: p.copy() for name, p in start.items()}

    with locals_of(level4_numpy.forward) as inside_forward:
        h, z2, a = level4_numpy.forward(x, params)
    loss = level4_numpy.loss_fn(z2, y)
    with locals_of(level4_numpy.gradients) as inside_gradients:
        grads = level4_numpy.gradients(x, y, params, h, a)

    out = {"z1": inside_forward["z1"], "h": h, "z2": z2, "a": a, "loss": loss}
    out.update({key: inside_gradients[key] for key in ("dz2", "dh", "dz1")})
    out.update({"d" + name: g for name, g in grads.items()})

    # The update: level 4's own train_step, on the copy (it updates in place)
    level4_numpy.train_step(params, x, y, args.lr)
    out.update({name + "_after": p for name, p in params.items()})
    return out


class Level(NamedTuple):
    framework: str      # the levels of one framework run in one process, the others apart
    step: Callable      # step(args, start) -> {quantity: value}
    how: str            # how its numbers are read out, in one line
    hidden: dict        # quantity -> why this level cannot show it


# A column per level; another level is one more entry here (and its step function above).
LEVELS = {
    "keras": Level("tensorflow", keras_step, "tf.GradientTape around model(x) and "
                   "model.compute_loss(), as fit() runs them; then fit() on this batch",
                   KERAS_HIDDEN),
    "pytorch": Level("torch", pytorch_step, "forward hooks on model[0], model[1], model[2] keep "
                     "z1, h, z2; retain_grad(); backward(); train_step()", {}),
    "autograd": Level("torch", autograd_step, "forward(), z1 from its frame (sys.setprofile); "
                      "retain_grad() on z1, h, z2; backward(); train_step()", {}),
    "own_autograd": Level("numpy", own_autograd_step, "forward(), z1 from its frame "
                          "(sys.setprofile); backward() fills .grad of every Tensor; train_step()",
                          {}),
    "numpy": Level("numpy", numpy_step, "forward(), gradients(); z1, dz2, dh, dz1 from their "
                   "frames (sys.setprofile); train_step()", {}),
}


def start_params(args):
    """The one seeded Glorot-normal draw every level starts from (as compare.py --lockstep)."""
    params = level4_numpy.init_params(args.hidden, np.random.default_rng(args.seed), np.float64)
    return {name: p.astype(args.dtype) for name, p in params.items()}


# ---------------------------------------------------------------------------------------------
# Running the levels, each in a process of its own
# ---------------------------------------------------------------------------------------------
def run_here(args):
    """In a child process: the step of each level of one framework, written to an .npz file per
    level in the folder --arrays-out."""
    for name, level in LEVELS.items():
        if level.framework == args.framework:
            out = level.step(args, start_params(args))
            arrays = {key: np.array(params_files.as_numpy(value)) for key, value in out.items()}
            with open(os.path.join(args.arrays_out, name + ".npz"), "wb") as f:
                np.savez(f, **arrays)


def run_levels(args, folder):
    """Every level's results, {level: {quantity: array}}: a child process per framework, as
    TensorFlow and PyTorch cannot share one."""
    step_flags = ["--batch-size", args.batch_size, "--hidden", args.hidden, "--lr", args.lr,
                  "--seed", args.seed, "--dtype", args.dtype, "--data-dir", args.data_dir]
    frameworks = dict.fromkeys(level.framework for level in LEVELS.values())
    with concurrent.futures.ThreadPoolExecutor(len(frameworks)) as pool:   # side by side
        runs = [pool.submit(processes.run_python, f"one step with {framework}",
                            os.path.join(HERE, "one_step.py"), "--framework", framework,
                            "--arrays-out", folder, *step_flags) for framework in frameworks]
        for run in runs:
            run.result()                               # a child's failure: its last lines
    results = {}
    for name in LEVELS:
        with np.load(os.path.join(folder, name + ".npz")) as f:
            results[name] = {key: f[key] for key in f.files}
    return results


# ---------------------------------------------------------------------------------------------
# Finite differences: dL/dtheta ~ (L(theta + e) - L(theta - e)) / 2e, one entry at a time
# ---------------------------------------------------------------------------------------------
def finite_differences(x, y, params, grads, seed):
    """For each parameter: the relative error max |analytic - numeric| / max |numeric| of the
    gradients `grads`, numeric from level 4's forward() and loss_fn() in float64; and how many
    entries were checked (all, or FD_MAX_ENTRIES chosen at random)."""
    params = {name: p.astype(np.float64) for name, p in params.items()}
    rng = np.random.default_rng(seed)
    result = {}
    for name, p in params.items():
        entries = list(np.ndindex(p.shape))
        if len(entries) > FD_MAX_ENTRIES:
            entries = [entries[i] for i in rng.choice(len(entries), FD_MAX_ENTRIES, replace=False)]
        analytic = np.array([grads[name][i] for i in entries], dtype=np.float64)
        numeric = np.empty(len(entries))
        for k, i in enumerate(entries):
            saved = p[i]
            p[i] = saved + FD_STEP
            up = level4_numpy.loss_fn(level4_numpy.forward(x, params)[1], y)
            p[i] = saved - FD_STEP
            down = level4_numpy.loss_fn(level4_numpy.forward(x, params)[1], y)
            p[i] = saved
            numeric[k] = (up - down) / (2 * FD_STEP)
        error = np.abs(analytic - numeric).max() / np.abs(numeric).max()
        result[name] = {"relative_error": float(error), "entries": len(entries), "of": p.size}
    return result


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def shape_of(quantity, batch, hidden):
    """The shape as numbers, from the symbolic one: "B x H" -> (4, 5)."""
    sizes = {"B": batch, "H": hidden}
    return tuple(sizes[n] if n in sizes else int(n) for n in quantity.shape.split(" x ") if n)


def where_shown(shape, pixel):
    """Which entries are printed: the scalar, the first few of a vector, or of one row of a matrix:
    row 0 (the first example, or hidden unit), but for 784-row arrays the row of `pixel`."""
    if len(shape) == 0:
        return ()
    if len(shape) == 1:
        return (slice(0, SHOWN),)
    return (pixel if shape[0] == common.N_INPUTS else 0, slice(0, SHOWN))


def index_text(index):
    return "[" + ", ".join(f":{i.stop}" if isinstance(i, slice) else str(i) for i in index) + "]"


def largest_difference(values):
    """The largest |difference| of any entry between any two levels, and those two levels."""
    best, pair = 0.0, None
    names = list(values)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            diff = float(np.max(np.abs(values[first].astype(np.float64)
                                       - values[second].astype(np.float64)), initial=0.0))
            if pair is None or diff > best:
                best, pair = diff, (first, second)
    return best, pair


def analyse(args, x, results):
    """The JSON report's "quantities": for each, its shape, which levels show it (and why the
    others do not), each level's norm, and the largest difference between the levels."""
    quantities = {}
    pixel = int(np.argmax(x.sum(axis=0)))              # the batch's brightest pixel
    for q in QUANTITIES:
        shape = shape_of(q, len(x), args.hidden)
        values = {name: r[q.key] for name, r in results.items() if q.key in r}
        for name, value in values.items():
            assert value.shape == shape, (name, q.key, value.shape, shape)
        diff, pair = largest_difference(values)
        index = where_shown(shape, pixel)
        quantities[q.key] = {
            "formula": q.formula, "shape": list(shape), "levels": list(values),
            "shown": index_text(index) if index else "",
            "entries": {name: np.atleast_1d(np.asarray(v, dtype=np.float64)[index]).tolist()
                        for name, v in values.items()},
            "hidden": {name: LEVELS[name].hidden.get(q.key, "not computed")
                       for name in results if q.key not in results[name]},
            "norm": {name: float(np.linalg.norm(v.astype(np.float64)))
                     for name, v in values.items()},
            "max_abs_difference": diff, "between": list(pair) if pair else None,
        }
    return quantities


def entries_line(label, array, index, norm=None):
    """`label`, the shown entries, and the norm, in fixed-width columns; a scalar to 16 digits."""
    if array.ndim == 0:
        return f"  {label:<13}{float(array):>24.16g}"
    shown = array[index].astype(np.float64)
    cells = "".join(f"{v:>14.6e}" for v in shown) + " " * 14 * (SHOWN - len(shown))
    norm = float(np.linalg.norm(array.astype(np.float64))) if norm is None else norm
    return f"  {label:<13}{cells}    norm {norm:.6e}"


def stored_weight_lines(results, key, index):
    """Level 2's weight.grad as nn.Linear stores it, (out, in): the same entries, down a column."""
    stored = results["pytorch"][key + "_stored"]
    layer, name = ("model[0]", "W1") if key == "dW1" else ("model[2]", "W2")
    row, columns = index
    where = (columns, row)
    return [f"  {'':<13}{layer}.weight.grad is {stored.shape[0]} x {stored.shape[1]}: nn.Linear "
            f"stores {name}^T (out x in): its gradient is dL/d{name}^T; {index_text(where)}:",
            entries_line("", stored, where)]


def section(title):
    return f"== {title} " + "=" * (100 - len(title))


def report_lines(args, x, results, start, quantities, fd):
    pixel = int(np.argmax(x.sum(axis=0)))              # the batch's brightest pixel
    lines = [
        f"One SGD step on the first {len(x)} training examples of {args.data_dir}: "
        f"{args.dtype}, H = {args.hidden}, lr = {args.lr:g}.",
        "Every level starts from one Glorot-normal draw: "
        f"level4_numpy.init_params(seed {args.seed}).",
        "Each level's numbers come from its own code (TensorFlow, PyTorch, NumPy each in a process "
        "of their own):",
    ]
    lines += [f"  {name:<13}{level.how}" for name, level in LEVELS.items()]
    lines += ["",
              "Each block: the formula and its shape; for each level a few entries and the norm "
              "sqrt(sum of squares);",
              "then the largest |difference| of any entry between any two levels. Of the 784 x H "
              f"arrays, row {pixel}:",
              f"pixel {pixel}, the brightest of this batch (a pixel that is 0 in every image, like "
              "row 0's corner, gets dL/dW1 = 0)."]
    for q in QUANTITIES:
        info = quantities[q.key]
        if q.key in SECTIONS:
            title = SECTIONS[q.key] + (f" (lr = {args.lr:g})" if q.key == "W1_after" else "")
            lines += ["", section(title)]
        shape = tuple(info["shape"])
        index = where_shown(shape, pixel)
        size = " x ".join(map(str, shape)) or "scalar"
        where = f"entries {index_text(index)}" if index else ""
        lines += ["", f"{q.formula}   ({size})" + (f"   {where}" if where else "")]
        if q.key.endswith("_after"):
            name = q.key[:-len("_after")]
            lines.append(entries_line(f"start {name}", start[name], index))
        for name in LEVELS:
            if name in info["hidden"]:
                lines.append(f"  {name:<13}hidden: {info['hidden'][name]}")
                continue
            lines.append(entries_line(name, results[name][q.key], index, info["norm"][name]))
            if name == "pytorch" and q.key in ("dW1", "dW2"):
                lines += stored_weight_lines(results, q.key, index)
        if len(info["levels"]) > 1:
            first, second = info["between"]
            lines.append(f"  max |difference|: {info['max_abs_difference']:.1e}"
                         f"   ({first} vs {second})")
    lines += ["", section("Finite differences"), "",
              f"Level 4's gradients() ({args.dtype}) against (L(theta + e) - L(theta - e)) / 2e, "
              f"e = {FD_STEP:g}, with level 4's loss in float64;",
              "relative error = max |analytic - numeric| / max |numeric|."]
    for name, check in fd.items():
        shape = " x ".join(map(str, start[name].shape))
        checked = (f"all {check['of']} entries" if check["entries"] == check["of"] else
                   f"{check['entries']} of {check['of']} entries, chosen at random")
        lines.append(f"  dL/d{name:<4}({shape:>9})   relative error {check['relative_error']:.1e}"
                     f"   ({checked})")
    return lines


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
def make_parser():
    """The flags, with the same checks and messages as the levels' (machinery/cli.py)."""
    parser = flags.one_step_parser(__doc__, common, BATCH_SIZE, HIDDEN, DTYPE, "examples in the batch: "
                                   "the first B of the training set")
    add = parser.add_argument
    add("--json-out", metavar="FILE", help="write every quantity's shape, the levels that show "
                                           "it and their largest difference as JSON")
    # How this script runs the levels of one framework in a child process; not for users.
    add("--framework", choices=[level.framework for level in LEVELS.values()],
        help=argparse.SUPPRESS)
    add("--arrays-out", help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    cli.check_args(parser, args, common)               # --json-out writable, --lr and --hidden sane
    if args.framework:                                 # a child process: one framework's levels
        if not args.arrays_out:
            parser.error("--framework needs --arrays-out FOLDER")
        return run_here(args)

    if args.data_dir is None:
        args.data_dir = mnist_files.download()         # as level 4 does; every level reads these
    # The batch, as level 4 loads it (a bad --data-dir is reported here, once)
    (x, y), _ = levels.load_data(level4_numpy, args.data_dir, args.batch_size, np.float64)
    with tempfile.TemporaryDirectory() as folder:
        results = run_levels(args, folder)

    start = start_params(args)
    quantities = analyse(args, x, results)
    grads = {name: results["numpy"]["d" + name] for name in common.PARAM_NAMES}
    fd = finite_differences(x, y, start, grads, args.seed)
    print("\n".join(report_lines(args, x, results, start, quantities, fd)))

    if args.json_out:
        cli.write_json(args.json_out, {
            "config": {"batch_size": len(x), "hidden": args.hidden, "lr": args.lr,
                       "seed": args.seed, "dtype": args.dtype, "data_dir": args.data_dir},
            "levels": list(LEVELS),
            "quantities": quantities,
            "finite_difference": {name: check["relative_error"] for name, check in fd.items()},
            "finite_difference_entries": {name: check["entries"] for name, check in fd.items()},
        })


if __name__ == "__main__":
    cli.run(main)
