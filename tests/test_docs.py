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
def test_no_line_number_that_can_go_stale(doc):
    """A file's line numbers change with every edit above them: no page links to a line or
    names one (a quote of the code says where instead)."""
    body = text(doc)
    assert not re.search(r"\.py#L\d", body), doc
    found = re.search(r"\b(lines?|L)\s?\d+", re.sub(r"\$[^$]*\$", "", body))
    assert not found, (doc, found)


def test_the_glossary_is_what_its_generator_makes():
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    import make_glossary
    assert text("docs/glossary.md") == make_glossary.page(), "run python docs/make_glossary.py"


def test_readme_is_at_most_350_lines():
    assert len(text("README.md").splitlines()) <= 350


USER_FACING = DOCS + sorted(os.path.relpath(p, ROOT) for pattern in
                            ("*.py", "machinery/*.py", "exercises/*.py", "exercises/*/*.py",
                             "docs/*.py", "instruments/*.py", "instruments/*/*.py") for p in glob.glob(os.path.join(ROOT, pattern)))


@pytest.mark.parametrize("path", USER_FACING)
def test_no_path_of_ours_and_no_word_of_how_it_was_written(path):
    body = text(path)
    assert "../shared" not in body and "/work/" not in body, path
    assert not re.search(r"(?<!-)\bsessions?\b", body, re.I), path   # (bwrap's --new-session: a flag)
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


def picture_record(path):
    """The digits docs/draw_digits.py wrote into a picture's metadata."""
    import json

    from PIL import Image
    with Image.open(path) as image:
        return json.loads(image.text["digits"])


def draw_digits(weights, data, out, home):
    from conftest import offline_env
    return subprocess.run([sys.executable, os.path.join(ROOT, "docs", "draw_digits.py"),
                           "--weights", weights, "--data-dir", data, "--out", out],
                          capture_output=True, text=True, env=offline_env(home), timeout=300)


def test_the_digits_picture_shows_right_answers_then_mistakes(mnist_dir, tmp_path):
    """On the tests' small data, from a short run of level 4: the first digits it reads right,
    then the first it reads wrong, each with its outputs; a bad weights file is one line."""
    from conftest import run_script
    weights = tmp_path / "w.npz"
    done = run_script("level4_numpy.py", "--data-dir", mnist_dir, "--epochs", 1, "--hidden", 8,
                      "--lr", 0.05, "--save-weights", weights, home=tmp_path)
    assert done.returncode == 0, done.stderr
    done = draw_digits(weights, mnist_dir, tmp_path / "d.png", tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    record = picture_record(tmp_path / "d.png")
    right = [r for r in record if r["says"] == r["label"]]
    assert record[:len(right)] == right and len(record) == 6 and 0 < len(right) < 6
    for r in record:
        assert r["says"] == max(range(10), key=lambda d: r["outputs"][d])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    done = draw_digits(tmp_path / "bad.npz", mnist_dir, tmp_path / "e.png", tmp_path)
    assert done.returncode == 1 and "--weights" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "e.png").exists()


def test_the_readmes_picture_is_what_its_script_makes(real_mnist, tmp_path):
    """docs/digits.png, as the README says it is made: level 4, two epochs, then draw_digits.py.
    The same digits, the same answers, the same outputs to their two decimals (give or take the
    last, which float32 sums in another order may change); and the accuracy the README gives."""
    from conftest import run_script
    weights, out = tmp_path / "w.npz", tmp_path / "run.json"
    done = run_script("level4_numpy.py", "--data-dir", real_mnist, "--epochs", 2,
                      "--save-weights", weights, "--json-out", out, home=tmp_path)
    assert done.returncode == 0, done.stderr
    done = draw_digits(weights, real_mnist, tmp_path / "d.png", tmp_path)
    assert done.returncode == 0, done.stderr
    mine, committed = picture_record(tmp_path / "d.png"), picture_record(
        os.path.join(ROOT, "docs", "digits.png"))
    assert [(r["index"], r["label"], r["says"]) for r in mine] == \
        [(r["index"], r["label"], r["says"]) for r in committed]
    for a, b in zip(mine, committed):
        assert max(abs(u - v) for u, v in zip(a["outputs"], b["outputs"])) <= 0.011
    import json
    accuracy = json.loads(out.read_text())["epochs"][-1]["test_acc"]
    said = re.search(r"it reads about (\d+)% of the 10,000 test digits", text("README.md"))
    assert round(100 * accuracy) == int(said.group(1))
