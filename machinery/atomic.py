"""Write an output file whole or not at all.

The data goes to a temporary file in the same folder, which is renamed onto the user's path only
once it is complete. A failure or a kill part-way leaves the path as it was: the old file, or
nothing. (A rename within one folder replaces the file in one step.)
"""

import contextlib
import json
import os
import tempfile

from machinery import interrupt
from machinery.errors import UserError


@contextlib.contextmanager
def replace(path, mode="wb"):
    """A file object to write to; on success it becomes `path`, on any failure it is removed.
    A Ctrl-C meanwhile takes effect once the file is complete (machinery.interrupt)."""
    with interrupt.hold():
        with _replace(path, mode) as f:
            yield f


@contextlib.contextmanager
def _replace(path, mode):
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                         suffix=".part")
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}.") from None
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):                    # keep the permissions of the file replaced
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}; the file is unchanged.") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, data):
    """Write `data` as indented JSON, whole or not at all."""
    with replace(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
