"""The one pattern every explorer shares: compute (cached), then draw.

``explorer(compute, draw, **controls)`` returns an ``ipywidgets.interactive``
whose controls are ``controls``. On each update it calls
``compute(**values)`` (memoised on the values, so returning to a setting is
instant), then ``draw(result, **values)`` into the explorer's own output area,
and leaves the result in ``.result``. Sliders fire on release
(``continuous_update=False``), and every update clears the output first, so a
move while the kernel is busy queues behind the running one and never leaves
two plots or a stale one.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt


class ResultCache:
    """A small least-recently-used cache keyed by keyword values."""

    def __init__(self, compute: Callable[..., Any], maxsize: int = 64):
        self.compute = compute
        self.maxsize = maxsize
        self.store: OrderedDict = OrderedDict()
        self.misses = 0

    def __call__(self, **values):
        key = tuple(sorted(values.items()))
        if key in self.store:
            self.store.move_to_end(key)
            return self.store[key]
        self.misses += 1
        result = self.compute(**values)
        self.store[key] = result
        if len(self.store) > self.maxsize:
            self.store.popitem(last=False)
        return result


def explorer(compute: Callable[..., Any], draw: Callable[..., None] | None = None,
             cache: bool = True, **controls) -> widgets.interactive:
    """An ``interactive`` over ``controls`` that computes (cached) and then draws.

    ``controls`` are ipywidgets (sliders, drop-downs); a slider's
    ``continuous_update`` is switched off so it fires once, on release.
    """
    for control in controls.values():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
    cached = ResultCache(compute) if cache else compute

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
    """Set controls by keyword, as a user would, and return the panel's new ``.result``.

    Used by tests and benchmarks: assigning a control's value fires the same
    update a drag does. Unknown names are refused with a ValueError.
    """
    by_name = {getattr(c, "_kwarg", None): c for c in panel.kwargs_widgets}
    for name, value in values.items():
        if name not in by_name:
            raise ValueError(f"control {name!r} does not exist; this explorer has {sorted(k for k in by_name if k)}")
        by_name[name].value = value
    return panel.result
