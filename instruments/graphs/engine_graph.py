"""Level 3½: the graph its engine records, read from the engine's own Tensor objects.

The engine records results rather than functions: each Tensor made by an operation holds its
`parents` and, for each parent, a closure `vjps[i]` that carries a gradient back to it. What a
closure keeps (its free variables) is what the engine saves for the backward pass. The node's
kind is the function that made the closure: `Tensor.__matmul__.<locals>.<lambda>` -> 'matmul'.

The line of level3b_own_autograd.py that made each Tensor is read as the engine's record()
returns (sys.setprofile, as one_step.py reads local variables), without changing the engine.
"""

import contextlib
import sys

import numpy as np

from instruments import graphs


def engine_kind(tensor):
    """'matmul', 'add', 'tanh', ... from the closures; 'leaf' for a parameter."""
    if not tensor.parents:
        return "leaf"
    made_by = tensor.vjps[0].__qualname__.split(".<locals>")[0]      # 'Tensor.__matmul__', 'tanh'
    return made_by.split(".")[-1].strip("_")


@contextlib.contextmanager
def lines_of_records(level):
    """{id(tensor): (line number, code, tensor, what)} for every Tensor that record() or
    zeros_like() returns while the with-block runs, the line being that of forward() or loss_fn()
    which asked for it, `what` the operation."""
    import inspect
    source = inspect.getsource(level).splitlines()
    made = {}

    def profile(frame, event, arg):
        if event == "return" and frame.f_code in (level.record.__code__,
                                                  level.zeros_like.__code__):
            caller = frame.f_back
            while caller and caller.f_code not in (level.forward.__code__, level.loss_fn.__code__):
                caller = caller.f_back
            if caller:
                what = "zeros_like" if frame.f_code is level.zeros_like.__code__ else \
                    engine_kind(arg)
                made[id(arg)] = (caller.f_lineno, source[caller.f_lineno - 1].split("  #")[0]
                                 .strip(), arg, what)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield made
    finally:
        sys.setprofile(previous)


def describe(x, y, start, lr):
    """Level 3½'s graph for one step on (x, y) from `start`, and what a second backward() does."""
    import level3b_own_autograd as level

    def leaves():
        return {name: level.Tensor(p.copy(), requires_grad=True) for name, p in start.items()}

    x, y = level.Tensor(x), level.Tensor(y)
    params = leaves()
    with lines_of_records(level) as made:
        z2, a = level.forward(x, params)
        loss = level.loss_fn(z2, y)

    names = {id(x): "x", id(y): "y"}
    names.update({id(p): name for name, p in params.items()})
    last_of_line = {}
    for key, (number, code, tensor, what) in made.items():
        last_of_line[number] = key
    for key, (number, code, tensor, what) in made.items():
        names.setdefault(key, graphs.assigned(code) if last_of_line[number] == key
                         else f"{what}(...)")

    arrays = {}                                # a closure may keep a result's array, not it
    for t in [x, y, *params.values(), *(entry[2] for entry in made.values())]:
        arrays[id(t.data)] = names.get(id(t), "?") + ".data"

    def label(value):
        if isinstance(value, level.Tensor):
            return names.get(id(value), "?"), list(value.data.shape)
        return arrays.get(id(value), "an array"), list(np.shape(value))

    nodes, ids = [], {}

    def visit(t):
        if id(t) in ids:
            return ids[id(t)]
        ids[id(t)] = len(nodes) + 1
        entry = {"id": ids[id(t)], "kind": engine_kind(t), "shape": list(t.data.shape)}
        nodes.append(entry)
        if entry["kind"] == "leaf":
            entry.update(name="leaf", var="leaf", leaf=names[id(t)], line=None, saved=[])
        else:
            number, code = made[id(t)][:2]
            saved, kept = [], set()
            for vjp in t.vjps:                 # what each closure keeps, each thing once
                for variable, cell in zip(vjp.__code__.co_freevars, vjp.__closure__ or ()):
                    value = cell.cell_contents
                    if id(value) not in kept:
                        kept.add(id(value))
                        saved.append([variable, *label(value)])
            entry.update(name=entry["kind"], var=graphs.assigned(code), line=[number, code],
                         saved=saved)
        entry["level4"] = graphs.BACKWARD_AT_LEVEL4.get((entry["var"], entry["kind"]), [])
        entry["next"] = [visit(p) if p.requires_grad else None for p in t.parents]
        return entry["id"]

    visit(loss)
    unreached = [{"name": what, "line": [number, code]}
                 for key, (number, code, t, what) in made.items() if key not in ids and t.parents]

    # backward() frees nothing: the record lives as long as `loss` does, and a second backward()
    # runs. The leaves' .grad then adds up, as in PyTorch.
    loss.backward()
    once = {name: p.grad.copy() for name, p in params.items()}
    loss.backward()
    doubles = {name: bool(np.array_equal(p.grad, 2 * once[name])) for name, p in params.items()}
    return {"batch": len(x.data), "hidden": int(start["b1"].shape[0]), "nodes": nodes,
            "unreached": unreached, "second_backward_doubles": doubles}


def report(data, torch_data=None):
    """The engine's nodes, and beside each the PyTorch node found at the same place of the walk."""
    lines = [f"Level 3½: the graph its engine recorded (B = {data['batch']}, H = {data['hidden']}),"
             " walked from loss through parents,",
             "depth first as above. Each node: the closures' free variables, i.e. what the engine "
             "keeps for backward()."]
    torch_nodes = {n["id"]: n for n in (torch_data or {}).get("nodes", [])}
    lines.append("")
    for node in data["nodes"]:
        kept = ", ".join(f"{variable} = {name} ({graphs.shape_text(shape)})"
                         for variable, name, shape in node["saved"]) or "nothing"
        twin = torch_nodes.get(node["id"])
        beside = f"   [PyTorch #{node['id']}: {twin['name']}]" if twin else ""
        if node["kind"] == "leaf":
            lines.append(f"  #{node['id']:<2} {'leaf':<10} {node['leaf']} "
                         f"({graphs.shape_text(node['shape'])}): .grad adds up here{beside}")
            continue
        lines.append(f"  #{node['id']:<2} {node['kind']:<10} keeps: {kept}{beside}")
        lines.append(f"       made by {node['line'][1]}")
    same = [n["kind"] for n in data["nodes"]] == [torch_nodes[i]["kind"] for i in
                                                  sorted(torch_nodes)] if torch_nodes else None
    lines += ["", f"  {len(data['nodes'])} nodes" + (
        f"; the same kinds in the same order as PyTorch's {len(torch_nodes)}: {same}"
        if torch_nodes else "")]
    for node in data["unreached"]:
        lines.append(f"  Recorded but not reached from the loss: {node['name']}, by "
                     f"{node['line'][1]}.")
    doubles = all(data["second_backward_doubles"].values())
    lines += ["  Its backward() frees nothing: a second loss.backward() runs, and every "
              f"parameter's .grad is then exactly twice the first: {doubles}.",
              "  The record goes when the last reference to loss goes (Python counts the "
              "references), in train_step at its return."]
    return lines
