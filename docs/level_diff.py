"""Two level files' sections, line against line, and what each changed line is.

align() pairs the lines with Python's difflib: difflib.SequenceMatcher matches the two sections'
lines by their code (key(): comments, spacing and the RESPELLINGS set aside; a line that is only a
comment keeps its words), and equal keys face each other. Within each block of lines that differ,
the first two lines that assign the same name (z2 = ...) face each other and split the block;
failing that, the closest pair (difflib's ratio, if above 0.6) does; what is left pairs in order
only where n lines were replaced by n others, a rewrite line for line, and otherwise each line
faces blank space. The changed characters of a pair matched by its code, its name or its
closeness are found word by word (difflib again, on words and symbols); lines paired only by
their order are unlike, and marked as whole lines.

kinds() says what a changed line of the right-hand level is:
  * "" (unmarked): the same code, only its comment or its spacing differs;
  * "respelled": the same code in another library's spelling: equal once the RESPELLINGS are set
    aside;
  * "glue": a line a learner may skip (level_text.GLUE);
  * "lesson": anything else - code or words that are new, or that do something else.
A line of the left-hand level that the right one removes or replaces by other code is "gone".
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
    (re.compile(r"\.astype\("), ".to(", ".astype(dtype), NumPy's .to(dtype)"),
    (re.compile(r"\.long\(\)"), "", ".long(): torch's integer indices, which NumPy does not need"),
]


def code_part(line):
    """A line without its comment (a # inside a string is not a comment)."""
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
    return "".join(out)


def plain(line):
    """A line's code, its comment and spacing set aside, no respelling (a line that is only a
    comment keeps its words)."""
    if line.strip().startswith("#"):
        return " ".join(line.split())
    return " ".join(code_part(line).split())


def code_of(line):
    """A line without its comment and without what a respelling may change (a line that is only
    a comment keeps the comment: its words are the lesson there)."""
    if line.strip().startswith("#"):
        return " ".join(line.split())
    code = code_part(line)
    for pattern, replacement, _ in RESPELLINGS:
        code = pattern.sub(replacement, code)
    return " ".join(code.split())


key = code_of
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
CLOSE = 0.6                                    # difflib's ratio above which two lines are a pair


ASSIGNED = re.compile(r"^\s*([A-Za-z_][\w, ]*?)\s*(?:[-+*/@]?=)(?!=)")


def assigned(line):
    """The name(s) a line assigns ("z2" of "z2 = h @ W2"), or None."""
    m = ASSIGNED.match(code_part(line))
    return " ".join(m.group(1).split()) if m else None


def char_ranges(a, b):
    """The changed characters of two lines, found word by word: ([start, end) in a, in b)."""
    ta, tb = TOKEN.findall(a), TOKEN.findall(b)
    starts_a = [sum(len(t) for t in ta[:k]) for k in range(len(ta) + 1)]
    starts_b = [sum(len(t) for t in tb[:k]) for k in range(len(tb) + 1)]
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        for tokens, starts, lo, hi, out in ((ta, starts_a, i1, i2, out_a),
                                            (tb, starts_b, j1, j2, out_b)):
            words = [k for k in range(lo, hi) if tokens[k].strip()]
            if words:                          # spacing alone is not marked
                out.append([starts[words[0]], starts[words[-1] + 1]])
    return out_a, out_b


def align(left, right):
    """Rows [l, r, l_ranges, r_ranges]: l, r indices into the two lists of lines, or None for a
    blank side; the ranges mark the changed characters of a pair that differs."""
    def pair(i, j):
        return [i, j, [], []] if left[i] == right[j] else [i, j, *char_ranges(left[i], right[j])]

    def in_order(i1, i2, j1, j2):              # lines replaced by unlike lines: no characters
        n = min(i2 - i1, j2 - j1)
        return ([[i1 + k, j1 + k, [], []] for k in range(n)] +
                [[i, None, [], []] for i in range(i1 + n, i2)] +
                [[None, j, [], []] for j in range(j1 + n, j2)])

    def unpaired(i1, i2, j1, j2):
        return [[i, None, [], []] for i in range(i1, i2)] + [[None, j, [], []] for j in range(j1, j2)]

    def block(i1, i2, j1, j2):
        where = next(((i, j) for i in range(i1, i2) for j in range(j1, j2)   # the same name set
                      if assigned(left[i]) and assigned(left[i]) == assigned(right[j])), None)
        best = CLOSE - 1e-9
        for j in range(j1, j2) if where is None else ():
            for i in range(i1, i2):
                if left[i].strip() and right[j].strip():
                    ratio = difflib.SequenceMatcher(None, left[i].strip(), right[j].strip(),
                                                    autojunk=False).ratio()
                    if ratio > best:
                        best, where = ratio, (i, j)
        if where is None:                      # a block of n lines replaced by n others: in order
            return in_order(i1, i2, j1, j2) if i2 - i1 == j2 - j1 else unpaired(i1, i2, j1, j2)
        i, j = where
        return block(i1, i, j1, j) + [pair(i, j)] + block(i + 1, i2, j + 1, j2)

    rows = []
    matcher = difflib.SequenceMatcher(None, [key(line) for line in left],
                                      [key(line) for line in right], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [pair(i, j) for i, j in zip(range(i1, i2), range(j1, j2))]
        else:
            rows += block(i1, i2, j1, j2)
    return rows


def kinds(left, right, rows, right_glue):
    """(marks of the left lines: "" or "gone"; marks of the right lines: "", "lesson",
    "respelled" or "glue"). `right_glue`: level_text.glue(right)."""
    left_marks, right_marks = [""] * len(left), [""] * len(right)
    for l, r, _, _ in rows:
        a = left[l] if l is not None else None
        b = right[r] if r is not None else None
        if a == b:
            continue
        same = a is not None and b is not None and (plain(a) == plain(b) or key(a) == key(b))
        if b is not None and b.strip():
            if a is not None and plain(a) == plain(b):
                right_marks[r] = ""
            elif a is not None and key(a) == key(b):
                right_marks[r] = "respelled"
            elif right_glue[r][0]:
                right_marks[r] = "glue"
            else:
                right_marks[r] = "lesson"
        if a is not None and a.strip() and not same:
            left_marks[l] = "gone"
    return left_marks, right_marks


def lesson_lines(text):
    """A section's lines in the lesson view: (their indices in the full text, their text)."""
    kept = level_text.lesson(text.split("\n"))
    return [i for i, _ in kept], [line for _, line in kept]
