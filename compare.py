"""Run the five levels on the same data and compare them side by side.

Each level runs as its own process, exactly as you would run it, with the same flags, one after
the other; its epoch lines are shown as they come. Then this script collects their --json-out
reports and prints one table: a row per epoch, a column group per level (train loss, test
accuracy), then the largest difference between levels and each level's median seconds per epoch.
--levels runs some of them only (for example --levels own_autograd,numpy, which needs neither
TensorFlow nor PyTorch).

With --lockstep every cause of difference but floating-point rounding is removed: one seeded
Glorot-normal draw is written to a file and every level starts from it (--init-from), the
batches come in dataset order (--no-shuffle), and each level's final weights are saved and
compared. With --dtype float64 the five levels then agree to rounding error (2.2e-16 in the run
shown in docs/design.md; the tests allow 1e-8).
"""

import common  # first: it checks the flags and answers Ctrl-C as compare.py starts (machinery/)
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np

import level4_numpy
from machinery import atomic, cli, flags, interrupt, mnist_files, params_files

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = {                                     # short name -> script
    "keras": "level1_keras.py",
    "pytorch": "level2_pytorch.py",
    "autograd": "level3_autograd.py",
    "own_autograd": "level3b_own_autograd.py",
    "numpy": "level4_numpy.py",
}
TORCH_LEVELS = ("pytorch", "autograd")         # the levels that take --device


def level_flags(args):
    """The data and hyperparameter flags, as every level takes them."""
    flags = ["--epochs", args.epochs, "--batch-size", args.batch_size, "--lr", args.lr,
             "--hidden", args.hidden, "--seed", args.seed, "--dtype", args.dtype]
    for flag, value in (("--data-dir", args.data_dir), ("--limit", args.limit),
                        ("--init-from", args.init_from)):
        if value is not None:
            flags += [flag, value]
    if not args.shuffle:
        flags.append("--no-shuffle")
    return [str(f) for f in flags]


class Progress:
    """Each level's epoch lines, on stderr as they come, labelled with the level's name. On a
    terminal the level's latest line is rewritten in place; elsewhere (a file, a pipe, CI) every
    line is printed as it is."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.live = stream.isatty()

    def line(self, name, text, final=False):
        label = f"{name:<13}{text}"
        if self.live:                          # cut to the terminal's width, so that \r rewrites it
            width = shutil.get_terminal_size().columns - 1
            self.stream.write("\r\033[K" + (label + "\n" if final else label[:width]))
        else:
            self.stream.write(label + "\n")
        self.stream.flush()


class LevelRun:
    """One level, run as its own process exactly as a user would run it, with --json-out."""

    def __init__(self, name, level_flags, folder):
        self.name, self.process = name, None
        self.json_out = os.path.join(folder, name + ".json")
        self.command = [sys.executable, os.path.join(HERE, LEVELS[name]), *level_flags,
                        "--json-out", self.json_out]
        self.errors = tempfile.TemporaryFile(mode="w+")

    def run(self, progress):
        """Show its epoch lines as they come; return its JSON report."""
        progress.line(self.name, f"running {LEVELS[self.name]} ...")
        self.process = subprocess.Popen(self.command, cwd=HERE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True, bufsize=1)
        last = None
        for last in self.process.stdout:
            progress.line(self.name, last.rstrip("\n"))
        code = self.process.wait()
        if progress.live:
            progress.line(self.name, (last or "").rstrip("\n"), final=True)
        if code != 0:
            self.errors.seek(0)
            lines = self.errors.read().strip().splitlines()[-5:]
            raise cli.UserError(f"{LEVELS[self.name]} failed (exit code {code}):\n  "
                                + "\n  ".join(lines))
        return self.report()

    def report(self):
        """Its JSON report, or None if it wrote none."""
        try:
            with open(self.json_out) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def stop(self):
        """Ctrl-C for this level too (a terminal sends it to both), and wait for its JSON."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def lockstep_init(args, folder):
    """One seeded Glorot-normal initialisation, as a file every level can start from."""
    params = level4_numpy.init_params(args.hidden, np.random.default_rng(args.seed), np.float64)
    path = os.path.join(folder, "init.npz")
    params_files.save(path, params)
    return path


def max_weight_difference(weights):
    """The largest |W_a - W_b| over all parameters and all pairs of levels, and that pair."""
    best = (0.0, None)
    names = list(weights)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            diff = max(float(np.max(np.abs(weights[a][p].astype(np.float64)
                                           - weights[b][p].astype(np.float64))))
                       for p in common.PARAM_NAMES)
            if best[1] is None or diff > best[0]:
                best = (diff, (a, b))
    return best


def distance_moved(init_from, weights):
    """For each parameter, the largest |W_final - W_start| over the levels: how far training took
    the weights whose difference between the levels is measured."""
    with np.load(init_from) as f:
        start = {p: f[p].astype(np.float64) for p in common.PARAM_NAMES}
    return {p: max(float(np.max(np.abs(w[p].astype(np.float64) - start[p]))) for w in weights.values())
            for p in common.PARAM_NAMES}


def table(reports):
    """The side-by-side table: one row per epoch, a column pair per level (fits 120 columns)."""
    names = list(reports)
    group = "{:>9} {:>8}"
    lines = ["       " + " | ".join(f"{name:^18}" for name in names),
             "epoch  " + " | ".join(group.format("trn loss", "test acc") for _ in names)]
    for i in range(len(reports[names[0]]["epochs"])):
        cells = []
        for name in names:
            e = reports[name]["epochs"][i]
            cells.append(group.format(f"{e['train_loss']:.5f}", f"{100 * e['test_acc']:.2f}%"))
        lines.append(f"{i + 1:>5}  " + " | ".join(cells))
    return "\n".join(lines)


