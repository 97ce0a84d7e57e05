"""Used in lesson 03 (notebooks/03_activations.ipynb): activation functions and the gradient through depth.

- "The improved ReLU family": ``improved_activations_figure``; ``DERIVATIVES``, the closed-form φ′ of the
  seven ``train.ACTIVATIONS`` (at a kink, the value autograd takes), checked with ``autograd_derivative``.
- "Why ReLU usually wins": ``gradient_norms`` (the experiment the notebook shows, saved for the explorer
  and exercise 3) and ``plot_gradient_norms``.  "Explore": ``activation_explorer``.  Exercises: the checks.
"""

import math
from collections import namedtuple
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.nn import functional as F

from helpers import plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, verdict

SATURATED = 0.01  # |φ′(x)| below this counts as "saturated": almost no gradient passes
IMPROVED = ("leaky_relu", "elu", "gelu", "silu")  # the "improved ReLU family" of the figure
Derivative = namedtuple("Derivative", "label formula derivative_formula df")  # df: the closed-form φ′

# In the lesson's order. nn.LeakyReLU's default slope is 0.01, nn.ELU's alpha 1; Φ is the standard normal CDF.
DERIVATIVES: dict[str, Derivative] = {
    "sigmoid": Derivative("sigmoid", "1 / (1 + exp(−x))", "σ(x)·(1 − σ(x))",
                          lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": Derivative("tanh", "(1 − exp(−2x)) / (1 + exp(−2x))", "1 − tanh²(x)",
                       lambda x: 1 - torch.tanh(x) ** 2),
    "relu": Derivative("ReLU", "max(x, 0)", "1 if x > 0 else 0", lambda x: (x > 0).to(x.dtype)),
    "leaky_relu": Derivative("LeakyReLU", "x if x > 0 else 0.01·x", "1 if x > 0 else 0.01",
                             lambda x: torch.where(x > 0, 1.0, 0.01 * torch.ones_like(x))),
    "elu": Derivative("ELU", "x if x > 0 else exp(x) − 1", "1 if x > 0 else exp(x)",
                      lambda x: torch.where(x > 0, 1.0, torch.exp(x))),
    "gelu": Derivative("GELU", "x·Φ(x)", "Φ(x) + x·Φ′(x)", lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2)))
                       + x * (torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))),
    "silu": Derivative("SiLU", "x·σ(x)", "σ(x)·(1 + x·(1 − σ(x)))",
                       lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
}


def autograd_derivative(f, x: torch.Tensor) -> torch.Tensor:
    """φ′(x) by autograd, ``x`` (n,) → (n,): φ acts elementwise, so ∂/∂x_i Σ φ(x) = φ′(x_i)."""
    x = x.detach().clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad.detach()


def _draw_phi(ax, name: str, x, f, df, formulas: bool = False):
    """φ (solid), φ′ (dashed) and φ′'s largest value (dotted) against x on ``ax``."""
    d = DERIVATIVES[name]
    ax.plot(x, f, color="C0", lw=2, label=f"φ(x) = {d.formula}" if formulas else f"{d.label}(x)")
    ax.plot(x, df, "--", color="C3", lw=2, label=f"φ′(x) = {d.derivative_formula}" if formulas else f"{d.label}′(x)")
    ax.axhline(float(df.max()), ls=":", color="C3", lw=1, label=f"max φ′ here = {float(df.max()):.4g}")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set(xlabel="x", title=d.label)
    ax.grid(alpha=0.3)


def improved_activations_figure():
    """φ (solid) and φ′ (dashed) of LeakyReLU, ELU, GELU and SiLU on [−4, 4]."""
    x = torch.linspace(-4, 4, 601)
    fig, axes = plt.subplots(1, len(IMPROVED), figsize=(3.6 * len(IMPROVED), 3.2))
    for ax, name in zip(axes, IMPROVED):
        _draw_phi(ax, name, x, train.ACTIVATIONS[name]()(x), DERIVATIVES[name].df(x))
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


