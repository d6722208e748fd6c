"""Write docs/by_hand.md: one SGD step of the network shrunk to pen-and-paper size, every number
computed by level 4's own functions.

The network is the project's, with 3 inputs instead of 784, 2 tanh hidden units instead of 256 and
2 sigmoid outputs instead of 10: the same formulas, the same loss (a mean over the outputs and the
batch) and the same update, at the default learning rate 1. The step is taken twice from the same
start: on a batch of 1 example, then on a batch of 2. level4_numpy.forward(), loss_fn(),
gradients() and train_step() compute every number; z1 and dL/dz2, dL/dh, dL/dz1, which those
functions keep to themselves, are read from their frames as they return (one_step.locals_of).

    python docs/make_by_hand.py [--out FILE.md]
"""

import argparse
import copy
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import level4_numpy  # noqa: E402
from machinery import atomic  # noqa: E402
from instruments.one_step import locals_of  # noqa: E402

DECIMALS = 4
LR = 1.0
START = {  # small numbers that are easy to multiply by hand; biases zero, as every level starts
    "W1": np.array([[0.1, 0.2], [0.3, -0.1], [-0.2, 0.1]]),
    "b1": np.array([0.0, 0.0]),
    "W2": np.array([[0.5, -0.3], [0.2, 0.4]]),
    "b2": np.array([0.0, 0.0]),
}
BATCHES = {  # x (B x 3) and one-hot y (B x 2)
    1: (np.array([[1.0, 0.0, 2.0]]), np.array([[1.0, 0.0]])),
    2: (np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])),
}
ORDER = ["z1", "h", "z2", "a", "L", "dz2", "dW2", "db2", "dh", "dz1", "dW1", "db1",
         "W1_new", "b1_new", "W2_new", "b2_new"]


def step(x, y):
    """Every quantity of one SGD step from START on (x, y), by level 4's functions."""
    params = copy.deepcopy(START)
    with locals_of(level4_numpy.forward) as inside:
        h, z2, a = level4_numpy.forward(x, params)
    loss = level4_numpy.loss_fn(z2, y)
    with locals_of(level4_numpy.gradients) as back:
        grads = level4_numpy.gradients(x, y, params, h, a)
    level4_numpy.train_step(params, x, y, LR)       # the update, in place, on the copy
    out = {"z1": inside["z1"], "h": h, "z2": z2, "a": a, "L": np.array(loss),
           "dz2": back["dz2"], "dW2": grads["W2"], "db2": grads["b2"], "dh": back["dh"],
           "dz1": back["dz1"], "dW1": grads["W1"], "db1": grads["b1"]}
    out.update({name + "_new": params[name] for name in START})
    return out


def num(value):
    """A number as the page writes it: DECIMALS decimals, a true minus sign."""
    text = f"{value:.{DECIMALS}f}"
    return "0." + "0" * DECIMALS if text == "-0." + "0" * DECIMALS else text


def given(value):
    """An input as written: as short as it is (0.1, 2, -0.2)."""
    return f"{value:g}"


def matrix(a, fmt=num):
    a = np.atleast_2d(a)
    rows = [" & ".join(fmt(v) for v in row) for row in a]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def as_read(value):
    """The numbers as the page shows them, read back: what a reader computes with."""
    return np.vectorize(lambda v: float(num(v)))(value)


def by_reader(q, x, y):
    """Every quantity as a reader recomputes it by hand from the numbers shown before it, rounded
    as they are shown (the start, x and y are shown exactly)."""
    r = {key: as_read(value) for key, value in q.items()}
    W1, b1, W2, b2 = (START[k] for k in ("W1", "b1", "W2", "b2"))
    out = {"z1": x @ W1 + b1, "h": np.tanh(r["z1"]), "z2": r["h"] @ W2 + b2,
           "a": 1 / (1 + np.exp(-r["z2"])),
           "L": np.mean(np.logaddexp(0, r["z2"]) - y * r["z2"]),
           "dz2": (r["a"] - y) / y.size, "dW2": r["h"].T @ r["dz2"], "db2": r["dz2"].sum(axis=0),
           "dh": r["dz2"] @ W2.T, "dz1": r["dh"] * (1 - r["h"] ** 2), "dW1": x.T @ r["dz1"],
           "db1": r["dz1"].sum(axis=0)}
    out.update({name + "_new": START[name] - LR * r["d" + name] for name in START})
    return out


