"""Computational graphs (计算图) drawn with matplotlib, for ``figures/``.

``computational_graph()`` draws the note's two-layer network with an L2 term:

    x → z = W⁽¹⁾x → h = φ(z) → o = W⁽²⁾h → L = l(o, y)
    W⁽¹⁾, W⁽²⁾ → s = λ/2 (‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F)
    J = L + s

with the note's three parts boxed: 1 the network (x to o), 2 the
regularization term s, 3 the objective J. Squares are variables, circles are
operators, as in d2l's figure; arrows point the way the forward pass runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

__all__ = ["computational_graph", "GRAPH_NODES", "GRAPH_EDGES", "GRAPH_PARTS"]

# name: (x, y, label, kind); kind "var" (a value) or "op" (an operator)
GRAPH_NODES: dict[str, tuple[float, float, str, str]] = {
    "x": (0.0, 0.0, r"$\mathbf{x}$", "var"),
    "mul1": (1.5, 0.0, r"$\times$", "op"),
    "W1": (1.5, 1.6, r"$\mathbf{W}^{(1)}$", "var"),
    "z": (3.0, 0.0, r"$\mathbf{z}$", "var"),
    "phi": (4.5, 0.0, r"$\phi$", "op"),
    "h": (6.0, 0.0, r"$\mathbf{h}$", "var"),
    "mul2": (7.5, 0.0, r"$\times$", "op"),
    "W2": (7.5, 1.6, r"$\mathbf{W}^{(2)}$", "var"),
    "o": (9.0, 0.0, r"$\mathbf{o}$", "var"),
    "loss": (10.5, 0.0, r"$l$", "op"),
    "y": (10.5, -1.5, r"$y$", "var"),
    "L": (12.0, 0.0, r"$L$", "var"),
    "plus": (13.5, 0.0, r"$+$", "op"),
    "J": (15.0, 0.0, r"$J$", "var"),
    "norm": (4.5, 3.3, r"$\|\cdot\|_F^2$", "op"),
    "s": (13.5, 3.3, r"$s$", "var"),
}

GRAPH_EDGES: tuple[tuple[str, str], ...] = (
    ("x", "mul1"), ("W1", "mul1"), ("mul1", "z"), ("z", "phi"), ("phi", "h"),
    ("h", "mul2"), ("W2", "mul2"), ("mul2", "o"), ("o", "loss"), ("y", "loss"),
    ("loss", "L"), ("L", "plus"), ("W1", "norm"), ("W2", "norm"), ("norm", "s"),
    ("s", "plus"), ("plus", "J"),
)

# number: (x0, y0, x1, y1, caption, (caption x, caption y), colour): the dashed box around each part
GRAPH_PARTS: dict[int, tuple] = {
    1: (-0.6, -1.45, 9.6, 2.3, r"network: $\mathbf{z}=\mathbf{W}^{(1)}\mathbf{x},\ \mathbf{h}=\phi(\mathbf{z}),"
        r"\ \mathbf{o}=\mathbf{W}^{(2)}\mathbf{h}$", (-0.4, -1.05), "C0"),
    2: (3.4, 2.6, 14.25, 4.1, r"regularization: $s=\frac{\lambda}{2}\left(\|\mathbf{W}^{(1)}\|_F^2"
        r"+\|\mathbf{W}^{(2)}\|_F^2\right)$", (6.0, 2.9), "C2"),
    3: (9.9, -2.3, 16.1, 0.75, r"objective: $L=l(\mathbf{o},y),\ J=L+s$", (11.1, -1.95), "C3"),
}

_VAR_STYLE = dict(boxstyle="round,pad=0.35", facecolor="#fff7e0", edgecolor="#7a5a00", linewidth=1.2)
_OP_STYLE = dict(boxstyle="circle,pad=0.25", facecolor="#e8f0ff", edgecolor="#2b4c8c", linewidth=1.2)


def _draw_nodes(ax: Axes) -> None:
    for name, (x, y, label, kind) in GRAPH_NODES.items():
        style = _VAR_STYLE if kind == "var" else _OP_STYLE
        ax.text(x, y, label, ha="center", va="center", fontsize=15 if kind == "var" else 13,
                bbox=style, zorder=3, gid=name)


_SHRINK = {"var": 17, "op": 13}  # points from a node's centre to where its arrows start or end


def _draw_edges(ax: Axes) -> None:
    for a, b in GRAPH_EDGES:
        (xa, ya, _, kind_a), (xb, yb, _, kind_b) = GRAPH_NODES[a], GRAPH_NODES[b]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya),
                    arrowprops=dict(arrowstyle="-|>,head_length=0.5,head_width=0.25", color="#333333", lw=1.3,
                                    shrinkA=_SHRINK[kind_a], shrinkB=_SHRINK[kind_b]),
                    zorder=2)


def _draw_parts(ax: Axes) -> None:
    for number, (x0, y0, x1, y1, caption, (cx, cy), colour) in GRAPH_PARTS.items():
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.05,rounding_size=0.25",
                                    facecolor=to_rgba(colour, 0.07), edgecolor=colour, linestyle="--",
                                    linewidth=1.3, zorder=0))
        ax.text(cx, cy, f"{number}", ha="center", va="center", fontsize=12, fontweight="bold",
                color=colour, bbox=dict(boxstyle="circle,pad=0.2", facecolor="white", edgecolor=colour), zorder=4)
        ax.text(cx + 0.4, cy, caption, ha="left", va="center", fontsize=10.5, color=colour, zorder=4)


def computational_graph(ax: Axes | None = None):
    """The note's computational graph; returns the Figure (drawn on ``ax`` if given).

    ``ax``: an existing matplotlib Axes, or None for a new 11 x 5 inch figure.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 5))
    elif not isinstance(ax, Axes):
        raise ValueError(f"ax={ax!r} must be a matplotlib Axes or None")
    else:
        fig = ax.figure
    _draw_nodes(ax)
    _draw_edges(ax)
    _draw_parts(ax)
    ax.text(7.5, -2.85, "forward pass: along the arrows, left to right.   "
            "backward pass: the same graph, against the arrows, from J back to W⁽¹⁾ and W⁽²⁾.",
            ha="center", va="center", fontsize=9.5, color="#555555", style="italic")
    ax.set_xlim(-1.0, 16.4)
    ax.set_ylim(-3.2, 4.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Computational graph of the two-layer network with an L2 term", fontsize=12)
    return fig
