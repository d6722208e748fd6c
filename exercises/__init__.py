"""Solutions to the exercises in EXERCISES.md, one module per exercise; helpers.py is shared."""
