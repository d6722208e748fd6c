"""Build docs/side_by_side.html: the five levels side by side, and any two line against line.

Each row of the page is one section of the level files (their docstring and imports, level 3½'s
engine, then 1. Data ... 6. Main), under the section's mathematics, rendered to MathML here (the
page needs no script library and no network).
  * All five: one column per level, each line on one screen line (a button wraps them), the module
    docstrings folded to their first line (a button opens them), and the lines that differ from
    the level to the left marked (level_diff.py says how: "lesson", "respelled" or "glue").
  * Two levels, any two: a split diff, the lines paired as Python's difflib.ndiff pairs them; a
    changed line faces the line it replaced, its changed characters marked; a line only one level
    has faces blank space. The address keeps the choice: side_by_side.html#view=1-4.
  * Lesson only (a switch, in both views): the glue lines hidden (level_text.py's rules), and the
    page lists every line it hides.
The Training-step row also shows one step's numbers at every level, from docs/one_step.json
(written by `one_step.py --json-out`); nothing here trains.

    python docs/make_side_by_side.py [--root DIR] [--numbers FILE.json] [--out FILE.html]
                                     [--screenshot FILE.png] [--counts]

A level file that lacks a section, or has its sections out of order, is named in one line on
stderr (exit code 1), and the page is left as it was.
"""

import argparse
import ast
import html
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import level_diff  # noqa: E402
import level_text  # noqa: E402
from level_text import ENGINE, HEADER, ROWS, SECTIONS  # noqa: E402,F401
from machinery import atomic  # noqa: E402
from machinery.errors import UserError  # noqa: E402
from side_by_side_assets import CSS, SCRIPT  # noqa: E402

LEVELS = [  # file, column title, short name (one_step.py's), name in the address (#view=3b-4)
    ("level1_keras.py", "Level 1 - Keras", "keras", "1"),
    ("level2_pytorch.py", "Level 2 - PyTorch", "pytorch", "2"),
    ("level3_autograd.py", "Level 3 - autograd", "autograd", "3"),
    ("level3b_own_autograd.py", "Level 3½ - own autograd", "own_autograd", "3b"),
    ("level4_numpy.py", "Level 4 - NumPy", "numpy", "4"),
]
MARK_CODES = {"": "", "lesson": "L", "respelled": "R", "glue": "G", "gone": "X"}

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
class Level:
    """One level file: its sections' lines, where each section starts, which lines are glue."""

    def __init__(self, root, name):
        path = os.path.join(root, name)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise UserError(f"{path}: cannot be read ({e.strerror}).") from None
        try:
            self.sections = level_text.split_sections(text, name)
        except ValueError as e:
            raise UserError(str(e)) from None
        self.name, self.text = name, text
        self.start = level_text.section_starts(text)
        tree = ast.parse(text)
        doc = tree.body[0] if tree.body and isinstance(tree.body[0], ast.Expr) else None
        self.doc_lines = set(range(doc.lineno + 1, doc.end_lineno + 1)) if doc else set()

    def lines(self, row):
        text = self.sections[row]
        return text.split("\n") if text.strip() else []

    def view(self, row, lesson):
        """(indices into lines(row), the lines as shown, how far each is moved left)."""
        lines = self.lines(row)
        if not lesson:
            return list(range(len(lines))), lines, [0] * len(lines)
        kept = level_text.lesson(lines)
        steps = dict((i, s) for i, (_, s) in enumerate(level_text.glue(lines)))
        return [i for i, _ in kept], [line for _, line in kept], [steps[i] for i, _ in kept]

    def hidden(self):
        """[(rule, line number, line)] of every line the lesson view hides."""
        out = []
        for row in ROWS:
            lines = self.lines(row)
            for i, (rule, _) in enumerate(level_text.glue(lines)):
                if rule:
                    out.append((rule, self.start[row] + i, lines[i]))
        return out


