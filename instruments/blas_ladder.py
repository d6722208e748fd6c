"""One step further down than level 4: what a BLAS library buys for one matrix product.

Level 4 writes `z1 = x @ W1 + b1` and NumPy hands the product to a BLAS library (OpenBLAS, with
kernels written for the CPU). Here is that one product, z = x W1 at a training step's size
(B = 32 rows of 784 pixels, H = 256 hidden units: 6.4 million multiply-adds), done three ways:

  1. pure Python: three nested loops over lists, z[i][j] = sum over k of x[i][k] * W1[k][j];
  2. NumPy, one row of x at a time: z[i] = x[i] @ W1, a loop of B calls;
  3. NumPy, one call: z = x @ W1, as level 4 writes it.

Each is timed (the median of --repeats runs; pure Python runs once unless asked for more), and the
three results are checked against each other: the same numbers, up to float32 rounding.

    python instruments/blas_ladder.py [--batch-size 32] [--hidden 256] [--repeats 5]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # the levels

import numpy as np  # noqa: E402

import common  # noqa: E402
from machinery import cli, flags  # noqa: E402


def pure_python(x, W):
    """z = x W with three loops over lists of Python floats."""
    rows, inner, columns = len(x), len(W), len(W[0])
    z = [[0.0] * columns for _ in range(rows)]
    for i in range(rows):
        for j in range(columns):
            total = 0.0
            for k in range(inner):
                total += x[i][k] * W[k][j]
            z[i][j] = total
    return z


def row_at_a_time(x, W):
    """z = x W, one row of x per NumPy call."""
    z = np.empty((x.shape[0], W.shape[1]), dtype=x.dtype)
    for i in range(x.shape[0]):
        z[i] = x[i] @ W
    return z


def one_call(x, W):
    return x @ W


def timed(function, arguments, repeats):
    """Median seconds of `repeats` calls, and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*arguments)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ladder(batch, hidden, repeats, python_repeats, seed=0):
    """The three ways, timed, and the largest difference of each result from the one call's."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, common.N_INPUTS), dtype=np.float32)        # pixels in [0, 1)
    W = (0.05 * rng.standard_normal((common.N_INPUTS, hidden))).astype(np.float32)
    steps = [("pure Python, three loops", pure_python, (x.tolist(), W.tolist()), python_repeats),
             ("NumPy, one row at a time", row_at_a_time, (x, W), repeats),
             ("NumPy, one call: x @ W1", one_call, (x, W), repeats)]
    results = []
    for name, function, arguments, n in steps:
        seconds, z = timed(function, arguments, n)
        results.append({"way": name, "seconds": seconds, "z": np.asarray(z, dtype=np.float64)})
    reference = results[-1]["z"]
    scale = float(np.abs(reference).max())
    for r in results:
        r["max_difference"] = float(np.abs(r.pop("z") - reference).max())
        r["relative"] = r["max_difference"] / scale
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=flags.positive_int, default=common.BATCH_SIZE,
                        metavar="B", help="rows of x (default: %(default)s)")
    parser.add_argument("--hidden", type=flags.positive_int, default=common.HIDDEN, metavar="H",
                        help="columns of W1 (default: %(default)s)")
    parser.add_argument("--repeats", type=flags.positive_int, default=5, metavar="R",
                        help="runs of each NumPy way; the median is shown (default: 5)")
    parser.add_argument("--python-repeats", type=flags.positive_int, default=1, metavar="R",
                        help="runs of the pure-Python way (default: 1)")
    args = parser.parse_args(argv)
    results = ladder(args.batch_size, args.hidden, args.repeats, args.python_repeats)
    fastest = results[-1]["seconds"]
    print(f"z = x W1 with x {args.batch_size} x {common.N_INPUTS} and W1 {common.N_INPUTS} x "
          f"{args.hidden}, float32 ({args.batch_size * common.N_INPUTS * args.hidden:,} "
          f"multiply-adds), on {cli.cpu_model()}")
    print(f"{'way':<28}{'seconds':>12}{'x one call':>13}{'max |z - one call|':>21}")
    for r in results:
        print(f"{r['way']:<28}{r['seconds']:>12.6f}{r['seconds'] / fastest:>13.0f}"
              f"{r['max_difference']:>21.1e}")


if __name__ == "__main__":
    cli.run(main)
