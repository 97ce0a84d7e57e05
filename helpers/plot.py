"""Image grids, training curves and the explorer pattern every lesson shares.

Nothing here switches matplotlib's backend: notebooks use the inline backend,
scripts whatever matplotlib picks (``make figures`` sets Agg).
"""

from __future__ import annotations

import functools
import html
import traceback
from typing import Any, Callable

import ipywidgets as widgets

import matplotlib.pyplot as plt
import torch
from IPython.core.pylabtools import print_figure

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
# An explorer renders its figures in the kernel, to PNG bytes shown in ipywidgets.Image
# widgets: no Output widget, no clear_output, no display_data during an update. nbclient
# (nbconvert --execute, papermill, jupyter-book) mimics an Output widget by sending a
# comm_msg on the shell channel for each captured output, through a blocking shadow of its
# asyncio socket; when the cell's execute_reply has already arrived, that send swallows
# ZeroMQ's edge-triggered wake-up and nbclient waits for ever (jupyter/nbclient#312).
# With no Output widget nbclient sends nothing, and cannot stall.


class Explorer(widgets.VBox):
    """Controls above the figures ``draw`` makes; ``.result`` is the last result of ``compute``."""

    def __init__(self, compute, draw, cache: bool, controls: dict):
        self.cache = functools.lru_cache(maxsize=64)(compute) if cache else None
        self._compute, self._draw, self.result = self.cache or compute, draw, None
        self.kwargs_widgets = []
        for name, abbrev in controls.items():  # widgets, widgets.fixed(...) or interact's abbreviations
            control = widgets.interactive.widget_from_abbrev(abbrev)
            if control is None:
                raise ValueError(f"{abbrev!r} cannot be made into a control for {name!r}")
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # fires once, on release
            if isinstance(control, widgets.DOMWidget) and not getattr(control, "description", ""):
                control.description = name
            control._kwarg = name
            self.kwargs_widgets.append(control)
        self.plots, self.error = widgets.VBox(), widgets.HTML()  # one Image per figure; a failed move's traceback
        shown = [c for c in self.kwargs_widgets if isinstance(c, widgets.DOMWidget)]
        super().__init__(children=[*shown, self.plots, self.error])
        self.add_class("widget-interact")  # the classes of ipywidgets.interactive and of its Output,
        self.plots.add_class("widget-output")  # which the browser tests look for
        self.update()  # the first view; an error here fails the cell
        for control in self.kwargs_widgets:
            control.observe(self._on_move, names="value")

    def update(self) -> Any:
        """Compute (memoised) and draw for the controls' current values; return the result."""
        values = {c._kwarg: c.get_interact_value() for c in self.kwargs_widgets}
        result, images = self._compute(**values), []
        if self._draw is not None:
            try:  # what plt.show() did, but into bytes: nothing is displayed
                self._draw(result, **values)
                figures = [plt.figure(n) for n in plt.get_fignums()]
                images = [png for png in (print_figure(f, "png", bbox_inches="tight") for f in figures) if png]
            finally:
                plt.close("all")  # never left for the inline backend to show at the end of the cell
        while len(self.plots.children) < len(images):
            self.plots.children += (widgets.Image(format="png"),)
        for image, png in zip(self.plots.children, images):
            image.value = png  # replaced whole, in one message: never two plots, never a stale one
        self.plots.children = self.plots.children[: len(images)]
        self.result, self.error.value = result, ""
        return result

    def _on_move(self, change) -> None:
        try:
            self.update()
        except Exception:  # a user's move: the error shows in the panel
            self.error.value = f"<pre style='color:#b00'>{html.escape(traceback.format_exc())}</pre>"


def explorer(compute: Callable[..., Any], draw: Callable[..., None] | None = None,
             cache: bool = True, **controls) -> Explorer:
    """Controls over ``compute(**values)`` (memoised on the values), then ``draw(result, **values)``.

    ``controls`` are ipywidgets (sliders, drop-downs), ``widgets.fixed`` values or
    ``interact``'s abbreviations; a slider fires once, on release. ``draw`` draws with
    pyplot; its figures show as PNG images in the panel. ``panel.result`` holds the last
    result, ``panel.cache`` the memoised compute (None with ``cache=False``).
    """
    return Explorer(compute, draw, cache, controls)


def set_controls(panel: Explorer, **values) -> Any:
    """Set controls by name, as a user would, and return the panel's new ``.result``.

    Unknown names are refused with a ValueError listing the controls; an error in compute
    or draw is raised here (a slider move only shows it in the panel).
    """
    by_name = {c._kwarg: c for c in panel.kwargs_widgets}
    for name in values:
        if name not in by_name:
            raise ValueError(f"control {name!r} does not exist; this explorer has {sorted(by_name)}")
    for name, value in values.items():
        by_name[name].value = value
    return panel.update() if panel.error.value else panel.result
