"""The learning-rate sweep of docs/design.md: level 4 trained at each rate, long enough to see
what a rate does, from too small through the best to divergence.

Each rate runs `level4_numpy.py --lr RATE` as its own process, exactly as you would run it, with
the other flags at their defaults (20 epochs, batch 32, 256 hidden units, seed 0); a run that
diverges is stopped by the script's own check, which this sweep records. The results go to a JSON
file with the machine that ran them, a table on stdout, and a plot: test accuracy and train loss
per epoch, one line per rate.

    python docs/lr_sweep.py --data-dir PATH/TO/MNIST            # about 5 minutes on 2 cores
    python docs/lr_sweep.py --from-json docs/lr_sweep.json      # the table and plot again
"""

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from machinery import atomic, cli  # noqa: E402
from machinery.errors import UserError  # noqa: E402

RATES = [0.01, 0.03, 0.1, 0.3, 1, 2, 3, 5, 10, 30]


def run_rate(rate, args, folder):
    """One run of level 4 at this rate: its per-epoch results, and how it ended."""
    out = os.path.join(folder, f"lr_{rate}.json")
    command = [sys.executable, os.path.join(ROOT, "level4_numpy.py"), "--lr", str(rate),
               "--epochs", str(args.epochs), "--json-out", out]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    if args.limit:
        command += ["--limit", str(args.limit)]
    done = subprocess.run(command, capture_output=True, text=True)
    if not os.path.exists(out):
        raise UserError(f"level4_numpy.py --lr {rate} failed (exit code {done.returncode}): "
                        f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    with open(out) as f:
        report = json.load(f)
    diverged = "diverged" in done.stderr
    if done.returncode != 0 and not diverged:
        raise UserError(f"level4_numpy.py --lr {rate} failed (exit code {done.returncode}): "
                        f"{done.stderr.strip().splitlines()[-1]}")
    return {"lr": rate, "epochs": report["epochs"], "diverged": diverged,
            "message": done.stderr.strip().splitlines()[-1] if diverged else ""}


def table(results):
    """A Markdown table: one column per rate."""
    head = "| `--lr` | " + " | ".join(f"{r['lr']:g}" for r in results) + " |"
    rule = "|---|" + "---|" * len(results)

    def cell(r, key, epoch=None, fmt="{:.2%}"):
        rows = r["epochs"]
        if epoch is not None:
            row = next((e for e in rows if e["epoch"] == epoch), None)
            if row is None:
                return "stopped"
            return fmt.format(row[key])
        return fmt.format(max(e[key] for e in rows))

    last = max(len(r["epochs"]) for r in results)
    lines = [head, rule] + [
        f"| test accuracy after epoch {epoch} | " + " | ".join(cell(r, "test_acc", epoch)
                                                            for r in results) + " |"
        for epoch in sorted({5, last})] + [
             "| best test accuracy, any epoch | " + " | ".join(cell(r, "test_acc")
                                                          for r in results) + " |",
             f"| train loss in epoch {last} | " + " | ".join(
                 cell(r, "train_loss", last, "{:.4f}") for r in results) + " |",
             "| diverged (stopped by the script) | " + " | ".join(
                 f"epoch {r['epochs'][-1]['epoch']}" if r["diverged"] else "no"
                 for r in results) + " |"]
    return "\n".join(lines)


def plot(data, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    results = data["results"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=100)
    colours = plt.cm.tab10([i % 10 for i in range(len(results))])
    for r, colour in zip(results, colours):
        epochs = [e["epoch"] for e in r["epochs"]]
        label = f"lr {r['lr']:g}" + (" (diverged)" if r["diverged"] else "")
        style = "--" if r["diverged"] else "-"
        left.plot(epochs, [100 * e["test_acc"] for e in r["epochs"]], style, color=colour,
                  label=label, marker="o" if len(epochs) == 1 else None)
        right.plot(epochs, [e["train_loss"] for e in r["epochs"]], style, color=colour,
                   label=label, marker="o" if len(epochs) == 1 else None)
    left.set_ylim(90, 99)
    left.set_xlabel("epoch")
    left.set_ylabel("test accuracy (%)")
    left.set_title("test accuracy (below 90%: off the plot; colours as at the right)")
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_yscale("log")
    right.set_xlabel("epoch")
    right.set_ylabel("train loss (log scale)")
    right.set_title("train loss")
    right.axhline(math.log(2), color="grey", linewidth=0.8, linestyle=":")
    right.text(1, math.log(2) * 1.1, "0.69 = ln 2: every output at 0.5", color="grey", fontsize=8)
    right.legend(fontsize=8, loc="upper right", ncol=2)
    fig.suptitle(f"Level 4, {data['epochs']} epochs at each learning rate, the other flags at "
                 f"their defaults. {data['machine']}, {data['date']}", fontsize=9)
    fig.tight_layout()
    with atomic.replace(path) as f:
        fig.savefig(f, format="png", metadata={"Software": None})
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR"), metavar="DIR",
                        help="a folder with the four MNIST .gz files (default: $MNIST_DIR; "
                             "without either, level 4 downloads MNIST)")
    parser.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES), metavar="R1,R2,...",
                        help="the learning rates (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per rate (default: 20)")
    parser.add_argument("--limit", type=int, help="use only the first N training and test images")
    parser.add_argument("--json", default=os.path.join(HERE, "lr_sweep.json"), metavar="FILE",
                        help="where to write the results (default: docs/lr_sweep.json)")
    parser.add_argument("--plot", default=os.path.join(HERE, "lr_sweep.png"), metavar="FILE.png",
                        help="where to draw them (default: docs/lr_sweep.png)")
    parser.add_argument("--from-json", metavar="FILE",
                        help="train nothing: print the table and draw the plot of this file")
    args = parser.parse_args(argv)
    prog = os.path.basename(sys.argv[0])
    try:
        if args.from_json:
            try:
                with open(args.from_json) as f:
                    data = json.load(f)
            except (OSError, ValueError) as e:
                raise UserError(f"--from-json {args.from_json}: not a readable JSON file "
                                f"({e}).") from None
        else:
            try:
                rates = [float(r) for r in args.rates.split(",")]
            except ValueError:
                raise UserError(f"--rates {args.rates}: not a comma-separated list of "
                                "numbers.") from None
            if args.epochs < 5 or any(not r > 0 for r in rates):
                raise UserError("--epochs must be at least 5 and every rate above 0.")
            results = []
            with tempfile.TemporaryDirectory() as folder:
                for rate in rates:
                    results.append(run_rate(rate, args, folder))
                    print(f"lr {rate:g}: done", file=sys.stderr)
            data = {"epochs": args.epochs, "limit": args.limit, "machine": cli.cpu_model() +
                    f", {os.cpu_count()} cores", "date": datetime.date.today().isoformat(),
                    "results": results}
            with atomic.replace(args.json, "w") as f:
                json.dump(data, f, indent=1)
                f.write("\n")
        print(table(data["results"]))
        plot(data, args.plot)
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
