"""Image grids, training curves, the lessons' confusion plots, and the explorer pattern.

Nothing here switches matplotlib's backend: notebooks use the inline backend,
scripts whatever matplotlib picks (``make figures`` sets Agg).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import ipywidgets as widgets

import matplotlib.pyplot as plt
import torch

from helpers.runtime import check_int

CURVE_STYLES = {
    "train_loss": ("train loss", "C0", "-"),
    "test_loss": ("test loss", "C0", "--"),
    "train_acc": ("train acc", "C1", "-"),
    "test_acc": ("test acc", "C2", "--"),
}


def show_images(imgs, num_rows: int, num_cols: int, titles=None, scale: float = 1.5):
    """Draw a grid of images, as d2l's ``show_images``; returns the axes (flat).

    ``imgs``: (n, H, W) or (n, 1, H, W) tensor or array, n ≤ num_rows·num_cols;
    ``titles``: optional list of n strings (e.g. "true\\npredicted").
    """
    check_int("num_rows", num_rows)
    check_int("num_cols", num_cols)
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"{len(imgs)} images do not fit a {num_rows}x{num_cols} grid; "
                         "raise num_rows or num_cols, or pass fewer images")
    if titles is not None and len(titles) < len(imgs):
        raise ValueError(f"titles has {len(titles)} entries for {len(imgs)} images; give one per image")
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale * 1.15),
                             squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= len(imgs):
            continue
        img = imgs[i]
        if isinstance(img, torch.Tensor):
            img = img.detach().cpu()
            if img.dim() == 3 and img.shape[0] == 1:
                img = img[0]
            img = img.numpy()
        ax.imshow(img, cmap="gray_r" if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return axes


def plot_history(history: dict, ax=None, title: str | None = None):
    """Plot the per-epoch curves of a training history on one axes; returns it."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    for key, (label, color, style) in CURVE_STYLES.items():
        values = history.get(key) or []
        if values:
            ax.plot(range(1, len(values) + 1), values, style, color=color, label=label)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _class_names(class_names, q: int) -> list[str]:
    names = [str(i) for i in range(q)] if class_names is None else [str(n) for n in class_names]
    if len(names) != q:
        raise ValueError(f"class_names has {len(names)} entries for {q} classes; give one per class")
    return names


def plot_confusion_matrix(cm, class_names=None, ax=None, title: str | None = None):
    """Draw a confusion matrix with its counts written in the cells; returns the axes.

    ``cm``: (q, q) counts (tensor or array), rows the true class, columns the
    predicted one (as ``helpers.metrics.confusion_matrix`` returns it). The
    colour is the fraction of each true class (row), so rare and common classes
    read alike; the diagonal is drawn in a separate colour map from the mistakes.
    """
    import numpy as np

    cm = np.asarray(cm.detach().cpu() if isinstance(cm, torch.Tensor) else cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (q, q) matrix of counts, got shape {cm.shape}")
    q = cm.shape[0]
    names = _class_names(class_names, q)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.62 * q + 2.2, 0.55 * q + 1.6))
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    off = np.ma.masked_where(np.eye(q, dtype=bool), frac)
    diag = np.ma.masked_where(~np.eye(q, dtype=bool), frac)
    ax.imshow(diag, cmap="Greens", vmin=0, vmax=1)
    worst = float(off.max()) if off.count() else 0.0
    ax.imshow(off, cmap="Reds", vmin=0, vmax=max(worst, 1e-9) * 1.25)
    for i in range(q):
        for j in range(q):
            if cm[i, j]:
                dark = (i == j and frac[i, j] > 0.6) or (i != j and worst and frac[i, j] > 0.6 * worst)
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    ax.set_xticks(range(q), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(q), names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "confusion matrix (rows: true, columns: predicted)", fontsize=10)
    return ax


def plot_per_class_accuracy(acc, class_names=None, ax=None, title: str | None = None,
                            overall: float | None = None):
    """Horizontal bars of each class's accuracy (worst at the bottom); returns the axes.

    ``acc``: (q,) fractions in [0, 1] (``helpers.metrics.per_class_accuracy``);
    ``overall``: optional overall accuracy, drawn as a dashed line.
    """
    import numpy as np

    acc = np.asarray(acc.detach().cpu() if isinstance(acc, torch.Tensor) else acc, dtype=float)
    if acc.ndim != 1:
        raise ValueError(f"acc must be 1-D (q,) accuracies, got shape {acc.shape}")
    names = _class_names(class_names, len(acc))
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.3 * len(acc) + 1.0))
    order = np.argsort(acc)
    ax.barh(range(len(acc)), acc[order], color=["C3" if a < (overall or 0) else "C0" for a in acc[order]])
    ax.set_yticks(range(len(acc)), [names[i] for i in order], fontsize=8)
    for k, i in enumerate(order):
        ax.text(acc[i] + 0.005, k, f"{acc[i]:.3f}", va="center", fontsize=7)
    if overall is not None:
        ax.axvline(overall, color="k", ls="--", lw=1, label=f"overall {overall:.3f}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("accuracy on the test set")
    ax.set_title(title or "accuracy per class", fontsize=10)
    return ax


# --------------------------------------------------------------------------- explorers


def explorer(compute: Callable[..., Any], draw: Callable[..., None] | None = None,
             cache: bool = True, **controls) -> widgets.interactive:
    """An ``interactive`` over ``controls`` that computes (memoised on the values), then draws.

    ``controls`` are ipywidgets (sliders, drop-downs); a slider fires once, on
    release. ``draw(result, **values)`` draws the figure shown for the
    current values; ``panel.result`` holds the last result.
    """
    for control in controls.values():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
    cached = functools.lru_cache(maxsize=64)(compute) if cache else compute

    def update(**values):
        result = cached(**values)
        if draw is not None:
            draw(result, **values)
            plt.show()
            plt.close("all")  # shown already; without a notebook (tests, Agg) figures would pile up
        return result

    panel = widgets.interactive(update, **controls)
    panel.cache = cached if cache else None
    return panel


def set_controls(panel: widgets.interactive, **values) -> Any:
    """Set controls by name, as a user would, and return the panel's new ``.result``.

    Unknown names are refused with a ValueError listing the explorer's controls.
    """
    by_name = {getattr(c, "_kwarg", None): c for c in panel.kwargs_widgets}
    for name, value in values.items():
        if name not in by_name:
            raise ValueError(f"control {name!r} does not exist; this explorer has {sorted(k for k in by_name if k)}")
        by_name[name].value = value
    return panel.result


def plot_against_reference(history: dict, reference: dict | None, panels, note: str):
    """One row of axes, one per ``(keys, settings)`` in ``panels``: ``history[key]`` per epoch, and the same
    curves of ``reference`` in grey behind (labelled "…, ``note``"); ``settings`` go to ``ax.set``. Returns the axes."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.4), squeeze=False)
    for ax, (keys, settings) in zip(axes[0], panels):
        for key in keys:
            label, color, style = CURVE_STYLES.get(key, (key.replace("_", " "), "C2", "-"))
            for run, text, shade, lw in ((reference, f"{label}, {note}", "0.6", 1.2), (history, label, color, 1.8)):
                if run is not None:
                    ax.plot(range(1, len(run[key]) + 1), run[key], style, color=shade, lw=lw, label=text)
        ax.set(xlabel="epoch", **settings)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return axes[0]
