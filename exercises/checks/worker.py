"""The grader's worker: one student's exercises, checked in a process of its own.

    python -m exercises.checks.worker FOLDER SEED N [N ...]

checks FOLDER/exercise_N.py for each N, in that order, as `python -m exercises.check` checks
them (each file loaded on its own), with one Keras process for all of the student's Keras
exercises, started first. What the checks print is kept; what goes to the grader is one JSON
object per line on standard output:

    {"ready": true, "totals": {"1": 8}}    loaded; the number of checks of each exercise
    {"start": N}                           exercise N's checks begin
    {"check": N, "passed": true}           one check done
    {"hold": true} ... {"hold": false}     waiting for Keras to load: not the student's time
    {"done": N, "passed": 5, "failed": 2, "loaded": true, "first": "...", "answers": [1, 3]}

"first" is the first failure's line in words ("" if none), answers the questions answered and
their number (null when there is no answers file to count). The grader stops a worker whose
exercise does not finish in time, and starts another for the exercises after it. The checks are
counted on the project's starters, which fail every one.
"""

import contextlib
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from exercises.checks import EXERCISES, keras_process, module_name  # noqa: E402
from exercises.checks.core import STARTERS, Exercise, one_line, run_exercise  # noqa: E402


class Events:
    """JSON lines to the grader, on a copy of standard output; the real standard output (fd 1)
    goes nowhere, so that what a student's code prints cannot mix with them."""

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


def keras_jobs(folder, numbers, seed):
    """Start one Keras process for the Keras exercises among numbers whose files parse:
    ({number: (process, job folder)}, the temporary folders to remove at the end)."""
    import importlib
    jobs, folders = [], []
    for number in numbers:
        checks = importlib.import_module(module_name(number))
        if not hasattr(checks, "KERAS_TASKS"):
            continue
        ex = Exercise(number, folder, seed, checks)
        if not quietly(ex.load, import_it=False):
            continue
        job = keras_process.prepare(ex)
        if job is not None:
            folders.append(job)
            jobs.append((number, ex.path, job.name))
    if not jobs:
        return {}, folders
    process = keras_process.launch(jobs)
    return {number: (process, name) for number, path, name in jobs}, folders


def first_failure(ex):
    """The first failed check in words (a follow-on is never the first), or ""."""
    for passed, label, detail, follow_on in ex.results:
        if not passed and not follow_on:
            return one_line(f"{label}: {detail}" if detail else label, 1000)
    return ""


def load_everything(numbers):
    """Import what the checks import when they first run (PyTorch above all), so that no
    exercise's time limit pays for it."""
    import importlib

    import threadpoolctl  # noqa: F401
    import torch  # noqa: F401

    import level2_pytorch  # noqa: F401
    import level3_autograd  # noqa: F401
    for number in numbers:
        importlib.import_module(module_name(number))


def grade(folder, seed, numbers, events):
    jobs, folders = keras_jobs(folder, numbers, seed)
    load_everything(numbers)
    events(ready=True, totals=totals(numbers))
    try:
        for number in numbers:
            events(start=number)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                ex = quietly(run_exercise, number, folder, seed, jobs,
                             lambda hold: events(hold=hold),
                             lambda passed: events(check=number, passed=passed),
                             lambda label: events(checking=number, label=label))
            answered, total, _ = ex.answers
            events(done=number, passed=ex.passed, failed=ex.failed, loaded=ex.loaded,
                   first=first_failure(ex), answers=[answered, total] if total else None)
    finally:
        for process in {process for process, name in jobs.values()}:
            if process.poll() is None:
                process.kill()
                process.wait()
        for job in folders:
            job.cleanup()


def totals(numbers):
    """{number: its checks}: the project's starters fail every one, quickly."""
    found = {}
    for number in numbers:
        ex = quietly(run_exercise, number, STARTERS, 0)
        found[number] = ex.passed + ex.failed
    return found


def main(argv):
    events = Events()
    folder, seed, numbers = argv[0], int(argv[1]), [int(n) for n in argv[2:]]
    if any(n not in EXERCISES for n in numbers):
        return 2
    grade(folder, seed, numbers, events)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
