"""The checker's core: loading an exercise file on its own, running its checks one by one, and
saying what failed in words.

Each exercise file is loaded by its path, as a module of its own: a file that is missing, does
not load or is half written fails its own exercise's checks, never another exercise's. A check
is a function that returns what passed, in words, or raises Failure(why); Exercise.check() runs
it, counts it and prints its line.
"""

import ast
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import subprocess
import sys
import traceback

import numpy as np

from exercises import helpers
from exercises.checks import answers, module_name

ROOT = helpers.ROOT

STARTERS = os.path.join(ROOT, "exercises", "starters")
GRADIENT = helpers.TOLERANCE   # the gradient check: relative error at most 1e-6
STEP = 1e-6                    # one update against the exact one: relative error of the change
LOCKSTEP = 1e-8                # two float64 trainings: largest |dW| at most this
LOSS = 1e-10                   # a loss against the exact one: relative error


class Failure(Exception):
    """A check that failed; the message says why, in words."""


def is_unwritten(function):
    """Whether a def's body (an ast.FunctionDef), past its docstring, is only
    `raise NotImplementedError` - a starter's function that nobody has written yet."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]                        # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def unwritten_functions(tree):
    """The names of the functions (and Class.method) of a module that are not written yet."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and is_unwritten(node):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(f"{node.name}.{f.name}" for f in node.body
                         if isinstance(f, ast.FunctionDef) and is_unwritten(f))
    return names


