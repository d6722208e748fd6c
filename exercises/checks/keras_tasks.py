"""What the Keras checks run in the process that holds Keras and the student's file: each task
calls the student's Keras code on the checker's inputs and returns values (a number, weights,
a history), which the checker compares with its own references in its own process.

A task is task(module, start, data, config): the student's module, the start W1, b1, W2, b2,
the data and the settings, as the check module's keras_inputs() makes them.
"""

import numpy as np

NAMES = ("W1", "b1", "W2", "b2")


def weights_of(model):
    return dict(zip(NAMES, model.get_weights()))


# Exercise 3 ----------------------------------------------------------------------------------
# Its functions must set Keras's floatx to the dtype of `start` themselves: they are called with
# Keras's default, float32, and the floatx they leave is returned beside their value.
def exercise_3_loss(module, start, data, config):
    import keras
    keras.config.set_floatx("float32")
    value = float(np.asarray(module.keras_loss_on_sigmoid(start, data["x_train"][:5],
                                                          data["y_train"][:5])))
    return {"value": value, "floatx": keras.config.floatx()}


def exercise_3_trap(module, start, data, config):
    import keras
    keras.config.set_floatx("float32")
    weights = {k: np.asarray(v) for k, v in module.train_keras_trap(
        start, data["x_train"], data["y_train"], config["epochs"], config["batch_size"],
        config["lr"]).items()}
    return {"weights": weights, "floatx": keras.config.floatx()}


# Exercise 5 ----------------------------------------------------------------------------------
def exercise_5_momentum(module, start, data, config):
    import keras

    import level1_keras
    keras.config.set_floatx("float64")
    model = level1_keras.build_model(config["hidden"])
    model.set_weights([start[name] for name in NAMES])
    module.compile_with_momentum(model, config["lr"], config["mu"])
    if model.optimizer is None:
        raise ValueError("compile_with_momentum() did not compile the model")
    model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
              epochs=config["epochs"], shuffle=False, verbose=0)
    return weights_of(model)


# Exercises 8 and 11, and the whole stack: level 1's own fit() --------------------------------
def level1_fit(module, start, data, config):
    """Level 1 as it is (module is not used), from `start`, fit() on the batches in dataset
    order, float64: its history and weights."""
    import keras

    import level1_keras
    keras.config.set_floatx("float64")
    history, weights = _fit(level1_keras.build_model(config["hidden"]), start, data, config)
    return {"history": history, "weights": weights}


# Exercise 8 ----------------------------------------------------------------------------------
def _fit(model, start, data, config):
    import level1_keras
    model.set_weights([start[name] for name in NAMES])
    level1_keras.compile_model(model, config["lr"])
    history = model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                        epochs=config["epochs"], shuffle=False, verbose=0,
                        validation_data=(data["x_test"], data["y_test"]))
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, weights_of(model)


def exercise_8_own(module, start, data, config):
    import keras

    import level1_keras
    keras.config.set_floatx("float64")
    history, weights = _fit(level1_keras.build_model(config["hidden"]), start, data, config)
    return {"history": history, "weights": weights}


def exercise_8_mine(module, start, data, config):
    import keras
    keras.config.set_floatx("float64")
    model = module.build_model(config["hidden"])
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_model() returned {type(model).__name__}, not a Keras model")
    if getattr(type(model), "train_step") is getattr(keras.Sequential, "train_step"):
        raise ValueError(f"build_model() returned a {type(model).__name__}, whose train_step is "
                         f"Keras's own: return a StepByStep")
    shapes = [list(w.shape) for w in model.get_weights()]
    history, weights = _fit(model, start, data, config)
    return {"history": history, "weights": weights, "shapes": shapes,
            "kind": type(model).__name__}
