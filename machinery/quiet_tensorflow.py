"""Import Keras and TensorFlow with their C++ start-up log kept off the screen.

TensorFlow's C++ code writes its start-up lines (CPU features, the first look for a GPU) straight
to file descriptor 2, ignoring its own log settings. Importing this module first imports Keras and
TensorFlow with that descriptor pointed at /dev/null, so that a level's ``import keras`` afterwards
finds them loaded and prints nothing.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")   # Keras 3 can run on other frameworks
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.stderr.flush()
_saved = os.dup(2)
_devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(_devnull, 2)
try:
    import keras  # noqa: E402,F401
    import tensorflow as tf  # noqa: E402

    tf.config.list_physical_devices()
finally:
    os.dup2(_saved, 2)
    os.close(_saved)
    os.close(_devnull)
