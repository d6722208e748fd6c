"""The checker's second pass: "learns" fails a wrong step (Exercises 1 and 7), the chain report
marks follow-on failures, Exercise 6 names the layer where an error enters, and the written
answers still empty are said. Each test checks one exercise, in this process. (Exercises 9 to
11, which rebuild the frameworks' pieces: tests/test_exercises_rebuild.py and
tests/test_exercises_fit.py.)"""

import os
import re

import numpy as np

import level4_numpy
from exercises.checks import ex7
from exercises.checks.core import one_thread
from exercises.checks.exact import accuracy_on_test, hard_data, start_params, train
from planted import SOLUTIONS, STARTERS, checked, line_of, solution


def test_exercise_1_wrong_gradient_fails_learns_and_later_checks_are_follow_ons(capsys, tmp_path):
    broken = solution(1).replace("dz1 = dh * (1 - h * h)", "dz1 = dh")
    assert broken != solution(1)
    (tmp_path / "exercise_1.py").write_text(broken)
    code, out = checked(capsys, 1, tmp_path)
    assert code == 1 and "Traceback" not in out
    first = line_of(out, "  FAILED  gradients_mse against autograd")
    assert "dz1 is the first wrong quantity" in first and "follow-on" not in first
    table = out[out.index(first):].splitlines()[1:9]
    marks = {row.split()[0]: row.split("<- ")[-1] for row in table if "<-" in row}
    assert marks == {"dz1": "first wrong", "dW1": "follows from dz1",
                     "db1": "follows from dz1"}, table
    learns = line_of(out, "  FAILED  train_step_mse learns as the exact MSE step does")
    assert re.search(r"your step reaches a test accuracy of [\d.]+%, the exact step [\d.]+%",
                     learns), learns
    for start in ("  FAILED  train_step_mse, and STEPS", "  FAILED  train_step_mse learns",
                  "  FAILED  the confidently wrong start"):
        assert ('follow-on of the check "gradients_mse against autograd and finite differences", '
                'which failed above: this check uses `gradients_mse` too') in line_of(out, start)
    assert line_of(out, "  passed  confidently_wrong_start")     # unrelated: still passes


def test_exercise_1_learns_passes_the_right_step_only_within_a_point(capsys, tmp_path):
    """A step whose gradient is right but whose update is off fails learns too, on its own."""
    broken = solution(1).replace('p -= lr * grads[name]', 'p -= 0.5 * lr * grads[name]')
    assert broken != solution(1)
    (tmp_path / "exercise_1.py").write_text(broken)
    code, out = checked(capsys, 1, tmp_path)
    assert line_of(out, "  passed  gradients_mse against autograd")
    assert line_of(out, "  FAILED  train_step_mse, and STEPS")
    assert "your step reaches" in line_of(out, "  FAILED  train_step_mse learns")


def test_exercise_7_step_that_ignores_its_gradients_fails_learns(capsys, tmp_path):
    (tmp_path / "exercise_7.py").write_text(solution(7) + '''

def train_step_with(gradients):             # wrong: level 4's step, whatever gradients() is
    return level4_numpy.train_step
''')
    code, out = checked(capsys, 7, tmp_path)
    line = line_of(out, "  FAILED  train_step_with")
    assert "the mistake itself" in line and "gradients_without_tanh_derivative" in line, line
    assert code == 1 and out.count("  passed") == 5


def test_exercise_7_shows_its_effect_on_the_checkers_data():
    """On the learns data, both mistakes cost accuracy, and neither falls to guessing."""
    data = hard_data(600, 300, seed=11)
    found = {}
    with one_thread():                         # as the checker runs it
        for mistake in (None, "no tanh'", "W2 not transposed"):
            params = train(ex7.mistaken_step(mistake), start_params(10, 0), data, 1.0, 3,
                           shuffle=False)
            found[mistake] = accuracy_on_test(level4_numpy.forward(data[1][0], params)[2], data)
    assert found[None] - found["no tanh'"] > 0.2 and found[None] - found["W2 not transposed"] > 0.05
    assert min(found.values()) > 0.3, found


def test_exercise_6_names_the_layer_where_the_error_enters(capsys, tmp_path):
    source = solution(6)
    broken = source.replace("dz = dh * (1 - hs[l - 1] ** 2)", "dz = dh")
    assert broken != source
    (tmp_path / "exercise_6.py").write_text(broken)
    code, out = checked(capsys, 6, tmp_path)
    line = line_of(out, "  FAILED  gradients against autograd")
    assert "`dL/dz2`" in line and "The error enters at layer 2" in line, line
    table = out[out.index(line):].splitlines()[1:10]
    assert [row.split()[0] for row in table] == ["quantity", "dz3", "dW3", "db3", "dz2", "dW2",
                                                 "db2", "dz1", "dW1"]
    assert table[4].endswith("<- first wrong") and table[5].endswith("<- follows from dz2")
    assert table[7].endswith("<- wrong in its own line too")


