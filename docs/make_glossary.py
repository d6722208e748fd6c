"""Write docs/glossary.md: the terms a NumPy user may not know, each with the code where it first
does its work, quoted, and a link to its file (no line number, which would go stale as the file
changes: search the file for the quote). Run it after changing a level file; it stops with an
error where a quote is no longer in its file, and tests/test_docs.py checks that the page is what
it makes.

    python docs/make_glossary.py
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from machinery import atomic  # noqa: E402

# term, meaning, file, a fragment of the line to link to (its first occurrence in the file)
TERMS = [
 ("autograd", "Automatic differentiation as PyTorch does it: the operations on tensors that require a gradient are recorded as they run, and `backward()` applies the chain rule along that record, from the loss back. Its results are the derivatives a hand derivation gives, up to rounding; not finite-difference estimates.", "level3_autograd.py", "`loss.backward()` walks that record backwards"),
 ("`backward()`", "`loss.backward()` computes $\\partial L/\\partial p$ for every leaf tensor $p$ (here the parameters) that requires a gradient and that the loss was computed from, and adds it into `p.grad`; the tensors in between get no `.grad` unless asked (`retain_grad()`).", "level2_pytorch.py", "loss.backward()"),
 ("batch, minibatch", "The $B$ examples (rows of $x$ and $y$) used for one SGD step ($B = 32$ of 60,000). The last batch of an epoch is smaller when $B$ does not divide the number of examples.", "level1_keras.py", "batch_size=batch_size"),
 ("`BCEWithLogitsLoss`", "PyTorch's binary cross-entropy that takes the logits $z_2$ rather than $a$, and computes the mean of $\\log(1 + e^{z_2}) - y z_2$ over all $B \\times 10$ entries, finite however large $z_2$ is.", "level2_pytorch.py", "nn.BCEWithLogitsLoss()"),
 ("bias", "The vector $b$ a layer adds to $x W$ ($b_1$: $H$ numbers; $b_2$: 10), the same for every example of the batch. Every level starts the biases at zero.", "level2_pytorch.py", "nn.init.zeros_(layer.bias)"),
 ("binary cross-entropy", "The loss of one yes/no output $a$ in $(0, 1)$ against a label $y$ that is 0 or 1: $-[y \\log a + (1 - y) \\log(1 - a)]$, here averaged over the $B \\times 10$ outputs.", "level1_keras.py", "keras.losses.BinaryCrossentropy()"),
 ("broadcasting", "NumPy's and PyTorch's rule for element-wise operations on arrays of different shapes: the smaller one is repeated, so `x @ W1 + b1` adds $b_1$ to every row. The gradient of a repeated value is the sum over its copies (`unbroadcast` at level 3½).", "level3b_own_autograd.py", "A broadcast copies a value to many places"),
 ("callback", "A function handed to `fit()` that Keras calls at set moments: `LambdaCallback(on_epoch_end=...)` runs at the end of every epoch, with that epoch's metrics in `logs`.", "level1_keras.py", "keras.callbacks.LambdaCallback(on_epoch_end="),
 ("closure", "A Python function that keeps the variables of the place it was made: each `lambda g: ...` of level 3½'s engine keeps the arrays of its forward operation for the backward pass.", "level3b_own_autograd.py", "lambda g: g @ other.data.T"),
 ("`compile()`, `fit()`", "Keras: `compile()` attaches the optimizer, the loss and the metrics to a model, and builds nothing to run (`model.train_function` is still `None`); the first `fit()` builds the training function, tracing Keras's own `train_step` into a TensorFlow graph ([inside.md](inside.md)), then runs the whole training loop: epochs, batches, shuffling, updates, metrics and the evaluation of `validation_data`.", "level1_keras.py", "model.compile(optimizer="),
 ("`DataLoader`, `TensorDataset`", "PyTorch's iterator over a dataset. A `TensorDataset` indexes tensors together (`(x_train[i], y_train[i])`); the `DataLoader` fetches `batch_size` of its rows at a time and stacks them into one batch, with `shuffle=True` in a new order at each pass over it, drawn from its `generator`.", "level2_pytorch.py", "loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=shuffle,"),
 ("`Dense`", "Keras's fully connected layer: `Dense(units, activation=f)` holds a kernel $W$ and a bias $b$ and computes $f(x W + b)$ in one call.", "level1_keras.py", 'keras.layers.Dense(hidden, activation="tanh",'),
 ("`detach()`", "A tensor's numbers without the record of how they were computed: for reporting.", "level2_pytorch.py", "detach()"),
 ("device, CUDA", "Where a PyTorch tensor lives and is computed on: `\"cpu\"`, or `\"cuda\"`, an NVIDIA GPU. `.to(device)` moves a tensor or a model there; run from the shell, `--device cuda` does that for levels 2 and 3 from outside.", "level2_pytorch.py", "the model there from outside this file"),
 ("dtype, `float32`, `float64`", "An array's element type. `float32` keeps about 7 significant digits (numbers near 1 are $1.19 \\times 10^{-7}$ apart), `float64` about 16 ($2.22 \\times 10^{-16}$). The project computes in `float32` unless `--dtype float64` is given.", "common.py", 'DTYPE = "float32"'),
 ("epoch", "One pass over the whole training set: with 60,000 images and $B = 32$, 1,875 SGD steps. Every level prints one line per epoch.", "level1_keras.py", "epochs=epochs"),
 ("Glorot (Xavier) initialisation", "Random initial weights with mean 0 and standard deviation $\\sqrt{2/(n_\\text{in} + n_\\text{out})}$ (Glorot and Bengio, 2010; Xavier is Glorot's first name). See [design notes](design.md#why-the-initialisation-is-set-by-hand).", "level1_keras.py", 'kernel_initializer="glorot_normal"'),
 ("`.grad`", "Where `backward()` puts $\\partial L/\\partial p$, an array of $p$'s shape. It adds up over calls, so the training step clears it once per batch (`zero_grad()`, or `p.grad = None`). Adding up is on purpose: a tensor used twice in one computation gets the sum of both uses' gradients, and several batches' gradients can be summed before one update.", "level3_autograd.py", "p -= lr * p.grad"),
 ("`grad_fn`, `next_functions`", "The node of autograd's graph that made a tensor: `loss.grad_fn` is a `MeanBackward0`; its `next_functions` lead to the nodes of its inputs, down to an `AccumulateGrad` per parameter. Each node's backward formula is one line of level 4's `gradients()` ([inside.md](inside.md)).", "instruments/inside.py", "loss.grad_fn"),
 ("graph (computation graph)", "The record of a computation's operations, each with its inputs. Autograd records one during level 3's forward pass; level 3½'s engine records one in each `Tensor`'s `parents`; `tf.function` builds one from Keras's `train_step`. `instruments/inside.py` prints all three ([inside.md](inside.md)).", "level3_autograd.py", "`requires_grad=True` is recorded"),
 ("kernel", "Keras's name for a `Dense` layer's weight matrix $W$, stored inputs × outputs as the scripts write it: the first layer's kernel is $W_1$ ($784 \\times H$).", "level1_keras.py", 'kernel_initializer="glorot_normal"'),
 ("leaf tensor", "A tensor that no recorded operation produced: here the parameters. In autograd's graph each is an `AccumulateGrad` node, which adds the gradient into its `.grad`. PyTorch keeps `.grad` only on leaves; $z_1$, $h$, $z_2$ get one only after `retain_grad()` ([`one_step.py`](one_step.md) uses it). Level 3½'s engine keeps `.grad` on every tensor.", "level3_autograd.py", "# leaves: every use recorded"),
 ("learning rate", "$\\eta$ in the update $\\theta \\leftarrow \\theta - \\eta\\,\\partial L/\\partial \\theta$: `--lr`, `LR = 1.0` in `common.py`.", "level1_keras.py", "keras.optimizers.SGD(learning_rate=lr)"),
 ("lockstep", "This project's word for `compare.py --lockstep`: every level starts from one seeded draw, takes the batches in dataset order, and the final weights are compared. See [design notes](design.md#same-model-same-numbers).", "compare.py", "--lockstep"),
 ("logits", "The values a sigmoid is applied to: $z_2$, since $a = \\sigma(z_2)$. A loss \"with logits\" takes $z_2$ instead of $a$.", "level2_pytorch.py", '("logits")'),
 ("`nn.Linear`", "PyTorch's fully connected layer: it computes `x @ weight.T + bias` and stores `.weight` as outputs × inputs, $W$ transposed: `model[0].weight` is $W_1^\\top$ ($H \\times 784$).", "level2_pytorch.py", "nn.Linear(common.N_INPUTS, hidden),"),
 ("one-hot", "A digit label written as 10 numbers: 1 in the digit's column (counting from 0), 0 elsewhere. $y$ holds one such row per image ($B \\times 10$).", "level1_keras.py", "# one-hot"),
 ("optimizer, `step()`, `zero_grad()`", "The object that updates the parameters from their gradients: `torch.optim.SGD`'s `step()` does `p -= lr * p.grad` for each parameter; `zero_grad()` clears their `.grad`.", "level2_pytorch.py", "optimizer.zero_grad()"),
 ("`requires_grad`", "A tensor's flag asking autograd to record every operation that uses it, so that `backward()` can compute $\\partial L/\\partial$ of it. Level 3 sets it with `requires_grad_()`; level 2's `nn.Linear` makes its weight and bias with it already set.", "level3_autograd.py", "requires_grad_()"),
 ("saved tensor", "A tensor a recorded operation keeps for its backward formula: `x @ W1` keeps $x$ (for $x^\\top \\partial L/\\partial z_1$), `tanh` keeps its result $h$ (for $1 - h^2$). `backward()` frees them, so a second `backward()` fails unless the first was given `retain_graph=True` ([inside.md](inside.md#the-graphs-lifetime)).", "instruments/bridge_function.py", "ctx.save_for_backward(x, W)"),
 ("`Sequential`", "A model that is a list of layers applied in order; `model(x)` runs them all. At level 2 its layers are `model[0]`, `model[1]`, `model[2]`.", "level1_keras.py", "keras.Sequential(["),
 ("SGD", "Stochastic gradient descent: after each minibatch every parameter takes a step against that batch's gradient. \"Plain\": no momentum, no weight decay.", "level1_keras.py", "# plain SGD, no momentum"),
 ("softplus, `logaddexp`", "$\\operatorname{softplus}(z) = \\log(1 + e^{z})$; `logaddexp(u, v)` $= \\log(e^{u} + e^{v})$ without overflow, so `logaddexp(0, z)` is softplus, the first term of the loss.", "level3_autograd.py", "softplus = torch.logaddexp(torch.zeros_like(z2), z2)"),
 ("`steps_per_execution`", "A Keras `compile()` option: how many batches each call from Python into the traced training graph runs (a loop inside the graph). 50 instead of 1 saves Python overhead; the numbers are the same.", "level1_keras.py", "steps_per_execution=50)"),
 ("tape, `GradientTape`", "TensorFlow's recorder: inside `with tf.GradientTape() as tape:` the operations on the model's variables are recorded, and `tape.gradient(L, weights)` walks the record back. In Keras's traced `train_step` this adds the gradient operations (`MatMul`, `TanhGrad`, `BiasAddGrad`, ...) to the graph.", "level1_keras.py", "tf.GradientTape()"),
 ("tensor", "PyTorch's array, `torch.Tensor`: a NumPy-like array that also has a device and, when it requires a gradient, the record of how it was computed. Level 3½'s `Tensor` is a NumPy array plus `.grad`, its parents and their closures.", "level3b_own_autograd.py", "class Tensor:"),
 ("topological order", "An order of the recorded tensors in which each comes after everything it was computed from. Walked backwards, it reaches a tensor only when its `.grad` is complete.", "level3b_own_autograd.py", "def visit(t):"),
 ("`torch.no_grad()`", "A context (or decorator) inside which PyTorch records nothing: for evaluation, and for the update, which is not part of the model. Outside it, level 3's `p -= lr * p.grad` would stop with PyTorch's error \"a leaf Variable that requires grad is being used in an in-place operation\".", "level3_autograd.py", "with torch.no_grad():"),
 ("trace, `tf.function`", "`tf.function` runs the Python of a function once, with symbolic tensors, and records every TensorFlow operation it asks for: the trace, a graph that later calls run without the Python. The first `fit()` traces Keras's `train_step` this way. Inputs of a new shape trace again, unless the trace already allows it: `fit()` declares the batch dimension as `None` when the last batch is shorter, so one trace serves every batch.", "level1_keras.py", "the first fit() traces"),
 ("trailing underscore", "A PyTorch function whose name ends in `_` changes its argument in place: `nn.init.trunc_normal_` fills `layer.weight`, `requires_grad_()` sets the flag. (`zeros_like`'s `_` is inside the name.)", "level2_pytorch.py", "# a trailing _ (trunc_normal_): changes it in place"),
 ("truncated normal", "A normal distribution whose values beyond 2 of its standard deviations are redrawn; see [design notes](design.md#why-keras-cuts-the-tails-and-where-08796-comes-from).", "level2_pytorch.py", "nn.init.trunc_normal_(layer.weight"),
 ("vector-Jacobian product", "For `out = f(u)`: given $g = \\partial L/\\partial\\,\\text{out}$, the share of $\\partial L/\\partial u$ through $f$, computed without building the Jacobian matrix (for $AB$, the share of $A$ is $g B^\\top$).", "level3b_own_autograd.py", "(a vector-Jacobian product)"),
]


def page():
    """The lines of docs/glossary.md."""
    out = ["# Glossary", "", "[Back to the README](../README.md). The terms a NumPy user may not know, each with the code",
           "where it first does its work, quoted from its file (search the file for it). \"First\" counts",
           "in the levels' numbering, 1 to 4, with level 3½ after level 3 (the README's route reads them",
           "upwards, from level 4).", "",
           "| term | meaning | first at |", "|---|---|---|"]
    for term, meaning, f, frag in TERMS:
        if frag not in open(os.path.join(ROOT, f)).read():
            raise SystemExit(f"make_glossary.py: error: {f} has no line with {frag!r} ({term}).")
        quoted = f"`` {frag} ``" if "`" in frag else f"`{frag}`"
        out.append(f"| {term} | {meaning} | {quoted} in [`{f}`](../{f}) |")
    return "\n".join(out) + "\n"


def main():
    text = page()
    with atomic.replace(os.path.join(ROOT, "docs", "glossary.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
