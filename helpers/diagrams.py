"""Network diagrams drawn with matplotlib (for ``figures/``): softmax regression next to the MLP."""

from __future__ import annotations

import matplotlib.pyplot as plt

SHOWN = 5  # nodes drawn per layer; the rest is "⋮"


def layer_parameters(sizes) -> list[int]:
    """Parameters of each fully connected layer for layer widths ``sizes``: out·in weights + out biases.

    ``sizes``: e.g. (784, 256, 10) → [200960, 2570].
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in sizes):
        raise ValueError(f"sizes={sizes!r} must be two or more positive integers (input, …, output)")
    return [n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _layer(ax, x: float, size: int, symbol: str, color: str, shown: int = SHOWN) -> list[float]:
    """Draw one layer as a column of circles at ``x``; return the y of each drawn node.

    Up to ``shown`` units are all drawn; a wider layer shows its first
    ``shown - 1`` units, a "⋮", and its last unit.
    """
    if size <= shown:
        ys = [0.85 - 0.75 * i / max(size - 1, 1) for i in range(size)]
        labels = list(range(1, size + 1))
    else:
        ys = [0.85 - 0.15 * i for i in range(shown - 1)] + [0.1]
        labels = list(range(1, shown)) + [size]
        ax.text(x, 0.1 + (ys[-2] - 0.1) / 2, "⋮", ha="center", va="center", fontsize=14)
    for y, index in zip(ys, labels):
        ax.scatter([x], [y], s=520, color=color, edgecolors="k", linewidths=0.8, zorder=3)
        ax.text(x, y, f"{symbol}{_sub(index)}", ha="center", va="center", fontsize=7, zorder=4)
    return ys


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _connect(ax, x0, ys0, x1, ys1):
    for y0 in ys0:
        for y1 in ys1:
            ax.plot([x0, x1], [y0, y1], color="0.55", lw=0.5, zorder=1)


def mlp_structure_figure(sizes=(784, 256, 10)):
    """Softmax regression (input → output) beside an MLP with one hidden layer (input → hidden → output).

    ``sizes`` = (inputs, hidden units, outputs), the note's 784-256-10 by
    default; parameter counts are computed from them.
    """
    n_in, n_hidden, n_out = sizes
    linear, mlp = layer_parameters((n_in, n_out)), layer_parameters(sizes)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.5]})
    for ax in (left, right):
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.12, 1.08)
        ax.axis("off")

    xs_in, xs_out = _layer(left, 0.15, n_in, "x", "#cfe2f3"), _layer(left, 0.85, n_out, "o", "#f4cccc")
    _connect(left, 0.15, xs_in, 0.85, xs_out)
    left.set_title(f"softmax regression: one affine layer\n{linear[0]:,} parameters = {n_out}×{n_in} + {n_out}", fontsize=10)
    left.text(0.15, 1.0, f"input\n{n_in} pixels", ha="center", fontsize=9)
    left.text(0.85, 1.0, f"output\n{n_out} classes", ha="center", fontsize=9)
    left.text(0.5, -0.08, f"o = W x + b,   W: {n_out}×{n_in}", ha="center", fontsize=9)

    ys_in = _layer(right, 0.1, n_in, "x", "#cfe2f3")
    ys_h = _layer(right, 0.5, n_hidden, "h", "#d9ead3")
    ys_out = _layer(right, 0.9, n_out, "o", "#f4cccc")
    _connect(right, 0.1, ys_in, 0.5, ys_h)
    _connect(right, 0.5, ys_h, 0.9, ys_out)
    right.set_title(f"multilayer perceptron: a hidden layer in between\n"
                    f"{sum(mlp):,} parameters = {mlp[0]:,} + {mlp[1]:,}", fontsize=10)
    right.text(0.1, 1.0, f"input\n{n_in} pixels", ha="center", fontsize=9)
    right.text(0.5, 1.0, f"hidden layer\n{n_hidden} units, h = φ(z)", ha="center", fontsize=9)
    right.text(0.9, 1.0, f"output\n{n_out} classes", ha="center", fontsize=9)
    right.text(0.3, -0.08, f"z = W⁽¹⁾x + b⁽¹⁾\nW⁽¹⁾: {n_hidden}×{n_in}", ha="center", fontsize=9)
    right.text(0.7, -0.08, f"o = W⁽²⁾h + b⁽²⁾\nW⁽²⁾: {n_out}×{n_hidden}", ha="center", fontsize=9)
    fig.tight_layout()
    return fig
