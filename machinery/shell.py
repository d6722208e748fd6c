"""A level run from the shell: everything it does besides its lesson.

A level file imports common.py before its framework, and common.py calls start() then; the
level's last line, common.run(main), calls run(main).

start(common), as a level (or compare.py) starts, before TensorFlow or PyTorch loads, which
takes seconds:
  * Ctrl-C is answered from then on (machinery.interrupt): one line, exit code 130, the results
    so far in --json-out, never a traceback;
  * the flags are parsed and checked, so that --help or a mistake is answered at once;
  * the --data-dir and --init-from files are read and checked, for the same reason;
  * for level 1, Keras and TensorFlow are imported with their C++ start-up log kept off the
    screen (machinery.quiet_tensorflow), so that the level's own `import keras` finds them loaded.
Imported by any other program (one_step.py, a notebook, the tests), it does nothing.

run(main), once the level is loaded:
  * MNIST is fetched quietly where the level's own loader would download it, and a failure is
    one clear line; --device auto becomes cuda or cpu; the NumPy levels' BLAS threads are chosen;
  * main() is called with the flags, the level driven from outside for --data-dir, --init-from
    and --device (machinery.levels), and common.print_epoch() replaced by the report, which also
    writes --json-out and stops a run that diverges (machinery.cli.Report);
  * --save-weights gets the weights main() returned;
  * every error a user can cause is one line on stderr (machinery.cli.run).
"""

import contextlib
import os
import sys

from machinery import interrupt                 # first: it imports nothing but os, signal, sys

MAIN = sys.modules.get("__main__")
SCRIPT = os.path.splitext(os.path.basename(getattr(MAIN, "__file__", None) or ""))[0]
if SCRIPT.startswith("level") or SCRIPT == "compare":
    interrupt.install()                         # until the flags are known: nothing to write

from machinery import atomic, flags  # noqa: E402  (atomic: whole before a Ctrl-C needs it)

ARGS = None                                     # the flags of the script being run, once parsed
COMMON = None                                   # common.py, as it handed itself over


def start(common):
    """As a level or compare.py starts: Ctrl-C answered, the flags and the files checked."""
    global ARGS, COMMON
    COMMON = common
    if SCRIPT not in flags.FRAMEWORKS:          # imported by another program: nothing to do
        return
    ARGS = flags.parse(SCRIPT, MAIN.__doc__, common)   # exits here, code 2, if a flag is wrong
    interrupt.update(snapshot=lambda: nothing_done(SCRIPT, ARGS))
    if SCRIPT != "compare":
        check_files(ARGS, keep=flags.FRAMEWORKS[SCRIPT] != "numpy")
    if flags.FRAMEWORKS[SCRIPT] == "keras":
        import machinery.quiet_tensorflow  # noqa: F401


def check_files(args, keep):
    """Read and check --data-dir and --init-from now, before the framework loads: a bad file is
    answered at once (exit code 1, as machinery.cli.run answers it). With `keep`, the arrays are
    kept for the first read after the framework has loaded (the NumPy levels read the files
    themselves), so that nothing is read twice."""
    from machinery import mnist_files, params_files
    from machinery.errors import UserError
    try:
        if args.data_dir:
            mnist_files.read_dir(args.data_dir, keep=keep)
        if args.init_from:
            params_files.load(args, COMMON, keep=True)
    except UserError as e:
        print(f"{os.path.basename(sys.argv[0])}: error: {e}", file=sys.stderr)
        sys.exit(1)


def nothing_done(script, args):
    """What an interrupt before the first epoch says, and writes: the configuration, no epochs."""
    if flags.FRAMEWORKS[script] == "compare":
        data = {"config": flags.config(args), "levels": {}, "interrupted": True}
        message = f"Interrupted: 0 of {len(args.levels)} levels completed."
    else:
        data = {"level": script, "config": flags.config(args), "epochs": []}
        message = f"Interrupted: 0 of {args.epochs} epochs completed."
    return message, (lambda: atomic.write_json(args.json_out, data)) if args.json_out else None


def run(main):
    """main() with the flags of the shell: a level's last line, through common.run(main)."""
    from machinery import cli, levels
    level = sys.modules[main.__module__]
    args = ARGS
    if args is None:                            # a level under a name of its own: parse now
        if not interrupt.installed():
            interrupt.install()
        script = {"keras": "level1_keras", "torch": "level3_autograd",
                  "numpy": "level4_numpy"}[levels.framework(level)]
        args = flags.parse(script, level.__doc__, COMMON)
    cli.run(lambda: train(level, main, args), args, COMMON)


def train(level, main, args):
    """Prepare what the level's own code will meet, call main(), save what it returns."""
    from machinery import cli, levels, mnist_files, params_files
    framework = levels.framework(level)
    if framework == "torch":
        args.device = torch_device(args.device)
    if framework == "numpy":
        args.blas_threads = cli.limit_blas_threads(args, COMMON)
    if args.data_dir is None:                   # fetched quietly, or one clear line
        if framework == "keras":
            mnist_files.prefetch_keras()
        elif framework == "torch":
            mnist_files.prefetch_torchvision(mnist_files.TORCHVISION_ROOT)
        else:
            mnist_files.read_dir(mnist_files.download(folder=level.MNIST_DIR))

    with contextlib.ExitStack() as stack:
        report = stack.enter_context(cli.Report(levels.name(level), args, COMMON))
        stack.enter_context(levels.data_from(level, args.data_dir))
        if args.init_from:
            stack.enter_context(levels.start_from(level, params_files.load(args, COMMON)))
        if framework == "torch" and args.device != "cpu":
            stack.enter_context(levels.on_device(level, args.device))
        stack.enter_context(levels.training_starts(level, report.start))
        stack.enter_context(levels.replaced(COMMON, "print_epoch", report.epoch))
        trained = main(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       hidden=args.hidden, seed=args.seed, dtype=args.dtype,
                       shuffle=args.shuffle, limit=args.limit)
    if args.save_weights:
        params_files.save(args.save_weights, levels.weights(level, trained))


def torch_device(device):
    """--device auto: cuda when PyTorch sees a GPU, else cpu; --device cuda without one: an error."""
    import torch
    from machinery.errors import UserError
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: PyTorch sees no CUDA GPU here; use --device cpu.")
    return device
