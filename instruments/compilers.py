"""What a compiler buys, and what it can break: level 1 under XLA, level 3's step under torch.compile.

Both frameworks can hand the operations of a training step to a compiler, which fuses them into
fewer, larger kernels and saves the framework's cost per operation. This script measures it on
this machine's CPU, at batch sizes 32 and 2048 by default, on the first --limit training images:

* Level 1, as it is (a traced TensorFlow graph), and with jit_compile=True, Keras's switch for
  XLA, TensorFlow's compiler (set on the model after level 1's compile_model()).
* Level 3, as it is (eager PyTorch), and three ways under torch.compile:
    - compiled-step: torch.compile(train_step), the whole step compiled as written. It gives other
      numbers: after the compiled step returns, every parameter's .grad still holds the step's
      gradient, so the next backward() adds to it, and training follows the sum of all the
      gradients so far. The `p.grad = None` inside the compiled function did not take effect.
      (The same happens with torch.compile(..., backend="eager"), which generates no code: it is
      the capture of the Python that drops it, not the compiled kernels.)
    - compiled-step-cleared: the same, with .grad cleared before each call, by the
      caller. The same numbers as eager again.
    - compiled-forward-loss: torch.compile on forward() and loss_fn() only, the functions that
      compute and change nothing; backward(), the update and the clearing of .grad stay as
      level 3 writes them. The same numbers as eager.

For each: the first epoch's seconds (compiling included), the median of the later epochs', the
last epoch's mean training loss, and the largest difference of the final weights from the plain
run's (all runs start from one seeded draw and take the batches in order). Every run is in a
process of its own, with an empty cache for PyTorch's compiler, so that no run reuses another's
compiled code.

    python instruments/compilers.py --data-dir PATH/TO/MNIST [--batch-sizes 32,2048] [--epochs 3]
                        [--modes plain,xla,compiled-step,compiled-step-cleared,...]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # the levels

import numpy as np  # noqa: E402

import common  # noqa: E402
from machinery import cli, flags, levels, processes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KERAS_MODES = {"plain": "plain (a traced graph)", "xla": "jit_compile=True (XLA)"}
TORCH_MODES = {"plain": "plain (eager)", "compiled-step": "torch.compile(train_step)",
               "compiled-step-cleared": "the same, .grad cleared outside",
               "compiled-forward-loss": "torch.compile(forward, loss_fn)"}
WEIGHTS_TOLERANCE = 1e-4      # float32 results of reordered sums, after the steps of a test run


def start_params(hidden, seed):
    """One seeded Glorot-normal draw, level 4's, for every run (as compare.py --lockstep)."""
    import level4_numpy
    params = level4_numpy.init_params(hidden, np.random.default_rng(seed), np.float64)
    return {name: p.astype(np.float32) for name, p in params.items()}


def keras_run(mode, x, y, start, batch, epochs, lr):
    """Level 1 from `start`, fit() on (x, y) in order: per-epoch seconds, losses, final weights."""
    import machinery.quiet_tensorflow  # noqa: F401
    import keras

    import level1_keras
    keras.config.set_floatx("float32")
    model = level1_keras.build_model(start["b1"].shape[0])
    model.set_weights([start[name] for name in common.PARAM_NAMES])
    level1_keras.compile_model(model, lr)
    model.jit_compile = mode == "xla"          # read when fit() builds its training function
    seconds, losses, last = [], [], [time.perf_counter()]

    def epoch_end(epoch, logs):
        now = time.perf_counter()
        seconds.append(now - last[0])
        losses.append(float(logs["loss"]))
        last[0] = now

    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=epoch_end)])
    return seconds, losses, dict(zip(common.PARAM_NAMES, model.get_weights()))


def torch_step(mode):
    """Level 3, its train_step replaced (or its forward() and loss_fn()) as `mode` says."""
    import torch

    import level3_autograd as level
    if mode == "compiled-step":
        level.train_step = torch.compile(level.train_step)   # train_epoch calls it by name
    elif mode == "compiled-step-cleared":
        compiled = torch.compile(level.train_step)

        def train_step(params, x, y, lr):
            for p in params.values():
                p.grad = None                  # the caller clears .grad, not the compiled step
            return compiled(params, x, y, lr)
        level.train_step = train_step
    elif mode == "compiled-forward-loss":
        level.forward = torch.compile(level.forward)     # train_step calls these two by name
        level.loss_fn = torch.compile(level.loss_fn)
    return level


def torch_run(mode, x, y, start, batch, epochs, lr):
    """Level 3 from `start`, its batches in order: per-epoch seconds, losses, final weights."""
    import torch
    level = torch_step(mode)
    params = {name: torch.from_numpy(p.copy()).requires_grad_() for name, p in start.items()}
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    seconds, losses = [], []
    for _ in range(epochs):
        begin = time.perf_counter()
        loss, _ = level.train_epoch(params, x, y, batch, lr, None, shuffle=False)
        seconds.append(time.perf_counter() - begin)
        losses.append(loss)
    return seconds, losses, {name: p.detach().numpy().copy() for name, p in params.items()}


def run_here(args):
    """In a child process: one framework, one mode, one batch size; results into --out (.npz)."""
    import level4_numpy
    (x, y), _ = levels.load_data(level4_numpy, args.data_dir, args.limit, np.dtype("float32"))
    start = start_params(args.hidden, args.seed)
    run = keras_run if args.framework == "keras" else torch_run
    seconds, losses, weights = run(args.mode, x, y, start, args.batch_size, args.epochs, args.lr)
    np.savez(args.out, seconds=seconds, losses=losses, **weights)


