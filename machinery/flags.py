"""The flags every script understands, and every check that needs nothing but the flags.

Nothing here imports NumPy or a framework, so that machinery.shell can check a level's flags
before TensorFlow or PyTorch loads: `--help` or a mistake is answered at once, not after the
seconds a framework takes to import. The defaults are common.py's hyperparameters, handed in as
`common` (machinery imports nothing from the project's root).
"""

import argparse
import math
import os
import sys

INT_MAX = 2**31 - 1          # the frameworks index with 32-bit or 64-bit integers; stay well inside
SEED_MAX = 2**32 - 1         # what every framework's seed accepts
# The largest number and the smallest normal number of each --dtype (numpy.finfo, without NumPy).
FLOAT_RANGE = {"float32": (3.4028234663852886e38, 1.1754943508222875e-38),
               "float64": (sys.float_info.max, sys.float_info.min)}
ITEMSIZE = {"float32": 4, "float64": 8}

# The framework of each script: "torch" adds --device; compare.py has flags of its own.
FRAMEWORKS = {"level1_keras": "keras", "level2_pytorch": "torch", "level3_autograd": "torch",
              "level3b_own_autograd": "numpy", "level4_numpy": "numpy", "compare": "compare"}


def _number(kind, low, high=None, what="positive"):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}"
                                             "number") from None
        if not math.isfinite(value) or value < low or value == 0 and what == "positive":
            raise argparse.ArgumentTypeError(f"must be a {what} {'whole ' if kind is int else ''}"
                                             f"number, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {text}")
        return value
    return parse


positive_int = _number(int, 1, INT_MAX)
positive_float = _number(float, 0)
seed_int = _number(int, 0, SEED_MAX, what="non-negative")
count_int = _number(int, 0, INT_MAX, what="non-negative")


def make_parser(description, common, device=False, save_weights=True):
    """The flags every level understands, with common's defaults; `device` adds --device (the
    PyTorch levels)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--epochs", type=positive_int, default=common.EPOCHS, metavar="N",
        help="passes over the training set (default: %(default)s)")
    add("--batch-size", type=positive_int, default=common.BATCH_SIZE, metavar="B",
        help="examples per SGD step (default: %(default)s)")
    add("--lr", type=positive_float, default=common.LR, metavar="LR",
        help="SGD learning rate (default: %(default)s)")
    add("--hidden", type=positive_int, default=common.HIDDEN, metavar="H",
        help="tanh units in the hidden layer (default: %(default)s)")
    add("--seed", type=seed_int, default=common.SEED, metavar="S",
        help="random seed for the initial weights and the shuffling, 0 to 2**32 - 1 "
             "(default: %(default)s)")
    add("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR") or None,
        help="read the four MNIST .gz files from DIR instead of the framework's own download "
             "(default: $MNIST_DIR if set)")
    add("--limit", type=positive_int, metavar="N",
        help="use only the first N training and the first N test examples")
    add("--json-out", metavar="FILE", help="write the configuration and per-epoch results as JSON")
    add("--init-from", metavar="FILE.npz",
        help="start from the parameters W1 (784xH), b1 (H), W2 (Hx10), b2 (10) in this file "
             "instead of a random draw")
    if save_weights:
        add("--save-weights", metavar="FILE.npz",
            help="write the final W1, b1, W2, b2 to this file (same layout as --init-from)")
    add("--no-shuffle", dest="shuffle", action="store_false",
        help="train on the batches in dataset order instead of reshuffling every epoch")
    add("--dtype", choices=("float32", "float64"), default=common.DTYPE,
        help="precision of the parameters, the data and the arithmetic (default: %(default)s)")
    if device:
        add("--device", choices=("auto", "cpu", "cuda"), default="auto",
            help="where to compute: auto picks cuda when a GPU is available (default: auto)")
    return parser


LEVEL_NAMES = ("keras", "pytorch", "autograd", "own_autograd", "numpy")   # compare.py's names


def batch_list(text):
    """--batch-sizes 32,256,2048: positive whole numbers, sorted, each once."""
    try:
        sizes = [positive_int(part) for part in text.split(",")]
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: {e}") from None
    return sorted(set(sizes))


def level_list(text):
    """--levels: some of the five names, comma-separated, each once; kept in the levels' order."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in LEVEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: give some of {', '.join(LEVEL_NAMES)}, "
                                         "separated by commas")
    return [name for name in LEVEL_NAMES if name in names]


