"""The checker's side of a child process that runs a student's code (exercises/checks/child.py):
starting it (in the sandbox of exercises/checks/sandbox.py, where there is one), asking it to
call the student's functions, and reading its answers, which are values only, checked
(exercises/checks/wire.py). A Remote is a function or an object in the child; calling it calls
it there. Student is one student's files and their children, one per kind.
"""

import os
import select
import subprocess
import threading
import time

from exercises.checks import wire
from exercises.checks.sandbox import (ANSWER_WAIT, KEEP_OUTPUT, MEMORY, PROCESSES, ROOT,
                                      START_WAIT, Sandbox, limits, own_processes)


class ChildError(Exception):
    """The child broke off: it died, hung, or answered in a form the protocol does not allow.
    The message says which, in words; the check that asked fails with it."""


class StudentError(Exception):
    """The student's code raised: `info` is the child's account of it (type, message, frames)."""

    def __init__(self, info):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info = info


class Child:
    """One child process of one kind ("numpy", "torch", "keras"), for one student's files."""

    def __init__(self, kind, sandbox):
        self.kind, self.sandbox = kind, sandbox
        self.remotes, self.callbacks = {}, {}
        self.output, self.loaded, self.process = b"", {}, None
        self.broken = None                     # why it can answer no more, once it cannot

    # Starting and ending -------------------------------------------------------------------
    def start(self):
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        command = self.sandbox.command(self.kind, child_reads, child_writes)
        preexec = None
        if os.name == "posix":
            processes = PROCESSES if self.sandbox.uid is not None else own_processes() + PROCESSES
            preexec = limits(self.sandbox.cpu_seconds, MEMORY[self.kind] if self.sandbox.bwrap
                             else None, processes if self.sandbox.bwrap else None)
        env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "PYTHONPATH")}
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="3")
        output = None if self.sandbox.relay_output else subprocess.PIPE
        self.process = subprocess.Popen(
            command, pass_fds=(child_reads, child_writes), stdin=subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT if output else None, preexec_fn=preexec,
            cwd=ROOT, env=env)
        os.close(child_reads)
        os.close(child_writes)
        self.writer = os.fdopen(parent_writes, "wb")
        self.reader = parent_reads
        if output:
            threading.Thread(target=self.drain, daemon=True).start()
        return self

    def drain(self):
        """Read the child's output as it comes, keeping its end only: a flood costs nothing."""
        while True:
            chunk = self.process.stdout.read(65536)
            if not chunk:
                return
            self.output = (self.output + chunk)[-KEEP_OUTPUT:]

    def wait_ready(self, timeout=START_WAIT):
        message, blobs = self.receive(timeout)
        if message != {"ready": self.kind}:
            raise self.fail(f"the process for your code did not start ({self.ended()})")

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()                # bwrap's sandbox goes with it (--die-with-parent)
            self.process.wait()
        for stream in (getattr(self, "writer", None),):
            try:
                stream and stream.close()
            except OSError:
                pass
        if getattr(self, "reader", None) is not None:
            try:
                os.close(self.reader)
            except OSError:
                pass
            self.reader = None

    def ended(self):
        """Why the child is gone, in words."""
        if self.process is None:
            return "it was never started"
        code = self.process.poll()
        if code is None:
            return "it is still running"
        if code < 0:
            import signal
            name = signal.Signals(-code).name
            why = {"SIGKILL": "killed: it may have used more memory than allowed",
                   "SIGXCPU": "it used more CPU time than allowed",
                   "SIGXFSZ": "it wrote a file larger than allowed",
                   "SIGSEGV": "it crashed"}.get(name, "")
            return f"it ended by the signal {name}" + (f" ({why})" if why else "")
        return f"it ended with exit code {code}"

    def fail(self, why):
        self.broken = why
        self.close()
        return ChildError(why)

    # Talking ---------------------------------------------------------------------------------
    def receive(self, timeout):
        """The next (message, blobs), within `timeout` seconds, else a ChildError."""
        deadline = time.monotonic() + timeout
        try:
            return wire.unframe(lambda n, first=False: self.read(n, deadline))
        except wire.WireError as e:
            raise self.fail(f"your code's process sent something that is not a message "
                            f"({e})") from None

    def read(self, n, deadline):
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.fail(f"your code did not answer within {ANSWER_WAIT} s")
            ready, _, _ = select.select([self.reader], [], [], min(left, 1.0))
            if not ready:
                if self.process.poll() is not None:
                    raise self.fail(f"the process running your code ended ({self.ended()})")
                continue
            chunk = os.read(self.reader, min(n - got, 1 << 20))
            if not chunk:
                self.process.wait()
                raise self.fail(f"the process running your code ended ({self.ended()})")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def ask(self, request, blobs=(), timeout=ANSWER_WAIT):
        """Send a request; answer the callbacks the child makes meanwhile; the answer and its
        arrays' bytes."""
        if self.broken:
            raise ChildError(self.broken)
        try:
            wire.send(self.writer, request, blobs)
        except (OSError, ValueError):
            raise self.fail(f"the process running your code ended ({self.ended()})") from None
        while True:
            answer, answer_blobs = self.receive(timeout)
            if "callback" not in answer:
                return answer, answer_blobs
            self.answer_callback(answer, answer_blobs)

    def answer_callback(self, request, blobs):
        function = self.callbacks.get(request["callback"])
        if function is None:
            raise self.fail("your code called a function of the checker's after its call ended")
        try:
            args = self.values(request.get("args", []), blobs, "the arguments of a callback")
            kwargs = self.values(request.get("kwargs", {}), blobs, "the arguments of a callback")
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ChildError("a callback's arguments are not a list and a dict")
            before = wire.copies_of([args, kwargs])
            value = function(*args, **kwargs)
            out = []
            reply = {"value": wire.encode(value, out, self.refer),
                     "args": wire.arrays_of(args, out, before[0]),
                     "kwargs": wire.arrays_of(kwargs, out, before[1])}
        except (ChildError, wire.WireError) as e:
            raise self.fail(f"your code called the checker's function with {e}") from None
        except Exception as e:                 # the checker's function refused the values
            reply, out = {"error": f"{type(e).__name__}: {e}"}, []
        wire.send(self.writer, reply, out)

    def values(self, data, blobs, what):
        try:
            return wire.decode(data, blobs, self.resolve)
        except wire.WireError as e:
            raise self.fail(f"your code's process answered in a form the checker does not "
                            f"accept ({what}: {e})") from None

    def resolve(self, ref):
        """A reference from the child: a Remote for it (the same object for the same name)."""
        if not isinstance(ref, dict):
            raise wire.WireError("a reference that is not an object")
        if "student" in ref:
            number, name = ref["student"]
            key = ("student", int(number), str(name))
            target = {"student": [int(number), str(name)]}
        elif "handle" in ref:
            key = ("handle", int(ref["handle"]))
            target = {"handle": int(ref["handle"])}
        else:
            raise wire.WireError(f"a reference {sorted(ref)}")
        if key not in self.remotes:
            self.remotes[key] = Remote(self, target, f"{ref.get('type', key[-1])}")
        return self.remotes[key]

    def refer(self, value):
        """How a value of the checker's that is not one goes to the child."""
        if isinstance(value, Remote):
            if value.child is not self:
                raise wire.WireError("an object of another process")
            return value.target
        module = getattr(value, "__module__", "") or ""
        name = getattr(value, "__qualname__", "")
        if callable(value) and "." not in name and module.split(".")[0] in (
                "level1_keras", "level2_pytorch", "level3_autograd", "level3b_own_autograd",
                "level4_numpy", "common") or module in ("exercises.helpers",
                                                         "machinery.params_files"):
            return {"public": f"{module}.{name}"}
        if callable(value):
            key = len(self.callbacks) + 1
            self.callbacks[key] = value
            return {"callback": key}
        raise wire.WireError(f"a {type(value).__name__}, which cannot go to the child")

    def call(self, target, args, kwargs):
        """target(*args, **kwargs) in the child: its value; arrays among the arguments are
        changed as the call changed them. A StudentError if the student's code raised."""
        before = set(self.callbacks)
        try:
            out = []
            request = {"op": "call", "target": target,
                       "args": wire.encode(list(args), out, self.refer),
                       "kwargs": wire.encode(kwargs, out, self.refer)}
            answer, blobs = self.ask(request, out)
        finally:
            for key in set(self.callbacks) - before:
                del self.callbacks[key]       # a callback lives as long as its call
        if "error" in answer:
            raise StudentError(error_info(answer["error"], self))
        value = self.values(answer.get("value"), blobs, "the value returned")
        wire.put_back(list(args), self.values(answer.get("args", []), blobs, "the arguments"))
        wire.put_back(kwargs, self.values(answer.get("kwargs", {}), blobs, "the arguments"))
        return value

    def load(self, number, path):
        answer, blobs = self.ask({"op": "load", "number": number, "path": path})
        if "error" in answer:
            raise StudentError(error_info(answer["error"], self))
        self.loaded[number] = path

    def has(self, target):
        answer, blobs = self.ask({"op": "has", "target": target})
        return answer.get("value") is True

    def get(self, target):
        answer, blobs = self.ask({"op": "get", "target": target})
        if "error" in answer:
            raise StudentError(error_info(answer["error"], self))
        return self.values(answer.get("value"), blobs, "the value")


