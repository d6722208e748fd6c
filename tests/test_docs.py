"""The README and docs/ stay true: links resolve, quoted lines are where their links say, the
README stays short, nothing speaks of a machine the reader does not have, the picture draws, and
the truncation constant is what its derivation gives."""

import glob
import math
import os
import re
import subprocess
import sys
import unicodedata

import pytest

import common
from conftest import ROOT

DOCS = ["README.md", "EXERCISES.md"] + sorted(os.path.relpath(p, ROOT) for pattern in
                                              ("docs/*.md", "exercises/*.md", "exercises/*/*.md")
                                              for p in glob.glob(os.path.join(ROOT, pattern)))
LINK = re.compile(r"(?<!\!)\[([^\]]*)\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def text(path):
    return open(os.path.join(ROOT, path), encoding="utf-8").read()


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = re.sub(r"`|\*\*|\$", "", heading.strip().lower())
    kept = "".join(ch for ch in heading if ch in " -" or
                   unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc")
    return kept.replace(" ", "-")


def anchors(path):
    body = re.sub(r"```.*?```", "", text(path), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", body, re.M)}


def links(path):
    body = re.sub(r"```.*?```", "", text(path), flags=re.S)
    for m in LINK.finditer(body):
        yield m.group(1), m.group(2) or m.group(3)


@pytest.mark.parametrize("doc", DOCS)
def test_every_relative_link_and_anchor_resolves(doc):
    folder = os.path.dirname(os.path.join(ROOT, doc))
    checked = 0
    for _, target in links(doc):
        if re.match(r"[a-z]+:", target):                    # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(folder, path)) if path else os.path.join(ROOT, doc)
        assert os.path.exists(full), (doc, target)
        if anchor and full.endswith(".md"):
            assert anchor in anchors(os.path.relpath(full, ROOT)), (doc, target)
        if anchor and full.endswith(".py"):
            number = int(anchor.lstrip("L"))
            assert 1 <= number <= len(open(full).read().splitlines()), (doc, target)
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("doc", DOCS)
def test_quoted_code_is_on_the_line_its_link_names(doc):
    for label, target in links(doc):
        m = re.fullmatch(r"`([^`]+)`", label or "")
        if not m or not re.search(r"\.py#L\d+$", target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(os.path.join(ROOT, doc)), path))
        line = open(full).read().splitlines()[int(anchor[1:]) - 1]
        assert m.group(1) in line, (doc, target, m.group(1), line)


def test_readme_is_at_most_350_lines():
    assert len(text("README.md").splitlines()) <= 350


USER_FACING = DOCS + sorted(os.path.relpath(p, ROOT) for pattern in
                            ("*.py", "machinery/*.py", "exercises/*.py", "exercises/*/*.py",
                             "docs/*.py") for p in glob.glob(os.path.join(ROOT, pattern)))


@pytest.mark.parametrize("path", USER_FACING)
def test_no_path_of_ours_and_no_word_of_how_it_was_written(path):
    body = text(path)
    assert "../shared" not in body and "/work/" not in body, path
    assert not re.search(r"\bsessions?\b", body, re.I), path
    if path.endswith(".md"):
        assert "{{" not in body, path                       # no placeholder left unfilled


def test_the_network_picture_draws(tmp_path):
    out = tmp_path / "network.png"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "draw_network.py"),
                           "--out", out], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 30000
    assert "docs/network.png" in text("README.md")


def test_truncation_constant_is_the_std_of_a_normal_cut_at_two():
    c = common.TRUNCATION_CUTOFF
    density = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)    # phi(c)
    variance = 1 - 2 * c * density / math.erf(c / math.sqrt(2))
    assert abs(math.sqrt(variance) - common.TRUNCATION_STD) < 1e-15
    # and the weights then end with Glorot's standard deviation s, drawn with s / TRUNCATION_STD
    fan_in, fan_out = 784, 256
    s = math.sqrt(2 / (fan_in + fan_out))
    assert abs(common.glorot_s0(fan_in, fan_out) * math.sqrt(variance) - s) < 1e-15


def test_truncated_draw_has_the_derived_spread():
    """The derivation checked by sampling: level 4's draw ends with standard deviation s."""
    import numpy as np
    import level4_numpy
    w = level4_numpy.glorot_normal(784, 256, np.random.default_rng(1), np.float64)
    s = math.sqrt(2 / (784 + 256))
    assert abs(w.std() / s - 1) < 0.005 and np.abs(w).max() <= 2 * common.glorot_s0(784, 256)