def split_sections(path):
    """{row title: source text} of one level file (UserError if a section is missing)."""
    return Level(os.path.dirname(path) or ".", os.path.basename(path)).sections


# ---------------------------------------------------------------------------------------------
# Marking what changed
# ---------------------------------------------------------------------------------------------
def compare(left, right, row, lesson):
    """Rows [l, r, l_ranges, r_ranges, l_mark, r_mark] of two levels' section, l and r indices
    into the levels' full lines (or None), the ranges on the full lines. In the lesson view a row
    that follows hidden lines has a seventh entry, [hidden on the left, hidden on the right], and
    lines hidden at the end give a last row [None, None, [], [], "", "", [left, right]]."""
    li, lt, ls = left.view(row, lesson)
    ri, rt, rs = right.view(row, lesson)
    rows = level_diff.align(lt, rt)
    lmarks, rmarks = level_diff.kinds(lt, rt, rows, level_text.glue(rt))
    seen = [-1, -1]                            # the last full-line index shown, left and right
    out = []
    for l, r, lr, rr in rows:
        row_out = [li[l] if l is not None else None, ri[r] if r is not None else None,
                   [[a + ls[l], b + ls[l]] for a, b in lr] if l is not None else [],
                   [[a + rs[r], b + rs[r]] for a, b in rr] if r is not None else [],
                   MARK_CODES[lmarks[l]] if l is not None else "",
                   MARK_CODES[rmarks[r]] if r is not None else ""]
        hidden = [0, 0]
        for side, index in enumerate(row_out[:2]):
            if index is not None:
                hidden[side] = index - seen[side] - 1
                seen[side] = index
        if any(hidden):
            row_out.append(hidden)
        out.append(row_out)
    tail = [len(left.lines(row)) - 1 - seen[0], len(right.lines(row)) - 1 - seen[1]]
    if lesson and any(tail):
        out.append([None, None, [], [], "", "", tail])
    return out


def marks(left, right):
    """For each line of `right`: "", "lesson", "respelled" or "glue"; for each line of `left`:
    "" or "gone" (two section texts, the whole lines)."""
    a, b = left.splitlines(), right.splitlines()
    rows = level_diff.align(a, b)
    return level_diff.kinds(a, b, rows, level_text.glue(b))


def counts(levels):
    """For each neighbouring pair and view: lines marked lesson, and the others."""
    out = []
    for lesson in (False, True):
        for i in range(len(levels) - 1):
            c = {"lesson": 0, "respelled": 0, "glue": 0, "comment": 0}
            for row in ROWS:
                for l, r, _, _, lm, rm, *_ in compare(levels[i], levels[i + 1], row, lesson):
                    if (l is not None and r is not None and not rm and
                            levels[i].lines(row)[l] != levels[i + 1].lines(row)[r]):
                        c["comment"] += 1
                    kind = {"L": "lesson", "R": "respelled", "G": "glue"}.get(rm)
                    if kind:
                        c[kind] += 1
                    if lm == "X":
                        glue_line = level_text.glue(levels[i].lines(row))[l][0]
                        c["glue" if glue_line else "lesson"] += 1
            out.append((lesson, LEVELS[i][1], LEVELS[i + 1][1], c))
    return out


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


def cell_html(level, row, r, column, title, right_marks, wide=False):
    lines = level.lines(row)
    label = f'<div class="label">{html.escape(title)}</div>'
    where = f'data-row="{r}" data-col="{column}"'
    if not lines:
        text = EMPTY.get(row, {}).get(level.name, "Nothing here.")
        return f'<div class="cell empty" {where}>{label}<p>{html.escape(text)}</p></div>'
    glue = level_text.glue(lines)
    out = []
    for i, line_html in enumerate(highlight_lines("\n".join(lines))):
        number = level.start[row] + i
        if glue[i][0] and (i == 0 or not glue[i - 1][0]):     # Lesson only: say what went
            run = next((k for k in range(i, len(lines)) if not glue[k][0]), len(lines)) - i
            out.append(f'<div class="gm">\u22ef {run} line{"s" * (run > 1)} of glue hidden: '
                       f'{html.escape(glue[i][0])}</div>')
        classes = ["l"] + [right_marks[i] + "-l" for _ in [0] if right_marks[i]] + \
                  ["g" for _ in [0] if glue[i][0]] + ["dd" for _ in [0] if glue[i][1]] + \
                  ["doc" for _ in [0] if number in level.doc_lines]
        out.append(f'<div class="{" ".join(classes)}" data-n="{number}">{line_html or " "}</div>')
    return (f'<div class="cell{" wide" if wide else ""}" {where}>{label}'
            f'<pre class="code">{"".join(out)}</pre></div>')


