"""The machinery: everything the level scripts need that is not their lesson.

Skip this folder on a first reading. The level files hold the lesson (data, model, loss, training
step, evaluation, main); what is here only makes them behave well as programs:

* ``cli``            - the flags, their checks, the per-epoch report, and turning every error a user
                       can cause (including Ctrl-C and running out of memory) into one clear line;
* ``mnist_files``    - reading and checking the four MNIST IDX files, and fetching MNIST quietly
                       before a level's own loader runs, with a clear message when that fails;
* ``params_files``   - ``--init-from`` and ``--save-weights``: parameters in ``.npz`` files, checked;
* ``atomic``         - every output file is written whole or not at all;
* ``errors``         - the errors a user can cause, which ``cli.run`` turns into one line;
* ``quiet_tensorflow`` - imports TensorFlow without its C++ start-up log on the screen;
* ``processes``      - how compare.py and bench.py run the levels as separate programs.
"""