def test_exercise_checker_says_which_written_answers_are_empty(capsys, tmp_path):
    with open(os.path.join(STARTERS, "answers_4.md"), encoding="utf-8") as f:
        template = f.read()
    first = re.search(r"^## 1\..*$", template, re.M).group(0)
    (tmp_path / "answers_4.md").write_text(template.replace(
        first + "\n\n_(your answer)_", first + "\n\nBecause the loss is ten times larger.", 1))
    code, out = checked(capsys, 4, tmp_path)
    assert "  note    answers_4.md: 1 of 3 questions answered; still empty: 2, 3 (not graded" in out
    assert "exercise_4.py does not exist" in out and code == 1
    code, out = checked(capsys, 4, SOLUTIONS)
    assert "  note    answers_4.md: all 3 questions answered" in out and code == 0


def test_exercise_4_loss_that_overflows_for_large_z2_fails(capsys, tmp_path):
    """log(1 + e^z2) is right on the check batch and infinite with z2 in the thousands."""
    broken = solution(4).replace("torch.logaddexp(torch.zeros_like(z2), z2)",
                                 "torch.log(1 + torch.exp(z2))")
    assert broken != solution(4)
    (tmp_path / "exercise_4.py").write_text(broken)
    code, out = checked(capsys, 4, tmp_path)
    line = line_of(out, "  FAILED  loss_sum")
    assert "gave inf for z2 1000 times the check batch's" in line and "logaddexp" in line, line
    assert code == 1


def test_exercise_4_adam_given_sgds_factor_fails(capsys, tmp_path):
    """lr / 10 for Adam, as for SGD: Adam's lockstep fails, and its message points at m and v."""
    broken = solution(4).replace("alike, so it cancels, all but its share of eps (the summed run has, "
                                 "in effect, eps / 10).\"\"\"\n    return lr\n",
                                 "alike.\"\"\"\n    return lr / 10\n")
    assert broken != solution(4)
    (tmp_path / "exercise_4.py").write_text(broken)
    code, out = checked(capsys, 4, tmp_path)
    assert re.search(r"^  passed  same_steps_lr: ", out, re.M), out
    line = line_of(out, "  FAILED  same_steps_lr_adam")
    assert "Adam on L_sum at lr 0.001 ends" in line and "m and to sqrt(v)" in line, line
    assert code == 1


def test_exercise_5_step_ten_times_too_large_and_its_follow_on(capsys, tmp_path):
    """A step ten times too large: train_step_momentum's check says so (relative error 9); the
    lockstep that uses it is a follow-on, and says what it saw without advice of its own."""
    broken = solution(5).replace("p -= lr * velocity[name]", "p -= 10 * lr * velocity[name]")
    assert broken != solution(5)
    (tmp_path / "exercise_5.py").write_text(broken)
    code, out = checked(capsys, 5, tmp_path)
    assert "relative error 9" in line_of(out, "  FAILED  train_step_momentum (level 4)")
    line = line_of(out, "  FAILED  keras_momentum, and levels 4, 3, 2 in lockstep")
    assert 'follow-on of the check "train_step_momentum"' in line, line
    assert re.search(r"\(here: level 4 ends [\d.e+-]+ from momentum's definition", line), line
    assert "Your weights moved" not in line, line          # the lockstep's advice: not here
    assert code == 1


def test_how_they_moved_says_the_direction():
    """The lockstep's words for a gap: ten times the steps, a tenth, or as far another way."""
    from exercises.checks.core import how_they_moved
    rng = np.random.default_rng(0)
    start = {"W": rng.normal(size=(4, 3)), "b": np.zeros(3)}
    step = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    exact = {k: start[k] + step[k] for k in start}
    scaled = {k: start[k] + 10 * step[k] for k in start}
    said = how_they_moved(scaled, exact, start, "level 4's")
    assert re.search(r"moved 10 times as far from the start as level 4's, at cosine 1.000 to "
                     r"them: larger steps", said), said
    said = how_they_moved({k: start[k] + step[k] / 10 for k in start}, exact, start, "level 4's")
    assert "moved 0.1 times as far" in said and "smaller steps" in said, said
    other = {"W": start["W"] - step["W"], "b": start["b"] + step["b"]}
    said = how_they_moved(other, exact, start, "level 4's")
    assert "as far, another way" in said, said
    assert how_they_moved(start, exact, start, "level 4's") == "Your weights did not move from the start"


def test_exercise_3_keras_part_without_set_floatx_fails(capsys, tmp_path):
    """The docstring asks for keras.config.set_floatx(start's dtype): without it, it fails."""
    broken = solution(3).replace('    keras.config.set_floatx(str(start["W1"].dtype))\n', "")
    assert broken != solution(3)
    (tmp_path / "exercise_3.py").write_text(broken)
    code, out = checked(capsys, 3, tmp_path)
    line = line_of(out, "  FAILED  keras_loss_on_sigmoid")
    assert "left Keras's floatx at 'float32'" in line, line
    assert code == 1
