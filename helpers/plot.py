"""Image grids, training curves and the explorer pattern every lesson shares.

Nothing here switches matplotlib's backend: notebooks use the inline backend,
scripts whatever matplotlib picks (``make figures`` sets Agg).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
import itertools
import math
import os
import time
import traceback
import weakref
from typing import Any, Callable

import ipywidgets as widgets

import matplotlib.pyplot as plt
import torch
from IPython.core.pylabtools import print_figure

from helpers.runtime import check_int, tr, tr_fig

CURVE_STYLES = {  # colour, line style
    "train_loss": ("C0", "-"), "test_loss": ("C0", "--"), "train_acc": ("C1", "-"), "test_acc": ("C2", "--")}


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
    for ax in axes:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = torch.as_tensor(img).detach().cpu()
        img = (img[0] if img.dim() == 3 and img.shape[0] == 1 else img).numpy()
        ax.imshow(img, cmap="gray_r" if img.ndim == 2 else None)
        if titles is not None:  # y given: no search for tick labels above the axes (it has none), half the time
            ax.set_title(titles[i], fontsize=9, y=1.0)
    fig.tight_layout()
    return axes


def plot_history(history: dict, ax=None, title: str | None = None):
    """Plot the per-epoch curves of a training history on one axes; returns it."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    labels = {"train_loss": tr_fig("train loss"), "test_loss": tr_fig("test loss"), "train_acc": tr_fig("train acc"),
              "test_acc": tr_fig("test acc")}
    for key, (color, style) in CURVE_STYLES.items():
        if values := history.get(key):
            ax.plot(range(1, len(values) + 1), values, style, color=color, label=labels[key])
    return finish(ax, xlabel=tr_fig("epoch"), title=title or "")


def curve_label(key: str) -> str:
    """The legend label of an explorer run's curve (``train_loss``, ``val_acc``, ``weight_norm``, ...), translated."""
    return {"train_loss": tr_fig("train loss"), "val_loss": tr_fig("validation loss"), "train_acc": tr_fig(
        "train accuracy"), "val_acc": tr_fig("validation accuracy"), "weight_norm": tr_fig("weight norm")}[key]


def finish(ax, legend_loc: str = "best", **props):
    """``ax.set(**props)``, a light grid and a small legend at ``legend_loc``: how every lesson's axes end."""
    ax.set(**props)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc=legend_loc)
    return ax


# --------------------------------------------------------------------------- explorers
# An explorer renders its figures in the kernel, to PNG bytes shown in ipywidgets.Image widgets: no Output widget,
# no clear_output, no display_data during an update. nbclient (nbconvert --execute, papermill, jupyter-book) mimics
# an Output widget with a comm_msg per captured output, sent through a blocking shadow of its asyncio socket; after
# the cell's execute_reply, that send swallows ZeroMQ's edge-triggered wake-up and nbclient waits for ever
# (jupyter/nbclient#312). With no Output widget nbclient sends nothing, and cannot stall.

# With MLP_LESSONS_STATIC=1 (set by tools/build_site.py) an explorer displays, in place of its widgets, the PNGs that
# compute and draw make for every combination of its controls' stops: tools/build_site.py makes them a kernel-free page.
# With MLP_LESSONS_STATIC=both (make test's nbval kernels) it displays the widgets and the PNGs, for a frontend to
# pick: JupyterLab shows the live explorer, the site build (from nbval's outputs) the views.
STATIC_ENV, STATIC_MIME, MAX_VIEWS, MAX_SECONDS = "MLP_LESSONS_STATIC", "application/vnd.mlp-explorer+json", 120, 120.0
SLIDERS = (widgets.SelectionSlider, widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)


def _stops(c) -> tuple[list, list, int] | None:
    """``(labels, values, index of the current value)``; None for a control without a finite list (a range slider)."""
    if isinstance(c, widgets.widget_selection._Selection):  # Dropdown, SelectionSlider, ToggleButtons, ...
        return list(c._options_labels), list(c._options_values), c.index or 0
    if isinstance(c, (widgets.Checkbox, widgets.ToggleButton)):
        return ["off", "on"], [False, True], int(c.value)
    if not isinstance(c, SLIDERS[1:]):
        return None
    values = [c.min + i * c.step for i in range(round((c.max - c.min) / c.step) + 1)]
    values = [v if isinstance(v, int) else float(f"{c.base ** v if hasattr(c, 'base') else v:.12g}") for v in values]
    at = min(range(len(values)), key=lambda i: abs(values[i] - c.value))
    return [format(v, c.readout_format) for v in values], values, at


