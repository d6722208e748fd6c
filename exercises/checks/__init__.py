"""The checks of the exercises of EXERCISES.md, one module per exercise, and what they share.

    core.py            loading an exercise file on its own; a check, its line, its failure
    exact.py           the exact values (PyTorch's autograd of each task's statement), the data
    keras_process.py   Keras code, checked in a process of its own
    answers.py         which written answers are still empty (not graded)
    exN.py             exercise N's checks: TITLE, run(ex), and for Keras code KERAS_NEEDS,
                       KERAS_TASKS and keras_inputs()

The command lines are exercises/check.py (one student's work) and exercises/grade.py (a class).
A new exercise N needs its starter and solution (exercises/starters/exercise_N.py,
exercises/solutions/exercise_N.py), its check module exN.py, and one line in EXERCISES below.
"""

EXERCISES = {            # exercise number: its check module in this folder
    1: "ex1",
    2: "ex2",
    3: "ex3",
    4: "ex4",
    5: "ex5",
    6: "ex6",
    7: "ex7",
    8: "ex8",
}


def module_name(number):
    """The full name of exercise `number`'s check module (to import it when it is needed)."""
    return f"exercises.checks.{EXERCISES[number]}"
