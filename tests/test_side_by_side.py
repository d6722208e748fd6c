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
    for column, (name, *_) in enumerate(sbs.LEVELS):
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
    assert re.search(r'class="l lesson-l[^"]*" data-n="\d+">.*grads</span>.*gradients', page)
    assert re.search(r'class="l respelled-l[^"]*" data-n="\d+">.*np</span>.*tanh</span>.*z1', page)


@pytest.mark.parametrize("left,right,expected", [
    # the engine's .data, the shell run's line, np.mean for the engine's mean, Tensor(...)
    ("    return loss.data, accuracy(a, y)", "    return loss, accuracy(a, y)", "respelled"),
    ("    main()", "    common.run(main)            # main() with the flags", "glue"),
    ("    return mean(softplus - y * z2)", "    return np.mean(softplus - y * z2)", "respelled"),
    ("    x, y = Tensor(x_train[batch]), Tensor(y_train[batch])",
     "    x, y = x_train[batch], y_train[batch]", "respelled"),
    ("    z2, a = forward(x, params)", "    h, z2, a = forward(x, params)", "lesson"),
    ("    # Backward pass: autograd fills p.grad", "    # Backward pass: gradients() by hand", "lesson"),
])
def test_a_mark_is_lesson_only_when_the_code_or_words_change(left, right, expected):
    if "main()" in left:                   # glue: inside `if __name__ == "__main__":`
        left, right = 'if __name__ == "__main__":\n' + left, 'if __name__ == "__main__":\n' + right
    assert sbs.marks(left, right)[1][-1] == expected


def test_the_training_step_row_shows_one_steps_numbers():
    numbers = json.load(open(os.path.join(ROOT, "docs", "one_step.json")))
    page = open(PAGE, encoding="utf-8").read()
    row = page.split('id="4-training-step"')[1].split('id="5-evaluation"')[0]
    dw1 = numbers["quantities"]["dW1"]
    assert sbs.number_text(dw1["entries"]["numpy"][0], 10) in row      # level 4's value
    for level, entries in dw1["entries"].items():                       # the others': differences
        diff = max(abs(a - b) for a, b in zip(entries, dw1["entries"]["numpy"]))
        assert (f"<td>{diff:.1e}</td>" if diff else "<td>0</td>") in row, level
    assert f'{dw1["max_abs_difference"]:.1e}' in row
    words = sbs.shown_words(dw1)                                       # what [522, :4] means
    assert re.search(r"row \d+, columns 0 to 3 \(4 entries\)", words) and words in row
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


def view_lines(name, row, lesson):
    """A section's lines as the page's view shows them (the lesson view moves a few left)."""
    import level_text
    text = level_text.split_sections(open(os.path.join(ROOT, name), encoding="utf-8").read(),
                                     name)[row]
    lines = text.split("\n") if text.strip() else []
    return [line for _, line in level_text.lesson(lines)] if lesson else lines


def test_the_pairing_is_difflibs_matching_of_the_code():
    """Lines whose code is equal (difflib.SequenceMatcher on level_diff.key) face each other;
    every line of both sides appears once, in order; the lines that carry the lesson face the
    lines they replaced."""
    import difflib
    import level_diff
    for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4), (2, 4)]:
        for row in sbs.ROWS:
            for lesson in (False, True):
                left = view_lines(sbs.LEVELS[a][0], row, lesson)
                right = view_lines(sbs.LEVELS[b][0], row, lesson)
                rows = level_diff.align(left, right)
                assert [l for l, *_ in rows if l is not None] == list(range(len(left)))
                assert [r for _, r, *_ in rows if r is not None] == list(range(len(right)))
                pairs = {(l, r) for l, r, *_ in rows}
                matcher = difflib.SequenceMatcher(None, [level_diff.key(x) for x in left],
                                                  [level_diff.key(x) for x in right],
                                                  autojunk=False)
                for op, i1, i2, j1, j2 in matcher.get_opcodes():
                    if op == "equal":
                        assert all((i, j) in pairs for i, j in zip(range(i1, i2), range(j1, j2)))


