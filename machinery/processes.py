"""Run a level (or any Python program) as a separate process, as compare.py and bench.py do."""

import os
import subprocess
import sys

from machinery.errors import UserError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(what, *args, env=None):
    """Run a Python program (a script and its flags, or -c and code) in a process of its own;
    its stdout, or its last lines of stderr as an error. Exit code 130 - the child was stopped by
    Ctrl-C - becomes KeyboardInterrupt here. `env` adds to this process's environment."""
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})})
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()[-5:]
        raise UserError(f"{what} failed (exit code {done.returncode}):\n  " + "\n  ".join(lines))
    return done.stdout
