"""Exercise 9's checks: the student's engine, operation by operation against PyTorch's autograd;
backward()'s order on a graph that uses a tensor three times, and the graph it frees; then level
3½'s own training code on the engine, in lockstep with level 4.
"""

import numpy as np

import level4_numpy
from exercises import helpers
from exercises.checks import remote
from exercises.checks.core import EXACT, Failure, how_they_moved, require, weights
from exercises.checks.exact import small_data
from exercises.checks.engine_tasks import ONE_OPS, SUMS

TITLE = "write the engine"
CHILD = "numpy"               # its functions run where PyTorch and TensorFlow are not
VALUES = 1e-12                # an operation's value against PyTorch's: relative error
GRADIENTS = 1e-10             # its gradients
LOCK9 = dict(hidden=24, rows=600, batch_size=50, lr=0.7, epochs=2, dtype="float64")
NUMBERS = ["Tensor.__add__", "Tensor.__radd__", "Tensor.__sub__", "Tensor.__rsub__",
           "Tensor.__mul__", "Tensor.__rmul__", "Tensor.__neg__"]
WRITE = ["record", "no_grad.__enter__", "no_grad.__exit__", "Tensor.backward", "Tensor.__matmul__",
         *NUMBERS, "Tensor.T", "Tensor.reshape", "Tensor.sum", "unbroadcast", "tanh", "relu",
         "exp", "log", "logaddexp", "mean", "softmax_cross_entropy"]   # the student's functions
BACKWARD = ["record", "Tensor.backward"]
RECORD = ["record", "no_grad.__enter__", "no_grad.__exit__"]
# The graph of exercise_9_order: each node's parents, and what each vjp multiplies by.
GRAPH = {"a": ["x"], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["d", "a"]}
SWAPPED = dict(GRAPH, e=["a", "d"])           # the same graph, e's parents the other way round
X_GRAD = 2.0 * (7.0 * (3.0 + 5.0) + 1.0)     # de/dx: e = 7 (3a + 5a) + a, a = 2x
DEEP = 10_000                 # operations one after the other: deeper than Python's recursion
GRAPHS = 50                   # graphs: SHARED, then random ones, each op over any two tensors
# h = tanh(x) used by two tensors, in both orders (h + h*h, h*h + h), then x * y used at three
# depths: where a walk lists a tensor before a tensor computed from it, these fail.
SHARED = [[("tanh", 0, 0), ("mul", 2, 2), ("add", 2, 3), ("add", 4, 0), ("mul", 5, 1)],
          [("tanh", 0, 0), ("mul", 2, 2), ("add", 3, 2), ("add", 4, 0), ("mul", 5, 1)],
          [("mul", 0, 1), ("add", 2, 0), ("sub", 2, 3), ("mul", 4, 2), ("tanh", 5, 5),
           ("add", 6, 3)]]


# For a derivative that is off, not by a factor: the question to ask of the operation's vjp.
HOW = {"matmul": " - which matrix, transposed, multiplies g, and on which side?",
       "mul": " - dL/dA is g times what?",
       "tanh": " - tanh'(z) is best computed from what the forward pass already has: which?",
       "exp": " - what is the derivative of e^z?", "log": " - what is the derivative of log z?",
       "logaddexp": " - d log(e^u + e^v)/du is a ratio: of what?"}


def in_order(calls, graph):
    """A Failure unless the noted vjp calls ran each vjp of `graph` once, each tensor's after
    those of all the tensors computed from it."""
    users = {p: [n for n, ps in graph.items() if p in ps] for p in graph}
    said = ("the checker's graph: a = 2x; b = 3a; c = 5a; d = b + c; e = "
            + ("7d + a" if graph["e"][0] == "d" else "a + 7d"))
    for name, parents in graph.items():
        for i, parent in enumerate(parents):
            n = calls.count((name, i))
            if n == 0:
                raise Failure(f"({said}) the vjp of {name} toward {parent} never ran: "
                              f"backward() must reach every tensor the loss was computed from")
            if n > 1:
                why = (f" ({name} is used by {', '.join(users[name])}: when is its gradient "
                       f"complete, and how often should its vjps run, then?)"
                       if len(users[name]) > 1 else "")
                raise Failure(f"({said}) the vjp of {name} toward {parent} ran {n} times in one "
                              f"backward(){why}")
    position = {c: k for k, c in enumerate(calls)}
    for name in graph:
        if (name, 0) not in position:
            continue
        for user in users[name]:
            toward = graph[user].index(name)
            if position.get((user, toward), -1) > position[(name, 0)]:
                raise Failure(f"({said}) the vjps of {name} ran before that of {user} toward "
                              f"{name}: {name}'s gradient was not complete yet. Run them in "
                              f"reverse topological order: every tensor after all the tensors "
                              f"computed from it")


