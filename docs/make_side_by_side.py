"""Build docs/side_by_side.html: the five levels as five columns, one row per section.

Each row is one section of the level files (their docstring and imports, level 3½'s engine, then
1. Data ... 6. Main), under the section's mathematics, rendered to MathML here (the page needs no
script library and no network). Each cell holds that level's complete code for the section,
highlighted with Pygments, and marks the lines that differ from the level to its left:
  * "lesson": code that is new, or that does something else than the line it replaced;
  * "respelled": the same code in another library's spelling: equal to the line it replaced once
    library prefixes (torch., np., nn., keras., ...) and comments are set aside.
The Training-step row also shows one step's numbers at every level, from docs/one_step.json
(written by `one_step.py --json-out`); nothing here trains.

    python docs/make_side_by_side.py [--root DIR] [--numbers FILE.json] [--out FILE.html]
                                     [--screenshot FILE.png]

A level file that lacks a section, or has its sections out of order, is named in one line on
stderr (exit code 1), and the page is left as it was.
"""

import argparse
import difflib
import html
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402

LEVELS = [  # file, column title, short name (one_step.py's), what the column is
    ("level1_keras.py", "Level 1 - Keras", "keras"),
    ("level2_pytorch.py", "Level 2 - PyTorch", "pytorch"),
    ("level3_autograd.py", "Level 3 - autograd", "autograd"),
    ("level3b_own_autograd.py", "Level 3½ - own autograd", "own_autograd"),
    ("level4_numpy.py", "Level 4 - NumPy", "numpy"),
]
SECTIONS = ["1. Data", "2. Model", "3. Loss", "4. Training step", "5. Evaluation", "6. Main"]
ENGINE = "The engine"
HEADER = "Docstring and imports"
ROWS = [HEADER, ENGINE] + SECTIONS
BANNER = re.compile(r"^# -{20,}\n# (.+)\n# -{20,}\n", re.M)

# Library prefixes that a respelled line may differ by (torch.tanh -> np.tanh, torch.zeros_like ->
# zeros_like, torch.randperm(n) -> rng.permutation(n) is not one: another function).
PREFIXES = re.compile(r"\b(?:torch|np|numpy|nn|keras|tf|F)\.")

