"""The hand-out copy of the project (python -m exercises.handout DIR): no solutions in it, and its
own checker runs and fails cleanly on the starters."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT



SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")


def handout(target):
    return subprocess.run([sys.executable, "-m", "exercises.handout", str(target)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("handout") / "project"
    done = handout(target)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert str(target) in done.stdout
    return target


def files_of(folder):
    found = {}
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = [d for d in subfolders                   # not the environment or git's
                         if d not in ("__pycache__", ".venv", ".git", ".pytest_cache")]
        for name in files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder)] = open(path, "rb").read().decode("utf-8",
                                                                                 "replace")
    return found


def solution_text():
    """The lines of the solutions and answers (30 characters or more) that no other file of the
    project holds: their own code and words."""
    others = "\n".join(text for path, text in files_of(ROOT).items()
                       if not path.startswith(("exercises/solutions", ".git", ".venv")))
    lines = set()
    for name in os.listdir(SOLUTIONS):
        if name.endswith((".py", ".md")):
            with open(os.path.join(SOLUTIONS, name), encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if len(line) >= 30 and line not in others:
                        lines.add(line)
    return lines


def test_exercise_handout_holds_no_solution(copy):
    files = files_of(copy)
    assert "EXERCISES.md" in files and "level4_numpy.py" in files and "exercises/check.py" in files
    assert "exercises/helpers.py" in files and "machinery/cli.py" in files
    assert all(f"exercises/starters/exercise_{n}.py" in files for n in range(1, 12))
    for n in range(1, 12):                      # the questions, without the model answers
        template = files[f"exercises/starters/answers_{n}.md"]
        with open(os.path.join(SOLUTIONS, f"answers_{n}.md"), encoding="utf-8") as f:
            model = f.read()
        questions = re.findall(r"^## \d+\. .*$", template, re.M)
        assert questions and questions == re.findall(r"^## \d+\. .*$", model, re.M), n
        assert len(re.findall(r"^_\(your answer\)_$", template, re.M)) == len(questions), n
    assert not any(p.startswith("exercises/solutions") or p.startswith("tests/test_exercises")
                   or p == "exercises/handout.py" for p in files), sorted(files)
    secret = solution_text()
    assert len(secret) > 200                   # the solutions have code and words of their own
    for path, text in files.items():
        for line in secret:
            assert line not in text, (path, line)
        if path.endswith(".md"):
            assert "<!-- teacher -->" not in text and "solutions/" not in text, path
            assert "solutions/answers_" not in text, path
    exercises_md = files["EXERCISES.md"]
    assert exercises_md.count("python -m exercises.check") >= 9   # how to check is still there


def test_exercise_handout_links_resolve(copy):
    """Every relative link of the copy's Markdown files that leads to a file of the project leads
    to a file of the copy: nothing links to what was left out."""
    checked = 0
    for path, text in files_of(copy).items():
        if path.endswith(".md"):
            body = re.sub(r"```.*?```", "", text, flags=re.S)
            for target in re.findall(r"\]\(([^)\s]+)\)", body):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue
                relative = os.path.normpath(os.path.join(os.path.dirname(path),
                                                         target.partition("#")[0]))
                if os.path.exists(os.path.join(ROOT, relative)):
                    assert os.path.exists(os.path.join(copy, relative)), (path, target)
                    checked += 1
    assert checked > 50


def test_exercise_handout_checker_fails_cleanly_on_the_starters(copy):
    done = subprocess.run([sys.executable, "-m", "exercises.check", "all"], cwd=copy,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and done.stderr == "", done.stderr
    assert "Traceback" not in done.stdout and "0 of 11 exercises pass" in done.stdout
    assert len(re.findall(r"not written yet", done.stdout)) >= 40


def test_exercise_handout_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    done = handout(tmp_path)
    assert done.returncode == 1 and done.stdout == "", done.stdout
    assert done.stderr.count("\n") == 1 and "already exists and is not an empty folder" in \
        done.stderr, done.stderr
    assert os.listdir(tmp_path) == ["mine.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert handout(empty).returncode == 0 and (empty / "EXERCISES.md").exists()
