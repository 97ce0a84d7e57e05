"""Activation functions φ with their closed-form derivatives, and how a gradient survives depth.

``ACTIVATIONS`` is the table the lessons and explorers read: for each name the
function, its derivative written out by hand, the matching ``nn.Module`` and
the largest value the derivative takes. Lesson 03 checks every closed form
against autograd.

At a kink (ReLU and LeakyReLU at x = 0) there is no derivative; the closed
forms here use the value PyTorch's autograd uses there (the left-hand slope),
so the two agree everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default negative slope
ELU_ALPHA = 1.0  # nn.ELU's default alpha


@dataclass(frozen=True)
class Activation:
    """One activation: ``f``, its closed-form derivative ``df``, and how to build it as a layer."""

    name: str
    label: str
    f: Callable[[torch.Tensor], torch.Tensor]
    df: Callable[[torch.Tensor], torch.Tensor]
    module: Callable[[], nn.Module]
    max_derivative: float
    formula: str
    derivative_formula: str


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _sigmoid_df(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def _silu_df(x):
    s = torch.sigmoid(x)
    return s * (1 + x * (1 - s))


# max_derivative: the largest value φ′ takes (GELU's at x = √2 and SiLU's near x = 2.4,
# rounded to 4 decimals); sigmoid's 1/4 is the one that makes deep sigmoid nets vanish.
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", "sigmoid", torch.sigmoid, _sigmoid_df, nn.Sigmoid, 0.25,
                          "1 / (1 + exp(-x))", "σ(x)·(1 − σ(x))"),
    "tanh": Activation("tanh", "tanh", torch.tanh, lambda x: 1 - torch.tanh(x) ** 2, nn.Tanh, 1.0,
                       "(1 − exp(−2x)) / (1 + exp(−2x))", "1 − tanh²(x)"),
    "relu": Activation("relu", "ReLU", torch.relu, lambda x: (x > 0).to(x.dtype), nn.ReLU, 1.0,
                       "max(x, 0)", "1 if x > 0 else 0"),
    "leaky_relu": Activation("leaky_relu", "LeakyReLU", lambda x: F.leaky_relu(x, LEAKY_SLOPE),
                             lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, LEAKY_SLOPE)),
                             lambda: nn.LeakyReLU(LEAKY_SLOPE), 1.0,
                             f"x if x > 0 else {LEAKY_SLOPE}·x", f"1 if x > 0 else {LEAKY_SLOPE}"),
    "elu": Activation("elu", "ELU", lambda x: F.elu(x, ELU_ALPHA),
                      lambda x: torch.where(x > 0, torch.ones_like(x), ELU_ALPHA * torch.exp(x)),
                      lambda: nn.ELU(ELU_ALPHA), 1.0,
                      "x if x > 0 else exp(x) − 1", "1 if x > 0 else exp(x)"),
    "gelu": Activation("gelu", "GELU", F.gelu, lambda x: _normal_cdf(x) + x * _normal_pdf(x), nn.GELU, 1.1289,
                       "x·Φ(x)", "Φ(x) + x·Φ′(x)"),
    "silu": Activation("silu", "SiLU", F.silu, _silu_df, nn.SiLU, 1.0998,
                       "x·σ(x)", "σ(x)·(1 + x·(1 − σ(x)))"),
}

CLASSIC = ("sigmoid", "tanh", "relu")
IMPROVED = ("leaky_relu", "elu", "gelu", "silu")


def get(activation: str) -> Activation:
    """The table entry for ``activation`` (a name in ``ACTIVATIONS``); ValueError for any other."""
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not known; use one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


def check_range(name: str, value) -> tuple[float, float]:
    """``(lo, hi)`` as floats with lo < hi, both finite, else a ValueError naming ``name``."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a pair (low, high) of numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name}={value!r} must be finite")
    if not lo < hi:
        raise ValueError(f"{name}={value!r} is an empty range: low must be below high")
    return lo, hi


def autograd_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """φ′(x) elementwise by autograd: ``x`` (n,) float → (n,) of the same dtype.

    Works because φ acts elementwise, so the gradient of ``φ(x).sum()`` with
    respect to x_i is φ′(x_i).
    """
    x = x.detach().clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad.detach()


def derivative_error(activation: str, x: torch.Tensor | None = None) -> float:
    """Max |autograd φ′ − closed-form φ′| over ``x`` (default 2001 points in [-6, 6], float64)."""
    act = get(activation)
    if x is None:
        x = torch.linspace(-6, 6, 2001, dtype=torch.float64)
    return float((autograd_derivative(act.f, x) - act.df(x)).abs().max())