MATH = {  # the mathematics above each row: (LaTeX, words), in the notation of the files
    HEADER: [(r"x \;(B \times 784) \;\longrightarrow\; h = \tanh(x W_1 + b_1) \;(B \times H)"
              r" \;\longrightarrow\; a = \sigma(h W_2 + b_2) \;(B \times 10)",
              "The network every level trains. Each docstring says what its level automates "
              "and what it makes you write.")],
    ENGINE: [(r"C = A B:\quad \frac{\partial L}{\partial A} = \frac{\partial L}{\partial C} B^\top,"
              r"\quad \frac{\partial L}{\partial B} = A^\top \frac{\partial L}{\partial C}",
              "Each operation records its parents and, for each, a closure: given dL/d(its output), "
              "the parent's share of dL/d(parent), a vector-Jacobian product."),
             (r"h = \tanh(z):\quad \frac{\partial L}{\partial z} = \frac{\partial L}{\partial h}"
              r" \odot (1 - h^2)",
              "backward() walks the record from the loss back, in reverse topological order, "
              "adding each share into .grad. Only level 3½ writes an engine.")],
    "1. Data": [(r"x_{ij} = \frac{\text{pixel } j \text{ of image } i}{255} \in [0, 1],\qquad "
                 r"y_{ik} = \begin{cases} 1 & \text{if image } i \text{ is digit } k \\ 0 &"
                 r" \text{otherwise} \end{cases}",
                 "x is N x 784, y is N x 10 (one-hot); N = 60,000 training and 10,000 test images.")],
    "2. Model": [(r"z_1 = x W_1 + b_1,\quad h = \tanh(z_1),\quad z_2 = h W_2 + b_2,\quad"
                  r" a = \sigma(z_2) = \frac{1}{1 + e^{-z_2}}",
                  "W1: 784 x H, b1: H, W2: H x 10, b2: 10; z1 and h: B x H; z2 and a: B x 10."),
                 (r"W \sim \mathcal{N}(0, s_0^2) \text{ redrawn outside } \pm 2 s_0,\quad"
                  r" s_0 = \frac{1}{0.8796}\sqrt{\frac{2}{n_\text{in} + n_\text{out}}},\quad b = 0",
                  "Glorot normal, truncated as Keras draws it; biases zero.")],
    "3. Loss": [(r"L = -\frac{1}{10B}\sum_{i=1}^{B}\sum_{k=1}^{10}\big[y_{ik}\log a_{ik} + (1 - y_{ik})"
                 r"\log(1 - a_{ik})\big] = \frac{1}{10B}\sum_{i,k}\big[\log(1 + e^{(z_2)_{ik}})"
                 r" - y_{ik}(z_2)_{ik}\big]",
                 "The same number; the second form stays finite when a rounds to 0 or 1, and every "
                 "level computes it from z2.")],
    "4. Training step": [
        (r"\frac{\partial L}{\partial z_2} = \frac{a - y}{10B},\quad"
         r"\frac{\partial L}{\partial W_2} = h^\top \frac{\partial L}{\partial z_2},\quad"
         r"\frac{\partial L}{\partial b_2} = \sum_i \Big(\frac{\partial L}{\partial z_2}\Big)_i,\quad"
         r"\frac{\partial L}{\partial h} = \frac{\partial L}{\partial z_2} W_2^\top",
         "Shapes: B x 10, H x 10, 10, B x H. Each gradient has the shape of what it is the "
         "gradient of."),
        (r"\frac{\partial L}{\partial z_1} = \frac{\partial L}{\partial h} \odot (1 - h^2),\quad"
         r"\frac{\partial L}{\partial W_1} = x^\top \frac{\partial L}{\partial z_1},\quad"
         r"\frac{\partial L}{\partial b_1} = \sum_i \Big(\frac{\partial L}{\partial z_1}\Big)_i,\quad"
         r"\theta \leftarrow \theta - \eta \frac{\partial L}{\partial \theta}",
         "Shapes: B x H, 784 x H, H. Levels 1-3½ leave the backward pass to autograd; level 4 "
         "writes it out in gradients().")],
    "5. Evaluation": [(r"\text{accuracy} = \frac{1}{N}\sum_{i=1}^{N}\Big[\operatorname{argmax}_k a_{ik} ="
                       r" \operatorname{argmax}_k y_{ik}\Big]",
                       "On the 10,000 test images after every epoch, with the loss L above.")],
    "6. Main": [(r"\text{for each epoch: shuffle; for each batch of } B:\ \theta \leftarrow \theta"
                 r" - \eta \frac{\partial L}{\partial \theta};\ \text{then evaluate}",
                 "The flags, the data, the parameters, the loop over epochs, one report line per "
                 "epoch.")],
}
EMPTY = {  # what an empty cell says
    ENGINE: {"level1_keras.py": "No engine to write: TensorFlow's GradientTape, inside fit().",
             "level2_pytorch.py": "No engine to write: PyTorch's autograd.",
             "level3_autograd.py": "No engine to write: PyTorch's autograd, called by hand.",
             "level4_numpy.py": "No engine: gradients() is derived by hand, for this one model."},
}
NUMBER_ROWS = ["z1", "h", "z2", "a", "loss", "dz2", "dW2", "db2", "dh", "dz1", "dW1", "db1",
               "W1_after", "b1_after", "W2_after", "b2_after"]


