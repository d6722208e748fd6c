"""Write notebooks/level*.ipynb: every level as a Jupyter notebook, generated from its file.

Each notebook holds, in order:
  * the level's docstring, as markdown;
  * its imports, and one line that puts the project's folder on the path;
  * section by section (level 3½'s engine first, then 1. Data ... 6. Main), the section's
    mathematics (the same source as docs/side_by_side.html's) and the section's code, as it is
    in the file, so that running the cells defines the level's own functions;
  * the cells a learner would write next: a slice of MNIST and its shapes; one forward pass with
    z1, h and a for one image; one training step with the loss before and after; a short training
    run (the lines of the level's main(), its arguments replaced by a few settings), plotted;
  * pointers to the exercises.

Nothing in a notebook is typed by hand where the level file has it: a notebook is made again from
the file, and tests/test_notebooks.py fails when a committed notebook's cells differ from what this
script makes now. The notebooks are committed with their outputs, made by running each once:

    python docs/make_notebooks.py                       # the cells only, outputs kept where fresh
    python docs/make_notebooks.py --execute             # and run them (MNIST_DIR, or downloads)

A level file whose sections cannot be found stops the script with one line naming the file and
the section; no notebook is written then.
"""

import argparse
import ast
import datetime
import os
import platform
import re
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from make_side_by_side import ENGINE, HEADER, LEVELS, MATH, SECTIONS, split_sections  # noqa: E402

from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402

FRAMEWORK = {"level1_keras.py": "keras", "level2_pytorch.py": "nn", "level3_autograd.py": "torch",
             "level3b_own_autograd.py": "engine", "level4_numpy.py": "numpy"}
ARGS = {"seed": "SEED", "dtype": "DTYPE", "limit": "LIMIT", "hidden": "HIDDEN", "lr": "LR",
        "batch_size": "BATCH_SIZE", "shuffle": "SHUFFLE", "epochs": "EPOCHS"}   # main()'s arguments
LOSS_LINE = "loss before the step: "      # tests/test_notebooks.py reads the number after it
LIMIT, EPOCHS = 2000, 3                  # the notebooks' slice of MNIST, and their epochs
EXERCISES = {
    "keras": [(8, "write level 1's training step yourself"), (3, "softmax, and a Keras trap"),
              (5, "momentum, by hand and by the optimizers"), (11, "write fit()")],
    "nn": [(10, "write level 2's abstractions: Linear, Sequential, SGD, DataLoader"),
           (5, "momentum, by hand and by the optimizers")],
    "torch": [(4, "sum over the outputs instead of the mean"), (5, "momentum"),
              (10, "write level 2's abstractions on these tensors")],
    "engine": [(9, "write the engine yourself, with more than this one has (sum, exp, log, relu, a softmax loss), and train this level on it"),
               (7, "break it on purpose")],
    "numpy": [(1, "mean squared error instead of cross-entropy"), (2, "a ReLU hidden layer"),
              (6, "a second hidden layer"), (7, "break it on purpose")],
}
ANCHORS = {1: "exercise-1-mean-squared-error-instead-of-cross-entropy",
           2: "exercise-2-a-relu-hidden-layer-he-or-glorot",
           3: "exercise-3-softmax-and-categorical-cross-entropy-and-a-keras-trap",
           4: "exercise-4-sum-over-the-outputs-instead-of-the-mean",
           5: "exercise-5-momentum-by-hand-and-by-the-optimizers",
           6: "exercise-6-a-second-hidden-layer", 7: "exercise-7-break-it-on-purpose",
           8: "exercise-8-write-level-1s-training-step-yourself",
           9: "exercise-9-write-the-engine", 10: "exercise-10-write-level-2s-abstractions",
           11: "exercise-11-write-fit"}


# ---------------------------------------------------------------------------------------------
# Reading a level file
# ---------------------------------------------------------------------------------------------
def without_banner(section):
    """A section's code without its '# ----- / # 1. Data / # -----' banner."""
    lines = section.splitlines()
    while lines and (not lines[0].strip() or lines[0].startswith("# ")):
        if lines[0].startswith("# ") and not re.match(r"# (-{20,}|\d\. |The engine)", lines[0]):
            break
        lines.pop(0)
    return "\n".join(lines).strip("\n")


