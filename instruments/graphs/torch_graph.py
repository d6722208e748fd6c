"""Level 3: the graph that PyTorch's autograd records during forward() and loss_fn(), read out.

Every operation on a tensor that requires a gradient leaves a node behind: `loss.grad_fn` is the
last one, and each node's `next_functions` leads to the nodes of its inputs, down to one
`AccumulateGrad` per parameter (the leaves). Each node keeps what its backward formula will need:
its saved tensors, readable as the node's `_saved_self`, `_saved_mat2`, ... attributes.

How this module looks, without changing level 3:
* a TorchFunctionMode (torch.overrides) sees every torch call that forward() and loss_fn() make,
  and notes, for each result, its node and the line of level3_autograd.py that made it;
* torch.autograd.graph.saved_tensors_hooks sees every tensor saved for the backward pass, which
  gives the bytes that the graph holds.
"""

import inspect
import os

from instruments import graphs

SAVED_PREFIX = "_saved_"


def torch_kind(node_name):
    """MmBackward0 -> 'matmul', AddBackward0 -> 'add', AccumulateGrad -> 'leaf'."""
    if "AccumulateGrad" in node_name:
        return "leaf"
    base = node_name.replace("Backward0", "").lower()
    return {"mm": "matmul"}.get(base, base)


def recorded_lines(torch, level):
    """A TorchFunctionMode that maps each result's node to (line number, code) of the level file,
    and each result tensor's storage to a name: the variable its line assigns, or the call."""
    level_file = os.path.abspath(level.__file__)
    source = inspect.getsource(level).splitlines()

    class Recorder(torch.overrides.TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.lines, self.names = {}, {}

        def __torch_function__(self, func, types, args=(), kwargs=None):
            result = func(*args, **(kwargs or {}))
            frame = inspect.currentframe().f_back
            while frame and os.path.abspath(frame.f_code.co_filename) != level_file:
                frame = frame.f_back
            if isinstance(result, torch.Tensor):
                number = frame.f_lineno if frame else None   # None: called from outside it
                code = source[number - 1].split("  #")[0].strip() if frame else None
                if result.grad_fn is not None:
                    self.lines[result.grad_fn] = (number, code, tuple(result.shape))
                # the last call of a line makes its variable; earlier ones are named by the call
                name = getattr(func, "__name__", str(func)).strip("_")
                if frame:
                    self.names[result.untyped_storage().data_ptr()] = (
                        number, graphs.assigned(code), name)
            return result

    return Recorder()


def walk(torch, root, names, lines):
    """The nodes reached from `root`, depth first, each once, inputs in order: [{id, name, kind,
    var, line, shape, saved, level4, next}], and {node: id}. `names` maps a tensor's storage to
    its name; `lines` maps a node to (line number, code, output shape) of the level file."""
    nodes, ids = [], {}

    def saved_of(node):
        saved = []
        for attribute in sorted(dir(node)):
            if attribute.startswith(SAVED_PREFIX):
                value = getattr(node, attribute)
                if isinstance(value, torch.Tensor):
                    label = names.get(value.untyped_storage().data_ptr(), "?")
                    saved.append([attribute[len(SAVED_PREFIX):], label, list(value.shape)])
        return saved

    def visit(node):
        if node in ids:
            return ids[node]
        ids[node] = len(nodes) + 1
        entry = {"id": ids[node], "name": type(node).__name__ if "AccumulateGrad" in node.name()
                 else node.name(), "kind": torch_kind(node.name())}
        nodes.append(entry)
        if entry["kind"] == "leaf":
            leaf = node.variable
            entry.update(var="leaf", leaf=names[leaf.untyped_storage().data_ptr()],
                         shape=list(leaf.shape), line=None, saved=[])
        else:
            # a node made inside another call (nn.Linear's W^T) has no line and no shape here
            number, code, shape = lines.get(node, (None, None, None))
            entry.update(var=code and graphs.assigned(code), line=code and [number, code],
                         shape=shape and list(shape), saved=saved_of(node))
        entry["level4"] = graphs.BACKWARD_AT_LEVEL4.get((entry["var"], entry["kind"]), [])
        entry["next"] = [None if child is None else visit(child) for child, _ in
                         node.next_functions]
        return entry["id"]

    visit(root)
    return nodes, ids


def level2_nodes(torch, x, y, start):
    """Level 2's graph for the same step: nn.Linear and BCEWithLogitsLoss record larger nodes."""
    import level2_pytorch as level
    from machinery import params_files

    model = level.build_model(int(start["b1"].shape[0]), x.dtype)
    params_files.into_torch_model(model, start)
    names = {t.untyped_storage().data_ptr(): name for name, t in [
        ("x", x), ("y", y), ("model[0].weight", model[0].weight), ("model[0].bias", model[0].bias),
        ("model[2].weight", model[2].weight), ("model[2].bias", model[2].bias)]}

    def keep(name):
        def hook(layer, inputs, output):       # runs as the layer returns its output
            names[output.untyped_storage().data_ptr()] = name
        return hook

    hooks = [model[i].register_forward_hook(keep(name)) for i, name in enumerate(("z1", "h", "z2"))]
    recorder = recorded_lines(torch, level)
    with recorder:
        z2, a = level.forward(x, model)
        loss = level.loss_fn(z2, y)
    for hook in hooks:
        hook.remove()
    nodes, _ = walk(torch, loss.grad_fn, names, recorder.lines)
    weights = {"model[0].weight": list(model[0].weight.shape),
               "model[2].weight": list(model[2].weight.shape)}
    for node in nodes:                         # one line makes them all: no per-line quantity
        node["level4"] = []
        for saved in node["saved"]:            # .weight is W^T; a saved weight.T is W itself
            if saved[1] in weights and saved[2] != weights[saved[1]]:
                saved[1] += ".T"
    return nodes


def describe(x, y, start, lr, batch_sizes_for_bytes, hidden_for_bytes):
    """Level 3's graph for one step on (x, y) from the parameters `start` (NumPy arrays), its
    lifetime, and the bytes its saved tensors hold at the sizes given."""
    import torch

    import level3_autograd as level

    def leaves():
        return {name: torch.from_numpy(p.copy()).requires_grad_() for name, p in start.items()}

    x, y = torch.from_numpy(x), torch.from_numpy(y)
    params = leaves()
    recorder = recorded_lines(torch, level)
    with recorder:
        z2, a = level.forward(x, params)
        loss = level.loss_fn(z2, y)

    names = {t.untyped_storage().data_ptr(): name for name, t in [("x", x), ("y", y)]}
    names.update({p.untyped_storage().data_ptr(): name for name, p in params.items()})
    last_of_line = {}
    for ptr, (number, variable, call) in recorder.names.items():
        last_of_line[number] = ptr                 # dicts keep order: the line's last call wins
    for ptr, (number, variable, call) in recorder.names.items():
        names.setdefault(ptr, variable if last_of_line[number] == ptr else f"{call}(...)")

    nodes, ids = walk(torch, loss.grad_fn, names, recorder.lines)
    unreached = [{"name": node.name(), "line": [number, code]}
                 for node, (number, code, shape) in recorder.lines.items() if node not in ids]

    # The graph's lifetime: backward() frees what the nodes saved
    loss.backward()
    lifetime = {}
    try:
        loss.backward()
    except RuntimeError as error:
        lifetime["second_backward"] = str(error)
    tanh_node = next(node for node in ids if torch_kind(node.name()) == "tanh")
    try:
        tanh_node._saved_result
    except RuntimeError as error:
        lifetime["saved_after_backward"] = str(error)

    # retain_graph=True keeps them: a second backward() runs, and adds into .grad again
    params = leaves()
    z2, a = level.forward(x, params)
    loss = level.loss_fn(z2, y)
    loss.backward(retain_graph=True)
    once = {name: p.grad.clone() for name, p in params.items()}
    loss.backward()
    lifetime["retain_graph_doubles"] = {name: bool(torch.equal(p.grad, 2 * once[name]))
                                        for name, p in params.items()}
    lifetime["grad_norms"] = {name: [float(once[name].norm()), float(p.grad.norm())]
                              for name, p in params.items()}

    return {"dtype": str(x.dtype).replace("torch.", ""), "batch": len(x),
            "hidden": int(start["b1"].shape[0]), "nodes": nodes, "unreached": unreached,
            "level2_nodes": level2_nodes(torch, x, y, start),
            "lifetime": lifetime,
            "saved_bytes": [saved_bytes(torch, level, batch, hidden_for_bytes, x.dtype)
                            for batch in batch_sizes_for_bytes]}


def saved_bytes(torch, level, batch, hidden, dtype):
    """The tensors level 3's forward() and loss_fn() save for backward at this size, counted once
    each (h is saved twice, by tanh and by the product h W2): their bytes, and how many of those
    belong to the graph alone (not to the batch or the parameters, which live on anyway)."""
    x = torch.zeros((batch, 784), dtype=dtype)
    y = torch.zeros((batch, 10), dtype=dtype)
    rng = torch.Generator().manual_seed(0)
    params = {k: p.requires_grad_() for k, p in level.init_params(hidden, rng, dtype).items()}
    seen = {}

    def pack(tensor):
        seen[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        z2, a = level.forward(x, params)
        level.loss_fn(z2, y)
    h = z2.grad_fn.next_functions[0][0]._saved_self   # z2 = h @ W2 + b2: the product saved h
    given = {t.untyped_storage().data_ptr(): name for name, t in [("x", x), ("y", y),
                                                                  *params.items()]}
    made = {t.untyped_storage().data_ptr(): name for name, t in [("h", h), ("z2", z2), ("a", a)]}
    named = {given.get(ptr) or made.get(ptr) or "zeros_like(z2)": n for ptr, n in seen.items()}
    return {"batch": batch, "hidden": hidden, "dtype": str(dtype).replace("torch.", ""),
            "tensors": named, "bytes": sum(seen.values()),
            "intermediate_bytes": sum(n for ptr, n in seen.items() if ptr not in given)}


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def node_line(node, width=20):
    """'#3 MmBackward0  saved: self = h (4 x 5) ...' for one node."""
    saved = ", ".join(f"{what} = {label} ({graphs.shape_text(shape)})"
                      for what, label, shape in node["saved"]) or "no tensor"
    if node["kind"] == "leaf":
        leaf, shape = node["leaf"], graphs.shape_text(node["shape"])
        return f"#{node['id']:<2} {node['name']:<{width}} {leaf} ({shape}): adds into {leaf}.grad"
    return f"#{node['id']:<2} {node['name']:<{width}} saved: {saved}"


def report(data):
    lines = [f"Level 3: the graph autograd recorded during forward() and loss_fn() "
             f"(B = {data['batch']}, H = {data['hidden']}, {data['dtype']}),",
             "walked from loss.grad_fn through next_functions, depth first. Each node: its saved "
             "tensors; the line of",
             "level3_autograd.py that recorded it; the lines of level4_numpy.py that compute what "
             "its backward computes.", ""]
    for node in data["nodes"]:
        lines.append("  " + node_line(node))
        if node["line"]:
            lines.append(f"       recorded by {node['line'][1]}   "
                         f"-> output {graphs.shape_text(node['shape'])}")
        nexts = ", ".join("None (needs no gradient)" if n is None else f"#{n}"
                          for n in node["next"])
        if nexts:
            lines.append(f"       next_functions: {nexts}")
        if node["level4"]:
            lines.append(f"       level 4: {graphs.level4_text(node['level4'])}")
    kinds = {}
    for node in data["nodes"]:
        kinds[node["name"]] = kinds.get(node["name"], 0) + 1
    lines += ["", f"  {len(data['nodes'])} nodes: " + ", ".join(f"{n} {name}" for name, n in
                                                             kinds.items())]
    for node in data["unreached"]:
        lines.append(f"  Recorded but not reached from the loss: {node['name']}, by "
                     f"{node['line'][1]}: the loss is computed from z2, not a.")
    level2 = data["level2_nodes"]
    by_model = next(node["line"] for node in level2 if node["line"])
    lines += ["", f"Level 2's nn layers record the same step in {len(level2)} nodes, fewer and "
              f"larger. The model's nodes come from {by_model[1]};",
              "the loss's from calling the loss_fn object (nn.BCEWithLogitsLoss):"]
    lines += ["  " + node_line(node, width=38) for node in level2]
    life = data["lifetime"]
    lines += ["", "The graph's lifetime:",
              "  loss.backward() frees every saved tensor as it goes. A second loss.backward() "
              "then raises:",
              f"    RuntimeError: {life['second_backward']}",
              "  and so does reading a node's saved tensor (tanh's _saved_result)" + (
                  ", with the same message." if life["saved_after_backward"] ==
                  life["second_backward"] else ":"),
              *([] if life["saved_after_backward"] == life["second_backward"] else
                [f"    RuntimeError: {life['saved_after_backward']}"]),
              "  With loss.backward(retain_graph=True) first, the second backward() runs, and "
              "adds into .grad again:"]
    for name, exact in life["retain_graph_doubles"].items():
        first, second = life["grad_norms"][name]
        lines.append(f"    {name}.grad after the second: norm {second:.6e} = 2 x {first:.6e}"
                     f"   exactly twice the first, entry by entry: {exact}")
    lines += ["  That is why level 3 sets p.grad = None after each update (and level 2 calls "
              "optimizer.zero_grad()).", "",
              "What the saved tensors hold, counted once each (level 3's step, H = "
              f"{data['saved_bytes'][0]['hidden']}, {data['saved_bytes'][0]['dtype']}):"]
    lines.append("  " + ", ".join(data["saved_bytes"][0]["tensors"]) + " (a: by sigmoid's "
                 "node, which backward() does not reach); x, y and W2 live on in the caller")
    for size in data["saved_bytes"]:
        lines.append(f"  B = {size['batch']:>5}: {len(size['tensors'])} tensors, "
                     f"{size['bytes']:>10,} bytes, {size['intermediate_bytes']:>10,} of them "
                     "intermediate results (not x, y or a parameter)")
    return lines