# ---------------------------------------------------------------------------------------------
# Reading the level files
# ---------------------------------------------------------------------------------------------
def split_sections(path):
    """{row title: source text} of one level file; UserError naming the file and the section if
    one of 1. Data ... 6. Main is missing or out of order."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot be read ({e.strerror}).") from None
    banners = list(BANNER.finditer(text))
    titles = [m.group(1) for m in banners]
    found = [t for t in titles if t in SECTIONS]
    for section in SECTIONS:
        if section not in found:
            raise UserError(f"{name}: the section \"# {section}\" is missing.")
    for i, section in enumerate(found):
        if section != SECTIONS[i]:
            raise UserError(f"{name}: the section \"# {section}\" is out of order "
                            f"(expected \"# {SECTIONS[i]}\" there).")
    parts = {HEADER: text[:banners[0].start()] if banners else text}
    for i, m in enumerate(banners):
        end = banners[i + 1].start() if i + 1 < len(banners) else len(text)
        title = m.group(1)
        if title not in SECTIONS:
            if title.startswith(ENGINE):
                title = ENGINE
            else:
                raise UserError(f"{name}: the section \"# {m.group(1)}\" is not one of "
                                f"{', '.join(SECTIONS)} (or level 3½'s engine).")
        parts[title] = m.group(0) + text[m.end():end]
    return {row: parts.get(row, "").rstrip("\n") for row in ROWS}


# ---------------------------------------------------------------------------------------------
# Marking what changed from the level to the left
# ---------------------------------------------------------------------------------------------
def code_of(line):
    """A line without its comment and without library prefixes: what a respelling keeps."""
    in_string, quote, out = False, "", []
    for i, ch in enumerate(line):
        if in_string:
            if ch == quote:
                in_string = False
        elif ch in "\"'":
            in_string, quote = True, ch
        elif ch == "#":
            break
        out.append(ch)
    return " ".join(PREFIXES.sub("", "".join(out)).split())


def marks(left, right):
    """For each line of `right`: "" (the same as in `left`), "respelled" or "lesson"; and for each
    line of `left`: "" or "gone" (removed in `right`, or replaced by other code, not respelled)."""
    a, b = left.splitlines(), right.splitlines()
    strip = [line.strip() for line in a], [line.strip() for line in b]
    right_marks, left_marks = [""] * len(b), [""] * len(a)
    matcher = difflib.SequenceMatcher(None, strip[0], strip[1], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        new = {code_of(line) for line in b[j1:j2] if code_of(line)}
        for i in range(i1, i2):                # gone: removed, or replaced by other code
            code = code_of(a[i])
            left_marks[i] = "gone" if a[i].strip() and not (code and code in new) else ""
        old = {code_of(line) for line in a[i1:i2] if code_of(line)}
        for j in range(j1, j2):
            if not b[j].strip():
                continue
            code = code_of(b[j])
            right_marks[j] = "respelled" if (code in old or not code and op == "replace") \
                else "lesson"
    return left_marks, right_marks


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
def highlight_lines(source):
    """The source as a list of HTML lines, highlighted by Pygments' Python lexer."""
    from pygments.lexers import PythonLexer
    from pygments.token import STANDARD_TYPES
    lines, current = [], []
    for kind, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(source):
        while kind not in STANDARD_TYPES:
            kind = kind.parent
        css = STANDARD_TYPES[kind]
        for k, piece in enumerate(value.split("\n")):
            if k:
                lines.append("".join(current))
                current = []
            if piece:
                escaped = html.escape(piece, quote=False)
                current.append(f'<span class="{css}">{escaped}</span>' if css else escaped)
    lines.append("".join(current))
    return lines[:len(source.split("\n"))]


def cell_html(source, left_marks, right_marks, column, empty_text):
    if not source.strip():
        return (f'<div class="cell empty" data-col="{column}"><p>{html.escape(empty_text)}</p>'
                '</div>')
    rows = []
    for number, (line, line_html) in enumerate(zip(source.split("\n"), highlight_lines(source))):
        classes = ["l"] + [m + "-l" for m in [right_marks[number]] if m] + \
                  [m + "-r" for m in [left_marks[number]] if m]
        rows.append(f'<div class="{" ".join(classes)}">{line_html or " "}</div>')
    return f'<div class="cell" data-col="{column}"><pre class="code">{"".join(rows)}</pre></div>'


def math_html(row):
    from latex2mathml.converter import convert
    blocks = []
    for latex, words in MATH[row]:
        blocks.append(f'<div class="eq">{convert(latex, display="block")}'
                      f'<p>{html.escape(words)}</p></div>')
    return "".join(blocks)


def number_text(value):
    return f"{value:.6g}".replace("-", "\u2212")


