"""Benchmark: what each level costs per epoch, over batch sizes and devices, beside this machine's
bound for the same arithmetic.

For each batch size (32, 256 and 2048 by default), each level's script is run from the shell and
timed as its epoch lines report it: training plus the test-set evaluation, the median of the
epochs after the first (the first apart: Keras traces its training step during it). Levels 2 and
3 run on the CPU, and also on the GPU where PyTorch sees one (rows pytorch-cuda, autograd-cuda);
level 1 runs wherever TensorFlow puts it, and the header says where. Each level's import (and so
its framework's) and its load_data() are timed once, in a fresh process.

The bound is this machine's time for the two large matrix products of one epoch, done as single
NumPy calls over all the training examples: x @ W1 (forward) and x^T @ dz1 (gradient of W1).
Every level has to do at least this much arithmetic per epoch, whatever the batch size; the rest
is the cost of small batches, of the other operations, and of the framework's own work per step.
It is measured before the first level and after each, in a process of its own, and the
median is used.

Level 4 chooses, as it starts, between one BLAS thread and all of them (machinery/cli.py:
limit_blas_threads). For each batch size, the two fixed settings ($LEVELS_BLAS_THREADS=1 and
=all) are run in turns, --repeats times each, and their median epochs compared: the last lines
say whether level 4's own choice is within 5% of the faster setting, with the spread of the
repeats. The header names the CPU, the BLAS library and its threads, and the GPU.

Run by hand (not a test):
    python instruments/bench.py --data-dir DIR [--batch-sizes 32,256,2048] [--plot docs/speed.png]
                    [--json-out FILE]
    python instruments/bench.py --combine RUN1.json RUN2.json ... [--plot docs/speed.png]   # medians of runs
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
from machinery import cli, flags, mnist_files, processes  # noqa: E402
from machinery.errors import UserError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LEVELS = {"keras": ("level1_keras", None), "pytorch": ("level2_pytorch", "cpu"),
          "autograd": ("level3_autograd", "cpu"), "own_autograd": ("level3b_own_autograd", None),
          "numpy": ("level4_numpy", None)}
CUDA_LEVELS = {"pytorch-cuda": ("level2_pytorch", "cuda"), "autograd-cuda": ("level3_autograd", "cuda")}
WITHIN = 0.05           # a choice within this fraction of the faster setting is a right choice

# Imports the level, then runs its load_data() on --data-dir, timing each; prints the two
# numbers as JSON.
PROBE = """
import json, sys, time
from machinery import levels
start = time.perf_counter()
import {module} as level
imported = time.perf_counter()
{load}
loaded = time.perf_counter()
print(json.dumps({{"import": imported - start, "data": loaded - imported}}))
"""
LOAD = {
    "keras": "levels.load_data(level, sys.argv[1], None, 'float32')",
    "pytorch": "import torch; levels.load_data(level, sys.argv[1], None, torch.float32)",
    "autograd": "import torch; levels.load_data(level, sys.argv[1], None, torch.float32)",
    "own_autograd": "import numpy; levels.load_data(level, sys.argv[1], None, numpy.dtype('float32'))",
    "numpy": "import numpy; levels.load_data(level, sys.argv[1], None, numpy.dtype('float32'))",
}
# Where the frameworks compute: TensorFlow's GPUs, and whether PyTorch sees CUDA, with its GPU.
DEVICES = """
import json
import machinery.quiet_tensorflow, tensorflow as tf
gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
print(json.dumps({"tensorflow_gpus": gpus}))
"""
TORCH_DEVICE = """
import json, torch
cuda = torch.cuda.is_available()
print(json.dumps({"cuda": cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None,
                  "torch": torch.__version__}))
