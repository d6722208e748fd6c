"""inside.py: what Keras, PyTorch and level 3½'s engine build for one step, and its pictures."""

import ast
import collections
import inspect
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from instruments import graphs
from conftest import ROOT, offline_env, run_script


PAGE = os.path.join(ROOT, "docs", "inside.md")


@pytest.fixture(scope="module")
def inside_run(mnist_dir, tmp_path_factory):
    """inside.py with its defaults (B = 4, H = 5, float32) on the tests' small data."""
    folder = tmp_path_factory.mktemp("inside")
    out = folder / "inside.json"
    done = run_script("instruments/inside.py", "--data-dir", mnist_dir, "--json-out", out, home=folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""                               # no TensorFlow log, no warnings
    return done.stdout, json.loads(out.read_text())


# ---------------------------------------------------------------------------------------------
# PyTorch: the nodes that level 3's code implies, derived from its source
# ---------------------------------------------------------------------------------------------
OPERATORS = {ast.MatMult: "MmBackward0", ast.Add: "AddBackward0", ast.Sub: "SubBackward0",
             ast.Mult: "MulBackward0"}
CALLS = {"tanh": "TanhBackward0", "sigmoid": "SigmoidBackward0",
         "logaddexp": "LogaddexpBackward0", "mean": "MeanBackward0"}
CONSTANTS = {"zeros_like"}                     # makes a tensor that needs no gradient


def expected_nodes():
    """The autograd nodes level 3's forward() and loss_fn() imply, read from their source: one per
    operation whose result the loss depends on (a = sigmoid(z2) is returned, not used by the
    loss), plus one AccumulateGrad per parameter."""
    import level3_autograd
    assignments = []                           # (variable, its expression), in order
    for function in (level3_autograd.forward, level3_autograd.loss_fn):
        tree = ast.parse(inspect.getsource(function))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                assignments.append((node.targets[0].id, node.value))
            elif isinstance(node, ast.Return) and function is level3_autograd.loss_fn:
                assignments.append(("loss", node.value))
    needed, wanted = set(), ["loss"]           # the variables the loss is computed from
    while wanted:
        name = wanted.pop()
        for variable, value in assignments:
            if variable == name and name not in needed:
                needed.add(name)
                wanted += [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]
    counts = collections.Counter()
    for variable, value in assignments:
        if variable not in needed:
            continue
        for node in ast.walk(value):
            if isinstance(node, ast.BinOp):
                counts[OPERATORS[type(node.op)]] += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr not in CONSTANTS:
                    counts[CALLS[node.func.attr]] += 1
    counts["AccumulateGrad"] = 4                # W1, b1, W2, b2: the leaves
    return counts


def test_pytorch_graph_has_the_nodes_level_3_implies(inside_run):
    stdout, data = inside_run
    nodes = data["torch"]["nodes"]
    assert collections.Counter(n["name"] for n in nodes) == expected_nodes()
    assert sorted(n["leaf"] for n in nodes if n["kind"] == "leaf") == ["W1", "W2", "b1", "b2"]
    assert [n["name"] for n in data["torch"]["unreached"]] == ["SigmoidBackward0"]
    first = next(n for n in nodes if n["name"] == "MmBackward0" and n["var"] == "z1")
    assert [label for _, label, _ in first["saved"]] == ["x"]   # x W1 saves x, not W1
    assert first["next"][0] is None                           # x needs no gradient
    assert first["level4"] == ["dW1"]
    assert f"{len(nodes)} nodes:" in stdout


def test_engine_graph_matches_pytorchs_node_for_node(inside_run):
    stdout, data = inside_run
    torch_nodes, engine_nodes = data["torch"]["nodes"], data["engine"]["nodes"]
    assert [n["kind"] for n in engine_nodes] == [n["kind"] for n in torch_nodes]
    assert [n["next"] for n in engine_nodes] == [n["next"] for n in torch_nodes]
    assert [n["name"] for n in data["engine"]["unreached"]] == ["sigmoid"]
    # Where they differ, as docs/inside.md says: the engine's closures keep both factors of x W1
    product = next(n for n in engine_nodes if n["kind"] == "matmul" and n["var"] == "z1")
    assert sorted(label for _, label, _ in product["saved"]) == ["W1", "x"]
    mean = engine_nodes[0]
    assert mean["kind"] == "mean" and mean["saved"]           # PyTorch's mean saves no tensor
    assert not torch_nodes[0]["saved"]
    assert all(data["engine"]["second_backward_doubles"].values())
    assert "the same kinds in the same order as PyTorch's 13: True" in stdout


def test_a_second_backward_raises_and_retain_graph_doubles_every_grad():
    """Level 3's own step, here: what docs/inside.md says of the graph's lifetime."""
    import numpy as np
    import torch

    import level3_autograd
    params = level3_autograd.init_params(5, torch.Generator().manual_seed(0), torch.float64)
    params = {k: p.requires_grad_() for k, p in params.items()}
    x = torch.rand((4, 784), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.eye(10, dtype=torch.float64)[[3, 1, 4, 1]]
    loss = level3_autograd.loss_fn(level3_autograd.forward(x, params)[0], y)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    for p in params.values():
        p.grad = None
    loss = level3_autograd.loss_fn(level3_autograd.forward(x, params)[0], y)
    loss.backward(retain_graph=True)
    once = {k: p.grad.clone() for k, p in params.items()}
    loss.backward()
    for name, p in params.items():
        assert torch.equal(p.grad, 2 * once[name]), name
        assert float(np.abs(once[name].numpy()).max()) > 0, name


def test_lifetime_and_bytes_in_the_report(inside_run):
    stdout, data = inside_run
    life = data["torch"]["lifetime"]
    assert "backward through the graph a second time" in life["second_backward"]
    assert "retain_graph=True" in life["saved_after_backward"]
    assert all(life["retain_graph_doubles"].values())
    sizes = data["torch"]["saved_bytes"]
    assert [s["batch"] for s in sizes] == [32, 256, 2048]
    for s in sizes:                            # float32: x, h, W2, a, z2, zeros, y
        b, h = s["batch"], s["hidden"]
        assert s["bytes"] == 4 * (b * 784 + b * h + h * 10 + 4 * b * 10), s
        assert s["intermediate_bytes"] == 4 * (b * h + 3 * b * 10), s


# ---------------------------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------------------------
def group_types(data, group):
    return collections.Counter(op["type"] for op in data["keras"]["graph"]["ops"]
                               if op["group"] == group)


def test_keras_graph_holds_forward_gradient_and_four_updates(inside_run):
    stdout, data = inside_run
    keras = data["keras"]
    assert keras["after_compile"]["train_function"] == "None"
    forward = group_types(data, "forward")
    assert {k: forward[k] for k in ("MatMul", "BiasAdd", "Tanh", "Sigmoid")} == \
        {"MatMul": 2, "BiasAdd": 2, "Tanh": 1, "Sigmoid": 1}
    gradient = group_types(data, "gradient")
    assert gradient["TanhGrad"] == 1 and gradient["BiasAddGrad"] == 2
    assert gradient["MatMul"] == 3 and gradient["AddN"] == 1
    updates = [op["variable"] for op in keras["graph"]["ops"]
               if op["type"] == "AssignSubVariableOp"]
    assert sorted(updates) == ["W1", "W2", "b1", "b2"]
    dW1 = [op for op in keras["graph"]["ops"] if op["level4"] == ["dW1"]]
    assert len(dW1) == 1 and dW1[0]["inputs"] == ["x", "dz1"] and dW1[0]["shape"] == [[784, 5]]
    assert keras["first_fit"]["python_runs"] == 1 and keras["first_fit"]["steps"] == 6
    assert keras["steps_per_execution"]["1"] == {"steps": 6, "calls": 6, "python_runs": 1}
    assert keras["steps_per_execution"]["50"] == {"steps": 6, "calls": 2, "python_runs": 1}
    assert f"{len(keras['graph']['ops'])} operations." in stdout


def test_another_activation_changes_the_keras_graph(inside_run, tmp_path):
    """Level 1's model with ReLU in the hidden layer: the traced graph follows the model."""
    code = f"""
import json, sys
sys.path.insert(0, {ROOT!r})
import numpy as np
import keras
import level1_keras, level4_numpy
from instruments.graphs import keras_graph

original = keras.layers.Dense
def dense(units, activation=None, **kw):
    return original(units, activation="relu" if activation == "tanh" else activation, **kw)
keras.layers.Dense = dense
start = {{k: v.astype("float32") for k, v in
         level4_numpy.init_params(5, np.random.default_rng(0), np.float64).items()}}
x = np.random.default_rng(1).random((12, 784)).astype("float32")
y = np.eye(10, dtype="float32")[np.arange(12) % 10]
print(json.dumps(keras_graph.describe(x, y, start, 1.0, "float32")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=offline_env(tmp_path), cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    relu = {"keras": json.loads(done.stdout)}
    assert group_types(relu, "forward")["Relu"] == 1 and group_types(relu, "forward")["Tanh"] == 0
    assert group_types(relu, "gradient")["ReluGrad"] == 1
    assert group_types(relu, "gradient")["TanhGrad"] == 0
    assert group_types(inside_run[1], "forward")["Relu"] == 0


# ---------------------------------------------------------------------------------------------
# The page, the pictures, the lines of level 4, the command line
# ---------------------------------------------------------------------------------------------
def test_every_level4_line_is_where_the_report_says():
    for key in graphs.LEVEL4:
        number, code = graphs.level4_line(key)
        line = open(os.path.join(ROOT, "level4_numpy.py")).read().splitlines()[number - 1]
        assert line.strip().startswith(code), key


def test_the_pages_counts_are_those_inside_py_prints(inside_run):
    """docs/inside.md's table of operation counts and its node counts match a run."""
    stdout, data = inside_run
    page = open(PAGE, encoding="utf-8").read()
    table = re.search(r"\| group \| all \| computing \|.*?\n\n", page, re.S).group(0)
    rows = {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^\| (\w+) \| (\d+) \| (\d+) \|", table, re.M)}
    counts = {}
    for op in data["keras"]["graph"]["ops"]:
        total, computing = counts.get(op["group"], (0, 0))
        counts[op["group"]] = (total + 1, computing + (op["type"] not in
                                                        ("Const", "Placeholder", "ReadVariableOp",
                                                         "Identity", "IdentityN", "NoOp")))
    assert rows == counts
    assert f"{len(data['keras']['graph']['ops'])} operations" in page
    quoted = re.findall(r"([\d,]+) bytes at batch ([\d,]+)", page)
    assert quoted                                          # the page quotes the saved bytes
    saved = {size["batch"]: size["bytes"] for size in data["torch"]["saved_bytes"]}
    for size, batch in quoted:
        assert int(size.replace(",", "")) == saved[int(batch.replace(",", ""))], (size, batch)


def test_the_committed_graph_sources_are_fresh(inside_run):
    """docs/inside_*.gv are what docs/draw_inside.py makes of a run now (Graphviz's dot is not
    needed for this: only for the pictures)."""
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    import draw_inside
    for name, source in draw_inside.sources(inside_run[1]).items():
        committed = open(os.path.join(ROOT, "docs", name + ".gv"), encoding="utf-8").read()
        assert source == committed, f"docs/{name}.gv is stale: run python docs/draw_inside.py"


def test_the_picture_script_draws(inside_run, tmp_path):
    if not shutil.which("dot"):
        if os.environ.get("LEVELS_REQUIRE_GRAPHVIZ"):
            pytest.fail("Graphviz's dot is not installed, and LEVELS_REQUIRE_GRAPHVIZ is set")
        pytest.skip("Graphviz's dot program is not installed (Debian: apt install graphviz)")
    data = tmp_path / "inside.json"
    data.write_text(json.dumps(inside_run[1]))
    done = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "draw_inside.py"),
                           "--from-json", data, "--out-dir", tmp_path], capture_output=True,
                          text=True, env=offline_env(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("inside_autograd", "inside_keras"):
        assert (tmp_path / (name + ".png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / (name + ".gv")).read_text().startswith("digraph " + name)


def test_help_and_bad_flags(mnist_dir, tmp_path):
    done = run_script("instruments/inside.py", "--help", home=tmp_path)
    assert done.returncode == 0 and "Inside the frameworks" in done.stdout
    assert "--arrays-in" not in done.stdout and "--part" not in done.stdout
    for flags, code, message in [
            (["--batch-size", "0"], 2, "--batch-size: must be a positive whole number"),
            (["--batch-size", "600"], 2, "needs 1800 training images"),
            (["--json-out", tmp_path / "no" / "such.json"], 2, "--json-out"),
            (["--data-dir", tmp_path / "missing"], 1, "does not exist")]:
        args = ["--data-dir", mnist_dir] + [str(f) for f in flags] if "--data-dir" not in flags \
            else [str(f) for f in flags]
        done = run_script("instruments/inside.py", *args, home=tmp_path)
        assert done.returncode == code, (flags, done.stderr)
        assert message in done.stderr, (flags, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stdout == ""
