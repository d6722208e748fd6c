"""python -m exercises.grade: a class of mixed submissions gives the right row for each student,
and a CSV that parses (the class run: tests/grade_class.py, which CI runs after the suite); a bad
command line, or a CSV file that exists, changes nothing; a backup copy does not hide a student.

Two exercises only (4, cheap, and 8, the Keras one), so that the class takes seconds."""

import csv
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")
STARTERS = os.path.join(ROOT, "exercises", "starters")
UNWEIGHTED = ("metric.update_state(loss, sample_weight=tf.shape(x)[0])",
              "metric.update_state(loss)")
TIMEOUT = 8          # seconds; the endless loop costs this


def grade(*args, cwd=ROOT, tmp=None):
    """The grader as a teacher runs it: python -m exercises.grade, or the file from elsewhere;
    with its temporary files in `tmp`, if given."""
    program = ["-m", "exercises.grade"] if cwd == ROOT else [os.path.join(ROOT, "exercises",
                                                                          "grade.py")]
    return subprocess.run([sys.executable, *program, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TMPDIR=str(tmp)) if tmp else None)


def student(folder, name, numbers=(4, 8), **changes):
    """A student's folder: the solutions of exercises `numbers` and the answer templates, with
    `changes` ({file name: text, or (old, new) to replace}) made."""
    path = folder / name
    path.mkdir()
    for number in numbers:
        shutil.copy(os.path.join(SOLUTIONS, f"exercise_{number}.py"), path)
        shutil.copy(os.path.join(STARTERS, f"answers_{number}.md"), path)
    for file, change in changes.items():
        if isinstance(change, tuple):
            text = (path / file).read_text()
            assert change[0] in text, change
            change = text.replace(*change)
        (path / file).write_text(change)
    return path


