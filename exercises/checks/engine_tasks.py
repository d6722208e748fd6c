"""What the checks of Exercise 9 (the engine) run in the process that holds the student's file,
and what the tasks of Exercises 10 and 11 (rebuild_tasks.py) share with them: each task builds a
graph on the student's engine and returns values (arrays, lists, numbers), which the checker
compares with its own references, in its own process. A task decides nothing.

A task is task(module, ...): the student's module first, then the checker's inputs.
"""

import contextlib
import gc
import sys
import weakref

import numpy as np

NAMES = ("W1", "b1", "W2", "b2")
ENGINE = ("Tensor", "no_grad", "record", "unbroadcast", "sigmoid", "tanh", "logaddexp", "mean",
          "zeros_like")                       # level 3½'s engine, name for name
ONE_OPS = {"A.T": lambda a: a.T,                # operations of one tensor, written the same
           "A.reshape(6, 2)": lambda a: a.reshape(6, 2),   # for a NumPy array, a torch tensor
           "3 + A": lambda a: 3 + a, "A + 3": lambda a: a + 3,   # and the student's Tensor
           "2.5 * A": lambda a: 2.5 * a, "A * 2.5": lambda a: a * 2.5,
           "1 - A": lambda a: 1 - a, "A - 1.5": lambda a: a - 1.5, "-A": lambda a: -a}
SUMS = {"sum()": dict(axis=None, keepdims=False),   # Tensor.sum's arguments, by the op's name
        "sum(axis=0)": dict(axis=0, keepdims=False),
        "sum(axis=1, keepdims=True)": dict(axis=1, keepdims=True),
        "sum(axis=(0, 2))": dict(axis=(0, 2), keepdims=False)}


@contextlib.contextmanager
def put_in(swaps):
    """For the time of a `with` block, names of the student's modules replaced by others (another
    tensor library behind them): swaps is {module: {name: value}}."""
    kept = {m: {k: getattr(m, k) for k in names} for m, names in swaps.items()}
    try:
        for m, names in swaps.items():
            for k, v in names.items():
                setattr(m, k, v)
        yield
    finally:
        for m, names in kept.items():
            for k, v in names.items():
                setattr(m, k, v)


def engine_of(module):
    return {name: getattr(module, name) for name in ENGINE}


# Exercise 9: the engine ------------------------------------------------------------------------
def exercise_9_op(module, op, inputs, weights):
    """out = op(inputs) on the student's engine, then L = sum(out * weights) through a node whose
    vjp is the checker's (g -> g * weights); backward(). The value and each input's .grad."""
    T = module.Tensor
    leaves = [T(np.array(a), requires_grad=True) for a in inputs]
    if op == "square":                         # one tensor used twice by one operation
        leaves = leaves[:1]
        out = leaves[0] * leaves[0]
    elif op == "shared":                       # h used three times: h * h + h
        h = module.tanh(leaves[0])
        out = h * h + h
    elif op in SUMS:
        out = leaves[0].sum(**SUMS[op])
    elif op in ONE_OPS:
        out = ONE_OPS[op](leaves[0])
    elif op == "softmax_cross_entropy":        # the labels need no gradient
        leaves = leaves[:1]
        out = module.softmax_cross_entropy(leaves[0], T(np.array(inputs[1])))
    else:
        function = {"matmul": lambda a, b: a @ b, "add": lambda a, b: a + b,
                    "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                    "tanh": module.tanh, "relu": module.relu, "logaddexp": module.logaddexp,
                    "mean": module.mean, "exp": module.exp, "log": module.log}[op]
        out = function(*leaves)
    nodes, own, todo, seen = 0, 0, [out], set()   # the operations between the leaves and out,
    while todo:                                  # and the vjps written inside the function
        t = todo.pop()
        if id(t) not in seen and getattr(t, "parents", ()):
            seen.add(id(t))
            nodes += 1
            own += sum(op in getattr(vjp, "__qualname__", "") for vjp in t.vjps)
            todo += list(t.parents)
    weights = np.array(weights)
    loss = module.record(np.sum(out.data * weights), (out,), (lambda g: g * weights,))
    loss.backward()
    return {"value": np.asarray(out.data), "nodes": nodes, "own_vjps": own,
            "grads": [None if t.grad is None else np.asarray(t.grad) for t in leaves]}


