"""Inside the frameworks: what compile(), fit(), GradientTape and backward() build for one step.

The levels show what each framework does for you; this script shows the objects it builds to do
it, for one training step of the project's network at a size where every object fits on a
screen (B = 4 examples, H = 5 hidden units), and ties each of them to the line of
level4_numpy.py that computes the same thing by hand:

    python instruments/inside.py --data-dir PATH/TO/MNIST

* Level 1 (Keras): what compile() leaves behind; what the first fit() builds (Keras's own
  train_step, traced by tf.function into a graph); how often the Python of the step runs; what
  steps_per_execution changes; and every operation of the traced graph: the forward pass, the
  loss, the gradient operations GradientTape added, the four variable updates.
* Level 3 (PyTorch): the graph autograd records during the forward pass, walked from
  loss.grad_fn through next_functions to the four AccumulateGrad leaves, with the tensors each
  node saved for backward(); why a second backward() fails, what retain_graph=True changes, and
  the bytes the saved tensors hold at the levels' default size (H = 256) for B = 32, 256, 2048.
  Then level 2's graph of the same step: nn.Linear and its loss record fewer, larger nodes.
* Level 3½ (own autograd): the same graph, from the engine's own Tensor objects, node for node
  beside PyTorch's.

docs/inside.md walks through the output; docs/draw_inside.py draws the graphs. The batch is the
first examples of the training set, and every level starts from one seeded Glorot-normal draw
(level 4's init_params). TensorFlow and PyTorch each run in a process of their own.
"""

import argparse
import concurrent.futures
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # the levels

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from instruments.graphs import engine_graph, keras_graph, torch_graph  # noqa: E402
from machinery import cli, flags, levels, mnist_files, processes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH_SIZE = 4          # small, so that every object fits on a screen
HIDDEN = 5
STEPS = 3               # Keras's fit() trains on STEPS batches, to show what runs once
BYTES_BATCHES = (32, 256, 2048)   # the saved tensors' bytes, at H = common.HIDDEN
PARTS = {"keras": "tensorflow", "torch": "torch"}   # the parts that need a process of their own


def describe_part(part, arrays_in):
    """In a child process: one framework's part, as JSON on stdout."""
    with np.load(arrays_in) as f:
        x, y = f["x"], f["y"]
        start = {name: f[name] for name in common.PARAM_NAMES}
        lr, dtype = float(f["lr"]), str(f["x"].dtype)
    if part == "keras":
        data = keras_graph.describe(x, y, start, lr, dtype)
    else:
        batch = len(x) // STEPS
        data = torch_graph.describe(x[:batch], y[:batch], start, lr, BYTES_BATCHES,
                                    common.HIDDEN)
    json.dump(data, sys.stdout)


def run_parts(arrays_in):
    """Keras's and PyTorch's parts, each in a child process, side by side."""
    with concurrent.futures.ThreadPoolExecutor(len(PARTS)) as pool:
        runs = {part: pool.submit(processes.run_python, f"inside.py's {framework} part",
                                  os.path.join(HERE, "inside.py"), "--part", part,
                                  "--arrays-in", arrays_in)
                for part, framework in PARTS.items()}
        return {part: json.loads(run.result()) for part, run in runs.items()}


def section(title):
    return f"== {title} " + "=" * (100 - len(title))


def make_parser():
    parser = flags.one_step_parser(__doc__, common, BATCH_SIZE, HIDDEN, common.DTYPE, "examples per step; "
                                   "Keras's fit() is given the first 3 B")
    add = parser.add_argument
    add("--json-out", metavar="FILE", help="write everything printed, as data, to FILE (JSON); "
                                           "docs/draw_inside.py draws from it")
    # How this script runs one framework in a child process; not for users.
    add("--part", choices=list(PARTS), help=argparse.SUPPRESS)
    add("--arrays-in", help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    cli.check_args(parser, args, common)       # --json-out writable, --lr and --hidden sane
    if args.part:                              # a child process: one framework's part
        if not args.arrays_in:
            parser.error("--part needs --arrays-in FILE")
        return describe_part(args.part, args.arrays_in)

    if args.data_dir is None:
        args.data_dir = mnist_files.download()   # as level 4 does
    rows = STEPS * args.batch_size
    (x, y), _ = levels.load_data(level4_numpy, args.data_dir, rows, np.dtype(args.dtype))
    if len(x) < rows:
        parser.error(f"argument --batch-size: {args.batch_size} needs {rows} training images "
                     f"({STEPS} batches); {args.data_dir} has {len(x)}")
    start = level4_numpy.init_params(args.hidden, np.random.default_rng(args.seed), np.float64)
    start = {name: p.astype(args.dtype) for name, p in start.items()}

    with tempfile.TemporaryDirectory() as folder:
        arrays_in = os.path.join(folder, "batch.npz")
        np.savez(arrays_in, x=x, y=y, lr=args.lr, **start)
        parts = run_parts(arrays_in)
    batch = args.batch_size
    parts["engine"] = engine_graph.describe(x[:batch], y[:batch], start, args.lr)

    print(f"One training step, B = {batch}, H = {args.hidden}, {args.dtype}, lr = {args.lr:g}, "
          f"on the first training examples of {args.data_dir}.")
    for title, lines in [("Keras: compile() and fit() (level 1)", keras_graph.report(parts["keras"])),
                         ("PyTorch: the recorded graph (level 3)", torch_graph.report(parts["torch"])),
                         ("The own engine: the same graph (level 3½)",
                          engine_graph.report(parts["engine"], parts["torch"]))]:
        print("\n" + section(title) + "\n")
        print("\n".join(lines))

    if args.json_out:
        cli.write_json(args.json_out, {
            "config": {"batch_size": batch, "hidden": args.hidden, "lr": args.lr,
                       "seed": args.seed, "dtype": args.dtype, "data_dir": args.data_dir},
            **parts})


if __name__ == "__main__":
    cli.run(main)
