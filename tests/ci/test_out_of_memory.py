"""Running out of memory while running: at every level, one line that says so, with what the run
needs and what the process may use. In tests/ci/ (CI runs it; the README's test command does not):
TensorFlow waits some ten seconds before it gives up an allocation."""

import os
import resource
import subprocess
import sys

import pytest

from conftest import LEVELS, ROOT, offline_env
from machinery import flags
from test_errors import check_failure, data  # noqa: F401


def limited_memory():
    """A process that may use 6 GiB of address space: far less than --hidden 600000 needs."""
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


# W1 alone (784 x H floats) is larger than those 6 GiB at H = 2,000,000, so its allocation fails at
# once; the run's estimate (13.3 GiB) must still fit the machine, or the flags would be refused.
# On a machine with less memory, H = 600,000 runs out later, after a few slow seconds of work.
OOM_HIDDEN = 2_000_000 if (flags.memory_total() or 0) > 14 * 2**30 else 600_000


@pytest.mark.parametrize("script", LEVELS)
def test_out_of_memory_is_one_line(script, data, tmp_path):
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, script), "--data-dir", str(data), "--limit", "100",
         "--epochs", "1", "--hidden", str(OOM_HIDDEN)], cwd=ROOT, env=offline_env(tmp_path),
        capture_output=True, text=True, timeout=300, preexec_fn=limited_memory)
    check_failure(done, 1, "out of memory", f"--hidden {OOM_HIDDEN}", "GiB", "ulimit")
