"""Ctrl-C at random moments, many times over: every run must end cleanly (tests/test_interrupts.py
says what "cleanly" means). CI runs this after the test suite; it takes a few minutes.

    python tests/stress_interrupts.py [--scale 1.0]

Level 1 is interrupted 20 times between 0.05 s and 9 s after it starts (its start-up, TensorFlow's
import, takes several seconds); every other level and compare.py 5 times. Exit code 0 when every
run ended cleanly, 1 otherwise.
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from conftest import write_mnist  # noqa: E402
from test_interrupts import STRESS, stress  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the number of interrupts per script by this (default 1)")
    args = parser.parse_args()
    failures, total = 0, 0
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "mnist")
        write_mnist(data)
        for script, (count, latest) in STRESS.items():
            count = max(1, round(count * args.scale))
            start = time.perf_counter()
            work = tempfile.mkdtemp(dir=folder)
            try:
                outcomes = stress(script, data, work, count, latest)
                started = sum(1 for _, epochs in outcomes if epochs == 0)
                print(f"{script:<26} {count} of {count} interrupts clean ({started} before the "
                      f"first epoch ended, {count - started} after)   "
                      f"{time.perf_counter() - start:5.1f} s", flush=True)
            except AssertionError as error:
                failures += 1
                print(f"{script:<26} FAILED: {error}", flush=True)
            total += count
    print(f"stress: {failures} of {len(STRESS)} scripts had an interrupt that did not end cleanly"
          if failures else f"stress: {total} interrupts, every one clean")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
