"""What the four levels share: the hyperparameters, the command line, the report.

Nothing in here trains anything. The model, the loss, the gradients and the update live in the
level scripts, written once per level, because writing them is what each level is about. This file
holds only what must be *identical* across the levels for the comparison to be fair:

* the default hyperparameters (the single place they are set);
* the command-line flags (every level takes the same ones);
* reading the four canonical MNIST IDX files from a folder (``--data-dir`` / ``MNIST_DIR``), so
  every level sees exactly the same arrays; NumPy-only, since level 4 uses it as its loader too;
* loading and saving parameters as ``.npz`` (``--init-from`` / ``--save-weights``);
* the per-epoch line, the JSON report, and the error / Ctrl-C handling.
"""

import argparse
import contextlib
import gzip
import json
import math
import os
import subprocess
import sys
import zipfile
import zlib

import numpy as np

# ---------------------------------------------------------------------------------------------
# Hyperparameters: the one place they are set. The README's table is checked against these.
# ---------------------------------------------------------------------------------------------
N_INPUTS = 784       # 28 x 28 pixels, scaled to [0, 1]
N_OUTPUTS = 10       # one sigmoid output per digit
HIDDEN = 256         # tanh units in the hidden layer
EPOCHS = 20          # passes over the 60,000 training images
BATCH_SIZE = 32      # examples per SGD step
LR = 1.0             # SGD learning rate (the loss is a mean over batch x 10 outputs)
SEED = 0             # random seed for the initial weights and the shuffling
DTYPE = "float32"    # precision of parameters, data and arithmetic

# Glorot/Xavier normal, as Keras's GlorotNormal draws it: a normal with standard deviation
# sigma = sqrt(2 / (fan_in + fan_out)) / TRUNCATION_STD, cut at +-2 of its own standard deviations
# (values outside are redrawn). Cutting the tails shrinks the standard deviation by the factor
# TRUNCATION_STD (the std of a unit normal truncated to [-2, 2]), so the weights end up with
# std sqrt(2 / (fan_in + fan_out)) exactly. Every level draws from this same distribution.
TRUNCATION_STD = 0.87962566103423978
TRUNCATION_CUTOFF = 2.0


def glorot_sigma(fan_in, fan_out):
    """Standard deviation of the normal that is then truncated at +-TRUNCATION_CUTOFF sigma."""
    return math.sqrt(2.0 / (fan_in + fan_out)) / TRUNCATION_STD


PARAM_NAMES = ("W1", "b1", "W2", "b2")


def param_shapes(hidden):
    """The layout every level uses in files: h = tanh(x @ W1 + b1), a = sigmoid(h @ W2 + b2)."""
    return {"W1": (N_INPUTS, hidden), "b1": (hidden,), "W2": (hidden, N_OUTPUTS), "b2": (N_OUTPUTS,)}


# ---------------------------------------------------------------------------------------------
# Errors a user can cause. Scripts turn them into one line on stderr and a non-zero exit.
# ---------------------------------------------------------------------------------------------
class UserError(Exception):
    """A problem with the user's input or environment: reported as a message, not a traceback."""


class DataError(UserError):
    """MNIST could not be found, downloaded or read."""


class Diverged(UserError):
    """The loss became NaN or infinite, or far worse than not learning at all."""


# A network that outputs 0.5 everywhere has loss ln 2 = 0.69, and a fresh Glorot-initialised one
# about that much. A mean train loss ten times higher means the outputs are confidently wrong:
# the steps are too large and training has blown up, even while the loss stays finite (it is
# computed from z2, so it grows with |z2| instead of overflowing).
DIVERGED_LOSS = 10 * math.log(2)


# ---------------------------------------------------------------------------------------------
# MNIST in its canonical form: four gzipped IDX files.
# ---------------------------------------------------------------------------------------------
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
DATA_HINT = ("Put the four MNIST files ({}) in a folder and pass it with --data-dir DIR "
             "or the environment variable MNIST_DIR.").format(", ".join(MNIST_FILES.values()))


