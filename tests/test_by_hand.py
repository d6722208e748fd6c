"""docs/by_hand.md: one step of the network at pen-and-paper size. Every number on the page is
recomputed here with level 4's own functions, from the page's own inputs, to the digits shown."""

import copy
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, ROOT)
import level4_numpy  # noqa: E402
from instruments.one_step import locals_of  # noqa: E402

PAGE = os.path.join(ROOT, "docs", "by_hand.md")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def text():
    return open(PAGE, encoding="utf-8").read()


def matrix_after(label, source):
    """The matrix of `$$... label = \\begin{bmatrix}...` (the first after the label) as an array."""
    m = re.search(re.escape(label) + r" = \\begin\{bmatrix\} (.*?) \\end\{bmatrix\}", source)
    assert m, label
    return np.array([[float(v) for v in row.split("&")] for row in m.group(1).split(r"\\")])


def shown(source):
    """{(B, key): (the numbers shown, their decimals)} from the page's <!-- B=k key --> blocks."""
    out = {}
    for m in re.finditer(r"<!-- B=(\d) (\w+) -->\n\$\$(.*?)\$\$", source):
        value = m.group(3).rsplit(" = ", 1)[1]
        out[int(m.group(1)), m.group(2)] = [v for v in NUMBER.findall(value)]
    return out


def recomputed(start, x, y, lr):
    params = copy.deepcopy(start)
    with locals_of(level4_numpy.forward) as inside:
        h, z2, a = level4_numpy.forward(x, params)
    loss = level4_numpy.loss_fn(z2, y)
    with locals_of(level4_numpy.gradients) as back:
        grads = level4_numpy.gradients(x, y, params, h, a)
    level4_numpy.train_step(params, x, y, lr)
    out = {"z1": inside["z1"], "h": h, "z2": z2, "a": a, "L": loss, "dz2": back["dz2"],
           "dW2": grads["W2"], "db2": grads["b2"], "dh": back["dh"], "dz1": back["dz1"],
           "dW1": grads["W1"], "db1": grads["b1"]}
    out.update({name + "_new": params[name] for name in start})
    return out


def page_inputs(source):
    start_part = source.split("## The start")[1].split("## A batch of 1")[0]
    start = {name: matrix_after(name[0] + "_" + name[1], start_part) for name in
             ("W1", "b1", "W2", "b2")}
    start["b1"], start["b2"] = start["b1"][0], start["b2"][0]
    lr = float(re.search(r"\\eta = (\d+(?:\.\d+)?)\$", source).group(1))
    batches = {}
    for B in (1, 2):
        part = source.split(f"## A batch of {B}")[1]
        batches[B] = (matrix_after("x", part), matrix_after("y", part))
    return start, batches, lr


def test_the_page_is_the_generators_output(tmp_path):
    out = tmp_path / "by_hand.md"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "make_by_hand.py"),
                           "--out", out], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert out.read_text() == text(), "docs/by_hand.md is stale: run python docs/make_by_hand.py"


def test_every_quantity_on_the_page_is_level_4s_to_the_digits_shown():
    source = text()
    start, batches, lr = page_inputs(source)
    assert start["W1"].shape == (3, 2) and start["W2"].shape == (2, 2)    # pen-and-paper size
    assert batches[1][0].shape == (1, 3) and batches[2][0].shape == (2, 3)
    blocks = shown(source)
    order = ["z1", "h", "z2", "a", "L", "dz2", "dW2", "db2", "dh", "dz1", "dW1", "db1",
             "W1_new", "b1_new", "W2_new", "b2_new"]
    for B, (x, y) in batches.items():
        keys = [key for b, key in blocks if b == B]
        assert keys == order, keys                      # every quantity, in level 4's order
        exact = recomputed(start, x, y, lr)
        for key in order:
            numbers = blocks[B, key]
            value = np.atleast_1d(exact[key]).ravel()
            assert len(numbers) == value.size, (B, key)
            for written, v in zip(numbers, value):
                decimals = len(written.split(".")[1]) if "." in written else 0
                assert abs(float(written) - v) <= 0.5 * 10 ** -decimals + 1e-12, (B, key, written, v)


def arithmetic(expression):
    r"""A worked line's expression as Python: (a)(b) is a product, \tanh, \sigma and e^{...}."""
    python = expression.replace(r"\tanh", "np.tanh").replace(r"\sigma", "sigma")
    python = re.sub(r"e\^\{([^}]*)\}", r"np.exp(\1)", python).replace(")(", ")*(")
    return eval(python.replace("^2", "**2"), {"np": np, "sigma": lambda z: 1 / (1 + np.exp(-z))})


def test_every_worked_line_is_right_from_the_numbers_it_shows():
    """Each pen-and-paper line: every expression in its chain equals its result, to the digits
    shown; its operands are inputs or entries of the step; a result that rounding moved names the
    matrix's value, which is level 4's."""
    source = text()
    start, batches, lr = page_inputs(source)
    entries = set()
    for x, y in batches.values():
        for value in recomputed(start, x, y, lr).values():
            entries.update(f"{v:.4f}" for v in np.ravel(value))
            entries.update(f"{-v:.4f}" for v in np.ravel(value))
    inputs = {float(v) for a in list(start.values()) + [a for xy in batches.values() for a in xy]
              for v in np.ravel(a)} | {0.0, 1.0} | {2.0 * B for B in batches}
    worked = [line for line in source.splitlines() if line.startswith("- $(")]
    assert len(worked) >= 14
    for line in worked:
        for chain in re.findall(r"\$([^$]*)\$", line):
            parts = chain.split(" = ")[1:]             # the symbol, then expressions, the result
            if len(parts) < 2:
                continue
            result = float(parts[-1])
            for expression in parts[:-1]:
                assert abs(arithmetic(expression) - result) <= 0.5e-4 + 1e-12, (expression, line)
            for written in NUMBER.findall(re.sub(r"e\^\{[^}]*\}", "", " ".join(parts[:-1]))):
                assert written in entries or float(written) in inputs, (written, line)
        moved = re.search(r"from the unrounded numbers: (-?\d\.\d{4})", line)
        if moved:
            assert moved.group(1) in entries, line


