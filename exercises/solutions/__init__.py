"""Solutions to the exercises of EXERCISES.md: exercise_N.py and answers_N.md."""
