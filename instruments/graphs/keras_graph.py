"""Level 1: what compile() leaves behind, what fit() builds, and the graph of one training step.

compile() only configures: the loss, the optimizer, the metrics. The first fit() calls
make_train_function(), which wraps the model's own train_step() in tf.function. When fit() calls
it the first time, TensorFlow runs the Python of train_step once, with symbolic tensors, and
records every TensorFlow operation it asks for: forward pass, loss, the gradient operations that
GradientTape adds, the optimizer's updates, the metrics. That record is the graph (a "trace");
every later step runs the graph, not the Python.

How this module looks, without changing Keras:
* a counter around model.train_step (an attribute of this one model) counts the runs of its
  Python; it calls Keras's own train_step;
* the graph is read from the tf.function that make_train_function() built: it is a local
  variable of Keras's function, reached through the closure of model.train_function.
"""

import inspect

import numpy as np

import common
from instruments import graphs

PLUMBING = {"Const", "Placeholder", "ReadVariableOp", "Identity", "IdentityN", "NoOp"}
GROUPS = [("forward", "model(x): the two Dense layers", "forward()"),
          ("loss", "the compiled loss, computed from z2 (Keras's sigmoid keeps it)", "loss_fn()"),
          ("gradient", "added by GradientTape: tape.gradient(loss, weights)", "gradients()"),
          ("update", "optimizer.apply_gradients(): theta -= lr * dL/dtheta", "train_step()'s update"),
          ("metrics", "the loss tracker, the accuracy, and the optimizer's step counter",
           "train_epoch()'s totals, accuracy()")]


def built_functions(model):
    """The tf.functions that make_train_function() built, from model.train_function's closure."""
    found = inspect.getclosurevars(model.train_function).nonlocals
    one_step = found["one_step_on_data"]
    return getattr(one_step, "__wrapped__", one_step), found["multi_step_on_iterator"]


def counting(model):
    """Count the runs of the Python of model.train_step: it runs only while being traced."""
    runs = []
    keras_train_step = model.train_step

    def train_step(data):
        runs.append(1)
        return keras_train_step(data)

    model.train_step = train_step              # this model only; Keras reads self.train_step
    return runs


def fresh_model(hidden, start, lr, steps_per_execution=None):
    import level1_keras
    model = level1_keras.build_model(hidden)
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    level1_keras.compile_model(model, lr)
    if steps_per_execution is not None:        # compile()'s setting, read when fit() traces
        model.steps_per_execution = steps_per_execution
    return model


def fit_counted(model, x, y, batch, epochs):
    """fit() with its calls into model.train_function counted; the runs of train_step's Python."""
    runs = counting(model)
    model.make_train_function()                # what fit() would call first; then wrap it
    built, calls = model.train_function, []

    def train_function(iterator):
        calls.append(1)
        return built(iterator)

    model.train_function = train_function
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    model.train_function = built
    return {"steps": int(model.optimizer.iterations.numpy()), "calls": len(calls),
            "python_runs": len(runs)}


