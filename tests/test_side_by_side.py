"""docs/side_by_side.html: fresh, complete, made only from good level files, and readable in a
real browser (Debian's headless Chromium, driven by Selenium; nothing is downloaded).

The browser tests skip, saying why, where Chromium or its driver is not installed; with
LEVELS_REQUIRE_BROWSER=1 (as .ci/run sets it) a missing browser fails them instead."""

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import LEVELS, ROOT

sys.path.insert(0, os.path.join(ROOT, "docs"))
import make_side_by_side as sbs  # noqa: E402

PAGE = os.path.join(ROOT, "docs", "side_by_side.html")
SCRIPT = os.path.join(ROOT, "docs", "make_side_by_side.py")


def build(tmp_path, *args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], cwd=tmp_path,
                          capture_output=True, text=True)


def test_the_committed_page_is_the_generators_output_byte_for_byte(tmp_path):
    out = tmp_path / "page.html"
    done = build(tmp_path, "--out", out)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert out.read_bytes() == open(PAGE, "rb").read(), \
        "docs/side_by_side.html is stale: run python docs/make_side_by_side.py"


def test_a_changed_level_file_changes_the_page(tmp_path):
    """So the freshness test above fails when a level changes and the page is not rebuilt."""
    for name in LEVELS:
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    with open(tmp_path / "level4_numpy.py", "a") as f:
        f.write("# one more line\n")
    out = tmp_path / "page.html"
    assert build(tmp_path, "--root", tmp_path, "--out", out).returncode == 0
    assert out.read_bytes() != open(PAGE, "rb").read()
    assert "# one more line" in out.read_text()


class Columns(HTMLParser):
    """The text of every code line of the page, per column, in page order."""

    def __init__(self):
        super().__init__()
        self.columns, self.column, self.depth, self.line = {}, None, 0, None
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.stack.append(tag)
        if tag == "div" and "cell" in classes:
            self.column = int(attrs["data-col"])
            self.columns.setdefault(self.column, [])
        if tag == "div" and "l" in classes and self.column is not None:
            self.line = []

    def handle_endtag(self, tag):
        self.stack.pop()
        if tag == "div" and self.line is not None:
            self.columns[self.column].append("".join(self.line))
            self.line = None

    def handle_data(self, data):
        if self.line is not None:
            self.line.append(data)


def test_every_line_of_every_level_is_in_its_column_in_order():
    parser = Columns()
    parser.feed(open(PAGE, encoding="utf-8").read())
    assert sorted(parser.columns) == list(range(len(sbs.LEVELS)))
    for column, (name, _, _) in enumerate(sbs.LEVELS):
        source = [line for line in open(os.path.join(ROOT, name), encoding="utf-8").read()
                  .splitlines() if line.strip()]
        shown = [line for line in parser.columns[column] if line.strip()]
        assert shown == source, name


def test_the_marks_tell_a_lesson_from_a_respelling():
    left = "    h = torch.tanh(z1)        # h = tanh(z1)\n    loss.backward()\n    x = 1\n"
    right = "    h = np.tanh(z1)           # another comment\n    grads = gradients(x)\n    x = 1\n"
    gone, marks = sbs.marks(left, right)
    assert marks == ["respelled", "lesson", ""]
    assert gone == ["", "gone", ""]                    # the respelled line is not gone
    page = open(PAGE, encoding="utf-8").read()            # and on the page itself:
    assert re.search(r'class="l lesson-l[^"]*">.*grads</span>.*gradients', page)
    assert re.search(r'class="l respelled-l[^"]*">.*np</span>.*tanh</span>.*z1', page)


def test_the_training_step_row_shows_one_steps_numbers():
    numbers = json.load(open(os.path.join(ROOT, "docs", "one_step.json")))
    page = open(PAGE, encoding="utf-8").read()
    row = page.split('id="4-training-step"')[1].split('id="5-evaluation"')[0]
    dw1 = numbers["quantities"]["dW1"]
    for level, entries in dw1["entries"].items():
        assert sbs.number_text(entries[0]) in row, level
    assert f'{dw1["max_abs_difference"]:.1e}' in row
    assert numbers["quantities"]["dz1"]["hidden"]["keras"] and "hidden" in row


@pytest.mark.parametrize("change,words", [
    (lambda text: text.replace("# 3. Loss\n", "# 3. Losses\n"), ['"# 3. Loss" is missing']),
    (lambda text: text.replace("# 2. Model\n", "# 9. Model\n").replace("# 3. Loss\n", "# 2. Model\n")
     .replace("# 9. Model\n", "# 3. Loss\n"), ['"# 3. Loss" is out of order']),
])
def test_a_level_file_without_a_section_is_named_and_the_page_kept(tmp_path, change, words):
    for name in LEVELS:
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    path = tmp_path / "level3_autograd.py"
    path.write_text(change(path.read_text()))
    out = tmp_path / "page.html"
    out.write_text("the page as it was")
    done = build(tmp_path, "--root", tmp_path, "--out", out)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "level3_autograd.py" in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    assert out.read_text() == "the page as it was"
    assert sorted(os.listdir(tmp_path)) == sorted(LEVELS + ["page.html"])   # nothing left behind


