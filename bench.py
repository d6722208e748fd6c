"""Benchmark: what each level costs, next to what this machine can do at best.

For each level, run alone and one after the other in this one run:
  * import   - seconds to import the level's script (and so its framework);
  * data     - seconds for its load_data() to produce the training and test arrays;
  * epoch    - median seconds per epoch of the script run from the shell (training plus the
               test-set evaluation, as its epoch line reports it; 5 epochs by default), and
               the first epoch apart, since Keras builds its compiled graph during the first.
The bound is this machine's time for the two large matrix products of one epoch, done as single
NumPy calls over all 60,000 examples: x @ W1 (forward) and x^T @ dz1 (gradient of W1). Every
level has to do at least this much arithmetic per epoch; the rest is the cost of small batches,
of the other operations, and of the framework's own work per step. The bound is measured before
the first level and after each, and the median is used; "bound-1thread" is the same on one
BLAS thread, the most that a level limited to one thread could reach.

The NumPy levels choose, as they start, between one BLAS thread and all of them, by measuring
which does their matrix products faster (machinery/cli.py: limit_blas_threads). The row "numpy"
is level 4 with that choice; "numpy-1thread" and "numpy-allthreads" are level 4 again with the
choice fixed ($LEVELS_BLAS_THREADS=1 or all), and the last line says what the choice was and
whether it is the faster of the two. The header names the CPU, the BLAS library and its
threads, so that tables from different machines can be told apart.

Run by hand (not a test): python bench.py --data-dir DIR [--json-out FILE]
"""

import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

import common
from machinery import cli, mnist_files, processes

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = {"keras": "level1_keras", "pytorch": "level2_pytorch", "autograd": "level3_autograd",
          "own_autograd": "level3b_own_autograd", "numpy": "level4_numpy",
          "numpy-1thread": "level4_numpy", "numpy-allthreads": "level4_numpy"}
ENVIRONMENT = {"numpy-1thread": {cli.BLAS_THREADS_VARIABLE: "1"},
               "numpy-allthreads": {cli.BLAS_THREADS_VARIABLE: "all"}}

# Imports the level, then runs its load_data(), timing each; prints the two numbers as JSON.
PROBE = """
import json, sys, time
start = time.perf_counter()
import {module} as level
imported = time.perf_counter()
{load}
loaded = time.perf_counter()
print(json.dumps({{"import": imported - start, "data": loaded - imported}}))
"""
LOAD = {
    "keras": "level.load_data(sys.argv[1], None, 'float32')",
    "pytorch": "import torch; level.load_data(sys.argv[1], None, torch.float32, 'cpu')",
    "autograd": "import torch; level.load_data(sys.argv[1], None, torch.float32, 'cpu')",
    "own_autograd": "import numpy; level.load_data(sys.argv[1], None, numpy.dtype('float32'))",
    "numpy": "import numpy; level.load_data(sys.argv[1], None, numpy.dtype('float32'))",
}
LOAD["numpy-1thread"] = LOAD["numpy-allthreads"] = LOAD["numpy"]


def measure_level(name, args, folder):
    """Import, data and epoch seconds of one level, each from a fresh process."""
    probe = PROBE.format(module=LEVELS[name], load=LOAD[name])
    result = json.loads(processes.run_python(f"loading {LEVELS[name]}", "-c", probe,
                                             args.data_dir).splitlines()[-1])
    json_out = os.path.join(folder, name + ".json")
    flags = ["--data-dir", args.data_dir, "--epochs", args.epochs, "--hidden", args.hidden,
             "--batch-size", args.batch_size, "--lr", args.lr, "--seed", args.seed,
             "--json-out", json_out]
    if name in ("pytorch", "autograd"):
        flags += ["--device", "cpu"]
    if args.limit:
        flags += ["--limit", args.limit]
    processes.run_python(LEVELS[name] + ".py", os.path.join(HERE, LEVELS[name] + ".py"), *flags,
                         env=ENVIRONMENT.get(name))
    with open(json_out) as f:
        report = json.load(f)
    seconds = [e["seconds"] for e in report["epochs"]]
    result.update(first_epoch=seconds[0], epoch=statistics.median(seconds), epochs=seconds)
    if "blas_threads" in report["config"]:
        result["blas_threads"] = report["config"]["blas_threads"]
    return result