def show(key, label, formula, value, B, reader=None):
    """One quantity: a marker the test reads, then its formula and its numbers. An entry that a
    reader, computing from the rounded numbers shown before it, finds one off in its last digit
    is marked with a dagger, and the reader's result is given below it."""
    value, flagged = np.asarray(value), []
    if reader is not None:
        flagged = [(index, num(reader[index])) for index in np.ndindex(value.shape)
                   if num(reader[index]) != num(value[index])]
    if value.ndim == 0:
        shown = num(value) + (r"^{\dagger}" if flagged else "")
    else:
        cells = np.vectorize(num)(np.atleast_2d(value)).astype(object)
        for index, _ in flagged:
            cells[(0,) + index if value.ndim == 1 else index] += r"^{\dagger}"
        shown = (r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in cells)
                 + r" \end{bmatrix}")
    text = f"<!-- B={B} {key} -->\n$${label} = {formula} = {shown}$$\n"
    for index, theirs in flagged:
        where = "" if value.ndim == 0 else "row {}, column {}".format(
            *(np.add(index, 1) if value.ndim == 2 else (1, index[0] + 1)))
        text += (f"\n† {'Entry at ' + where if where else 'This number'}: from the rounded numbers "
                 f"above, ${theirs}$; the page gives it from the unrounded ones.\n")
    return text


def evaluate(expression):
    """The value of a worked line's arithmetic as written: (a)(b) products, \tanh, \sigma, e^{..}."""
    python = (expression.replace(r"\tanh", "tanh").replace(r"\sigma", "sigmoid")
              .replace(")(", ")*(").replace("^2", "**2"))
    python = re.sub(r"e\^\{([^}]*)\}", r"exp(\1)", python)
    return float(eval(python, {"__builtins__": {}},                    # noqa: S307 (our own text)
                      {"tanh": np.tanh, "exp": np.exp, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}))


def line(name, *expressions, exact, words=""):
    """One worked line: name = expression = ... = result, each expression computed from the
    numbers it shows; when rounding those numbers moves the last digit, the exact value is given."""
    result = evaluate(expressions[-1])
    text = f"${name} = " + " = ".join(expressions) + f" = {num(result)}$"
    if num(result) != num(exact):
        text += f" (from the unrounded numbers: {num(exact)}, as in the matrix)"
    return text + words


def worked(x, q, B):
    """The forward pass of a few entries, as on paper, from the numbers shown."""
    W1, W2, z1, h, z2 = START["W1"], START["W2"], q["z1"], q["h"], q["z2"]
    lines = []
    for i in range(B):
        terms = " + ".join(f"({given(x[i, j])})({given(W1[j, 0])})" for j in range(3))
        lines.append("- " + line(f"(z_1)_{{{i + 1}1}}", f"{terms} + 0", exact=z1[i, 0]) + ", and " +
                     line(f"h_{{{i + 1}1}}", f"\\tanh({num(z1[i, 0])})", exact=h[i, 0]) + ".")
    lines.append("- " + line("(z_2)_{11}", f"({num(h[0, 0])})({given(W2[0, 0])}) + "
                             f"({num(h[0, 1])})({given(W2[1, 0])}) + 0", exact=z2[0, 0]) +
                 ", and " + line("a_{11}", f"\\sigma({num(z2[0, 0])})",
                                 f"1/(1 + e^{{{num(-z2[0, 0])}}})", exact=q["a"][0, 0]) + ".")
    return "\n".join(lines) + "\n"