def main_parts(text, name):
    """main()'s set-up lines and its training (the loop over epochs, or level 1's fit()), as
    notebook code: main()'s arguments replaced by the notebook's settings (ARGS) wherever main()
    reads them before it gives the name a new value."""
    tree = ast.parse(text)
    main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"),
                None)
    if main is None:
        raise UserError(f"{name}: no main() in the section \"# 6. Main\".")
    lines = text.splitlines()
    body = main.body[1:] if ast.get_docstring(main) else main.body
    setup, loop, previous_end = [], [], body[0].lineno - 1
    for statement in body:
        source = textwrap.dedent("\n".join(lines[previous_end:statement.end_lineno])).splitlines()
        previous_end = statement.end_lineno
        if isinstance(statement, ast.Return):
            continue
        trains = isinstance(statement, ast.For) or ".fit(" in ast.unparse(statement)
        (loop if trains else setup).extend(source)
    if not loop:
        raise UserError(f"{name}: main() has no loop over the epochs (nor a fit()).")

    arguments = dict(ARGS)

    def settings(line):
        target = re.match(r"\s*(\w+) = ", line)
        code, _, comment = line.partition("  #")
        code = re.sub(r"(?<![\w.])(\w+)\b(?!=)", lambda m: arguments.get(m.group(1), m.group(1))
                      if not (target and m.start() == target.start(1)) else m.group(1), code)
        if target:
            arguments.pop(target.group(1), None)   # from here on, the name is main()'s own
        return code + ("  #" + comment if comment else "")

    return [settings(line) for line in setup], [settings(line) for line in loop]


def z1_line(text, name="z1"):
    """The line of forward() that computes z1 (or h), without its comment (levels 3, 3½ and 4)."""
    for line in text.splitlines():
        if line.strip().startswith(name + " = "):
            return line.split("  #")[0].strip()
    return None


# ---------------------------------------------------------------------------------------------
# The cells a learner writes next, for each kind of level
# ---------------------------------------------------------------------------------------------
def settings_cell(framework):
    lines = ["# The run's settings: main()'s defaults, common.py's, but a slice of MNIST and a few",
             "# epochs, so that the notebook runs in seconds.",
             f"LIMIT, EPOCHS = {LIMIT}, {EPOCHS}                   # the first {LIMIT:,} training and "
             "test images",
             "SEED, DTYPE, HIDDEN = common.SEED, common.DTYPE, common.HIDDEN",
             "LR, BATCH_SIZE, SHUFFLE = common.LR, common.BATCH_SIZE, True",
             "",
             "# MNIST: from the folder $MNIST_DIR names, as --data-dir gives it to a level run from",
             "# the shell; else fetched once, quietly, where the level's own loader looks for it."]
    if framework == "keras":
        lines += ["if os.environ.get(\"MNIST_DIR\"):",
                  "    keras.datasets.mnist.load_data = lambda: mnist_files.read_dir(os.environ[\"MNIST_DIR\"])",
                  "else:",
                  "    mnist_files.prefetch_keras()"]
    elif framework in ("nn", "torch"):
        lines += ["if os.environ.get(\"MNIST_DIR\"):",
                  "    mnist = lambda: mnist_files.read_dir(os.environ[\"MNIST_DIR\"], torch.from_numpy)",
                  "else:",
                  "    mnist_files.prefetch_torchvision(mnist_files.TORCHVISION_ROOT)"]
    else:
        lines += ["MNIST_DIR = os.environ.get(\"MNIST_DIR\") or mnist_files.download()"]
    return "\n".join(lines)


def shapes_cell(framework):
    return ("for name, array in [(\"x_train\", x_train), (\"y_train\", y_train), "
            "(\"x_test\", x_test), (\"y_test\", y_test)]:\n"
            "    print(f\"{name:8} {tuple(array.shape)}  {array.dtype}\")\n"
            "print(\"the first label, one-hot:\", y_train[0])")


