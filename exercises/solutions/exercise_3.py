"""Exercise 3, a solution - softmax and categorical cross-entropy (level 4); a Keras trap (level 1).

The 10 outputs become one probability distribution over the digits:

    p = softmax(z2),  p_k = e^z2_k / sum_j e^z2_j
    L = mean over the batch of -sum_k y_k log p_k = mean( logsumexp(z2) - sum_k y_k z2_k )
    dL/dz2 = (p - y) / B                        (B, not 10 B: the mean is over the batch only)

The trap. At level 1, swap the loss for keras.losses.CategoricalCrossentropy() and keep the
sigmoid output. You might expect it to use a = sigmoid(z2), normalised to sum to 1. It does not:
Keras's sigmoid leaves its input z2 on its output (a._keras_logits), and the cross-entropy,
finding it, computes softmax cross-entropy of z2 - the loss above, silently, with no warning.
So the model is trained as a softmax classifier while it still outputs ten sigmoids. The answers
to the exercise's questions: answers_3.md, beside this file.

    python exercises/solutions/exercise_3.py --data-dir PATH/TO/MNIST              # level 4
    python exercises/solutions/exercise_3.py --data-dir PATH/TO/MNIST --keras-trap # level 1
"""

import os
import sys

# You can skip this block. The project folder is the first folder above this file that holds
# level4_numpy.py; putting it first on Python's module search path makes `import level4_numpy`
# work however this file is run: from the project folder, from this folder, with python -m, or
# loaded by exercises/check.py.
PROJECT = os.path.dirname(os.path.abspath(__file__))
while not os.path.isfile(os.path.join(PROJECT, "level4_numpy.py")):
    if os.path.dirname(PROJECT) == PROJECT:    # not found: try the current folder
        PROJECT = os.getcwd()
        break
    PROJECT = os.path.dirname(PROJECT)
sys.path.insert(0, PROJECT)

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from exercises import helpers  # noqa: E402
from machinery import params_files  # noqa: E402


def softmax(z2):
    """p = e^z2 / sum_k e^z2_k, row by row; z2 - max(z2) first, so that e^z2 cannot overflow."""
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)    # p = softmax(z2)         (B x 10)


def loss_softmax(z2, y):
    """Categorical cross-entropy of softmax(z2), averaged over the batch."""
    logsumexp = np.logaddexp.reduce(z2, axis=1)               # log sum_k e^z2_k, stable
    return np.mean(logsumexp - (y * z2).sum(axis=1))          # L = mean(logsumexp(z2) - y . z2)


def gradients_softmax(x, y, params, h, p):
    """dL/dz2 ... dL/db1: level 4's chain rule below z2, from dL/dz2 = (p - y) / B."""
    dz2 = (p - y) / len(y)                     # dL/dz2 = (p - y) / B         (B x 10)
    dW2 = h.T @ dz2                            # below z2, level 4's chain rule, unchanged
    db2 = dz2.sum(axis=0)
    dh = dz2 @ params["W2"].T
    dz1 = dh * (1 - h * h)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return {"z2": dz2, "W2": dW2, "b2": db2, "h": dh, "z1": dz1, "W1": dW1, "b1": db1}


def train_step_softmax(params, x, y, lr):
    """One SGD step on the softmax cross-entropy; the batch's loss and accuracy before it."""
    h, z2, a = level4_numpy.forward(x, params)
    p = softmax(z2)
    loss = loss_softmax(z2, y)
    grads = gradients_softmax(x, y, params, h, p)
    for name, param in params.items():
        param -= lr * grads[name]              # theta <- theta - lr * dL/dtheta
    return loss, level4_numpy.accuracy(p, y)   # argmax p = argmax z2 = argmax a


def train(step, params, x_train, y_train, args, rng):
    """args.epochs epochs of `step` at args.lr, batches in the order args.shuffle says (shuffled
    by rng, which drew the weights first, as in level 4's main())."""
    for epoch in range(args.epochs):
        helpers.train_epoch(step, params, x_train, y_train, args.batch_size, args.lr, rng,
                            args.shuffle)
    return params


