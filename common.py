"""What the levels share and a learner reads: the hyperparameters, the Glorot constants, the
parameter shapes, and the line each epoch prints.

Nothing in here trains anything. The model, the loss, the gradients and the update live in the
level files, written once per level, because writing them is what each level is about. This file
holds only what must be *identical* across the levels for the comparison to be fair.

Its last section hands a level run from the shell to the folder machinery/, which does all that
is not the lesson (the flags and their checks, fetching MNIST, error messages, Ctrl-C, --json-out,
parameter files): you can skip both.
"""

import math
import sys
import time

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

# ---------------------------------------------------------------------------------------------
# Glorot/Xavier normal initialisation, as Keras's GlorotNormal draws it.
# ---------------------------------------------------------------------------------------------
# The weights of a layer with fan_in inputs and fan_out outputs should end up with standard
# deviation s = sqrt(2 / (fan_in + fan_out)). Keras draws them from a normal cut at +-2 of its own
# standard deviations (values outside are redrawn). Cutting the tails shrinks the standard
# deviation by the factor TRUNCATION_STD (the std of a unit normal truncated to [-2, 2]), so the
# normal it draws from has the larger standard deviation s0 = s / TRUNCATION_STD, which
# glorot_s0() returns. Every level draws from this same distribution.
TRUNCATION_STD = 0.87962566103423978
TRUNCATION_CUTOFF = 2.0


def glorot_s0(fan_in, fan_out):
    """s0, the standard deviation of the normal *before* truncation: s / TRUNCATION_STD, where
    s = sqrt(2 / (fan_in + fan_out)) is the standard deviation the weights end up with."""
    return math.sqrt(2.0 / (fan_in + fan_out)) / TRUNCATION_STD


# ---------------------------------------------------------------------------------------------
# The parameters: h = tanh(x W1 + b1), a = sigmoid(h W2 + b2), for a batch x of B rows.
# ---------------------------------------------------------------------------------------------
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def param_shapes(hidden):
    """The shapes every level uses, and the layout of --init-from and --save-weights files."""
    return {"W1": (N_INPUTS, hidden), "b1": (hidden,), "W2": (hidden, N_OUTPUTS), "b2": (N_OUTPUTS,)}


# ---------------------------------------------------------------------------------------------
# The line each epoch prints, the same at every level.
# ---------------------------------------------------------------------------------------------
def format_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc, seconds):
    """One epoch as one line. Accuracies are fractions, printed as percentages."""
    width = len(str(epochs))
    return (f"epoch {epoch:>{width}}/{epochs}  train loss {train_loss:.4f}  "
            f"train acc {100 * train_acc:6.2f}%  test loss {test_loss:.4f}  "
            f"test acc {100 * test_acc:6.2f}%  {seconds:6.2f} s")


_previous_line = time.perf_counter()


def print_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc):
    """Print epoch `epoch` of `epochs` as one line, with the seconds since the previous line (the
    first line: since this module was imported). Run from the shell, machinery/ prints this same
    line instead, its first seconds counted from the start of training, keeps it for --json-out,
    and stops a run whose loss diverges."""
    global _previous_line
    now = time.perf_counter()
    print(format_epoch(epoch, epochs, train_loss, train_acc, test_loss, test_acc,
                       now - _previous_line), flush=True)
    _previous_line = now


# ---------------------------------------------------------------------------------------------
# Run from the shell: handed to machinery/ (skip it)
# ---------------------------------------------------------------------------------------------
def run(main):
    """A level's last line: main() with the shell's flags (machinery/shell.py). Where common.py
    and a level were copied without machinery/, main() with the defaults above, and a note."""
    if shell is None:
        print("(machinery/ is not beside common.py: no flags are read, and MNIST must already be "
              "where the level looks for it)", file=sys.stderr)
        return main()
    shell.run(main)


# A level imports this module before its framework: run from the shell, machinery/ checks the
# flags and answers Ctrl-C from here on, without waiting the seconds a framework takes to load.
try:
    from machinery import shell
except ModuleNotFoundError as e:
    if e.name != "machinery":
        raise
    shell = None
else:
    shell.start(sys.modules[__name__])
