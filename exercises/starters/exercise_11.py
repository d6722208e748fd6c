"""Exercise 11 - write fit(): a small Model with compile(optimizer, loss), fit(), which returns
the history of loss and accuracy per epoch as Keras's does, and evaluate(). Your code goes here.

EXERCISES.md, "Exercise 11", says what to do and why. Replace each `raise NotImplementedError`
with your code, keeping the names and arguments: the checker calls them. Check your work with

    python -m exercises.check 11         (from the project folder)

or by running this file. Once the checks pass, train on MNIST with your code:

    python exercises/starters/exercise_11.py --data-dir PATH/TO/MNIST

(main(), at the end, given; `--help` lists its flags). The checker wraps level 2's own model in your Model, compiles it with
torch.optim.SGD and level 2's loss, and calls fit() on NumPy arrays, float64, against Keras's
fit() (level 1) and level 4; then it runs your Model on another tensor library, level 3½'s
engine.

A network here is anything that is called on a batch x and returns z2 (level 2's model, your
Sequential of Exercise 10); a loss is called as loss(z2, y) and returns a one-number tensor with
backward(); an optimizer has step() and zero_grad(). Of the tensor library, use only the three
names below (`as_tensor`, `as_array`, `no_grad`), and ask no more of a tensor than that: then
your Model runs on any tensor library put behind those names - the checker puts level 3½'s
engine there, and `python -m exercises.check stack` the engine of Exercise 9.
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

import numpy as np  # noqa: E402,F401
import torch  # noqa: E402


# The tensor library fit() hands the batches to, in three names (given).
def as_tensor(array):
    """A NumPy batch as the tensors the network computes with (given). Returns it."""
    return torch.from_numpy(array)


def as_array(tensor):
    """A tensor's numbers as a NumPy array (given). Returns it."""
    return tensor.detach().numpy()


no_grad = torch.no_grad                        # `with no_grad():` records nothing (given)


class History:
    """What fit() returns, as Keras's History (given): .history = {"loss": [...], "acc": [...]},
    one number per epoch."""

    def __init__(self):
        self.history = {"loss": [], "acc": []}


class Model:
    """A network, trained as Keras's Model is: compile(), then fit()."""

    def __init__(self, network):
        """network(x) is z2 for a batch x (given). Returns None."""
        self.network = network
        self.stop_training = False             # a callback sets it to end fit() early

    def compile(self, optimizer, loss):
        """Keep the optimizer, with step() and zero_grad(), and the loss, loss(z2, y), for fit()
        and evaluate() (the arguments in the order of Keras's compile()). Returns None."""
        raise NotImplementedError

    def fit(self, x, y, batch_size=32, epochs=1, shuffle=True, rng=None, validation_data=None,
            callbacks=()):
        """Train the compiled network on x (N x 784) and y (N x 10, one-hot), NumPy arrays, as
        Keras's fit() does:
          * `epochs` epochs of one training step per batch of batch_size rows;
          * with shuffle, the rows in an order drawn from rng as level 4's train_epoch draws it
            (rng None: a new np.random.default_rng()); without, in dataset order;
          * after each epoch, its loss and accuracy (the fraction of rows whose largest output
            is the labelled digit; the argmax of z2 is that of a = sigmoid(z2), except where the
            sigmoid rounds two outputs to the same number) in the history, as Keras's fit()
            reports them, under "loss" and "acc";
          * with validation_data = (x_val, y_val), also the loss and accuracy on it after each
            epoch, under "val_loss" and "val_acc", as Keras's fit(validation_data=...) does;
          * before the first epoch, each callback's .model set to this Model, as Keras's fit()
            sets it;
          * after each batch, each callback's on_train_batch_end(batch, logs), and after each
            epoch its on_epoch_end(epoch, logs), as Keras's fit() calls them with
            steps_per_execution=1 (batches and epochs counted from 0; logs {"loss": ..., "acc":
            ...} of the epoch so far, then at its end all the epoch's numbers under the
            history's keys);
          * self.stop_training, which a callback may set (as EarlyStopping does), obeyed where
            Keras's fit() obeys it.
        Returns the History."""
        raise NotImplementedError

    def evaluate(self, x, y, batch_size=32):
        """The loss and accuracy of the compiled network on x and y (NumPy arrays, as in fit()),
        in batches of batch_size rows, as Keras's evaluate() returns them, recording no graph.
        Returns [loss, accuracy]."""
        raise NotImplementedError


