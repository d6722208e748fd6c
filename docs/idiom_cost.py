"""What two of the levels' departures from their framework's usual idiom buy, measured: the
numbers behind docs/design.md's "What level 2's DataLoader costs" and "steps_per_execution".

  * Level 2's DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True), the usual form,
    fetches each batch one example at a time; a sampler that hands out whole batches of indices
    (sampler=torch.randperm(n).split(B), batch_size=None) lets the TensorDataset slice a batch in
    one operation. Both run level 2's own train_step on all of MNIST, at batch 32 and at 2,048.
  * Level 1 compiles with steps_per_execution=50; fit()'s default is 1. Both run level 1's fit()
    at batch 32.

Each figure is the median seconds of the epochs after the first, over --repeats runs made in
turns on the same machine, each run in a process of its own. Prints a Markdown table with the
machine and the date.

    python docs/idiom_cost.py --data-dir PATH/TO/MNIST        # about 4 minutes on 2 cores
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from machinery import cli  # noqa: E402


def torch_epochs(data_dir, batch, usual, epochs):
    """Seconds per epoch of level 2's training, with its usual DataLoader or whole batches."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    import level2_pytorch as level
    from machinery import levels
    torch.manual_seed(0)
    (x, y), _ = levels.load_data(level, data_dir, None, torch.float32)
    model = level.build_model(256, torch.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    rng, seconds = torch.Generator().manual_seed(0), []
    for _ in range(epochs):
        start = time.perf_counter()
        if usual:
            level.train_epoch(model, optimizer, x, y, batch, rng, True)
        else:                                  # whole batches of indices at a time
            order = torch.randperm(len(x), generator=rng).split(batch)
            for xb, yb in DataLoader(TensorDataset(x, y), sampler=order, batch_size=None):
                level.train_step(model, optimizer, xb, yb)
        seconds.append(time.perf_counter() - start)
    return seconds


def keras_epochs(data_dir, steps, epochs):
    """Seconds per epoch of level 1's fit() at batch 32, with steps_per_execution `steps`."""
    import machinery.quiet_tensorflow  # noqa: F401
    import keras

    import level1_keras as level
    from machinery import levels
    keras.utils.set_random_seed(0)
    (x, y), (xt, yt) = levels.load_data(level, data_dir, None, "float32")
    model = level.build_model(256)
    level.compile_model(model, 1.0)
    model.steps_per_execution = steps          # compile() keeps it here; fit() reads it
    seconds, last = [], [0.0]
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: last.__setitem__(0, time.perf_counter()),
        on_epoch_end=lambda e, logs: seconds.append(time.perf_counter() - last[0]))
    model.fit(x, y, batch_size=32, epochs=epochs, validation_data=(xt, yt), verbose=0,
              callbacks=[timer])
    return seconds


def child(what, args):
    """One measurement in a process of its own; its seconds per epoch."""
    code = (f"import sys, json; sys.path.insert(0, {HERE!r}); import idiom_cost as m; "
            f"print(json.dumps(m.{what}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise cli.UserError(f"{what} failed:\n" + done.stderr[-2000:])
    return json.loads(done.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR"), metavar="DIR",
                        help="the folder of the four MNIST .gz files (default: $MNIST_DIR)")
    parser.add_argument("--epochs", type=int, default=4, metavar="N",
                        help="epochs per run; the first is left out (default: 4)")
    parser.add_argument("--repeats", type=int, default=3, metavar="R",
                        help="runs of each, in turns (default: 3)")
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("give the MNIST folder with --data-dir DIR (or set MNIST_DIR)")
    d, n = args.data_dir, args.epochs
    runs = {("level 2, batch 32", "whole batches"): f"torch_epochs({d!r}, 32, False, {n})",
            ("level 2, batch 32", "the usual DataLoader"): f"torch_epochs({d!r}, 32, True, {n})",
            ("level 2, batch 2,048", "whole batches"): f"torch_epochs({d!r}, 2048, False, {n})",
            ("level 2, batch 2,048", "the usual DataLoader"):
                f"torch_epochs({d!r}, 2048, True, {n})",
            ("level 1, batch 32", "steps_per_execution=50"): f"keras_epochs({d!r}, 50, {n})",
            ("level 1, batch 32", "steps_per_execution=1"): f"keras_epochs({d!r}, 1, {n})"}
    seconds = {key: [] for key in runs}
    for _ in range(args.repeats):
        for key, what in runs.items():
            seconds[key] += child(what, args)[1:]
    medians = {key: statistics.median(values) for key, values in seconds.items()}
    print(f"Measured on {cli.cpu_model()}, {os.cpu_count()} cores, {datetime.date.today()}: "
          f"median seconds per epoch of epochs 2 to {n}, {args.repeats} runs each in turns.\n")
    print("| run | the faster way | s | the usual way | s | ratio |\n|---|---|---|---|---|---|")
    keys = list(medians)
    for mine, usual in zip(keys[::2], keys[1::2]):
        print(f"| {mine[0]} | {mine[1]} | {medians[mine]:.2f} | {usual[1]} | "
              f"{medians[usual]:.2f} | {medians[usual] / medians[mine]:.1f} |")


if __name__ == "__main__":
    cli.run(main)