def references(tree):
    """{name: the names it uses} for the top-level functions, classes and assignments of a
    module (an ast tree), among those top-level names: train_step_mse -> {gradients_mse}."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name in names:
            found[name] = used
    return {name: used & set(found) - {name} for name, used in found.items()}


def one_line(text, limit=240):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe_error(error, path):
    """An exception from a student's code as one line: "`f` not written yet" for the
    NotImplementedError of a starter, else what was raised, and where in the file."""
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if os.path.abspath(f.filename) == os.path.abspath(path)]
    if isinstance(error, NotImplementedError) and frames and mine and frames[-1] is mine[-1]:
        inner, outer = mine[-1].name, mine[0].name
        return (f"`{inner}` not written yet" if inner == outer else
                f"`{inner}` not written yet (`{outer}` calls it)")
    what = f"{type(error).__name__}: {one_line(error, 160)}"
    if mine:
        return (f"`{mine[0].name}` raised {what} ({os.path.basename(path)}, line "
                f"{mine[-1].lineno}, in {mine[-1].name})")
    return f"{what} (from the values your code returned)"


class NoFramework(importlib.abc.MetaPathFinder):
    """While installed, `import keras` (or tensorflow, or torch: `names`) fails with a message
    that says why: TensorFlow and PyTorch must not share a process."""

    def __init__(self, names, advice):
        self.names, self.advice = names, advice

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"import {name.split('.')[0]}: {self.advice}")
        return None

    def __enter__(self):
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self)


def load_module(path, name):
    """Run the file at `path` as a module called `name`, and return it."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class Exercise:
    """One exercise file under check: its module, and the checks' results as they are printed."""

    def __init__(self, number, folder, seed, checks):
        self.number, self.seed, self.checks = number, seed, checks   # checks: its check module
        self.path = os.path.abspath(os.path.join(folder, f"exercise_{number}.py"))
        self.file = os.path.basename(self.path)
        self.module, self.unwritten, self.passed, self.failed = None, set(), 0, 0
        self.notes = []
        self.results = []          # (passed, label, detail, follow_on) of each check, in order
        self.calls = {}            # the file's top-level names: the top-level names each uses
        self.used = set()          # the student's names the running check took (fn())
        self.suspects = []         # the names used by checks that failed on their own
        self.cleanup = []          # a Keras process and its folder, ended after the checks
        self.keras_jobs = None     # the grader's: {number: (process, folder)}, started already
        self.on_hold = None        # the grader's: on_hold(True) while Keras loads, then False
        self.on_result = None      # the grader's: on_result(passed) after each check
        self.on_start = None       # the grader's: on_start(label) as each check begins

    # The file ----------------------------------------------------------------------------
    def load(self, import_it=True):
        """Read, parse and (unless import_it is False) import the file. A failure is one FAILED
        line; returns whether the exercise's checks can go on."""
        if not os.path.isfile(self.path):
            return self.fail_file(f"{shown(self.path)} does not exist: copy "
                                  f"exercises/starters/{self.file} there")
        try:
            with open(self.path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), self.path)
        except SyntaxError as e:
            return self.fail_file(f"{self.file} has a syntax error, line {e.lineno}: {e.msg}")
        except (OSError, UnicodeDecodeError) as e:
            return self.fail_file(f"{self.file} cannot be read: {one_line(e)}")
        self.unwritten = unwritten_functions(tree)
        self.calls = references(tree)
        if not import_it:
            return True
        advice = ("TensorFlow and PyTorch must not share a process: import keras inside the "
                  "level 1 functions only, as the starter does")
        try:
            with NoFramework({"keras", "tensorflow"}, advice):
                self.module = load_module(self.path, f"_exercise_{self.number}_under_check")
        except (Exception, SystemExit) as e:
            return self.fail_file(f"{self.file} does not load: {describe_error(e, self.path)}")
        return True

    def fail_file(self, message):
        print(f"  FAILED  {message}")
        self.failed += 1
        self.results.append((False, message, "", False))
        return False

    def fn(self, name):
        """The student's function `name` (Class.method for a method), checked to be there."""
        self.used.add(name.split(".")[0])
        if name in self.unwritten:
            raise Failure(f"`{name}` not written yet")
        value = self.module
        for part in name.split("."):
            if not hasattr(value, part):
                raise Failure(f"`{name}` is missing from {self.file}: the starter has it; "
                              f"keep its name")
            value = getattr(value, part)
        return value

    # The checks --------------------------------------------------------------------------
    def check(self, label, body, needs=()):
        """Run one check: body() returns what passed (words), or raises Failure(why). When some
        of the functions it `needs` are not written yet, it fails saying so, without running."""
        self.notes, self.used = [], set()
        if self.on_start:
            self.on_start(label)
        unwritten = [name for name in needs if name in self.unwritten]
        try:
            if unwritten:
                raise Failure("; ".join(f"`{name}` not written yet" for name in unwritten))
            ok, detail = True, body()
        except Failure as e:
            ok, detail = False, str(e)
        except (Exception, SystemExit) as e:
            ok, detail = False, describe_error(e, self.path)
        cause = None if ok or "not written yet" in detail else self.follows_from()
        if cause:
            detail = (f"follow-on of `{cause}`, which failed above and which this check uses "
                      f"through your code: fix it first. Here: {detail}")
        elif not ok:
            self.suspects += sorted(self.used - set(self.suspects))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self.results.append((ok, label, detail, bool(cause)))
        if self.on_result:
            self.on_result(ok)
        print(f"  {'passed' if ok else 'FAILED'}  {label}" + (f": {detail}" if detail else ""))
        for note in self.notes:
            print("          " + note.replace("\n", "\n          "))
        sys.stdout.flush()
        return ok

    def follows_from(self):
        """The first name, of those that failed earlier checks on their own, that the running
        check used, directly or through the student's own code; None if none."""
        reached, todo = set(), list(self.used)
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += self.calls.get(name, ())
        return next((name for name in self.suspects if name in reached), None)

    def note(self, text):
        """Lines to print under the check's own line (a table)."""
        self.notes.append(text)

    def call(self, name, *args):
        return self.fn(name)(*args)

    def gradients(self, name, yours, exact, order=helpers.CHAIN, marks_of=None):
        """Compare a gradient dict with the exact one; the table goes under the check's line,
        with the marks that marks_of(rows, first_wrong) gives ({name: words}), if given."""
        if not isinstance(yours, dict):
            raise Failure(f"`{name}` returned {type(yours).__name__}, not a dict of gradients")
        missing = [k for k in order if k in exact and k not in yours]
        if missing:
            raise Failure(f"`{name}` returned no {', '.join(repr(k) for k in missing)}: the dict "
                          f"must hold every gradient of the chain (see its docstring)")
        rows, first = helpers.compare_gradients(yours, exact, order)
        self.note(helpers.gradient_table(rows, marks=marks_of(rows, first) if marks_of else None))
        return rows, first