def forward_cell(framework, z1, h):
    show = ("print(\"z1[:5] =\", z1[0, :5])\nprint(\"h[:5]  =\", h[0, :5])\n"
            "print(\"a     =\", a[0])\nprint(\"label:\", int(y[0].argmax()))")
    if framework == "keras":
        return ("x, y = x_train[:1], y_train[:1]                  # one image and its label\n"
                "first = model.layers[0]                          # Dense(H, activation=\"tanh\")\n"
                "z1 = x @ first.kernel + first.bias               # what the layer computes before"
                " tanh\n"
                "h = keras.ops.convert_to_numpy(first(x))         # = tanh(z1)\n"
                "a = keras.ops.convert_to_numpy(model(x))         # = sigmoid(h W2 + b2)\n" + show)
    if framework == "nn":
        return ("x, y = x_train[:1], y_train[:1]                  # one image and its label\n"
                "with torch.no_grad():                            # looking: nothing to record\n"
                "    z1 = model[0](x)                             # nn.Linear: x W1 + b1\n"
                "    h = model[1](z1)                             # nn.Tanh\n"
                "    z2, a = forward(x, model)\n" + show)
    if framework == "engine":
        return ("x, y = Tensor(x_train[:1]), Tensor(y_train[:1])  # one image and its label\n"
                f"z2, a = forward(x, params)\n{z1}                 # forward()'s own lines: z1 "
                f"and h\n{h}                                  # stay inside it\n" + show.replace("z1[0", "z1.data[0").replace("h[0", "h.data[0")
                .replace("a[0]", "a.data[0]").replace("y[0]", "y.data[0]"))
    if framework == "torch":
        return ("x, y = x_train[:1], y_train[:1]                  # one image and its label\n"
                "with torch.no_grad():                            # looking: nothing to record\n"
                f"    z2, a = forward(x, params)\n    {z1}             # forward()'s own lines\n"
                f"    {h}\n" + show)
    return ("x, y = x_train[:1], y_train[:1]                  # one image and its label\n"
            f"h, z2, a = forward(x, params)\n{z1}                 # forward()'s own line: z1 stays "
            "inside it\n" + show)


def step_cell(framework):
    first = "x, y = x_train[:BATCH_SIZE], y_train[:BATCH_SIZE]   # the first batch\n"
    step = {"keras": "loss, acc = model.train_on_batch(x, y)   # Keras's train_step, once: the loss "
                     "before the update",
            "nn": "loss, acc = train_step(model, optimizer, x, y)   # the loss before the update",
            "torch": "loss, acc = train_step(params, x, y, LR)        # the loss before the update",
            "engine": "loss, acc = train_step(params, Tensor(x), Tensor(y), LR)   # Tensors in; "
                      "the loss before the update\n# (evaluate() below takes arrays and wraps "
                      "them itself, as train_epoch() does)",
            "numpy": "loss, acc = train_step(params, x, y, LR)        # the loss before the "
                     "update"}[framework]
    after = {"keras": "model.evaluate(x, y, verbose=0)[0]", "nn": "evaluate(model, x, y)[0]"}.get(
        framework, "evaluate(params, x, y)[0]")
    return (first + step + "\n"
            f"print(f\"{LOSS_LINE}{{float(loss)!r}}\")\n"
            f"print(f\"loss after the step:  {{float({after})!r}}\")")


SAME_START = {
    "engine": " Levels 3½ and 4 draw their weights from the same NumPy generator with the same "
              "seed, so their notebooks show the same numbers; levels 1 to 3 draw with their own "
              "generators.",
    "numpy": " Levels 3½ and 4 draw their weights from the same NumPy generator with the same "
             "seed, so their notebooks show the same numbers; levels 1 to 3 draw with their own "
             "generators.",
}
SAME_START.update({name: " Levels 1 to 3 draw their initial weights with their own framework's "
                  "generator, so their numbers here differ from those of levels 3½ and 4; "
                  "started from one draw (`compare.py --lockstep`), the levels agree to "
                  "rounding." for name in ("keras", "nn", "torch")})
GRADIENTS_TEXT = {
    "keras": "`fit()` does this inside Keras's `train_step`; here `tf.GradientTape` records the "
             "forward pass and the loss, and `tape.gradient` walks the record back "
             "([what fit() builds](../docs/inside.md)).",
    "nn": "`loss.backward()` fills each parameter's `.grad`; `nn.Linear` keeps $W^\\top$, so "
          "`model[0].weight.grad` is $\\partial L/\\partial W_1$ transposed. `zero_grad()` "
          "clears them again, since `.grad` adds up.",
    "torch": "`loss.backward()` fills each parameter's `.grad` ([what it walks]"
             "(../docs/inside.md)); they are cleared again, since `.grad` adds up.",
    "engine": "The engine's `loss.backward()` fills each parameter's `.grad`; they are cleared "
              "again, since `.grad` adds up.",
    "numpy": "`gradients()` computes them by hand; one entry is checked against a finite "
             "difference of the loss, $(L(\\theta + \\epsilon) - L(\\theta - \\epsilon)) / "
             "2\\epsilon$, in float64.",
}