@pytest.mark.parametrize("a,b,row,left_line,right_line,mark", [
    (1, 2, "4. Training step", "loss.backward()                            # dL/dW1",
     "loss.backward()", ""),                          # only the comment differs: unmarked
    (3, 4, "4. Training step", "loss.backward()", "grads = gradients(x, y, params, h, a)", "lesson"),
    (3, 4, "4. Training step", "x, y = Tensor(x_train[batch])", "x, y = x_train[batch]", "respelled"),
    (2, 4, "3. Loss", "softplus = torch.logaddexp(torch.zeros_like(z2), z2)",
     "softplus = np.logaddexp(0, z2)", "respelled"),
    (1, 2, "4. Training step", "optimizer.step()", "p -= lr * p.grad", "lesson"),
    (1, 2, "2. Model", "z2 = model(x)", "z2 = h @ params", "lesson"),    # the same name set
])
def test_a_replaced_line_faces_what_replaced_it(a, b, row, left_line, right_line, mark):
    """Lines that replace each other face each other; unlike lines of blocks of unequal length
    face blank space (level 1's Keras model against level 2's nn.Sequential)."""
    import level_diff
    import level_text
    left = view_lines(sbs.LEVELS[a][0], row, False)
    right = view_lines(sbs.LEVELS[b][0], row, False)
    rows = level_diff.align(left, right)
    _, marks = level_diff.kinds(left, right, rows, level_text.glue(right))
    found = [(l, r) for l, r, *_ in rows if l is not None and r is not None
             and left[l].strip().startswith(left_line) and right[r].strip().startswith(right_line)]
    assert len(found) == 1, (left_line, right_line)
    assert marks[found[0][1]] == mark


def split_rows(driver):
    """The split view's rows on the page: (left text or None, right text or None), per row."""
    return js(driver, """
        return Array.from(document.querySelectorAll('.split')).map(box => {
          const sides = Array.from(box.querySelectorAll('.side')), rows = [];
          for (let i = 0; i < sides.length; i += 2) {
            rows.push([sides[i], sides[i + 1]].map(s => s.classList.contains('blank') ? null
                       : s.querySelector('.l').textContent.replace(/^ $/, '')));
          }
          return rows; });""")


@pytest.mark.parametrize("view,lesson", [("1-4", False), ("3-3b", False), ("2-4", True)])
def test_browser_the_split_view_shows_the_alignment_line_for_line(browser, view, lesson):
    """The page's rows are level_diff.align()'s, every line of both files once and in order, each
    shown as in the file."""
    import level_diff
    names = {v: name for name, _, _, v in sbs.LEVELS}
    a, b = view.split("-")
    try:
        browser.get("file://" + PAGE + "#view=" + view + ("&lesson" if lesson else ""))
        rows = split_rows(browser)
        assert len(rows) == len(sbs.ROWS)
        for row, shown in zip(sbs.ROWS, rows):
            left, right = view_lines(names[a], row, lesson), view_lines(names[b], row, lesson)
            full = (view_lines(names[a], row, False), view_lines(names[b], row, False))

            def as_in_file(line, lines):       # the lesson view shows the file's own line
                return None if line is None else next(f for f in lines if f.endswith(line)
                                                      and f.strip() == line.strip())
            expected = [(as_in_file(left[l] if l is not None else None, full[0]),
                         as_in_file(right[r] if r is not None else None, full[1]))
                        for l, r, *_ in level_diff.align(left, right)]
            assert [tuple(r) for r in shown] == expected, row
            assert len([l for l, _ in shown if l is not None]) == len(left)
            assert len([r for _, r in shown if r is not None]) == len(right)
    finally:
        browser.get("file://" + PAGE)