def numbers_html(numbers):
    """One step's numbers, a few entries of each quantity at each level, and the largest
    difference between levels (docs/one_step.json)."""
    config, quantities = numbers["config"], numbers["quantities"]
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title, _ in LEVELS)
    rows = []
    for key in NUMBER_ROWS:
        q = quantities[key]
        cells = []
        for _, _, short in LEVELS:
            if short in q["entries"]:
                shown = ", ".join(number_text(v) for v in q["entries"][short][:2])
                cells.append(f"<td>{shown}</td>")
            else:
                cells.append(f'<td class="hidden-q">hidden</td>')
        between = " vs ".join(q["between"]) if q.get("between") and len(q["levels"]) > 1 else ""
        diff = (f'{q["max_abs_difference"]:.1e} <span class="between">({html.escape(between)})</span>'
                if between else "-")
        rows.append(f'<tr><th class="formula">{html.escape(q["formula"])}<br>'
                    f'<span class="shown">{html.escape(q.get("shown", ""))}</span></th>'
                    f'{"".join(cells)}<td class="diff">{diff}</td></tr>')
    largest = max(q["max_abs_difference"] for q in quantities.values() if len(q["levels"]) > 1)
    return (f'<div class="numbers"><h3>One training step, at every level</h3>'
            f'<p>From <code>one_step.py --json-out</code> (docs/one_step.json): B = '
            f'{config["batch_size"]} images, H = {config["hidden"]}, {config["dtype"]}, '
            f'lr = {config["lr"]:g}, every level from the same start. The first entries of each '
            f'quantity ({"the entries shown" }), then the largest difference of any entry between any two '
            f'levels: {largest:.1e} at most. "hidden": Keras keeps it inside fit().</p>'
            f'<div class="scroll"><table><tr><th>quantity</th>{head}<th>largest |difference|</th>'
            f'</tr>{"".join(rows)}</table></div></div>')


CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1d;
       background: #fafafa; }
