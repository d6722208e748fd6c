"""The exercises (EXERCISES.md) and their checker, exercises/check.py.

The checker fails every starter with "not written yet", passes every solution, names the first
wrong quantity of a broken gradient, and keeps checking the other exercises when one file does
not load. Most of it runs in this process (the checker's main() returns its exit code); Keras runs
in processes of its own, as the checker starts them. No MNIST is needed.
"""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

import level4_numpy
from conftest import ROOT
from exercises import check, helpers
from exercises.checks import core
from exercises.checks import exact as references

STARTERS = os.path.join(ROOT, "exercises", "starters")
SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")
NUMBERS = range(1, 12)


def run_checker(*args, cwd=ROOT):
    """The checker as a user runs it: python -m exercises.check ..."""
    return subprocess.run([sys.executable, "-m", "exercises.check", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def checked(capsys, *args):
    """The checker in this process: (exit code, what it printed)."""
    code = check.main([str(a) for a in args])
    return code, capsys.readouterr().out


def section(out, number):
    """The lines the checker printed for one exercise."""
    m = re.search(rf"^Exercise {number}: .*?(?=^Exercise {number}: )", out, re.S | re.M)
    assert m, out
    return m.group(0) + re.search(rf"^Exercise {number}: (all passed|.* passed)\.$", out,
                                  re.M).group(0)


def functions_of(path):
    """The functions (and Class.method) that a starter asks for."""
    with open(path) as f:
        return sorted(core.unwritten_functions(ast.parse(f.read())))


# ---------------------------------------------------------------------------------------------
# The starters
# ---------------------------------------------------------------------------------------------
def test_exercise_starters_all_fail_not_written_yet():
    done = run_checker("all")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and done.stderr == "", done.stderr
    assert not re.search(r"^  passed", done.stdout, re.M), done.stdout
    assert f"0 of {len(NUMBERS)} exercises pass" in done.stdout
    assert "The whole stack" not in done.stdout
    for number in NUMBERS:
        text = section(done.stdout, number)
        names = functions_of(os.path.join(STARTERS, f"exercise_{number}.py"))
        assert names, number
        for name in names:                                 # every function, in words
            assert f"`{name}` not written yet" in text, (number, name, text)
        for line in re.findall(r"^  FAILED.*$", text, re.M):
            assert "not written yet" in line, line


@pytest.mark.parametrize("number", NUMBERS)
def test_exercise_starter_has_every_function_documented(number):
    """Each starter function has a docstring that says what it returns; the body raises. Code
    a starter gives (a function, a class or a method whose docstring says "(given)", and the
    methods of such a class) is whole, and says so."""
    path = os.path.join(STARTERS, f"exercise_{number}.py")
    with open(path) as f:
        tree = ast.parse(f.read())
    assert ast.get_docstring(tree) and f"python -m exercises.check {number}" in \
        ast.get_docstring(tree)
    given = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
             and "(given" in (ast.get_docstring(n) or "")]
    inside_given = {id(m) for c in given for m in ast.walk(c)
                    if isinstance(m, ast.FunctionDef) and m is not c}
    defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
            and n not in given and id(n) not in inside_given]
    assert defs and all(core.is_unwritten(n) for n in defs), number
    assert not any(core.is_unwritten(n) for n in given), number
    for node in defs:
        doc = ast.get_docstring(node)
        assert doc and re.search(r"[Rr]eturn", doc), (number, node.name)


# ---------------------------------------------------------------------------------------------
# The solutions pass, one exercise at a time (so that the test workers share them); 9, 10 and 11
# in the whole stack's test below
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", [n for n in NUMBERS if n not in (9, 10, 11)])
def test_exercise_solution_passes_its_check(capsys, number):
    code, out = checked(capsys, number, "--solutions", SOLUTIONS)
    assert code == 0 and "FAILED" not in out, out
    assert f"Exercise {number}: all passed." in out


@pytest.mark.parametrize("number", NUMBERS)
def test_exercise_solution_has_its_answers(number):
    with open(os.path.join(SOLUTIONS, f"answers_{number}.md"), encoding="utf-8") as f:
        answers = f.read()
    assert f"# Exercise {number}: answers" in answers and len(answers) > 800
    with open(os.path.join(SOLUTIONS, f"exercise_{number}.py")) as f:
        solution = f.read()
    assert "def main(" in solution and f"answers_{number}.md" in solution
    assert not re.search(r"^\s*raise NotImplementedError", solution, re.M)
    assert functions_of(os.path.join(STARTERS, f"exercise_{number}.py"))
    for name in functions_of(os.path.join(STARTERS, f"exercise_{number}.py")):
        assert re.search(rf"^\s*def {name.split('.')[-1]}\(", solution, re.M), name