"""


def import_and_data(name, data_dir):
    """Seconds to import the level and for its load_data(), in a fresh process."""
    probe = PROBE.format(module=LEVELS[name][0], load=LOAD[name])
    return json.loads(processes.run_python(f"loading {LEVELS[name][0]}", "-c", probe,
                                           data_dir).splitlines()[-1])


def run_level(module, device, batch, args, folder, env=None):
    """The level's script from the shell at this batch size: its epoch seconds, and its report's
    configuration (level 4's choice of threads among it)."""
    json_out = os.path.join(folder, f"{module}-{device}-{batch}.json")
    command = ["--data-dir", args.data_dir, "--epochs", args.epochs, "--hidden", args.hidden,
               "--batch-size", batch, "--lr", args.lr, "--seed", args.seed, "--json-out", json_out]
    if device:
        command += ["--device", device]
    if args.limit:
        command += ["--limit", args.limit]
    processes.run_python(module + ".py", os.path.join(ROOT, module + ".py"), *command, env=env)
    with open(json_out) as f:
        report = json.load(f)
    return [e["seconds"] for e in report["epochs"]], report["config"]


def epoch_summary(seconds):
    """The first epoch apart, and the median of the rest (of all, if there is one)."""
    later = seconds[1:] or seconds
    return {"first_epoch": seconds[0], "epoch": statistics.median(later), "epochs": seconds}


def matmul_bound(n, hidden):
    """The bound, measured in a process of its own: a process whose BLAS threads have just
    worked keeps them spinning for a while, and they would slow the level run next."""
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import bench; "
            f"print(bench.measure_bound({n}, {hidden}))")
    return float(processes.run_python("measuring the bound", "-c", code).split()[-1])


