"""The activation explorer (lesson 03): pick φ and an input range; see φ, φ′ and how a gradient survives depth."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from helpers import activations
from helpers.widgets.base import explorer

SATURATED = 0.01  # |φ′(x)| below this counts as "saturated": almost no gradient passes


def compute_activation(activation: str = "sigmoid", x_range=(-6.0, 6.0), points: int = 401,
                       depth: int = 10) -> dict:
    """φ and φ′ of ``activation`` over ``x_range``, and the gradient norms through a ``depth``-layer MLP.

    Returns a dict: ``x``, ``f``, ``df`` (closed form), ``df_autograd`` (each
    (points,) float64), ``max_abs_diff`` between the two derivatives,
    ``max_derivative`` (the largest φ′ in the range), ``saturated_fraction``
    (the share of the range where |φ′| < 0.01), and ``gradient_norms`` (the
    per-layer norms of ``activations.gradient_norms``, input side first).
    """
    act = activations.get(activation)
    lo, hi = activations.check_range("x_range", x_range)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points={points!r} must be an integer ≥ 2")
    x = torch.linspace(lo, hi, points, dtype=torch.float64)
    df = act.df(x)
    df_autograd = activations.autograd_derivative(act.f, x)
    return {
        "activation": activation, "x_range": (lo, hi), "x": x, "f": act.f(x), "df": df,
        "df_autograd": df_autograd, "max_abs_diff": float((df - df_autograd).abs().max()),
        "max_derivative": float(df.max()), "saturated_fraction": float((df.abs() < SATURATED).double().mean()),
        "gradient_norms": activations.gradient_norms(activation, depth=depth),
    }


def _explore(activation: str, x_range) -> dict:
    """``compute_activation`` for the explorer: an empty range (both handles together) gives a message, not an error."""
    if not x_range[0] < x_range[1]:
        return {"activation": activation, "x_range": tuple(x_range),
                "message": f"x range {tuple(x_range)} is empty: drag the two handles apart."}
    return compute_activation(activation, x_range)


def draw_activation(result: dict, **_):
    """Two panels: φ and φ′ over the chosen range, and ‖∂L/∂W⁽ˡ⁾‖ per layer (log scale)."""
    if "message" in result:
        print(result["message"])
        return
    act = activations.get(result["activation"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    x, f, df = (result[key].numpy() for key in ("x", "f", "df"))
    left.plot(x, f, color="C0", lw=2, label=f"φ(x) = {act.formula}")
    left.plot(x, df, "--", color="C3", lw=2, label=f"φ′(x) = {act.derivative_formula}")
    left.fill_between(x, 0, 1, where=(abs(df) < SATURATED), color="0.85",
                      transform=left.get_xaxis_transform(), label="|φ′| < 0.01 (saturated)")
    left.axhline(0, color="0.6", lw=0.6)
    left.set_xlabel("x")
    left.set_title(f"{act.label}: max φ′ here = {result['max_derivative']:.3g}", fontsize=10)
    left.grid(alpha=0.3)
    left.legend(fontsize=7, loc="upper left")
    norms = {name: activations.gradient_norms(name, depth=len(result["gradient_norms"]) - 1)
             for name in ("sigmoid", "relu")}
    norms[result["activation"]] = result["gradient_norms"]
    activations.plot_gradient_norms(norms, ax=right, highlight=result["activation"])
    ratio = result["gradient_norms"][0] / result["gradient_norms"][-1]
    right.set_title(f"gradient through depth at init: layer 1 / output = {ratio:.1e}", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.25)  # fixed: tight_layout costs ~1 s


def activation_explorer(activation: str = "sigmoid", x_range=(-6.0, 6.0), limit: float = 10.0
                        ) -> widgets.interactive:
    """A drop-down of activations and a range slider over [-limit, limit]; ``.result`` is ``compute_activation``'s."""
    activations.get(activation)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit < float("inf"):
        raise ValueError(f"limit={limit!r} must be a positive finite number")
    lo, hi = activations.check_range("x_range", x_range)
    if lo < -limit or hi > limit:
        raise ValueError(f"x_range={x_range!r} must lie inside [-limit, limit] = [{-limit}, {limit}]")
    return explorer(
        _explore, draw_activation,
        activation=widgets.Dropdown(options=[(a.label, name) for name, a in activations.ACTIVATIONS.items()],
                                    value=activation, description="φ"),
        x_range=widgets.FloatRangeSlider(value=(lo, hi), min=-limit, max=limit, step=0.5, description="x range"),
    )
