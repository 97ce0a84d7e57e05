"""Every image in figures/, and the code that draws it: `make figures` runs this file.

``FIGURES`` maps a file name in ``figures/`` to a function of no arguments that returns a matplotlib
Figure; ``make_all`` draws each and saves it with ``save_fig`` (handson-ml3's name). The lessons embed
the files in their markdown as ``![…](../figures/NAME)`` and never call this code at run time. The
Chinese edition embeds ``../../figures/zh/NAME``: the same figures with their text in Chinese, drawn
through helpers.runtime.tr_fig and the table helpers/zh_CN.json, in a CJK font. To add a figure: write
its function here (its words through ``tr_fig``) and add a line to ``FIGURES``.

    python tools/make_figures.py            # rewrite figures/ and figures/zh/
    python tools/make_figures.py OUT_DIR    # write them to OUT_DIR and OUT_DIR/zh instead
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from helpers import runtime  # noqa: E402
from helpers.runtime import check_choice, tr_fig  # noqa: E402
from helpers.train import ACTIVATIONS  # noqa: E402

FIGURES_DIR = Path(__file__).resolve().parent.parent / "figures"
LANGUAGES = {"en": "", "zh": "zh"}  # language: its folder under figures/


# --------------------------------------------------------------------------- mlp_structure.png (lesson 02)

SHOWN = 5  # nodes drawn per layer; the rest is "⋮"


def layer_parameters(sizes) -> list[int]:
    """Parameters of each fully connected layer for layer widths ``sizes``: out·in weights + out biases.

    ``sizes``: e.g. (784, 256, 10) → [200960, 2570].
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in sizes):
        raise ValueError(f"sizes={sizes!r} must be two or more positive integers (input, …, output)")
    return [n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _layer(ax, x: float, size: int, symbol: str, color: str) -> list[float]:
    """Draw one layer as a column of circles at ``x``; return the y of each drawn node.

    Up to ``SHOWN`` units are all drawn; a wider layer shows its first ``SHOWN - 1``, a "⋮", and its last.
    """
    if size <= SHOWN:
        ys = [0.85 - 0.75 * i / max(size - 1, 1) for i in range(size)]
        labels = list(range(1, size + 1))
    else:
        ys = [0.85 - 0.15 * i for i in range(SHOWN - 1)] + [0.1]
        labels = list(range(1, SHOWN)) + [size]
        ax.text(x, 0.1 + (ys[-2] - 0.1) / 2, "⋮", ha="center", va="center", fontsize=14)
    for y, index in zip(ys, labels):
        ax.scatter([x], [y], s=520, color=color, edgecolors="k", linewidths=0.8, zorder=3)
        ax.text(x, y, f"{symbol}{_sub(index)}", ha="center", va="center", fontsize=7, zorder=4)
    return ys


def _connect(ax, x0, ys0, x1, ys1):
    for y0 in ys0:
        for y1 in ys1:
            ax.plot([x0, x1], [y0, y1], color="0.55", lw=0.5, zorder=1)


def mlp_structure_figure(sizes=(784, 256, 10)):
    """Softmax regression (input → output) beside an MLP with one hidden layer (input → hidden → output).

    ``sizes`` = (inputs, hidden units, outputs), the note's 784-256-10 by default; parameter counts
    are computed from them.
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
    left.set_title(tr_fig("softmax regression: one affine layer\n{p:,} parameters = {o}×{i} + {o}", p=linear[0],
                          o=n_out, i=n_in), fontsize=10)
    left.text(0.15, 1.0, tr_fig("input\n{n} pixels", n=n_in), ha="center", fontsize=9)
    left.text(0.85, 1.0, tr_fig("output\n{n} classes", n=n_out), ha="center", fontsize=9)
    left.text(0.5, -0.08, f"o = W x + b,   W: {n_out}×{n_in}", ha="center", fontsize=9)

    ys_in = _layer(right, 0.1, n_in, "x", "#cfe2f3")
    ys_h = _layer(right, 0.5, n_hidden, "h", "#d9ead3")
    ys_out = _layer(right, 0.9, n_out, "o", "#f4cccc")
    _connect(right, 0.1, ys_in, 0.5, ys_h)
    _connect(right, 0.5, ys_h, 0.9, ys_out)
    right.set_title(tr_fig("multilayer perceptron: a hidden layer in between\n{p:,} parameters = {a:,} + {b:,}",
                           p=sum(mlp), a=mlp[0], b=mlp[1]), fontsize=10)
    right.text(0.1, 1.0, tr_fig("input\n{n} pixels", n=n_in), ha="center", fontsize=9)
    right.text(0.5, 1.0, tr_fig("hidden layer\n{n} units, h = φ(z)", n=n_hidden), ha="center", fontsize=9)
    right.text(0.9, 1.0, tr_fig("output\n{n} classes", n=n_out), ha="center", fontsize=9)
    right.text(0.3, -0.08, f"z = W⁽¹⁾x + b⁽¹⁾\nW⁽¹⁾: {n_hidden}×{n_in}", ha="center", fontsize=9)
    right.text(0.7, -0.08, f"o = W⁽²⁾h + b⁽²⁾\nW⁽²⁾: {n_out}×{n_hidden}", ha="center", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- activations.png (lesson 03)

LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU",
          "gelu": "GELU", "silu": "SiLU"}


def function_and_derivative(name: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """φ(x) and φ′(x) for the activation ``name`` of helpers.train.ACTIVATIONS, φ′ by autograd.

    At a kink (ReLU at 0) autograd's value is the one PyTorch trains with.
    """
    x = x.detach().clone().requires_grad_(True)
    y = ACTIVATIONS[check_choice("activation", name, tuple(ACTIVATIONS))]()(x)
    (dy,) = torch.autograd.grad(y.sum(), x)  # each y_i depends on x_i only, so this is φ′ entry by entry
    return y.detach(), dy


def activations_figure(names=("sigmoid", "tanh", "relu"), x_range=(-6.0, 6.0), points: int = 601):
    """One panel per activation in ``names``: φ (solid), φ′ (dashed) and φ′'s largest value (dotted)."""
    names = tuple(names)
    if not names:
        raise ValueError("names=() is empty; give at least one activation name")
    x = torch.linspace(*x_range, points)
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        y, dy = function_and_derivative(name, x)
        label, top = LABELS.get(name, name), round(float(dy.max()), 4)
        ax.plot(x.numpy(), y.numpy(), color="C0", label=f"{label}(x)")
        ax.plot(x.numpy(), dy.numpy(), "--", color="C3", label=f"{label}′(x)")
        ax.axhline(top, ls=":", color="C3", lw=1, label=tr_fig("max φ′ = {m:g}", m=top))
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- computational_graph.png (lesson 08)
# The note's two-layer network with an L2 term, its three parts boxed (1 the network, 2 the
# regularization term s, 3 the objective J). Squares are values, circles operators, as in d2l's figure;
# arrows point the way the forward pass runs.

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

# number: (x0, y0, x1, y1, name, formula, (caption x, caption y), colour): the dashed box around each part
GRAPH_PARTS: dict[int, tuple] = {
    1: (-0.6, -1.45, 9.6, 2.3, "network", r"$\mathbf{z}=\mathbf{W}^{(1)}\mathbf{x},\ \mathbf{h}=\phi(\mathbf{z}),"
        r"\ \mathbf{o}=\mathbf{W}^{(2)}\mathbf{h}$", (-0.4, -1.05), "C0"),
    2: (3.4, 2.6, 14.25, 4.1, "regularization", r"$s=\frac{\lambda}{2}\left(\|\mathbf{W}^{(1)}\|_F^2"
        r"+\|\mathbf{W}^{(2)}\|_F^2\right)$", (6.0, 2.9), "C2"),
    3: (9.9, -2.3, 16.1, 0.75, "objective", r"$L=l(\mathbf{o},y),\ J=L+s$", (11.1, -1.95), "C3"),
}

_STYLE = {"var": dict(boxstyle="round,pad=0.35", facecolor="#fff7e0", edgecolor="#7a5a00", linewidth=1.2),
          "op": dict(boxstyle="circle,pad=0.25", facecolor="#e8f0ff", edgecolor="#2b4c8c", linewidth=1.2)}
_SHRINK = {"var": 17, "op": 13}  # points from a node's centre to where its arrows start or end


def computational_graph(ax: Axes | None = None):
    """The note's computational graph; returns the Figure (drawn on ``ax`` if given, else 11 x 5 inches)."""
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(f"ax={ax!r} must be a matplotlib Axes or None")
    fig, ax = plt.subplots(figsize=(11, 5)) if ax is None else (ax.figure, ax)
    for name, (x, y, label, kind) in GRAPH_NODES.items():
        ax.text(x, y, label, ha="center", va="center", fontsize=15 if kind == "var" else 13,
                bbox=_STYLE[kind], zorder=3, gid=name)
    for a, b in GRAPH_EDGES:
        (xa, ya, _, kind_a), (xb, yb, _, kind_b) = GRAPH_NODES[a], GRAPH_NODES[b]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), zorder=2,
                    arrowprops=dict(arrowstyle="-|>,head_length=0.5,head_width=0.25", color="#333333", lw=1.3,
                                    shrinkA=_SHRINK[kind_a], shrinkB=_SHRINK[kind_b]))
    names = {"network": tr_fig("network"), "regularization": tr_fig("regularization"), "objective": tr_fig("objective")}
    for number, (x0, y0, x1, y1, name, formula, (cx, cy), colour) in GRAPH_PARTS.items():
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.05,rounding_size=0.25",
                                    facecolor=to_rgba(colour, 0.07), edgecolor=colour, linestyle="--",
                                    linewidth=1.3, zorder=0))
        ax.text(cx, cy, f"{number}", ha="center", va="center", fontsize=12, fontweight="bold",
                color=colour, bbox=dict(boxstyle="circle,pad=0.2", facecolor="white", edgecolor=colour), zorder=4)
        # the name and its formula as two texts: mathtext draws words in its own font, which has no CJK
        caption = ax.text(cx + 0.4, cy, f"{names[name]}: ", ha="left", va="center", fontsize=10.5, color=colour,
                          zorder=4)
        ax.annotate(formula, xy=(1, 0.5), xycoords=caption, ha="left", va="center", fontsize=10.5, color=colour,
                    zorder=4)
    ax.text(7.5, -2.85, tr_fig("forward pass: along the arrows, left to right.   backward pass: the same graph, "
                               "against the arrows, from J back to W⁽¹⁾ and W⁽²⁾."),
            ha="center", va="center", fontsize=9.5, color="#555555", style="italic")
    ax.set_xlim(-1.0, 16.4)
    ax.set_ylim(-3.2, 4.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(tr_fig("Computational graph of the two-layer network with an L2 term"), fontsize=12)
    return fig


# --------------------------------------------------------------------------- the registry

FIGURES = {
    "mlp_structure.png": mlp_structure_figure,
    "activations.png": activations_figure,
    "computational_graph.png": computational_graph,
}


def save_fig(fig, name: str, folder: Path | None = None, dpi: int = 120) -> Path:
    """Save ``fig`` as ``folder/name`` (default ``figures/``), as handson-ml3's save_fig does."""
    if not name.endswith((".png", ".svg")):
        raise ValueError(f"name={name!r} must end in .png or .svg")
    folder = Path(folder) if folder is not None else FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / name, dpi=dpi, bbox_inches="tight")
    return folder / name