def seconds_line(reports):
    """The median seconds per epoch of each level (its epoch lines have every epoch's)."""
    return "median seconds per epoch: " + ", ".join(
        f"{name} {np.median([e['seconds'] for e in r['epochs']]):.2f}" for name, r in reports.items())


def largest_differences(reports):
    """Over all epochs: the largest spread between levels of train loss and of test accuracy."""
    result = {}
    for key in ("train_loss", "test_acc"):
        spreads = [max(r["epochs"][i][key] for r in reports.values())
                   - min(r["epochs"][i][key] for r in reports.values())
                   for i in range(len(next(iter(reports.values()))["epochs"]))]
        worst = int(np.argmax(spreads))
        result[key] = {"max_difference": spreads[worst], "epoch": worst + 1}
    return result


def plot(reports, path):
    """Loss and accuracy curves of the levels, overlaid: a colour and a marker per level."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    markers = {"keras": "o", "pytorch": "s", "autograd": "^", "own_autograd": "v", "numpy": "x"}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    for color, (name, report) in enumerate(reports.items()):
        epochs = [e["epoch"] for e in report["epochs"]]
        style = dict(color=f"C{color}", marker=markers.get(name, "."), markersize=4, alpha=0.8)
        ax_loss.plot(epochs, [e["train_loss"] for e in report["epochs"]], "-", label=f"{name} train",
                     **style)
        ax_loss.plot(epochs, [e["test_loss"] for e in report["epochs"]], "--", label=f"{name} test",
                     **style)
        ax_acc.plot(epochs, [100 * e["test_acc"] for e in report["epochs"]], "-", label=name, **style)
    ax_loss.set(xlabel="epoch", ylabel="binary cross-entropy (log scale)", yscale="log",
                title="Loss: train (solid) and test (dashed)")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, ncol=2 if ax is ax_loss else 1)
    fig.tight_layout()
    with atomic.replace(path) as f:
        fig.savefig(f, dpi=110, format="png")
    plt.close(fig)


def summarize(args, reports):
    """What --json-out holds: the configuration, each level's report, the largest differences."""
    return {"config": cli.config(args), "levels": reports, "differences": largest_differences(reports)}


def main(argv=None):
    args = flags.parse("compare", __doc__, common, argv)
    if args.data_dir:
        mnist_files.read_dir(args.data_dir)    # a bad folder is reported once, here
    if args.device == "cuda" and set(args.levels) & set(TORCH_LEVELS):   # now, not after level 1
        import torch
        if not torch.cuda.is_available():
            raise cli.UserError("--device cuda: PyTorch sees no CUDA GPU here; use --device cpu.")

    progress = Progress()
    with tempfile.TemporaryDirectory() as folder:
        if args.lockstep:
            args.init_from = lockstep_init(args, folder)
            args.shuffle = False
        level_flags_ = level_flags(args)
        reports, weights, current = {}, {}, [None]

        def snapshot():                        # what Ctrl-C writes and says (machinery.interrupt)
            done = dict(reports)
            partial = current[0].report() if current[0] else None
            if partial is not None and current[0].name not in done:
                done[current[0].name] = partial
            data = {"config": cli.config(args), "levels": done, "interrupted": True}
            where = (f"; {LEVELS[current[0].name]} stopped after "
                     f"{len(partial['epochs']) if partial else 0} of {args.epochs} epochs"
                     if current[0] and current[0].name not in reports else "")
            shutil.rmtree(folder, ignore_errors=True)   # the exit skips the with-block's cleanup
            save = (lambda: atomic.write_json(args.json_out, data)) if args.json_out else None
            return f"Interrupted: {len(reports)} of {len(args.levels)} levels completed{where}.", save

        def stop():                            # the level running gets Ctrl-C too, and is waited for
            if progress.live:
                sys.stderr.write("\n")          # below the live line, not on it
            if current[0]:
                current[0].stop()

        interrupt.update(snapshot=snapshot, on_interrupt=stop)
        for name in args.levels:
            extra = ["--device", args.device] if name in TORCH_LEVELS else []
            if args.lockstep:
                extra += ["--save-weights", os.path.join(folder, name + ".npz")]
            current[0] = LevelRun(name, level_flags_ + extra, folder)
            reports[name] = current[0].run(progress)
            if args.lockstep:
                with np.load(os.path.join(folder, name + ".npz")) as f:
                    weights[name] = {p: f[p] for p in common.PARAM_NAMES}

        print(table(reports))
        summary = summarize(args, reports)
        differences = summary["differences"]
        print(f"largest difference between levels: train loss "
              f"{differences['train_loss']['max_difference']:.2e} (epoch "
              f"{differences['train_loss']['epoch']}), test accuracy "
              f"{100 * differences['test_acc']['max_difference']:.2f} points (epoch "
              f"{differences['test_acc']['epoch']})")
        if args.lockstep:
            diff, pair = max_weight_difference(weights)
            moved = distance_moved(args.init_from, weights)
            print(f"lockstep ({args.dtype}): largest |dW| between the final weights of any two "
                  f"levels: {diff:.2e} ({pair[0]} vs {pair[1]}); training moved them by up to "
                  f"{max(moved.values()):.3g}")
            summary["max_abs_dW"] = {"value": diff, "levels": list(pair), "moved": moved}
        print(seconds_line(reports))
        if args.plot:
            plot(reports, args.plot)
        if args.json_out:
            cli.write_json(args.json_out, summary)


if __name__ == "__main__":
    cli.run(main)