def shown(path):
    """A path as the user would type it: relative to the current folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def require(condition, message):
    if not condition:
        raise Failure(message)


def array(value, what, shape=None):
    """value as a float64 array, or a Failure that says what it was instead."""
    try:
        result = np.asarray(value.detach() if hasattr(value, "detach") else value, np.float64)
    except (TypeError, ValueError):
        raise Failure(f"{what} is {type(value).__name__}, not an array of numbers") from None
    if shape is not None and result.shape != tuple(shape):
        raise Failure(f"{what} has shape {result.shape}, expected {tuple(shape)}")
    if not np.isfinite(result).all():
        raise Failure(f"{what} holds NaN or infinity")
    return result


def number(value, what):
    result = array(value, what)
    require(result.size == 1, f"{what} has shape {result.shape}, expected one number")
    return float(result.reshape(()))


def relative_error(yours, exact):
    yours, exact = np.asarray(yours, np.float64), np.asarray(exact, np.float64)
    return float(np.abs(yours - exact).max() / max(np.abs(exact).max(), 1e-300))


def same_params(params, names, what):
    """params checked to be a dict holding each of `names`."""
    require(isinstance(params, dict), f"{what} is {type(params).__name__}, not a dict")
    missing = [n for n in names if n not in params]
    require(not missing, f"{what} has no {', '.join(repr(n) for n in missing)}")
    return params


def copy(params):
    return {k: np.array(v, copy=True) for k, v in params.items()}


# ---------------------------------------------------------------------------------------------
# One exercise, checked
# ---------------------------------------------------------------------------------------------
def run_exercise(number, folder, seed, keras_jobs=None, on_hold=None, on_result=None,
                 on_start=None):
    """Check exercise `number` of the folder, printing a line per check; returns the Exercise,
    with its counts. keras_jobs, on_hold, on_result and on_start (called with each check's label
    as it begins): the grader's (see Exercise)."""
    checks = importlib.import_module(module_name(number))
    ex = Exercise(number, folder, seed, checks)
    ex.keras_jobs, ex.on_hold, ex.on_result, ex.on_start = keras_jobs, on_hold, on_result, on_start
    print(f"Exercise {number}: {checks.TITLE} ({shown(ex.path)})")
    imports = getattr(checks, "IMPORT", True)  # False: the file imports Keras (its process only)
    loaded = ex.load(import_it=imports)
    if loaded:
        try:
            with one_thread(torch=imports):
                checks.run(ex)
        finally:
            for thing in reversed(ex.cleanup):
                if isinstance(thing, subprocess.Popen):
                    if thing.poll() is None:   # the checks stopped early (Ctrl-C): end it
                        thing.kill()
                        thing.wait()
                else:
                    thing.cleanup()
            sys.modules.pop(f"_exercise_{number}_under_check", None)
    total = ex.passed + ex.failed
    verdict = ("all passed" if not ex.failed else f"{ex.passed} of {total} passed" if loaded
               else "not checked, because the file did not load")
    ex.answers = answers.status(folder, number)
    print(f"  note    {ex.answers[2]} (not graded: your teacher reads them)")
    print(f"Exercise {number}: {verdict}.\n")
    ex.loaded = loaded
    return ex


@contextlib.contextmanager
def one_thread(torch):
    """One thread for NumPy's BLAS and PyTorch while the checks run, then as before: the checks'
    arrays are so small that a second thread costs more than it brings, and on a busy machine
    far more."""
    from threadpoolctl import threadpool_limits
    if torch:
        import torch
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        if torch:
            torch.set_num_threads(threads)
