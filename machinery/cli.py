"""The command line every level shares: its flags, their checks, the report, and the errors.

A level's main() calls parse_args(), trains inside ``with Report(__file__, args) as report``, and
is started by run(main). Between them they make sure that:

* every flag is checked before any work is done, and a bad one gets argparse's message, exit 2;
* MNIST is there, or is fetched quietly, before the level's own loader runs (mnist_files);
* every epoch prints one line and, with --json-out, lands in a JSON file written whole;
* a user's mistake, a diverging run, Ctrl-C, or running out of memory ends in one line on stderr
  and a non-zero exit code, never a traceback.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

try:
    import resource                            # POSIX only: the limits of this process
except ImportError:
    resource = None

import common
from machinery import atomic, mnist_files
from machinery.errors import Diverged, UserError

INT_MAX = 2**31 - 1          # the frameworks index with 32-bit or 64-bit integers; stay well inside
SEED_MAX = 2**32 - 1         # what every framework's seed accepts
TORCHVISION_ROOT = os.path.join(os.path.expanduser("~"), ".cache", "torchvision")


# ---------------------------------------------------------------------------------------------
# The flags
# ---------------------------------------------------------------------------------------------
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


def make_parser(description, device=False, save_weights=True):
    """The flags every level understands; `device` adds --device (the PyTorch levels)."""
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


def memory_needed(args):
    """A lower bound, in bytes, of what a run needs: the parameters and their gradients, and z1
    and h for the larger of the test set and a batch (every level evaluates the test set)."""
    itemsize = np.dtype(args.dtype).itemsize
    n_params = sum(math.prod(s) for s in common.param_shapes(args.hidden).values())
    rows = max(min(args.limit or 10_000, 10_000), min(args.batch_size, args.limit or 60_000))
    return itemsize * (2 * n_params + 2 * rows * args.hidden)


def memory_total():
    """This machine's physical memory in bytes (None where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def check_args(parser, args):
    """What can be checked once all flags are known, before any work is done."""
    check_output_path(parser, "--json-out", args.json_out)
    check_output_path(parser, "--save-weights", getattr(args, "save_weights", None))
    if args.init_from is not None and os.path.isdir(args.init_from):
        parser.error(f"--init-from {args.init_from} is a folder; give an .npz file")
    if args.init_from is not None and not os.path.isfile(args.init_from):
        parser.error(f"--init-from {args.init_from}: no such file")
    info = np.finfo(args.dtype)
    if args.lr > info.max:
        parser.error(f"argument --lr: {args.lr:g} is beyond the largest {args.dtype} "
                     f"({info.max:.4g}); use a smaller learning rate")
    if args.lr < info.tiny:
        parser.error(f"argument --lr: {args.lr:g} is below the smallest normal {args.dtype} "
                     f"({info.tiny:.4g}): the updates would round to nothing")
    total, needed = memory_total(), memory_needed(args)
    if total is not None and needed > total:
        parser.error(f"argument --hidden: a model with --hidden {args.hidden} in {args.dtype} "
                     f"needs at least {gib(needed)} of memory (its parameters, their gradients "
                     f"and one layer's activations); this machine has {gib(total)}")


# Set by parse_args(), so that run() can say what an out-of-memory run had asked for.
ARGS = None


def parse_args(description, argv=None, framework="numpy"):
    """Parse and check a level's flags; fetch MNIST first where the framework's loader needs it.
    `framework` is "keras", "torch" or "numpy"; "torch" adds --device and resolves "auto"."""
    global ARGS
    parser = make_parser(description, device=framework == "torch")
    args = ARGS = parser.parse_args(argv)
    check_args(parser, args)
    if framework == "torch":
        import torch
        if args.device == "auto":
            args.device = "cuda" if torch.cuda.is_available() else "cpu"
        elif args.device == "cuda" and not torch.cuda.is_available():
            raise UserError("--device cuda: PyTorch sees no CUDA GPU here; use --device cpu.")
    if framework == "numpy":
        limit_blas_threads()
    if args.data_dir is None and framework == "keras":
        mnist_files.prefetch_keras()
    if args.data_dir is None and framework == "torch":
        mnist_files.prefetch_torchvision(TORCHVISION_ROOT)
    return args


BLAS_THREADS_VARIABLE = "LEVELS_BLAS_THREADS"


def limit_blas_threads():
    """One BLAS thread for the NumPy levels, unless $LEVELS_BLAS_THREADS says otherwise ("all": no
    limit). Their matrix products, 32 rows at a time, are too small to share between threads:
    handing half of x^T dz1 (784 x 32 by 32 x 128) to a second thread costs more than it saves,
    and far more when that thread's core is busy (measured in the README's section "Speed")."""
    from threadpoolctl import threadpool_limits
    wanted = os.environ.get(BLAS_THREADS_VARIABLE, "1")
    if wanted != "all":
        threadpool_limits(limits=int(wanted), user_api="blas")