@lru_cache(maxsize=64)
def gradient_norms(activation: str, depth: int = 10, width: int = 128, batch_size: int = 256, seed: int = 0):
    """‖∂L/∂W⁽ˡ⁾‖ for l = 1 … depth + 1 (layer 1 first) of ``depth`` hidden φ-layers of ``width`` units.

    He init, weights N(0, 2/fan_in) drawn from ``seed`` (the same for every φ), biases 0; L: cross-entropy of
    ``batch_size`` standard-normal inputs with random labels (seed + 1). Cached: a repeat is free.
    """
    net = train.mlp((check_int("width", width),) * check_int("depth", depth), num_inputs=width,
                    activation=activation, init_std=None, flatten=False)
    g = torch.Generator().manual_seed(seed)
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu", generator=g)
            nn.init.zeros_(m.bias)
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(check_int("batch_size", batch_size), width, generator=g)
    y = torch.randint(0, 10, (batch_size,), generator=g)
    F.cross_entropy(net(X), y).backward()
    return tuple(float(m.weight.grad.norm()) for m in net if isinstance(m, nn.Linear))


def plot_gradient_norms(norms: dict, ax=None, highlight: str | None = None):
    """Per-layer gradient norms, log scale: ``norms`` maps name → norms, layer 1 first; ``highlight`` is bold."""
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 3.4))[1]
    for name, values in norms.items():
        faint = highlight is not None and name != highlight
        ax.semilogy(range(1, len(values) + 1), values, "o-", ms=3, lw=1 if faint else 2, alpha=0.3 if faint else 1,
                    color=f"C{list(DERIVATIVES).index(name)}", label=DERIVATIVES[name].label)
    ax.set_xticks(range(1, max(map(len, norms.values()), default=0) + 1))
    ax.set(xlabel="layer l (1 = input side, last = output layer)", ylabel="‖∂L/∂W⁽ˡ⁾‖ (log scale)")
    ax.minorticks_off()  # a log axis draws dozens of minor ticks: slow to lay out, no help to read
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def compute_activation(activation: str = "sigmoid", x_range=(-6.0, 6.0), points: int = 401, depth: int = 10) -> dict:
    """``x``, ``f``, ``df`` (closed form), ``df_autograd`` on ``x_range`` ((points,) float64), their ``max_abs_diff``,
    autograd's ``max_derivative``, the ``saturated_fraction`` (|φ′| < 0.01), ``gradient_norms(activation, depth)``;
    or only a ``message`` for an empty range (both handles together)."""
    lo, hi = x_range
    if not lo < hi:
        return {"activation": activation, "message": f"x range {(lo, hi)} is empty: drag the two handles apart."}
    x = torch.linspace(lo, hi, points, dtype=torch.float64)
    f, df = train.ACTIVATIONS[activation]()(x), DERIVATIVES[activation].df(x)
    df_autograd = autograd_derivative(train.ACTIVATIONS[activation](), x)
    return {"activation": activation, "x_range": (lo, hi), "x": x, "f": f, "df": df, "df_autograd": df_autograd,
            "max_abs_diff": float((df - df_autograd).abs().max()), "max_derivative": float(df_autograd.max()),
            "saturated_fraction": float((df_autograd.abs() < SATURATED).double().mean()),
            "gradient_norms": gradient_norms(activation, depth)}


def draw_activation(result: dict, **_):
    """Two panels: φ and φ′ over the range (grey where saturated), and ‖∂L/∂W⁽ˡ⁾‖ per layer."""
    if "message" in result:
        print(result["message"])
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    x, df = result["x"], result["df"]
    _draw_phi(left, result["activation"], x, result["f"], df, formulas=True)
    left.fill_between(x, 0, 1, where=(df.abs() < SATURATED), color="0.85", transform=left.get_xaxis_transform(),
                      label="|φ′| < 0.01 (saturated)")
    left.legend(fontsize=7, loc="upper left")
    depth = len(result["gradient_norms"]) - 1
    norms = {name: gradient_norms(name, depth) for name in ("sigmoid", "relu", result["activation"])}
    plot_gradient_norms(norms, ax=right, highlight=result["activation"])
    ratio = result["gradient_norms"][0] / result["gradient_norms"][-1]
    right.set_title(f"gradient through depth at init: layer 1 / output = {ratio:.1e}", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.25)  # fixed: tight_layout costs ~1 s


