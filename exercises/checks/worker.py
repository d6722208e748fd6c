"""The grader's worker: one student's exercises, checked in a process of its own.

    python -m exercises.checks.worker FOLDER SEED BWRAP UID N [N ...]

checks FOLDER/exercise_N.py for each N, in that order, as `python -m exercises.check` checks
them: the checks and the references here, the student's code in child processes (one per kind:
NumPy, PyTorch, Keras; exercises/checks/remote.py), started at once so that they load while the
first checks run. BWRAP is the path of bubblewrap, or "none" (unsandboxed); UID the user the
children run as, or "-" (the grader's own). What the checks print is kept; what goes to the
grader is one JSON object per line on standard output, written by this process only (the
children's output goes elsewhere):

    {"start": N}                           exercise N's checks begin
    {"checking": N, "label": "..."}        a check begins
    {"check": N, "passed": true}           one check done
    {"hold": true} ... {"hold": false}     waiting for a child to start: not the student's time
    {"done": N, "passed": 5, "failed": 2, "loaded": true, "first": "...", "answers": [1, 3]}

"first" is the first failure's line in words ("" if none), answers the questions answered and
their number (null when there is no answers file to count). The grader stops a worker whose
exercise does not finish in time, and starts another for the exercises after it.
"""

import contextlib
import importlib
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from exercises.checks import EXERCISES, module_name, remote  # noqa: E402
from exercises.checks.core import one_line, run_exercise  # noqa: E402

CPU_SECONDS = 3600          # a child's CPU time, all its exercises together (the wall clock
                            # limit, --timeout, is the grader's, per exercise)


class Events:
    """JSON lines to the grader, on a copy of standard output; the real standard output (fd 1)
    goes nowhere, so that nothing else printed can mix with them."""

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, 1)
        os.close(nowhere)

    def __call__(self, **event):
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()


def quietly(function, *args, **kwargs):
    """function(...)'s result; what it prints is kept from the grader's events."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args, **kwargs)


def kinds(numbers):
    """The children the exercises need."""
    needed = []
    for number in numbers:
        checks = importlib.import_module(module_name(number))
        for kind in (getattr(checks, "CHILD", None), "keras" if getattr(checks, "KERAS", False)
                     else None):
            if kind and kind not in needed:
                needed.append(kind)
    return needed


def first_failure(ex):
    """The first failed check in words (a follow-on is never the first), or ""."""
    for passed, label, detail, follow_on in ex.results:
        if not passed and not follow_on:
            return one_line(f"{label}: {detail}" if detail else label, 1000)
    return ""


def load_everything(numbers):
    """Import what the checks import when they first run (PyTorch above all), so that no
    exercise's time limit pays for it."""
    import threadpoolctl  # noqa: F401
    import torch  # noqa: F401

    from exercises.checks import exact  # noqa: F401
    for number in numbers:
        importlib.import_module(module_name(number))


def grade(folder, seed, numbers, events, bwrap=None, uid=None):
    student = remote.Student(folder, bwrap, uid, CPU_SECONDS, relay_output=False)
    try:
        student.prefetch(kinds(numbers))       # the children load while this process does
        load_everything(numbers)
        for number in numbers:
            events(start=number)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                ex = quietly(run_exercise, number, student, seed,
                             lambda hold: events(hold=hold),
                             lambda passed: events(check=number, passed=passed),
                             lambda label: events(checking=number, label=label))
            answered, total, _ = ex.answers
            events(done=number, passed=ex.passed, failed=ex.failed, loaded=ex.loaded,
                   first=first_failure(ex), answers=[answered, total] if total else None)
    finally:
        student.close()


def main(argv):
    events = Events()
    folder, seed = argv[0], int(argv[1])
    bwrap = None if argv[2] == "none" else argv[2]
    uid = None if argv[3] == "-" else int(argv[3])
    numbers = [int(n) for n in argv[4:]]
    if any(n not in EXERCISES for n in numbers):
        return 2
    grade(folder, seed, numbers, events, bwrap, uid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
