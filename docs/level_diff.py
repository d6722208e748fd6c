"""Two level files' sections, line against line, and what each changed line is.

align() pairs the lines as Python's difflib.ndiff does: equal lines on one row; a line that ndiff
writes as changed (a "-" line and a "+" line, each with its "?" guide) faces the line it replaced,
with the changed characters as ranges; any other removed or inserted line faces blank space.

kind() says what a changed line of the right-hand level is:
  * "respelled": the same code in another library's spelling: equal to the line it replaced, or to
    a line removed in the same place, once comments and the RESPELLINGS are set aside;
  * "glue": a line a learner may skip (level_text.GLUE);
  * "lesson": anything else - code that is new, or does something else.
A removed line of the left-hand level is "gone" unless the right-hand level respells it.
"""

import difflib
import re

import level_text

# What a respelling may change, each with the words the page shows for it.
RESPELLINGS = [
    (re.compile(r"\b(?:torch|np|numpy|nn|keras|tf|F)\."), "",
     "a library prefix (torch., np., nn., keras.)"),
    (re.compile(r"\.data\b|\.detach\(\)"), "",
     ".data and .detach(): the numbers inside a tensor, without its record"),
    (re.compile(r"\bTensor\(([^()]*(?:\([^()]*\))?[^()]*)\)"), r"\1",
     "Tensor(...) around data: the engine's wrapper"),
    (re.compile(r"\bzeros_like\(\w+\)"), "0", "zeros_like(z2) for the number 0"),
]


def code_of(line):
    """A line without its comment and without what a respelling may change (a line that is only
    a comment keeps the comment: its words are the lesson there)."""
    if line.strip().startswith("#"):
        return " ".join(line.split())
    in_string, quote, out = False, "", []
    for ch in line:
        if in_string:
            if ch == quote:
                in_string = False
        elif ch in "\"'":
            in_string, quote = True, ch
        elif ch == "#":
            break
        out.append(ch)
    code = "".join(out)
    for pattern, replacement, _ in RESPELLINGS:
        code = pattern.sub(replacement, code)
    return " ".join(code.split())


def ranges(guide):
    """The [start, end) runs of marked characters in an ndiff "?" guide line."""
    return [[m.start(), m.end()] for m in re.finditer(r"[-+^]+", guide[2:])]


def align(left, right):
    """Rows [l, r, l_ranges, r_ranges]: l, r indices into the two lists of lines, or None for a
    blank side; the ranges mark the changed characters of a changed pair."""
    lines = list(difflib.ndiff(left, right))
    rows, i, li, ri = [], 0, 0, 0
    while i < len(lines):
        tag = lines[i][:2]
        if tag == "  ":
            rows.append([li, ri, [], []])
            li, ri, i = li + 1, ri + 1, i + 1
        elif tag == "- ":
            # a changed pair: "- ", ["? "], "+ ", ["? "], with at least one guide
            j = i + 1
            l_guide = lines[j] if j < len(lines) and lines[j][:2] == "? " else None
            j += l_guide is not None
            if j < len(lines) and lines[j][:2] == "+ ":
                r_guide = lines[j + 1] if j + 1 < len(lines) and lines[j + 1][:2] == "? " else None
                if l_guide or r_guide:
                    rows.append([li, ri, ranges(l_guide) if l_guide else [],
                                 ranges(r_guide) if r_guide else []])
                    li, ri, i = li + 1, ri + 1, j + 1 + (r_guide is not None)
                    continue
            rows.append([li, None, [], []])
            li, i = li + 1, i + 1 + (l_guide is not None)
        elif tag == "+ ":
            rows.append([None, ri, [], []])
            ri, i = ri + 1, i + 1 + (i + 1 < len(lines) and lines[i + 1][:2] == "? ")
        else:                                     # a "? " guide of a line not paired above
            i += 1
    return rows


def kinds(left, right, rows, right_glue):
    """(marks of the left lines: "" or "gone"; marks of the right lines: "", "lesson",
    "respelled" or "glue"). `right_glue`: level_text.glue(right)."""
    left_marks, right_marks = [""] * len(left), [""] * len(right)
    k = 0
    while k < len(rows):                          # one hunk: a run of rows that are not equal
        if rows[k][0] is not None and rows[k][1] is not None and left[rows[k][0]] == right[rows[k][1]]:
            k += 1
            continue
        end = k
        while end < len(rows) and not (rows[end][0] is not None and rows[end][1] is not None
                                       and left[rows[end][0]] == right[rows[end][1]]):
            end += 1
        hunk = rows[k:end]
        old = {code_of(left[l]) for l, _, _, _ in hunk if l is not None and code_of(left[l])}
        new = {code_of(right[r]) for _, r, _, _ in hunk if r is not None and code_of(right[r])}
        for l, r, _, _ in hunk:
            if r is not None and right[r].strip():
                code = code_of(right[r])
                paired = code_of(left[l]) if l is not None else None
                if code == paired or (code and code in old):
                    right_marks[r] = "respelled"
                elif right_glue[r][0]:
                    right_marks[r] = "glue"
                else:
                    right_marks[r] = "lesson"
            if l is not None and left[l].strip():
                code = code_of(left[l])
                paired = code_of(right[r]) if r is not None else None
                respelled = code == paired or (code and code in new)
                left_marks[l] = "" if respelled else "gone"
        k = end
    return left_marks, right_marks


def lesson_lines(text):
    """A section's lines in the lesson view: (their indices in the full text, their text)."""
    kept = level_text.lesson(text.split("\n"))
    return [i for i, _ in kept], [line for _, line in kept]
