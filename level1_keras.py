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
"""

import common  # first: from the shell, machinery/ reads the flags before TensorFlow loads
import keras

# ---------------------------------------------------------------------------------------------
# 1. Data
# ---------------------------------------------------------------------------------------------
def load_data(limit, dtype):
    """(x_train, y_train), (x_test, y_test): x as N x 784 floats in [0, 1], y one-hot N x 10."""
    # Keras downloads MNIST once, into ~/.keras/datasets/mnist.npz.
    train, test = keras.datasets.mnist.load_data()    # uint8 images N x 28 x 28 and labels N

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
# value from z2 instead, mean( log(1 + e^z2) - y z2 ), which stays finite.
# CategoricalAccuracy is the fraction of rows whose largest output is the labelled digit (the
# string "accuracy" picks it too, from the 10 outputs' shape; named, it says what it measures).


# ---------------------------------------------------------------------------------------------
# 4. Training step
# ---------------------------------------------------------------------------------------------
# There is none to write. For each batch (x, y), fit() runs Keras's own step, TensorFlowTrainer.
# train_step in keras/src/backend/tensorflow/trainer.py, which does what levels 2 and 3 write
# (shortened, in this file's names: Keras writes y_pred for a, and scales the loss for mixed
# precision, which leaves it as it is here):
#     with tf.GradientTape() as tape:                 # record the forward pass and the loss
#         a = self(x, training=True)                  # forward: a = sigmoid(h W2 + b2)
#         loss = self._compute_loss(x=x, y=y, y_pred=a, ...)   # L, the loss compile() names
#     gradients = tape.gradient(loss, self.trainable_weights)   # backward: dL/dW1 ... dL/db2
#     self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))   # the update
# and adds the batch's loss and accuracy to the averages fit() reports. compile() only configures
# it; the first fit() traces it into a TensorFlow graph, and each call of that graph from Python
# runs the step on a batch (on 50 batches, one after the other, with steps_per_execution=50 below;
# docs/inside.md).
def compile_model(model, lr):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),   # plain SGD, no momentum
                  loss=keras.losses.BinaryCrossentropy(),              # L, as in 3. Loss
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
                  steps_per_execution=50)     # 50 SGD steps per call of the graph, not the
    # default 1: the same numbers, less Python between steps, an epoch 2.2 times as fast at batch
    # 32 (docs/design.md, "steps_per_execution").


# ---------------------------------------------------------------------------------------------
# 5. Evaluation
# ---------------------------------------------------------------------------------------------
# There is none to write: fit(validation_data=...) evaluates the test set after every epoch.
# This callback hands Keras's numbers to the line that every level prints (fit() counts epochs
# from 0, and names the metrics of validation_data with a val_ prefix).
def print_epochs(epochs):
    return keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: common.print_epoch(
        epoch + 1, epochs, logs["loss"], logs["acc"], logs["val_loss"], logs["val_acc"]))


# ---------------------------------------------------------------------------------------------
# 6. Main
# ---------------------------------------------------------------------------------------------
def main(epochs=common.EPOCHS, batch_size=common.BATCH_SIZE, lr=common.LR, hidden=common.HIDDEN,
         seed=common.SEED, dtype=common.DTYPE, shuffle=True, limit=None):
    """Train the network, print one line per epoch, return the trained model."""
    keras.utils.set_random_seed(seed)          # seeds Python, NumPy and TensorFlow at once
    keras.config.set_floatx(dtype)             # the dtype of every weight, loss and metric

    (x_train, y_train), (x_test, y_test) = load_data(limit, dtype)
    model = build_model(hidden)
    compile_model(model, lr)
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
              validation_data=(x_test, y_test), verbose=0, callbacks=[print_epochs(epochs)])
    return model


if __name__ == "__main__":
    common.run(main)                           # main() with the shell's flags (--help lists them)
