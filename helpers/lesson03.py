"""Used in lesson 03 (notebooks/03_activations.ipynb): activation functions and the gradient through depth. "The
improved ReLU family": ``DERIVATIVES`` (the closed-form φ′ of the seven ``train.ACTIVATIONS``; at a kink, autograd's
value) and ``draw_phi``; "Why ReLU usually wins": ``gradient_norms`` (the notebook's experiment, kept for the explorer
and exercise 3) and ``plot_gradient_norms``; "Explore": ``activation_explorer``; exercises 1–5:
``check_sigmoid_second_derivative``, ``check_silu_derivative``, ``check_sigmoid_depth``, ``check_prelu_derivatives``,
``check_sigmoid_net_for_tanh``."""

import math
from collections import namedtuple
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.func import grad, vmap
from torch.nn import functional as F

from helpers import plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, tr, tr_fig, verdict

Derivative = namedtuple("Derivative", "label formula derivative_formula df")  # df: the closed-form φ′

# In the lesson's order. nn.LeakyReLU's default slope is 0.01, nn.ELU's alpha 1; Φ is the standard normal CDF.
DERIVATIVES: dict[str, Derivative] = {
    "sigmoid": Derivative("sigmoid", "1 / (1 + exp(−x))", "σ(x)·(1 − σ(x))",
                          lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": Derivative("tanh", "(1 − exp(−2x)) / (1 + exp(−2x))", "1 − tanh²(x)", lambda x: 1 - torch.tanh(x) ** 2),
    "relu": Derivative("ReLU", "max(x, 0)", "1 if x > 0 else 0", lambda x: (x > 0).to(x.dtype)),
    "leaky_relu": Derivative("LeakyReLU", "x if x > 0 else 0.01·x", "1 if x > 0 else 0.01",
                             lambda x: torch.where(x > 0, 1.0, 0.01 * torch.ones_like(x))),
    "elu": Derivative("ELU", "x if x > 0 else exp(x) − 1", "1 if x > 0 else exp(x)",
                      lambda x: torch.where(x > 0, 1.0, torch.exp(x))),
    "gelu": Derivative("GELU", "x·Φ(x)", "Φ(x) + x·Φ′(x)", lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2)))
                       + x * (torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))),
    "silu": Derivative("SiLU", "x·σ(x)", "(exercise 2)",  # its closed form is exercise 2's answer
                       lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
}


def draw_phi(ax, name: str, x, f, df, formulas: bool = False):
    """φ (solid), φ′ (dashed) and φ′'s largest value (dotted) against x on ``ax``."""
    d = DERIVATIVES[name]
    ax.plot(x, f, color="C0", lw=2, label=f"φ(x) = {d.formula}" if formulas else f"{d.label}(x)")
    formula = tr_fig("(exercise 2)") if name == "silu" else d.derivative_formula  # the closed form is the exercise
    ax.plot(x, df, "--", color="C3", lw=2, label=f"φ′(x) = {formula}" if formulas else f"{d.label}′(x)")
    ax.axhline(float(df.max()), ls=":", color="C3", lw=1, label=tr_fig("max φ′ here = {m:.4g}", m=df.max()))
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    plot.finish(ax, "upper left", xlabel="x", title=d.label)


@lru_cache(maxsize=64)
def gradient_norms(activation: str, depth: int = 10, width: int = 128, batch_size: int = 256, seed: int = 0):
    """‖∂L/∂W⁽ˡ⁾‖, l = 1 … depth + 1 (layer 1 first), of ``depth`` hidden φ-layers of ``width`` units at He init:
    weights N(0, 2/fan_in) drawn from ``seed`` (the same for every φ), biases 0; L: cross-entropy of ``batch_size``
    standard-normal inputs with random labels (seed + 1). Cached: a repeat is free."""
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
    ax.minorticks_off()  # a log axis draws dozens of minor ticks: slow to lay out, no help to read
    return plot.finish(ax, xlabel=tr_fig("layer l (1 = input side, last = output layer)"),
                       ylabel=tr_fig("‖∂L/∂W⁽ˡ⁾‖ (log scale)"))


