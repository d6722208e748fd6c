"""What the checker tests share: a solution with one line planted, the checker run on it in this
process, and the line of a check in what it printed."""

import os
import re

from conftest import ROOT
from exercises import check

SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")
STARTERS = os.path.join(ROOT, "exercises", "starters")


def solution(number):
    with open(os.path.join(SOLUTIONS, f"exercise_{number}.py")) as f:
        return f.read()


def checked(capsys, number, folder, seed=5):
    code = check.main([str(number), "--solutions", str(folder), "--seed", str(seed)])
    return code, capsys.readouterr().out


def line_of(out, start):
    return next(line for line in out.splitlines() if line.startswith(start))


def planted(tmp_path, number, old, new):
    """The solution of `number` with one line changed, in tmp_path."""
    broken = solution(number).replace(old, new)
    assert broken != solution(number), old
    (tmp_path / f"exercise_{number}.py").write_text(broken)
    return tmp_path


def named(out, check, said):
    """The FAILED line of `check` in out, asserted to match each pattern of `said`."""
    line = line_of(out, f"  FAILED  {check}")
    for pattern in said:
        assert re.search(pattern, line), line
    return line