header { padding: 12px 20px 6px; }
h1 { font-size: 1.35em; margin: 0 0 4px; }
header p { margin: 4px 0; max-width: 110em; }
.controls { margin: 8px 0 4px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.controls button { font: inherit; padding: 3px 10px; border: 1px solid #888; border-radius: 4px;
                   background: #fff; cursor: pointer; }
.controls button[aria-pressed="true"] { background: #1d4f91; color: #fff; border-color: #1d4f91; }
.legend span { padding: 0 6px; margin-right: 6px; }
.toc { margin: 4px 0; font-size: 0.9em; }
.grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0 8px;
        padding: 0 12px 40px; }
.colhead { position: sticky; top: 0; z-index: 2; background: #e8eef6; border-bottom: 2px solid #1d4f91;
           padding: 6px 8px; font-weight: 600; }
.colhead a { font-weight: normal; font-size: 0.85em; }
.rowhead { grid-column: 1 / -1; margin-top: 18px; border-top: 1px solid #bbb; padding-top: 6px; }
.rowhead h2 { font-size: 1.15em; margin: 0 0 4px; }
.eq { margin: 2px 0 6px; }
.eq math { font-size: 1.1em; text-align: left; margin: 2px 0; }
.eq p { margin: 0 0 4px; color: #444; font-size: 0.9em; }
.cell { min-width: 0; background: #fff; border: 1px solid #ddd; border-radius: 4px; }
.cell.empty p { color: #777; font-style: italic; padding: 6px 8px; margin: 0; font-size: 0.9em; }
.cell .label { display: none; }
pre.code { margin: 0; padding: 4px 0; font-size: 11.5px; line-height: 1.35;
           font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap;
           overflow-wrap: anywhere; }
pre.code .l { padding: 0 6px 0 10px; text-indent: -4px; border-left: 4px solid transparent; }
.mark-lesson, body.all .lesson-l, body.pair .right .lesson-l { background: #fff0c2;
    border-left-color: #d99a00; }
.mark-respelled, body.all .respelled-l, body.pair .right .respelled-l { background: #e9f2fb;
    border-left-color: #8fb3dc; }
.mark-gone, body.pair .left .gone-r { background: #fbe3e3; border-left-color: #c55; }
body.pair .cell.off, body.pair .colhead.off { display: none; }
body.pair .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
body.pair pre.code { font-size: 12.5px; }
.numbers { grid-column: 1 / -1; margin-top: 8px; }
.numbers h3 { font-size: 1em; margin: 6px 0 2px; }
.numbers p { margin: 2px 0 6px; font-size: 0.9em; color: #333; }
.scroll { overflow-x: auto; }
.numbers table { border-collapse: collapse; font-size: 12px; width: 100%; }
.numbers th, .numbers td { border: 1px solid #ddd; padding: 2px 6px; text-align: left;
    font-variant-numeric: tabular-nums; }
.numbers th.formula { font-weight: normal; font-family: monospace; }
.numbers .shown, .numbers .between { color: #666; font-size: 0.9em; }
.numbers td.hidden-q { color: #999; font-style: italic; }
@media (max-width: 1000px) {
  .grid, body.pair .grid { grid-template-columns: minmax(0, 1fr); }
  .colhead { display: none; }
  .cell .label { display: block; background: #e8eef6; padding: 3px 8px; font-weight: 600; }
  .cell { margin-bottom: 8px; }
}
"""

SCRIPT = r"""
(function () {
  var buttons = document.querySelectorAll('.controls button');
  function show(view) {
    var pair = view === 'all' ? null : view.split('-').map(Number);
    document.body.className = pair ? 'pair' : 'all';
    document.querySelectorAll('[data-col]').forEach(function (el) {
      var col = Number(el.getAttribute('data-col'));
      el.classList.remove('off', 'left', 'right');
      if (pair) {
        if (col === pair[0]) { el.classList.add('left'); }
        else if (col === pair[1]) { el.classList.add('right'); }
        else { el.classList.add('off'); }
      }
    });
    buttons.forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-view') === view));
    });
  }
  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var view = b.getAttribute('data-view');
      show(view);
      history.replaceState(null, '', view === 'all' ? location.pathname : '#view=' + view);
    });
  });
  function fromAddress() {                   /* a link can open a pair: side_by_side.html#view=3-4 */
    var asked = /^#view=(\d-\d)$/.exec(location.hash);
    show(asked && document.querySelector('button[data-view="' + asked[1] + '"]') ? asked[1] : 'all');
  }
  window.addEventListener('hashchange', fromAddress);
  fromAddress();
})();
"""


def row_id(row):
    """The anchor of a row: "4. Training step" -> "4-training-step"."""
    return re.sub(r"[^a-z0-9]+", "-", row.lower()).strip("-")


def page(root, numbers):
    files = [(name, title, split_sections(os.path.join(root, name))) for name, title, _ in LEVELS]
    from pygments.formatters import HtmlFormatter
    style = HtmlFormatter(style="default").get_style_defs("pre.code")
    buttons = ['<button type="button" data-view="all" aria-pressed="true">All five</button>']
    for i in range(len(LEVELS) - 1):
        a, b = LEVELS[i][1].split(" - ")[0], LEVELS[i + 1][1].split(" - ")[0]
        buttons.append(f'<button type="button" data-view="{i}-{i + 1}" aria-pressed="false">'
                       f'{html.escape(a)} and {html.escape(b)}</button>')
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>One network, five levels: side by side</title>",
        f"<style>{CSS}\n{style}</style>", "</head>", '<body class="all">', "<header>",
        "<h1>One network, five levels, side by side</h1>",
        "<p>Each row is one section of the level files, under its mathematics; each column is one "
        "level, its complete code for that section. Made from the files by "
        "<code>docs/make_side_by_side.py</code>; the <a href=\"../README.md\">README</a> explains "
        "the project, the <a href=\"glossary.md\">glossary</a> its terms; "
        "<a href=\"engine.md\">one gradient through the engine</a> follows level 3½'s engine "
        "closure by closure, <a href=\"one_step.md\">inside one step</a> prints every number "
        "of a training step at every level, and <a href=\"inside.md\">inside the frameworks</a> "
        "shows the graphs that Keras and PyTorch build for it.</p>",
        "<p class=\"legend\">Marked lines differ from the level to the left: "
        "<span class=\"mark-lesson\">lesson</span> is code that is new or does something else; "
        "<span class=\"mark-respelled\">respelled</span> is a line that equals the line it "
        "replaced once library prefixes (<code>torch.</code>, <code>np.</code>, <code>nn.</code>, "
        "<code>keras.</code>) and comments are set aside, the same code in another library's "
        "spelling. Two levels at a time, the left one marks in "
        "<span class=\"mark-gone\">red</span> what the right one removes or replaces by other "
        "code.</p>",
        f'<div class="controls" role="group" aria-label="Levels shown">{"".join(buttons)}</div>',
        '<nav class="toc">Rows: ' + " · ".join(
            f'<a href="#{row_id(row)}">{html.escape(row)}</a>'
            for row in ROWS) + "</nav>",
        "</header>", '<main class="grid">',
    ]
    for col, (name, title, _) in enumerate(files):
        parts.append(f'<div class="colhead" data-col="{col}">{html.escape(title)}<br>'
                     f'<a href="../{name}">{name}</a></div>')
    for row in ROWS:
        parts.append(f'<section class="rowhead" id="{row_id(row)}"><h2>{html.escape(row)}</h2>'
                     f'{math_html(row)}</section>')
        for col, (name, title, sections) in enumerate(files):
            source = sections[row]
            left = files[col - 1][2][row] if col else None
            right = files[col + 1][2][row] if col + 1 < len(files) else None
            right_marks = marks(left, source)[1] if left is not None else [""] * len(source.split("\n"))
            left_marks = marks(source, right)[0] if right is not None else [""] * len(source.split("\n"))
            empty = EMPTY.get(row, {}).get(name, "Nothing here.")
            cell = cell_html(source, left_marks, right_marks, col, empty)
            cell = cell.replace(f'data-col="{col}">', f'data-col="{col}"><div class="label">'
                                f'{html.escape(title)}</div>', 1)
            parts.append(cell)
        if row == "4. Training step" and numbers is not None:
            parts.append(numbers_html(numbers))
    parts += ["</main>", f"<script>{SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(parts)


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"   # Debian's packages


def open_browser(width=1920, height=1080):
    """Headless Chromium (Debian's chromium and chromium-driver), driven by Selenium, offline:
    nothing is downloaded, no driver and no browser. Keeps the console and network logs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--hide-scrollbars",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def screenshot(page_path, png_path, width=1920, height=1080):
    """A picture of the page at its Training-step row, for the README."""
    driver = open_browser(width, height)
    try:
        driver.get("file://" + os.path.abspath(page_path))
        driver.execute_script("window.scrollTo(0, document.getElementById('4-training-step')"
                              ".getBoundingClientRect().top + window.scrollY - 60)")
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
    with atomic.replace(png_path) as f:
        f.write(png)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=ROOT, metavar="DIR",
                        help="the folder that holds the five level files (default: the project)")
    parser.add_argument("--numbers", default=os.path.join(HERE, "one_step.json"), metavar="FILE",
                        help="one_step.py's --json-out, for the Training-step row "
                             "(default: docs/one_step.json)")
    parser.add_argument("--out", default=os.path.join(HERE, "side_by_side.html"), metavar="FILE",
                        help="where to write the page (default: docs/side_by_side.html)")
    parser.add_argument("--screenshot", metavar="FILE.png",
                        help="also take a 1920 x 1080 picture of the page's Training-step row in "
                             "headless Chromium (the README's docs/side_by_side.png)")
    args = parser.parse_args(argv)
    prog = os.path.basename(sys.argv[0])
    try:
        try:
            with open(args.numbers, encoding="utf-8") as f:
                numbers = json.load(f)
        except (OSError, ValueError) as e:
            raise UserError(f"--numbers {args.numbers}: not a readable JSON file ({e}).") from None
        text = page(args.root, numbers)
        with atomic.replace(args.out, "w") as f:
            f.write(text)
        if args.screenshot:
            screenshot(args.out, args.screenshot)
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
