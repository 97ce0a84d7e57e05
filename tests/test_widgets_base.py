"""helpers.widgets.base: compute once per setting, draw each time, report the result."""

import ipywidgets as widgets
import pytest

from helpers.widgets.base import ResultCache, explorer, set_controls


def test_explorer_computes_once_per_setting_and_exposes_result():
    calls, drawn = [], []

    def compute(n=1, mode="a"):
        calls.append((n, mode))
        return {"value": n * 10, "mode": mode}

    panel = explorer(compute, lambda result, **values: drawn.append(values),
                     n=widgets.IntSlider(1, 0, 5), mode=widgets.Dropdown(options=["a", "b"]))
    assert panel.result == {"value": 10, "mode": "a"}
    assert set_controls(panel, n=3)["value"] == 30
    assert set_controls(panel, mode="b") == {"value": 30, "mode": "b"}
    assert set_controls(panel, n=1, mode="a")["value"] == 10
    assert calls == [(1, "a"), (3, "a"), (3, "b"), (1, "b"), (1, "a")][: len(calls)]
    assert (1, "a") in calls and calls.count((1, "a")) == 1  # the return trip came from the cache
    assert len(drawn) >= 4  # but every update redraws


def test_sliders_fire_on_release():
    slider = widgets.FloatSlider(value=0.5, min=0, max=1)
    explorer(lambda x: x, x=slider)
    assert slider.continuous_update is False


def test_set_controls_refuses_unknown_names():
    panel = explorer(lambda x=1: x, x=widgets.IntSlider(1, 0, 3))
    with pytest.raises(ValueError, match="control 'y' does not exist"):
        set_controls(panel, y=2)


def test_cache_evicts_least_recent():
    cache = ResultCache(lambda k: k * 2, maxsize=2)
    cache(k=1), cache(k=2), cache(k=1), cache(k=3)
    assert cache.misses == 3
    cache(k=1)
    assert cache.misses == 3  # still cached
    cache(k=2)
    assert cache.misses == 4  # 2 was evicted