def torch_op(op, inputs, weights):
    """The same operation in PyTorch, and the gradients of sum(out * weights): the reference."""
    import torch
    leaves = [torch.tensor(a, requires_grad=True) for a in inputs]
    if op == "square":
        leaves = leaves[:1]
        out = leaves[0] * leaves[0]
    elif op == "shared":
        h = torch.tanh(leaves[0])
        out = h * h + h
    elif op in ONE_OPS:
        out = ONE_OPS[op](leaves[0])
    elif op in SUMS:
        axis, keepdims = SUMS[op]["axis"], SUMS[op]["keepdims"]
        out = leaves[0].sum() if axis is None else leaves[0].sum(dim=axis, keepdim=keepdims)
    elif op == "softmax_cross_entropy":        # y, the labels, needs no gradient
        leaves = leaves[:1]
        out = torch.nn.functional.cross_entropy(leaves[0], torch.tensor(inputs[1].argmax(1)))
    else:
        out = {"matmul": lambda a, b: a @ b, "add": lambda a, b: a + b,
               "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "tanh": torch.tanh,
               "relu": torch.relu, "logaddexp": torch.logaddexp, "mean": torch.mean,
               "exp": torch.exp, "log": torch.log}[op](*leaves)
    (out * torch.tensor(weights)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in leaves]


def random_program(rng):
    """Steps (op, i, j) over the tensors so far, x and y first: 4 to 9 operations, each on any
    two earlier tensors, so that tensors are shared at different depths."""
    program = []
    for k in range(int(rng.integers(4, 10))):
        n = 2 + k
        op = str(rng.choice(["add", "sub", "mul", "tanh"]))
        i, j = (int(v) for v in rng.integers(0, n, size=2))
        program.append((op, i, j))
    last = len(program) + 1                    # then both x and y reach the loss
    return program + [("add", last, 0), ("mul", last + 1, 1)]


def torch_program(program, leaves, weights):
    import torch
    nodes = [torch.tensor(v, requires_grad=True) for v in leaves]
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "tanh": lambda a, b: torch.tanh(a)}
    for op, i, j in program:
        nodes.append(ops[op](nodes[i], nodes[j]))
    (nodes[-1] * torch.tensor(weights)).sum().backward()
    return [np.zeros_like(v) if t.grad is None else t.grad.numpy()
            for t, v in zip(nodes[:2], leaves)]


def spelled(program):
    """A program as formulas: n2 = x + y; n3 = tanh(n2); ..."""
    names = ["x", "y"] + [f"n{k}" for k in range(2, len(program) + 2)]
    sign = {"add": "+", "sub": "-", "mul": "*"}
    return "; ".join(f"{names[k + 2]} = " + (f"tanh({names[i]})" if op == "tanh" else
                                              f"{names[i]} {sign[op]} {names[j]}")
                     for k, (op, i, j) in enumerate(program))


