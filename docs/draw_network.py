"""Draw docs/network.png: the network's forward pass, and beneath it the backward pass.

Top row: x -> z1 -> h -> z2 -> a -> L, with the shape of every array and the parameters where
they enter. Bottom rows: the gradients, from dL/dz2 back to dL/dW1 and dL/db1, each arrow
labelled with the formula that computes it (the lines of gradients() in level4_numpy.py).

    python docs/draw_network.py [--out FILE.png]
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from machinery import atomic  # noqa: E402

FORWARD, PARAMETER, BACKWARD, GRADIENT = "#dbe8f6", "#fff2cc", "#f8dcdc", "#e2f0d9"


def draw(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(13, 6.4))
    ax.set_xlim(-0.9, 12.4)
    ax.set_ylim(-2.75, 4.35)
    ax.axis("off")

    def box(x, y, text, shape, color, width=1.35):
        ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.36), width, 0.72,
                                    boxstyle="round,pad=0.04,rounding_size=0.12",
                                    facecolor=color, edgecolor="#444444", linewidth=1))
        ax.text(x, y + 0.1, text, ha="center", va="center", fontsize=13)
        ax.text(x, y - 0.2, shape, ha="center", va="center", fontsize=8.5, color="#333333")
        return (x, y)

    def arrow(start, end, label="", color="#333333", where=0.5, offset=(0, 0.2), size=9.5,
              shrink=(0.72, 0.72), rad=0.0):
        """An arrow from box to box, cut back by `shrink` at each end, with a label beside it."""
        (x0, y0), (x1, y1) = start, end
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        a = (x0 + ux * shrink[0], y0 + uy * shrink[0])
        b = (x1 - ux * shrink[1], y1 - uy * shrink[1])
        ax.annotate("", xy=b, xytext=a, annotation_clip=False,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4,
                                    connectionstyle=f"arc3,rad={rad}"))
        if label:
            mx = a[0] + (b[0] - a[0]) * where + offset[0]
            my = a[1] + (b[1] - a[1]) * where + offset[1]
            ax.text(mx, my, label, ha="center", va="center", fontsize=size, color=color,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85))

    # --- forward pass ------------------------------------------------------------------------
    ax.text(-0.85, 4.1, "Forward pass", fontsize=13, fontweight="bold", ha="left")
    y = 2.0
    x = box(0.0, y, "$x$", "B × 784", FORWARD)
    z1 = box(2.4, y, "$z_1$", "B × H", FORWARD)
    h = box(4.6, y, "$h$", "B × H", FORWARD)
    z2 = box(7.0, y, "$z_2$", "B × 10", FORWARD)
    a = box(9.2, y, "$a$", "B × 10", FORWARD)
    loss = box(11.4, y, "$L$", "a number", FORWARD, width=1.2)
    box(1.2, 3.35, "$W_1$,  $b_1$", "784 × H,  H", PARAMETER, width=1.7)
    box(5.8, 3.35, "$W_2$,  $b_2$", "H × 10,  10", PARAMETER, width=1.7)
    box(11.4, 3.35, "$y$", "B × 10, one-hot", PARAMETER, width=1.5)
    arrow(x, z1, "$x W_1 + b_1$", offset=(0, 0.28))
    arrow(z1, h, "$\\tanh$", offset=(0, 0.28))
    arrow(h, z2, "$h W_2 + b_2$", offset=(0, 0.28))
    arrow(z2, a, "$\\sigma(z_2)$", offset=(0, 0.28))
    arrow(z2, loss, "", rad=0.32, shrink=(0.5, 0.45))
    ax.text(9.2, 0.98, "$L = \\frac{1}{10B}\\sum_{i,k}\\,[\\log(1 + e^{z_2}) - y z_2]$",
            ha="center", va="center", fontsize=10.5, color="#333333")
    ax.annotate("", xy=(1.9, 2.38), xytext=(1.35, 2.98),
                arrowprops=dict(arrowstyle="-|>", color="#7f6000", lw=1.2))
    ax.annotate("", xy=(6.5, 2.38), xytext=(5.95, 2.98),
                arrowprops=dict(arrowstyle="-|>", color="#7f6000", lw=1.2))
    ax.annotate("", xy=(11.4, 2.4), xytext=(11.4, 2.98),
                arrowprops=dict(arrowstyle="-|>", color="#7f6000", lw=1.2))
    ax.text(8.6, 2.85, "$a$: the predictions; the loss\nis computed from $z_2$ directly", ha="center",
            va="center", fontsize=8.5, color="#555555")

    # --- backward pass -----------------------------------------------------------------------
    red, green = "#a61c1c", "#2e6b1f"
    ax.text(-0.85, 0.55, "Backward pass (gradients(), from the loss back to W1 and b1)",
            fontsize=13, fontweight="bold", ha="left")
    yb1, yb2 = -0.35, -1.95
    dz2 = box(7.5, yb1, "$\\partial L / \\partial z_2$", "B × 10", BACKWARD, width=1.5)
    dh = box(4.6, yb1, "$\\partial L / \\partial h$", "B × H", BACKWARD, width=1.5)
    dz1 = box(1.7, yb1, "$\\partial L / \\partial z_1$", "B × H", BACKWARD, width=1.5)
    box(6.4, yb2, "$\\partial L / \\partial W_2$", "H × 10", GRADIENT, width=1.5)
    box(8.6, yb2, "$\\partial L / \\partial b_2$", "10", GRADIENT, width=1.5)
    box(0.6, yb2, "$\\partial L / \\partial W_1$", "784 × H", GRADIENT, width=1.5)
    box(2.8, yb2, "$\\partial L / \\partial b_1$", "H", GRADIENT, width=1.5)
    ax.annotate("", xy=(8.3, -0.2), xytext=(11.4, 1.6),
                arrowprops=dict(arrowstyle="-|>", color=red, lw=1.4, connectionstyle="arc3,rad=-0.25"))
    ax.text(10.5, 0.25, "$(a - y)\\,/\\,(10B)$", fontsize=11, color=red, ha="center",
            bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85))
    arrow(dz2, dh, "$\\partial L/\\partial z_2 \\; W_2^\\top$", color=red, offset=(0, 0.36),
          shrink=(0.78, 0.78), size=10.5)
    arrow(dh, dz1, "$\\odot\\,(1 - h^2)$", color=red, offset=(0, 0.36), shrink=(0.78, 0.78),
          size=10.5)
    arrow((7.2, yb1), (6.5, yb2), "$h^\\top \\partial L/\\partial z_2$", color=green,
          offset=(-0.8, 0.0), shrink=(0.4, 0.4), size=10.5)
    arrow((7.8, yb1), (8.5, yb2), "sum over\nthe batch", color=green, offset=(0.75, 0.0),
          shrink=(0.4, 0.4), size=9)
    arrow((1.4, yb1), (0.7, yb2), "$x^\\top \\partial L/\\partial z_1$", color=green,
          offset=(-0.8, 0.0), shrink=(0.4, 0.4), size=10.5)
    arrow((2.0, yb1), (2.7, yb2), "sum over\nthe batch", color=green, offset=(0.75, 0.0),
          shrink=(0.4, 0.4), size=9)
    ax.text(10.9, -1.95, "Each gradient has the shape\nof what it is the gradient of.\n"
            "Update: $\\theta \\leftarrow \\theta - \\eta\\, \\partial L/\\partial\\theta$",
            fontsize=9.5, ha="center", va="center", color="#333333")

    fig.tight_layout()
    with atomic.replace(path) as f:
        fig.savefig(f, dpi=100, format="png")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "network.png"), metavar="FILE.png",
                        help="where to write the picture (default: docs/network.png)")
    args = parser.parse_args(argv)
    draw(args.out)


if __name__ == "__main__":
    main()
