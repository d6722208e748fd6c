"""What Keras's fit() reports, computed with level 4: the references of Exercise 11's checks -
the epochs' numbers, the callbacks' calls and logs, EarlyStopping's stops - and what the usual
mistakes would report instead, for the checks to name them. The rules are Keras's, read in its
source (keras/src/backend/tensorflow/trainer.py, keras/src/callbacks/early_stopping.py) and
tested against Keras itself (tests/test_exercises_fit.py).
"""

import numpy as np

import level4_numpy

HISTORY = 1e-10               # an epoch's reported loss or accuracy against the reference's


def exact_run(start, data, config):
    """Level 4's weights after each epoch, in dataset order: [params after epoch 1, ...]."""
    params, after = {k: v.copy() for k, v in start.items()}, []
    for epoch in range(config["epochs"]):
        level4_numpy.train_epoch(params, data["x_train"], data["y_train"], config["batch_size"],
                                 config["lr"], None, False)
        after.append({k: v.copy() for k, v in params.items()})
    return after


def validation_variants(runs, data, config):
    """What a validation pass with a usual mistake reports as each epoch's loss, with the mistake
    in words: [(words, [loss of epoch 1, ...]), ...]."""
    b, x, y = config["batch_size"], data["x_test"], data["y_test"]
    last = len(x) % b
    plain, full = [], []
    for params in runs:
        z2 = level4_numpy.forward(x, params)[1]
        losses = [level4_numpy.loss_fn(z2[i:i + b], y[i:i + b]) for i in range(0, len(x), b)]
        plain.append(np.mean(losses))
        full.append(sum(losses) * b / len(x))
    why = (f"the last batch of these {len(x)} rows has {last}: how much does it count in "
           f"Keras's?")
    return [(f"the plain mean of the validation batches' losses; {why}", plain),
            (f"every validation batch weighted as a full one of {b} rows; {why}", full)]


def plain_means(start, data, config, reported):
    """Whether `reported` is the plain mean of the batches' losses, epoch by epoch."""
    words, made = variants(start, data, config)[0]           # the first: the plain mean
    return bool(np.abs(np.subtract(reported, made["loss"])).max() <= HISTORY)


def variants(start, data, config):
    """What a fit() with a usual mistake reports, epoch by epoch, in dataset order, with the
    mistake in words: [(words, {"loss": [...], "acc": [...]}), ...]."""
    x, y, b, lr = data["x_train"], data["y_train"], config["batch_size"], config["lr"]
    out = []

    def run(words, measure_after=False, accumulate=False, last=True, weighted=True, over=None,
            frozen=False, full=False):
        params = {k: v.copy() for k, v in start.items()}
        kept = {k: np.zeros_like(v) for k, v in start.items()}      # .grad never cleared
        history = {"loss": [], "acc": []}
        for epoch in range(config["epochs"]):
            values, rows = [], []
            for i in range(0, len(x) if last else len(x) - len(x) % b, b):
                xb, yb = x[i:i + b], y[i:i + b]
                h, z2, a = level4_numpy.forward(xb, params)
                before = level4_numpy.loss_fn(z2, yb), level4_numpy.accuracy(a, yb)
                grads = level4_numpy.gradients(xb, yb, params, h, a)
                for k in params:
                    kept[k] += grads[k]
                    params[k] -= 0 if frozen else lr * (kept[k] if accumulate else grads[k])
                if measure_after:
                    h, z2, a = level4_numpy.forward(xb, params)
                    before = level4_numpy.loss_fn(z2, yb), level4_numpy.accuracy(a, yb)
                values.append(before)
                rows.append((b if full else len(xb)) if weighted else 1)
            for k, key in enumerate(("loss", "acc")):
                history[key].append(sum(v[k] * r for v, r in zip(values, rows)) /
                                    (over or sum(rows)))
        out.append((words, history))
    run("the plain mean of the batches' numbers, and the last batch here is shorter: how much "
        "does it count in Keras's?", weighted=False)
    run("measured after each batch's update: which forward pass does Keras's number come "
        "from?", measure_after=True)
    run("what .grad adding up over the batches gives: what empties it between two steps?",
        accumulate=True)
    run("what steps that change nothing give: the weights never moved (does step() come after "
        "backward(), and zero_grad() after step()?)", frozen=True)
    for over in (None, len(x)):            # divided by the rows counted, or by N
        run(f"every batch weighted as a full one of {b} rows, and the last batch here has "
            f"{len(x) % b}: how much does it count in Keras's?", full=True, over=over)
    for over in (None, len(x)):            # the mean over the rows trained on, or over all N
        run("what leaving out the last, shorter batch gives: Keras trains on it too", last=False,
            over=over)
    return out