def test_browser_a_changed_line_marks_its_changed_characters(browser):
    try:
        browser.get("file://" + PAGE + "#view=3b-4")
        changed = js(browser, """return Array.from(document.querySelectorAll('.split .right .l'))
            .map(l => Array.from(l.querySelectorAll('.ch')).map(e => e.textContent).join(''));""")
        assert "h," in changed                          # z2, a = forward -> h, z2, a = forward
        left_blank_right_lesson = js(browser, """return Array.from(document.querySelectorAll(
            '.split .right .lesson-s')).filter(e => e.textContent.includes('dz2 = (a - y) / n'))
            .map(e => e.parentElement.previousElementSibling.classList.contains('blank'));""")
        assert left_blank_right_lesson == [True]        # gradients() is new: it faces blank space
    finally:
        browser.get("file://" + PAGE)


def test_browser_any_two_levels_when_clicked(browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    try:
        Select(browser.find_element(By.ID, "left")).select_by_index(0)
        Select(browser.find_element(By.ID, "right")).select_by_index(4)
        assert js(browser, "return document.body.classList.contains('pair')")
        assert js(browser, "return location.hash") == "#view=1-4"
        shown = js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                               .filter(e => e.offsetParent !== null).map(e => e.textContent);""")
        assert [s.split()[1] for s in shown] == ["1", "4"]
        widths = js(browser, """return Array.from(document.querySelectorAll('.split .side'))
                    .slice(0, 2).map(e => e.getBoundingClientRect().width);""")
        assert all(w > 850 for w in widths), widths          # half the page each
        # the right side marks what changed, the left what the right removes
        marked = js(browser, """return [
            document.querySelectorAll('.split .right .lesson-s').length,
            document.querySelectorAll('.split .left .gone-s').length];""")
        assert marked[0] > 10 and marked[1] > 10, marked
        assert overflowing(browser) == []
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="2-3"]').click()   # 3 | 3½
        assert js(browser, "return location.hash") == "#view=3-3b"
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="all"]').click()
        assert js(browser, "return document.body.classList.contains('all')")
        assert js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                              .filter(e => e.offsetParent !== null).length""") == 5
    finally:
        browser.get("file://" + PAGE)


def test_browser_a_link_can_open_a_pair(browser):
    try:
        browser.get("file://" + PAGE + "#view=3-4")
        assert js(browser, "return document.body.classList.contains('pair')")
        shown = js(browser, """return Array.from(document.querySelectorAll('.colhead'))
                              .filter(e => e.offsetParent !== null).map(e => e.textContent)""")
        assert [s.split()[1] for s in shown] == ["3", "4"]
    finally:
        browser.get("file://" + PAGE)


def hidden_on_page(driver):
    return sorted((e[0], int(e[1])) for e in js(driver, """return Array.from(
        document.querySelectorAll('.hidden-list .hid')).map(e => [e.dataset.level, e.dataset.n]);"""))


def test_lesson_only_lists_every_line_it_hides():
    """The list on the page names glue lines by number and text, every one of the files."""
    import level_text
    page = open(PAGE, encoding="utf-8").read()
    listed = re.findall(r'class="hid" data-level="([^"]+)" data-n="(\d+)">line \d+ <code>(.*?)'
                        r'</code>', page)
    assert listed
    for name, number, text in listed:
        line = open(os.path.join(ROOT, name), encoding="utf-8").read().splitlines()[int(number) - 1]
        assert html_unescape(text) == line.strip(), (name, number)
    for name in LEVELS:                                  # and nothing else is glue
        lines = open(os.path.join(ROOT, name), encoding="utf-8").read().splitlines()
        glue = {i + 1 for i, (rule, _) in enumerate(level_text.glue(lines)) if rule}
        assert glue == {int(n) for level, n, _ in listed if level == name}, name
        assert [lines[n - 1].split("#")[0].strip() for n in sorted(glue)] == \
            ['if __name__ == "__main__":', "common.run(main)"], name


