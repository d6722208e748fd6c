"""The checker's core: an exercise file loaded in the process that runs the student's code,
its checks run here one by one, and what failed said in words.

The student's code never runs in this process. Each exercise file is loaded, by its path, in a
child process (exercises/checks/child.py, started by exercises/checks/remote.py): a file that is
missing, does not load or is half written fails its own exercise's checks, never another
exercise's. A check is a function, run here, that calls the student's functions through the
child, gets values back, compares them with the references, and returns what passed, in words,
or raises Failure(why); Exercise.check() runs it, counts it and prints its line.
"""

import ast
import contextlib
import hashlib
import importlib
import os
import pickle
import re
import sys

import numpy as np

from exercises import helpers
from exercises.checks import answers, module_name, remote
from machinery import atomic

ROOT = helpers.ROOT

STARTERS = os.path.join(ROOT, "exercises", "starters")
GRADIENT = helpers.TOLERANCE   # the gradient check: relative error at most 1e-6
STEP = 1e-6                    # one update against the exact one: relative error of the change
LOCKSTEP = 1e-8                # two float64 trainings: largest |dW| at most this
EXACT = 1e-12                  # the same, where both run the same operations (Exercises 9-11)
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


OPERATORS = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__",
             ast.MatMult: "__matmul__"}


def references(tree):
    """{name: the names it uses} for the top-level functions, classes and assignments of a
    module (an ast tree), among those top-level names: train_step_mse -> {gradients_mse}; and
    the methods of its classes it may use, as Class.method: an operator (a * b: Tensor.__mul__)
    or a method call (z.sum(): Tensor.sum) that some class of the module defines."""
    found, methods = {}, {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for f in node.body:
                if isinstance(f, ast.FunctionDef):
                    methods.setdefault(f.name, set()).add(f"{node.name}.{f.name}")
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        used = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                used.add(n.id)
            elif isinstance(n, ast.BinOp) and type(n.op) in OPERATORS:
                used |= methods.get(OPERATORS[type(n.op)], set())
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                used |= methods.get(n.func.attr, set())
        for name in names:
            found[name] = used
    known = set(found) | {m for ms in methods.values() for m in ms}
    return {name: used & known - {name} for name, used in found.items()}


def one_line(text, limit=240):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def cache_path(task, start, data, config):
    """Where $LEVELS_CHECK_CACHE keeps a Keras reference: a name made from the task, its inputs
    and the code that computes it (level 1 and the Keras tasks); None without the variable."""
    folder = os.environ.get("LEVELS_CHECK_CACHE")
    if not folder:
        return None
    key = hashlib.sha256(repr((task, sorted(config.items()))).encode())
    for inputs in (start, data):
        for name in sorted(inputs):
            key.update(name.encode() + np.ascontiguousarray(inputs[name]).tobytes())
    for path in ("level1_keras.py", "common.py", os.path.join("exercises", "checks",
                                                               "keras_tasks.py")):
        with open(os.path.join(ROOT, path), "rb") as f:
            key.update(f.read())
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, key.hexdigest() + ".pickle")


# Errors whose usual cause a student may not guess from the message: text -> what to add.
HINTS = {"object has no attribute '_parameters'": ": does __init__ call super().__init__() first?",
         "object has no attribute '_modules'": ": does __init__ call super().__init__() first?",
         "object has no attribute 'weight'": ": does __setattr__ set the attribute too?",
         "object has no attribute 'bias'": ": does __setattr__ set the attribute too?",
         "'NoneType' object has no attribute 'stop_training'":
             ": is each callback's .model set before the first epoch?"}