def math_html(row):
    from latex2mathml.converter import convert
    blocks = []
    for latex, words in MATH[row]:
        blocks.append(f'<div class="eq">{convert(latex, display="block")}'
                      f'<p>{html.escape(words)}</p></div>')
    return "".join(blocks)


def number_text(value, digits=6):
    return f"{value:.{digits}g}".replace("-", "\u2212")


def numbers_html(numbers):
    """One step's numbers: level 4's, to 10 digits, and how far each other level's are from them
    (docs/one_step.json)."""
    config, quantities = numbers["config"], numbers["quantities"]
    others = LEVELS[:-1]
    head = "".join(f"<th>{html.escape(title)}: |difference| from level 4</th>"
                   for _, title, _, _ in others)
    rows = []
    for key in NUMBER_ROWS:
        q = quantities[key]
        base = q["entries"]["numpy"]
        cells = [f'<td>{", ".join(number_text(v, 10) for v in base)}</td>']
        for _, _, short, _ in others:
            if short in q["entries"]:
                diff = max(abs(a - b) for a, b in zip(q["entries"][short], base))
                cells.append(f"<td>{diff:.1e}</td>" if diff else "<td>0</td>")
            else:
                cells.append('<td class="hidden-q">hidden</td>')
        between = " vs ".join(q["between"]) if q.get("between") and len(q["levels"]) > 1 else ""
        largest = (f'{q["max_abs_difference"]:.1e} <span class="between">'
                   f'({html.escape(between)})</span>' if between else "-")
        rows.append(f'<tr><th class="formula">{html.escape(q["formula"])}<br>'
                    f'<span class="shown">{html.escape(shown_words(q))}</span></th>'
                    f'{"".join(cells)}<td class="diff">{largest}</td></tr>')
    largest = max(q["max_abs_difference"] for q in quantities.values() if len(q["levels"]) > 1)
    return (f'<div class="numbers"><h3>One training step, at every level</h3>'
            f'<p>From <code>one_step.py --json-out</code> (docs/one_step.json): B = '
            f'{config["batch_size"]} images, H = {config["hidden"]}, {config["dtype"]}, '
            f'lr = {config["lr"]:g}, every level from the same start. Level 4\'s value of a few '
            f'entries of each quantity, to 10 digits; for each other level, the largest |difference| '
            f'from level 4 over those entries (0: the same number to the last bit); then the largest '
            f'|difference| of any entry between any two levels: {largest:.1e} at most. "hidden": '
            f'Keras keeps it inside fit().</p>'
            f'<div class="scroll"><table><tr><th>quantity</th><th>Level 4 - NumPy: value</th>'
            f'{head}<th>largest |difference|, any entry, any two levels</th>'
            f'</tr>{"".join(rows)}</table></div></div>')


def shown_words(q):
    """Which entries the row shows, in words: "[0, :4]" -> "row 0, columns 0 to 3"."""
    shown, n = q.get("shown", ""), len(q["entries"]["numpy"])
    m = re.fullmatch(r"\[(\d+), :(\d+)\]", shown)
    if m:
        return f"{shown}: row {m.group(1)}, columns 0 to {int(m.group(2)) - 1} ({n} entries)"
    m = re.fullmatch(r"\[:(\d+)\]", shown)
    if m:
        return f"{shown}: entries 0 to {int(m.group(1)) - 1} ({n} entries)"
    return shown