def describe(x, y, start, lr, dtype):
    """What compile() and fit() build for level 1's model, trained on (x, y) in batches of
    len(x) // 3, from the parameters `start`."""
    import machinery.quiet_tensorflow  # noqa: F401
    import keras

    keras.config.set_floatx(dtype)
    hidden = start["b1"].shape[0]
    batch = len(x) // 3
    model = fresh_model(hidden, start, lr)
    config = model.get_compile_config()        # what compile() stored, as Keras reports it
    compiled = {
        "compiled": bool(model.compiled), "train_function": repr(model.train_function),
        "loss": config["loss"]["class_name"], "optimizer": config["optimizer"]["class_name"],
        "learning_rate": config["optimizer"]["config"]["learning_rate"],
        "momentum": config["optimizer"]["config"]["momentum"],
        "optimizer_variables": [v.path for v in model.optimizer.variables],
        "metrics": [f"{m['class_name']} ({m['config']['name']})" for m in config["metrics"]],
        "steps_per_execution": config["steps_per_execution"],
        "jit_compile": config["jit_compile"],
    }

    # The first fit(): 2 epochs of 3 batches
    keras_step = type(model).train_step        # Keras's own, as the installed Keras has it
    lines, first = inspect.getsourcelines(keras_step)
    source = {"file": "/".join(inspect.getsourcefile(keras_step).split("/")[-5:]),
              "lines": [[first + i, line.strip()] for i, line in enumerate(lines)
                        if any(word in line for word in (
                            "def train_step", "GradientTape()", "self(x, training=True)",
                            "loss = self._compute_loss(", "tape.gradient", "apply_gradients"))]}
    runs = counting(model)
    model.fit(x, y, batch_size=batch, epochs=2, shuffle=False, verbose=0)
    one_step, multi_step = built_functions(model)
    fitted = {"examples": len(x), "batch": batch, "epochs": 2, "python_runs": len(runs),
              "steps": int(model.optimizer.iterations.numpy()),
              "traces_one_step": one_step.experimental_get_tracing_count(),
              "traces_multi_step": multi_step.experimental_get_tracing_count(),
              "train_function": type(model.train_function).__name__}
    graph = read_graph(model, one_step, batch)

    # The same 6 steps with one step per call, and level 1's 50; then a batch of another shape
    per_call = {str(n): fit_counted(fresh_model(hidden, start, lr, n), x, y, batch, 2)
                for n in (1, compiled["steps_per_execution"])}
    rows = len(x) - batch + 1                  # the last batch: 1 row
    model = fresh_model(hidden, start, lr)
    ragged = fit_counted(model, x[:rows], y[:rows], batch, 1)
    signature = built_functions(model)[0]._list_all_concrete_functions()
    ragged.update(examples=rows, traced_for=[[None if n is None else int(n) for n in spec.shape]
                                             for spec in signature[0].structured_input_signature
                                             [0][0]])
    return {"batch": batch, "hidden": int(hidden), "dtype": dtype, "after_compile": compiled,
            "first_fit": fitted, "train_step_source": source, "steps_per_execution": per_call, "another_shape": ragged,
            "graph": graph}


def read_graph(model, one_step, batch):
    """Every operation of the traced step: its type, group, output shape, inputs (by what they
    are: x, y, W1, ... or the producing operation), and the level-4 quantity it computes."""
    concrete = one_step._list_all_concrete_functions()[0]
    graph = concrete.graph
    variables = {}                             # the handle each variable is read through
    weights = dict(zip(common.PARAM_NAMES, model.trainable_weights))
    for v in model.variables + model.optimizer.variables + [w for m in model.metrics
                                                              for w in m.variables]:
        variables[id(v.value.handle)] = next((n for n, w in weights.items() if w is v), v.path)
    names = {}
    for outer, inner in graph.captures:
        names[inner.op.name] = variables.get(id(outer), "?")
    data = [op.name for op in graph.get_operations() if op.type == "Placeholder"
            and op.name not in names]          # the batch: x, then y
    names.update(zip(data, ["x", "y"]))
    optimizer_scope = model.optimizer.name

    def group(op):
        top = op.name.split("/")[0]
        if top == "gradient_tape" or op.type == "AddN":   # the tape sums dL/dz2's terms with AddN
            return "gradient"
        if top == "compile_loss":
            return "loss"
        if top.startswith(optimizer_scope):
            return "update"
        if top.rstrip("0123456789_") == model.name.rstrip("0123456789_") and "/" in op.name:
            return "forward"
        return "metrics"

    def source(tensor):
        op = tensor.op
        if op.type == "ReadVariableOp":
            return names.get(op.inputs[0].op.name, "?")
        return names.get(op.name, op.type)

    ops = []
    for op in graph.get_operations():
        entry = {"name": op.name, "type": op.type, "group": group(op),
                 "shape": [list(t.shape) for t in op.outputs][:1],
                 "inputs": [source(t) for t in op.inputs]}
        if op.type == "MatMul":
            entry["transpose"] = [bool(op.get_attr("transpose_a")),
                                  bool(op.get_attr("transpose_b"))]
        if op.type in ("AssignSubVariableOp", "AssignVariableOp", "AssignAddVariableOp"):
            entry["variable"] = names.get(op.inputs[0].op.name, "?")
        entry["level4"] = level4_of(entry)
        ops.append(entry)
    # Second pass: an input made by an operation that computes a level-4 quantity is named by it
    by_name = {op["name"]: op for op in ops}
    for op, tf_op in zip(ops, graph.get_operations()):
        op["inputs"] = [shown(t, by_name, names) for t in tf_op.inputs]
        op["from"] = [producer(t, names) for t in tf_op.inputs]   # for docs/draw_inside.py
    return {"ops": ops, "inputs": {"x": [batch, common.N_INPUTS], "y": [batch, common.N_OUTPUTS]}}


