"""What each framework builds for one training step, read out by inside.py.

* ``keras_graph``  - level 1: what compile() leaves, what fit() traces, the graph's operations;
* ``torch_graph``  - level 3: the graph autograd records, its saved tensors, and its lifetime;
* ``engine_graph`` - level 3½: the same graph, from the engine's own Tensor objects.

Each module's describe() runs the framework and returns plain data (JSON); its report() turns that
data into the lines inside.py prints, without importing the framework. Every object is tied to the
line of level4_numpy.py that computes the same thing: LEVEL4 below, looked up in the file itself.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What level 4 computes, by name, and the start of the line of level4_numpy.py that computes it.
LEVEL4 = {
    "z1": 'z1 = x @ params["W1"] + params["b1"]',
    "h": "h = np.tanh(z1)",
    "z2": 'z2 = h @ params["W2"] + params["b2"]',
    "a": "a = 0.5 * (1 + np.tanh(0.5 * z2))",
    "softplus": "softplus = np.logaddexp(0, z2)",
    "loss": "return np.mean(softplus - y * z2)",
    "dz2": "dz2 = (a - y) / n",
    "dW2": "dW2 = h.T @ dz2",
    "db2": "db2 = dz2.sum(axis=0)",
    "dh": 'dh = dz2 @ params["W2"].T',
    "dz1": "dz1 = dh * (1 - h * h)",
    "dW1": "dW1 = x.T @ dz1",
    "db1": "db1 = dz1.sum(axis=0)",
    "grads": 'return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
    "update": "p -= lr * grads[name]",
    "total_loss": "total_loss += loss * len(x)",
    "total_acc": "total_acc += acc * len(x)",
    "accuracy": "return np.mean(a.argmax(axis=1) == y.argmax(axis=1))",
}


# Which level-4 gradients each recorded operation's backward computes: by the variable its line
# of forward() or loss_fn() assigns, and the kind of operation. x needs no gradient, so the
# product x W1 passes none back to x: its backward gives dL/dW1 alone.
BACKWARD_AT_LEVEL4 = {
    ("z1", "matmul"): ["dW1"], ("z1", "add"): ["db1"],
    ("h", "tanh"): ["dz1"],
    ("z2", "matmul"): ["dW2", "dh"], ("z2", "add"): ["db2"],
    ("softplus", "logaddexp"): ["dz2"], ("loss", "mul"): ["dz2"], ("loss", "sub"): ["dz2"],
    ("loss", "mean"): ["dz2"],
    ("leaf", "leaf"): ["grads"],
}


def assigned(code):
    """The variable a line of forward() or loss_fn() computes: 'z1 = x @ ...' -> 'z1';
    'return torch.mean(...)' -> 'loss' (loss_fn returns L)."""
    if code.startswith("return"):
        return "loss"
    return code.split("=")[0].strip()


def level4_line(key):
    """(line number, code) of level4_numpy.py's line that computes LEVEL4[key]; the code without
    its comment. A line that is no longer there is an error, not a silent mismatch."""
    with open(os.path.join(ROOT, "level4_numpy.py"), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip().startswith(LEVEL4[key]):
                return number, line.split("  #")[0].strip()
    raise LookupError(f"level4_numpy.py has no line starting with {LEVEL4[key]!r} ({key})")


def level4_text(keys):
    """'z1 = ...; dW1 = ...', level 4's lines for the keys given (a key or a list of them); the
    code says which line it is, where a line number would go stale as the file changes."""
    keys = [keys] if isinstance(keys, str) else keys
    return "; ".join(level4_line(key)[1] for key in keys)


def shape_text(shape):
    """(4, 5) -> '4 x 5'; () -> 'scalar'."""
    return " x ".join(str(n) for n in shape) if shape else "scalar"