def worked_back(x, y, q, n):
    """The backward pass of a few entries, as on paper, from the numbers shown."""
    W2, a, h, dz2, dh, dz1 = START["W2"], q["a"], q["h"], q["dz2"], q["dh"], q["dz1"]
    B = len(h)
    rows = range(B)
    lines = []
    for i in rows:
        lines.append("- " + line(f"(\\partial L/\\partial z_2)_{{{i + 1}1}}",
                                 f"({num(a[i, 0])} - {given(y[i, 0])})/{n}", exact=dz2[i, 0]) +
                     " and " + line(f"(\\partial L/\\partial z_2)_{{{i + 1}2}}",
                                    f"({num(a[i, 1])} - {given(y[i, 1])})/{n}", exact=dz2[i, 1]) +
                     ".")
    lines.append("- " + line("(\\partial L/\\partial W_2)_{11}", " + ".join(
        f"({num(h[i, 0])})({num(dz2[i, 0])})" for i in rows), exact=q["dW2"][0, 0],
        words=": " + ("one product, one example." if B == 1 else
                      "one product per example, added.")))
    for i in rows:
        lines.append("- " + line(f"(\\partial L/\\partial h)_{{{i + 1}1}}",
                                 f"({num(dz2[i, 0])})({given(W2[0, 0])}) + "
                                 f"({num(dz2[i, 1])})({given(W2[0, 1])})", exact=dh[i, 0],
                                 words=": row 1 of $W_2$, the weights of hidden unit 1, because "
                                 "$h_{%d1}$ feeds both outputs" % (i + 1)) + ", and " +
                     line(f"(\\partial L/\\partial z_1)_{{{i + 1}1}}",
                          f"({num(dh[i, 0])})(1 - ({num(h[i, 0])})^2)", exact=dz1[i, 0]) + ".")
    lines.append("- " + line("(\\partial L/\\partial W_1)_{31}", " + ".join(
        f"({given(x[i, 2])})({num(dz1[i, 0])})" for i in rows), exact=q["dW1"][2, 0],
        words=(": pixel 3 of the example times its $(\\partial L/\\partial z_1)_{11}$." if B == 1
               else ": pixel 3 of each example times its $(\\partial L/\\partial z_1)_{i1}$, "
               "added.")))
    return "\n".join(lines) + "\n"


def batch_section(B):
    x, y = BATCHES[B]
    q = step(x, y)
    rd = by_reader(q, x, y)
    n = y.size
    parts = [
        f"## A batch of {B}\n",
        f"$x$ is {B} × 3, one row per example, and $y$ its one-hot labels, {B} × 2:\n",
        f"$$x = {matrix(x, given)}, \\qquad y = {matrix(y, given)}$$\n",
        "**Forward pass.** `forward()` computes, row by row of $x$:\n",
        show("z1", "z_1", "x W_1 + b_1", q["z1"], B, rd["z1"]),
        show("h", "h", r"\tanh(z_1)", q["h"], B, rd["h"]),
        show("z2", "z_2", "h W_2 + b_2", q["z2"], B, rd["z2"]),
        show("a", "a", r"\sigma(z_2) = \frac{1}{1 + e^{-z_2}}", q["a"], B, rd["a"]),
        "On paper, a few entries" + (":" if B == 1 else ", each row an example:") + "\n",
        worked(x, q, B),
        f"\n**Loss.** `loss_fn()` averages over the {n} numbers of $z_2$ ({B} × 2), as the "
        "full-size loss averages over $10B$:\n",
        show("L", "L", rf"\frac{{1}}{{{n}}} \sum_{{i,k}} \big[\log(1 + e^{{(z_2)_{{ik}}}}) - "
             r"y_{ik} (z_2)_{ik}\big]", q["L"], B, rd["L"]),
        "**Backward pass.** `gradients()`, line by line. The loss is a mean over "
        f"$2B = {n}$ numbers, so $\\partial L/\\partial z_2$ is $(a - y)/{n}$:\n",
        show("dz2", r"\frac{\partial L}{\partial z_2}", rf"\frac{{a - y}}{{{n}}}", q["dz2"], B, rd["dz2"]),
        show("dW2", r"\frac{\partial L}{\partial W_2}", r"h^\top \frac{\partial L}{\partial z_2}",
             q["dW2"], B, rd["dW2"]),
        "Entry by entry, $(\\partial L/\\partial W_2)_{jk} = \\sum_i h_{ij} "
        "(\\partial L/\\partial z_2)_{ik}$: " + ("with one example, one product." if B == 1 else
                                                 "a sum over the two examples.") + "\n",
        show("db2", r"\frac{\partial L}{\partial b_2}",
             r"\sum_i \Big(\frac{\partial L}{\partial z_2}\Big)_i", q["db2"], B, rd["db2"]),
        show("dh", r"\frac{\partial L}{\partial h}", r"\frac{\partial L}{\partial z_2} W_2^\top",
             q["dh"], B, rd["dh"]),
        show("dz1", r"\frac{\partial L}{\partial z_1}",
             r"\frac{\partial L}{\partial h} \odot (1 - h^2)", q["dz1"], B, rd["dz1"]),
        show("dW1", r"\frac{\partial L}{\partial W_1}", r"x^\top \frac{\partial L}{\partial z_1}",
             q["dW1"], B, rd["dW1"]),
        show("db1", r"\frac{\partial L}{\partial b_1}",
             r"\sum_i \Big(\frac{\partial L}{\partial z_1}\Big)_i", q["db1"], B, rd["db1"]),
        "On paper, the same way:\n",
        worked_back(x, y, q, n),
        "\nA zero pixel gives a zero row: " + (
            "$x_{12} = 0$, so row 2 of $\\partial L/\\partial W_1$ is 0." if B == 1 else
            "no pixel is 0 in both examples, so no row of $\\partial L/\\partial W_1$ is 0.") + "\n",
        f"\n**Update.** `train_step()` subtracts $\\eta = {given(LR)}$ times each gradient:\n",
        show("W1_new", "W_1'", r"W_1 - \eta \frac{\partial L}{\partial W_1}", q["W1_new"], B, rd["W1_new"]),
        show("b1_new", "b_1'", r"b_1 - \eta \frac{\partial L}{\partial b_1}", q["b1_new"], B, rd["b1_new"]),
        show("W2_new", "W_2'", r"W_2 - \eta \frac{\partial L}{\partial W_2}", q["W2_new"], B, rd["W2_new"]),
        show("b2_new", "b_2'", r"b_2 - \eta \frac{\partial L}{\partial b_2}", q["b2_new"], B, rd["b2_new"]),
    ]
    return "\n".join(parts)


