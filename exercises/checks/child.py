"""The process that runs a student's code for the checker. It loads exercise files and calls
their functions when asked, and answers with values (exercises/checks/wire.py). It decides
nothing: the references, the comparisons and every verdict are the checker's, in a process of
its own (exercises/checks/sandbox.py starts this one, in a sandbox where there is one).

    python -m exercises.checks.child KIND READ_FD WRITE_FD

KIND says what the student's code may import: "numpy" neither PyTorch nor TensorFlow (a
derivation must be the student's own, not autograd's), "torch" no TensorFlow, "keras" no PyTorch
(TensorFlow and PyTorch do not share a process).

Requests, each a JSON object with an "op", answered in order:
    load    {"number": N, "path": PATH}          run the exercise file as a module
    has     {"target": REF}                      whether it is there (a name of the file)
    get     {"target": REF}                      its value
    call    {"target": REF, "args", "kwargs"}    call it; the answer also gives the arrays and
                                                 tensors among the arguments, as the call left
                                                 them (a step changes its parameters in place)
A REF is {"student": [N, "name.attr"]}, {"module": N}, {"public": "module.name"} (a level,
common, the helpers, the tasks of keras_tasks.py, engine_tasks.py and rebuild_tasks.py), or
{"handle": K}: an object this process keeps for the checker (a function a student's function
returned, a model). A function the checker passes in is a {"callback": K}: calling it asks the
checker, during that call only.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from exercises.checks import wire  # noqa: E402

BLOCKED = {"numpy": {"torch", "torchvision", "tensorflow", "keras", "jax", "tf_keras"},
           "torch": {"tensorflow", "keras", "tf_keras"},
           "keras": {"torch", "torchvision"}}
WHY = {"numpy": "this exercise is written in NumPy, and checked where PyTorch and TensorFlow "
                "cannot be imported: the gradients must be derived, not autograd's",
       "torch": "TensorFlow and PyTorch must not share a process: import keras inside the level "
                "1 functions only, as the starter does",
       "keras": "TensorFlow and PyTorch must not share a process: import torch inside the level "
                "2 and 3 functions only, as the starter does"}
PUBLIC = ("level1_keras.", "level2_pytorch.", "level3_autograd.", "level3b_own_autograd.",
          "level4_numpy.", "common.", "machinery.params_files.", "exercises.helpers.",
          "exercises.checks.keras_tasks.", "exercises.checks.engine_tasks.",
          "exercises.checks.rebuild_tasks.", "numpy.",
          "torch.")


OWN = ("exercises.checks.wire", "exercises.checks.child", "exercises.checks.keras_tasks",
       "exercises.checks.engine_tasks", "exercises.checks.rebuild_tasks")
CHECKERS = ("the checker's own modules and the solutions are not for your code to import (where "
            "the grader runs your code, they are not there at all)")


class Blocked(importlib.abc.MetaPathFinder):
    """Imports this child refuses: the frameworks its kind may not have, and the checker's
    references and the solutions. (In the grader's sandbox those files are not there either.)"""

    def __init__(self, names, why):
        self.names, self.why = names, why

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            why = f"import {name.split('.')[0]}: {self.why}"
        elif (name.startswith("exercises.checks.") and name not in OWN) or \
                name.startswith("exercises.solutions"):
            why = f"import {name}: {CHECKERS}"
        else:
            return None
        # A spec whose loading fails: an import raises ModuleNotFoundError with the reason,
        # while a library that only asks whether the module exists (importlib.util.find_spec,
        # as PyTorch does of TensorFlow) is answered, as in the sandbox, where a stand-in is.
        return importlib.machinery.ModuleSpec(name, Refusal(why), origin=None)


class Refusal(importlib.abc.Loader):
    def __init__(self, why):
        self.why = why

    def create_module(self, spec):
        raise ModuleNotFoundError(self.why, name=spec.name)

    def exec_module(self, module):
        raise ModuleNotFoundError(self.why, name=module.__name__)


class Child:
    def __init__(self, kind, inbox, outbox):
        self.kind, self.inbox, self.outbox = kind, inbox, outbox
        self.modules, self.handles = {}, {}

    # References -----------------------------------------------------------------------------
    def resolve(self, ref):
        if not isinstance(ref, dict) or len(ref) != 1:
            raise wire.WireError(f"a reference {ref!r}")
        (kind, body), = ref.items()
        if kind == "student":
            number, name = body
            value = self.modules[number]
            for part in name.split("."):
                value = getattr(value, part)
            return value
        if kind == "module":
            return self.modules[body]
        if kind == "handle":
            return self.handles[body]
        if kind == "public":
            if not isinstance(body, str) or not body.startswith(PUBLIC):
                raise wire.WireError(f"a public name {body!r}")
            module, _, name = body.rpartition(".")
            return getattr(importlib.import_module(module), name)
        if kind == "callback":
            return lambda *args, **kwargs: self.callback(body, args, kwargs)
        raise wire.WireError(f"a reference of kind {kind!r}")

    def refer(self, value):
        """How a value that is not one goes back: by its name in a student's file, or kept."""
        for number, module in self.modules.items():
            for name, attribute in vars(module).items():
                if attribute is value and not name.startswith("__"):
                    return {"student": [number, name], "callable": callable(value)}
        key = len(self.handles) + 1
        self.handles[key] = value
        return {"handle": key, "callable": callable(value), "type": type(value).__name__}

    # Requests -------------------------------------------------------------------------------
    def serve(self):
        while True:
            received = wire.receive(self.inbox)
            if received is None:
                return
            request, blobs = received
            out = []                                   # the answer's arrays' bytes
            try:
                answer = self.answer(request, blobs, out)
            except BaseException as error:             # the student's, said in words
                if isinstance(error, (KeyboardInterrupt, wire.WireError)):
                    raise
                answer, out = {"error": described(error)}, []
            wire.send(self.outbox, answer, out)

    def answer(self, request, blobs, out):
        op = request.get("op")
        if op == "load":
            number, path = request["number"], request["path"]
            spec = importlib.util.spec_from_file_location(f"exercise_{number}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            self.modules[number] = module
            return {"value": True}
        if op == "has":
            try:
                self.resolve(request["target"])
            except (AttributeError, KeyError):
                return {"value": False}
            return {"value": True}
        if op == "get":
            return {"value": self.encoded(self.resolve(request["target"]), out)}
        if op == "call":
            function = self.resolve(request["target"])
            args = wire.decode(request.get("args", []), blobs, self.resolve)
            kwargs = wire.decode(request.get("kwargs", {}), blobs, self.resolve)
            before = wire.copies_of([args, kwargs])
            value = function(*args, **kwargs)
            return {"value": self.encoded(value, out),
                    "args": wire.arrays_of(args, out, before[0]),
                    "kwargs": wire.arrays_of(kwargs, out, before[1])}
        raise wire.WireError(f"a request {op!r}")

    def encoded(self, value, out):
        """A value the student's code gave, for the wire; one that is not made of values (an
        array of objects, say) is the student's error, said in words, not the child's end."""
        try:
            return wire.encode(value, out, self.refer)
        except wire.WireError as error:
            raise UnreadableValue(f"your code gave the checker {error}") from None

    def callback(self, key, args, kwargs):
        """A function of the checker's, called from the student's code: ask, and wait."""
        out = []
        request = {"callback": key, "args": wire.encode(list(args), out, self.refer),
                   "kwargs": wire.encode(kwargs, out, self.refer)}
        wire.send(self.outbox, request, out)
        received = wire.receive(self.inbox)
        if received is None:
            raise SystemExit(0)
        answer, blobs = received
        if "error" in answer:
            raise RuntimeError(f"the checker's function failed: {answer['error']}")
        wire.put_back(list(args), wire.decode(answer.get("args", []), blobs))
        wire.put_back(kwargs, wire.decode(answer.get("kwargs", {}), blobs))
        return wire.decode(answer.get("value"), blobs, self.resolve)


class UnreadableValue(Exception):
    """What the student's code gave cannot be sent as values."""


def described(error):
    """An exception as values: its type, its message, and where it was raised."""
    frames = [[frame.filename, frame.lineno, frame.name]
              for frame in traceback.extract_tb(error.__traceback__)]
    return {"type": type(error).__name__, "message": str(error)[:2000], "frames": frames[-20:]}


def main(argv):
    kind, read_fd, write_fd = argv[0], int(argv[1]), int(argv[2])
    uid = int(argv[4]) if len(argv) > 4 and argv[3] == "--uid" else None
    inbox, outbox = os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")
    if kind == "keras":
        import machinery.quiet_tensorflow  # noqa: F401  (TensorFlow, without its C++ log)
        import keras
        keras.config.set_floatx("float64")
    elif kind == "torch":
        import torch
        torch.set_num_threads(1)
    sys.meta_path.insert(0, Blocked(BLOCKED[kind], WHY[kind]))
    import numpy as np
    np.seterr(all="ignore")                    # NaN and overflow: the checker says them in words
    import common  # noqa: F401
    import exercises.helpers  # noqa: F401
    if uid is not None:                        # the grader runs as root: a user of the child's own
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    wire.send(outbox, {"ready": kind})
    Child(kind, inbox, outbox).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