# --- in a real browser ----------------------------------------------------------------------------
def browser_or_skip():
    missing = [p for p in (sbs.CHROMIUM, sbs.CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        reason = (f"{' and '.join(missing)} not installed (apt-get install chromium "
                  "chromium-driver)")
        if os.environ.get("LEVELS_REQUIRE_BROWSER"):
            pytest.fail(reason + ", and LEVELS_REQUIRE_BROWSER is set")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    browser_or_skip()
    driver = sbs.open_browser(1920, 1080)
    driver.get("file://" + PAGE)
    yield driver
    driver.quit()


def js(driver, code):
    return driver.execute_script(code)


def overflowing(driver):
    """Cells, and code blocks, whose content is wider than their box: cut off."""
    return js(driver, """
        return Array.from(document.querySelectorAll('.cell, pre.code'))
          .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
          .map(e => e.closest('[data-col]').getAttribute('data-col'));""")


def test_browser_no_console_errors_and_no_network(browser):
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls and all(u.startswith(("file://", "data:")) for u in urls), urls


def test_browser_five_column_headers_visible_at_1920(browser):
    heads = js(browser, """
        return Array.from(document.querySelectorAll('.colhead')).map(e => {
          const r = e.getBoundingClientRect();
          return [e.textContent, r.left, r.right, r.top, r.bottom, e.offsetParent !== null]; });""")
    assert len(heads) == 5
    for text, left, right, top, bottom, shown in heads:
        assert shown and left >= 0 and right <= 1920 and top >= 0 and bottom <= 1080, text
    assert all(name in head[0] for head, name in zip(heads, LEVELS)), heads


def test_browser_no_cell_overflows_its_column(browser):
    assert overflowing(browser) == []


def test_browser_mathml_has_size(browser):
    sizes = js(browser, """return Array.from(document.querySelectorAll('math'))
                           .map(m => [m.getBoundingClientRect().width,
                                      m.getBoundingClientRect().height]);""")
    assert len(sizes) >= 8
    assert all(w > 20 and h > 8 for w, h in sizes), sizes


def test_browser_two_at_a_time_control(browser):
    from selenium.webdriver.common.by import By
    try:
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="2-3"]').click()
        assert js(browser, "return document.body.className") == "pair"
        shown = js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                               .filter(e => e.offsetParent !== null).map(e => e.textContent);""")
        assert [s.split()[1] for s in shown] == ["3", "3½"]
        widths = js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                    .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().width);""")
        assert all(w > 850 for w in widths), widths          # full width: half the page each
        # the right column marks what changed from the left, the left what the right removes
        marked = js(browser, """return [
            Array.from(document.querySelectorAll('.cell.right .lesson-l'))
              .filter(e => getComputedStyle(e).backgroundColor !== 'rgba(0, 0, 0, 0)').length,
            Array.from(document.querySelectorAll('.cell.left .gone-r'))
              .filter(e => getComputedStyle(e).backgroundColor !== 'rgba(0, 0, 0, 0)').length];""")
        assert marked[0] > 10 and marked[1] > 10, marked
        assert overflowing(browser) == []
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="all"]').click()
        assert js(browser, "return document.body.className") == "all"
        assert js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                              .filter(e => e.offsetParent !== null).length""") == 5
    finally:
        js(browser, "document.querySelector('button[data-view=\"all\"]').click()")


def test_browser_a_link_can_open_a_pair(browser):
    try:
        browser.get("file://" + PAGE + "#view=3-4")
        assert js(browser, "return document.body.className") == "pair"
        assert js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                              .filter(e => e.offsetParent !== null).length""") == 2
    finally:
        browser.get("file://" + PAGE)


def test_browser_readable_at_800_pixels(browser):
    try:
        browser.set_window_size(800, 1000)
        assert overflowing(browser) == []
        cells = js(browser, """return Array.from(document.querySelectorAll('.cell'))
            .filter(e => e.offsetParent !== null).map(e => [e.getBoundingClientRect().left,
              e.getBoundingClientRect().right, parseFloat(getComputedStyle(
                e.querySelector('pre') || e).fontSize)]);""")
        assert len(cells) == 5 * len(sbs.ROWS)
        inner = js(browser, "return document.documentElement.clientWidth")
        for left, right, font in cells:                     # one cell a row, the page's width
            assert left >= 0 and right <= inner and right - left > 0.8 * inner and font >= 11
    finally:
        browser.set_window_size(1920, 1080)