class Explorer(widgets.VBox):
    """Controls above the figures ``draw`` makes; ``.result`` is the last result of ``compute``."""

    def __init__(self, compute, draw, cache: bool, controls: dict):
        self.cache = functools.lru_cache(maxsize=64)(compute) if cache else None
        self._boxes = weakref.WeakKeyDictionary()  # figure -> None when first seen, then its tight box
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
        result, images = self._render({c._kwarg: c.get_interact_value() for c in self.kwargs_widgets})
        while len(self.plots.children) < len(images):
            self.plots.children += (widgets.Image(format="png"),)
        for image, png in zip(self.plots.children, images):
            image.value = png  # replaced whole, in one message: never two plots, never a stale one
        self.plots.children = self.plots.children[: len(images)]
        self.result, self.error.value = result, ""
        return result

    def _render(self, values: dict) -> tuple[Any, list[bytes]]:
        result, images = self._compute(**values), []
        if self._draw is not None:
            try:  # what plt.show() did, but into bytes: nothing is displayed
                self._draw(result, **values)
                for f in map(plt.figure, plt.get_fignums()):  # a figure that draw reuses is cut to a box measured
                    if f in self._boxes and self._boxes[f] is None:  # once, not again at every move (a second draw)
                        self._boxes[f] = f.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
                    images.append(print_figure(f, "png", bbox_inches=self._boxes.setdefault(f, None) or "tight"))
                images = [png for png in images if png]
            finally:
                plt.close("all")  # never left for the inline backend to show at the end of the cell
        return result, images

    def _repr_mimebundle_(self, **kwargs):  # the live widget; with STATIC_ENV=1 every view drawn in advance instead,
        mode = os.environ.get(STATIC_ENV, "")  # with STATIC_ENV=both (make test's nbval kernels) the two at once
        if mode not in ("", "1", "both"):
            raise ValueError(f"{STATIC_ENV}={mode!r}: use 1 (every view drawn in advance, as tools/build_site.py "
                             "sets), both (the live explorer and the views, as make test's nbval kernels get), or unset it")
        if mode == "1":
            return {"text/plain": "explorer (every view drawn in advance)", STATIC_MIME: self.static_views()}
        bundle = super()._repr_mimebundle_(**kwargs)
        return {**bundle, STATIC_MIME: self.static_views()} if mode == "both" else bundle

    def static_views(self) -> dict:
        """Each combination of stops, drawn: ``controls`` (name, labels, current stop, slider?), ``views`` (row-major,
        indices into ``pngs``: base64), ``still`` (why only the current view is there, or ""), ``held`` (left as is)."""
        shown = [(c, s) for c in self.kwargs_widgets if isinstance(c, widgets.DOMWidget) and (s := _stops(c))]
        total, views, pngs, start = math.prod(len(s[1]) for _, s in shown), [], {}, time.perf_counter()
        still = tr("its {total} settings are more than the {max} a page holds", total=total, max=MAX_VIEWS) if (
            total > MAX_VIEWS) else ""  # in the lesson's language, as the page around it
        now = {c._kwarg: c.get_interact_value() for c in self.kwargs_widgets}
        with contextlib.redirect_stdout(io.StringIO()):  # draw's prints go where a slider move's go: nowhere
            for combo in [] if still else itertools.product(*(s[1] for _, s in shown)):
                if time.perf_counter() - start > MAX_SECONDS:
                    still = tr("drawing its {total} settings takes more than {s:.0f} s", total=total, s=MAX_SECONDS)
                    break
                try:
                    images = self._render({**now, **{c._kwarg: v for (c, _), v in zip(shown, combo)}})[1]
                except Exception as err:  # the reason for a still image, never hidden
                    still = tr("the setting {combo} failed: {err!r}", combo=combo, err=err)
                    break
                views.append([pngs.setdefault(base64.b64encode(png).decode(), len(pngs)) for png in images])
            self.update()  # the controls' own view again (draw may reuse one figure)
        if still:
            shown, pngs = [], {}
            views = [[pngs.setdefault(base64.b64encode(i.value).decode(), len(pngs)) for i in self.plots.children]]
        held = [c.description for c in self.kwargs_widgets if isinstance(c, widgets.DOMWidget) and not _stops(c)]
        return {"controls": [{"name": c.description, "slider": isinstance(c, SLIDERS), "labels": s[0], "at": s[2]}
                             for c, s in shown], "views": views, "pngs": list(pngs), "still": still, "held": held}

    def _on_move(self, change) -> None:
        try:
            self.update()
        except Exception:  # a user's move: the error shows in the panel
            self.error.value = f"<pre style='color:#b00'>{html.escape(traceback.format_exc())}</pre>"


def explorer(compute: Callable[..., Any], draw: Callable[..., None] | None = None,
             cache: bool = True, **controls) -> Explorer:
    """Controls over ``compute(**values)`` (memoised on the values), then ``draw(result, **values)``.

    ``controls`` are ipywidgets (sliders, drop-downs), ``widgets.fixed`` values or ``interact``'s abbreviations; a
    slider fires once, on release. ``draw`` draws with pyplot; its figures show as PNG images in the panel.
    ``panel.result`` holds the last result, ``panel.cache`` the memoised compute (None with ``cache=False``).
    """
    return Explorer(compute, draw, cache, controls)


def set_controls(panel: Explorer, **values) -> Any:
    """Set controls by name, as a user would, and return the panel's new ``.result``; an error in compute or draw
    is raised here (a slider move only shows it in the panel), an unknown name is a ValueError listing the controls."""
    by_name = {c._kwarg: c for c in panel.kwargs_widgets}
    if unknown := [name for name in values if name not in by_name]:
        raise ValueError(f"control {unknown[0]!r} does not exist; this explorer has {sorted(by_name)}")
    for name, value in values.items():
        by_name[name].value = value
    return panel.update() if panel.error.value else panel.result