def compute_activation(activation: str = "sigmoid", x_range=(-6.0, 6.0), points: int = 401, depth: int = 10) -> dict:
    """``x``, ``f``, ``df`` (closed form), ``df_autograd`` on ``x_range`` ((points,) float64), their ``max_abs_diff``,
    autograd's ``max_derivative``, the ``saturated_fraction`` (|φ′| < 0.01), ``gradient_norms(activation, depth)``."""
    x = torch.linspace(*x_range, points, dtype=torch.float64)
    f, df = train.ACTIVATIONS[activation]()(x), DERIVATIVES[activation].df(x)
    df_autograd = vmap(grad(train.ACTIVATIONS[activation]()))(x)  # autograd: φ′ at every point
    return {"activation": activation, "x_range": tuple(x_range), "x": x, "f": f, "df": df, "df_autograd": df_autograd,
            "max_abs_diff": float((df - df_autograd).abs().max()), "max_derivative": float(df_autograd.max()),
            "saturated_fraction": float((df_autograd.abs() < 0.01).double().mean()),
            "gradient_norms": gradient_norms(activation, depth)}


def draw_activation(result: dict, **_):
    """Two panels: φ and φ′ over the range (grey where saturated), and ‖∂L/∂W⁽ˡ⁾‖ per layer."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    x, df = result["x"], result["df"]
    left.fill_between(x, 0, 1, where=(df.abs() < 0.01), color="0.85", transform=left.get_xaxis_transform(),
                      label=tr_fig("|φ′| < 0.01 (saturated)"))
    draw_phi(left, result["activation"], x, result["f"], df, formulas=True)
    name, own = result["activation"], result["gradient_norms"]
    plot_gradient_norms({n: gradient_norms(n, len(own) - 1) for n in ("sigmoid", "relu", name)}, right, name)
    right.set_title(tr_fig("gradient through depth at init: layer 1 / output = {r:.1e}", r=own[0] / own[-1]), size=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.25)  # fixed: tight_layout costs ~1 s


def activation_explorer(activation: str = "sigmoid", x_range=(-6.0, 6.0), limit: float = 10.0):
    """A drop-down of activations and a range slider on [−limit, limit]; ``.result`` is ``compute_activation``'s."""
    check_choice("activation", activation, tuple(DERIVATIVES))
    limit = check_number("limit", limit, above=0)
    pair = x_range if isinstance(x_range, (tuple, list)) and len(x_range) == 2 else (None, None)
    lo, hi = (check_number("x_range", v, -limit, limit) for v in pair)
    if not lo < hi:
        raise ValueError(f"x_range={x_range!r} is empty: low must be below high")
    return plot.explorer(compute_activation, draw_activation, activation=widgets.Dropdown(
        options=[(d.label, name) for name, d in DERIVATIVES.items()], value=activation, description="φ"),
        x_range=widgets.FloatRangeSlider(value=(lo, hi), min=-limit, max=limit, step=0.5, description=tr("x range")))


# --- exercise checks

GRID = torch.linspace(-8, 8, 1601)  # float32, where the student's function is evaluated


def _closed_form(fn, want: torch.Tensor, name: str, hint: str, x=GRID, reference=None) -> str | None:
    """None if ``fn(x)``, run with autograd off (a closed form needs none), equals ``want`` within 1e-6; else a hint."""
    with torch.inference_mode():
        got, error = run_student_code(fn, x.clone())
    if error and run_student_code(fn, x.clone())[1] is None:
        return tr("it only works with autograd on: write the derivative out (torch.sigmoid is allowed), no .backward()")
    if error or not torch.is_tensor(got) or got.shape != x.shape:
        what = tuple(got.shape) if torch.is_tensor(got) else "None" if got is None else type(got).__name__
        return error or tr("your {name} came back as {what}; return a tensor shaped like x, computed elementwise",
                           name=name, what=what)
    diff = (got.to(want.dtype) - want).abs()
    i = int(diff.argmax())
    return None if float(diff.max()) < 1e-6 else tr("at x = {x:.2f} your {name} is {got:.6f}, {ref} {want:.6f}. {hint}",
                                                    x=float(x[i]), name=name, got=float(got[i]), hint=hint,
                                                    ref=reference or tr("autograd's"), want=float(want[i]))


def check_sigmoid_second_derivative(sigmoid_second_derivative) -> bool:
    """``sigmoid_second_derivative(x)`` must equal σ″(x) = σ(x)(1 − σ(x))(1 − 2σ(x)), without autograd."""
    error = _closed_form(sigmoid_second_derivative, vmap(grad(DERIVATIVES["sigmoid"].df))(GRID), "σ″", tr(
        "Differentiate σ′ = σ · (1 − σ) with the product rule, and wherever σ itself gets differentiated, write "
        "σ′ = σ · (1 − σ) again."))
    return verdict(not error, tr("your {name} matches autograd's on 1601 points in [-8, 8].", name="σ″"), error)