def describe_error(info, path):
    """An exception from a student's code (the child's account: type, message, frames) as one
    line: "`f` not written yet" for the NotImplementedError of a starter, else what was raised,
    and where in the file."""
    frames = info["frames"]
    mine = [f for f in frames if os.path.basename(f[0]) == os.path.basename(path)
            and os.path.dirname(f[0]).endswith(("student", os.path.dirname(path)))]
    what = f"{info['type']}: {one_line(info['message'], 160)}"
    if info["type"] == "NotImplementedError" and frames and mine and frames[-1] == mine[-1]:
        inner, outer = mine[-1][2], mine[0][2]
        return (f"`{inner}` not written yet" if inner == outer else
                f"`{inner}` not written yet (`{outer}` calls it)")
    hint = next((words for text, words in HINTS.items() if text in str(info["message"])), "")
    if "maximum recursion depth" in str(info["message"]) and any(f[2] == "__setattr__"
                                                                 for f in mine):
        hint = (": inside __setattr__, self.name = value calls __setattr__ again - how does "
                "nn.Module's own __setattr__ (torch/nn/modules/module.py) set the attribute in "
                "the end?")
    if mine:
        return (f"`{mine[0][2]}` raised {what} ({os.path.basename(path)}, line "
                f"{mine[-1][1]}, in {mine[-1][2]}){hint}")
    limit = {"MemoryError": " (the sandbox's memory limit, or the machine's)",
             "BlockingIOError": " (the sandbox's limit on processes)"}.get(info["type"], "")
    return f"{what}{limit} (where the checker used what your code made){hint}"


