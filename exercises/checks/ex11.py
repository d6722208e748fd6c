"""Exercise 11's checks: the student's fit() over level 2's own model, loss and torch.optim.SGD,
against Keras's fit() (level 1) and level 4 in dataset order, and against level 4 shuffled by
the same generator, epoch by epoch; with another loss and optimizer; over level 3½'s engine; its
callbacks, one of which stops it; and evaluate().
"""

import numpy as np

import level4_numpy
from exercises import helpers
from exercises.checks.core import EXACT, Failure, how_they_moved, require, weights
from exercises.checks.exact import hard_data, start_params, stated_loss
from exercises.checks.fit_rules import (HISTORY, exact_run, keras_early_stop, level4_batches,
                                        per_batch, plain_means, validation_variants, variants)

TITLE = "write fit()"
CHILD = "torch"               # its functions run where PyTorch is (and TensorFlow is not)
FIT = dict(hidden=24, rows=620, batch_size=50, lr=0.7, epochs=2)          # last batch: 20 rows
FUNCTIONS = ["Model.compile", "Model.fit"]
EVALUATE = 40                 # evaluate()'s batch size: the checker's 210 test rows end on 10
# EarlyStopping's cases: (settings, the monitored number epoch by epoch). A plateau is no
# improvement; nor is one smaller than min_delta, which leaves the best as it was, so that small
# gains add up; the wait counts from the last improvement.
EARLY = [({"patience": 0}, [0.5, 0.4, 0.3, 0.35, 0.2]),
         ({"patience": 2}, [0.5, 0.4, 0.45, 0.41, 0.3, 0.31, 0.32, 0.33]),
         ({"patience": 1, "min_delta": 0.05}, [0.5, 0.46, 0.3, 0.28, 0.2, 0.1]),
         ({"patience": 3}, [0.5, 0.5, 0.5, 0.5, 0.5]),
         ({"monitor": "loss", "patience": 1}, [0.9, 0.8, 0.7, 0.6]),
         ({"patience": 0}, [0.7, 0.9]),
         ({"patience": 3, "min_delta": 0.1}, [1.0, 0.95, 0.89, 0.88, 0.87, 0.86, 0.85])]


