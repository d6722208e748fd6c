"""Draw the graphs that inside.py reads out: docs/inside_autograd.png and docs/inside_keras.png.

* inside_autograd.png: the graph PyTorch's autograd records for level 3's step (loss.grad_fn and
  its next_functions), beside the one level 3½'s engine records (each Tensor's parents). A box is
  an operation with what it saved for the backward pass; an arrow is a tensor, with its shape,
  going from the operation that made it to the one that uses it.
* inside_keras.png: the computing operations of the graph fit() traced from Keras's train_step,
  in groups: forward, loss, gradient (added by GradientTape), update. The plumbing (constants,
  variable reads, identities) and the metrics are left out; inside.py counts them.

The drawing is done by Graphviz's `dot` program (Debian: apt install graphviz), through the
`graphviz` Python package. The DOT sources are written beside the pictures (.gv).

    python docs/draw_inside.py --data-dir PATH/TO/MNIST
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402

NAMES = ("inside_autograd", "inside_keras")
OPERATION, LEAF, INPUT = "#dbe8f6", "#fff2cc", "#eeeeee"
GROUP_COLORS = {"forward": "#dbe8f6", "loss": "#e8e0f4", "gradient": "#f8dcdc",
                "update": "#e2f0d9"}
PLUMBING = {"Const", "Placeholder", "ReadVariableOp", "Identity", "IdentityN", "NoOp"}


def shape_text(shape):
    return "\u00d7".join(str(n) for n in shape) if shape else "scalar"


def autograd_source(data):
    """The DOT source of PyTorch's graph beside the engine's."""
    import graphviz
    graph = graphviz.Digraph("inside_autograd", graph_attr={
        "rankdir": "BT", "dpi": "80", "fontname": "Helvetica", "fontsize": "13", "nodesep": "0.25",
        "label": "One step's recorded graph (B = {}, H = {}): arrows run forward, from an "
                 "operation's inputs to it; backward() walks them the other way.".format(
                     data["torch"]["batch"], data["torch"]["hidden"]),
        "labelloc": "t"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "10"}, edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    for prefix, part, title in [("t", data["torch"], "PyTorch, level 3: walked from "
                                 "loss.grad_fn through next_functions; box: saved tensors"),
                                ("e", data["engine"], "Own engine, level 3½: walked from "
                                 "loss through Tensor.parents; box: what its closures keep")]:
        with graph.subgraph(name="cluster_" + prefix) as sub:
            sub.attr(label=title, style="rounded", color="#888888")
            nodes = {n["id"]: n for n in part["nodes"]}
            for node in part["nodes"]:
                name = node["name"] if prefix == "t" else node["kind"]
                if node["kind"] == "leaf":
                    label = f"{name}\n{node['leaf']} ({shape_text(node['shape'])})"
                    sub.node(f"{prefix}{node['id']}", label, fillcolor=LEAF)
                    continue
                saved = "\n".join(f"{label} ({shape_text(shape)})" for _, label, shape in
                                  node["saved"]) or "no tensor"
                line = node["line"][1]
                sub.node(f"{prefix}{node['id']}", f"{name}\n{line}\n\u2014\n{saved}",
                         fillcolor=OPERATION)
            for node in part["nodes"]:
                for i, child in enumerate(node["next"]):
                    if child is None:
                        none = f"{prefix}{node['id']}_none{i}"
                        sub.node(none, "no gradient", shape="plaintext", style="",
                                 fontcolor="#777777")
                        sub.edge(none, f"{prefix}{node['id']}", style="dashed", color="#999999")
                    else:
                        sub.edge(f"{prefix}{child}", f"{prefix}{node['id']}",
                                 label=shape_text(nodes[child]["shape"]))
    return graph.source


def keras_source(data):
    """The DOT source of the traced step's computing operations, grouped."""
    import graphviz
    keras = data["keras"]
    ops = keras["graph"]["ops"]
    by_name = {op["name"]: op for op in ops}

    def drawn(op):                             # the box an operation is drawn in, or None
        if op["type"] in PLUMBING or op["group"] == "metrics":
            return None
        if op["group"] == "loss":
            return "loss"
        if op["group"] == "gradient" and op["level4"] == ["dz2"] and op["type"] != "AddN":
            return "dloss"
        return op["name"]

    def count(test):
        return sum(1 for op in ops if op["type"] not in PLUMBING and test(op))

    graph = graphviz.Digraph("inside_keras", graph_attr={
        "rankdir": "TB", "dpi": "80", "fontname": "Helvetica", "fontsize": "13", "nodesep": "0.3",
        "label": f"The graph fit() traced from Keras's train_step (B = {keras['batch']}, "
                 f"H = {keras['hidden']}): its computing operations; "
                 f"{count(lambda op: op['group'] == 'metrics')} more compute the metrics "
                 "(not drawn)", "labelloc": "t"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "10"}, edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    shapes = {"x": keras["graph"]["inputs"]["x"], "y": keras["graph"]["inputs"]["y"]}
    groups = {name: [] for name in GROUP_COLORS}
    for op in ops:
        box = drawn(op)
        if box and box == op["name"]:
            groups[op["group"]].append(op)
    titles = {"forward": "forward: model(x)", "loss": "loss",
              "gradient": "gradient: added by GradientTape", "update": "update: the optimizer"}
    for group, members in groups.items():
        with graph.subgraph(name="cluster_" + group) as sub:
            sub.attr(label=titles[group], style="rounded", color="#888888")
            if group == "loss":
                sub.node("loss", f"{count(lambda op: op['group'] == 'loss')} operations\n"
                         "BinaryCrossentropy of z2", fillcolor=GROUP_COLORS[group])
            if group == "gradient":
                kinds = count(lambda op: drawn(op) == "dloss")
                sub.node("dloss", f"{kinds} operations\nthe loss's gradient",
                         fillcolor=GROUP_COLORS[group])
            for op in members:
                quantity = ", ".join(op["level4"]) if op["level4"] and op["group"] != "update" \
                    else ""
                if op["type"] == "AssignSubVariableOp":
                    label = f"AssignSubVariableOp\n{op['variable']} -= \u2026"
                elif op["type"] == "MatMul" and group == "forward":   # a product, before + b
                    label = "MatMul\n" + {"z1": "x W1", "z2": "h W2"}[quantity]
                else:
                    label = op["type"] + (f"\n= {quantity}" if quantity else "")
                sub.node(op["name"], label, fillcolor=GROUP_COLORS[group])
    sources = set()
    edges = set()
    for op in ops:
        target = drawn(op)
        if not target:
            continue
        for origin in op["from"]:
            if origin in by_name:
                start = drawn(by_name[origin])
                if not start or start == target:
                    continue
                shape = by_name[origin]["shape"][0] if by_name[origin]["shape"] else []
            else:                              # a variable or the batch
                start, shape = origin, shapes.get(origin)
                sources.add(origin)
            if (start, target) not in edges:
                edges.add((start, target))
                graph.edge(start, target, label=shape_text(shape) if shape is not None else "")
    for source in sorted(sources):
        graph.node(source, source, shape="ellipse", fillcolor=LEAF if source != "x" and
                   source != "y" else INPUT)
    return graph.source


def render(source, path):
    """The PNG of a DOT source, written whole to `path`."""
    import graphviz
    try:
        png = graphviz.Source(source).pipe(format="png")
    except graphviz.ExecutableNotFound:
        raise UserError("Graphviz's dot program is not installed (Debian: apt install "
                        "graphviz); the .gv sources were written.") from None
    with atomic.replace(path) as f:
        f.write(png)


def inside_json(data_dir):
    """Run inside.py and read its --json-out."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "inside.json")
        command = [sys.executable, os.path.join(ROOT, "inside.py"), "--json-out", out]
        if data_dir:
            command += ["--data-dir", data_dir]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError("inside.py failed: " + done.stderr.strip().splitlines()[-1])
        with open(out) as f:
            return json.load(f)


def sources(data):
    return {"inside_autograd": autograd_source(data), "inside_keras": keras_source(data)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR") or None,
                        help="the MNIST folder for inside.py (default: $MNIST_DIR if set)")
    parser.add_argument("--from-json", metavar="FILE",
                        help="draw from this --json-out of inside.py instead of running it")
    parser.add_argument("--out-dir", default=HERE, metavar="DIR",
                        help="where to write the .gv and .png files (default: docs/)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.out_dir):
        parser.error(f"--out-dir {args.out_dir}: no such folder")
    if args.from_json:
        try:
            with open(args.from_json) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            why = e.strerror if isinstance(e, OSError) else "not JSON"
            raise UserError(f"--from-json {args.from_json}: cannot be read ({why}).") from None
    else:
        data = inside_json(args.data_dir)
    for name, source in sources(data).items():
        with atomic.replace(os.path.join(args.out_dir, name + ".gv"), "w") as f:
            f.write(source)
        render(source, os.path.join(args.out_dir, name + ".png"))


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