def html_unescape(text):
    import html
    return html.unescape(text)


def test_browser_lesson_only_hides_exactly_the_listed_lines(browser):
    from selenium.webdriver.common.by import By
    try:
        all_lines = js(browser, """return Array.from(document.querySelectorAll('.cell .l'))
            .map(e => [e.closest('.cell').dataset.col, e.dataset.n]);""")
        browser.find_element(By.ID, "lesson").click()
        assert js(browser, "return location.hash") == "#view=all&lesson"
        shown = js(browser, """document.body.classList.add('docs');
            const out = Array.from(document.querySelectorAll('.cell .l'))
              .filter(e => getComputedStyle(e).display !== 'none')
              .map(e => [e.closest('.cell').dataset.col, e.dataset.n]);
            document.body.classList.remove('docs'); return out;""")
        names = [name for name, *_ in sbs.LEVELS]
        gone = sorted({(names[int(c)], int(n)) for c, n in all_lines} -
                      {(names[int(c)], int(n)) for c, n in shown})
        assert gone == hidden_on_page(browser) and len(gone) == 2 * len(names)
        # the split view in lesson only: no glue line on either side
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="0-4"]').click()
        assert js(browser, "return location.hash") == "#view=1-4&lesson"
        texts = [t for rows in split_rows(browser) for pair in rows for t in pair if t]
        assert texts and not any("common.run" in t or "__main__" in t for t in texts)
        assert overflowing(browser) == []
    finally:
        browser.get("file://" + PAGE)


def test_browser_the_overview_keeps_each_line_to_one_screen_line(browser):
    heights = js(browser, """return Array.from(document.querySelectorAll('.cell .l'))
        .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().height);""")
    assert len(heights) > 400
    assert max(heights) < 1.5 * min(heights), (min(heights), max(heights))
    # the engine, which only level 3½ has, spans the row instead of one column of five
    engine = js(browser, """const c = document.querySelector('.cell.wide');
        return [c.dataset.col, c.getBoundingClientRect().width,
                document.querySelectorAll('.cell.empty[hidden]').length];""")
    assert engine[0] == "3" and engine[1] > 1800 and engine[2] == 4


def test_browser_readable_at_800_pixels(browser):
    try:
        browser.set_window_size(800, 1000)
        for view in ("", "#view=1-2&lesson"):
            browser.get("file://" + PAGE + view)
            assert overflowing(browser) == []
            boxes = js(browser, """return Array.from(document.querySelectorAll('.cell, .split .side'))
                .filter(e => e.offsetParent !== null).map(e => [e.getBoundingClientRect().left,
                  e.getBoundingClientRect().right, parseFloat(getComputedStyle(
                    e.querySelector('.l') || e).fontSize)]);""")
            assert len(boxes) > 30
            inner = js(browser, "return document.documentElement.clientWidth")
            for left, right, font in boxes:
                assert left >= 0 and right <= inner and font >= 11
                if not view:                              # one cell a row, the page's width
                    assert right - left > 0.8 * inner
    finally:
        browser.set_window_size(1920, 1080)
        browser.get("file://" + PAGE)


def test_unlike_blocks_of_unequal_length_are_not_paired_by_position():
    """Level 1's Keras model against level 2's nn.Sequential: no line faces an unlike one."""
    import level_diff
    left = view_lines("level1_keras.py", "2. Model", False)
    right = view_lines("level2_pytorch.py", "2. Model", False)
    pairs = [(left[l].strip(), right[r].strip()) for l, r, *_ in level_diff.align(left, right)
             if l is not None and r is not None]
    for a, b in pairs:
        assert not (a.startswith("return keras.Sequential") and b.startswith("nn.Tanh")), pairs
        assert not (a.startswith("keras.layers.Dense") and b.startswith(").to(dtype)")), pairs
