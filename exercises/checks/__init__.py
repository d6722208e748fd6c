"""The checks of the exercises of EXERCISES.md, one module per exercise, and what they share.

    core.py            an exercise file loaded in its child; a check, its line, its failure
    exact.py           the exact values (PyTorch's autograd of each task's statement), the data
    remote.py          the child processes that run a student's code: starting them, calling
                       the student's functions in them, reading their answers (values only)
    sandbox.py         the sandbox they start in, where there is one (bubblewrap, limits)
    child.py           the child's side: it loads the files and calls their functions
    wire.py            the values that pass between them, and nothing else
    keras_tasks.py     what the Keras checks run in the Keras child
    engine_tasks.py    what the checks of Exercise 9 run in the child: a graph on the
                       student's engine
    rebuild_tasks.py   what the checks of Exercises 10 and 11 run in the child: a model of
                       their pieces, their fit(), the whole stack
    fit_rules.py       what Keras's fit() reports, computed with level 4: Exercise 11's
                       references, and what its usual mistakes would report
    stack.py           the whole stack (11 on 10 on 9), the checker's last line
    answers.py         which written answers are still empty (not graded)
    exN.py             exercise N's checks: TITLE, CHILD (the child its functions run in:
                       "numpy" or "torch"), KERAS (whether it has Keras code), run(ex)

The command lines are exercises/check.py (one student's work) and exercises/grade.py (a class).
The student's code runs only in the children; every comparison and count runs in the checker's
own process. A new exercise N needs its starter and solution (exercises/starters/exercise_N.py,
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
    9: "ex9",
    10: "ex10",
    11: "ex11",
}


def module_name(number):
    """The full name of exercise `number`'s check module (to import it when it is needed)."""
    return f"exercises.checks.{EXERCISES[number]}"