def exercise_9_record(module):
    """What the student's record() makes - whether the result requires grad, how many parents
    and vjps it keeps - from parents that need a gradient or not, outside and inside `with
    no_grad()`, one no_grad inside another, and in a function under @no_grad(). By name."""
    tracked = module.Tensor(np.ones(2), requires_grad=True)
    constant = module.Tensor(np.ones(2))

    def made(*parents):
        t = module.record(np.ones(2), parents, tuple(lambda g: g for p in parents))
        return {"requires_grad": bool(getattr(t, "requires_grad", False)),
                "parents": len(getattr(t, "parents", ())), "vjps": len(getattr(t, "vjps", ())),
                "tensor": isinstance(t, module.Tensor)}

    facts = {"mixed": made(constant, tracked), "constants": made(constant, constant)}
    with module.no_grad():
        facts["inside"] = made(tracked)
        with module.no_grad():
            facts["nested"] = made(tracked)
        facts["after_nested"] = made(tracked)
    facts["after"] = made(tracked)

    @module.no_grad()
    def decorated():
        return made(tracked)
    facts["decorated"] = decorated()
    facts["after_decorated"] = made(tracked)
    return facts


def exercise_9_reentrant(module):
    """record() inside a function under @no_grad() that calls itself (one no_grad instance,
    entered three times before it leaves), and after it returned: whether each result requires
    grad. (Last of the checks: a no_grad that gets this wrong may leave recording off.)"""
    tracked = module.Tensor(np.ones(2), requires_grad=True)

    def made():
        return bool(getattr(module.record(np.ones(2), (tracked,), (lambda g: g,)),
                            "requires_grad", False))

    @module.no_grad()
    def deeper(n):
        return made() if n == 0 else deeper(n - 1)
    return {"inside": deeper(2), "after": made()}


def exercise_9_dtypes(module):
    """The dtype of each operation's result on float32 tensors, numbers among the operands: a
    number made into a float64 array turns a float32 result into float64 (NumPy 2)."""
    a = module.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = module.Tensor(np.ones(2, np.float32), requires_grad=True)
    made = {"1 - t": lambda: 1 - a, "t - 1.5": lambda: a - 1.5, "2 * t": lambda: 2 * a,
            "t * 2.5": lambda: a * 2.5, "3 + t": lambda: 3 + a, "t + 3": lambda: a + 3,
            "-t": lambda: -a, "t + b": lambda: a + b, "t.T": lambda: a.T,
            "t.sum(axis=0)": lambda: a.sum(axis=0), "mean(t)": lambda: module.mean(a),
            "exp(t)": lambda: module.exp(a), "tanh(t)": lambda: module.tanh(a)}
    out = {}
    for name, make in made.items():
        t = make()
        t.backward() if np.ndim(t.data) == 0 else t.sum().backward()
        out[name] = [str(np.asarray(t.data).dtype), str(np.asarray(a.grad).dtype)]
        a.grad = b.grad = None
    return out


def checkers_graph(module, calls, x, swapped=False):
    """The checker's graph over the leaf x, of its own nodes, whose vjps note in `calls` when they
    run: a = 2x; b = 3a, c = 5a, d = b + c, e = 7d + a (a used three times), or, swapped,
    e = a + 7d. Returns e, and weak references to a, b, c and d."""
    def node(name, parents, factors):
        return module.record(sum(f * p.data for f, p in zip(factors, parents)), tuple(parents),
                             tuple(noting(name, i, f) for i, f in enumerate(factors)))

    def noting(name, i, factor):
        def vjp(g):
            calls.append([name, i])
            return g * factor
        return vjp
    a = node("a", [x], [2.0])
    b, c = node("b", [a], [3.0]), node("c", [a], [5.0])
    d = node("d", [b, c], [1.0, 1.0])
    e = node("e", [a, d], [1.0, 7.0]) if swapped else node("e", [d, a], [7.0, 1.0])
    try:
        inner = [weakref.ref(t) for t in (a, b, c, d)]
    except TypeError:                          # a Tensor that takes no weak references
        inner = []
    return e, inner


def exercise_9_order(module):
    """backward() from e of the checker's graph, then from a second graph over the same x; then
    from the graph with e's parents the other way round (a walk that gets the order right for
    one order of the parents only fails one of the two). The notes of the first and the last
    backward(), in order, and x's .grad after the first and the second."""
    calls = []
    x = module.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    checkers_graph(module, calls, x)[0].backward()
    first, first_calls = np.array(x.grad, copy=True), list(calls)
    checkers_graph(module, [], x)[0].backward()
    twice = np.array(x.grad, copy=True)
    del calls[:]
    x = module.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    checkers_graph(module, calls, x, swapped=True)[0].backward()
    return {"calls": first_calls, "grad": first, "grad_twice": twice, "swapped": list(calls)}


