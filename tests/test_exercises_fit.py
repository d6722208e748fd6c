"""The checks of Exercise 11 (fit()) on planted mistakes: each caught by the check that should
catch it, and named in words; the checker's Keras references against Keras itself. Each test
checks the exercise in this process."""

import os
import re

import pytest

from conftest import ROOT
from planted import checked, line_of, named, planted

def test_exercise_11_fit_that_does_not_reshuffle_each_epoch_is_named(capsys, tmp_path):
    planted(tmp_path, 11, """        for epoch in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)   # afresh, every epoch""",
            """        order = rng.permutation(n) if shuffle else np.arange(n)   # once: wrong
        for epoch in range(epochs):""")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  fit() shuffled")
    assert "epoch 1 agrees with level 4 shuffled by the same generator, epoch 2 does not" in line
    assert "does each epoch draw an order of its own from rng?" in line, line
    assert line_of(out, "  passed  fit() in dataset order") and code == 1


def test_exercise_11_fit_one_step_short_fails_the_lockstep_with_keras(capsys, tmp_path):
    """The last, shorter batch of each epoch left out: one step fewer per epoch."""
    planted(tmp_path, 11, "for batch, start in enumerate(range(0, n, batch_size)):",
            "for batch, start in enumerate(range(0, n - batch_size + 1, batch_size)):")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  fit() in dataset order")
    assert "fit() reports loss" in line and "Keras's fit() and level 4" in line, line
    assert "leaving out the last, shorter batch" in line, line
    assert code == 1
    line = line_of(out, "  FAILED  fit() shuffled")
    assert "follow-on of the check \"fit() in dataset order, with validation_data\"" in line, line
    assert "look at the order" not in line, line              # the order was never the fault


def test_exercise_11_fit_without_zero_grad_is_named(capsys, tmp_path):
    planted(tmp_path, 11, "                self.optimizer.zero_grad()", "                pass")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  fit() in dataset order")
    assert ".grad adding up over the batches" in line and "what empties it" in line, line
    assert code == 1


def test_exercise_11_accuracy_after_the_update_is_named(capsys, tmp_path):
    planted(tmp_path, 11, """                correct += np.sum(as_array(z2).argmax(axis=1) == yb.argmax(axis=1))""",
            """                after = as_array(self.network(as_tensor(xb)))     # wrong: after step()
                correct += np.sum(after.argmax(axis=1) == yb.argmax(axis=1))""")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  fit() in dataset order")
    assert "fit() reports acc" in line and "measured after each batch's update" in line, line
    assert code == 1


def test_exercise_11_every_batch_weighted_as_full_is_named(capsys, tmp_path):
    """The last, shorter batch's loss weighted by batch_size rather than by its own rows."""
    planted(tmp_path, 11, "total_loss += float(as_array(loss)) * len(rows)",
            "total_loss += float(as_array(loss)) * batch_size")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  fit() in dataset order")
    assert "yours is every batch weighted as a full one of 50 rows" in line, line
    assert code == 1


# One mistake each, caught by one check alone: (the line planted, its replacement, the check that
# fails, what its line must say). The other eight checks pass, or fail as its follow-ons, or say
# what they saw of the same mistake (ALSO).
ONE_CHECK = {
    "min_delta the other way": ("current + self.min_delta < self.best",
                                "current - self.min_delta < self.best",
                                "EarlyStopping: stops",
                                [r"min_delta taken the other way", r"monitor_callback.py"]),
    "reaches for torch": ("z2 = self.network(as_tensor(xb))             # forward",
                          "z2 = self.network(torch.from_numpy(xb))             # forward",
                          "fit() on another tensor library",
                          [r"on level 3½'s engine, fit\(\) raised", r"only through those names"]),
    "ignores stop_training": ("            if self.stop_training:                           # set by",
                              "            if False:                           # set by",
                              "callbacks:",
                              [r"set model.stop_training after epoch 1 \(of 4\), and fit\(\) went "
                               r"on to epoch 3: when does Keras's fit\(\) look at "
                               r"stop_training\?"]),
    "batch logs of the batch alone": ('                logs = {"loss": total_loss / seen, "acc": correct / seen}',
                                      '                logs = {"loss": float(as_array(loss)), "acc": float(np.mean('
                                      'as_array(z2).argmax(1) == yb.argmax(1)))}',
                                      "per-batch callbacks:",
                                      [r"yours are that batch's own numbers - what do Keras's "
                                       r"average over\?"]),
    "no stop inside an epoch": ("                if self.stop_training:                       # set by a callback: end the epoch",
                                "                if False:",
                                "per-batch callbacks:",
                                [r"set stop_training at batch 3 of epoch 1, and fit\(\) went on "
                                 r"to batch 12: where does Keras's fit\(\) look at "
                                 r"stop_training\?"]),
    "evaluate() records": ("        with no_grad():                                      # measuring",
                           "        if True:                                      # measuring",
                           "evaluate():",
                           [r"evaluate\(\) called the network \d+ times, \d+ of them while the "
                            r"engine recorded a graph"]),
}