class Callback:
    """What every callback has, as Keras's keras.callbacks.Callback (given): .model, which fit()
    sets, and hooks that do nothing until a callback replaces them."""
    model = None

    def on_train_batch_end(self, batch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        pass


class EarlyStopping(Callback):
    """A callback that stops fit() once a number of the logs has stopped improving, as Keras's
    keras.callbacks.EarlyStopping(monitor, min_delta, patience) does for a number to make small
    (a loss), one instance per fit()."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0):
        """Keep the settings. Returns None."""
        raise NotImplementedError

    def on_epoch_end(self, epoch, logs):
        """Sets self.model.stop_training after the epoch where Keras's EarlyStopping would.
        Returns None."""
        raise NotImplementedError


def main(argv=None):
    """Your fit() on MNIST: level 2's model trained on a few training images, with the test
    images as validation_data, until your EarlyStopping stops it; one line per epoch, printed by
    a callback as level 1's print_epochs() prints them (given)."""
    import level2_pytorch
    import level4_numpy
    from exercises import helpers
    from machinery import errors, flags, params_files
    p = helpers.parser(main.__doc__, epochs=100, dtype="float64")
    p.add_argument("--images", type=flags.positive_int, default=1000, metavar="N",
                   help="train on the first N training images: few, so that it overfits soon "
                        "(default: %(default)s)")
    p.add_argument("--patience", type=flags.count_int, default=3, metavar="P",
                   help="EarlyStopping's patience (default: %(default)s)")
    args = helpers.parse(p, argv)
    dtype = np.dtype(args.dtype)
    (x_train, y_train), (x_test, y_test) = helpers.load_data(level4_numpy, args.data_dir,
                                                             args.limit, dtype)
    x_train, y_train = x_train[:args.images], y_train[:args.images]
    network = level2_pytorch.build_model(args.hidden, getattr(torch, args.dtype))
    params_files.into_torch_model(network, level4_numpy.init_params(
        args.hidden, np.random.default_rng(args.seed), dtype))

    class PrintEpochs(Callback):
        def on_epoch_end(self, epoch, logs):
            """One line: the epoch's numbers, from the logs fit() gives its callbacks."""
            print(f"epoch {epoch + 1:3d}: loss {logs['loss']:.4f} acc {100 * logs['acc']:6.2f}%"
                  f"   val_loss {logs['val_loss']:.4f} val_acc {100 * logs['val_acc']:6.2f}%")

    print(f"your fit() on level 2's model: {len(x_train)} training images, the {len(x_test)} "
          f"test images as validation_data, batch {args.batch_size}, lr {args.lr:g}, "
          f"H {args.hidden}, {args.dtype}, EarlyStopping(patience={args.patience}), at most "
          f"{args.epochs} epochs")
    try:
        model = Model(network)
        model.compile(loss=level2_pytorch.loss_fn,
                      optimizer=torch.optim.SGD(network.parameters(), lr=args.lr))
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                            shuffle=args.shuffle, rng=np.random.default_rng(args.seed + 1),
                            validation_data=(x_test, y_test),
                            callbacks=[PrintEpochs(), EarlyStopping(patience=args.patience)])
    except NotImplementedError:
        raise errors.UserError("Model and EarlyStopping are not all written yet: "
                               "python -m exercises.check 11 says what is left") from None
    history, ran = history.history, len(history.history["loss"])
    best = int(np.argmin(history["val_loss"]))
    print(f"{f'stopped after epoch {ran} of' if ran < args.epochs else 'ran all'} {args.epochs} "
          f"epochs. The smallest val_loss: epoch {best + 1}'s, {history['val_loss'][best]:.4f} "
          f"(val_acc {100 * history['val_acc'][best]:.2f}%); the weights the model ends with: "
          f"epoch {ran}'s, val_loss {history['val_loss'][-1]:.4f} "
          f"(val_acc {100 * history['val_acc'][-1]:.2f}%)")


if __name__ == "__main__":
    if sys.argv[1:]:      # with flags (--data-dir PATH/TO/MNIST, --patience 5, --help): main()
        from machinery import cli
        cli.run(main)
    else:                 # without: running this file runs its check
        from exercises import check
        sys.exit(check.main(["11", "--solutions", os.path.dirname(os.path.abspath(__file__))]))
