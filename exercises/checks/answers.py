"""The written answers: which questions of answers_N.md are still empty. Nothing here grades them.

The hand-out's exercises/starters/answers_N.md holds exercise N's questions, each a line
"## k. question", with the line "_(your answer)_" under it to replace; the teacher's
exercises/solutions/answers_N.md holds the same questions with model answers. An answer is empty
when nothing but that line, blank lines or HTML comments stands under its question.
"""

import os
import re

PLACEHOLDER = "_(your answer)_"
QUESTION = re.compile(r"^## +(\d+)\. +(.*)$", re.M)
COMMENT = re.compile(r"<!--.*?-->", re.S)


def file_of(folder, number):
    return os.path.join(folder, f"answers_{number}.md")


def empty_questions(text):
    """(the questions' numbers, those still empty) of an answers file's text."""
    found = list(QUESTION.finditer(text))
    numbers, empty = [], []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        body = COMMENT.sub("", text[m.end():end]).replace(PLACEHOLDER, "")
        numbers.append(int(m.group(1)))
        if not body.strip():
            empty.append(int(m.group(1)))
    return numbers, empty


def status(folder, number):
    """(answered, total, words) for answers_N.md in the folder; total is None when there is no
    such file or it holds no question to count. The words say so, for a line of the report."""
    path = file_of(folder, number)
    name = os.path.basename(path)
    if not os.path.isfile(path):
        return 0, None, (f"{name} is not there: the hand-out has one beside exercise_{number}.py, "
                         f"with the questions to answer in writing")
    try:
        with open(path, encoding="utf-8") as f:
            numbers, empty = empty_questions(f.read())
    except (OSError, UnicodeDecodeError) as e:
        return 0, None, f"{name} cannot be read: {e}"
    if not numbers:
        return 0, None, f"{name} holds no question (a line \"## 1. ...\"): nothing to count"
    done, questions = len(numbers) - len(empty), "question" if len(numbers) == 1 else "questions"
    if not empty:
        every = "its question" if len(numbers) == 1 else f"all {len(numbers)} questions"
        return done, len(numbers), f"{name}: {every} answered"
    still = ", ".join(map(str, empty))
    return done, len(numbers), (f"{name}: {done} of {len(numbers)} {questions} answered; still "
                                f"empty: {still}")