NAMES_ITS_OUTPUT = {"BiasAdd", "Tanh", "Sigmoid", "AddN", "TanhGrad", "BiasAddGrad", "MatMul"}


def through_identity(tensor):
    while tensor.op.type in ("Identity", "IdentityN"):
        tensor = tensor.op.inputs[tensor.value_index]
    return tensor


def producer(tensor, names):
    """The operation an input comes from (past Identity), or the variable or batch it reads."""
    op = through_identity(tensor).op
    if op.type == "ReadVariableOp":
        return names.get(op.inputs[0].op.name, "?")
    return names.get(op.name, op.name)


def shown(tensor, by_name, names):
    """An input as a reader knows it: x, W1, h, dz1 ...; through Identity to what it passes on."""
    op = through_identity(tensor).op
    if op.type == "ReadVariableOp":
        return names.get(op.inputs[0].op.name, "?")
    if op.name in names:
        return names[op.name]
    entry = by_name[op.name]
    if op.type in NAMES_ITS_OUTPUT and len(entry["level4"]) == 1 and not (
            op.type == "MatMul" and entry["group"] == "forward"):
        return entry["level4"][0]
    return op.type


def level4_of(op):
    """The level-4 quantity an operation computes, from its type and its inputs."""
    kind, inputs, group = op["type"], op["inputs"], op["group"]
    if kind in PLUMBING:
        return []
    if group == "forward":
        return {"MatMul": ["z1"] if "x" in inputs else ["z2"], "BiasAdd": ["z1"] if "W1" in
                inputs or "b1" in inputs else ["z2"], "Tanh": ["h"], "Sigmoid": ["a"]}.get(kind, [])
    if group == "loss":
        return ["softplus", "loss"]
    if group == "gradient":
        if kind == "MatMul":
            transpose_a, transpose_b = op["transpose"]
            return ["dh"] if transpose_b else ["dW1"] if "x" in inputs else ["dW2"]
        if kind == "BiasAddGrad":
            return ["db1"] if "TanhGrad" in inputs else ["db2"]
        return {"TanhGrad": ["dz1"]}.get(kind, ["dz2"])   # the rest: the loss's gradient, dz2
    if group == "update":
        return ["update"]
    if op.get("variable", "").startswith("loss/"):
        return ["total_loss"]
    if op.get("variable", "").startswith("acc/"):
        return ["total_acc"]
    return []


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def counts(ops):
    """{group: (all operations, computing ones)}."""
    result = {name: [0, 0] for name, _, _ in GROUPS}
    for op in ops:
        result[op["group"]][0] += 1
        result[op["group"]][1] += op["type"] not in PLUMBING
    return result


def times(n):
    return "once" if n == 1 else f"{n} times"


def op_line(op):
    shape = graphs.shape_text(op["shape"][0]) if op["shape"] else "-"
    what = op.get("variable") and f"{op['variable']} -= ..." if op["type"] == \
        "AssignSubVariableOp" else ", ".join(op["inputs"])
    if op["type"] == "MatMul" and any(op["transpose"]):
        what += "  (transpose_a)" if op["transpose"][0] else "  (transpose_b)"
    at = f"   {graphs.level4_text(op['level4'])}" if op["level4"] else ""
    return f"    {op['type']:<20}{shape:>9}   {what:<36}{at}"