def grade_a_class(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    student(folder, "ada")                                                   # right
    student(folder, "ben", [4], **{"exercise_4.py": "def loss_sum(z2, y)\n    return 0\n"})
    (folder / "cy").mkdir()                                                  # empty
    student(folder, "dee", **{"exercise_8.py": UNWEIGHTED,            # and borrows the checker's
                              "exercise_4.py": ("import torch", "import torch\n"
                                                "from exercises.checks import exact  # noqa")})
    student(folder, "eve", [4], **{"exercise_4.py": ("def same_steps_lr(lr):\n",
                                                "def same_steps_lr(lr):\n    while True:\n"
                                                "        pass\n"),
                                   "answers_4.md": ("_(your answer)_", "Ten times larger.")})
    (folder / "notes.txt").write_text("not a student")
    table = tmp_path / "grades.csv"
    answers = tmp_path / "answers.md"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = grade(folder, "--exercises", "4,8", "--timeout", TIMEOUT, "--csv", table,
                 "--seed", 3, "--jobs", 2, "--answers", answers, tmp=tmp)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    with open(table, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return (done.stdout, {(r["student"], r["exercise"]): r for r in rows}, rows, answers,
            sorted(os.listdir(tmp)))


def check_writes_a_row_for_each_student_and_exercise(graded):
    out, rows, listed = graded[:3]
    assert list(listed[0]) == ["student", "exercise", "passed", "total", "status",
                               "first failure", "answers", "note", "seed", "isolation"]
    assert [(r["student"], r["exercise"]) for r in listed] == [
        ("ada", "4"), ("ada", "8"), ("ben", "4"), ("ben", "8"), ("cy", ""), ("dee", "4"),
        ("dee", "8"), ("eve", "4"), ("eve", "8"), ("notes.txt", "")]
    assert {r["seed"] for r in listed} == {"3"}
    for r in (rows["ada", "4"], rows["ada", "8"]):
        assert r["status"] == "all passed" and r["passed"] == r["total"] != "0", r
        assert r["first failure"] == "" and r["answers"] == "0/3", r
    assert "Traceback" not in out and "Wrote" in out


def check_reports_a_syntax_error_and_goes_on(graded):
    r = graded[1]["ben", "4"]
    assert r["status"] == "did not load" and r["passed"] == "0" and int(r["total"]) >= 3
    assert "exercise_4.py has a syntax error, line 1" in r["first failure"]


def check_reports_an_empty_folder_and_a_file(graded):
    assert graded[1]["cy", ""]["status"] == "empty folder"
    assert graded[1]["notes.txt", ""]["status"] == "not a folder"


def check_fails_an_unweighted_loss_tracker_and_says_why(graded):
    r = graded[1]["dee", "8"]
    assert r["status"] == "failed" and int(r["passed"]) == int(r["total"]) - 1, r
    assert "plain mean of the batches' losses" in r["first failure"]
    assert "sample_weight" in r["first failure"]


def check_stops_an_endless_loop_and_goes_on(graded):
    r = graded[1]["eve", "4"]
    assert r["status"] == "timed out" and r["passed"] == "2", r        # the first two checks
    assert f"stopped after {TIMEOUT} s" in r["first failure"]
    assert 'in the check "same_steps_lr' in r["first failure"]          # the one that hung
    assert r["answers"] == "3/3"                                         # counted all the same
    assert graded[1]["eve", "8"]["status"] == "did not load"            # not there: checked
    assert graded[4] == [], graded[4]          # the stopped worker's sandbox too: none left


def check_refuses_a_file_that_borrows_the_checkers_references(graded):
    """Where the student's code runs, the checker's references are not there: the file does not
    load, and the note says what it tried to import."""
    r = graded[1]["dee", "4"]
    assert r["status"] == "did not load" and r["passed"] == "0", r
    assert "does not load" in r["first failure"] and "'exact'" in r["first failure"], r
    assert "imports exercises.checks" in r["note"]
    assert graded[1]["ada", "4"]["note"] == ""


def check_collects_the_written_answers_question_by_question(graded):
    text = graded[3].read_text()
    assert "## Exercise 4, question 1:" in text and "## Exercise 8, question 1:" in text
    question = text.split("## Exercise 4, question 1:")[1].split("## ")[0]
    assert "**eve**\n\nTen times larger." in question and "**ada**\n\n*(empty)*" in question


def test_a_backup_beside_the_starters_does_not_hide_a_student(tmp_path):
    from exercises.grading import find_exercises
    for folder in ("copy/exercises/starters", "copy/backup"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "exercise_1.py").write_text("")
    assert find_exercises(str(tmp_path)) == (str(tmp_path / "copy/exercises/starters"), None)
    (tmp_path / "copy/backup2").mkdir()
    (tmp_path / "copy/backup2/exercise_1.py").write_text("")
    shutil.rmtree(tmp_path / "copy/exercises")
    assert find_exercises(str(tmp_path))[1].startswith("2 folders of exercise files")


def check_prints_the_class_as_a_table(graded):
    out = graded[0]
    lines = {line.split()[0]: line for line in out.splitlines() if line[:1].isalpha()}
    assert lines["ada"].split()[1:] == ["4/4", "3/3", "7/7", "0/6"], lines["ada"]
    assert lines["ben"].split()[1] == "file" and lines["eve"].split()[1] == "time"
    assert "empty folder" in lines["cy"]


def grade_and_check_a_mixed_class(tmp_path):
    """One class, graded once (the grading is the expensive part, about 20 s of two processes
    at once): each check reads it. tests/grade_class.py runs this, after the suite, in CI."""
    graded = grade_a_class(tmp_path)
    check_writes_a_row_for_each_student_and_exercise(graded)
    check_reports_a_syntax_error_and_goes_on(graded)
    check_reports_an_empty_folder_and_a_file(graded)
    check_fails_an_unweighted_loss_tracker_and_says_why(graded)
    check_stops_an_endless_loop_and_goes_on(graded)
    check_refuses_a_file_that_borrows_the_checkers_references(graded)
    check_collects_the_written_answers_question_by_question(graded)
    check_prints_the_class_as_a_table(graded)


def test_grade_refuses_what_it_cannot_do_and_changes_nothing(tmp_path):
    table = tmp_path / "grades.csv"
    table.write_text("keep me")
    (tmp_path / "class").mkdir()
    for args in ([tmp_path / "nowhere"], [tmp_path / "class", "--csv", table],
                 [tmp_path / "class", "--exercises", "1,9"], [tmp_path / "class", "--timeout", "0"],
                 [tmp_path / "class", "--csv", tmp_path / "no" / "grades.csv"]):
        done = grade(*args, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("python -m exercises.grade: "
                                                               "error:"), done.stderr
    assert table.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["class", "grades.csv"]
    assert "--timeout" in grade("--help").stdout
