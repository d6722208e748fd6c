"""Draw docs/digits.png: what the project shows, in one picture. Test digits the trained network
has never seen, each beside its ten outputs a = sigmoid(z2), one per digit: the first ones it
gets right, and the first ones it gets wrong.

The weights come from a level run with --save-weights (any level: the file layout is the same);
the test images from the same four MNIST files the levels read. The forward pass is level 4's.
The digits shown, their labels and outputs are written into the picture's metadata, as JSON
under the key "digits", where tests/test_docs.py reads them.

    python level4_numpy.py --epochs 2 --save-weights weights.npz
    python docs/draw_digits.py --weights weights.npz [--data-dir DIR] [--out docs/digits.png]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import common  # noqa: E402
import level4_numpy  # noqa: E402
from machinery import atomic, cli, levels, mnist_files, params_files  # noqa: E402
from machinery.errors import UserError  # noqa: E402

RIGHT, WRONG = 4, 2            # digits shown that the network gets right, and wrong


def chosen(a, labels, right=RIGHT, wrong=WRONG):
    """Indices of the first `right` test digits the network gets right, then of the first `wrong`
    it gets wrong (fewer where there are fewer)."""
    predicted = a.argmax(axis=1)
    good = np.flatnonzero(predicted == labels)[:right]
    bad = np.flatnonzero(predicted != labels)[:wrong]
    return [int(i) for i in np.concatenate([good, bad])]


def draw(images, labels, a, picks, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(picks), figsize=(2.1 * len(picks), 4.2),
                             gridspec_kw={"height_ratios": [1, 1.15]})
    for col, i in enumerate(picks):
        guess = int(a[i].argmax())
        top, bottom = axes[0, col], axes[1, col]
        top.imshow(images[i], cmap="gray_r")
        top.set_xticks([])
        top.set_yticks([])
        right = guess == labels[i]
        top.set_title(f"test image {i}\nlabel {labels[i]}, says {guess}",
                      fontsize=9, color="black" if right else "#b00020")
        colors = ["#2a7ab9" if d == guess else "#e08a1e" if d == labels[i] else "#b8c8d8"
                  for d in range(common.N_OUTPUTS)]
        bottom.barh(range(common.N_OUTPUTS), a[i], color=colors)
        bottom.set_yticks(range(common.N_OUTPUTS))
        bottom.tick_params(labelsize=8)
        bottom.set_xlim(0, 1)
        bottom.invert_yaxis()
        bottom.set_xlabel("output a", fontsize=8)
        if col == 0:
            bottom.set_ylabel("digit", fontsize=8)
        for d in range(common.N_OUTPUTS):
            bottom.text(min(a[i, d], 0.62) + 0.02, d, f"{a[i, d]:.2f}", va="center", fontsize=6.5)
    fig.suptitle("Test digits the network never saw in training, and its ten outputs: the first "
                 f"{RIGHT} it reads right, the first {WRONG} it reads wrong (red)\nBlue: the "
                 "largest output, its answer. Orange: the right digit's output, where the answer "
                 "is wrong.", fontsize=10)
    fig.tight_layout()
    record = [{"index": i, "label": int(labels[i]), "says": int(a[i].argmax()),
               "outputs": [round(float(v), 2) for v in a[i]]} for i in picks]
    with atomic.replace(path) as f:
        fig.savefig(f, format="png", dpi=90, metadata={"digits": json.dumps(record)})
    plt.close(fig)
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, metavar="FILE.npz",
                        help="W1, b1, W2, b2, as a level's --save-weights wrote them")
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR") or None, metavar="DIR",
                        help="the folder of the four MNIST .gz files (default: $MNIST_DIR, else "
                             "the files level 4 downloads)")
    parser.add_argument("--out", default=os.path.join(HERE, "digits.png"), metavar="FILE.png",
                        help="where to write the picture (default: docs/digits.png)")
    args = parser.parse_args(argv)
    cli.check_output_path(parser, "--out", args.out)
    if not os.path.isfile(args.weights):
        parser.error(f"--weights {args.weights}: no such file")
    try:
        with np.load(args.weights) as f:
            w1 = f["W1"] if "W1" in f.files else np.zeros((0, 0))
        hidden = w1.shape[-1] if w1.ndim == 2 else 0
        weights = params_files.load(argparse.Namespace(init_from=args.weights, hidden=hidden,
                                                       dtype="float64"), common)
    except (OSError, ValueError, UserError) as e:    # the levels' checks, named for this flag
        message = str(e).replace("--init-from", "--weights").replace("a model with --hidden",
                                                                       "a model of")
        raise UserError(message if isinstance(e, UserError) else
                        f"--weights {args.weights}: not a readable .npz file ({e}).") from None
    data_dir = args.data_dir or mnist_files.download()
    _, (x, y) = levels.load_data(level4_numpy, data_dir, None, np.dtype("float64"))
    (_, _), (images, labels) = mnist_files.read_dir(data_dir)
    _, _, a = level4_numpy.forward(x, weights)
    picks = chosen(a, labels)
    record = draw(images, labels, a, picks, args.out)
    print(f"{args.out}: test digits {', '.join(str(r['index']) for r in record)}; the network "
          f"gets {np.mean(a.argmax(axis=1) == labels):.2%} of the test set right")


if __name__ == "__main__":
    cli.run(main)