def measure(framework, mode, batch, args, folder):
    out = os.path.join(folder, f"{framework}-{mode}-{batch}.npz")
    cache = os.path.join(folder, f"inductor-{framework}-{mode}-{batch}")   # a cold compiler
    processes.run_python(f"{framework} {mode} at batch {batch}", os.path.join(HERE, "compilers.py"),
                         "--framework", framework, "--mode", mode, "--batch-size", batch,
                         "--data-dir", args.data_dir, "--limit", args.limit, "--epochs",
                         args.epochs, "--hidden", args.hidden, "--lr", args.lr, "--seed",
                         args.seed, "--out", out, env={"TORCHINDUCTOR_CACHE_DIR": cache})
    with np.load(out) as f:
        return {"seconds": f["seconds"].tolist(), "losses": f["losses"].tolist(),
                "weights": {name: f[name] for name in common.PARAM_NAMES}}


def compare(args):
    """Every framework, mode and batch size: the rows of the table."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for batch in args.batch_sizes:
            for framework, modes in (("keras", KERAS_MODES), ("torch", TORCH_MODES)):
                plain = None
                for mode in [m for m in modes if m in args.modes]:
                    print(f"{framework} {mode}, batch {batch} ...", file=sys.stderr, flush=True)
                    r = measure(framework, mode, batch, args, folder)
                    plain = plain or r
                    later = r["seconds"][1:] or r["seconds"]
                    rows.append({
                        "level": "1 Keras" if framework == "keras" else "3 autograd",
                        "mode": mode, "how": modes[mode], "batch": batch, "first_epoch": r["seconds"][0],
                        "epoch": statistics.median(later), "loss": r["losses"][-1],
                        "max_weight_difference": max(
                            float(np.abs(r["weights"][n] - plain["weights"][n]).max())
                            for n in common.PARAM_NAMES)})
    return rows


def mode_list(text):
    modes = text.split(",")
    known = {**KERAS_MODES, **TORCH_MODES}
    for mode in modes:
        if mode not in known:
            raise argparse.ArgumentTypeError(f"{mode!r} is not one of {', '.join(known)}")
    return ["plain"] + [m for m in modes if m != "plain"]


def make_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR") or None,
        help="the folder of the four MNIST .gz files (default: $MNIST_DIR if set)")
    add("--batch-sizes", type=flags.batch_list, default=[32, 2048], metavar="B,B,...",
        help="the batch sizes, comma-separated (default: 32,2048)")
    add("--epochs", type=flags.positive_int, default=3, metavar="N",
        help="epochs per run; the first includes compiling (default: 3)")
    add("--limit", type=flags.positive_int, default=60_000, metavar="N",
        help="train on the first N examples (default: all 60,000)")
    add("--hidden", type=flags.positive_int, default=common.HIDDEN, metavar="H",
        help="tanh units in the hidden layer (default: %(default)s)")
    add("--lr", type=flags.positive_float, default=common.LR, metavar="LR",
        help="SGD learning rate (default: %(default)s)")
    add("--seed", type=flags.seed_int, default=common.SEED, metavar="S",
        help="random seed of the initial weights (default: %(default)s)")
    add("--modes", type=mode_list, default=list({**KERAS_MODES, **TORCH_MODES}),
        metavar="M,M,...", help="which runs, comma-separated, of: " +
        ", ".join(dict.fromkeys([*KERAS_MODES, *TORCH_MODES])) + " (default: all; plain is "
        "each level's reference, and is always run)")
    add("--json-out", metavar="FILE", help="write every number as JSON")
    # How this script runs one measurement in a child process; not for users.
    add("--framework", choices=["keras", "torch"], help=argparse.SUPPRESS)
    add("--mode", choices=list({**KERAS_MODES, **TORCH_MODES}), help=argparse.SUPPRESS)
    add("--batch-size", type=flags.positive_int, help=argparse.SUPPRESS)
    add("--out", help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    flags.check_output_path(parser, "--json-out", args.json_out)
    if not args.data_dir:
        parser.error("give the MNIST folder with --data-dir DIR (or set MNIST_DIR)")
    if args.framework:                         # a child process: one measurement
        return run_here(args)
    rows = compare(args)
    print(f"{cli.cpu_model()}, {os.cpu_count()} CPUs; first {args.limit} training images, "
          f"H = {args.hidden}, {args.epochs} epoch{'s' if args.epochs != 1 else ''}, batches in order, one start for all")
    print(f"{'level':<11}{'how':<34}{'batch':>6}{'epoch 1 s':>11}{'later s':>9}{'loss':>10}"
          f"{'max |dW|':>11}")
    for r in rows:
        print(f"{r['level']:<11}{r['how']:<34}{r['batch']:>6}{r['first_epoch']:>11.2f}"
              f"{r['epoch']:>9.2f}{r['loss']:>10.4f}{r['max_weight_difference']:>11.1e}")
    if args.json_out:
        cli.write_json(args.json_out, {"config": vars(args), "cpu": cli.cpu_model(),
                                       "cpus": os.cpu_count(), "rows": rows})


if __name__ == "__main__":
    cli.run(main)
