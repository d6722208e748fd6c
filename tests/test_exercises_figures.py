"""The figures of EXERCISES.md come from the solution scripts, run as EXERCISES.md says.

Each "Measured with the solution on real MNIST" paragraph names a command (in the teacher's
block below it). The cheap ones (seconds each) run here on real MNIST (MNIST_DIR) and every
figure they print is looked for in the exercise's section, in the form the page gives it. Test
accuracies of float32 trainings may differ by a few hundredths of a point on another CPU (its
BLAS adds in another order), as the page says: those are compared within 0.1 of a point; a
difference of rounding size (at most 1e-12) matches any other.
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")
NUMBER = r"[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?"
TOLERANCE = 0.1                                 # points of test accuracy, float32 only
ROUNDING = 1e-12                                # below this, a difference is rounding: its
                                                # digits change with the machine and its threads

# (exercise, the command's arguments after --data-dir, [(what to read from the output, how
# the page gives it)]). In a form, {} is a number read from the output, compared as printed;
# {~} one compared within TOLERANCE; {_} any text. A form of None: the output line itself.
FIGURES = [
    (1, [], [
        (r"BCE: first \|dL/db2\[0\]\| (\S+); steps [^:]*: (\d+); test accuracy after 2 epochs "
         r"(\S+)%", "| BCE | {} | {} | {}% |"),
        (r"MSE: first \|dL/db2\[0\]\| (\S+); steps [^:]*: (\d+); test accuracy after 2 epochs "
         r"(\S+)%", "| MSE | {} ({_}) | {} | {}% |"),
    ]),
    (3, [], [(r"lr 0.1, 2 epochs: test accuracy (\S+)%", "test accuracy {~}% at lr 0.1")]),
    (3, ["--lr", "0.5"], [(r"lr 0.5, 2 epochs: test accuracy (\S+)%", ", {~}% at lr 0.5")]),
    (3, ["--keras-trap", "--limit", "1500", "--batch-size", "50", "--hidden", "24",
         "--dtype", "float64", "--no-shuffle"],
     [(r"^(?:Keras|  softmax|  cross|largest).*", None)]),
    (4, [], [(r"^(?:level [34],|Adam ).*", None)]),
    (6, [], [(r"epoch 1: .*test accuracy (\S+)%\nepoch 2: .*test accuracy (\S+)%",
              "test accuracy {~}% after one epoch and {~}% after two")]),
    (7, [], [(r"^ +(?:correct|without|dL/dz2).*", None)]),
    (8, [], [(r"with Keras's own train_step:\nepoch 1/2 +train loss (\S+) .*test acc +(\S+)%.*\n"
              r"epoch 2/2 +train loss (\S+) .*test acc +(\S+)%",
              "epoch 1: train loss {}, test accuracy {}%; epoch 2: train loss {}, "
              "test accuracy {}%"),
             (r"^largest \|dW\| between the two.*", None)]),
    (9, [], [(r"^(?:level 3½|this engine).*", None)]),
    (10, [], [(r"^level 2's train_step.*", None)]),
    (11, [], [(r"^(?:your fit\(\)|epoch +1:|stopped|ran all).*", None),
              (r"^epoch.*(?=(?:\n.*){0,3}\nstopped)", None)]),      # the last four epochs
]


def section(number):
    """Exercise `number`'s section of EXERCISES.md, the teacher's blocks included, its
    whitespace and Markdown's backslashes before | undone."""
    with open(os.path.join(ROOT, "EXERCISES.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(rf"^## Exercise {number}:.*?(?=^## |\Z)", text, re.S | re.M)
    return " ".join(m.group(0).replace("\\|", "|").split())


def found_in(page, form, values, tolerant):
    """Whether `form`, filled with `values`, stands on the page; the reason if not."""
    pattern, kinds = "", []
    for part in re.split(r"(\{~?\}|\{_\})", " ".join(form.split())):
        if part in ("{}", "{~}"):
            pattern += f"({NUMBER})"
            kinds.append(part == "{~}" or tolerant)
        elif part == "{_}":
            pattern += ".*?"
        else:
            pattern += re.escape(part)
    misses = []
    for m in re.finditer(pattern, page):
        quoted = m.groups()
        bad = [(q, v) for q, v, loose in zip(quoted, values, kinds) if not (
            q == v or loose and abs(float(q.replace(",", "")) - float(v)) <= TOLERANCE
            or rounding(q) and rounding(v))]
        if not bad:
            return None
        misses.append(bad)
    return f"the page has {form!r} with (page, run) {misses}" if misses else \
        f"the page has no {form!r}"


def rounding(text):
    """Whether a printed figure is a difference of rounding size (0 < |x| <= ROUNDING)."""
    try:
        return 0 < abs(float(text.replace(",", ""))) <= ROUNDING
    except ValueError:
        return False


def line_form(line):
    """An output line as a form: its numbers become {} (a percentage {~}: it may be a float32
    accuracy), the rest stays."""
    form, values = "", []
    for part in re.split(rf"({NUMBER}%?)", line.strip()):
        if re.fullmatch(rf"{NUMBER}%?", part):
            form += "{~}%" if part.endswith("%") else "{}"
            values.append(part.rstrip("%"))
        else:
            form += part
    return form, values


@pytest.mark.parametrize("number,args,figures", FIGURES,
                         ids=[f"{n}{'-' + a[0].lstrip('-') if a else ''}" for n, a, _ in FIGURES])
def test_exercise_figures_are_the_solutions_output(real_mnist, tmp_path, number, args, figures):
    # one BLAS thread: the tests run side by side, and threads waiting on each other's busy
    # cores slow a run many times (the figures themselves are those of any thread count)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, os.path.join(SOLUTIONS, f"exercise_{number}.py"),
                           "--data-dir", real_mnist, *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    page = section(number)
    tolerant = "float64" not in " ".join(args) and number in (3, 6, 7)   # float32 trainings
    problems = []
    for read, form in figures:
        matches = list(re.finditer(read, done.stdout, re.M))
        assert matches, (read, done.stdout)
        for m in matches:
            if form is None:
                line, values = line_form(m.group(0))
                problem = found_in(page, line if tolerant else line.replace("{~}", "{}"),
                                   values, False)
            else:
                problem = found_in(page, form, m.groups(), False)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_a_changed_figure_is_caught():
    """The comparison fails when the page's figure is not the run's (here: one digit)."""
    page = section(1)
    assert found_in(page, "| BCE | {} | {} | {}% |", ("9.35e-02", "2", "95.63"), False) is None
    assert found_in(page, "| BCE | {} | {} | {}% |", ("9.35e-02", "2", "95.64"), False)
    assert found_in(section(6), "test accuracy {~}% after one epoch", ("94.99",), False) is None
    assert found_in(section(6), "test accuracy {~}% after one epoch", ("95.10",), False)
    assert found_in(section(10), "largest |dW| {}", ("1.11e-16",), False) is None
    assert found_in(section(10), "largest |dW| {}", ("1.11e-06",), False)