# ---------------------------------------------------------------------------------------------
# Broken versions: the first wrong quantity is named
# ---------------------------------------------------------------------------------------------
BROKEN_MSE = {
    "dz2": ("dz2 = 2 * (a - y) / n", "without a(1 - a)"),
    "dz1": ("dz1 = dh", "without 1 - h^2"),
    "db2": ("db2 = 0.5 * dz2.sum(axis=0)", "half of db2"),
}


def broken_gradients_mse(dz2, dz1, db2):
    return f'''

def gradients_mse(x, y, params, h, a):      # broken on purpose, below the solution's
    n = y.size
    {dz2}
    dW2 = h.T @ dz2
    {db2}
    dh = dz2 @ params["W2"].T
    {dz1}
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {{"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}}
'''


@pytest.mark.parametrize("wrong", list(BROKEN_MSE))
def test_exercise_1_broken_gradient_names_the_first_wrong_quantity(capsys, tmp_path, wrong):
    lines = {"dz2": "dz2 = 2 * (a - y) * a * (1 - a) / n", "dz1": "dz1 = dh * (1 - h * h)",
             "db2": "db2 = dz2.sum(axis=0)"}
    lines[wrong] = BROKEN_MSE[wrong][0]
    with open(os.path.join(SOLUTIONS, "exercise_1.py")) as f:
        source = f.read()
    (tmp_path / "exercise_1.py").write_text(source + broken_gradients_mse(**lines))
    code, out = checked(capsys, 1, "--solutions", tmp_path, "--seed", 5)
    assert code == 1
    line = next(l for l in out.splitlines() if "gradients_mse against autograd" in l)
    assert line.startswith("  FAILED"), line
    table = out[out.index(line):].splitlines()[1:9]
    marked = [row.split()[0] for row in table if row.endswith("<- first wrong")]
    assert marked == [wrong], table
    if wrong == "dz2":
        assert "dz2 is the first wrong quantity in the chain; dW2, db2, dh, dz1, dW1, db1 " \
               "below it inherit its error" in line
    if wrong == "dz1":
        assert "dz1 is the first wrong quantity in the chain; dW1, db1 below it" in line
    if wrong == "db2":
        assert "`dL/db2` off by a factor of 2 (yours is smaller): relative error 0.5" in line
        assert "computed from dz2, which is right" in line
    assert "Traceback" not in out


def test_exercise_7_style_break_in_another_exercise_names_dz1(capsys, tmp_path):
    """Exercise 7's first mistake, made in exercise 2's ReLU network: dz1 named."""
    with open(os.path.join(SOLUTIONS, "exercise_2.py")) as f:
        source = f.read()
    broken = source.replace("dz1 = dh * relu_slope", "dz1 = dh")
    assert broken != source
    (tmp_path / "exercise_2.py").write_text(broken)
    code, out = checked(capsys, 2, "--solutions", tmp_path)
    line = next(l for l in out.splitlines() if "gradients_relu against autograd" in l)
    assert code == 1 and line.startswith("  FAILED") and "`dL/dz1`" in line, line
    assert "dz1 is the first wrong quantity in the chain" in line


def test_exercise_checker_reports_a_crash_in_one_line_with_its_place(capsys, tmp_path):
    with open(os.path.join(SOLUTIONS, "exercise_6.py")) as f:
        source = f.read()
    broken = source.replace('grads[f"W{l}"] = hs[l - 1].T @ dz', 'grads[f"W{l}"] = hs[l - 1] @ dz')
    assert broken != source
    (tmp_path / "exercise_6.py").write_text(broken)
    code, out = checked(capsys, 6, "--solutions", tmp_path)
    assert code == 1 and "Traceback" not in out
    assert re.search(r"FAILED  gradients against autograd .*: `gradients` raised ValueError: "
                     r"matmul: .*\(exercise_6\.py, line \d+, in gradients\)", out), out