# ---------------------------------------------------------------------------------------------
# Level 1: the trap. Keras is imported inside these functions only: the checker runs them in a
# process of their own, and TensorFlow and PyTorch must not share one.
# ---------------------------------------------------------------------------------------------
def trap_model(start):
    """Level 1's model (sigmoid outputs) from the weights `start`, compiled with
    CategoricalCrossentropy; floatx set to start's dtype."""
    import machinery.quiet_tensorflow  # noqa: F401
    import keras
    import level1_keras
    keras.config.set_floatx(str(start["W1"].dtype))
    model = level1_keras.build_model(start["W1"].shape[1])      # ... Dense(10, "sigmoid")
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    return model


def keras_loss_on_sigmoid(start, x, y):
    """What keras.losses.CategoricalCrossentropy() computes on level 1's sigmoid output a."""
    model = trap_model(start)                  # imports Keras, without its start-up log
    import keras
    return float(keras.losses.CategoricalCrossentropy()(y, model(x)))


def train_keras_trap(start, x_train, y_train, epochs, batch_size, lr):
    """Level 1 from `start`, compiled with CategoricalCrossentropy on its sigmoid output and
    trained by fit() on the batches in dataset order; its weights."""
    model = trap_model(start)
    import keras
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                  loss=keras.losses.CategoricalCrossentropy())  # the trap
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return dict(zip(common.PARAM_NAMES, model.get_weights()))


def keras_trap(args, start, x_train, y_train):
    """The three losses on the first 5 images, then the trap's training; Keras's weights."""
    x, y = x_train[:5], y_train[:5]
    a = level4_numpy.forward(x, start)[2]
    z2 = level4_numpy.forward(x, start)[1]
    normalised = np.mean(-(y * np.log(a / a.sum(axis=1, keepdims=True))).sum(axis=1))
    print(f"Keras CategoricalCrossentropy on the sigmoid output a: "
          f"{keras_loss_on_sigmoid(start, x, y):.10f}")
    print(f"  softmax cross-entropy of z2 (this exercise's loss):  {loss_softmax(z2, y):.10f}")
    print(f"  cross-entropy of a normalised to sum 1:              {normalised:.10f}")
    return train_keras_trap(start, x_train, y_train, args.epochs, args.batch_size, args.lr)


def main(argv=None):
    p = helpers.parser(__doc__, epochs=2, lr=0.1)
    p.add_argument("--keras-trap", action="store_true",
                   help="train level 1 with CategoricalCrossentropy on its sigmoid output, from "
                        "the same start as level 4's softmax, batches in dataset order; compare "
                        "their weights")
    args = helpers.parse(p, argv)
    dtype = np.dtype(args.dtype)
    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir, args.limit, dtype)
    rng = np.random.default_rng(args.seed)
    start = params_files.load(args, common) if args.init_from else level4_numpy.init_params(
        args.hidden, rng, dtype)

    if args.keras_trap:
        args.shuffle = False                   # the same batches for all three: dataset order
        keras_weights = keras_trap(args, start, x_train, y_train)
        softmax_weights = train(train_step_softmax, {k: v.copy() for k, v in start.items()},
                                x_train, y_train, args, rng)
        bce_weights = train(level4_numpy.train_step, {k: v.copy() for k, v in start.items()},
                            x_train, y_train, args, rng)
        print(f"largest |dW|, Keras (CategoricalCrossentropy on sigmoid) vs level 4 softmax "
              f"cross-entropy: {helpers.max_abs_difference(keras_weights, softmax_weights):.2e}")
        print(f"largest |dW|, Keras (CategoricalCrossentropy on sigmoid) vs level 4 binary "
              f"cross-entropy: {helpers.max_abs_difference(keras_weights, bce_weights):.2e}")
        if args.save_weights:
            params_files.save(args.save_weights, keras_weights)
        return

    params, x, y = helpers.check_batch()
    h, z2, a = level4_numpy.forward(x, params)
    errors = helpers.gradient_check(lambda q: loss_softmax(level4_numpy.forward(x, q)[1], y),
                                    gradients_softmax(x, y, params, h, softmax(z2)), params)
    print("gradient check of gradients_softmax (relative error, pass <= 1e-6):",
          helpers.format_errors(errors))
    params = train(train_step_softmax, start, x_train, y_train, args, rng)
    z2 = level4_numpy.forward(x_test, params)[1]
    print(f"softmax + categorical cross-entropy, lr {args.lr:g}, {args.epochs} epochs: test "
          f"accuracy {100 * level4_numpy.accuracy(z2, y_test):.2f}%")
    if args.save_weights:
        params_files.save(args.save_weights, params)


if __name__ == "__main__":
    from machinery import cli
    cli.run(main)