def run(ex):
    config = dict(FIT, seed=ex.seed % 1000)
    (x_train, y_train), (x_test, y_test) = hard_data(config["rows"], 210, seed=ex.seed % 983)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    start = start_params(config["hidden"], config["seed"])

    def level4(shuffle, seed=None):
        rng = np.random.default_rng(seed)
        params, losses, accs = {k: v.copy() for k, v in start.items()}, [], []
        for epoch in range(config["epochs"]):
            loss, acc = level4_numpy.train_epoch(params, x_train, y_train, config["batch_size"],
                                                 config["lr"], rng, shuffle)
            losses.append(loss)
            accs.append(acc)
        return params, {"loss": losses, "acc": accs}

    def fitted(shuffle, seed=None, validation=False):
        out = ex.task("exercise_11_fit", start, data,
                      dict(config, shuffle=shuffle, validation=validation),
                      np.random.default_rng(seed))
        require(isinstance(out, dict) and isinstance(out.get("history"), dict),
                "fit() returned no History with a .history dict")
        history = out["history"]
        for key in ("loss", "acc"):
            found = history.get(key)
            require(isinstance(found, list) and len(found) == config["epochs"],
                    f"fit()'s history[{key!r}] is {shown_key(found)}: one number per epoch, "
                    f"{config['epochs']} epochs")
        return weights(out.get("weights"), "the model's weights after fit()"), history

    passed = {}

    def in_order():
        mine, history = fitted(False, validation=True)
        exact, reference = level4(False)
        keras = ex.keras_reference("level1_fit", start, data, config)
        keras_weights = weights(keras.get("weights"), "Keras's weights")
        for key in ("loss", "acc"):
            diff = float(np.abs(np.subtract(history[key], reference[key])).max())
            if diff > HISTORY:
                if key == "loss" and plain_means(start, data, config, history[key]):
                    raise Failure(
                        f"fit() reports the loss {shown(history[key])}, Keras's fit() "
                        f"{shown(keras['history']['loss'])}: yours is the plain mean of the "
                        f"batches' losses, and the last batch of an epoch here has "
                        f"{config['rows'] % config['batch_size']} rows, not "
                        f"{config['batch_size']}: how much does it count in Keras's?")
                found = [why for why, made in variants(start, data, config)
                         if np.abs(np.subtract(history[key], made[key])).max() <= HISTORY]
                raise Failure(f"fit() reports {key} {shown(history[key])}, Keras's fit() and "
                              f"level 4 {shown(reference[key])} (largest difference "
                              f"{diff:.1e}, allowed {HISTORY:g})" +
                              (f": yours is {found[0]}" if found else ""))
        to_numpy = helpers.max_abs_difference(mine, exact)
        to_keras = helpers.max_abs_difference(mine, keras_weights)
        require(to_numpy <= EXACT and to_keras <= EXACT,
                f"largest |dW| from Keras's fit() {to_keras:.2e}, from level 4 {to_numpy:.2e}; the "
                f"lockstep wants <= {EXACT:g}. " + how_they_moved(mine, exact, start, "level 4's"))
        for key in ("val_loss", "val_acc"):
            found = history.get(key)
            require(isinstance(found, list) and len(found) == config["epochs"],
                    f"with validation_data, fit()'s history[{key!r}] is {shown_key(found)}: one number "
                    f"per epoch, {config['epochs']} epochs, as Keras's")
            theirs = keras["history"][key]
            gap = float(np.abs(np.subtract(found, theirs)).max())
            found_why = [why for why, made in (validation_variants(
                exact_run(start, data, config), data, config) if key == "val_loss" and
                gap > HISTORY else []) if np.abs(np.subtract(found, made)).max() <= HISTORY]
            require(gap <= HISTORY, f"with validation_data, fit() reports {key} {shown(found)}, "
                                    f"Keras's fit() {shown(theirs)} (largest difference "
                                    f"{gap:.1e}, allowed {HISTORY:g})" +
                    (f": yours is {found_why[0]}" if found_why else
                     ": the loss and accuracy of the whole validation set, after the epoch's "
                     "last step"))
        keras_history = float(max(np.abs(np.subtract(history[k], keras["history"][k])).max()
                                  for k in ("loss", "acc", "val_loss", "val_acc")))
        passed["in order"] = True
        return (f"largest |dW| from Keras's fit() {to_keras:.1e}, from level 4 {to_numpy:.1e}; "
                f"history within {keras_history:.0e} of Keras's: loss {shown(history['loss'])}")
    ex.check(f"fit() in dataset order, with validation_data: the weights and history of Keras's "
             f"fit() (level 1) and of level 4 (float64, {FIT['rows']} rows, batch "
             f"{FIT['batch_size']}: the last one "
             f"{FIT['rows'] % FIT['batch_size']}, H {FIT['hidden']}, lr {FIT['lr']:g}, "
             f"{FIT['epochs']} epochs)", in_order, needs=FUNCTIONS)

    def shuffled():
        seed = ex.seed % 7919
        mine, history = fitted(True, seed)
        exact, reference = level4(True, seed)
        agree = [abs(a - b) <= HISTORY for a, b in zip(history["loss"], reference["loss"])]
        if agree[0] and not all(agree):
            raise Failure(f"epoch 1 agrees with level 4 shuffled by the same generator, epoch "
                          f"{agree.index(False) + 1} does not (loss {shown(history['loss'])}, "
                          f"level 4 {shown(reference['loss'])}): does each epoch draw an order "
                          f"of its own from rng?")
        require(all(agree), f"fit() reports the loss {shown(history['loss'])}, level 4 shuffled "
                            f"by the same generator {shown(reference['loss'])}" + (
                                ": in dataset order they agree, so look at the order: is it "
                                "drawn from the generator fit() is given, as level 4 draws it?"
                                if passed.get("in order") else ""))
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"largest |dW| from level 4 {diff:.2e}; the lockstep wants <= "
                               f"{EXACT:g}. " + how_they_moved(mine, exact, start, "level 4's"))
        extra = sorted(set(history) - {"loss", "acc"})
        require(not extra, f"without validation_data, fit()'s history holds {extra} too: only "
                           f"'loss' and 'acc', as Keras's")
        runs = [ex.task("exercise_11_fit", start, data, dict(config, shuffle=True, epochs=1,
                                                             rng_none=True), None)
                for k in range(2)]
        require(all(isinstance(out, dict) and len(out.get("history", {}).get("loss", [])) == 1
                    for out in runs),
                "fit(shuffle=True) without rng gave no history: rng None means a new "
                "np.random.default_rng()")
        one, two = (weights(out.get("weights"), "the weights") for out in runs)
        in_order = weights(ex.task("exercise_11_fit", start, data,
                                   dict(config, shuffle=False, epochs=1), None).get("weights"),
                           "the weights")
        require(helpers.max_abs_difference(one, two) > 0 and
                helpers.max_abs_difference(one, in_order) > 0,
                "fit(shuffle=True) without rng trains in the same order twice, or in dataset "
                "order: rng None means a new np.random.default_rng(), a new order each call")
        return (f"every epoch as level 4's with the same generator; largest |dW| {diff:.1e}; "
                f"and without rng it draws from a new generator")
    ex.check("fit() shuffled by a seeded generator: a new order each epoch, as level 4's",
             shuffled, needs=FUNCTIONS)

    def compiled():
        import torch
        import level2_pytorch
        from machinery import params_files
        other = dict(config, shuffle=False, loss="sum", momentum=0.9, lr=0.05)
        out = ex.task("exercise_11_fit", start, data, other, np.random.default_rng(0))
        require(isinstance(out, dict), "fit() gave nothing back")
        mine = weights(out.get("weights"), "the model's weights after fit()")
        model = level2_pytorch.build_model(config["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = torch.optim.SGD(model.parameters(), lr=other["lr"], momentum=0.9)
        x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
        for epoch in range(config["epochs"]):
            for i in range(0, len(x), config["batch_size"]):
                z2 = model(x[i:i + config["batch_size"]])
                stated_loss("sum", z2, y[i:i + config["batch_size"]]).backward()
                optimizer.step()
                optimizer.zero_grad()
        exact = params_files.from_torch_model(model)
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"compiled with a loss summed over the outputs and SGD with "
                               f"momentum 0.9, fit() ends {diff:.2e} from a loop that uses them; the "
                               f"lockstep wants <= {EXACT:g}: does fit() use the loss and the "
                               f"optimizer compile() was given? "
                + how_they_moved(mine, exact, start, "that loop's"))
        return f"largest |dW| from a plain loop with the same loss and optimizer {diff:.1e}"
    ex.check("fit() trains with what compile() was given: another loss (summed over the outputs, "
             "not averaged) and another optimizer (SGD with momentum 0.9)", compiled,
             needs=FUNCTIONS)

    def engine():
        from exercises.checks import remote
        import exercises.checks.core as core
        try:
            out = ex.task("exercise_11_engine", start, data, config)
        except remote.StudentError as e:
            message = str(e.info.get("message", ""))
            advice = (". A .grad was None where it was used: does step() come after backward(), "
                      "and zero_grad() after step()?" if "NoneType" in message else
                      ". The checker put level 3½'s Tensor behind as_tensor, as_array and "
                      "no_grad: make tensors and read numbers only through those names, and ask "
                      "no more of a tensor (no torch, no .item(), no .detach())")
            raise Failure(f"on level 3½'s engine, fit() raised {e.info.get('type')}: "
                          f"{message[:160]}{advice}") from None
        require(isinstance(out, dict), "fit() gave nothing back")
        mine = weights(out.get("weights"), "the engine's weights after fit()")
        exact, reference = level4(False)
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"on level 3½'s engine, fit() ends {diff:.2e} from level 4; the "
                               f"lockstep wants <= {EXACT:g}. "
                + how_they_moved(mine, exact, start, "level 4's"))
        history = out.get("history", {})
        for key in ("loss", "acc"):
            found = history.get(key) if isinstance(history, dict) else None
            require(isinstance(found, list) and len(found) == config["epochs"],
                    f"on level 3½'s engine, fit()'s history[{key!r}] is {shown_key(found)}: one number "
                    f"per epoch, {config['epochs']} epochs")
            gap = float(np.abs(np.subtract(core.array(found, f"history[{key!r}]"),
                                           reference[key])).max())
            require(gap <= HISTORY, f"on level 3½'s engine, fit() reports {key} {shown(found)}, "
                                    f"level 4 {shown(reference[key])} (largest difference "
                                    f"{gap:.1e}, allowed {HISTORY:g})")
        return f"largest |dW| from level 4 {diff:.1e}, the history as level 4's"
    ex.check("fit() on another tensor library: level 3½'s engine behind as_tensor, as_array and "
             "no_grad "
             "(float64, dataset order)", engine, needs=FUNCTIONS)

    def callbacks():
        stop = config["epochs"] - 1            # the epoch (from 0) after which the callback stops
        out = ex.task("exercise_11_callbacks", start, data, config, stop)
        require(isinstance(out, dict) and isinstance(out.get("seen"), dict),
                "fit() gave nothing back")
        params, expected = {k: v.copy() for k, v in start.items()}, []
        for epoch in range(config["epochs"]):
            loss, acc = level4_numpy.train_epoch(params, x_train, y_train, config["batch_size"],
                                                 config["lr"], None, False)
            val_loss, val_acc = level4_numpy.evaluate(params, x_test, y_test)
            expected.append({"loss": loss, "acc": acc, "val_loss": val_loss, "val_acc": val_acc})
        first, second = out["seen"].get("first", []), out["seen"].get("second", [])
        epochs = [e for e, logs in first]
        require(first, "fit() ran no epoch, or called no callback's on_epoch_end: fit() sets "
                       "stop_training to False when it starts (it was left set here), and after "
                       "each epoch calls on_epoch_end(epoch, logs) of every callback in "
                       "callbacks")
        require(epochs[:1] == [0], f"on_epoch_end was called with the epochs {epochs}: from "
                                   f"which number does Keras's fit() count them?")
        require(epochs != [0], "fit() stopped in epoch 0, before any callback asked it to: "
                               "stop_training was left set by an earlier fit(): what does Keras's "
                               "fit() do with it when it starts?")
        require(len(first) <= config["epochs"],
                f"a callback set model.stop_training after epoch {stop} (of "
                f"{2 * config['epochs']}), and fit() went on to epoch {epochs[-1]}: when does "
                f"Keras's fit() look at stop_training?")
        require(epochs == list(range(config["epochs"])),
                f"on_epoch_end was called with the epochs {epochs}, not "
                f"{list(range(config['epochs']))}")
        require([e for e, logs in second] == epochs,
                f"the second callback saw the epochs {[e for e, logs in second]}, the first "
                f"{epochs}: every callback's on_epoch_end runs after each epoch, then fit() "
                f"stops")
        history = out.get("history", {})
        lengths = {k: len(v) for k, v in history.items()}
        require(set(lengths.values()) != {config["epochs"] + 1},
                f"the history holds {config['epochs'] + 1} epochs: fit() trained one more after "
                f"a callback set stop_training - look at it right after the callbacks, before "
                f"the next epoch")
        require(set(lengths.values()) == {config["epochs"]},
                f"the history holds {lengths} numbers, not {config['epochs']} each")
        for epoch, logs in first:
            keys = sorted(logs)
            require(keys == sorted(expected[0]), f"the logs of epoch {epoch} hold {keys}, not "
                                                 f"{sorted(expected[0])}: the epoch's numbers "
                                                 f"under the history's keys")
            own = {k: history[k][epoch] for k in keys}
            gap = max(abs(logs[k] - own[k]) for k in keys)
            require(gap <= HISTORY, f"the logs of epoch {epoch} are {labelled(logs)}; your "
                                    f"history's numbers of that epoch {labelled(own)}: logs are "
                                    f"the numbers just put in the history")
        for epoch, want in enumerate(expected):
            gap = max(abs(history[k][epoch] - want[k]) for k in want)
            require(gap <= HISTORY, f"the history of epoch {epoch} is "
                                    f"{labelled({k: history[k][epoch] for k in want})}; level "
                                    f"4's {labelled(want)} (largest difference {gap:.1e})")
        diff = helpers.max_abs_difference(weights(out.get("weights"), "the weights"), params)
        require(diff <= EXACT, f"after the {config['epochs']} epochs that ran, largest |dW| from "
                               f"level 4 {diff:.2e}; the lockstep wants <= {EXACT:g}")
        return (f"on_epoch_end(epoch, logs) of both callbacks after epochs 0 to {stop}, the logs "
                f"as the history's; stopped there, {config['epochs']} of "
                f"{2 * config['epochs']} epochs, weights {diff:.1e} from level 4")
    ex.check("callbacks: on_epoch_end(epoch, logs) after each epoch; a callback that sets "
             "stop_training ends fit()", callbacks, needs=FUNCTIONS)


    def batches():
        stop_at = (1, 3)                       # batch 3 of the second epoch
        out = ex.task("exercise_11_batches", start, data, config, stop_at)
        require(isinstance(out, dict) and isinstance(out.get("notes"), list),
                "fit() gave nothing back")
        notes, (want, params, _) = out["notes"], level4_batches(start, data, config, stop_at)
        mine = [(kind, epoch, batch) for kind, epoch, batch, logs in notes]
        expected = [(kind, epoch, batch) for kind, epoch, batch, logs in want]
        first_batches = [b for kind, e, b in mine if kind == "batch" and e == 0]
        require(first_batches, "fit() called no callback's on_train_batch_end(batch, logs): "
                               "Keras's fit() calls it after every batch")
        n0 = len([1 for kind, e, b in expected if kind == "batch" and e == 0])
        require(first_batches == list(range(n0)),
                f"in epoch 0, on_train_batch_end was called with the batches {first_batches}, "
                f"not 0 to {n0 - 1}, as Keras's fit() counts them")
        if mine != expected:
            after = [b for kind, e, b in mine if kind == "batch" and e == stop_at[0]]
            require(max(after, default=0) <= stop_at[1],
                    f"a callback set stop_training at batch {stop_at[1]} of epoch "
                    f"{stop_at[0]}, and fit() went on to batch {max(after, default=0)}: where does Keras's "
                    f"fit() look at stop_training?")
            i = next(k for k in range(len(mine) + 1)
                     if k == len(mine) or k == len(expected) or mine[k] != expected[k])
            raise Failure(("the callback's calls agree with Keras's up to "
                           f"{call(expected[i - 1])}; " if i else "") +
                          f"then Keras's fit() makes {call(expected, i)}, yours {call(mine, i)}")
        for (kind, epoch, batch, logs), (_, _, _, wanted) in zip(notes, want):
            gap = max(abs(logs.get(k, np.inf) - v) for k, v in wanted.items())
            if gap > HISTORY:
                where = f"batch {batch} of epoch {epoch}" if kind == "batch" else \
                    f"the end of epoch {epoch}"
                own = per_batch(start, data, config, epoch, batch) if kind == "batch" else None
                raise Failure(f"the logs at {where} are {labelled(logs)}; Keras's "
                              f"{labelled(wanted)}" + (
                                  ": yours are that batch's own numbers - what do Keras's "
                                  "average over?" if own and max(
                                      abs(logs.get(k, np.inf) - v) for k, v in own.items())
                                  <= HISTORY else ""))
        lengths = {k: len(v) for k, v in out.get("history", {}).items()}
        require(set(lengths.values()) == {stop_at[0] + 1},
                f"the history holds {lengths} numbers, not {stop_at[0] + 1} each: the epoch "
                f"stopped early counts too, with the numbers of its batches that ran")
        diff = helpers.max_abs_difference(weights(out.get("weights"), "the weights"), params)
        require(diff <= EXACT, f"after the steps that ran, largest |dW| from level 4 {diff:.2e}; "
                               f"the lockstep wants <= {EXACT:g}")
        return (f"on_train_batch_end after every batch with the epoch's numbers so far, as "
                f"Keras's; stopped at batch {stop_at[1]} of epoch {stop_at[0]}, that epoch's "
                f"numbers those of its batches run; weights {diff:.1e} from level 4")
    ex.check("per-batch callbacks: on_train_batch_end(batch, logs) after each batch, with the "
             "epoch's numbers so far; a stop in the middle of an epoch", batches,
             needs=FUNCTIONS)

    def early():
        stops = ex.task("exercise_11_early", EARLY)
        require(isinstance(stops, list) and len(stops) == len(EARLY),
                "EarlyStopping gave nothing back")
        flipped = [keras_early_stop(s, v, sign=-1) for s, v in EARLY]
        for (settings, values), mine in zip(EARLY, stops):
            want = keras_early_stop(settings, values)
            said = ", ".join(f"{k}={v!r}" for k, v in settings.items())
            require(mine == want,
                    f"EarlyStopping({said}) fed {settings.get('monitor', 'val_loss')} "
                    f"{', '.join(f'{v:g}' for v in values)} (epochs 0 to {len(values) - 1}) "
                    f"stops {when(mine)}, Keras's {when(want)}"
                    + (" - every run stops where min_delta taken the other way would stop it: "
                       "which way does Keras's apply it (keras/src/callbacks/"
                       "monitor_callback.py, the class EarlyStopping builds on)?"
                       if stops == flipped else
                       " - which epochs does Keras's count towards the patience, and from "
                       "when?"))
        return f"{len(EARLY)} runs stopped where Keras's EarlyStopping stops them"
    ex.check("EarlyStopping: stops where Keras's does (monitor, min_delta, patience)", early,
             needs=["EarlyStopping.__init__", "EarlyStopping.on_epoch_end"])

    def early_in_fit():
        from exercises.checks import remote
        try:
            out = ex.task("exercise_11_early_fit", start, data, config)
        except remote.StudentError as e:
            if "has no attribute 'model'" in str(e.info.get("message", "")) or \
                    "has no attribute 'stop_training'" in str(e.info.get("message", "")):
                raise Failure(f"inside fit(), your EarlyStopping raised {e.info.get('type')}: "
                              f"{e.info.get('message')}: is each callback's .model set before "
                              f"the first epoch?") from None
            raise
        require(isinstance(out, dict), "fit() gave nothing back")
        require(out.get("model"), "fit() did not give the callback .model (this Model) before "
                                  "training, as Keras's fit() does")
        require(out.get("epochs") == 2,
                f"fit() with EarlyStopping(monitor=\"loss\", min_delta=1.0), which no epoch can "
                f"improve on, ran {out.get('epochs')} of {2 * config['epochs']} epochs, not 2")
        return "given .model, it stopped fit() after epoch 1"
    ex.check("EarlyStopping inside fit(): .model given, a stop after epoch 1", early_in_fit,
             needs=FUNCTIONS + ["EarlyStopping.__init__", "EarlyStopping.on_epoch_end"])

    def evaluated():
        out = ex.task("exercise_11_evaluate", start, data, dict(config, evaluate=EVALUATE))
        require(isinstance(out, dict), "evaluate() gave nothing back")
        result = out.get("result")
        require(isinstance(result, list) and len(result) == 2,
                f"evaluate() returned {result!r}: [loss, accuracy], as Keras's")
        exact, reference = level4(False)
        want = level4_numpy.evaluate(exact, x_test, y_test)
        require(out.get("moved", 1) == 0, f"evaluate() moved the weights by up to "
                                          f"{out.get('moved'):.2e}: it measures, it trains "
                                          f"nothing")
        gap = max(abs(a - b) for a, b in zip(result, want))
        if gap > HISTORY:
            h, z2, a = level4_numpy.forward(x_test, exact)
            plain = np.mean([level4_numpy.loss_fn(z2[i:i + EVALUATE], y_test[i:i + EVALUATE])
                             for i in range(0, len(x_test), EVALUATE)])
            raise Failure(f"evaluate(x, y, batch_size={EVALUATE}) on {len(x_test)} rows after "
                          f"fit() gives {shown(result)}, where Keras's evaluate() gives "
                          f"{shown(want)} (the checker's figure: level 4's evaluate() of the same "
                          f"weights, which matches Keras's)"
                          + (f": yours is the plain mean of the batches' losses, and the last "
                             f"batch here has {len(x_test) % EVALUATE} rows: how much does it "
                             f"count in Keras's?" if abs(result[0] - plain) <= HISTORY
                             else ""))
        recording = out.get("recording", [])
        require(recording, "evaluate() never called the network")
        calls = -(-len(x_test) // EVALUATE)
        require(len(recording) == calls,
                f"evaluate(x, y, batch_size={EVALUATE}) called the network {len(recording)} "
                f"time(s) for {len(x_test)} rows, not {calls}: one call per batch, as Keras's")
        require(not any(recording),
                f"on level 3½'s engine, evaluate() called the network {len(recording)} times, "
                f"{sum(recording)} of them while the engine recorded a graph, which nothing "
                f"differentiates. The checker put level 3½'s no_grad behind the name no_grad of "
                f"your file for this run: does evaluate() run the network inside it, looked up "
                f"when evaluate() runs?")
        on_engine = out.get("engine")
        start_numbers = level4_numpy.evaluate(start, x_test, y_test)
        require(isinstance(on_engine, list) and len(on_engine) == 2 and
                max(abs(a - b) for a, b in zip(on_engine, start_numbers)) <= HISTORY,
                f"on level 3½'s engine, evaluate() gives {on_engine!r}, level 4 "
                f"{shown(start_numbers)}")
        return (f"[loss, accuracy] {shown(result)} as Keras's, in batches of {EVALUATE}; weights "
                f"unchanged; on level 3½'s engine, nothing recorded")
    ex.check(f"evaluate(): [loss, accuracy] as Keras's, in batches of {EVALUATE} (the last one "
             f"shorter), recording no graph", evaluated,
             needs=["Model.compile", "Model.fit", "Model.evaluate"])


def shown_key(found):
    """A history's entry in words: missing, or what it holds."""
    return "missing" if found is None else repr(found)


def shown(values):
    return ", ".join(f"{v:.6f}" for v in values)


def labelled(numbers):
    """{"loss": 0.3, ...} as "loss 0.300000, ..."."""
    return ", ".join(f"{k} {v:.6f}" for k, v in numbers.items())


def when(epoch):
    return "never" if epoch is None else f"after epoch {epoch}"


def call(notes, i=None):
    """One note, or notes[i], in words: "on_train_batch_end after batch 3 of epoch 1"."""
    if i is not None:
        if i >= len(notes):
            return "no more calls"
        notes = notes[i]
    kind, epoch, batch = notes
    return (f"on_train_batch_end after batch {batch} of epoch {epoch}" if kind == "batch" else
            f"on_epoch_end of epoch {epoch}")
