"""The grader's side of its workers (exercises/checks/worker.py): start one for a student, read
what it says, stop it when an exercise runs past the time limit; and find a student's files.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from exercises.checks.core import ROOT

STARTUP = 300        # seconds for Python to load, or a child process while a check waits for it
EXERCISE_FILE = re.compile(r"exercise_\d+\.py")


def find_exercises(path):
    """(the folder of a student's exercise files, None) or (None, what is wrong, in words)."""
    if not os.path.isdir(path):
        return None, "not a folder" if os.path.exists(path) else "missing (a broken link?)"
    try:
        names = os.listdir(path)
    except OSError as e:
        return None, f"cannot be read: {e.strerror}"
    if not names:
        return None, "empty folder"
    if any(EXERCISE_FILE.fullmatch(name) for name in names):
        return path, None
    found = []
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith((".", "__")))
        if folder.count(os.sep) - path.count(os.sep) > 4:
            subfolders[:] = []
        if any(EXERCISE_FILE.fullmatch(name) for name in files):
            found.append(folder)
    if len(found) == 1:
        return found[0], None
    starters = [f for f in found if f.replace(os.sep, "/").endswith("exercises/starters")]
    if len(starters) == 1:                     # a hand-out copy with a backup beside it
        return starters[0], None
    if found:
        return None, (f"{len(found)} folders of exercise files in it: "
                      f"{', '.join(os.path.relpath(f, path) for f in found[:3])}")
    return None, "no exercise_N.py in it"


class Worker:
    """One student's worker process, for the exercises `numbers` of `folder`."""

    def __init__(self, folder, seed, numbers, timeout, bwrap=None, uid=None):
        self.args = [sys.executable, "-m", "exercises.checks.worker", os.path.abspath(folder),
                     str(seed), bwrap or "none", "-" if uid is None else str(uid),
                     *map(str, numbers)]
        self.timeout, self.stopped, self.process = timeout, False, None
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.tmp = None      # the worker's TMPDIR: removed by the grader, even when it is killed

    def run(self):
        """{number: result} for the exercises done, and for the one stopped at the time limit
        (self.stopped is then True); those after it are not in it."""
        self.tmp = tempfile.mkdtemp(prefix="exercise-grade-")
        self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=self.errors, stdin=subprocess.DEVNULL, text=True,
                                        start_new_session=os.name == "posix",
                                        env=dict(os.environ, TMPDIR=self.tmp))
        lines = queue.Queue()
        threading.Thread(target=self.read, args=(lines,), daemon=True).start()
        results = {}
        deadline = time.monotonic() + STARTUP
        current, passed, label = None, 0, ""
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    if current is not None:
                        results[current] = dict(
                            status="timed out", passed=passed,
                            first=f"stopped after {self.timeout:g} s without finishing (an "
                                  f"endless loop?) in the check \"{label}\", after {passed} "
                                  f"passed check(s)")
                    self.stopped = True
                    break
                if line is None:
                    break
                event = json.loads(line)
                now = time.monotonic()
                if "start" in event:
                    current, passed, deadline = event["start"], 0, now + self.timeout
                    label = "loading the file"
                elif "checking" in event:
                    label = event["label"]
                elif "check" in event:
                    passed += bool(event["passed"])
                elif "hold" in event:
                    deadline = now + (STARTUP if event["hold"] else self.timeout)
                elif "done" in event:
                    status = ("did not load" if not event["loaded"] else
                              "all passed" if not event["failed"] else "failed")
                    results[event["done"]] = dict(status=status, passed=event["passed"],
                                                  first=event["first"], answers=event["answers"])
                    current, deadline = None, now + self.timeout
        finally:
            self.stop()
        return results

    def read(self, lines):
        for line in self.process.stdout:
            if line.startswith("{"):
                lines.put(line)
        lines.put(None)

    def stop(self):
        """End the worker and the children that run the student's code, if still running, and
        remove its temporary folder."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                if os.name == "posix":
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            except OSError:
                pass
            process.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def error(self):
        """The last line the worker wrote to its error output, or its exit code."""
        self.errors.seek(0)
        lines = self.errors.read().strip().splitlines()
        return lines[-1] if lines else f"exit code {self.process.returncode}"

