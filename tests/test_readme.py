"""The README and the scripts stay true to each other; the four scripts keep one shape."""

import os
import re

import pytest

import common
from conftest import LEVELS, ROOT

README = open(os.path.join(ROOT, "README.md")).read()
SECTIONS = ["1. Data", "2. Model", "3. Loss", "4. Training step", "5. Evaluation", "6. Main"]


def test_hyperparameter_table_matches_common():
    table = README.split("<!-- hyperparameters -->")[1].split("<!-- /hyperparameters -->")[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", table, re.M))
    expected = {"HIDDEN": common.HIDDEN, "EPOCHS": common.EPOCHS, "BATCH_SIZE": common.BATCH_SIZE,
                "LR": common.LR, "SEED": common.SEED, "DTYPE": common.DTYPE,
                "N_INPUTS": common.N_INPUTS, "N_OUTPUTS": common.N_OUTPUTS}
    assert set(rows) == set(expected)
    for name, value in expected.items():
        assert rows[name] == str(value), name


@pytest.mark.parametrize("script", LEVELS)
def test_scripts_keep_the_same_sections_in_order(script):
    text = open(os.path.join(ROOT, script)).read()
    found = re.findall(r"^# (\d\. [A-Z][a-z ]+)$", text, re.M)
    assert found == SECTIONS


@pytest.mark.parametrize("script", LEVELS)
def test_docstring_says_what_is_automated_and_points_to_the_map(script):
    text = open(os.path.join(ROOT, script)).read()
    doc = text.split('"""')[1]
    assert "What this level automates" in doc and "What it makes you write" in doc
    column = doc.splitlines()[0].split(":")[0]                # "Level 3 - autograd"
    concept_map = README.split("<!-- concept-map -->")[1].split("<!-- /concept-map -->")[0]
    assert column in concept_map.splitlines()[1]          # the map's header row names it


@pytest.mark.parametrize("script", LEVELS)
def test_scripts_use_the_shared_names(script):
    text = open(os.path.join(ROOT, script)).read()
    for name in ("W1", "b1", "W2", "b2"):
        assert re.search(rf"\b{name}\b", text), name
    for equation in ("h = tanh(", "a = sigmoid("):
        assert equation in text, equation


def test_readme_commands_match_ci():
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    test_command = [line for line in ci.splitlines() if "pytest" in line][0].strip()
    assert test_command in README
    assert os.path.isfile(os.path.join(ROOT, "docs", "curves.png"))
    assert "docs/curves.png" in README


def route_figures():
    """What the route asks a learner to read: the README's words from "The route" to "Depth",
    level 4's lines, and the lines `diff` marks between each pair of neighbouring levels."""
    import subprocess
    route = README.split("## The route")[1].split("## Depth")[0]
    words = len(re.sub(r"<!--.*?-->", "", route, flags=re.S).split())
    level4 = len(open(os.path.join(ROOT, "level4_numpy.py")).read().splitlines())
    changed = 0
    for a, b in zip(LEVELS, LEVELS[1:]):
        out = subprocess.run(["diff", a, b], cwd=ROOT, capture_output=True, text=True).stdout
        changed += sum(1 for line in out.splitlines() if line[:1] in "<>")
    return words, level4, changed


def test_the_route_says_how_long_it_is():
    """The route's length in the README is what route_figures() counts, rounded as it says."""
    words, level4, changed = route_figures()
    said = " ".join(README.split("<!-- route-length -->")[1].split("<!-- /route-length -->")[0]
                    .split())
    numbers = [int(re.search(pattern, said).group(1).replace(",", "")) for pattern in
               (r"Some ([\d,]+) words", r"the ([\d,]+) lines of level 4",
                r"about ([\d,]+) lines that `diff` marks", r"about (\d+) minutes")]
    minutes = round(words / 100 + (level4 + changed) / 10, -1)
    assert numbers == [round(words, -2), level4, round(changed, -1), minutes], (numbers, words,
                                                                               level4, changed)
