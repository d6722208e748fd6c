"""The machinery: everything the level scripts need that is not their lesson.

Skip this folder on a first reading. The level files hold the lesson (data, model, loss, training
step, evaluation, main); what is here only makes them behave well as programs:

* ``startup``        - imported first by every level: checks the flags and the data files, and
                       answers Ctrl-C, before the framework loads;
* ``flags``          - the flags and their checks, without NumPy or a framework;
* ``interrupt``      - Ctrl-C at any moment: the results so far, one line, exit code 130;
* ``cli``            - the per-epoch report, the BLAS threads of the NumPy levels, and turning every
                       error a user can cause (including running out of memory) into one clear line;
* ``mnist_files``    - reading and checking the four MNIST IDX files, and fetching MNIST quietly
                       before a level's own loader runs, with a clear message when that fails;
* ``params_files``   - ``--init-from`` and ``--save-weights``: parameters in ``.npz`` files, checked;
* ``atomic``         - every output file is written whole or not at all;
* ``errors``         - the errors a user can cause, which ``cli.run`` turns into one line;
* ``quiet_tensorflow`` - imports TensorFlow without its C++ start-up log on the screen;
* ``processes``      - how bench.py, compilers.py, inside.py and one_step.py run a program as a
                       process of its own.
"""