def page():
    s = START
    head = f"""# One step by hand: 3 inputs, 2 hidden units, 2 outputs

[Back to the README](../README.md). The project's network has 784 inputs, 256 hidden units and 10
outputs: too many to follow one number. This page takes one SGD step of the same network shrunk
to 3 inputs, 2 tanh hidden units and 2 sigmoid outputs, small enough to check with pen and paper,
first on a batch of 1 example, then on a batch of 2. The formulas are those of the
[README's mathematics](../README.md#2-the-model-and-its-mathematics) and of
[`level4_numpy.py`](../level4_numpy.py), in the order level 4 computes them; the loss is again a
mean over the outputs and the batch, here $2B$ numbers instead of $10B$, and the learning rate is
the default, $\\eta = {given(LR)}$.

Every number below was computed by level 4's own functions (`forward()`, `loss_fn()`,
`gradients()`, `train_step()`) on these arrays, in float64, and is shown to {DECIMALS} decimals;
[`make_by_hand.py`](make_by_hand.py) writes this page, and a test recomputes every number on it.
The quantities that level 4's functions keep to themselves ($z_1$, $\\partial L/\\partial z_2$,
$\\partial L/\\partial h$, $\\partial L/\\partial z_1$) are read from inside them as they return.
Each worked line computes its result from the rounded numbers it shows, as you would by hand;
where that moves the last digit, the line also gives the result from the unrounded numbers,
which is the one in the matrix. Where an entry of a matrix, recomputed the same way from the
rounded numbers above it, ends in another digit, it carries a dagger, †, and the number you would
get is given below it.

## The start

$W_1$ is 3 × 2 (input to hidden), $W_2$ is 2 × 2 (hidden to output); the biases start at zero, as
at every level. The weights are round numbers rather than a Glorot draw, so that the products can
be done in one's head:

$$W_1 = {matrix(s["W1"], given)}, \\quad b_1 = {matrix(s["b1"], given)}, \\quad
W_2 = {matrix(s["W2"], given)}, \\quad b_2 = {matrix(s["b2"], given)}$$

"""
    tail = """
## What changed from a batch of 1 to a batch of 2

- The forward pass is the same row by row: the first row of each quantity is the batch of 1's.
- The loss averages over 4 numbers instead of 2, so each entry of $\\partial L/\\partial z_2$ is
  divided by 4 instead of 2.
- $\\partial L/\\partial W_1$, $\\partial L/\\partial b_1$, $\\partial L/\\partial W_2$ and
  $\\partial L/\\partial b_2$ add up the two examples' shares: that is what the matrix products
  $h^\\top \\partial L/\\partial z_2$ and $x^\\top \\partial L/\\partial z_1$, and the column sums,
  do. With the mean's $1/(2B)$, each gradient is an average over the batch, not a total: a batch
  of 32 does not take 32 times larger steps.

At full size the same lines run with $x$ of 32 × 784: [`docs/one_step.md`](one_step.md) prints one
such step at every level.
"""
    return head + batch_section(1) + "\n" + batch_section(2) + tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "by_hand.md"), metavar="FILE.md",
                        help="where to write the page (default: docs/by_hand.md)")
    args = parser.parse_args(argv)
    with atomic.replace(args.out, "w") as f:
        f.write(page())


if __name__ == "__main__":
    main()
