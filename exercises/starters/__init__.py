"""Your code for the exercises of EXERCISES.md: exercise_N.py, one file per exercise."""