def keras_early_stop(settings, values, sign=1):
    """The epoch after which Keras's EarlyStopping (mode "min") sets stop_training on these
    values, None if never: its rule, as keras/src/callbacks/early_stopping.py has it (and
    monitor_callback.py, the class it builds on). sign=-1: min_delta taken the other way, a
    student's mistake."""
    patience, min_delta = settings.get("patience", 0), sign * abs(settings.get("min_delta", 0.0))
    wait, best = 0, None
    for epoch, current in enumerate(values):
        wait += 1
        if best is None or current + min_delta < best:
            best, wait = current, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch
    return None


def level4_batches(start, data, config, stop_at):
    """What Keras's fit() hands a callback, computed with level 4 in dataset order: the notes
    [(kind, epoch, batch, logs)] of on_train_batch_end (the epoch's loss and accuracy so far,
    each batch weighted by its rows) and on_epoch_end (with val_loss and val_acc), stopping
    after batch stop_at[1] of epoch stop_at[0]; the weights; the history."""
    x, y, b, lr = data["x_train"], data["y_train"], config["batch_size"], config["lr"]
    params, notes = {k: v.copy() for k, v in start.items()}, []
    history = {"loss": [], "acc": [], "val_loss": [], "val_acc": []}
    for epoch in range(2 * config["epochs"]):
        loss_sum = correct = seen = 0.0
        for batch, i in enumerate(range(0, len(x), b)):
            xb, yb = x[i:i + b], y[i:i + b]
            h, z2, a = level4_numpy.forward(xb, params)
            loss_sum += level4_numpy.loss_fn(z2, yb) * len(xb)
            correct += level4_numpy.accuracy(a, yb) * len(xb)
            seen += len(xb)
            grads = level4_numpy.gradients(xb, yb, params, h, a)
            for k in params:
                params[k] -= lr * grads[k]
            notes.append(("batch", epoch, batch, {"loss": loss_sum / seen, "acc": correct / seen}))
            if (epoch, batch) == tuple(stop_at):
                break
        val_loss, val_acc = level4_numpy.evaluate(params, data["x_test"], data["y_test"])
        logs = {"loss": loss_sum / seen, "acc": correct / seen, "val_loss": val_loss,
                "val_acc": val_acc}
        for k, v in logs.items():
            history[k].append(v)
        notes.append(("epoch", epoch, None, logs))
        if epoch == stop_at[0]:
            break
    return notes, params, history


def per_batch(start, data, config, epoch, batch):
    """The loss and accuracy of that batch alone, before its step, in dataset order."""
    x, y, b, lr = data["x_train"], data["y_train"], config["batch_size"], config["lr"]
    params = {k: v.copy() for k, v in start.items()}
    for e in range(epoch + 1):
        for k, i in enumerate(range(0, len(x), b)):
            xb, yb = x[i:i + b], y[i:i + b]
            h, z2, a = level4_numpy.forward(xb, params)
            if (e, k) == (epoch, batch):
                return {"loss": level4_numpy.loss_fn(z2, yb), "acc": level4_numpy.accuracy(a, yb)}
            grads = level4_numpy.gradients(xb, yb, params, h, a)
            for name in params:
                params[name] -= lr * grads[name]
    return None