def error_info(info, child):
    """The child's account of an exception, checked to be only text and numbers."""
    if not isinstance(info, dict):
        raise child.fail("your code's process described an error in a form the checker does "
                         "not accept")
    frames = info.get("frames", [])
    if not isinstance(frames, list) or not all(
            isinstance(f, list) and len(f) == 3 and isinstance(f[0], str) and isinstance(f[1], int)
            and isinstance(f[2], str) for f in frames):
        frames = []
    return {"type": str(info.get("type", "Exception"))[:100],
            "message": str(info.get("message", ""))[:2000], "frames": frames}


class Remote:
    """A function or an object in the child: calling it calls it there, with values."""

    def __init__(self, child, target, name):
        self.child, self.target, self.name = child, target, name

    def __call__(self, *args, **kwargs):
        return self.child.call(self.target, args, kwargs)

    def __repr__(self):
        return f"<{self.name} in the process running your code>"


class Student:
    """One student's files and the children that run them: one per kind, started when first
    needed (or ahead, with prefetch), started again after one has broken off."""

    def __init__(self, folder, bwrap=None, uid=None, cpu_seconds=None, relay_output=True):
        self.box = Sandbox(folder, bwrap, uid, cpu_seconds, relay_output)
        self.isolation = self.box.isolation
        self.children = {}

    def prefetch(self, kinds):
        """Start these kinds' children now, without waiting for them."""
        for kind in kinds:
            if kind not in self.children:
                self.children[kind] = Child(kind, self.box).start()
                self.children[kind].waiting = True

    def child(self, kind, on_hold=None):
        """The child of this kind, ready; on_hold(True) while it starts, then on_hold(False)."""
        child = self.children.get(kind)
        if child is not None and child.broken:
            child.close()
            child = None
        if child is None:
            child = self.children[kind] = Child(kind, self.box).start()
            child.waiting = True
        if child.waiting:
            if on_hold:
                on_hold(True)
            try:
                child.wait_ready()
            finally:
                child.waiting = False
                if on_hold:
                    on_hold(False)
        return child

    def close(self):
        for child in self.children.values():
            child.close()
        self.box.close()