def exercise_9_freed(module):
    """backward() from e of the checker's graph, e and x kept: which of a, b, c and d are still in
    memory then (None: the Tensor takes no weak references); what a second e.backward() raises
    (None: nothing), and x's .grad before and after it. Then, on a second graph whose `a` is
    kept, f = 4a made after e.backward(): what f.backward() raises, and x's .grad after it."""
    def again(loss, x):
        before = np.array(x.grad, copy=True)
        try:
            loss.backward()
            raised = None
        except Exception as error:
            raised = type(error).__name__
        return {"again": raised, "before": before,
                "after": None if x.grad is None else np.array(x.grad, copy=True)}
    x = module.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    e, inner = checkers_graph(module, [], x)
    e.backward()
    gc.collect()
    out = {"alive": [name for name, ref in zip("abcd", inner) if ref() is not None]
           if inner else None, **again(e, x)}
    x = module.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    e, inner = checkers_graph(module, [], x)
    a = inner[0]() if inner else None
    e.backward()
    if a is not None:
        f = module.record(4.0 * a.data, (a,), (lambda g: 4.0 * g,))
        out["through"] = again(f, x)
    return out


def frames():
    """How many Python calls deep the running code is."""
    frame, n = sys._getframe(1), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


deepest = [0]                                  # the most calls deep a probed .parents was read


def probed(t):
    """The student's tensor t, its class switched to a subclass of its own whose .parents notes
    how many calls deep the code reading it is (kept however record() stores the parents)."""
    class Probed(type(t)):
        @property
        def parents(self):
            deepest[0] = max(deepest[0], frames())
            if "parents" in self.__dict__:
                return self.__dict__["parents"]
            return super(Probed, self).parents   # a class of the student's that makes its own

        @parents.setter
        def parents(self, value):
            self.__dict__["parents"] = value
    t.__class__ = Probed
    return t


def exercise_9_deep(module, depth, x):
    """h = x, then h = h + x `depth` times, made with the checker's own nodes (record()): a
    graph `depth` operations deep that uses x at every step; x and the deepest node note how many
    calls deep backward() is when it reads their parents. backward() from sum(h); x's .grad, and
    the calls backward() went down."""
    leaf = probed(module.Tensor(np.array(x), requires_grad=True))
    h = leaf
    for i in range(depth):
        h = module.record(h.data + leaf.data, (h, leaf), (lambda g: g, lambda g: g))
        if i == 0:
            h = probed(h)
    loss = module.record(np.sum(h.data), (h,), (lambda g: g * np.ones_like(h.data),))
    deepest[0], start = 0, frames()
    loss.backward()
    return {"grad": None if leaf.grad is None else np.asarray(leaf.grad),
            "calls": max(deepest[0] - start, 0) if deepest[0] else None}


def exercise_9_graphs(module, programs, leaves, weights):
    """Each program - steps (op, i, j) over the nodes so far, the leaves first - on the student's
    engine, then L = sum(last * weights) and backward(). Each leaf's .grad, program by program."""
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "tanh": lambda a, b: module.tanh(a)}
    out = []
    for program in programs:
        nodes = [module.Tensor(np.array(v), requires_grad=True) for v in leaves]
        for op, i, j in program:
            nodes.append(ops[op](nodes[i], nodes[j]))
        last = nodes[-1]
        module.record(np.sum(last.data * weights), (last,), (lambda g: g * weights,)).backward()
        out.append([None if t.grad is None else np.asarray(t.grad) for t in nodes[:len(leaves)]])
    return out


def exercise_9_lockstep(module, hidden, data, config, rng):
    """Level 3½'s own code on the student's engine: init_params(hidden, rng, float64), then
    config["epochs"] of its train_epoch, shuffled by rng. The weights and the epochs' losses."""
    from exercises import helpers
    level = helpers.level_with("level3b_own_autograd", **engine_of(module))
    params = level.init_params(hidden, rng, np.dtype(config["dtype"]))
    losses = []
    for epoch in range(config["epochs"]):
        loss, acc = level.train_epoch(params, data["x_train"], data["y_train"],
                                      config["batch_size"], config["lr"], rng, True)
        losses.append(float(loss))
    return {"weights": {k: np.asarray(params[k].data) for k in NAMES}, "losses": losses}