def config(args):
    """Every setting of a run, for the JSON report."""
    return {k: v for k, v in vars(args).items() if k not in ("json_out", "save_weights")}


def write_json(path, data):
    """Write `data` as indented JSON, whole or not at all."""
    with atomic.replace(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
# A network that outputs 0.5 everywhere has loss ln 2 = 0.69, and a fresh Glorot-initialised one
# about that much. A mean train loss ten times higher means the outputs are confidently wrong:
# the steps are too large and training has blown up, even while the loss stays finite (it is
# computed from z2, so it grows with |z2| instead of overflowing).
DIVERGED_LOSS = 10 * math.log(2)


class Report:
    """Prints each epoch's line, keeps the history, and writes --json-out at the end.

    Train loss and accuracy are what Keras reports: the mean over the epoch of each batch's
    value, computed before that batch's update and weighted by the batch's size. Test loss
    and accuracy are computed on the test set after the epoch. The seconds of an epoch are those
    since the previous epoch's line (or since training started), so they cover both.

    Used as a context manager around the training loop: on Ctrl-C it says how far training
    got and exits with code 130; in every case it writes the epochs so far to --json-out.
    """

    def __init__(self, script, args):
        self.level = os.path.splitext(os.path.basename(script))[0]
        self.args = args
        self.epochs = []

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def epoch(self, train_loss, train_acc, test_loss, test_acc):
        now = time.perf_counter()
        row = {"epoch": len(self.epochs) + 1, "train_loss": float(train_loss),
               "train_acc": float(train_acc), "test_loss": float(test_loss),
               "test_acc": float(test_acc), "seconds": now - self.start}
        self.start = now
        self.epochs.append(row)
        print(common.format_epoch(row["epoch"], self.args.epochs, row["train_loss"],
                                  row["train_acc"], row["test_loss"], row["test_acc"],
                                  row["seconds"]), flush=True)
        finite = math.isfinite(row["train_loss"]) and math.isfinite(row["test_loss"])
        if not finite or row["train_loss"] > DIVERGED_LOSS:
            raise Diverged(diverged_message(row["epoch"], row["train_loss"] if finite else None,
                                            self.args.lr))

    def __exit__(self, kind, error, tb):
        if self.args.json_out:
            write_json(self.args.json_out, {"level": self.level, "config": config(self.args),
                                            "epochs": self.epochs})
        if kind is KeyboardInterrupt:
            print(f"Interrupted: {len(self.epochs)} of {self.args.epochs} epochs completed "
                  "(their lines are above).", file=sys.stderr, flush=True)
            raise SystemExit(130)
        return False


def diverged_message(epoch, loss, lr):
    what = ("is no longer a finite number" if loss is None else
            f"is {loss:.4g}, far above the {math.log(2):.2f} of not learning at all")
    return (f"training diverged in epoch {epoch}: the loss {what}. "
            f"Try a smaller learning rate than --lr {lr:g}.")


# ---------------------------------------------------------------------------------------------
# Running a script: every error a user can cause becomes one line
# ---------------------------------------------------------------------------------------------
def out_of_memory(error):
    """Whether `error` is NumPy's, PyTorch's or TensorFlow's way of saying memory ran out."""
    name = type(error).__name__
    return (isinstance(error, MemoryError) or name in ("OutOfMemoryError", "ResourceExhaustedError")
            or isinstance(error, RuntimeError) and "can't allocate memory" in str(error))


def address_space_limit():
    """The most memory this process may map (ulimit -v) in bytes, or None when unlimited."""
    if resource is None:
        return None
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    return None if limit == resource.RLIM_INFINITY else limit


def memory_message():
    """One line for a run that ran out of memory: what it asked for, and what there was."""
    if ARGS is None:
        return "out of memory."
    total, limit = memory_total(), address_space_limit()
    available = (f"; this process may use at most {gib(limit)} (ulimit -v)" if limit else
                 f"; this machine has {gib(total)}" if total else "")
    return (f"out of memory: a model with --hidden {ARGS.hidden} and --batch-size "
            f"{ARGS.batch_size} in {ARGS.dtype} needs at least {gib(memory_needed(ARGS))}"
            f"{available}. Try a smaller --hidden or --batch-size.")


def run(main):
    """Run a script's main(): user errors become one line on stderr and exit code 1,
    Ctrl-C exits with 130; anything else is a bug and keeps its traceback."""
    prog = os.path.basename(sys.argv[0])
    # The report checks every epoch's loss and stops a run that diverges, with advice; NumPy's
    # warnings about overflow on the way would only say the same thing less clearly, mid-table.
    np.seterr(over="ignore", invalid="ignore")
    try:
        main()
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:                    # the reader went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's own final flush fails silently
        sys.exit(1)
    except Exception as e:
        if not out_of_memory(e):
            raise
        print(f"{prog}: error: {memory_message()}", file=sys.stderr)
        sys.exit(1)
