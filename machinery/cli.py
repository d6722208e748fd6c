"""What every script run from the shell shares: the per-epoch report, the NumPy levels' BLAS
threads, and turning every error a user can cause into one line.

machinery.shell drives a level's run with these: each epoch prints one line and, with --json-out,
lands in a JSON file written whole; a user's mistake, a diverging run, Ctrl-C, or running out of
memory ends in one line on stderr and a non-zero exit code, never a traceback. The other scripts
(compare.py, the instruments, the exercises) use run() and the BLAS threads too.
"""

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

from machinery import atomic, interrupt
from machinery.errors import Diverged, UserError
from machinery.flags import (INT_MAX, SEED_MAX, check_args, check_output_path, config, gib,  # noqa: F401
                             make_parser, memory_needed, memory_total, positive_float, positive_int,
                             seed_int)

write_json = atomic.write_json
BLAS_THREADS_VARIABLE = "LEVELS_BLAS_THREADS"
MEASURE_SECONDS = 0.5           # about the most the choice of threads may spend measuring


def limit_blas_threads(args, common):
    """The NumPy levels' BLAS threads: one, or all of them, whichever does this run's whole
    training step faster on this machine. Measured in half a second the first time a run of these sizes starts on a machine, and remembered
    (CHOICES_FILE), because the choice also changes the last bits of float32 results: every later
    run then makes the same choice, and the same --seed gives the very same numbers.
    $LEVELS_BLAS_THREADS overrides the choice: a number, or "all". Returns what was chosen and why.

    Why measure: at batch 32 a product such as x^T dz1 (784 x 32 by 32 x 256) is so small that
    handing half of it to a second thread may cost more than it saves. Whether it does depends on
    the CPU and on OpenBLAS's kernel for it: one thread was faster on an Intel Xeon VM, all
    threads on an AMD EPYC VM (docs/speed.md). Why the whole step: timing the matrix products
    alone chose all threads on a 16-core Xeon where the epoch was 40% slower on all of them; the
    step's element-wise work between the products, on one thread, counts too."""
    from threadpoolctl import threadpool_info, threadpool_limits
    wanted = os.environ.get(BLAS_THREADS_VARIABLE)
    if wanted:
        if wanted != "all":
            threadpool_limits(limits=int(wanted), user_api="blas")
        return f"{wanted} (set by ${BLAS_THREADS_VARIABLE})"
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    available = max([p["num_threads"] for p in blas] or [1])
    if available <= 1:
        return "1 (this machine's BLAS has one thread)"
    batch, hidden, dtype = min(args.batch_size, args.limit or 60_000), args.hidden, args.dtype
    key = " | ".join([cpu_model(), *(f"{p['internal_api']} {p['version']} {p['architecture']}"
                                      for p in blas), f"{available} threads",
                      f"batch {batch}, hidden {hidden}, {dtype}", "whole step"])
    choices = read_choices()
    remembered = key in choices
    if not remembered:
        seconds = measure_blas_threads(batch, hidden, dtype, common, threadpool_limits)
        one, every = seconds[1], seconds[None]
        choices[key] = {"threads": "1" if one <= every else "all",
                        "ms_one": round(1e3 * one, 3), "ms_all": round(1e3 * every, 3)}
        write_choices(choices)
    choice = choices[key]
    if choice["threads"] == "1":
        threadpool_limits(limits=1, user_api="blas")
    return (f"{choice['threads']} ({'measured earlier on this machine' if remembered else 'measured'}"
            f": {choice['ms_one']:.2f} ms per step on 1 thread, {choice['ms_all']:.2f} ms on all "
            f"{available})")


CHOICES_FILE = os.path.join(os.path.expanduser("~"), ".cache", "mnist-levels", "blas-threads.json")


def read_choices():
    try:
        with open(CHOICES_FILE) as f:
            choices = json.load(f)
        return choices if isinstance(choices, dict) else {}
    except (OSError, ValueError):
        return {}


def write_choices(choices):
    """Remember the choices; where the cache folder cannot be written, the next run measures again."""
    try:
        os.makedirs(os.path.dirname(CHOICES_FILE), exist_ok=True)
        write_json(CHOICES_FILE, choices)
    except (OSError, UserError):
        pass


