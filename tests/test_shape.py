"""The shape of the lesson: the level files hold their lesson and nothing else, they grow from
level 1 to level 4, and neighbouring levels differ by little more than the abstraction removed."""

import ast
import difflib
import os
import subprocess
import sys

import pytest

from conftest import FOUR_LEVELS, LEVELS, ROOT

sys.path.insert(0, os.path.join(ROOT, "docs"))
import level_text  # noqa: E402

# Lesson lines are code lines that are not glue (docs/level_text.py: what the side-by-side page's
# Lesson only hides: the two lines of the shell run). Level 4 reads MNIST's IDX files itself, in
# 11 lines that level 3 leaves to torchvision: they are most of its lead and of the 3 -> 4 diff.
MAX_CODE_LINES = 86        # lesson lines
MAX_GLUE_LINES = 3         # code lines that serve the shell run rather than the lesson
MAX_LEVEL1_SHARE = 0.55
MAX_DIFF = {("level2_pytorch.py", "level3_autograd.py"): 120,    # lines changed between the
            ("level3_autograd.py", "level4_numpy.py"): 110}      # lesson views of two levels
MAX_DIFF_WITH_GLUE = {("level2_pytorch.py", "level3_autograd.py"): 120,   # `diff a b`: glue too
                      ("level3_autograd.py", "level4_numpy.py"): 110}
MAX_COMMON_LINES = 150


def code_lines(script, lesson=True):
    """Lines of code: not blank, not a comment, not part of a docstring; with `lesson`, not glue."""
    source = open(os.path.join(ROOT, script)).read()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    lines = source.splitlines()
    glue = level_text.glue(lines) if lesson else [(None, 0)] * len(lines)
    return sum(1 for number, (line, (rule, _)) in enumerate(zip(lines, glue), 1)
               if line.strip() and not line.strip().startswith("#") and number not in docstrings
               and not rule)


def changed_lines(a, b):
    """The lines `diff a b` marks as removed or added."""
    out = subprocess.run(["diff", a, b], cwd=ROOT, capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line[:1] in "<>")


def test_code_lines_grow_from_level_1_to_level_4():
    # Level 3½ is level 3 plus an autograd engine of its own: it is outside this count.
    counts = [code_lines(script) for script in FOUR_LEVELS]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts
    assert max(counts) <= MAX_CODE_LINES, counts
    assert counts[0] <= MAX_LEVEL1_SHARE * counts[-1], counts


@pytest.mark.parametrize("script", LEVELS)
def test_at_most_three_lines_serve_the_shell_run(script):
    glue = code_lines(script, lesson=False) - code_lines(script)
    assert 0 < glue <= MAX_GLUE_LINES, glue


@pytest.mark.parametrize("script", LEVELS)
def test_a_level_imports_its_framework_the_standard_library_and_common_only(script):
    """No project import but common: what a run from the shell needs is done from outside."""
    project = {os.path.splitext(name)[0] for name in os.listdir(ROOT)
               if name.endswith(".py") or os.path.isdir(os.path.join(ROOT, name))} - {"common"}
    frameworks = {"numpy", "torch", "torchvision", "keras"}
    imported = set()
    for node in ast.walk(ast.parse(open(os.path.join(ROOT, script)).read())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert "common" in imported
    assert not imported & project, imported & project
    assert imported <= frameworks | set(sys.stdlib_module_names) | {"common"}, imported


def changed_lesson_lines(a, b):
    """The lines that differ between the lesson views of two files (difflib, no context)."""
    views = [[line for _, line in level_text.lesson(open(os.path.join(ROOT, name)).read()
                                                    .splitlines())] for name in (a, b)]
    return sum(1 for line in difflib.unified_diff(*views, n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---")))


@pytest.mark.parametrize("pair", MAX_DIFF)
def test_neighbouring_levels_differ_by_little_more_than_the_abstraction(pair):
    assert changed_lesson_lines(*pair) <= MAX_DIFF[pair], changed_lesson_lines(*pair)
    assert changed_lines(*pair) <= MAX_DIFF_WITH_GLUE[pair], changed_lines(*pair)


def test_common_is_small():
    assert len(open(os.path.join(ROOT, "common.py")).read().splitlines()) <= MAX_COMMON_LINES


@pytest.mark.parametrize("script", LEVELS)
def test_level_files_hold_no_error_handling(script):
    tree = ast.parse(open(os.path.join(ROOT, script)).read())
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Try)]