def activation_explorer(activation: str = "sigmoid", x_range=(-6.0, 6.0), limit: float = 10.0):
    """A drop-down of activations and a range slider on [−limit, limit]; ``.result`` is ``compute_activation``'s."""
    check_choice("activation", activation, tuple(DERIVATIVES))
    limit = check_number("limit", limit, above=0)
    pair = x_range if isinstance(x_range, (tuple, list)) and len(x_range) == 2 else (None, None)
    lo, hi = (check_number("x_range", v, -limit, limit) for v in pair)
    if not lo < hi:
        raise ValueError(f"x_range={x_range!r} is empty: low must be below high")
    return plot.explorer(
        compute_activation, draw_activation,
        activation=widgets.Dropdown(options=[(d.label, name) for name, d in DERIVATIVES.items()],
                                    value=activation, description="φ"),
        x_range=widgets.FloatRangeSlider(value=(lo, hi), min=-limit, max=limit, step=0.5, description="x range"),
    )


# --- exercise checks

GRID = torch.linspace(-8, 8, 1601)  # float32, where the student's function is evaluated


def _check_elementwise(fn, want: torch.Tensor, name: str, hint: str) -> bool:
    """``fn(GRID)`` against ``want`` (max abs diff < 1e-6), with a hint at the worst point."""
    got, error = run_student_code(fn, GRID.clone())
    if error or not torch.is_tensor(got) or got.shape != GRID.shape:
        what = tuple(got.shape) if torch.is_tensor(got) else "None" if got is None else type(got).__name__
        return verdict(False, "", error or f"{getattr(fn, '__name__', 'your function')} returned {what}; "
                                           "return a tensor of the same shape as x, computed elementwise")
    diff = (got.detach().to(want.dtype) - want).abs()
    i = int(diff.argmax())
    return verdict(float(diff.max()) < 1e-6, f"your {name} matches autograd on 1601 points in [-8, 8] "
                   f"(max abs diff {float(diff.max()):.1e}).", f"at x = {float(GRID[i]):.2f} you return "
                   f"{float(got[i]):.6f} but autograd says {float(want[i]):.6f}. {hint}")


def check_sigmoid_derivative(sigmoid_derivative) -> bool:
    """``sigmoid_derivative(x)`` must equal σ′(x) = σ(x)(1 − σ(x))."""
    return _check_elementwise(sigmoid_derivative, autograd_derivative(torch.sigmoid, GRID), "sigmoid′",
                              "Differentiate 1 / (1 + exp(−x)) and write it with σ(x) itself: σ′ = σ · (1 − σ).")


def check_silu_derivative(silu_derivative) -> bool:
    """``silu_derivative(x)`` must equal d/dx [x·σ(x)] = σ(x) + x·σ(x)(1 − σ(x))."""
    return _check_elementwise(silu_derivative, autograd_derivative(F.silu, GRID), "SiLU′", "SiLU is a product, "
                              "x times σ(x): use the product rule, (x·σ)′ = 1·σ + x·σ′, with σ′ = σ(1 − σ).")


def check_vanishing_depth(depth) -> bool:
    """The fewest sigmoid layers L with (1/4)^L < 1e-6 (the derivatives' largest possible product): 10."""
    if isinstance(depth, bool) or not isinstance(depth, int):
        return verdict(False, "", f"answer with a whole number of layers, got {depth!r}")
    low, high = 0.25 ** depth >= 1e-6, 0.25 ** (depth - 1) < 1e-6
    return verdict(not (low or high), f"(1/4)^{depth} = {0.25 ** depth:.1e}: after {depth} sigmoid layers the "
                   "derivatives alone shrink a gradient a million-fold, however lucky the inputs.",
                   f"(1/4)^{depth} = {0.25 ** depth:.1e} is not yet below 1e-6: more layers" if low else
                   f"(1/4)^{depth - 1} = {0.25 ** (depth - 1):.1e} is already below 1e-6: fewer layers suffice")
