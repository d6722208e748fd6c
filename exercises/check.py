"""Check your work on the exercises of EXERCISES.md, one exercise at a time or all of them.

    python -m exercises.check 1                      # exercises/starters/exercise_1.py
    python -m exercises.check all                    # all eleven, one after the other
    python -m exercises.check stack                  # 9, 10 and 11, then the whole stack
    python -m exercises.check 3 --solutions DIR      # DIR/exercise_3.py instead
    python -m exercises.check 1 --seed 7             # the check batches of an earlier run

Run it from the project folder (`python exercises/check.py 1` works from anywhere). It needs no
MNIST and no network: it makes small data of its own.

Every check prints one line, passed or FAILED, with the reason in words. A gradient is compared
with the exact one, which PyTorch's autograd computes from the loss as the exercise states it
(never from a solution), in a table in the chain's order - dz2, dW2, db2, dh, dz1, dW1, db1 - and
the first wrong quantity is named, because everything below it in the chain inherits its error.
Some checks use a check batch drawn afresh for each run (its seed is printed; --seed draws it
again) and sizes that EXERCISES.md does not print, so that a figure copied from there cannot pass.

Your code runs in a process of its own, which gets the checks' inputs and answers with values;
the checks compare them here, with the exact values, as `python -m exercises.grade` does (there,
in a sandbox). Each exercise file is loaded on its own, by its path: a file that is missing, does
not load or is half written fails its own exercise's checks, never another exercise's. The
NumPy exercises run where PyTorch and TensorFlow cannot be imported; Keras code (exercises 3, 5
and 8) runs in a process of its own, because TensorFlow and PyTorch do not share one.

Exit code: 0 when every check passed, 1 when one failed, 2 for a mistake on the command line.

When Exercises 9, 10 and 11 all pass (`stack` or `all`), the last line trains the whole stack -
your fit() on your Linear, Tanh, Sequential and SGD, on your engine - and says how far its
weights end from Keras's fit(), level 2's and level 4's. `stack` leaves out Exercise 9 or 10
while none of its functions is written (a class not set it), and trains once Exercise 11
passes, with level 3½'s engine, or its model and update, standing in for what is left out or
does not pass yet; the line says which.

After each exercise's checks a note says which questions of its answers_N.md (the written
answers, beside exercise_N.py) are still empty; the checker does not grade them.

This file is the command line; the checks themselves are in exercises/checks/, one module per
exercise (exercises/checks/__init__.py lists them), beside what they share.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

import numpy as np  # noqa: E402

from exercises.checks import EXERCISES, module_name, remote, stack  # noqa: E402
from exercises.checks.core import STARTERS, run_exercise, shown  # noqa: E402


def make_parser():
    p = argparse.ArgumentParser(
        prog="python -m exercises.check",
        description="Check the exercises of EXERCISES.md: each check passed or FAILED, and why.")
    p.add_argument("exercise", choices=[*map(str, EXERCISES), "all", "stack"],
                   help=f"the exercise to check, 1 to {max(EXERCISES)}; all; or stack: 9, 10 "
                        f"and 11, then the whole stack trained on them")
    p.add_argument("--solutions", metavar="DIR", default=STARTERS,
                   help="the folder holding exercise_N.py (default: exercises/starters)")
    p.add_argument("--seed", type=int, default=None,
                   help="the seed of the check batches (default: a new one each run, printed)")
    return p


def started(folder, number):
    """Whether exercise_N.py in folder has any of the functions the exercise asks for written:
    False while every one still raises NotImplementedError, as in the blank starter."""
    import ast
    import importlib
    from exercises.checks.core import unwritten_functions
    try:
        with open(os.path.join(folder, f"exercise_{number}.py"), encoding="utf-8") as f:
            unwritten = unwritten_functions(ast.parse(f.read()))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True                            # checked, and its own check says what is wrong
    return not set(importlib.import_module(module_name(number)).WRITE) <= unwritten


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = make_parser()
    args = p.parse_args(argv)
    if not os.path.isdir(args.solutions):
        p.error(f"--solutions {args.solutions}: no such folder")
    if args.seed is None:
        args.seed = int(np.random.default_rng().integers(1000, 100000))
    numbers = {"all": list(EXERCISES), "stack": list(stack.NUMBERS)}.get(args.exercise) or \
        [int(args.exercise)]
    print(f"Checking {shown(os.path.abspath(args.solutions))}, check batches with --seed "
          f"{args.seed}\n")
    for number in stack.OPTIONAL if args.exercise == "stack" else ():
        if not started(args.solutions, number):
            numbers.remove(number)
            print(f"Exercise {number} not started (every function it asks for still raises "
                  f"NotImplementedError): left out, and the stack trains on level 3½'s "
                  f"{stack.STANDS_IN[number]} instead.\n")
    student = remote.Student(args.solutions)             # your own code: not sandboxed
    import importlib
    if any(getattr(importlib.import_module(module_name(n)), "KERAS", False) for n in numbers):
        student.prefetch(["keras"])                         # Keras loads while the rest runs
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # NaN: in words
            done = {n: run_exercise(n, student, args.seed) for n in numbers}
            done = {n: (ex.passed, ex.failed) for n, ex in done.items()}
            finale = None
            if 11 in done and not done[11][1] and (args.exercise == "stack" or all(
                    n in done and not done[n][1] for n in stack.NUMBERS)):
                finale = stack.run(student, args.seed,
                                   *[n in done and not done[n][1] for n in stack.OPTIONAL])
    finally:
        student.close()
    if len(numbers) > 1:
        good = [n for n, (passed, failed) in done.items() if not failed]
        bad = [str(n) for n in numbers if n not in good]
        print(f"{len(good)} of {len(numbers)} exercises pass" +
              (f"; not yet: {', '.join(bad)}." if bad else "."))
    if finale:
        print(f"\n{finale}")
    elif args.exercise == "stack":
        print("The whole stack trains once Exercise 11 passes: on your engine (9) and your "
              "pieces (10) where they pass, else on level 3½'s.")
    return 0 if all(not failed for passed, failed in done.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("python -m exercises.check: interrupted.", file=sys.stderr)
        sys.exit(130)