# --------------------------------------------------------------------------- gradient through depth


def deep_mlp(activation: str, depth: int = 10, width: int = 128, out_features: int = 10,
             seed: int = 0) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units with φ = ``activation``, then a linear output.

    Weights ~ N(0, 2/fan_in) (Kaiming/He initialization), biases 0, the same
    draw for every activation (``seed``), so only φ differs between two nets.
    """
    act = get(activation)
    for name, value in (("depth", depth), ("width", width), ("out_features", out_features)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act.module()]
    layers.append(nn.Linear(width, out_features))
    with torch.no_grad():
        for m in layers:
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * math.sqrt(2.0 / m.in_features))
                m.bias.zero_()
    return nn.Sequential(*layers)


@lru_cache(maxsize=32)
def _gradient_norms(activation: str, depth: int, width: int, batch_size: int, seed: int) -> tuple[float, ...]:
    net = deep_mlp(activation, depth, width, 10, seed)
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(batch_size, width, generator=g)
    y = torch.randint(0, 10, (batch_size,), generator=g)
    F.cross_entropy(net(X), y).backward()
    return tuple(float(m.weight.grad.norm()) for m in net if isinstance(m, nn.Linear))


def gradient_norms(activation: str, depth: int = 10, width: int = 128, batch_size: int = 256,
                   seed: int = 0) -> list[float]:
    """‖∂L/∂W⁽ˡ⁾‖ for l = 1 … depth + 1 of ``deep_mlp(activation, depth, width)`` at initialization.

    L is the cross-entropy on one batch of ``batch_size`` standard-normal inputs
    with random labels (10 classes). Entry 0 is the first layer (furthest from
    the loss), the last entry the output layer. Cached: a repeated call is free.
    """
    get(activation)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")
    return list(_gradient_norms(activation, depth, width, batch_size, seed))


# --------------------------------------------------------------------------- figures


def plot_function_and_derivative(ax, activation: str, x_range=(-6.0, 6.0), points: int = 601):
    """Draw φ (solid) and φ′ (dashed) of ``activation`` on ``ax`` over ``x_range``; returns ax."""
    act = get(activation)
    lo, hi = check_range("x_range", x_range)
    x = torch.linspace(lo, hi, points)
    ax.plot(x.numpy(), act.f(x).numpy(), color="C0", label=f"{act.label}(x)")
    ax.plot(x.numpy(), act.df(x).numpy(), "--", color="C3", label=f"{act.label}′(x)")
    ax.axhline(act.max_derivative, ls=":", color="C3", lw=1, label=f"max φ′ = {act.max_derivative:g}")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set_title(act.label)
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def activations_figure(names=CLASSIC, x_range=(-6.0, 6.0)):
    """One panel per activation in ``names``: φ and φ′ side by side, as the note draws them."""
    import matplotlib.pyplot as plt

    names = tuple(names)
    if not names:
        raise ValueError("names=() is empty; give at least one activation name")
    for name in names:
        get(name)
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        plot_function_and_derivative(ax, name, x_range)
    fig.tight_layout()
    return fig


def improved_activations_figure():
    """φ and φ′ of the improved ReLU family: LeakyReLU, ELU, GELU, SiLU."""
    return activations_figure(IMPROVED, (-4.0, 4.0))


def plot_gradient_norms(norms: dict, ax=None, highlight: str | None = None):
    """Per-layer gradient norms on a log scale: ``norms`` maps activation name → list of norms.

    Layer 1 (furthest from the loss) is on the left. ``highlight`` draws one
    curve bold and the others faint. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4))
    for i, (name, values) in enumerate(norms.items()):
        faint = highlight is not None and name != highlight
        layers = range(1, len(values) + 1)
        ax.semilogy(layers, values, "o-", ms=3, lw=1 if faint else 2, alpha=0.3 if faint else 1.0,
                    color=f"C{list(ACTIVATIONS).index(name) % 10}", label=get(name).label)
    longest = max((len(v) for v in norms.values()), default=0)
    ax.set_xticks(range(1, longest + 1))
    ax.set_xlabel("layer l (1 = input side, last = output layer)")
    ax.set_ylabel("‖∂L/∂W⁽ˡ⁾‖ (log scale)")
    ax.minorticks_off()  # a log axis draws dozens of minor ticks: slow to lay out, no help to read
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
