"""Grade a class: check every student's exercises at once, and write one table.

    python -m exercises.grade SUBMISSIONS                  # every student, every exercise
    python -m exercises.grade SUBMISSIONS --exercises 1,8 --timeout 30 --csv week3.csv

SUBMISSIONS is a folder with one sub-folder per student, named after the student, holding that
student's copy of exercises/starters/ (exercise_N.py and answers_N.md); a copy of the whole
hand-out in it works too, as long as it holds one folder of exercise files. Each student's
exercises are checked as `python -m exercises.check` checks them - each file loaded on its own -
in a process of the student's own, with one Keras process for all of the student's Keras
exercises: one student's code never affects another's grade.

An exercise that does not finish within --timeout seconds (an endless loop, say) is stopped and
reported as such, and the student's other exercises go on; the time to start Python, PyTorch and
TensorFlow is not counted. A student folder that is empty, not a folder, or cannot be read gets
a row that says so.

The result is one CSV file, one row per student and exercise: student, exercise, passed, total
(the checks), status, first failure (in words: the first failed check, never a follow-on of it)
and answers (written answers' questions answered, of all; not graded). It is written whole or
not at all, and an existing file is replaced only with --overwrite. A table of the class is
printed. Exit code: 0 when the table is written, 1 when it cannot be, 2 for a mistake on the
command line.
"""

import argparse
import concurrent.futures
import csv
import io
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

from exercises.checks import EXERCISES  # noqa: E402
from exercises.checks.core import shown  # noqa: E402
from exercises.grading import Worker, find_exercises  # noqa: E402
from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402

PROG = "python -m exercises.grade"
COLUMNS = ["student", "exercise", "passed", "total", "status", "first failure", "answers"]


# ---------------------------------------------------------------------------------------------
# One student
# ---------------------------------------------------------------------------------------------
def grade_student(name, path, numbers, seed, timeout, running):
    """The rows of one student: one per exercise, or one saying why there are none."""
    folder, problem = find_exercises(path)
    if problem:
        return [dict(student=name, exercise="", passed="", total="", status=problem,
                     **{"first failure": "", "answers": ""})]
    results, todo, totals = {}, list(numbers), {}
    while todo:
        worker = Worker(folder, seed, todo, timeout)
        running.add(worker)
        try:
            done = worker.run()
        finally:
            running.discard(worker)
        results.update(done)
        totals.update(worker.totals)
        todo = [n for n in todo if n not in results]
        if todo and not worker.stopped:        # it ended without a word: say so for the rest
            for n in todo:
                results[n] = dict(status="not checked", passed=0,
                                  first=f"the checking process ended early: {worker.error()}")
            todo = []
    rows = []
    for n in numbers:
        r = results[n]
        answers = r.get("answers")
        rows.append(dict(student=name, exercise=n, passed=r["passed"], total=totals.get(n, ""),
                         status=r["status"], **{"first failure": r.get("first", ""),
                                                "answers": f"{answers[0]}/{answers[1]}"
                                                if answers else ""}))
    return rows


# ---------------------------------------------------------------------------------------------
# The class: the table printed, the CSV written
# ---------------------------------------------------------------------------------------------
def students_of(submissions):
    """(name, path) of every entry of the submissions folder but hidden ones, sorted."""
    return [(name, os.path.join(submissions, name)) for name in sorted(os.listdir(submissions))
            if not name.startswith(".")]


def cell(row):
    if row["status"] in ("all passed", "failed"):
        return f"{row['passed']}/{row['total']}"
    return {"did not load": "file", "timed out": "time"}.get(row["status"], "-")


def summary(rows, numbers):
    """The class as a table: a line per student, a column per exercise."""
    names = list(dict.fromkeys(row["student"] for row in rows))
    width = max([len("student")] + [len(n) for n in names])
    lines = [f"{'student':<{width}}" + "".join(f"{'ex ' + str(n):>7}" for n in numbers)
             + f"{'checks':>9}{'answers':>9}"]
    for name in names:
        mine = [row for row in rows if row["student"] == name]
        if len(mine) == 1 and mine[0]["exercise"] == "":
            lines.append(f"{name:<{width}}  {mine[0]['status']}")
            continue
        passed = sum(row["passed"] or 0 for row in mine)
        total = sum(row["total"] or 0 for row in mine)
        answered = [row["answers"].split("/") for row in mine if row["answers"]]
        answers = (f"{sum(int(a) for a, b in answered)}/{sum(int(b) for a, b in answered)}"
                   if answered else "-")
        lines.append(f"{name:<{width}}" + "".join(f"{cell(row):>7}" for row in mine)
                     + f"{f'{passed}/{total}':>9}{answers:>9}")
    lines.append("(passed/total checks; file: the file is missing or does not load; time: "
                 "stopped after the time limit; answers: questions answered, not graded)")
    return "\n".join(lines)


