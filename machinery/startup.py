"""What a script does before its framework loads: answer Ctrl-C, and check the flags.

Every level (and compare.py) imports this module first, before TensorFlow or PyTorch, which take
seconds to load. When the script is the program being run (not imported by another), this
  * hands Ctrl-C to machinery.interrupt, so that an interrupt even during the framework's import
    ends with one line and exit code 130 (and an empty --json-out), never a traceback;
  * parses and checks the flags at once, so that --help or a mistake is answered without waiting
    for the framework. The script's main() parses them again, the same way, in a moment;
  * reads and checks the --data-dir and --init-from files, for the same reason.
Imported by another program (one_step.py, the tests), it does nothing.
"""

import os
import sys

from machinery import interrupt                 # first: it imports nothing but os, signal, sys

MAIN = sys.modules.get("__main__")
SCRIPT = os.path.splitext(os.path.basename(getattr(MAIN, "__file__", None) or ""))[0]
if SCRIPT.startswith("level") or SCRIPT == "compare":
    interrupt.install()                         # until the flags are known: nothing to write

from machinery import atomic, flags  # noqa: E402,F401  (atomic: whole before a Ctrl-C needs it)

ARGS = None                                     # the flags of the script being run, once parsed


def _start():
    global ARGS
    if SCRIPT not in flags.FRAMEWORKS:          # imported by another program: nothing to do
        return
    ARGS = flags.parse(SCRIPT, MAIN.__doc__)    # exits here, code 2, if a flag is wrong
    interrupt.update(snapshot=lambda: nothing_done(SCRIPT, ARGS))
    if SCRIPT != "compare":
        check_files(ARGS)


def check_files(args):
    """Read and check --data-dir and --init-from now, before the framework loads: a bad file is
    answered at once (exit code 1, as machinery.cli.run answers it), and a good one is kept for
    the level's own first read of it, so that nothing is read twice."""
    from machinery import mnist_files, params_files
    from machinery.errors import UserError
    try:
        if args.data_dir:
            mnist_files.read_dir(args.data_dir, keep=True)
        if args.init_from:
            params_files.load(args, keep=True)
    except UserError as e:
        print(f"{os.path.basename(sys.argv[0])}: error: {e}", file=sys.stderr)
        sys.exit(1)


def nothing_done(script, args):
    """What an interrupt before the first epoch writes: the configuration, no epochs."""
    data = {"level": script, "config": flags.config(args), "epochs": []}
    if flags.FRAMEWORKS[script] == "compare":
        data = {"config": flags.config(args), "levels": {}, "interrupted": True}
    what = "levels" if flags.FRAMEWORKS[script] == "compare" else "epochs"
    total = len(args.levels) if what == "levels" else args.epochs
    return args.json_out, data, f"Interrupted: 0 of {total} {what} completed."


_start()