def report(data):
    c, f = data["after_compile"], data["first_fit"]
    ops = data["graph"]["ops"]
    lines = [f"Level 1: what Keras builds for level 1's model (B = {data['batch']}, "
             f"H = {data['hidden']}, {data['dtype']}).", "",
             "After compile():",
             f"  model.compiled = {c['compiled']}; model.train_function = {c['train_function']}: "
             "compile() configured the model and built no training step.",
             f"  get_compile_config(): loss {c['loss']}; optimizer {c['optimizer']}, learning rate "
             f"{c['learning_rate']:g}, momentum {c['momentum']:g};",
             f"  the optimizer's variables so far: {', '.join(c['optimizer_variables'])};",
             f"  metrics {', '.join(c['metrics'])}; steps_per_execution = "
             f"{c['steps_per_execution']}; jit_compile = {c['jit_compile']} (no XLA, TensorFlow's compiler).", "",
             f"The first fit(): {f['epochs']} epochs of {f['examples']} examples in batches of "
             f"{f['batch']}: {f['steps']} SGD steps.",
             "  fit() called make_train_function(), which built model.train_function, a Python "
             f"{f['train_function']} around",
             "    multi_step_on_iterator: a tf.function, a loop of up to steps_per_execution steps "
             "per call, around",
             "    one_step_on_data: a tf.function around model.train_step, Keras's own training "
             "step.",
             f"  The Python of train_step ran {times(f['python_runs'])}, while tf.function traced "
             f"it; the step's graph ran {times(f['steps'])} (optimizer.iterations = {f['steps']}).",
             f"  Keras's train_step, in {data['train_step_source']['file']}:",
             *[f"    {code}" for n, code in data["train_step_source"]["lines"]],
             f"  Traces: one_step_on_data {f['traces_one_step']}, multi_step_on_iterator "
             f"{f['traces_multi_step']}.", "",
             "steps_per_execution, the same steps from the same start:"]
    for n, run in data["steps_per_execution"].items():
        lines.append(f"  = {n:<3} {run['steps']} steps in {run['calls']} calls from Python into "
                     f"the graph; train_step's Python ran {times(run['python_runs'])}")
    r = data["another_shape"]
    shapes = " and ".join(graphs.shape_text(["None" if n is None else n for n in shape])
                          for shape in r["traced_for"])
    lines += [f"  {r['examples']} examples, the last batch 1 row: fit() traced for {shapes}, one "
              f"graph for every batch size; train_step's Python ran {times(r['python_runs'])}.",
              "",
              f"The graph of one step: one_step_on_data, traced for x "
              f"({graphs.shape_text(data['graph']['inputs']['x'])}) and y "
              f"({graphs.shape_text(data['graph']['inputs']['y'])}): {len(ops)} operations.",
              f"  {'group':<10}{'all':>5}{'computing':>11}   what it is"]
    for name, what, level4 in GROUPS:
        total, computing = counts(ops)[name]
        lines.append(f"  {name:<10}{total:>5}{computing:>11}   {what}  (level 4: {level4})")
    lines.append(f"  The rest of 'all' is plumbing: {', '.join(sorted(PLUMBING))}.")
    for name in ("forward", "gradient", "update"):
        computing = [op for op in ops if op["group"] == name and op["type"] not in PLUMBING]
        lines += ["", f"  {name}, the computing operations (type, output shape, inputs, level 4):"]
        if name == "gradient":                 # the loss's own gradient ops, summed by AddN
            of_loss = [op for op in computing if op["level4"] == ["dz2"] and op["type"] != "AddN"]
            kinds = sorted({op["type"] for op in of_loss})
            terms = next(len(op["inputs"]) for op in computing if op["type"] == "AddN")
            lines.append(f"    {len(of_loss)} operations ({', '.join(kinds)}): the loss's "
                         f"gradient, in {terms} terms that AddN sums into dL/dz2")
            computing = [op for op in computing if op not in of_loss]
        lines += [op_line(op) for op in computing]
    dW1 = next(op for op in ops if op["level4"] == ["dW1"])
    lines += ["", f"dL/dW1 at level 1: the operation {dW1['name']},",
              f"  a MatMul with transpose_a of {dW1['inputs'][0]} and {dW1['inputs'][1]} "
              f"(TanhGrad's output): x^T dL/dz1, {graphs.shape_text(dW1['shape'][0])}; at level 4 "
              f"{graphs.level4_text('dW1')}."]
    return lines
