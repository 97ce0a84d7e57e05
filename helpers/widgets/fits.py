"""Explorers that refit a small model when a knob moves (lessons 01 and 02).

- ``fit_explorer``: hidden units (0 = the linear model) and the activation,
  refitting the U-shaped temperature → mortality data or the XOR set.
- ``wiggle_explorer``: hidden units of a one-hidden-layer ReLU net fitted to
  a wiggly 1-D curve, with the places where the fit bends marked.

Each fit is a few hundred full-batch Adam steps on a few hundred points
(``helpers.fitting``), and the explorer caches every setting it has computed.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt

from helpers import activations, fitting, synthetic
from helpers.fit_plots import plot_curve_fits, plot_decision_regions
from helpers.widgets.base import explorer

FIT_DATASETS = {"u_shape": "U-shape: body temperature → mortality", "xor": "XOR: 2-D classes"}
FIT_ACTIVATIONS = ("relu", "sigmoid", "tanh")


@lru_cache(maxsize=4)
def _data(dataset: str):
    if dataset == "u_shape":
        return synthetic.temperature_mortality(n=200, seed=0)
    return synthetic.xor_blobs(n=400, seed=0)


def _check_choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not known; use one of {', '.join(map(str, allowed))}")
    return value


def _check_max(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name}={value!r} must be an integer ≥ {least}")
    return value


def compute_fit(dataset: str = "u_shape", hidden: int = 8, activation: str = "relu", seed: int = 0) -> dict:
    """Fit ``hidden`` units of ``activation`` (0 = linear model) to ``dataset``; return what was fitted.

    ``dataset``: "u_shape" (regression, scored by R²) or "xor" (classification,
    scored by accuracy). Returns a dict: ``fit`` (a ``helpers.fitting.Fit``),
    ``score``, ``score_name``, ``X``, ``y`` and the settings.
    """
    _check_choice("dataset", dataset, FIT_DATASETS)
    fitting.check_hidden(hidden)
    activations.get(activation)
    X, y = _data(dataset)
    if dataset == "u_shape":
        fit = fitting.fit_regression(X, y, hidden, activation, seed=seed)
        score, score_name = fitting.r_squared(fitting.predict(fit.net, X), y), "R²"
    else:
        fit = fitting.fit_classifier(X, y, hidden, activation, seed=seed)
        score, score_name = fitting.class_accuracy(fit.net, X, y), "accuracy"
    return {"dataset": dataset, "hidden": hidden, "activation": activation, "fit": fit,
            "score": score, "score_name": score_name, "X": X, "y": y}


def _model_name(hidden: int, activation: str) -> str:
    if hidden == 0:
        return "linear model (no hidden layer)"
    return f"{hidden} hidden {activations.get(activation).label} unit{'s' if hidden != 1 else ''}"


def draw_fit(result: dict, **_):
    """Draw a ``compute_fit`` result: the fitted curve, or the decision regions."""
    name = _model_name(result["hidden"], result["activation"])
    title = f"{name}: {result['score_name']} = {result['score']:.3f}"
    if result["dataset"] == "u_shape":
        _, ax = plt.subplots(figsize=(5.6, 3.6))
        plot_curve_fits(result["X"], result["y"], {name: result["fit"].net}, ax=ax,
                        truth=synthetic.mortality_rate, xlabel="body temperature (°C)",
                        ylabel="30-day mortality", title=title)
        ax.set_ylim(-0.1, 0.85)
    else:
        _, ax = plt.subplots(figsize=(4.6, 4.2))
        plot_decision_regions(result["fit"].net, result["X"], result["y"], ax=ax, title=title)


def fit_explorer(dataset: str = "u_shape", hidden: int = 0, activation: str = "relu",
                 max_hidden: int = 64) -> widgets.interactive:
    """Hidden units (0 = linear) and activation → refit and redraw the U-shape or the XOR set.

    ``.result`` is ``compute_fit``'s dict for the current setting.
    """
    _check_choice("dataset", dataset, FIT_DATASETS)
    _check_max("max_hidden", max_hidden, 1)
    fitting.check_hidden(hidden)
    if hidden > max_hidden:
        raise ValueError(f"hidden={hidden!r} is above max_hidden={max_hidden}")
    _check_choice("activation", activation, FIT_ACTIVATIONS)
    return explorer(
        compute_fit, draw_fit,
        dataset=widgets.Dropdown(options=[(label, key) for key, label in FIT_DATASETS.items()],
                                 value=dataset, description="data"),
        hidden=widgets.IntSlider(value=hidden, min=0, max=max_hidden, description="hidden units"),
        activation=widgets.Dropdown(options=list(FIT_ACTIVATIONS), value=activation, description="φ"),
    )


# --------------------------------------------------------------------------- lesson 02: hidden units vs wiggliness


@lru_cache(maxsize=1)
def _wiggly():
    return synthetic.wiggly_curve(n=120, seed=0)


def compute_wiggle(hidden: int = 4, seed: int = 0) -> dict:
    """Fit ``hidden`` ReLU units to ``synthetic.wiggly_curve`` (L-BFGS, ≤ 200 iterations); return fit, R² and bends.

    Returns a dict: ``fit``, ``r2``, ``kinks`` (the x in [-3, 3] where the
    fitted line bends: one per hidden unit at most), ``x``, ``y``, ``hidden``.
    """
    fitting.check_hidden(hidden)
    x, y = _wiggly()
    fit = fitting.fit_regression(x, y, hidden, "relu", seed=seed, steps=200, method="lbfgs")
    kinks = fitting.relu_kinks(fit.net, -3.0, 3.0) if hidden > 0 else x.new_zeros(0)
    return {"hidden": hidden, "fit": fit, "r2": fitting.r_squared(fitting.predict(fit.net, x), y),
            "kinks": kinks, "x": x, "y": y}


def draw_wiggle(result: dict, ax=None, **_):
    """Draw a ``compute_wiggle`` result: data, true curve, the fit and its bends (ticks on the x-axis)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 3.6))
    h = result["hidden"]
    label = "linear fit" if h == 0 else f"{h} ReLU unit{'s' if h != 1 else ''}"
    plot_curve_fits(result["x"], result["y"], {label: result["fit"].net}, ax=ax, truth=synthetic.wiggly_function,
                    title=f"{label}: {len(result['kinks'])} bends, R² = {result['r2']:.3f}")
    ax.set_ylim(-2.2, 2.2)
    for k in result["kinks"]:
        ax.axvline(float(k), ymin=0, ymax=0.05, color="C3", lw=1.5)
    return ax


def wiggle_explorer(hidden: int = 2, max_hidden: int = 64) -> widgets.interactive:
    """A slider for the number of hidden ReLU units fitted to a wiggly curve; ``.result`` is ``compute_wiggle``'s."""
    _check_max("max_hidden", max_hidden, 1)
    fitting.check_hidden(hidden)
    if hidden > max_hidden:
        raise ValueError(f"hidden={hidden!r} is above max_hidden={max_hidden}")
    return explorer(compute_wiggle, draw_wiggle,
                    hidden=widgets.IntSlider(value=hidden, min=0, max=max_hidden, description="hidden units"))