def compare_parser(description, common):
    """compare.py's flags: the levels' data and hyperparameter flags, and its own."""
    parser = make_parser(description, common, device=True, save_weights=False)
    parser.add_argument("--levels", type=level_list, default=list(LEVEL_NAMES), metavar="NAMES",
                        help="which levels to run, comma-separated, e.g. own_autograd,numpy "
                             f"(default: all five: {','.join(LEVEL_NAMES)})")
    parser.add_argument("--lockstep", action="store_true",
                        help="start every level from one seeded initialisation, without "
                             "shuffling, and report the largest difference of the final weights")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="write the loss and accuracy curves of the levels to FILE.png")
    return parser


def one_step_parser(description, common, batch_size, hidden, dtype, batch_help):
    """The flags of the scripts that open up one step (one_step.py, inside.py): the batch, the
    model's size, the learning rate, the seed, the dtype and the data, checked as the levels'."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--batch-size", type=positive_int, default=batch_size, metavar="B",
        help=batch_help + " (default: %(default)s)")
    add("--hidden", type=positive_int, default=hidden, metavar="H",
        help="tanh units in the hidden layer (default: %(default)s)")
    add("--lr", type=positive_float, default=common.LR, metavar="LR",
        help="SGD learning rate (default: %(default)s)")
    add("--seed", type=seed_int, default=common.SEED, metavar="S",
        help="random seed of the initial weights, 0 to 2**32 - 1 (default: %(default)s)")
    add("--dtype", choices=("float32", "float64"), default=dtype,
        help="precision of the parameters, the data and the arithmetic (default: %(default)s)")
    add("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR") or None,
        help="read the four MNIST .gz files from DIR instead of downloading them "
             "(default: $MNIST_DIR if set)")
    parser.set_defaults(limit=None, init_from=None)   # check_args() looks at these two as well
    return parser


def parser_for(script, description, common):
    """The parser of a script, by its name (level1_keras, ..., compare)."""
    framework = FRAMEWORKS[script]
    if framework == "compare":
        return compare_parser(description, common)
    return make_parser(description, common, device=framework == "torch")


def check_output_path(parser, flag, path):
    """Reject, before any training, an output path that cannot be written."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        parser.error(f"{flag} {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        parser.error(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        parser.error(f"{flag} {path} cannot be written (permission denied)")


def memory_needed(args, common):
    """A lower bound, in bytes, of what a run needs: the parameters and their gradients, and z1
    and h for the larger of the test set and a batch (every level evaluates the test set)."""
    n_params = sum(math.prod(s) for s in common.param_shapes(args.hidden).values())
    rows = max(min(args.limit or 10_000, 10_000), min(args.batch_size, args.limit or 60_000))
    return ITEMSIZE[args.dtype] * (2 * n_params + 2 * rows * args.hidden)


def memory_total():
    """This machine's physical memory in bytes (None where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def check_args(parser, args, common):
    """What can be checked once all flags are known, before any work is done."""
    check_output_path(parser, "--json-out", args.json_out)
    check_output_path(parser, "--save-weights", getattr(args, "save_weights", None))
    check_output_path(parser, "--plot", getattr(args, "plot", None))
    if args.init_from is not None and os.path.isdir(args.init_from):
        parser.error(f"--init-from {args.init_from} is a folder; give an .npz file")
    if args.init_from is not None and not os.path.isfile(args.init_from):
        parser.error(f"--init-from {args.init_from}: no such file")
    if getattr(args, "lockstep", False) and len(args.levels) < 2:
        parser.error("--lockstep compares the levels' final weights: give --levels at least two")
    largest, smallest = FLOAT_RANGE[args.dtype]
    if args.lr > largest:
        parser.error(f"argument --lr: {args.lr:g} is beyond the largest {args.dtype} "
                     f"({largest:.4g}); use a smaller learning rate")
    if args.lr < smallest:
        parser.error(f"argument --lr: {args.lr:g} is below the smallest normal {args.dtype} "
                     f"({smallest:.4g}): the updates would round to nothing")
    total, needed = memory_total(), memory_needed(args, common)
    if total is not None and needed > total:
        parser.error(f"argument --hidden: a model with --hidden {args.hidden} in {args.dtype} "
                     f"needs at least {gib(needed)} of memory (its parameters, their gradients "
                     f"and one layer's activations); this machine has {gib(total)}")


def config(args):
    """Every setting of a run, for the JSON report."""
    return {k: v for k, v in vars(args).items() if k not in ("json_out", "save_weights")}


def parse(script, description, common, argv=None):
    """Parse and check the flags of `script`; argparse's message and exit code 2 if they are bad."""
    parser = parser_for(script, description, common)
    args = parser.parse_args(argv)
    check_args(parser, args, common)
    return args
