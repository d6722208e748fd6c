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

# The figures of issue #9; see the README's "Reading the levels side by side". Lesson lines are
# code lines that are not glue (docs/level_text.py: what the side-by-side page's Lesson only hides).
MAX_CODE_LINES = 81        # lesson lines; 80 until every level gained its first import
MAX_ALL_CODE_LINES = 90    # glue included: --init-from, --save-weights, --device on lines of their own
MAX_LEVEL1_SHARE = 0.55
MAX_DIFF = {("level2_pytorch.py", "level3_autograd.py"): 120,    # lines changed between the
            ("level3_autograd.py", "level4_numpy.py"): 90}       # lesson views of two levels
MAX_DIFF_WITH_GLUE = {("level2_pytorch.py", "level3_autograd.py"): 125,   # `diff a b`: glue too
                      ("level3_autograd.py", "level4_numpy.py"): 100}
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
    assert max(code_lines(script, lesson=False) for script in FOUR_LEVELS) <= MAX_ALL_CODE_LINES


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