def write_csv(path, rows):
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    with atomic.replace(path) as f:
        f.write(text.getvalue().encode("utf-8"))


def exercise_list(text):
    if text == "all":
        return list(EXERCISES)
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of exercise numbers such as "
                                         f"1,8") from None
    wrong = [n for n in numbers if n not in EXERCISES]
    if wrong or not numbers:
        raise argparse.ArgumentTypeError(f"no exercise {wrong[0] if wrong else text}: they are "
                                         f"{', '.join(map(str, EXERCISES))}")
    return sorted(set(numbers))


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def make_parser():
    p = argparse.ArgumentParser(
        prog=PROG, description="Check every student's exercises (one sub-folder of SUBMISSIONS "
        "per student, holding the student's exercise_N.py and answers_N.md) and write one CSV "
        "table: passed and total checks, status and first failure of each exercise.")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="the folder of the students' folders")
    p.add_argument("--csv", metavar="PATH", default="grades.csv",
                   help="the table to write (default: grades.csv in the current folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the CSV file if it exists (without it, an existing file is an "
                        "error, found before any grading)")
    p.add_argument("--exercises", type=exercise_list, default=list(EXERCISES), metavar="LIST",
                   help="the exercises to grade, such as 1,8 (default: all)")
    p.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS",
                   help="stop an exercise whose checks take longer, not counting the start of "
                        "Python, PyTorch and TensorFlow (default: %(default)g)")
    p.add_argument("--seed", type=int, default=None,
                   help="the seed of the check batches, the same for every student (default: "
                        "a new one, printed)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="students checked at once, each with up to two processes (default: "
                        "the number of CPUs, %(default)s here)")
    return p


def main(argv=None):
    p = make_parser()
    args = p.parse_args(argv)
    if not os.path.isdir(args.submissions):
        p.error(f"{args.submissions}: no such folder")
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    csv_path = os.path.abspath(args.csv)
    if os.path.isdir(csv_path):
        p.error(f"--csv {args.csv} is a folder: give the path of a file")
    if not os.path.isdir(os.path.dirname(csv_path)):
        p.error(f"--csv {args.csv}: the folder {shown(os.path.dirname(csv_path))} does not exist")
    if os.path.exists(csv_path) and not args.overwrite:
        p.error(f"{args.csv} already exists: give another --csv PATH, or --overwrite to replace "
                f"it")
    try:
        students = students_of(args.submissions)
    except OSError as e:
        print(f"{PROG}: error: cannot read {args.submissions}: {e.strerror}", file=sys.stderr)
        return 1
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big") % 90000 \
        + 10000
    print(f"Grading {len(students)} students in {shown(os.path.abspath(args.submissions))}, "
          f"exercises {', '.join(map(str, args.exercises))}, check batches with --seed {seed}, "
          f"time limit {args.timeout:g} s per exercise")
    started = time.monotonic()
    running, rows = set(), {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(grade_student, name, path, args.exercises, seed, args.timeout,
                               running): name for name, path in students}
        try:
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                rows[name] = future.result()
                print(f"  {name}: {one_student(rows[name])}", flush=True)
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            for worker in list(running):
                worker.stop()
            raise
    table = [row for name, path in students for row in rows[name]]
    print(f"\n{summary(table, args.exercises)}\n")
    try:
        write_csv(csv_path, table)
    except UserError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {args.csv}: {len(table)} rows, in {time.monotonic() - started:.0f} s.")
    return 0


def one_student(rows):
    if len(rows) == 1 and rows[0]["exercise"] == "":
        return rows[0]["status"]
    good = sum(row["status"] == "all passed" for row in rows)
    return f"{good} of {len(rows)} exercises pass"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no table written.", file=sys.stderr)
        sys.exit(130)
