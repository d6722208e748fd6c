"""Exercise 11, a solution - fit(): Keras's training loop, written out over any network, loss and
optimizer.

    compile(optimizer, loss)     keeps them (in Keras's order)
    fit(x, y, ...)               for each epoch: an order (rng.permutation(N) drawn afresh, or
                                 0..N-1), cut into batches; for each batch: z2 = network(x),
                                 L = loss(z2, y), L.backward(), step(), zero_grad(); the epoch's
                                 loss and accuracy, each batch weighted by its rows, into the
                                 history: {"loss": [...], "acc": [...]}, as Keras's; with
                                 validation_data, evaluate()'s loss and accuracy on it after
                                 each epoch too ("val_loss", "val_acc"); then the callbacks,
                                 each given .model first
    evaluate(x, y, batch_size)   the loss and accuracy in batches, each weighted by its rows,
                                 under no_grad: [loss, accuracy], as Keras's
    EarlyStopping                a callback: stop_training once the monitored number has not
                                 improved for `patience` epochs, by Keras's rule

Over level 2's model, loss and torch.optim.SGD, in float64 and dataset order, it gives Keras's
fit()'s weights and history (level 1), and level 4's. The answers to the exercise's questions:
answers_11.md, beside this file.

    python exercises/solutions/exercise_11.py --data-dir PATH/TO/MNIST

trains level 2's model with this fit() on 1,000 training images, with the test images as
validation_data, until EarlyStopping stops it (the third question); main() is the starter's.
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
import torch  # noqa: E402


def as_tensor(array):
    return torch.from_numpy(array)


def as_array(tensor):
    return tensor.detach().numpy()


no_grad = torch.no_grad


class History:
    def __init__(self):
        self.history = {"loss": [], "acc": []}


class Model:
    def __init__(self, network):
        self.network = network
        self.stop_training = False

    def compile(self, optimizer, loss):
        self.optimizer, self.loss = optimizer, loss

    def fit(self, x, y, batch_size=32, epochs=1, shuffle=True, rng=None, validation_data=None,
            callbacks=()):
        rng = np.random.default_rng() if rng is None else rng
        history, n = History(), len(x)
        self.stop_training = False
        for callback in callbacks:                           # as Keras's set_model()
            callback.model = self
        for epoch in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)   # afresh, every epoch
            total_loss = correct = seen = 0.0
            for batch, start in enumerate(range(0, n, batch_size)):
                rows = order[start:start + batch_size]
                xb, yb = x[rows], y[rows]
                z2 = self.network(as_tensor(xb))             # forward
                loss = self.loss(z2, as_tensor(yb))
                loss.backward()                              # dL/dtheta into .grad
                self.optimizer.step()                        # theta <- theta - lr dL/dtheta
                self.optimizer.zero_grad()
                total_loss += float(as_array(loss)) * len(rows)
                correct += np.sum(as_array(z2).argmax(axis=1) == yb.argmax(axis=1))
                seen += len(rows)
                logs = {"loss": total_loss / seen, "acc": correct / seen}   # so far, as Keras's
                for callback in callbacks:
                    callback.on_train_batch_end(batch, logs)
                if self.stop_training:                       # set by a callback: end the epoch
                    break
            history.history["loss"].append(total_loss / seen)   # the rows trained on: all of
            history.history["acc"].append(correct / seen)      # them, unless stopped early
            if validation_data is not None:                  # after the epoch's last step
                val_loss, val_acc = self.evaluate(*validation_data, batch_size=batch_size)
                history.history.setdefault("val_loss", []).append(val_loss)
                history.history.setdefault("val_acc", []).append(val_acc)
            logs = {key: values[-1] for key, values in history.history.items()}
            for callback in callbacks:                       # Keras's hooks: the caller's code
                callback.on_epoch_end(epoch, logs)           # runs inside the loop
            if self.stop_training:                           # set by a callback: stop here
                break
        return history

    def evaluate(self, x, y, batch_size=32):
        # `with no_grad()` inside, not @no_grad() on the method: a decorator would keep the
        # no_grad of the moment the class was defined, not the one behind the name at the call.
        total_loss = correct = 0.0
        with no_grad():                                      # measuring: nothing to record
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                z2 = self.network(as_tensor(xb))
                total_loss += float(as_array(self.loss(z2, as_tensor(yb)))) * len(xb)
                correct += np.sum(as_array(z2).argmax(axis=1) == yb.argmax(axis=1))
        return [total_loss / len(x), float(correct / len(x))]     # each batch by its rows


class Callback:
    model = None

    def on_train_batch_end(self, batch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        pass


class EarlyStopping(Callback):
    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.wait, self.best = 0, None

    def on_epoch_end(self, epoch, logs):
        # Keras's rule, read in keras/src/callbacks/early_stopping.py: every epoch counts towards
        # the wait; an improvement (smaller than the best by more than min_delta) resets it and
        # never stops; otherwise stop once the wait reaches patience, but never after epoch 0.
        current = logs.get(self.monitor)
        if current is None:
            return
        self.wait += 1
        if self.best is None or current + self.min_delta < self.best:
            self.best, self.wait = current, 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.model.stop_training = True


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
    from machinery import cli
    cli.run(main)