def matmul_bound(n, hidden, repeats=5, threads=None):
    """Median seconds of x @ W1 plus x^T @ dz1 over n examples, float32, as single calls, on
    NumPy's default number of BLAS threads or on `threads`."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads, user_api="blas"):
        return _matmul_bound(n, hidden, repeats)


def _matmul_bound(n, hidden, repeats):
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


def machine():
    """What the numbers were measured on: the CPU, NumPy's BLAS library and its threads."""
    import platform
    from threadpoolctl import threadpool_info
    blas = [{k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"cpu": cli.cpu_model(), "cpus": os.cpu_count(), "processor": platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__, "blas": blas,
            "environment": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                                       "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                       cli.BLAS_THREADS_VARIABLE)
                            if k in os.environ}}


def describe(info):
    """One line naming the machine."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, "
                     f"{b['num_threads']} threads)" for b in info["blas"]) or "no BLAS found"
    coretype = info["environment"].get("OPENBLAS_CORETYPE")
    return (f"{info['cpu']}, {info['cpus']} CPUs; NumPy {info['numpy']} with {blas}"
            + (f"; OPENBLAS_CORETYPE={coretype}" if coretype else ""))


def main(argv=None):
    parser = cli.make_parser(__doc__, save_weights=False)
    parser.set_defaults(epochs=5, hidden=128, batch_size=32)
    args = parser.parse_args(argv)
    cli.check_args(parser, args)
    if not args.data_dir:
        parser.error("give the real MNIST folder with --data-dir DIR (or set MNIST_DIR)")
    images = mnist_files.read_dir(args.data_dir)[0][0]
    n = min(len(images), args.limit or len(images))

    # The bound is measured before the first level and after each one, and its median taken,
    # so that it sees the same machine (a shared VM is not equally fast all the time).
    results, bounds = {}, [matmul_bound(n, args.hidden)]
    one_thread = [matmul_bound(n, args.hidden, threads=1)]
    with tempfile.TemporaryDirectory() as folder:
        for name in LEVELS:
            print(f"measuring {LEVELS[name]} ...", file=sys.stderr, flush=True)
            results[name] = measure_level(name, args, folder)
            bounds.append(matmul_bound(n, args.hidden))
            one_thread.append(matmul_bound(n, args.hidden, threads=1))
    bound, bound_one_thread = statistics.median(bounds), statistics.median(one_thread)
    fastest = min(r["epoch"] for r in results.values())

    info = machine()
    print(describe(info))
    print(f"hidden {args.hidden}, batch {args.batch_size}, {n} training examples, median of "
          f"{args.epochs} epochs")
    print(f"{'level':<16} {'import s':>9} {'data s':>8} {'epoch 1 s':>10} {'epoch s':>8} "
          f"{'x bound':>8} {'x fastest':>10}")
    for name, r in results.items():
        r["ratio_to_bound"] = r["epoch"] / bound
        r["ratio_to_fastest"] = r["epoch"] / fastest
        print(f"{name:<16} {r['import']:>9.2f} {r['data']:>8.2f} {r['first_epoch']:>10.2f} "
              f"{r['epoch']:>8.2f} {r['ratio_to_bound']:>8.1f} {r['ratio_to_fastest']:>10.2f}")
    print(f"{'bound':<16} {'':>9} {'':>8} {'':>10} {bound:>8.3f}   (x @ W1 and x^T @ dz1, "
          "one NumPy call each)")
    print(f"{'bound-1thread':<16} {'':>9} {'':>8} {'':>10} {bound_one_thread:>8.3f}   (the same "
          "on one BLAS thread)")
    choice = threads_choice(results)
    print(choice["line"])
    if args.json_out:
        cli.write_json(args.json_out, {"config": cli.config(args), "machine": info,
                                       "bound": bound, "bounds": bounds,
                                       "bound_one_thread": bound_one_thread,
                                       "bounds_one_thread": one_thread, "levels": results,
                                       "blas_threads": choice})


def threads_choice(results):
    """Level 4's choice of BLAS threads, against the two fixed settings measured in this run."""
    chosen = results["numpy"]["blas_threads"].split()[0]               # "1" or "all"
    times = {"1": results["numpy-1thread"]["epoch"], "all": results["numpy-allthreads"]["epoch"]}
    better = min(times, key=times.get)
    line = (f"level 4 chose {results['numpy']['blas_threads']}: "
            f"{'the faster' if chosen == better else 'not the faster'} of the two fixed settings "
            f"here (one thread {times['1']:.3f} s, all threads {times['all']:.3f} s per epoch); "
            f"its own run took {results['numpy']['epoch']:.3f} s")
    return {"chosen": results["numpy"]["blas_threads"], "better": better,
            "chose_the_faster": chosen == better, "seconds": times, "line": line}


if __name__ == "__main__":
    cli.run(main)
