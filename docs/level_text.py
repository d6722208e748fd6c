"""The text of a level file as the side-by-side page reads it: its sections, which of its lines
are glue (a learner may skip them), and its lesson alone.

A level file is its lesson, but for its last two lines: `if __name__ == "__main__":` and
`common.run(main)`, which hand a run from the shell to machinery/ (the flags, the per-epoch
report, errors and Ctrl-C). Those are the glue, by the one rule in GLUE, named on the page.
Lesson only leaves them out.
"""

import re

SECTIONS = ["1. Data", "2. Model", "3. Loss", "4. Training step", "5. Evaluation", "6. Main"]
ENGINE = "The engine"
HEADER = "Docstring and imports"
ROWS = [HEADER, ENGINE] + SECTIONS
BANNER = re.compile(r"^# -{20,}\n# (.+)\n# -{20,}\n", re.M)

# (what the page calls it, the pattern of its first line, what it covers: "line", "block" (the
# line and the lines indented under it), or "wrapper" (the line; its body is kept, one step left))
GLUE = [
    ("the shell run: common.run(main) hands the flags, errors and Ctrl-C to machinery/",
     re.compile(r'^if __name__ == "__main__":'), "block"),
]


def split_sections(text, name):
    """{row title: source text} of one level file's text; ValueError naming the file and the
    section if one of 1. Data ... 6. Main is missing or out of order."""
    banners = list(BANNER.finditer(text))
    found = [m.group(1) for m in banners if m.group(1) in SECTIONS]
    for section in SECTIONS:
        if section not in found:
            raise ValueError(f"{name}: the section \"# {section}\" is missing.")
    for i, section in enumerate(found):
        if section != SECTIONS[i]:
            raise ValueError(f"{name}: the section \"# {section}\" is out of order "
                             f"(expected \"# {SECTIONS[i]}\" there).")
    parts = {HEADER: text[:banners[0].start()]}
    for i, m in enumerate(banners):
        end = banners[i + 1].start() if i + 1 < len(banners) else len(text)
        title = m.group(1)
        if title not in SECTIONS:
            if not title.startswith(ENGINE):
                raise ValueError(f"{name}: the section \"# {title}\" is not one of "
                                 f"{', '.join(SECTIONS)} (or level 3½'s engine).")
            title = ENGINE
        parts[title] = m.group(0) + text[m.end():end]
    return {row: parts.get(row, "").rstrip("\n") for row in ROWS}


def indent(line):
    return len(line) - len(line.lstrip(" "))


def glue(lines):
    """For each line: (the GLUE rule's name or None, how many spaces the lesson view takes off)."""
    out = [(None, 0)] * len(lines)
    i = 0
    while i < len(lines):
        rule = next((r for r in GLUE if r[1].search(lines[i])), None)
        if rule is None:
            i += 1
            continue
        name, _, reach = rule
        out[i] = (name, 0)
        j = i + 1
        if reach != "line":                       # the lines indented under it
            while j < len(lines) and (not lines[j].strip() or indent(lines[j]) > indent(lines[i])):
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1
            body = [k for k in range(i + 1, j) if lines[k].strip()]
            step = min(indent(lines[k]) for k in body) - indent(lines[i]) if body else 0
            for k in range(i + 1, j):
                out[k] = (name, 0) if reach == "block" else (None, step if lines[k].strip() else 0)
        i = j
    return out


def lesson(lines):
    """The lesson view of a list of lines: [(index in `lines`, the line as shown)], glue left out,
    the body of a wrapper moved left."""
    return [(i, line[step:]) for i, (line, (rule, step)) in enumerate(zip(lines, glue(lines)))
            if rule is None]


def section_starts(text):
    """{row title: the line number (from 1) where the row's text starts in the file}."""
    starts = {row: None for row in ROWS}
    starts[HEADER] = 1
    for m in BANNER.finditer(text):
        title = m.group(1)
        title = ENGINE if title.startswith(ENGINE) else title
        if title in starts:
            starts[title] = text.count("\n", 0, m.start()) + 1
    return starts