def read_idx(path):
    """Read one gzipped IDX file into a NumPy array of unsigned bytes.

    An IDX file is a 4-byte magic number (two zero bytes, a type byte 0x08 for unsigned bytes,
    and the number of dimensions), one big-endian 32-bit size per dimension, then the data.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} cannot be decompressed: it is truncated or not a gzip file "
                        f"({e}).") from None
    if len(raw) < 4:
        raise DataError(f"{path} is truncated: {len(raw)} bytes, too short for an IDX header.")
    magic = int.from_bytes(raw[:4], "big")
    ndim = raw[3]
    if raw[:3] != b"\x00\x00\x08" or ndim not in (1, 3):
        raise DataError(f"{path} has the wrong IDX magic number 0x{magic:08x}; MNIST files start "
                        "with 0x00000801 (labels) or 0x00000803 (images).")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its IDX header.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape)
    if len(raw) - header != expected:
        raise DataError(f"{path} has {len(raw) - header} data bytes, but its header says "
                        f"{' x '.join(map(str, shape))} = {expected}: the file is truncated "
                        "or corrupt.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def check_mnist(x_train, y_train, x_test, y_test):
    """Check that four arrays look like MNIST: images N x 28 x 28, N labels in 0..9."""
    for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
            raise DataError(f"the {part} images have shape {tuple(x.shape)}; MNIST images "
                            "are N x 28 x 28.")
        if y.ndim != 1:
            raise DataError(f"the {part} labels have shape {tuple(y.shape)}; expected one "
                            "label per image.")
        if len(x) != len(y):
            raise DataError(f"there are {len(x)} {part} images but {len(y)} {part} labels; "
                            "the counts must agree.")
        if len(y) == 0:
            raise DataError(f"the {part} set is empty.")
        if int(y.max()) > 9 or int(y.min()) < 0:
            raise DataError(f"the {part} labels go from {int(y.min())} to {int(y.max())}; "
                            "digit labels must be 0-9.")


def read_mnist_dir(data_dir):
    """The four MNIST arrays (uint8 images N x 28 x 28, uint8 labels N) from a folder."""
    if not os.path.isdir(data_dir):
        raise DataError(f"the data folder {data_dir} does not exist. {DATA_HINT}")
    missing = [f for f in MNIST_FILES.values() if not os.path.isfile(os.path.join(data_dir, f))]
    if missing:
        raise DataError(f"{data_dir} lacks {', '.join(missing)}. {DATA_HINT}")
    arrays = [read_idx(os.path.join(data_dir, name)) for name in MNIST_FILES.values()]
    for key, array in zip(MNIST_FILES, arrays):
        want = 3 if key.endswith("images") else 1
        if array.ndim != want:
            raise DataError(f"{MNIST_FILES[key]} holds a {array.ndim}-dimensional array; "
                            f"expected {want} dimensions.")
    check_mnist(*arrays)
    return tuple(arrays)


# ---------------------------------------------------------------------------------------------
# Parameters in files: --init-from and --save-weights.
# ---------------------------------------------------------------------------------------------
def load_params(path, hidden, dtype):
    """W1, b1, W2, b2 from an .npz file, checked against the shapes for `hidden` units."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise UserError(f"--init-from {path}: not a readable .npz file ({e}).") from None
    for name, shape in param_shapes(hidden).items():
        if name not in arrays:
            raise UserError(f"--init-from {path} has no array {name} (it has "
                            f"{', '.join(sorted(arrays)) or 'none'}); {name} must have "
                            f"shape {shape}.")
        if arrays[name].shape != shape:
            raise UserError(f"--init-from {path}: {name} has shape {arrays[name].shape}, "
                            f"but a model with --hidden {hidden} needs {name} of shape {shape}.")
    return {name: arrays[name].astype(dtype) for name in PARAM_NAMES}


def save_params(path, params):
    """Write W1, b1, W2, b2 (NumPy arrays, in the layout above) to an .npz file."""
    try:
        with open(path, "wb") as f:
            np.savez(f, **{name: np.asarray(params[name]) for name in PARAM_NAMES})
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}.") from None


# ---------------------------------------------------------------------------------------------
# The command line: the same flags in every level.
# ---------------------------------------------------------------------------------------------
def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive {'whole ' if kind is int else ''}"
                                             f"number, got {text}")
        return value
    return parse


positive_int = _positive(int)
positive_float = _positive(float)