def check_silu_derivative(silu_derivative) -> bool:
    """``silu_derivative(x)`` must equal d/dx [x·σ(x)] = σ(x) + x·σ(x)(1 − σ(x)), without autograd."""
    error = _closed_form(silu_derivative, vmap(grad(F.silu))(GRID), "SiLU′", tr("SiLU is a product, x times σ(x): "
                         "use the product rule, (x·σ)′ = 1·σ + x·σ′, with σ′ = σ(1 − σ)."))
    return verdict(not error, tr("your {name} matches autograd's on 1601 points in [-8, 8].", name="SiLU′"), error)


def check_sigmoid_depth(depth) -> bool:
    """The fewest hidden sigmoid layers that leave layer 1 below 1e-6 of the output layer's gradient, measured (12)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 2 <= depth <= 100:
        return verdict(False, "", tr("answer with a whole number of hidden layers, from 2 to 100; got {d!r}", d=depth))
    shallower, share = (n[0] / n[-1] for n in (gradient_norms("sigmoid", depth - 1), gradient_norms("sigmoid", depth)))
    f = dict(s=shallower, d1=depth - 1, r=share, d=depth, f=shallower / share)
    return verdict(share < 1e-6 <= shallower, tr("measured: layer 1 / output = {s:.1e} with {d1} layers, {r:.1e} with "
                   "{d}; one layer more divides it by {f:.1f}, not 4.", **f), tr("with {d} layers, layer 1 / output = "
                   "{r:.1e}: not yet below 1e-6, more layers", **f) + tr(" (the bound (1/4)^L reaches 1e-6 at 10, but "
                   "the weights give part back)") * (depth <= 10) if share >= 1e-6 else tr("already {d1} layers give "
                   "{s:.1e} < 1e-6: fewer layers", **f))


def check_prelu_derivatives(prelu_derivatives) -> bool:
    """``prelu_derivatives(x, alpha)`` → (∂/∂x, ∂/∂α) of pReLU(x) = max(0, x) + α·min(0, x), without autograd;
    compared with autograd through torch's own F.prelu and a difference in α (exact: pReLU is linear in α)."""
    x, a = GRID[GRID.abs() > 1e-3], torch.tensor([0.3])  # at the kink x = 0 either one-sided slope is fine
    error = _closed_form(lambda t: prelu_derivatives(t, 0.3)[0], vmap(grad(lambda t: F.prelu(t, a)))(x), "∂/∂x",
                         tr("pReLU is x for x > 0 and α·x for x < 0: slope 1 on one side, α on the other."), x,
                         tr("torch's F.prelu says")) or _closed_form(lambda t: prelu_derivatives(t, 0.3)[1], F.prelu(
                             x, a + 1) - F.prelu(x, a), "∂/∂α", tr("α enters only through α·min(0, x): differentiate "
                             "that in α, x held fixed (one value per x, not a sum)."), x, tr("a difference in α says"))
    return verdict(not error, tr("∂/∂x = 1 for x > 0 and α for x < 0; ∂/∂α = min(0, x), 0 for every x > 0."), error)


def check_sigmoid_net_for_tanh(sigmoid_params) -> bool:
    """``sigmoid_params(W1, b1, W2, b2)`` → (V1, c1, V2, c2) with V2·σ(V1·x + c1) + c2 = W2·tanh(W1·x + b1) + b2."""
    g = torch.Generator().manual_seed(3)
    W1, b1, W2, b2, X = (torch.randn(*shape, generator=g) for shape in ((6, 3), (6,), (2, 6), (2,), (200, 3)))
    params, error = run_student_code(sigmoid_params, W1.clone(), b1.clone(), W2.clone(), b2.clone())
    if not error and not (isinstance(params, (tuple, list)) and len(params) == 4):
        error = tr("return four tensors (V1, c1, V2, c2) for the sigmoid net; got {t}", t=type(params).__name__)
    diff, error = (None, error) if error else run_student_code(  # (200, 2): the sigmoid net minus the tanh net
        lambda V1, c1, V2, c2: torch.sigmoid(X @ V1.T + c1) @ V2.T + c2 - torch.tanh(X @ W1.T + b1) @ W2.T - b2,
        *params)
    if not error and not float(diff.abs().max()) < 1e-5:  # NaN fails too
        error = tr("the outputs differ by the same vector for every input: the output bias must absorb the − 1"
                   if float(diff.std(dim=0).max()) < 1e-5 else "tanh z = 2σ(2z) − 1: the sigmoid units see 2z, W2 "
                   "takes the 2")
    return verdict(not error, tr("your sigmoid net computes the tanh net's function, on 200 random inputs."), error)
