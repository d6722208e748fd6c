"""Write a copy of the project to hand out to students: everything but the solutions.

    python -m exercises.handout DIR

DIR must be new or empty. The copy holds the levels, machinery/, docs/, EXERCISES.md, the
starters (exercises/starters/), the checker (exercises/check.py) and exercises/helpers.py - the
files git knows of (tracked, or new and not ignored), or, without git, every file but .venv/,
.git/ and caches. Left out:

    exercises/solutions/          the solutions and the answers to the "why" questions
    exercises/handout.py          this script: a teacher's tool
    tests/test_exercises*.py      they check the solutions and the hand-out itself
    tests/ci/test_exercises*.py   the same, slower: CI runs them after the suite
    tests/planted.py              what those share: solutions with a mistake planted
    tests/ci/test_hostile.py      it grades hostile copies of a solution
    .ci/                          the project's own continuous integration
    docs/teaching.md              the teacher's page

and, in every Markdown file, what stands between the lines <!-- teacher --> and
<!-- /teacher --> (the links to the solutions), and any other line that links into
exercises/solutions/. In the copy, `python -m exercises.check all` fails cleanly on the starters,
as it does here, until the students write them.
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEFT_OUT = [re.compile(pattern) for pattern in (
    r"^exercises/solutions/", r"^exercises/handout\.py$", r"^tests/test_exercises[^/]*\.py$",
    r"^tests/ci/test_exercises[^/]*\.py$", r"^tests/planted\.py$", r"^tests/ci/test_hostile\.py$",
    r"^\.ci/", r"^docs/teaching\.md$")]
SKIPPED_FOLDERS = {".venv", ".git", "__pycache__", ".pytest_cache"}
TEACHER_BLOCK = re.compile(r"^[ \t]*<!-- teacher -->[ \t]*\n.*?^[ \t]*<!-- /teacher -->[ \t]*\n",
                           re.M | re.S)
SOLUTION_LINK = re.compile(r"\]\((?:\.\./|\./)*(?:exercises/)?solutions/")


def project_files():
    """The project's files, relative paths with "/": git's list (tracked, or untracked and not
    ignored) when this is a git work tree, else a walk of the folder."""
    try:
        done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                               "-z"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        if done.returncode == 0 and done.stdout:
            return sorted(p for p in set(done.stdout.split("\0"))
                          if p and os.path.isfile(os.path.join(ROOT, p)))
    except (OSError, subprocess.SubprocessError):
        pass                                   # no git: walk the folder
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_FOLDERS)
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                found.append(os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/"))
    return sorted(found)


def handed_out(path):
    return not any(pattern.search(path) for pattern in LEFT_OUT) and \
        not SKIPPED_FOLDERS.intersection(path.split("/")[:-1])


def without_solutions(markdown):
    """A Markdown text without its teacher blocks and its lines that link to the solutions."""
    text = TEACHER_BLOCK.sub("", markdown)
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not SOLUTION_LINK.search(line))
    return re.sub(r"\n{3,}", "\n\n", text)           # no gap left where a block was


def write_copy(target):
    """Copy the hand-out files into the folder `target`; returns how many were written."""
    inside = os.path.relpath(os.path.abspath(target), ROOT).replace(os.sep, "/")
    files = [p for p in project_files() if handed_out(p)
             and not (p + "/").startswith(inside.rstrip("/") + "/")]   # not the copy itself
    for path in files:
        source, destination = os.path.join(ROOT, path), os.path.join(target, path)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if path.endswith(".md"):
            with open(source, encoding="utf-8") as f:
                text = without_solutions(f.read())
            with open(destination, "w", encoding="utf-8") as f:
                f.write(text)
            shutil.copymode(source, destination)
        else:
            shutil.copy2(source, destination)
    return len(files)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    prog = "python -m exercises.handout"
    if len(argv) != 1 or argv[0].startswith("-"):
        asked = argv in (["-h"], ["--help"])
        print(f"usage: {prog} DIR\n  writes a copy of the project without the solutions into "
              f"DIR, a new or empty folder", file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    target = argv[0]
    if os.path.exists(target) and not (os.path.isdir(target) and not os.listdir(target)):
        print(f"{prog}: error: {target} already exists and is not an empty folder: give a new "
              f"one", file=sys.stderr)
        return 1
    try:
        count = write_copy(target)
    except OSError as e:
        print(f"{prog}: error: cannot write the copy: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {count} files to {target}: the project without exercises/solutions/. "
          f"There, `python -m exercises.check all` checks the students' exercises/starters/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
