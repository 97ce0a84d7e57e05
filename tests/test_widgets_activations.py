"""helpers.widgets.activations: φ, φ′ and the gradient through depth for a chosen activation and range."""

import matplotlib
import pytest

from helpers.widgets import activation_explorer
from helpers.widgets.activations import compute_activation
from helpers.widgets.base import set_controls

matplotlib.use("Agg")


def test_activation_explorer_reports_derivatives_and_depth():
    panel = activation_explorer("sigmoid", (-6.0, 6.0))
    r = panel.result
    assert r["max_abs_diff"] < 1e-6
    assert r["max_derivative"] == pytest.approx(0.25)
    assert r["gradient_norms"][0] / r["gradient_norms"][-1] < 1e-3
    relu = set_controls(panel, activation="relu")
    assert relu["max_derivative"] == 1.0 and relu["gradient_norms"][0] / relu["gradient_norms"][-1] > 0.1
    assert relu["saturated_fraction"] == pytest.approx(0.5, abs=0.01)  # ReLU′ = 0 on the negative half


def test_a_wider_range_saturates_sigmoid_more():
    narrow = compute_activation("sigmoid", (-2, 2))
    wide = compute_activation("sigmoid", (-10, 10))
    assert narrow["saturated_fraction"] == 0 and wide["saturated_fraction"] > 0.4


def test_explorer_says_an_empty_range_is_empty_without_crashing():
    panel = activation_explorer()
    result = set_controls(panel, x_range=(2.0, 2.0))
    assert "empty" in result["message"]


@pytest.mark.parametrize("kwargs, name", [
    ({"activation": "swish"}, "activation"), ({"x_range": (3, 3)}, "x_range"), ({"x_range": (3, -3)}, "x_range"),
    ({"points": 1}, "points"),
])
def test_compute_activation_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        compute_activation(**({"activation": "relu"} | kwargs))


@pytest.mark.parametrize("kwargs, name", [
    ({"activation": "hardtanh"}, "activation"), ({"x_range": (1, 0)}, "x_range"),
    ({"x_range": (-20, 0)}, "x_range"), ({"limit": 0}, "limit"),
])
def test_activation_explorer_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        activation_explorer(**kwargs)