ALSO = {"ignores stop_training": [("EarlyStopping inside fit()", r"ran 4 of 4 epochs, not 2"),
                                  ("per-batch callbacks", r"Keras's fit\(\) makes no more calls, "
                                                          r"yours on_train_batch_end after batch")]}


@pytest.mark.parametrize("mistake", ONE_CHECK)
def test_exercise_11_mistake_that_only_one_check_can_see(mistake, capsys, tmp_path):
    """as_tensor and as_array bypassed: right over level 2's model, wrong on any other library;
    a fit() that calls the callbacks but never stops; an evaluate() that records a graph: each
    named by its check, alone."""
    old, new, check, said = ONE_CHECK[mistake]
    planted(tmp_path, 11, old, new)
    code, out = checked(capsys, 11, tmp_path)
    named(out, check, said)
    others = [line for line in re.findall(r"^  FAILED  .*", out, re.M)
              if not line.startswith(f"  FAILED  {check}")]
    also = ALSO.get(mistake, [])
    assert all("follow-on of the check" in other or any(
        other.startswith(f"  FAILED  {name}") and re.search(said, other) for name, said in also)
        for other in others), out
    assert code == 1
    assert len(re.findall(r"^  passed  ", out, re.M)) == 8 - len(others), out


def test_exercise_11_fit_that_does_not_reset_stop_training_is_named(capsys, tmp_path):
    """stop_training left set by an earlier fit(): the message names the cause."""
    planted(tmp_path, 11, "        history, n = History(), len(x)\n        self.stop_training = False",
            "        history, n = History(), len(x)")
    code, out = checked(capsys, 11, tmp_path)
    line = line_of(out, "  FAILED  callbacks:")
    assert "stop_training was left set by an earlier fit()" in line, line
    assert code == 1


def test_exercise_11_references_are_keras_own():
    """The checker's references for Exercise 11's callbacks against Keras itself (in a process
    of its own: Keras and PyTorch do not share one): its EarlyStopping rule against
    keras.callbacks.EarlyStopping on the check's cases, and what level4_batches() says a callback
    gets - on_train_batch_end's running numbers, a stop in mid-epoch - against level 1's model in
    Keras's fit(), float64, on the check's data."""
    import json
    import subprocess
    import sys
    from exercises.checks import ex11
    from exercises.checks.exact import hard_data, start_params
    code = """
import json, sys
import numpy as np
import machinery.quiet_tensorflow
import keras
keras.config.set_floatx("float64")
import level1_keras
from exercises.checks.exact import hard_data, start_params
cases, stop_at = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))
class Held:
    stop_training = False
stops = []
for settings, values in cases:
    early, held = keras.callbacks.EarlyStopping(**settings), Held()
    early.set_model(held)
    early.on_train_begin()
    stop = None
    for epoch, value in enumerate(values):
        early.on_epoch_end(epoch, {settings.get("monitor", "val_loss"): value})
        if held.stop_training:
            stop = epoch
            break
    stops.append(stop)
(x, y), (xt, yt) = hard_data(620, 210, seed=5)
p = start_params(24, 3)
model = level1_keras.build_model(24)
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.7), loss="binary_crossentropy",
              metrics=["accuracy"])
model.layers[0].set_weights([p["W1"], p["b1"]])
model.layers[1].set_weights([p["W2"], p["b2"]])
notes = []
names = {"accuracy": "acc", "val_accuracy": "val_acc"}
class Noting(keras.callbacks.Callback):
    epoch = 0
    def on_train_batch_end(self, batch, logs=None):
        notes.append(["batch", Noting.epoch, batch,
                      {names.get(k, k): float(v) for k, v in logs.items()}])
        if (Noting.epoch, batch) == stop_at:
            self.model.stop_training = True
    def on_epoch_end(self, epoch, logs=None):
        notes.append(["epoch", epoch, None, {names.get(k, k): float(v) for k, v in logs.items()}])
        Noting.epoch = epoch + 1
model.fit(x, y, batch_size=50, epochs=4, shuffle=False, validation_data=(xt, yt),
          callbacks=[Noting()], verbose=0)
print(json.dumps({"stops": stops, "notes": notes}))
"""
    stop_at = (1, 3)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(ex11.EARLY),
                           json.dumps(stop_at)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    keras_says = json.loads(done.stdout.strip().splitlines()[-1])
    assert keras_says["stops"] == [ex11.keras_early_stop(s, v) for s, v in ex11.EARLY]
    assert len(set(map(str, keras_says["stops"]))) >= 3               # the cases tell rules apart
    (x, y), (xt, yt) = hard_data(620, 210, seed=5)
    data = {"x_train": x, "y_train": y, "x_test": xt, "y_test": yt}
    want = ex11.level4_batches(start_params(24, 3), data, dict(ex11.FIT), stop_at)[0]
    assert [n[:3] for n in keras_says["notes"]] == [list(w[:3]) for w in want]
    assert any(kind == "epoch" and epoch == 1 for kind, epoch, b, logs in want)   # after a stop
    for (kind, epoch, batch, logs), (_, _, _, wanted) in zip(keras_says["notes"], want):
        assert sorted(logs) == sorted(wanted)
        assert max(abs(logs[k] - v) for k, v in wanted.items()) <= ex11.HISTORY
