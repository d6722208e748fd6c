"""The whole stack: the student's fit() (Exercise 11) on their Linear, Tanh, Sequential and SGD
(Exercise 10), computing on their engine (Exercise 9), trained here on the checker's data, and
how far its weights end from Keras's fit() (level 1), from level 2 and from level 4, which train
from the same start on the same batches. The checker prints it as its last line when the three
exercises pass. Where 9 or 10 is left out (a class not set it) or does not pass yet, level 3½
stands in: its engine for 9, its forward() and SGD update for 10.
"""


import level4_numpy
from exercises import helpers
from exercises.checks import remote
from exercises.checks.core import weights
from exercises.checks.exact import small_data, start_params

NUMBERS = (9, 10, 11)
OPTIONAL = (9, 10)            # what level 3½ stands in for, when left out or not passing yet
STANDS_IN = {9: "engine", 10: "model and update"}
STACK = dict(hidden=24, rows=620, batch_size=50, lr=0.7, epochs=2)


def run(student, seed, own_engine=True, own_pieces=True, on_hold=None):
    """Train the whole stack: the student's fit(), over their pieces (or, own_pieces False, level
    3½'s forward() and update), on their engine (or level 3½'s); returns the line to print (what
    it reached, or why it could not)."""
    import torch
    import level2_pytorch
    from machinery import params_files
    config = dict(STACK, seed=seed % 1000)
    (x_train, y_train), (x_test, y_test) = small_data(config["rows"], 200, seed=seed % 983)
    data = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    start = start_params(config["hidden"], config["seed"])
    try:
        child = student.child("torch", on_hold)
        own = {9: own_engine, 10: own_pieces, 11: True}
        for number in NUMBERS:
            if own[number] and number not in child.loaded:
                child.load(number, student.box.child_path(number))
        task = remote.Remote(child, {"public": "exercises.checks.rebuild_tasks.whole_stack"},
                             "whole_stack")
        out = task(*[remote.Remote(child, {"module": n}, f"exercise {n}") if own[n] else None
                     for n in NUMBERS], data, config)
        mine = weights(out.get("weights"), "the whole stack's weights")
        keras_child = student.child("keras", on_hold)
        keras = remote.Remote(keras_child, {"public": "exercises.checks.keras_tasks.level1_fit"},
                              "level1_fit")(None, start, data, config)
        keras_weights = weights(keras.get("weights"), "Keras's weights")
    except remote.StudentError as e:
        return f"The whole stack did not train: {e}"
    except Exception as e:                     # a ChildError, or values not of the right form
        return f"The whole stack could not be trained: {e}"
    model = level2_pytorch.build_model(config["hidden"], torch.float64)
    params_files.into_torch_model(model, start)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    for epoch in range(config["epochs"]):
        level2_pytorch.train_epoch(model, optimizer, torch.from_numpy(x_train),
                                   torch.from_numpy(y_train), config["batch_size"], None, False)
    exact = {k: v.copy() for k, v in start.items()}
    for epoch in range(config["epochs"]):
        level4_numpy.train_epoch(exact, x_train, y_train, config["batch_size"], config["lr"],
                                 None, False)
    moved = helpers.max_abs_difference(mine, start)
    to_torch = helpers.max_abs_difference(mine, params_files.from_torch_model(model))
    pieces = ("your Linear, Tanh, Sequential and SGD (10)" if own_pieces else
              "level 3½'s forward() and update (Exercise 10 left out or not passing)")
    engine = ("your engine (9)" if own_engine else
              "level 3½'s engine (Exercise 9 left out or not passing)")
    return (f"The whole stack - your fit() (11) on {pieces} on {engine}, float64, "
            f"{config['rows']} rows, batch {config['batch_size']}, "
            f"H {config['hidden']}, lr {config['lr']:g}, {config['epochs']} epochs, loss "
            f"{', '.join(f'{v:.6f}' for v in out['history'].get('loss', []))}: its weights moved "
            f"up to {moved:.3f} and end {helpers.max_abs_difference(mine, keras_weights):.1e} "
            f"from Keras's fit(), {to_torch:.1e} from PyTorch's (level 2), {helpers.max_abs_difference(mine, exact):.1e} from "
            f"level 4.")
