"""A class graded end to end: `python -m exercises.grade` on a folder of mixed submissions (a
correct student, a syntax error, an empty folder, an unweighted loss tracker that also imports the
checker's references, an endless loop, a stray file), every row and the CSV checked, the written
answers collected. CI runs this after the test suite (about 20 s of two processes: too slow to
share the suite's five minutes); the checks are tests/test_exercises_grade.py's.

    python tests/grade_class.py

Exit code 0 when every check passed, 1 otherwise.
"""

import os
import pathlib
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_exercises_grade import grade_and_check_a_mixed_class  # noqa: E402


def main():
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        try:
            grade_and_check_a_mixed_class(pathlib.Path(folder))
        except AssertionError:
            traceback.print_exc()
            print("grade_class: a check FAILED (above)", file=sys.stderr)
            return 1
    print(f"grade_class: a mixed class graded, every row as expected "
          f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