def compare(ex, label, op, inputs, names):
    """Run op on the student's engine and in PyTorch; a Failure naming what differs."""
    rng = np.random.default_rng(ex.seed + len(label))
    if op == "matmul":
        shape = (inputs[0].shape[0], inputs[1].shape[1])
    elif op in ("mean", "softmax_cross_entropy"):
        shape = ()
    elif op in SUMS:
        shape = np.sum(inputs[0], **SUMS[op]).shape
    elif op in ONE_OPS:
        shape = ONE_OPS[op](inputs[0]).shape
    else:
        shape = np.broadcast_shapes(*[np.shape(a) for a in inputs])
    weights_ = rng.normal(size=shape)      # L = sum(out * weights_): every entry its own share
    exact_value, exact_grads = torch_op(op, inputs, weights_)
    out = ex.task("exercise_9_op", op, inputs, weights_)
    require(isinstance(out, dict), "the engine gave no value")
    value = np.asarray(out.get("value"), dtype=float) if out.get("value") is not None else None
    require(value is not None and value.shape == exact_value.shape,
            f"{label} gives a value of shape {None if value is None else value.shape}, "
            f"expected {exact_value.shape}")
    err = float(np.abs(value - exact_value).max() / max(np.abs(exact_value).max(), 1e-300))
    require(np.all(np.isfinite(value)), f"{label} gives {value.ravel()[:4]}...: not finite, where "
                                        f"PyTorch's is (entries up to "
                                        f"{np.abs(inputs[0]).max():.0f})"
            + (". e^z overflows float64 above z = 709: what can you change in z that softmax "
               "does not see?" if op == "softmax_cross_entropy" else ""))
    times = float(np.sum(value * exact_value) / max(np.sum(exact_value ** 2), 1e-300))
    require(err <= VALUES, f"{label}'s value is off: relative error {err:.1e}"
            + (f" (yours is {times:.4g} times PyTorch's)"
               if np.allclose(value, times * exact_value, rtol=1e-6, atol=0)
               and abs(times - 1) > 1e-3 else ""))
    if op == "softmax_cross_entropy":
        require(out.get("nodes", 0) >= 4 and not out.get("own_vjps"),
                f"{label} is {out.get('nodes')} recorded operation(s) from z to the loss, "
                f"{out.get('own_vjps')} of them with a vjp written inside "
                f"softmax_cross_entropy: write it with your engine's operations only (their "
                f"vjps then give its gradient), not with a vjp of its own")
    grads = out.get("grads")
    require(isinstance(grads, list) and len(grads) == len(exact_grads),
            f"{label}: the engine gave {0 if not isinstance(grads, list) else len(grads)} "
            f"gradients for {len(exact_grads)} inputs")
    for name, mine, exact in zip(names, grads, exact_grads):
        require(mine is not None, f"after backward(), {name} has no .grad: did the vjps reach "
                                  f"it (it requires grad)?")
        mine = np.asarray(mine, dtype=float)
        if mine.shape != exact.shape:
            if mine.size > exact.size:
                raise Failure(f"{label}: the gradient of {name} (shape {exact.shape}) has shape "
                              f"{mine.shape}: {name} was broadcast to {mine.shape} - where did its "
                              f"copies' gradients go, and how do they come back to "
                              f"{exact.shape}?")
            raise Failure(f"{label}: the gradient of {name} has shape {mine.shape}, not "
                          f"{exact.shape}")
        require(np.all(np.isfinite(mine)), f"{label}: dL/d{name} holds inf or NaN where "
                                           f"PyTorch's is finite (entries of the inputs up to "
                                           f"{max(np.abs(a).max() for a in inputs):.0f})")
        err = float(np.abs(mine - exact).max() / max(np.abs(exact).max(), 1e-300))
        ratio = float(np.sum(mine * exact) / max(np.sum(exact * exact), 1e-300))
        proportional = (np.abs(mine - ratio * exact).max()
                        <= 1e-6 * max(np.abs(mine).max(), 1e-300))   # "N times" only then
        wrong = ~np.isclose(mine, exact, rtol=GRADIENTS, atol=0)
        kinks = (" - only where the input is exactly 0: what is the derivative there?"
                 if op == "relu" and np.all(inputs[0][wrong] == 0) else "")
        factor = proportional and abs(ratio - 1) > 1e-3 and np.isfinite(ratio) and not kinks
        require(err <= GRADIENTS, f"{label}: dL/d{name} is off, relative error {err:.1e}"
                + (f" (yours is {ratio:.4g} times the exact one)" if factor else "")
                + (kinks or ("" if factor else HOW.get(op, "")))
                + (" - a tensor used more than once gets every share, added; and a `+=` on an "
                   "array that another .grad holds too (a vjp may return g itself) changes both"
                   if op in ("square", "shared") else ""))
    return f"{label}: value and {', '.join('d/d' + n for n in names)} as PyTorch's"