def make_parser(description, device=False, save_weights=True):
    """The flags every level understands; `device` adds --device (the PyTorch levels)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--epochs", type=positive_int, default=EPOCHS, metavar="N",
        help="passes over the training set (default: %(default)s)")
    add("--batch-size", type=positive_int, default=BATCH_SIZE, metavar="B",
        help="examples per SGD step (default: %(default)s)")
    add("--lr", type=positive_float, default=LR, metavar="LR",
        help="SGD learning rate (default: %(default)s)")
    add("--hidden", type=positive_int, default=HIDDEN, metavar="H",
        help="tanh units in the hidden layer (default: %(default)s)")
    add("--seed", type=int, default=SEED,
        help="random seed for the initial weights and the shuffling (default: %(default)s)")
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
    add("--dtype", choices=("float32", "float64"), default=DTYPE,
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


def parse_args(parser, argv=None):
    """Parse the command line and check what can be checked before any work is done."""
    args = parser.parse_args(argv)
    check_output_path(parser, "--json-out", args.json_out)
    check_output_path(parser, "--save-weights", getattr(args, "save_weights", None))
    init_from = getattr(args, "init_from", None)
    if init_from is not None and not os.path.isfile(init_from):
        parser.error(f"--init-from {init_from}: no such file")
    return args


def write_json(path, data):
    """Write `data` as indented JSON; a path that cannot be written is the user's error."""
    try:
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}.") from None


def run_python(what, *args):
    """Run a Python program (a script and its flags, or -c and code) in a process of its own,
    as compare.py and bench.py run the levels; its stdout, or its last lines of stderr as an
    error. Exit code 130 - the child was stopped by Ctrl-C - becomes KeyboardInterrupt here."""
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()[-5:]
        raise UserError(f"{what} failed (exit code {done.returncode}):\n  " + "\n  ".join(lines))
    return done.stdout


def config(args):
    """Every setting of a run, for the JSON report."""
    return {k: v for k, v in vars(args).items() if k not in ("json_out", "save_weights")}


# ---------------------------------------------------------------------------------------------
# The report: one line per epoch, the same at every level, and the JSON file.
# ---------------------------------------------------------------------------------------------
def format_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc, seconds):
    """One epoch as one line. Accuracies are fractions, printed as percentages."""
    width = len(str(epochs))
    return (f"epoch {epoch:>{width}}/{epochs}  train loss {train_loss:.4f}  "
            f"train acc {100 * train_acc:6.2f}%  test loss {test_loss:.4f}  "
            f"test acc {100 * test_acc:6.2f}%  {seconds:6.2f} s")


class Report:
    """Prints each epoch's line, keeps the history, and writes --json-out at the end.

    Train loss and accuracy are what Keras reports: the mean over the epoch of each batch's
    value, computed before that batch's update and weighted by the batch's size. Test loss
    and accuracy are computed on the test set after the epoch. `seconds` covers both.

    Used as a context manager around the training loop: on Ctrl-C it says how far training
    got and exits with code 130; in every case it writes the epochs so far to --json-out.
    """

    def __init__(self, level, args):
        self.level = level
        self.args = args
        self.epochs = []

    def __enter__(self):
        return self

    def epoch(self, train_loss, train_acc, test_loss, test_acc, seconds):
        row = {"epoch": len(self.epochs) + 1, "train_loss": float(train_loss),
               "train_acc": float(train_acc), "test_loss": float(test_loss),
               "test_acc": float(test_acc), "seconds": float(seconds)}
        self.epochs.append(row)
        print(format_epoch(row["epoch"], self.args.epochs, row["train_loss"], row["train_acc"],
                           row["test_loss"], row["test_acc"], row["seconds"]), flush=True)
        finite = math.isfinite(row["train_loss"]) and math.isfinite(row["test_loss"])
        if not finite or row["train_loss"] > DIVERGED_LOSS:
            what = ("is no longer a finite number" if not finite else
                    f"is {row['train_loss']:.4g}, far above the {math.log(2):.2f} of not learning at all")
            raise Diverged(f"training diverged in epoch {row['epoch']}: the loss {what}. "
                           f"Try a smaller learning rate than --lr {self.args.lr:g}.")

    def __exit__(self, kind, error, tb):
        if self.args.json_out:
            write_json(self.args.json_out, {"level": self.level, "config": config(self.args),
                                            "epochs": self.epochs})
        if kind is KeyboardInterrupt:
            print(f"Interrupted: {len(self.epochs)} of {self.args.epochs} epochs completed "
                  "(their lines are above).", file=sys.stderr, flush=True)
            raise SystemExit(130)
        return False


@contextlib.contextmanager
def quiet_stderr():
    """Send whatever C/C++ code writes to file descriptor 2 to /dev/null for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run(main):
    """Run a script's main(): user errors become one line on stderr and exit code 1,
    Ctrl-C exits with 130; anything else is a bug and keeps its traceback."""
    prog = os.path.basename(sys.argv[0])
    try:
        main()
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=sys.stderr)
        sys.exit(130)