def row_id(row):
    """The anchor of a row: "4. Training step" -> "4-training-step"."""
    return re.sub(r"[^a-z0-9]+", "-", row.lower()).strip("-")


def hidden_html(levels):
    """The list of what Lesson only hides, level by level and rule by rule."""
    items, total = [], 0
    for (name, title, _, _), level in zip(LEVELS, levels):
        by_rule = {}
        for rule, number, line in level.hidden():
            by_rule.setdefault(rule, []).append((number, line))
        total += sum(len(v) for v in by_rule.values())
        rules = "".join(
            f'<li>{html.escape(rule)}: ' + "; ".join(
                f'<span class="hid" data-level="{name}" data-n="{n}">line {n} '
                f'<code>{html.escape(line.strip())}</code></span>' for n, line in found) + "</li>"
            for rule, found in by_rule.items())
        items.append(f"<li>{html.escape(title)} ({name}): <ul>{rules}</ul></li>")
    return (f'<details class="hidden-list"><summary>What <b>Lesson only</b> hides: {total} lines '
            f'of glue in the five files, each listed here</summary><p>The last two lines of each '
            f'file, <code>if __name__ == "__main__":</code> and <code>common.run(main)</code>, '
            f'which hand a run from the shell to <code>machinery/</code>: the flags, as '
            f'<code>main()</code>\'s arguments; errors and Ctrl-C; <code>--json-out</code>; '
            f'weights files; the GPU.</p><ul>{"".join(items)}</ul></details>')


def diffs_json(levels):
    pairs = {}
    for a in range(len(levels)):
        for b in range(a + 1, len(levels)):
            pairs[f"{a}-{b}"] = {view: [compare(levels[a], levels[b], row, view == "lesson")
                                        for row in ROWS] for view in ("full", "lesson")}
    text = json.dumps({"names": [v for _, _, _, v in LEVELS], "pairs": pairs},
                      separators=(",", ":"))
    return text.replace("</", "<\\/")