def cpu_model():
    """The CPU's model name, as /proc/cpuinfo (Linux) gives it, else what platform knows."""
    import platform
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_blas_threads(batch, hidden, dtype, common, threadpool_limits):
    """Median seconds of one whole training step of level 4, at this run's sizes, on one BLAS
    thread (key 1) and on all of them (key None), measured in turns."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, common.N_INPUTS)).astype(dtype)
    y = np.eye(common.N_OUTPUTS, dtype=dtype)[rng.integers(0, common.N_OUTPUTS, batch)]
    w1, w2 = (0.05 * rng.standard_normal(s).astype(dtype) for s in
              ((common.N_INPUTS, hidden), (hidden, common.N_OUTPUTS)))
    b1, b2 = np.zeros(hidden, dtype), np.zeros(common.N_OUTPUTS, dtype)

    def step():                                 # level 4's train_step, the same operations
        h = np.tanh(x @ w1 + b1)
        z2 = h @ w2 + b2
        a = 0.5 * (1 + np.tanh(0.5 * z2))
        np.mean(np.logaddexp(0, z2) - y * z2)
        dz2 = (a - y) / y.size
        dW2, db2, dh = h.T @ dz2, dz2.sum(axis=0), dz2 @ w2.T
        dz1 = dh * (1 - h * h)
        dW1, db1 = x.T @ dz1, dz1.sum(axis=0)
        for p, g in ((w1, dW1), (b1, db1), (w2, dW2), (b2, db2)):
            p -= 1e-3 * g

    step()                                      # the first run: memory allocated
    start = time.perf_counter()
    step()
    per_turn = max(3, int(0.02 / max(time.perf_counter() - start, 1e-6)))   # a turn: ~20 ms
    times = {1: [], None: []}
    deadline = time.perf_counter() + MEASURE_SECONDS
    for turn in range(1000):
        for limit in times:
            with threadpool_limits(limits=limit, user_api="blas"):
                for _ in range(max(1, per_turn // 5)):
                    step()                      # untimed: threads woken, caches warm
                start = time.perf_counter()
                for _ in range(per_turn):
                    step()
                times[limit].append((time.perf_counter() - start) / per_turn)
        if turn >= 2 and time.perf_counter() > deadline:
            break
    return {limit: float(np.median(t)) for limit, t in times.items()}




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

    Run from the shell, a level's calls of common.print_epoch() come here instead
    (machinery.shell). Train loss and accuracy are what Keras reports: the mean over the epoch of
    each batch's value, computed before that batch's update and weighted by the batch's size.
    Test loss and accuracy are computed on the test set after the epoch. The seconds of an epoch
    are those since the previous epoch's line (or since start(), as training starts), so they
    cover both.

    Used as a context manager around the run: once training has started, it writes the epochs so
    far to --json-out in every case. On Ctrl-C (machinery.interrupt) it says how far training got
    and exits with code 130.
    """

    def __init__(self, level, args, common):
        self.level, self.args, self.common = level, args, common
        self.epochs = []
        self.started = None                    # the time training started, once it has

    def __enter__(self):
        interrupt.update(snapshot=self.snapshot)
        return self

    def start(self):
        """Training starts now, if it has not yet: the clock of the first epoch's seconds."""
        if self.started is None:
            self.started = self.previous = time.perf_counter()

    def snapshot(self):
        """What a Ctrl-C says now, and the function that writes --json-out so far."""
        data = {"level": self.level, "config": config(self.args), "epochs": list(self.epochs)}
        path = self.args.json_out
        message = (f"Interrupted: {len(self.epochs)} of {self.args.epochs} epochs completed"
                   + (" (their lines are above)." if self.epochs else "."))
        return message, (lambda: write_json(path, data)) if path else None

    def epoch(self, epoch, epochs, train_loss, train_acc, test_loss, test_acc):
        """common.print_epoch(), run from the shell: the same line, kept, and checked."""
        self.start()
        now = time.perf_counter()
        row = {"epoch": len(self.epochs) + 1, "train_loss": float(train_loss),
               "train_acc": float(train_acc), "test_loss": float(test_loss),
               "test_acc": float(test_acc), "seconds": now - self.previous}
        self.previous = now
        with interrupt.hold():                 # a Ctrl-C now finds the line and the JSON agreeing
            print(self.common.format_epoch(row["epoch"], self.args.epochs, row["train_loss"],
                                           row["train_acc"], row["test_loss"], row["test_acc"],
                                           row["seconds"]), flush=True)
            self.epochs.append(row)
        finite = math.isfinite(row["train_loss"]) and math.isfinite(row["test_loss"])
        if not finite or row["train_loss"] > DIVERGED_LOSS:
            raise Diverged(diverged_message(row["epoch"], row["train_loss"] if finite else None,
                                            self.args.lr))

    def __exit__(self, kind, error, tb):
        message, save = self.snapshot()
        if save and self.started is not None:
            save()
        if kind is KeyboardInterrupt:          # only where machinery.interrupt is not installed
            print(message, file=sys.stderr, flush=True)
            raise SystemExit(130)
        return False


def diverged_message(epoch, loss, lr):
    what = ("is no longer a finite number" if loss is None else
            f"is {loss:.4g}, far above {math.log(2):.2f}, the loss of outputs that all stay at 0.5")
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


def memory_message(args, common):
    """One line for a run that ran out of memory: what it asked for, and what there was."""
    if args is None:
        return "out of memory."
    total, limit = memory_total(), address_space_limit()
    available = (f"; this process may use at most {gib(limit)} (ulimit -v)" if limit else
                 f"; this machine has {gib(total)}" if total else "")
    return (f"out of memory: a model with --hidden {args.hidden} and --batch-size "
            f"{args.batch_size} in {args.dtype} needs at least {gib(memory_needed(args, common))}"
            f"{available}. Try a smaller --hidden or --batch-size.")


def run(main, args=None, common=None):
    """Run a script's main(): user errors become one line on stderr and exit code 1,
    Ctrl-C exits with 130; anything else is a bug and keeps its traceback. With a level's `args`
    (and `common`), running out of memory says what the run had asked for."""
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
        print(f"{prog}: error: {memory_message(args, common)}", file=sys.stderr)
        sys.exit(1)
