"""Ctrl-C, answered the same way at any moment: the results so far, one line, exit code 130.

Python's own answer to Ctrl-C is to raise KeyboardInterrupt wherever the program happens to be:
deep inside TensorFlow's import (a 40-line traceback), or inside Keras's fit(), after which the
interpreter tears itself down while TensorFlow's threads are still at work, and sometimes crashes
(a segmentation fault, or "free(): invalid next size"). So a script that uses this module never
raises it. Its handler instead
  1. writes the --json-out of the epochs completed so far, whole (machinery.atomic),
  2. prints "Interrupted: k of n epochs completed ...",
  3. leaves with os._exit(130), which skips the interpreter's teardown. Nothing is left to tidy:
     every output file is either written whole and renamed into place, or not begun.
A Ctrl-C that arrives while an output file is being written waits until it is complete.

machinery.shell installs the handler as a script starts; the script then says, through
`update()`, what it would write and say at each moment. This module imports nothing of the
project: what writes the JSON (machinery.atomic) is handed to it inside the snapshot.
"""

import os
import signal
import sys

_state = {"snapshot": None, "on_interrupt": None, "holding": 0, "pending": False}


def install(snapshot=None):
    """Answer Ctrl-C from now on. `snapshot()` returns (message, save): the line to print, and a
    function that writes the results so far (or None when there is nothing to write)."""
    _state["snapshot"] = snapshot
    _state["stderr"] = os.dup(2)   # the real stderr, even while a framework's import silences 2
    signal.signal(signal.SIGINT, _handler)


def installed():
    return signal.getsignal(signal.SIGINT) is _handler


def update(snapshot=None, on_interrupt=None):
    """What to write and say if Ctrl-C comes now; `on_interrupt()` runs first (compare.py stops
    the level it is running and waits for it)."""
    if snapshot is not None:
        _state["snapshot"] = snapshot
    if on_interrupt is not None:
        _state["on_interrupt"] = on_interrupt


class hold:
    """`with interrupt.hold():` - a Ctrl-C in this block takes effect when the block ends."""

    def __enter__(self):
        _state["holding"] += 1

    def __exit__(self, *exc):
        _state["holding"] -= 1
        if not _state["holding"] and _state["pending"] and installed():
            finish()
        return False


def _handler(signum, frame):
    if _state["holding"]:
        _state["pending"] = True
        return
    finish()


def finish():
    """Write the results so far, say so, and leave at once with exit code 130."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C changes nothing now
    message = "Interrupted during start-up."
    try:
        if _state["on_interrupt"] is not None:
            _state["on_interrupt"]()
        if _state["snapshot"] is not None:
            message, save = _state["snapshot"]()
            if save is not None:
                save()
    except Exception as error:                 # the JSON could not be written: say why, still 130
        message += f" ({error})"
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        os.write(_state.get("stderr", 2), (message + "\n").encode())
    except OSError:
        pass
    os._exit(130)