class Exercise:
    """One exercise file under check: the student's module in its child, and the checks'
    results as they are printed."""

    def __init__(self, number, student, seed, checks):
        self.number, self.seed, self.checks = number, seed, checks   # checks: its check module
        self.student = student                 # remote.Student: the children, the files
        self.path = student.box.path(number)
        self.file = os.path.basename(self.path)
        self.kind = getattr(checks, "CHILD", None)   # the child of its non-Keras checks
        self.child, self.unwritten, self.passed, self.failed = None, set(), 0, 0
        self.notes = []
        self.results = []          # (passed, label, detail, follow_on) of each check, in order
        self.calls = {}            # the file's top-level names: the top-level names each uses
        self.used = set()          # the student's names the running check took (fn())
        self.suspects = []         # (label, names used) of each check that failed on its own,
        self.cleared = set()       # less those that had passed a check before it
        self.fresh_after_failure = False   # load the student's module again after a failed
                                           # check (state a class keeps: Exercise 9's no_grad)
        self.on_hold = None        # the grader's: on_hold(True) while a child starts, then False
        self.on_result = None      # the grader's: on_result(passed) after each check
        self.on_start = None       # the grader's: on_start(label) as each check begins

    # The file ----------------------------------------------------------------------------
    def load(self):
        """Read and parse the file here, then load it in its child. A failure is one FAILED
        line; returns whether the exercise's checks can go on."""
        if not os.path.isfile(self.path):
            return self.fail_file(f"{shown(self.shown_path())} does not exist: copy "
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
        if self.kind is None:
            return True
        try:
            self.child = self.loaded_in(self.kind)
        except remote.StudentError as e:
            return self.fail_file(f"{self.file} does not load: {describe_error(e.info, self.path)}")
        except remote.ChildError as e:
            return self.fail_file(f"{self.file} could not be checked: {e}")
        return True

    def loaded_in(self, kind):
        """The child of this kind, with this exercise's file loaded in it."""
        child = self.student.child(kind, self.on_hold)
        if self.number not in child.loaded:
            child.load(self.number, self.student.box.child_path(self.number))
        return child

    def shown_path(self):
        """The file as the student knows it (not the grader's scratch copy)."""
        return self.path

    def fail_file(self, message):
        print(f"  FAILED  {message}")
        self.failed += 1
        self.results.append((False, message, "", False))
        return False

    def fn(self, name):
        """The student's function (or value) `name` (Class.method for a method), checked to be
        there: a remote.Remote that calls it in the child."""
        self.used.add(name.split(".")[0])
        if name in self.unwritten:
            raise Failure(f"`{name}` not written yet")
        target = {"student": [self.number, name]}
        if not self.child.has(target):
            raise Failure(f"`{name}` is missing from {self.file}: the starter has it; keep its "
                          f"name")
        return self.child.get(target)

    def public(self, name):
        """A function of the project (a level, machinery.params_files, the helpers), run in
        this exercise's child, on objects that live there (a model, an optimizer)."""
        return remote.Remote(self.child, {"public": name}, name)

    def keras(self, task, start, data, config):
        """A Keras task of exercises/checks/keras_tasks.py, run on the student's module in the
        Keras child: its values."""
        child = self.loaded_in("keras")
        function = remote.Remote(child, {"public": f"exercises.checks.keras_tasks.{task}"}, task)
        module = remote.Remote(child, {"module": self.number}, "your module")
        return function(module, start, data, config)

    def task(self, name, *args):
        """A task of exercises/checks/engine_tasks.py (Exercise 9's) or rebuild_tasks.py, run on
        the student's module in this exercise's child: its values."""
        tasks = "engine_tasks" if name.startswith("exercise_9_") else "rebuild_tasks"
        function = remote.Remote(self.child, {"public": f"exercises.checks.{tasks}.{name}"},
                                 name)
        return function(remote.Remote(self.child, {"module": self.number}, "your module"), *args)

    def keras_reference(self, task, start, data, config):
        """A Keras task of exercises/checks/keras_tasks.py that runs level 1 as it is, in the
        Keras child, without the student's file: its values. With $LEVELS_CHECK_CACHE naming a
        folder (the test suite sets it; the grader does not), a reference computed once for the
        same inputs and the same code is read from there, and TensorFlow need not start."""
        cached = cache_path(task, start, data, config)
        if cached and os.path.isfile(cached):
            with open(cached, "rb") as f:
                return pickle.load(f)
        child = self.student.child("keras", self.on_hold)
        function = remote.Remote(child, {"public": f"exercises.checks.keras_tasks.{task}"}, task)
        values = function(None, start, data, config)
        if cached:
            with atomic.replace(cached, "wb") as f:
                pickle.dump(values, f)
        return values

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
        except remote.StudentError as e:
            ok, detail = False, describe_error(e.info, self.path)
        except remote.ChildError as e:
            ok, detail = False, f"your code could not be checked: {e}"
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
            ok, detail = False, (f"your values could not be compared with the checker's "
                                 f"({type(e).__name__}: {one_line(e, 160)}): are their shapes "
                                 f"and kinds those the docstrings ask for?")
        self.used |= set(needs)                # what a task of the child ran, as fn() notes it
        cause = None if ok or "not written yet" in detail else self.follows_from()
        if cause:
            earlier, shared = cause
            names = ", ".join(f"`{name}`" for name in shared)
            # Only what this check saw, without its advice: the advice is the earlier check's.
            seen = re.split(r"(?<=\.)\s+(?=[A-Z(])", detail, maxsplit=1)[0].rstrip(".")
            if "?" in seen:                    # nor its guess at the cause, a question
                ask = seen.index("?")
                cut = max(seen.rfind(": ", 0, ask), seen.rfind(" - ", 0, ask),
                          seen.rfind(" (", 0, ask))
                seen = seen[:cut] if cut > 0 else seen
            detail = (f"follow-on of the check \"{earlier}\", which failed above: this check "
                      f"uses {names} too, through your code, and may pass once that one does "
                      f"(here: {one_line(seen, 600)})")
            self.notes = []
        elif not ok and "not written yet" not in detail:
            suspect = sorted(self.used - self.cleared)
            if suspect:                        # what passed before is not blamed for this
                self.suspects.append((label.split(":")[0].split(" (")[0], suspect))
        if ok:
            self.passed += 1
            self.cleared |= self.used
        else:
            self.failed += 1
            if self.fresh_after_failure and getattr(self, "child", None) is not None:
                try:                           # what a failed check left behind (a no_grad
                    self.child.load(self.number, self.student.box.child_path(self.number))
                except (remote.StudentError, remote.ChildError):   # stuck off, say) goes with
                    pass                       # the module: the next check starts afresh
        self.results.append((ok, label, detail, bool(cause)))
        if self.on_result:
            self.on_result(ok)
        print(f"  {'passed' if ok else 'FAILED'}  {label}" + (f": {detail}" if detail else ""))
        for note in self.notes:
            print("          " + note.replace("\n", "\n          "))
        sys.stdout.flush()
        return ok

    def follows_from(self):
        """The first earlier check that failed on its own and used what the running check uses,
        directly or through the student's own code: (its label, the names both use); None if
        none. Which of those names is wrong the checker cannot tell: it names them all."""
        reached, todo = set(), list(self.used)
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += self.calls.get(name, ())
        for label, names in self.suspects:
            shared = [name for name in names if name in reached]
            if shared:
                return label, shared
        return None

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


def weights(value, what):
    """W1, b1, W2, b2 from what the student's code returned: float64 arrays, checked."""
    same_params(value, ("W1", "b1", "W2", "b2"), what)
    return {k: array(value[k], f"{k} of {what}") for k in ("W1", "b1", "W2", "b2")}


def same_params(params, names, what):
    """params checked to be a dict holding each of `names`."""
    require(isinstance(params, dict), f"{what} is {type(params).__name__}, not a dict")
    missing = [n for n in names if n not in params]
    require(not missing, f"{what} has no {', '.join(repr(n) for n in missing)}")
    return params


def copy(params):
    return {k: np.array(v, copy=True) for k, v in params.items()}


def how_they_moved(found, reference, start, whose):
    """A lockstep gap in words: how far the student's weights moved from the start, against how
    far the reference's (`whose`) moved, and at what angle. Measured on the lockstep's data: a
    learning rate 10 times too large moves them about 6 times as far, 10 times too small about
    a third as far; other batches (shuffled) as far, at a cosine near 0.99."""
    names = list(start)
    mine = np.concatenate([(np.asarray(found[k], np.float64) - start[k]).ravel() for k in names])
    theirs = np.concatenate([(np.asarray(reference[k], np.float64) - start[k]).ravel()
                             for k in names])
    n_mine, n_theirs = float(np.linalg.norm(mine)), float(np.linalg.norm(theirs))
    if not np.isfinite(n_mine):
        return "Your weights are not finite: the training diverged"
    if n_mine == 0 or n_theirs == 0:
        return "Your weights did not move from the start" if n_mine == 0 else ""
    ratio, cosine = n_mine / n_theirs, float(mine @ theirs) / (n_mine * n_theirs)
    said = (f"Your weights moved {ratio:.3g} times as far from the start as {whose}, at cosine "
            f"{cosine:.3f} to them: ")
    if ratio > 1.2:
        return said + "larger steps (the learning rate? a sum where a mean is wanted?)"
    if ratio < 0.8:
        return said + "smaller steps, or fewer (the learning rate? a batch or an epoch missing?)"
    return said + ("as far, another way: other batches (their order? shuffled?) or a small "
                   "difference in every step")


# ---------------------------------------------------------------------------------------------
# One exercise, checked
# ---------------------------------------------------------------------------------------------
def run_exercise(number, student, seed, on_hold=None, on_result=None, on_start=None):
    """Check exercise `number` of the student's files (a remote.Student), printing a line per
    check; returns the Exercise, with its counts. on_hold, on_result and on_start (called with
    each check's label as it begins): the grader's (see Exercise)."""
    checks = importlib.import_module(module_name(number))
    ex = Exercise(number, student, seed, checks)
    ex.on_hold, ex.on_result, ex.on_start = on_hold, on_result, on_start
    print(f"Exercise {number}: {checks.TITLE} ({shown(ex.shown_path())})")
    loaded = ex.load()
    if loaded:
        with one_thread():
            checks.run(ex)
    total = ex.passed + ex.failed
    verdict = ("all passed" if not ex.failed else f"{ex.passed} of {total} passed" if loaded
               else "not checked, because the file did not load")
    ex.answers = answers.status(student.box.folder, number)
    print(f"  note    {ex.answers[2]} (not graded: your teacher reads them)")
    print(f"Exercise {number}: {verdict}.\n")
    ex.loaded = loaded
    return ex


@contextlib.contextmanager
def one_thread():
    """One thread for NumPy's BLAS and PyTorch while the checks run, then as before: the checks'
    arrays are so small that a second thread costs more than it brings, and on a busy machine
    far more. (The children run on one thread from their start.)"""
    from threadpoolctl import threadpool_limits
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(threads)