@contextmanager
def drawing_in(lang: str):
    """Draw in ``lang`` ("en" or "zh"): helpers.runtime.tr_fig's words, and for "zh" a CJK font (or SystemExit:
    a Chinese figure drawn without one would show English, or boxes)."""
    before, var = os.environ.get(runtime.LANG_VAR), runtime.LANG_VAR
    os.environ[var] = check_choice("lang", lang, tuple(LANGUAGES))
    try:
        if lang == "zh" and not runtime.cjk_font():
            raise SystemExit("figures/zh needs a CJK font: apt-get install fonts-noto-cjk (or `make setup` as root)")
        with matplotlib.rc_context():  # the CJK font is added for these figures only
            yield
    finally:
        if before is None:
            del os.environ[var]
        else:
            os.environ[var] = before


def make_all(folder: Path | None = None, lang: str = "en") -> list[Path]:
    """Draw and save every registered figure in ``lang`` into ``folder`` (default figures/, or figures/zh/ for
    "zh"); returns the paths written."""
    folder = Path(folder) if folder is not None else FIGURES_DIR / LANGUAGES[lang]
    paths = []
    with drawing_in(lang):
        for name, draw in FIGURES.items():
            fig = draw()
            paths.append(save_fig(fig, name, folder))
            plt.close(fig)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else FIGURES_DIR
    for lang, sub in LANGUAGES.items():
        for path in make_all(out / sub, lang):
            print(f"wrote {path}")
