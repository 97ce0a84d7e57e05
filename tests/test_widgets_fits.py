"""helpers.widgets.fits: the hidden-units explorer (lesson 01) and the wiggliness explorer (lesson 02)."""

import matplotlib
import pytest

from helpers.widgets import fit_explorer, wiggle_explorer
from helpers.widgets.base import set_controls
from helpers.widgets.fits import compute_fit, compute_wiggle

matplotlib.use("Agg")


def test_fit_explorer_linear_fails_hidden_units_fit():
    panel = fit_explorer(dataset="xor", hidden=0)
    assert panel.result["score_name"] == "accuracy" and panel.result["score"] < 0.65
    assert set_controls(panel, hidden=8)["score"] > 0.95
    u = set_controls(panel, dataset="u_shape")
    assert u["score_name"] == "R²" and u["score"] > 0.85 and u["hidden"] == 8
    assert set_controls(panel, hidden=0)["score"] < 0.4
    assert set_controls(panel, activation="tanh", hidden=4)["activation"] == "tanh"


def test_fit_explorer_caches_settings():
    panel = fit_explorer(dataset="u_shape", hidden=2)
    first = panel.result
    set_controls(panel, hidden=3)
    assert set_controls(panel, hidden=2) is first
    assert panel.cache.misses == 2


@pytest.mark.parametrize("kwargs, name", [
    ({"hidden": -1}, "hidden"), ({"hidden": 100, "max_hidden": 64}, "hidden"),
    ({"activation": "gelu"}, "activation"), ({"activation": "Relu"}, "activation"),
    ({"dataset": "moons"}, "dataset"), ({"max_hidden": 0}, "max_hidden"),
])
def test_fit_explorer_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        fit_explorer(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"hidden": -3}, "hidden"), ({"activation": "step"}, "activation"),
                                          ({"dataset": ""}, "dataset")])
def test_compute_fit_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        compute_fit(**kwargs)


def test_wiggle_explorer_bends_at_most_once_per_unit():
    panel = wiggle_explorer(hidden=0)
    assert len(panel.result["kinks"]) == 0
    for h in (2, 16):
        result = set_controls(panel, hidden=h)
        assert len(result["kinks"]) <= h
    assert result["r2"] > 0.9
    assert set_controls(panel, hidden=1)["r2"] < 0.5


def test_wiggle_explorer_refuses_impossible_settings():
    with pytest.raises(ValueError, match="hidden"):
        wiggle_explorer(hidden=-1)
    with pytest.raises(ValueError, match="hidden"):
        compute_wiggle(hidden=1.5)
    with pytest.raises(ValueError, match="max_hidden"):
        wiggle_explorer(max_hidden=-4)