def gradients_cell(framework):
    first = "x, y = x_train[:BATCH_SIZE], y_train[:BATCH_SIZE]   # the first batch\n"
    show = ("for name, g in grads.items():\n"
            "    print(f\"dL/d{name:3} {str(tuple(g.shape)):11} norm {float((g ** 2).sum()) ** 0.5:.4f}\")")
    if framework == "keras":
        return (first + "import tensorflow as tf\n\n"
                "with tf.GradientTape() as tape:                  # record what follows\n"
                "    a = model(x, training=True)\n"
                "    loss = model.compute_loss(x=x, y=y, y_pred=a, training=True)\n"
                "weights = model.trainable_weights                # W1, b1, W2, b2\n"
                "grads = dict(zip([\"W1\", \"b1\", \"W2\", \"b2\"], "
                "[keras.ops.convert_to_numpy(g) for g in tape.gradient(loss, weights)]))\n" + show
                + "\n\n# dL/dW2 from the tape, against the formula of section 4, by hand\n"
                "h = keras.ops.convert_to_numpy(model.layers[0](x))\n"
                "dz2 = (keras.ops.convert_to_numpy(a) - y) / y.size   # (a - y) / (10 B)\n"
                "print(\"largest |dL/dW2 - h^T dz2|:\", float(abs(grads[\"W2\"] - h.T @ dz2).max()))")
    if framework == "nn":
        return (first + "z2, a = forward(x, model)\nloss_fn(z2, y).backward()\n"
                "grads = {\"W1^T\": model[0].weight.grad, \"b1\": model[0].bias.grad,\n"
                "         \"W2^T\": model[2].weight.grad, \"b2\": model[2].bias.grad}\n"
                + show + "\n\n# dL/dW2 from backward(), against the formula of section 4, by hand\n"
                "with torch.no_grad():\n    h = model[1](model[0](x))\n"
                "    dz2 = (a - y) / y.numel()                    # (a - y) / (10 B)\n"
                "    print(\"largest |dL/dW2 - h^T dz2|:\", float((grads[\"W2^T\"].T - h.T @ dz2)"
                ".abs().max()))\n"
                "optimizer.zero_grad()                            # .grad adds up: clear it")
    if framework == "torch":
        return (first + "z2, a = forward(x, params)\nloss_fn(z2, y).backward()\n"
                "grads = {name: p.grad for name, p in params.items()}\n" + show + "\n\n"
                "# dL/dW2 from backward(), against the formula of section 4, by hand\n"
                "with torch.no_grad():\n"
                "    h = torch.tanh(x @ params[\"W1\"] + params[\"b1\"])   # as forward() computes it\n"
                "    dz2 = (a - y) / y.numel()                    "
                "# (a - y) / (10 B)\n"
                "    print(\"largest |dL/dW2 - h^T dz2|:\", float((grads[\"W2\"] - h.T @ dz2)"
                ".abs().max()))\n"
                "for p in params.values():\n    p.grad = None                                 "
                "# .grad adds up: clear it")
    if framework == "engine":
        return (first + "z2, a = forward(Tensor(x), params)\nloss_fn(z2, Tensor(y)).backward()\n"
                "grads = {name: p.grad for name, p in params.items()}\n" + show + "\n\n"
                "# dL/dW2 from backward(), against the formula of section 4, by hand\n"
                "h = np.tanh(x @ params[\"W1\"].data + params[\"b1\"].data)   # as forward() "
                "computes it\n"
                "dz2 = (a.data - y) / y.size                      # (a - y) / (10 B)\n"
                "print(\"largest |dL/dW2 - h^T dz2|:\", float(abs(grads[\"W2\"] - h.T @ dz2)"
                ".max()))\n"
                "for p in params.values():\n    p.grad = None                                 "
                "# .grad adds up: clear it")
    return (first + "h, z2, a = forward(x, params)\ngrads = gradients(x, y, params, h, a)\n" + show
            + "\n\n# One entry of dL/dW2, against a finite difference of the loss, in float64\n"
            "p64 = {name: p.astype(np.float64) for name, p in params.items()}\n"
            "x64, y64, e = x.astype(np.float64), y.astype(np.float64), 1e-6\n"
            "p64[\"W2\"][0, 0] += e\nup = loss_fn(forward(x64, p64)[1], y64)\n"
            "p64[\"W2\"][0, 0] -= 2 * e\ndown = loss_fn(forward(x64, p64)[1], y64)\n"
            "print(f\"dL/dW2[0, 0]: gradients() {grads['W2'][0, 0]:.6e}, finite difference "
            "{(up - down) / (2 * e):.6e}\")")