def page(root, numbers):
    levels = [Level(root, name) for name, _, _, _ in LEVELS]
    from pygments.formatters import HtmlFormatter
    style = HtmlFormatter(style="default").get_style_defs(["pre.code", ".split"])
    options = "".join(f'<option value="{i}">{html.escape(t.split(" - ")[0])}</option>'
                      for i, (_, t, _, _) in enumerate(LEVELS))
    quick = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]
    buttons = ['<button type="button" data-view="all" aria-pressed="true">All five</button>',
               '<span class="sep"></span>'] + [
        f'<button type="button" data-view="{a}-{b}" aria-pressed="false">'
        f'{html.escape(LEVELS[a][1].split(" - ")[0])} | {html.escape(LEVELS[b][1].split(" - ")[0])}'
        f'</button>' for a, b in quick] + [
        f'<label>Any two: <select id="left" aria-label="left level">{options}</select></label>',
        f'<label>against <select id="right" aria-label="right level">{options}</select></label>',
        '<span class="sep"></span>',
        '<button type="button" id="lesson" aria-pressed="false">Lesson only</button>',
        '<button type="button" id="docs" aria-pressed="false">Docstrings in full</button>',
        '<button type="button" id="wrap" aria-pressed="false">Wrap long lines</button>']
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>One network, five levels: side by side</title>",
        f"<style>{CSS}\n{style}</style>", "</head>", '<body class="all">', "<header>",
        "<h1>One network, five levels, side by side</h1>",
        "<p>Each row is one section of the level files, under its mathematics. <b>All five</b> "
        "shows one column per level, each line kept to one screen line; <b>two levels</b> (any "
        "two) shows them line against line, as a split diff. Made from the files by "
        "<code>docs/make_side_by_side.py</code>; the <a href=\"../README.md\">README</a> explains "
        "the project, the <a href=\"glossary.md\">glossary</a> its terms; "
        "<a href=\"by_hand.md\">one step by hand</a> works a tiny network on paper, "
        "<a href=\"inside.md#one-gradient-through-the-engine\">one gradient through the engine</a> follows level 3½'s engine "
        "closure by closure, <a href=\"one_step.md\">inside one step</a> prints every number "
        "of a training step at every level, and <a href=\"inside.md\">inside the frameworks</a> "
        "shows the graphs that Keras and PyTorch build for it.</p>",
        "<p class=\"legend\">A marked line differs from the level to its left: "
        "<span class=\"mark-lesson\">lesson</span>, new code; "
        "<span class=\"mark-respelled\">respelled</span>, the same code in another library's "
        "spelling (" + "; ".join(html.escape(words) for _, _, words in level_diff.RESPELLINGS) +
        "); <span class=\"mark-glue\">glue</span>, the shell run's two lines (Lesson only hides "
        "them). A changed comment alone gets no mark. Two levels side by side: "
        "<span class=\"mark-gone\">red</span> on the left is what the right removes, and facing "
        "lines show their <span class=\"mark-changed\">changed words</span>.</p>",
        f'<div class="controls" role="group" aria-label="Levels shown">{"".join(buttons)}</div>',
        hidden_html(levels),
        '<nav class="toc">Rows: ' + " · ".join(
            f'<a href="#{row_id(row)}">{html.escape(row)}</a>' for row in ROWS) + "</nav>",
        "</header>", '<main class="grid">',
    ]
    for col, (name, title, _, _) in enumerate(LEVELS):
        parts.append(f'<div class="colhead" data-col="{col}">{html.escape(title)}<br>'
                     f'<a href="../{name}">{name}</a></div>')
    for r, row in enumerate(ROWS):
        parts.append(f'<section class="rowhead" id="{row_id(row)}"><h2>{html.escape(row)}</h2>'
                     f'{math_html(row)}</section>')
        having = [col for col, level in enumerate(levels) if level.lines(row)]
        wide = len(having) == 1
        if wide:   # one level only (the engine): its code across the row, the others in one line
            notes = " ".join(EMPTY.get(row, {}).get(name, "") for col, (name, _, _, _)
                             in enumerate(LEVELS) if col not in having)
            parts.append(f'<p class="only-note">Only {html.escape(LEVELS[having[0]][1])} has '
                         f'this section. {html.escape(notes)}</p>')
        for col, (level, (name, title, _, _)) in enumerate(zip(levels, LEVELS)):
            right_marks = marks(levels[col - 1].sections[row], level.sections[row])[1] \
                if col and level.lines(row) else [""] * len(level.lines(row))
            cell = cell_html(level, row, r, col, title, right_marks, wide and col in having)
            if wide and col not in having:
                cell = cell.replace('class="cell empty"', 'class="cell empty" hidden', 1)
            parts.append(cell)
        parts.append(f'<div class="split" data-row="{r}"></div>')
        if row == "4. Training step" and numbers is not None:
            parts.append(numbers_html(numbers))
    parts += ["</main>", f'<script id="diffs" type="application/json">{diffs_json(levels)}</script>',
              f"<script>{SCRIPT}</script>", "</body>", "</html>", ""]
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
    parser.add_argument("--counts", action="store_true",
                        help="also print, for each pair of neighbouring levels, how many changed "
                             "lines are marked lesson, respelled and glue, with and without "
                             "Lesson only")
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
        if args.counts:
            levels = [Level(args.root, name) for name, _, _, _ in LEVELS]
            for lesson, left, right, c in counts(levels):
                view = "lesson only" if lesson else "everything "
                print(f"{view}  {left:<24} -> {right:<24} lesson {c['lesson']:4d}   respelled "
                      f"{c['respelled']:3d}   glue {c['glue']:3d}   comment or spacing only "
                      f"{c['comment']:3d}")
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
