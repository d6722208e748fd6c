"""Level 1 - Keras (TensorFlow): describe the model, then compile() and fit().

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: nearly everything. `keras.layers.Dense` holds W and b, draws them
(`glorot_normal`) and computes x W + b; `compile()` wires up the loss, the optimizer and the
metrics; `fit()` runs the whole training loop - batching, shuffling every epoch, the forward
pass, the gradients (TensorFlow's automatic differentiation), the SGD update, the running
train metrics and the evaluation on the test set after each epoch; and
`keras.datasets.mnist.load_data()` downloads MNIST.

What it makes you write: the list of layers, and the choice of loss, optimizer and metric.

The README's concept map shows this file in its column "Level 1 - Keras".
"""

import hashlib
import os
import time

import common

os.environ["KERAS_BACKEND"] = "tensorflow"     # Keras 3 can run on other frameworks; this is TF
with common.quiet_stderr():                   # TensorFlow's C++ start-up log lines ignore its
    import keras                               # own log settings: keep them off the screen,
    import tensorflow as tf                    # including those of its first look for a GPU
    tf.config.list_physical_devices()

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
# load_data() keeps its download in ~/.keras/datasets/mnist.npz. If a file is there whose hash is
# wrong, Keras downloads it again - and deletes the file when that fails. Check first, and leave
# such a file alone.
KERAS_HOME = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
KERAS_MNIST = os.path.join(KERAS_HOME, "datasets", "mnist.npz")
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(data_dir, limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    if data_dir:
        arrays = common.read_mnist_dir(data_dir)
    else:
        if os.path.exists(KERAS_MNIST):
            with open(KERAS_MNIST, "rb") as f:
                if hashlib.file_digest(f, "sha256").hexdigest() != KERAS_MNIST_SHA256:
                    raise common.DataError(f"{KERAS_MNIST} is not the file Keras expects (its "
                                           "SHA-256 differs): move it away so that Keras can "
                                           "download it again. " + common.DATA_HINT)
        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as e:  # Keras raises a bare Exception for a failed download
            raise common.DataError(f"Keras could not download MNIST ({e}). "
                                   + common.DATA_HINT) from None
        arrays = (x_train, y_train, x_test, y_test)
        common.check_mnist(*arrays)

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).astype(dtype) / 255   # pixels -> [0, 1]
        y = keras.utils.to_categorical(labels[:limit], common.N_OUTPUTS).astype(dtype)  # one-hot
        return x, y

    return prepare(*arrays[:2]), prepare(*arrays[2:])


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def build_model(hidden):
    """784 -> tanh(H) -> sigmoid(10). A Dense layer stores W as (in, out): the file layout."""
    return keras.Sequential([
        keras.Input(shape=(common.N_INPUTS,)),
        # GlorotNormal is truncated at 2 sigma (see common.py); Dense's default would be
        # GlorotUniform, so the initializer is named. Biases start at zero (Dense's default).
        keras.layers.Dense(hidden, activation="tanh",             # h = tanh(x W1 + b1)
                           kernel_initializer="glorot_normal", bias_initializer="zeros"),
        keras.layers.Dense(common.N_OUTPUTS, activation="sigmoid",  # a = sigmoid(h W2 + b2)
                           kernel_initializer="glorot_normal", bias_initializer="zeros"),
    ])


def set_params(model, params):
    """Copy W1, b1, W2, b2 (NumPy, file layout) into the model."""
    model.layers[0].set_weights([params["W1"], params["b1"]])
    model.layers[1].set_weights([params["W2"], params["b2"]])


def get_params(model):
    """W1, b1, W2, b2 as NumPy arrays in the file layout."""
    (W1, b1), (W2, b2) = model.layers[0].get_weights(), model.layers[1].get_weights()
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
def loss_and_metric():
    """The loss and the accuracy metric, made after set_floatx() so they compute in that dtype.

    Binary cross-entropy, averaged over the batch and the 10 outputs:
    L = mean( -[y log a + (1 - y) log(1 - a)] ). Keras notices that a comes from a sigmoid and
    computes the same value from z2 instead, mean( log(1 + e^z2) - y z2 ), which stays finite.
    (CategoricalCrossentropy would, just as silently, compute a softmax cross-entropy of z2.)
    """
    loss_fn = keras.losses.BinaryCrossentropy()           # L = mean(-[y log a + (1-y) log(1-a)])
    # "accuracy" would mean binary accuracy (each of the 10 outputs against 0.5) with this loss;
    # CategoricalAccuracy is the fraction of rows whose largest output is the labelled digit.
    accuracy = keras.metrics.CategoricalAccuracy(name="acc")
    return loss_fn, accuracy


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
# There is none to write: compile() builds it - forward pass, loss, gradients by TensorFlow's
# automatic differentiation, theta <- theta - lr * dL/dtheta - and fit() runs it on every batch.

# fit() hands TensorFlow this many batches per call of its compiled training function instead
# of one: less Python overhead per step, the same numbers.
STEPS_PER_EXECUTION = 50


def compile_model(model, lr):
    """Tell Keras the loss, the optimizer and the metric; it builds the training step."""
    loss_fn, accuracy = loss_and_metric()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),   # plain SGD, no momentum
                  loss=loss_fn, metrics=[accuracy],
                  steps_per_execution=STEPS_PER_EXECUTION)


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
# fit(validation_data=...) evaluates the test set after every epoch. This callback only times
# the epoch and hands Keras's numbers to the common report.
class EpochReport(keras.callbacks.Callback):
    def __init__(self, report):
        super().__init__()
        self.report = report

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.report.epoch(logs["loss"], logs["acc"], logs["val_loss"], logs["val_acc"],
                          time.perf_counter() - self.start)


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    parser = common.make_parser(__doc__)
    args = common.parse_args(parser, argv)
    keras.config.set_floatx(args.dtype)         # the dtype of every weight and computation
    keras.utils.set_random_seed(args.seed)      # seeds Python, NumPy and TensorFlow at once

    (x_train, y_train), (x_test, y_test) = load_data(args.data_dir, args.limit, args.dtype)
    model = build_model(args.hidden)
    if args.init_from:
        set_params(model, common.load_params(args.init_from, args.hidden, args.dtype))
    compile_model(model, args.lr)

    with common.Report("level1_keras", args) as report:
        model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                  shuffle=args.shuffle, validation_data=(x_test, y_test),
                  verbose=0, callbacks=[EpochReport(report)])

    if args.save_weights:
        common.save_params(args.save_weights, get_params(model))


if __name__ == "__main__":
    common.run(main)