REPORT_CELL = '''import time

history, clock = [], [time.perf_counter()]    # each epoch's numbers, for the plot; the clock


def print_epoch(epoch, epochs, *numbers):     # common.print_epoch's line, the numbers kept too
    history.append(numbers)
    now = time.perf_counter()
    print(common.format_epoch(epoch, epochs, *numbers, now - clock[0]))
    clock[0] = now


common.print_epoch = print_epoch'''

PLOT_CELL = '''import matplotlib.pyplot as plt
from matplotlib.ticker import PercentFormatter

train_loss, train_acc, test_loss, test_acc = zip(*history)
epochs = range(1, len(history) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
left.plot(epochs, train_loss, "o-", label="train")
left.plot(epochs, test_loss, "o-", label="test")
left.set(xlabel="epoch", ylabel="loss")
left.legend()
right.plot(epochs, train_acc, "o-", label="train")
right.plot(epochs, test_acc, "o-", label="test")
right.set(xlabel="epoch", ylabel="accuracy")
right.yaxis.set_major_formatter(PercentFormatter(1.0))
right.legend()
for axes in (left, right):
    axes.set_xticks(list(epochs))
fig.tight_layout()
plt.show()'''


# ---------------------------------------------------------------------------------------------
# A notebook
# ---------------------------------------------------------------------------------------------
def math_markdown(row):
    return "\n\n".join(f"$$\n{latex}\n$$\n\n{words}" for latex, words in MATH[row])


def cells_of(root, filename):
    """[(cell type, source)] of one level's notebook."""
    path = os.path.join(root, filename)
    parts = split_sections(path)               # UserError if a section is missing
    with open(path, encoding="utf-8") as f:
        text = f.read()
    framework = FRAMEWORK[filename]
    docstring = ast.get_docstring(ast.parse(text))
    imports = text[text.index('"""', 3) + 3:].strip("\n") if text.startswith('"""') else text
    imports = parts[HEADER][parts[HEADER].index(imports[:20]):].strip("\n")
    title, _, rest = docstring.partition("\n")
    rest = rest.replace("named as in this docstring's first line", "named as in this notebook's "
                        "title")
    cells = [("markdown", f"# {title}\n\n*Generated from [`{filename}`](../{filename}) by "
              "[`docs/make_notebooks.py`](../docs/make_notebooks.py): change the file, then make "
              "the notebook again. Terms you may not know: the "
              "[glossary](../docs/glossary.md).*\n\n" + rest.strip("\n")),
             ("markdown", "The imports, as in the file, after one line that lets the notebook "
              "find the project's modules, and one that the notebook's settings use to find "
              "MNIST. Imported here, `common` hands nothing to `machinery/`: that happens only "
              "when a level runs from the shell."),
             ("code", "import pathlib\nimport sys\n\nsys.path.insert(0, str(pathlib.Path(\"..\")"
              ".resolve()))   # the project's folder: common, machinery and the levels\n"
              + ("" if "\nimport os\n" in f"\n{imports}\n" else
                 "import os                                       # for the settings below\n")
              + "from machinery import mnist_files               # for the settings below\n"
              + ("import machinery.quiet_tensorflow              # TensorFlow, without its C++ "
                 "start-up log\n" if framework == "keras" else "") + "\n" + imports)]
    rows = ([ENGINE] if parts[ENGINE] else []) + SECTIONS
    for row in rows:
        code = without_banner(parts[row])
        if row == "6. Main":
            code = code.split("\n\nif __name__ == \"__main__\":")[0]
        title = "The engine" if row == ENGINE else row
        note = (f"\n\nIn this notebook's run below: the first {LIMIT:,} training and test images."
                if row in ("1. Data", "5. Evaluation") else "")
        cells += [("markdown", f"## {title}\n\n{math_markdown(row)}{note}"), ("code", code)]
        if row == "6. Main":
            cells.append(("markdown", f"`main()` is what runs from the shell (`python {filename}`),"
                          " its arguments the flags. Here you could call it, `main(epochs=2, "
                          f"limit={LIMIT})`; the cells below do its work one piece at a time "
                          "instead, where you can look at each result."))
    setup, loop = main_parts(text, filename)
    z1 = z1_line(parts["2. Model"])
    cells += [
        ("markdown", "## Running it, one piece at a time\n\nThe settings, then the data and the "
         "parameters: the first lines of `main()`, its arguments replaced by these "
         f"settings. The sections above speak of all of MNIST; here the run takes the first "
         f"{LIMIT:,} training and test images, so that each cell takes seconds."),
        ("code", settings_cell(framework)),
        ("code", "\n".join(setup).strip("\n")),
        ("markdown", "The data: `x` holds one image per row, 784 pixels in $[0, 1]$; `y` the "
         "one-hot labels."),
        ("code", shapes_cell(framework)),
        ("markdown", "One forward pass, for one image: $z_1$ and $h$ have $H$ entries (the first "
         "five are shown), $a$ has 10, one per digit. Before training, every entry of $a$ is "
         "somewhere between about 0.25 and 0.75: one of them is the largest, but only by the "
         "chance of the initial draw." + SAME_START[framework]),
        ("code", forward_cell(framework, z1, z1_line(parts["2. Model"], "h"))),
        ("markdown", "The gradients of the loss on the first batch ($B$ = `BATCH_SIZE` images), "
         "one per parameter, each the shape of its parameter. " + GRADIENTS_TEXT[framework]),
        ("code", gradients_cell(framework)),
        ("markdown", "One training step on the first batch: the loss of the batch before the "
         "update, and after it. The step lowers it."),
        ("code", step_cell(framework)),
        ("markdown", f"A short run: {'`fit()`' if framework == 'keras' else 'the loop of `main()`'}"
         ", for `EPOCHS` epochs on the slice, from the weights the step above left. First, "
         "`common.print_epoch` is replaced by one that prints the same line and also keeps each "
         "epoch's numbers, for the plot."),
        ("code", REPORT_CELL),
        ("code", "\n".join(loop)),
        ("code", PLOT_CELL),
        ("markdown", "The train loss of an epoch is the mean over its batches, taken while the "
         "weights still change; the test loss is taken once, after the epoch. That is why the "
         "first epoch's train loss can lie above its test loss."),
        ("markdown", "## Try this\n\n- Change `LR` in the settings cell to 10, or to 0.01, and run "
         "the cells below it again.\n" + "\n".join(
             f"- [Exercise {n}](../EXERCISES.md#{ANCHORS[n]}): {what}."
             for n, what in EXERCISES[framework])),
    ]
    return cells


