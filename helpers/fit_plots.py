"""Pictures of fitted models: 1-D fits and their residuals, 2-D decision regions, weight images.

Every function draws on an axes it is given (or makes one) and returns it, so
a lesson can lay several side by side. Nothing here trains anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from helpers.fitting import predict


def _np(t: torch.Tensor):
    """A tensor as a NumPy array for matplotlib (which is slow when handed tensors directly)."""
    return t.detach().cpu().numpy()


def _axes(ax, figsize=(5.0, 3.4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_curve_fits(x: torch.Tensor, y: torch.Tensor, fits: dict, ax=None, truth=None,
                    xlabel: str = "x", ylabel: str = "y", title: str | None = None, points: int = 400):
    """Data as dots and each fitted curve as a line.

    ``x``, ``y``: (n, 1) float32 in their units; ``fits`` maps a legend label to a
    net taking (m, 1) inputs; ``truth``: optional function drawn dotted (the curve
    the data was drawn from). Returns the axes.
    """
    ax = _axes(ax)
    ax.scatter(_np(x[:, 0]), _np(y[:, 0]), s=9, color="0.55", alpha=0.6, label="data")
    grid = torch.linspace(float(x.min()), float(x.max()), points)[:, None]
    if truth is not None:
        ax.plot(_np(grid[:, 0]), _np(truth(grid)[:, 0]), ":", color="k", lw=1.5, label="true curve")
    for i, (label, net) in enumerate(fits.items()):
        ax.plot(_np(grid[:, 0]), _np(predict(net, grid)[:, 0]), color=f"C{i}", lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_residuals(x: torch.Tensor, y: torch.Tensor, fits: dict, ax=None, xlabel: str = "x",
                   title: str | None = "residuals y − ŷ"):
    """Residuals y − ŷ of each fit against x, with a smoothed trend line per fit.

    A good model leaves residuals that scatter around 0 with no pattern; a
    curve in the residuals is structure the model could not express.
    """
    ax = _axes(ax)
    order = torch.argsort(x[:, 0])
    xs = x[order, 0]
    for i, (label, net) in enumerate(fits.items()):
        r = (y - predict(net, x))[order, 0]
        ax.scatter(_np(xs), _np(r), s=7, color=f"C{i}", alpha=0.35)
        ax.plot(_np(xs), _np(_moving_average(r, 21)), color=f"C{i}", lw=2, label=f"{label} (trend)")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("y − ŷ")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def _moving_average(values: torch.Tensor, window: int) -> torch.Tensor:
    """Centred moving average of a 1-D tensor (the window shrinks at the ends)."""
    half = window // 2
    padded = torch.cat([values.new_zeros(1), values.cumsum(0)])
    idx = torch.arange(len(values))
    lo = (idx - half).clamp(min=0)
    hi = (idx + half + 1).clamp(max=len(values))
    return (padded[hi] - padded[lo]) / (hi - lo)


def plot_decision_regions(net, X: torch.Tensor, y: torch.Tensor, ax=None, title: str | None = None,
                          steps: int = 150):
    """A 2-class classifier's P(class 1) as a colour map, its boundary (p = 0.5) and the data.

    ``X``: (n, 2) float32; ``y``: (n,) int64 in {0, 1}. Returns the axes.
    """
    from helpers.fitting import probability_grid

    ax = _axes(ax, (4.2, 3.8))
    pad = 0.3
    xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
    ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
    xx, yy, p = probability_grid(net, xlim, ylim, steps)
    xx, yy, p = _np(xx), _np(yy), _np(p)
    ax.contourf(xx, yy, p, levels=20, cmap="coolwarm", vmin=0, vmax=1, alpha=0.55)
    ax.contour(xx, yy, p, levels=[0.5], colors="k", linewidths=1.5)
    for cls, marker in ((0, "o"), (1, "^")):
        pts = X[y == cls]
        ax.scatter(_np(pts[:, 0]), _np(pts[:, 1]), s=12, marker=marker, color="C0" if cls == 0 else "C3",
                   edgecolor="k", linewidth=0.3, label=f"class {cls}")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def show_class_weights(W: torch.Tensor, titles, num_cols: int = 5, scale: float = 1.8):
    """Each row of a softmax regression's weight matrix as a 28×28 image.

    ``W``: (10, 784) float32, one row per class. Red pixels push the score of
    that class up, blue ones push it down, white ones do nothing; one colour
    scale for all panels. Returns the Figure.
    """
    W = W.detach().cpu()
    if W.dim() != 2 or W.shape[1] != 784:
        raise ValueError(f"W has shape {tuple(W.shape)}; expected (classes, 784)")
    if len(titles) != len(W):
        raise ValueError(f"titles has {len(titles)} entries for {len(W)} rows of W; give one per row")
    num_rows = -(-len(W) // num_cols)
    limit = float(W.abs().max())
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale + 1.0, num_rows * scale * 1.05),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, row, title in zip(axes.flat, W, titles):
        image = ax.imshow(_np(row.reshape(28, 28)), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    return fig
