"""Level 1 - Keras: describe the model, then compile() and fit().

The network: x (784 pixels) -> h = tanh(x W1 + b1) (H units) -> a = sigmoid(h W2 + b2) (10 outputs),
trained with plain minibatch SGD on the binary cross-entropy between a and the one-hot label y.

What this level automates: nearly everything. `keras.layers.Dense` holds W and b, draws them
(`glorot_normal`) and computes x W + b; `compile()` wires up the loss, the optimizer and the
metrics; `fit()` runs the whole training loop - batching, shuffling every epoch, the forward
pass, the gradients (TensorFlow's automatic differentiation), the SGD update, the running
train metrics and the evaluation on the test set after each epoch; and
`keras.datasets.mnist.load_data()` downloads MNIST.

What it makes you write: the list of layers, and the choice of loss, optimizer and metric.

The README's concept map shows each level in a column named as in this docstring's first line.
"""

import machinery.startup  # noqa: F401  (flags checked, Ctrl-C answered, before the framework loads)
import machinery.quiet_tensorflow  # noqa: F401  (TensorFlow's C++ start-up log, off the screen)
import keras

import common
from machinery import cli, mnist_files, params_files

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
def load_data(data_dir, limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    # Keras downloads MNIST once, into ~/.keras/datasets/mnist.npz.
    # Either way: uint8 images N x 28 x 28 and labels N (--data-dir: the same files at every level).
    train, test = mnist_files.read_dir(data_dir) if data_dir else keras.datasets.mnist.load_data()

    def prepare(images, labels):
        x = images[:limit].reshape(-1, common.N_INPUTS).astype(dtype) / 255   # pixels -> [0, 1]
        y = keras.utils.to_categorical(labels[:limit], common.N_OUTPUTS).astype(dtype)  # one-hot
        return x, y

    return prepare(*train), prepare(*test)


# ---------------------------------------------------------------------------------------------
# 2. Model
# ---------------------------------------------------------------------------------------------
def build_model(hidden):
    """784 -> tanh(H) -> sigmoid(10). A Dense layer stores W as (in, out), as the scripts write it.
    GlorotNormal is truncated at 2 sigma (see common.py); Dense's default would be GlorotUniform,
    so the initializer is named. Biases start at zero, Dense's default."""
    return keras.Sequential([
        keras.Input(shape=(common.N_INPUTS,)),
        keras.layers.Dense(hidden, activation="tanh",               # h = tanh(x W1 + b1)
                           kernel_initializer="glorot_normal"),     # W1 is this layer's "kernel"
        keras.layers.Dense(common.N_OUTPUTS, activation="sigmoid",  # a = sigmoid(h W2 + b2)
                           kernel_initializer="glorot_normal"),
    ])


# ---------------------------------------------------------------------------------------------
# 3. Loss
# ---------------------------------------------------------------------------------------------
# There is none to write: compile() below names it. Binary cross-entropy, averaged over the batch
# and the 10 outputs: L = mean( -[y log a + (1 - y) log(1 - a)] ). Keras notices that a comes from
# a sigmoid (the sigmoid leaves z2 attached to its output a: docs/design.md) and computes the same
# value from z2 instead,
# mean( log(1 + e^z2) - y z2 ), which stays finite. (CategoricalCrossentropy would, just
# as silently, compute a softmax cross-entropy of z2.)
# With this loss the metric "accuracy" would compare each of the 10 outputs with 0.5;
# CategoricalAccuracy is the fraction of rows whose largest output is the labelled digit.


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
# There is none to write: Keras's own train_step() is it - forward pass, loss, GradientTape's
# gradients, theta <- theta - lr * dL/dtheta. compile() only configures it; the first fit() traces
# it into a TensorFlow graph, and each call of that graph from Python runs the step on a batch
# (on 50 batches, one after the other, with steps_per_execution=50 below; docs/inside.md).
def compile_model(model, lr):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),   # plain SGD, no momentum
                  loss=keras.losses.BinaryCrossentropy(),              # L, as in 3. Loss
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
                  steps_per_execution=50)     # 50 SGD steps per call of the graph, not 1: same
                                              # numbers, less Python between steps (docs/design.md)


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
# There is none to write: fit(validation_data=...) evaluates the test set after every epoch.
# This callback hands Keras's numbers to the report line that every level prints (Keras names
# the metrics of validation_data with a val_ prefix).
def report_callback(report):
    return keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: report.epoch(
        logs["loss"], logs["acc"], logs["val_loss"], logs["val_acc"]))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    args = cli.parse_args(__doc__, argv, "keras")   # the flags, checked; MNIST fetched if need be
    keras.utils.set_random_seed(args.seed)      # seeds Python, NumPy and TensorFlow at once
    keras.config.set_floatx(args.dtype)         # the dtype of every weight, loss and metric

    (x_train, y_train), (x_test, y_test) = load_data(args.data_dir, args.limit, args.dtype)
    model = build_model(args.hidden)
    if args.init_from:                          # Keras's weight order: W1, b1, W2, b2
        model.set_weights([params_files.load(args)[name] for name in common.PARAM_NAMES])
    compile_model(model, args.lr)

    with cli.Report(__file__, args) as report:   # one line per epoch; stops a run that diverges
        model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                  shuffle=args.shuffle, validation_data=(x_test, y_test),
                  verbose=0, callbacks=[report_callback(report)])

    if args.save_weights:
        params_files.save(args.save_weights, dict(zip(common.PARAM_NAMES, model.get_weights())))


if __name__ == "__main__":
    cli.run(main)
