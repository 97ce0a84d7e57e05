"""Image grids, training curves and the explorer pattern every lesson shares.

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