def page_matrices(source, B):
    """{key: (the numbers shown as an array, the set of flagged (row, column), from 0)} of the
    batch of B, as a reader sees them."""
    out = {}
    for m in re.finditer(r"<!-- B=(\d) (\w+) -->\n\$\$(.*?)\$\$", source):
        if int(m.group(1)) != B:
            continue
        value = m.group(3).rsplit(" = ", 1)[1]
        body = re.sub(r"\\(begin|end)\{bmatrix\}", "", value)
        rows = [row.split("&") for row in body.split(r"\\")]
        numbers = np.array([[float(NUMBER.search(c).group()) for c in row] for row in rows])
        flagged = {(i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if "dagger" in c}
        out[m.group(2)] = (numbers, flagged)
    return out


@pytest.mark.parametrize("B", [1, 2])
def test_a_reader_recomputing_each_entry_from_the_numbers_shown_gets_it_or_is_told(B):
    """As a reader checks the page: each matrix from the rounded numbers shown above it (the
    start, x and y exactly). Every entry comes out as shown, or carries a dagger and the note
    under its matrix gives what the reader gets."""
    source = text()
    start, batches, lr = page_inputs(source)
    x, y = batches[B]
    shown_ = page_matrices(source, B)
    r = {key: value for key, (value, _) in shown_.items()}
    W1, b1, W2, b2 = start["W1"], start["b1"], start["W2"], start["b2"]
    reader = {"z1": x @ W1 + b1, "h": np.tanh(r["z1"]), "z2": r["h"] @ W2 + b2,
              "a": 1 / (1 + np.exp(-r["z2"])),
              "L": np.mean(np.logaddexp(0, r["z2"]) - y * r["z2"]),
              "dz2": (r["a"] - y) / y.size, "dW2": r["h"].T @ r["dz2"],
              "db2": r["dz2"].sum(axis=0), "dh": r["dz2"] @ W2.T,
              "dz1": r["dh"] * (1 - r["h"] ** 2), "dW1": x.T @ r["dz1"],
              "db1": r["dz1"].sum(axis=0)}
    for name in ("W1", "b1", "W2", "b2"):
        reader[name + "_new"] = start[name] - lr * r["d" + name]
    part = source.split(f"## A batch of {B}")[1].split("## ")[0]
    notes = re.findall(r"^† Entry at row (\d), column (\d): from the rounded numbers above, "
                       r"\$(-?\d\.\d{4})\$", part, re.M)
    told = [(int(i) - 1, int(j) - 1, v) for i, j, v in notes]
    expected = []
    for key, (numbers, flagged) in shown_.items():
        mine = np.atleast_2d(reader[key])
        for index in np.ndindex(numbers.shape):
            gets = f"{mine[index]:.4f}".replace("-0.0000", "0.0000")
            if abs(float(gets) - numbers[index]) > 1e-9:
                assert index in flagged, (key, index, gets, numbers[index])
                expected.append((*index, gets))
            else:
                assert index not in flagged, (key, index)
    assert told == expected


def test_the_readme_points_to_the_page_before_the_derivation():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    link = readme.find("(docs/by_hand.md)")
    assert 0 < link < readme.find("**Backward pass, one entry at a time.**")


@pytest.mark.parametrize("change,check", [
    ("= \\begin{bmatrix} 0.4826 & 0.5596", "quantities"),     # a matrix entry
    ("0.7743$$", "quantities"),                                # the loss
    ("= -0.1067$", "worked"),                                   # a worked line's result
    ("(0.1281)(0.5)", "worked"),                                # a worked line's operand
    ("0.0264^{\\dagger}", "reader"),                            # a flagged entry, unflagged
])
def test_a_wrong_number_is_caught(tmp_path, monkeypatch, change, check):
    """The checks can fail: one digit changed on a copy of the page."""
    source = text()
    assert change in source
    digit = re.search(r"\d(?=\D*$)", change)
    changed = change[:digit.start()] + str((int(digit.group()) + 3) % 10) + change[digit.end():]
    if check == "reader":
        changed = change.replace("^{\\dagger}", "")
    copy_path = tmp_path / "by_hand.md"
    copy_path.write_text(source.replace(change, changed, 1))
    monkeypatch.setattr(sys.modules[__name__], "PAGE", str(copy_path))
    with pytest.raises(AssertionError):
        if check == "quantities":
            test_every_quantity_on_the_page_is_level_4s_to_the_digits_shown()
        elif check == "reader":
            test_a_reader_recomputing_each_entry_from_the_numbers_shown_gets_it_or_is_told(2)
        else:
            test_every_worked_line_is_right_from_the_numbers_it_shows()