def run(ex):
    ex.fresh_after_failure = True              # a no_grad left off must not fail the rest
    rng = np.random.default_rng(ex.seed)

    def draw(*shape, scale=1.0):
        return rng.normal(0, scale, shape)

    def checks(cases):
        def body():
            for case in cases:
                compare(ex, *case)
            return (f"{'; '.join(case[0] for case in cases)}: values within {VALUES:g}, "
                    f"gradients within {GRADIENTS:g} of PyTorch's")
        return body

    def recorded():
        facts = ex.task("exercise_9_record")
        require(isinstance(facts, dict), "record() gave no account")

        def said(key, graph, where, advice=""):
            fact = facts.get(key, {})
            require(fact.get("tensor"), f"record() {where} returned no Tensor")
            if graph:
                require(fact.get("requires_grad") and fact.get("parents") == 2 - (key != "mixed")
                        and fact.get("vjps") == fact.get("parents"),
                        f"record() {where} made a tensor that "
                        + ("does not require grad" if not fact.get("requires_grad") else
                           f"keeps {fact.get('parents')} parents and {fact.get('vjps')} vjps")
                        + (": backward() could not reach the parameter" if key == "mixed" else
                           "") + " (a parent that requires grad, and no no_grad in force)"
                        + advice)
            else:
                require(not fact.get("requires_grad") and fact.get("parents") == 0,
                        f"record() {where} made a tensor of the graph (requires grad, "
                        f"{fact.get('parents')} parent{'s' * (fact.get('parents') != 1)}): no "
                        f"gradient is wanted there, and the graph would keep what it need not"
                        + advice)
        said("mixed", True, "of a parameter and a constant")
        said("constants", False, "of two tensors that need no gradient")
        said("inside", False, "inside `with no_grad():`")
        said("nested", False, "inside a no_grad inside another")
        said("after_nested", False, "in the outer no_grad, after the inner one ended",
             ". Leaving the inner one turned recording on: what should leaving a no_grad "
             "give back?")
        said("after", True, "after `with no_grad():` ended")
        said("decorated", False, "in a function decorated with @no_grad()")
        said("after_decorated", True, "after a function decorated with @no_grad() returned")

        return ("a parameter's results recorded, constants' not; nothing inside no_grad, nested "
                "or as a decorator; recording again after it")
    ex.check("record() and no_grad: what is recorded, outside, inside and after no_grad",
             recorded, needs=RECORD)
    ex.check("@ (matmul): value and both gradients against PyTorch's autograd",
             checks([("A @ B", "matmul", [draw(5, 4), draw(4, 3)], ["A", "B"])]),
             needs=["Tensor.__matmul__"] + BACKWARD)
    ex.check("+ and - with broadcasting: values and gradients, unbroadcast back to each shape",
             checks([("A + b", "add", [draw(5, 3), draw(3)], ["A", "b"]),
                     ("b + A", "add", [draw(3), draw(5, 3)], ["b", "A"]),
                     ("u + v", "add", [draw(5, 1), draw(1, 3)], ["u", "v"]),
                     ("A - b", "sub", [draw(5, 3), draw(3)], ["A", "b"]),
                     ("u - A", "sub", [draw(4, 1), draw(4, 3)], ["u", "A"])]),
             needs=["Tensor.__add__", "Tensor.__sub__", "unbroadcast"] + BACKWARD)
    ex.check("* with broadcasting, and a tensor used twice (x * x)",
             checks([("A * b", "mul", [draw(5, 3), draw(3)], ["A", "b"]),
                     ("u * A", "mul", [draw(5, 1), draw(5, 3)], ["u", "A"]),
                     ("x * x", "square", [draw(4, 3)], ["x"])]),
             needs=["Tensor.__mul__", "unbroadcast"] + BACKWARD)
    kinked = draw(5, 3)
    kinked[0, :2] = 0.0                        # relu at 0: PyTorch's derivative there is 0
    ex.check("tanh and relu (relu'(0) = 0, as PyTorch)",
             checks([("tanh(z)", "tanh", [draw(5, 3, scale=2)], ["z"]),
                     ("relu(z)", "relu", [kinked], ["z"])]),
             needs=["tanh", "relu"] + BACKWARD)
    ex.check("logaddexp, finite with entries in the thousands",
             checks([("logaddexp(u, v)", "logaddexp", [draw(5, 3, scale=3), draw(5, 3, scale=3)],
                      ["u", "v"]),
                     ("logaddexp(U, V) with entries in the thousands", "logaddexp",
                      [draw(5, 3, scale=1000), draw(5, 3, scale=1000)], ["u", "v"])]),
             needs=["logaddexp"] + BACKWARD)
    ex.check("mean", checks([("mean(z)", "mean", [draw(5, 3)], ["z"])]),
             needs=["mean"] + BACKWARD)


    def sums():
        cases = [(f"Z.{op}" if op != "sum(axis=(0, 2))" else "V.sum(axis=(0, 2))", op,
                  [draw(4, 3) if op != "sum(axis=(0, 2))" else draw(2, 3, 4)],
                  ["Z" if op != "sum(axis=(0, 2))" else "V"]) for op in SUMS]
        try:
            return checks(cases)()
        except remote.StudentError as e:
            if "broadcast" in str(e.info.get("message", "")):
                raise Failure(f"{e.info.get('type')}: {e.info.get('message')}. Tensor.sum's "
                              f"vjp gets g of the sum's shape (with keepdims=False, the summed "
                              f"axes are gone): which axes must it have, and where, before it "
                              f"can spread back over the tensor?") from None
            raise
    ex.check("numbers as operands: 3 + A, A + 3, 2.5 * A, A * 2.5, 1 - A, A - 1.5, -A",
             checks([(op, op, [draw(4, 3)], ["A"]) for op in ONE_OPS if ".T" not in op and
                     ".reshape" not in op]), needs=NUMBERS + BACKWARD)
    def dtypes():
        found = ex.task("exercise_9_dtypes")
        require(isinstance(found, dict) and found, "the engine gave no dtypes")
        wrong = {name: d for name, d in found.items() if d != ["float32", "float32"]}
        require(not wrong, "on float32 tensors, " + "; ".join(
            f"{name} gives {d[0]}" + (f" (and a .grad of {d[1]})" if d[1] != "float32" else "")
            for name, d in list(wrong.items())[:4]) + ", not float32: where does a float64 come "
            "in? (In NumPy 2 a Python number keeps an array's dtype; a float64 array does not)")
        return f"{len(found)} operations keep float32, results and gradients"
    ex.check("float32 stays float32: numbers, broadcasting, sums, means", dtypes,
             needs=NUMBERS + ["Tensor.T", "Tensor.sum", "mean", "exp", "tanh"] + BACKWARD)
    ex.check("A.T and A.reshape(6, 2)",
             checks([(op, op, [draw(4, 3)], ["A"]) for op in ("A.T", "A.reshape(6, 2)")]),
             needs=["Tensor.T", "Tensor.reshape"] + BACKWARD)
    ex.check("Tensor.sum over all entries, an axis, with keepdims, and two axes", sums,
             needs=["Tensor.sum"] + BACKWARD)
    ex.check("exp and log", checks([("exp(z)", "exp", [draw(5, 3)], ["z"]),
                                    ("log(z)", "log", [np.abs(draw(5, 3)) + 0.1], ["z"])]),
             needs=["exp", "log"] + BACKWARD)
    def order():
        out = ex.task("exercise_9_order")
        require(isinstance(out, dict), "backward() gave no account of its vjps")
        for graph, which in ((GRAPH, "calls"), (SWAPPED, "swapped")):
            require(isinstance(out.get(which), list), "backward() gave no account of its vjps")
            in_order([tuple(c) for c in out[which] if isinstance(c, list) and len(c) == 2],
                     graph)
        grad = np.asarray(out.get("grad"), dtype=float)
        require(grad.shape == (2,) and np.allclose(grad, X_GRAD, rtol=1e-12, atol=0),
                f"x.grad is {grad}, not [{X_GRAD:g} {X_GRAD:g}]")
        twice = np.asarray(out.get("grad_twice"), dtype=float)
        require(twice.shape == (2,) and np.allclose(twice, 2 * X_GRAD, rtol=1e-12, atol=0),
                f"after backward() on a second graph over the same leaf x, x.grad is {twice}, "
                f"not [{2 * X_GRAD:g} {2 * X_GRAD:g}]: a leaf's .grad adds up over calls, as in "
                f"PyTorch, until it is set back to None")
        return (f"each of the 7 vjps ran once, each tensor after all its users, with e's parents "
                f"either way round; x.grad {X_GRAD:g}, then {2 * X_GRAD:g} after a second graph")
    ex.check("backward(): a tensor used three times, each vjp once and in reverse topological "
             "order; leaves add up over calls", order, needs=BACKWARD)

    def freed():
        out = ex.task("exercise_9_freed")
        require(isinstance(out, dict), "backward() gave no account of the graph")
        alive = out.get("alive")
        require(alive is not None, "the checker could not take weak references to your Tensors "
                                   "(did Tensor get __slots__?), so it cannot see what is freed")
        require(not alive, f"after e.backward(), with only e and x kept, {', '.join(alive)} "
                           f"{'is' if len(alive) == 1 else 'are'} still in memory, of a, b, c "
                           f"and d: what still leads to {'it' if len(alive) == 1 else 'them'} "
                           f"from e once the vjps have run? PyTorch frees each result's saved "
                           f"tensors as backward() passes it")
        for call, key in (("a second e.backward()", None),
                          ("f.backward(), f = 4a made after e.backward() with a kept,", "through")):
            said = out if key is None else out.get(key) or {}
            before, after = (np.asarray(said.get(k), dtype=float) for k in ("before", "after"))
            again = said.get("again")
            if again is None:
                require(not np.array_equal(before, after),
                        f"{call} returned quietly, x.grad still {before}: PyTorch's raises "
                        f"RuntimeError there, so that a gradient never goes missing unseen. How "
                        f"can backward() tell a freed result from a leaf?")
                raise Failure(f"{call} ran through e's graph again (x.grad went from {before} to "
                              f"{after}), though its results were used up: PyTorch's raises "
                              f"RuntimeError there")
            require(again == "RuntimeError", f"{call} raised {again}; PyTorch's raises "
                                             f"RuntimeError")
            require(np.array_equal(before, after), f"{call} raised RuntimeError, but x.grad went "
                                                   f"from {before} to {after} first")
        return ("a, b, c and d freed once e.backward() ran; a second e.backward(), and a "
                "backward() through a kept result, raised RuntimeError, x.grad unchanged")
    ex.check("backward() frees the graph as it goes, as PyTorch's does (a second backward() "
             "through it raises RuntimeError)", freed, needs=BACKWARD)

    def shared():
        return compare(ex, "h * h + h, h = tanh(x)", "shared", [rng.normal(size=(4, 3))], ["x"])
    ex.check("a tensor used three times in a formula", shared,
             needs=["tanh", "Tensor.__mul__", "Tensor.__add__"] + BACKWARD)

    def deep():
        x = rng.normal(size=(2, 3))
        recursion = (f"a walk that calls itself for each parent goes {DEEP:,} calls deep here, "
                     f"and Python stops at about 1,000 (raising that limit only moves the "
                     f"wall: the check counts the calls). What could hold the tensors still to "
                     f"visit, if not Python's own calls?")
        try:
            out = ex.task("exercise_9_deep", DEEP, x)
        except remote.StudentError as e:
            if e.info.get("type") == "RecursionError":
                raise Failure(f"backward() raised RecursionError on a graph {DEEP:,} operations "
                              f"deep: {recursion}") from None
            raise
        require(isinstance(out, dict), "backward() gave no account of the walk")
        require(out.get("calls") is not None,
                "backward() never read the .parents of the checker's tensors (made by your "
                "record()): walk the graph through each tensor's .parents, as Tensor keeps them")
        require(out.get("calls", 0) < DEEP // 10, f"backward() went {out.get('calls'):,} calls "
                                                   f"deep on a graph {DEEP:,} operations deep: "
                                                   f"{recursion}")
        grad = out.get("grad")
        require(grad is not None, "after backward(), x has no .grad")
        grad = np.asarray(grad, dtype=float)
        exact = DEEP + 1.0
        require(grad.shape == x.shape and np.allclose(grad, exact, rtol=1e-9, atol=0),
                f"x.grad is {grad.ravel()[:3]}..., not {exact:g} everywhere")
        return (f"x.grad = {exact:g} everywhere, as (h = {DEEP + 1:,} x, L = sum(h)) wants; the "
                f"walk went {out.get('calls')} calls deep")
    ex.check(f"backward() on a graph {DEEP:,} operations deep (h = x, then h = h + x, "
             f"{DEEP:,} times), without a call per level", deep, needs=BACKWARD)

    def graphs():
        leaves = [rng.normal(size=3), rng.normal(size=3)]
        weights_ = rng.normal(size=3)
        programs = SHARED + [random_program(rng) for k in range(GRAPHS - len(SHARED))]
        found = ex.task("exercise_9_graphs", programs, leaves, weights_)
        require(isinstance(found, list) and len(found) == GRAPHS, "the graphs gave no gradients")
        for k, (program, mine) in enumerate(zip(programs, found), 1):
            exact = torch_program(program, leaves, weights_)
            # Relative to the graph's largest gradient, and at least to 1 (the size of the
            # inputs): a gradient that cancels to about 1e-17 (n - n) is compared as what it is,
            # rounding, not as a number whose every digit counts.
            scale = max([1.0] + [float(np.abs(e).max()) for e in exact])
            for name, g, e in zip("xy", mine, exact):
                require(g is not None, f"graph {k} ({spelled(program)}): {name} has no .grad")
                g = np.asarray(g, dtype=float)
                err = float(np.abs(g - e).max() / scale)
                require(g.shape == e.shape and err <= GRADIENTS,
                        f"graph {k} of {GRAPHS} ({spelled(program)}; L = sum(n * w) of the last): "
                        f"dL/d{name} is {np.round(g, 4)}, PyTorch's {np.round(e, 4)}. "
                        + ("Each operation passed the checks above, so look at the order: "
                           if ex.failed == 0 else "Look at the order: ")
                        + "a tensor's vjps may run only once every tensor computed from it has "
                          "passed its share back. If the order is right: does a `+=` change an "
                          "array that another tensor's .grad holds too (a vjp may return g "
                          "itself)?")
        return (f"{GRAPHS} graphs of +, -, * and tanh over x and y ({len(SHARED)} set, the rest "
                f"random): gradients as PyTorch's")
    ex.check(f"backward() on {GRAPHS} graphs with shared tensors, against PyTorch", graphs,
             needs=["Tensor.__add__", "Tensor.__sub__", "Tensor.__mul__", "tanh"] + BACKWARD)

    onehot = np.eye(10)[rng.integers(0, 10, size=6)]
    ex.check("softmax_cross_entropy, of your operations, against PyTorch's cross_entropy "
             "(entries of z up to about 3, and in the thousands)",
             checks([("softmax_cross_entropy(z, y)", "softmax_cross_entropy",
                      [draw(6, 10, scale=1), onehot], ["z"]),
                     ("softmax_cross_entropy(Z, y), entries of Z in the thousands",
                      "softmax_cross_entropy", [draw(6, 10, scale=1000), onehot], ["Z"])]),
             needs=["softmax_cross_entropy"] + BACKWARD)

    def lockstep():
        config = dict(LOCK9, seed=ex.seed % 1000)
        data = small_data(config["rows"], 10, seed=ex.seed % 997)
        (x_train, y_train), _ = data
        inputs = {"x_train": x_train, "y_train": y_train}
        out = ex.task("exercise_9_lockstep", config["hidden"], inputs, config,
                      np.random.default_rng(config["seed"]))
        require(isinstance(out, dict), "the run gave no weights")
        mine = weights(out.get("weights"), "level 3½'s weights on your engine")
        rng = np.random.default_rng(config["seed"])
        start = level4_numpy.init_params(config["hidden"], rng, np.float64)
        exact = {k: v.copy() for k, v in start.items()}
        for epoch in range(config["epochs"]):
            level4_numpy.train_epoch(exact, x_train, y_train, config["batch_size"],
                                     config["lr"], rng, True)
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"level 3½'s code on your engine ends {diff:.2e} from level 4; the "
                               f"lockstep wants <= {EXACT:g}. "
                + how_they_moved(mine, exact, start, "level 4's"))
        return f"largest |dW| from level 4 {diff:.1e}"
    ex.check(f"level 3½'s own training code on your engine, in lockstep with level 4 (float64, "
             f"{LOCK9['rows']} rows, batch {LOCK9['batch_size']}, H {LOCK9['hidden']}, lr "
             f"{LOCK9['lr']:g}, {LOCK9['epochs']} epochs, shuffled)", lockstep,
             needs=["Tensor.__matmul__", "Tensor.__add__", "Tensor.__sub__", "Tensor.__mul__",
                    "unbroadcast", "tanh", "logaddexp", "mean"] + RECORD + ["Tensor.backward"])

    def reentrant():
        out = ex.task("exercise_9_reentrant")
        require(isinstance(out, dict), "no_grad gave no account")
        require(out.get("inside") is False, "record() inside a function decorated with "
                                            "@no_grad() that calls itself made a tensor of the "
                                            "graph")
        require(out.get("after") is True,
                "after a function decorated with @no_grad() that calls itself returned, record() "
                "records nothing any more: its one no_grad instance was entered three times "
                "before it left - where is each entry's state kept?")
        return "nothing recorded inside, recording again after it"
    ex.check("no_grad on a function that calls itself (@no_grad(), entered again before it "
             "leaves)", reentrant, needs=RECORD)