def notebook_of(cells):
    import nbformat
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3",
                                             "language": "python"},
                              "language_info": {"name": "python"}})
    notebook.cells = [nbformat.v4.new_markdown_cell(source) if kind == "markdown" else
                      nbformat.v4.new_code_cell(source) for kind, source in cells]
    for i, cell in enumerate(notebook.cells):   # ids from the position: the same every time
        cell.id = f"cell-{i}"
    return notebook


def execute(notebook, folder):
    """Run every cell with nbclient, in `folder`, as Jupyter would; outputs stored in place."""
    from nbclient import NotebookClient
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"],   # no start-up notices
                   resources={"metadata": {"path": folder}}).execute()
    return notebook


def without_addresses(notebook):
    """Drop results shown only as an object's address (`<... History object at 0x7f...>`): they
    differ from run to run and say nothing."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (
                o.output_type == "execute_result" and
                re.fullmatch(r"<.* at 0x[0-9a-f]+>", o.get("data", {}).get("text/plain", "")))]
    return notebook


def machine():
    """The machine that ran the notebooks, for their metadata."""
    from machinery.cli import cpu_model
    return f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=ROOT, metavar="DIR",
                        help="the folder that holds the level files (default: the project's)")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "notebooks"), metavar="DIR",
                        help="where to write the notebooks (default: notebooks/)")
    parser.add_argument("--execute", action="store_true",
                        help="run each notebook with nbclient and keep its outputs")
    args = parser.parse_args(argv)
    import nbformat
    made = {name: notebook_of(cells_of(args.root, name)) for name, *_ in LEVELS}   # all first
    os.makedirs(args.out_dir, exist_ok=True)
    for name, notebook in made.items():
        path = os.path.join(args.out_dir, name.replace(".py", ".ipynb"))
        if args.execute:
            without_addresses(execute(notebook, args.out_dir))
            notebook.metadata["executed"] = {"machine": machine(),
                                             "date": datetime.date.today().isoformat()}
        elif os.path.exists(path):             # keep the outputs of cells that did not change
            old = nbformat.read(path, as_version=4)
            if [c.source for c in old.cells] == [c.source for c in notebook.cells]:
                continue
        with atomic.replace(path, "w") as f:
            nbformat.write(notebook, f)


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