# ---------------------------------------------------------------------------------------------
# One broken file never stops another exercise
# ---------------------------------------------------------------------------------------------
def test_exercise_file_that_does_not_load_leaves_the_others_checkable(tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(STARTERS, folder)
    shutil.copy(os.path.join(SOLUTIONS, "exercise_1.py"), folder)           # written
    (folder / "exercise_3.py").write_text("def softmax(z2)\n    return z2\n")  # syntax error
    (folder / "exercise_4.py").write_text("import no_such_module\n")          # import error
    (folder / "exercise_6.py").unlink()                                       # missing
    done = run_checker("all", "--solutions", folder)
    out = done.stdout
    assert done.returncode == 1 and done.stderr == "" and "Traceback" not in out, done.stderr
    assert "Exercise 1: all passed." in out
    assert re.search(r"^  FAILED  exercise_3\.py has a syntax error, line 1: ", out, re.M), out
    assert re.search(r"^  FAILED  exercise_4\.py does not load: .*ModuleNotFoundError: No module "
                     r"named 'no_such_module'", out, re.M), out
    assert re.search(r"^  FAILED  .*exercise_6\.py does not exist", out, re.M), out
    for number in (2, 5, 7, 8):                              # still checked, one by one
        assert "not written yet" in section(out, number)
    assert "1 of 11 exercises pass; not yet: 2, 3, 4, 5, 6, 7, 8, 9, 10, 11." in out


def test_exercise_checker_refuses_a_bad_command_line():
    for args in (["12"], ["1", "--solutions", "/no/such/folder"], []):
        done = run_checker(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("python -m exercises.check: error")


def test_exercise_starter_run_as_a_script_checks_itself(tmp_path):
    """A starter runs from anywhere: its first lines find the project folder."""
    done = subprocess.run([sys.executable, os.path.join(STARTERS, "exercise_4.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "`loss_sum` not written yet" in done.stdout


# ---------------------------------------------------------------------------------------------
# helpers.py, and the snippet of EXERCISES.md
# ---------------------------------------------------------------------------------------------
def test_exercise_helpers_autograd_and_the_table_agree_with_level_4():
    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    mine = level4_numpy.gradients(x, y, params, h, a)
    exact = references.exact_gradients(x, y, params)
    rows, first = helpers.compare_gradients(mine, exact)
    assert first is None and [r.name for r in rows] == ["W2", "b2", "W1", "b1"]
    assert all(r.relative <= 1e-12 for r in rows)
    wrong = {**mine, "W1": mine["W1"].T}
    rows, first = helpers.compare_gradients(wrong, exact)
    assert first.name == "W1" and "the transpose of the expected (784, 7)" in first.words
    assert "<- first wrong" in helpers.gradient_table(rows)
    assert helpers.in_words(-mine["b1"], mine["b1"]) == "with the wrong sign"
    assert helpers.in_words(3 * mine["b1"], mine["b1"]).startswith("off by a factor of 3")
    assert helpers.in_words(mine["b1"] + 1, mine["b1"]) == ""


def test_exercise_snippet_of_exercises_md_runs_with_a_solution():
    """The autograd snippet of EXERCISES.md runs as printed, on the solution of exercise 1."""
    with open(os.path.join(ROOT, "EXERCISES.md"), encoding="utf-8") as f:
        snippet = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    snippet = snippet.replace("exercises.starters import", "exercises.solutions import")
    done = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "quantity" in done.stdout and "NO" not in done.stdout and "'W1':" in done.stdout


@pytest.mark.parametrize("number", [1, 2, 3, 4, 6, 7, 9, 10, 11])
def test_exercise_solution_script_prints_its_figures(mnist_dir, tmp_path, number):
    """A solution's main() runs as EXERCISES.md says, here on small generated MNIST files."""
    done = subprocess.run([sys.executable, os.path.join(SOLUTIONS, f"exercise_{number}.py"),
                           "--data-dir", mnist_dir, "--limit", "300", "--epochs", "1"]
                          + (["--hidden", "8"] if number != 7 else []),
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert re.search(r"accuracy|largest \|dW\||smallest val_loss", done.stdout), done.stdout
    if number in (1, 2, 3, 6):                               # its gradient check passes
        errors = [float(e) for e in re.findall(r"\b[Wb][123] (\d\.\de[-+]\d+)", done.stdout)]
        assert len(errors) >= 4 and max(errors) <= 1e-6, done.stdout


def test_exercise_11_starter_trains_on_mnist_once_written(mnist_dir, tmp_path):
    """With flags, the starter of Exercise 11 runs its given main(): unwritten, one line that
    says so and exit code 1; given the solution's Model, the epochs, then where it stopped."""
    args = ["--data-dir", mnist_dir, "--limit", "300", "--epochs", "30", "--hidden", "8",
            "--images", "40", "--patience", "0"]
    done = subprocess.run([sys.executable, os.path.join(STARTERS, "exercise_11.py"), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "not all written yet: python -m exercises.check 11" in done.stderr, done.stderr
    with open(os.path.join(STARTERS, "exercise_11.py")) as f:
        starter = f.read()
    with open(os.path.join(SOLUTIONS, "exercise_11.py")) as f:
        solution = f.read()
    pieces = solution[solution.index("class History"):solution.index("def main(")]
    written = tmp_path / "exercise_11.py"
    written.write_text(starter[:starter.index("class History")] + pieces
                       + starter[starter.index("def main("):])
    done = subprocess.run([sys.executable, str(written), *args], cwd=ROOT,   # finds the project
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^epoch   1: loss .*\n(?:.*\n)*(?:stopped after epoch \d+ of|ran all) 30 "
                     r"epochs\. The smallest val_loss", done.stdout, re.M), done.stdout


def test_exercise_whole_stack_trains_on_the_students_own_framework(capsys, tmp_path):
    """Exercises 9, 10 and 11 pass: the last line trains the three together, and its weights end
    at rounding level from Keras's, PyTorch's and level 4's. 9 and 10 not started: left out,
    and the same on level 3½'s engine and model, said so. 11 failing: no such line."""
    code, out = checked(capsys, "stack", "--solutions", SOLUTIONS)
    for number in (9, 10, 11):                             # each solution passes its check
        assert f"Exercise {number}: all passed." in out, out
    assert "FAILED" not in out, out
    last = out.strip().splitlines()[-1]
    m = re.search(r"end ([\d.e+-]+) from Keras's fit\(\), ([\d.e+-]+) from PyTorch's \(level 2\), "
                  r"([\d.e+-]+) from level 4\.$", last)
    assert code == 0 and last.startswith("The whole stack - your fit() (11)") and m, out
    assert all(float(v) <= 1e-12 for v in m.groups()), last
    moved = float(re.search(r"moved up to ([\d.]+)", last).group(1))
    assert moved > 0.05, last                              # it trained
    for n in (9, 10):                                          # neither 9 nor 10 started:
        shutil.copy(os.path.join(STARTERS, f"exercise_{n}.py"), tmp_path)   # both left out,
    shutil.copy(os.path.join(SOLUTIONS, "exercise_11.py"), tmp_path)       # level 3½ stands in
    seed = re.search(r"--seed (\d+)", out).group(1)       # the same data: Keras's reference
    code, out = checked(capsys, "stack", "--solutions", tmp_path, "--seed", seed)   # is kept
    last = out.strip().splitlines()[-1]
    assert code == 0 and "Exercise 9 not started" in out and "Exercise 10 not started" in out
    assert "Exercise 11: all passed." in out, out
    assert last.startswith("The whole stack - your fit() (11) on level 3½'s forward() and update "
                           "(Exercise 10 left out or not passing) on level 3½'s engine (Exercise 9 "
                           "left out or not passing)"), last
    m = re.search(r"end ([\d.e+-]+) from Keras's fit\(\), ([\d.e+-]+) from PyTorch's", last)
    assert m and all(float(v) <= 1e-12 for v in m.groups()), last
    with open(os.path.join(SOLUTIONS, "exercise_11.py")) as f:
        source = f.read()
    broken = source.replace("self.optimizer.step()", "None")     # fit() that never steps
    assert broken != source
    (tmp_path / "exercise_11.py").write_text(broken)
    code, out = checked(capsys, "stack", "--solutions", tmp_path, "--seed", seed)
    assert code == 1 and "The whole stack -" not in out and "Exercise 11: all passed" not in out
    assert out.rstrip().endswith("The whole stack trains once Exercise 11 passes: on your engine "
                                 "(9) and your pieces (10) where they pass, else on level 3½'s.")


def test_exercise_table_of_the_teachers_page_counts_what_it_says():
    """docs/teaching.md: functions to write, checks and questions as the starters, the checker
    and the answer templates have them; every exercise a row; the weights sum to 100%."""
    from exercises.checks import answers
    from exercises.grade import count_checks
    with open(os.path.join(ROOT, "docs", "teaching.md"), encoding="utf-8") as f:
        rows = re.findall(r"^\| (\d+) \|.*\| (\d+) \| (\d+) \| (\d+) \| [\d.]+ h \| (\d+)% \|$",
                          f.read(), re.M)
    assert [int(r[0]) for r in rows] == list(NUMBERS)
    checks = count_checks(list(NUMBERS))
    for number, functions, n_checks, questions, weight in rows:
        n = int(number)
        assert int(functions) == len(functions_of(os.path.join(STARTERS, f"exercise_{n}.py")))
        with open(answers.file_of(STARTERS, n), encoding="utf-8") as f:
            assert int(questions) == len(answers.empty_questions(f.read())[0]), n
        assert int(n_checks) == checks[n], n
    assert sum(int(r[4]) for r in rows) == 100