def measure_bound(n, hidden, repeats=5):
    """Median seconds of x @ W1 plus x^T @ dz1 over n examples, float32, as single calls."""
    rng = np.random.default_rng(0)
    x = rng.random((n, common.N_INPUTS), dtype=np.float32)
    W1 = rng.random((common.N_INPUTS, hidden), dtype=np.float32)
    dz1 = rng.random((n, hidden), dtype=np.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ W1                                  # forward: z1 = x W1
        x.T @ dz1                               # backward: dL/dW1 = x^T dL/dz1
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def threads_check(batch, args, folder):
    """Level 4 with its own choice of threads, then the two fixed settings in turns, --repeats
    times each: the median epoch of each setting, its spread, and whether the choice is within
    WITHIN of the faster."""
    seconds, config = run_level("level4_numpy", None, batch, args, folder)
    runs = {"1": [], "all": []}
    for _ in range(args.repeats):
        for setting in runs:
            epochs, _ = run_level("level4_numpy", None, batch, args, folder,
                                  env={cli.BLAS_THREADS_VARIABLE: setting})
            runs[setting].append(epoch_summary(epochs)["epoch"])
    medians = {k: statistics.median(v) for k, v in runs.items()}
    faster = min(medians, key=medians.get)
    chosen = config["blas_threads"].split()[0]
    ratio = medians[chosen] / medians[faster]
    within = ratio <= 1 + WITHIN
    spread = {k: [min(v), max(v)] for k, v in runs.items()}
    line = (f"batch {batch}: level 4 chose {config['blas_threads']}; "
            f"{'within' if within else 'NOT within'} {WITHIN:.0%} of the faster setting "
            f"({'+' if ratio >= 1 else ''}{100 * (ratio - 1):.1f}%): one thread "
            f"{medians['1']:.3f} s [{spread['1'][0]:.3f}-{spread['1'][1]:.3f}], all threads "
            f"{medians['all']:.3f} s [{spread['all'][0]:.3f}-{spread['all'][1]:.3f}] per epoch, "
            f"medians of {args.repeats} runs each")
    return {"batch": batch, "chosen": config["blas_threads"], "faster": faster,
            "medians": medians, "runs": runs, "ratio": ratio, "within": within, "line": line,
            "own_run": epoch_summary(seconds)["epoch"]}


def machine(devices):
    """What the numbers were measured on: the CPU, NumPy's BLAS library and its threads, the GPU."""
    import platform
    from threadpoolctl import threadpool_info
    blas = [{k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"cpu": cli.cpu_model(), "cpus": os.cpu_count(), "processor": platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__, "blas": blas,
            **devices,
            "environment": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                                       "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                       cli.BLAS_THREADS_VARIABLE)
                            if k in os.environ}}


def describe(info):
    """Two lines naming the machine."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, "
                     f"{b['num_threads']} threads)" for b in info["blas"]) or "no BLAS found"
    coretype = info["environment"].get("OPENBLAS_CORETYPE")
    gpu = info["gpu"] or "none that PyTorch sees"
    keras = ", ".join(info["tensorflow_gpus"]) or "the CPU"
    return (f"{info['cpu']}, {info['cpus']} CPUs; NumPy {info['numpy']} with {blas}"
            + (f"; OPENBLAS_CORETYPE={coretype}" if coretype else "")
            + f"\nGPU: {gpu} (torch {info['torch']}); level 1 (TensorFlow) runs on {keras}")


def make_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR") or None,
        help="the folder of the four MNIST .gz files (default: $MNIST_DIR if set)")
    add("--batch-sizes", type=flags.batch_list, default=[32, 256, 2048], metavar="B,B,...",
        help="the batch sizes, comma-separated (default: 32,256,2048)")
    add("--levels", type=flags.level_list, default=list(LEVELS), metavar="NAMES",
        help="which levels, comma-separated (default: all five: " + ",".join(LEVELS) + ")")
    add("--epochs", type=flags.positive_int, default=3, metavar="N",
        help="epochs per run; the median of all but the first is reported (default: 3)")
    add("--repeats", type=flags.positive_int, default=3, metavar="R",
        help="runs of each fixed BLAS-thread setting of level 4, in turns (default: 3)")
    add("--hidden", type=flags.positive_int, default=common.HIDDEN, metavar="H",
        help="tanh units in the hidden layer (default: %(default)s)")
    add("--limit", type=flags.positive_int, metavar="N",
        help="train on the first N examples only (default: all 60,000)")
    add("--lr", type=flags.positive_float, default=common.LR, metavar="LR",
        help="SGD learning rate (default: %(default)s)")
    add("--seed", type=flags.seed_int, default=common.SEED, metavar="S",
        help="random seed (default: %(default)s)")
    add("--plot", metavar="FILE.png", help="draw seconds per epoch against batch size, log-log")
    add("--json-out", metavar="FILE", help="write every number as JSON")
    add("--combine", nargs="+", metavar="FILE", help="measure nothing: print the median of "
        "earlier runs' --json-out files, and draw their --plot")
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    flags.check_output_path(parser, "--json-out", args.json_out)
    flags.check_output_path(parser, "--plot", args.plot)
    if args.combine:
        return combine(args.combine, args.plot)
    if not args.data_dir:
        parser.error("give the real MNIST folder with --data-dir DIR (or set MNIST_DIR)")
    images = mnist_files.read_dir(args.data_dir)[0][0]
    n = min(len(images), args.limit or len(images))
    devices = json.loads(processes.run_python("asking PyTorch for a GPU", "-c", TORCH_DEVICE))
    devices.update(json.loads(processes.run_python("asking TensorFlow for a GPU", "-c",
                                                   DEVICES).splitlines()[-1]))
    levels = {name: where for name, where in
              {**LEVELS, **(CUDA_LEVELS if devices["cuda"] else {})}.items()
              if name.split("-")[0] in args.levels}

    results = {name: import_and_data(name, args.data_dir) for name in LEVELS if name in args.levels}
    bounds, threads = [matmul_bound(n, args.hidden)], []
    with tempfile.TemporaryDirectory() as folder:
        for batch in args.batch_sizes:
            for name, (module, device) in levels.items():
                print(f"measuring {name} at batch {batch} ...", file=sys.stderr, flush=True)
                seconds, _ = run_level(module, device, batch, args, folder)
                results.setdefault(name, {}).setdefault("batches", {})[str(batch)] = \
                    epoch_summary(seconds)
                bounds.append(matmul_bound(n, args.hidden))
            if "numpy" in args.levels:
                print(f"comparing level 4's BLAS threads at batch {batch} ...", file=sys.stderr,
                      flush=True)
                threads.append(threads_check(batch, args, folder))
    bound = statistics.median(bounds)
    level4_cells(results, threads)

    info = machine(devices)
    print("\n".join(table_lines(results, bound, args.batch_sizes, info, vars(args), n)
                    + [t["line"] for t in threads]))
    if args.plot:
        plot(results, bound, args.batch_sizes, info, args.plot)
    if args.json_out:
        cli.write_json(args.json_out, {"config": vars(args), "machine": info, "bound": bound,
                                       "bounds": bounds, "levels": results,
                                       "blas_threads": threads})


def level4_cells(results, threads):
    """Level 4's cell at each batch size: the median of every run of it with the threads it
    chose (the sweep's, its own run in the thread check, and the fixed runs of that setting),
    so that one run in a slow state does not stand for it. The sweep's alone is kept too."""
    for t in threads:
        cell = results["numpy"]["batches"][str(t["batch"])]
        cell.setdefault("sweep", cell["epoch"])
        runs = [cell["sweep"], t["own_run"], *t["runs"][t["chosen"].split()[0]]]
        cell.update(epoch=statistics.median(runs), runs=len(runs))


def table_lines(results, bound, batch_sizes, info, config, n, runs=1):
    """The machine, then a row per level: import and data seconds, seconds per epoch at each
    batch size, and the first batch size's epoch as a multiple of the bound."""
    lines = [describe(info)]
    lines.append(f"hidden {config['hidden']}, {n} training examples, median of epochs 2 to "
                 f"{config['epochs']}"
                 + (f", then the median of {runs} runs" if runs > 1 else "")
                 + " (seconds per epoch, training and test evaluation); numpy: the median of "
                 "all its runs with the threads it chose")
    lines.append(f"{'level':<16}{'import s':>9}{'data s':>8}" +
                 "".join(f"{'batch ' + str(b):>12}" for b in batch_sizes) +
                 f"{'x bound at ' + str(batch_sizes[0]):>16}")
    for name, r in results.items():
        cells = "".join(f"{r['batches'][str(b)]['epoch']:>12.3f}" for b in batch_sizes)
        first = r["batches"][str(batch_sizes[0])]["epoch"]
        lines.append(f"{name:<16}{r.get('import', float('nan')):>9.2f}"
                     f"{r.get('data', float('nan')):>8.2f}{cells}{first / bound:>16.1f}")
    lines.append(f"{'bound':<16}{'':>17}" + "".join(f"{bound:>12.3f}" for _ in batch_sizes)
                 + "   (x @ W1 and x^T @ dz1, one NumPy call each)")
    return lines


def combine(paths, plot_path):
    """The median of several runs' --json-out, per level and batch size: a table, each run's
    thread lines, and the plot."""
    runs = []
    for path in paths:
        try:
            with open(path) as f:
                runs.append(json.load(f))
            level4_cells(runs[-1]["levels"], runs[-1]["blas_threads"])
        except (OSError, ValueError) as e:
            why = e.strerror if isinstance(e, OSError) else "not JSON"
            raise UserError(f"--combine {path}: cannot be read as bench.py's --json-out "
                            f"({why}).") from None
    first = runs[0]
    batch_sizes = first["config"]["batch_sizes"]
    results = {}
    for name, r in first["levels"].items():
        results[name] = {key: statistics.median(run["levels"][name][key] for run in runs)
                         for key in ("import", "data") if key in r}
        results[name]["batches"] = {str(b): {"epoch": statistics.median(
            run["levels"][name]["batches"][str(b)]["epoch"] for run in runs)}
            for b in batch_sizes}
    bound = statistics.median(run["bound"] for run in runs)
    config = first["config"]
    print("\n".join(table_lines(results, bound, batch_sizes, first["machine"], config,
                                config["limit"] or 60_000, len(runs))))
    for i, run in enumerate(runs, 1):
        print("\n".join(f"run {i}: {t['line']}" for t in run["blas_threads"]))
    if plot_path:
        plot(results, bound, batch_sizes, first["machine"], plot_path)


def plot(results, bound, batch_sizes, info, path):
    """Seconds per epoch against batch size, log-log, one line per level, and the bound."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from machinery import atomic

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, r in results.items():
        ax.plot(batch_sizes, [r["batches"][str(b)]["epoch"] for b in batch_sizes], marker="o",
                label=name, linestyle="--" if name.endswith("cuda") else "-")
    ax.axhline(bound, color="black", linewidth=1, linestyle=":",
               label="bound: x @ W1 and x^T @ dz1, one call each")
    ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="seconds per epoch",
           title=f"{info['cpu']}, {info['cpus']} CPUs" + (f"; {info['gpu']}" if info["gpu"] else ""))
    ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic.replace(path) as f:
        fig.savefig(f, dpi=100, format="png")
    plt.close(fig)


if __name__ == "__main__":
    cli.run(main)
