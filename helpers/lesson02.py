"""Used in lesson 02 (notebooks/02_mlp.ipynb), multilayer perceptrons. "Hidden units and wiggliness":
``compute_wiggle`` (a ``train.fit_regression`` of ``wiggly_curve``, its kinks by ``relu_kinks``) and ``draw_wiggle``;
"Explore: hidden units": ``wiggle_explorer``; exercises: ``check_widest_hidden_layer``, ``check_local_affine``."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, tr, tr_fig, verdict

# --- a wiggly 1-D curve and the kinks of a one-hidden-layer ReLU fit


def wiggly_function(x: torch.Tensor) -> torch.Tensor:
    """``sin(1.5x) + 0.5·sin(4x)``: a smooth 1-D target with several bends on [−3, 3]."""
    return torch.sin(1.5 * x) + 0.5 * torch.sin(4.0 * x)


def wiggly_curve(n: int = 120, seed: int = 0, noise: float = 0.05, x_range=(-3.0, 3.0)):
    """``x``: (n, 1) float32 uniform in ``x_range``; ``y``: (n, 1) float32, ``wiggly_function(x) + noise·N(0, 1)``,
    drawn from a generator of its own (the global seed is untouched)."""
    noise = check_number("noise", noise, 0)
    (lo, hi), g = x_range, torch.Generator().manual_seed(check_int("seed", seed, 0))
    x = lo + (hi - lo) * torch.rand(check_int("n", n), 1, generator=g)
    return x, wiggly_function(x) + noise * torch.randn(n, 1, generator=g)


BEND_MIN_SLOPE = 0.1  # a kink that changes the slope by less than this is not seen on the plots


def relu_kinks(net: nn.Sequential, lo: float, hi: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Candidate kinks of a 1-D ``Standardize → Linear → ReLU → Linear`` net in [lo, hi], sorted by x.

    Unit j switches where w_j·u + b_j = 0 (u = (x − mean)/std), at x_j; crossing x_j from left to right changes
    the fit's slope by v_j·|w_j| / std (v_j its output weight). Returns ``(x_j, slope change)``, two (k,) tensors.
    """
    std, first = net[0], net[1]
    if not (isinstance(std, train.Standardize) and first.in_features == 1 and isinstance(net[2], nn.ReLU)):
        raise ValueError("net must be a 1-D input, one-hidden-layer ReLU net from train.fit_regression")
    w, b, v = first.weight.detach()[:, 0], first.bias.detach(), net[3].weight.detach()[0]
    x = -b[w != 0] / w[w != 0] * std.std + std.mean
    jump = (v * w.abs() / std.std)[w != 0]
    inside = (x >= lo) & (x <= hi)
    order = torch.argsort(x[inside])
    return x[inside][order], jump[inside][order]


def compute_wiggle(hidden: int = 4, seed: int = 0) -> dict:
    """Fit ``hidden`` ReLU units to ``wiggly_curve()`` (up to 200 L-BFGS iterations from ``seed``'s start); a dict:
    ``net``, ``r2``, ``kinks`` and ``jumps`` (``relu_kinks`` in [−3, 3]), ``bends`` (kinks changing the slope by at
    least ``BEND_MIN_SLOPE``), ``x``, ``y``, ``hidden``."""
    x, y = wiggly_curve(n=120, seed=0)
    net = train.fit_regression(x, y, hidden, "relu", seed=seed, steps=200, method="lbfgs").net
    kinks, jumps = relu_kinks(net, -3.0, 3.0) if hidden > 0 else (x.new_zeros(0), x.new_zeros(0))
    return {"hidden": hidden, "net": net, "r2": train.r_squared(train.predict(net, x), y), "kinks": kinks,
            "jumps": jumps, "bends": int((jumps.abs() >= BEND_MIN_SLOPE).sum()), "x": x, "y": y}


def draw_wiggle(result: dict, ax=None, **_):
    """Draw a ``compute_wiggle`` result: data, true curve (dotted), the fit, and red ticks at its kinks
    (pale where the slope changes by less than ``BEND_MIN_SLOPE``)."""
    ax = ax or plt.subplots(figsize=(5.6, 3.6))[1]
    h, grid = result["hidden"], torch.linspace(-3, 3, 400)[:, None]
    label = tr_fig("linear fit" if h == 0 else "{h} ReLU units" if h > 1 else "{h} ReLU unit", h=h)
    ax.scatter(result["x"].numpy(), result["y"].numpy(), s=9, color="0.55", alpha=0.6, label=tr_fig("data"))
    ax.plot(grid.numpy(), wiggly_function(grid).numpy(), ":k", lw=1.5, label=tr_fig("true curve"))
    ax.plot(grid.numpy(), train.predict(result["net"], grid).numpy(), color="C0", lw=2, label=label)
    strong = result["jumps"].abs() >= BEND_MIN_SLOPE
    ax.vlines(result["kinks"][strong].numpy(), -2.2, -1.98, color="C3", lw=1.5)
    ax.vlines(result["kinks"][~strong].numpy(), -2.2, -1.98, color="C3", lw=1.5, alpha=0.3)
    k, b = len(result["kinks"]), result["bends"]
    return plot.finish(ax, ylim=(-2.2, 2.2), xlabel="x", ylabel="y", title=tr_fig(
        "{label}: {k} kinks ({b} bends), R² = {r2:.3f}" if (k, b) != (1, 1) else "{label}: {k} kink ({b} bend), "
        "R² = {r2:.3f}", label=label, k=k, b=b, r2=result["r2"]))


HIDDEN_STOPS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # unit by unit while each bend shows, then wider steps


def wiggle_explorer(hidden: int = 2, max_hidden: int = 64) -> plot.Explorer:
    """A slider over ``HIDDEN_STOPS`` ≤ ``max_hidden``: ReLU units fitted to the wiggly curve (``.result``: its fit)."""
    stops = [h for h in HIDDEN_STOPS if h <= check_int("max_hidden", max_hidden)]
    check_choice("hidden", hidden, stops)
    return plot.explorer(compute_wiggle, draw_wiggle, hidden=widgets.SelectionSlider(
        options=stops, value=hidden, description=tr("hidden units")))


# --- exercise checks

BUDGETS = ((784, 10, 203_530), (784, 10, 203_529), (784, 10, 100_000), (784, 10, 7_850), (2, 1, 10), (784, 10, 1_000))


def check_widest_hidden_layer(widest_hidden_layer) -> bool:
    """``widest_hidden_layer(num_inputs, num_outputs, budget)`` → the largest h such that a
    num_inputs-h-num_outputs MLP has at most ``budget`` weights and biases (each budget allows h ≥ 1)."""
    for d, q, budget in BUDGETS:
        got, hint = run_student_code(widest_hidden_layer, d, q, budget)
        try:
            got = int(got) if hint is None and float(got) == int(got) else got
        except (TypeError, ValueError, OverflowError):
            pass
        want = (budget - q) // (d + 1 + q)
        if hint is None and not isinstance(got, int):
            hint = tr("widest_hidden_layer({d}, {q}, {b}) returned {got!r:.20}; return one int", d=d, q=q, b=budget,
                      got=got)
        elif hint is None and got != want:
            n, wider = ((d + 1) * h + (h + 1) * q for h in (got, got + 1))  # weights and biases of a d-h-q MLP
            hint = tr("widest_hidden_layer({d}, {q}, {budget}) returned {got}, which ignores the biases: the hidden "
                      "layer has h of them, the output layer {q}" if got == budget // (d + q) else
                      "widest_hidden_layer({d}, {q}, {budget}) returned {got}, but a {d}-{got}-{q} MLP has {n:,} "
                      "parameters, over the budget" if n > budget else "widest_hidden_layer({d}, {q}, {budget}) "
                      "returned {got}, but a {d}-{h}-{q} MLP still fits ({wider:,} parameters): go wider",
                      d=d, q=q, budget=budget, got=got, n=n, h=got + 1, wider=wider)
        if hint:
            return verdict(False, "", hint)
    return verdict(True, tr("the note's 256 units are the widest its 203,530 parameters allow, and softmax "
                            "regression's 7,850 buy a hidden layer of only 9 units."), "")


def check_local_affine(local_affine) -> bool:
    """``local_affine(W1, b1, W2, b2, x)`` → ``(W, b)``: the affine map that ``W2 relu(W1 x' + b1) + b2``
    equals for every x' near ``x`` (where the same hidden units are on). nn.Linear's layout:
    W1: (h, d), b1: (h,), W2: (q, h), b2: (q,); x: (d,); W: (q, d), b: (q,)."""
    g = torch.Generator().manual_seed(3)
    d, h, q = 6, 5, 3
    W1, b1, W2, b2 = (torch.randn(shape, generator=g) for shape in ((h, d), (h,), (q, h), (q,)))
    for x in torch.randn(4, d, generator=g):
        result, hint = run_student_code(local_affine, W1.clone(), b1.clone(), W2.clone(), b2.clone(), x.clone())
        if hint is None and not (isinstance(result, tuple) and len(result) == 2
                                 and all(isinstance(t, torch.Tensor) for t in result)):
            hint = tr("local_affine must return a pair (W, b) of tensors")
        elif hint is None and (tuple(result[0].shape) != (q, d) or result[1].numel() != q):
            hint = tr("W has shape {W} and b {b}; expected {want} and ({q},), like nn.Linear's weight and bias",
                      W=tuple(result[0].shape), b=tuple(result[1].shape), want=(q, d), q=q)
        if hint:
            return verdict(False, "", hint)
        W, b = (t.detach().to(x.dtype).reshape(shape) for t, shape in zip(result, ((q, d), (q,))))
        on = W1 @ x + b1 > 0
        near = x + 1e-3 * torch.randn(16, d, generator=g)
        near = torch.cat([x[None], near[((near @ W1.T + b1 > 0) == on).all(dim=1)]])  # same units on as x
        if not torch.allclose(near @ W.T + b, torch.relu(near @ W1.T + b1) @ W2.T + b2, atol=1e-4):
            return verdict(False, "", tr(
                "that is the collapse with every unit on, but at x = {x} units {off} are off and pass nothing on: "
                "leave them out" if torch.allclose(W, W2 @ W1, atol=1e-4) else
                "W is right, b is not: the bias of a unit that is off does not reach the output either"
                if torch.allclose(W, W2 @ (on[:, None] * W1), atol=1e-4) else
                "your (W, b) does not match the network near x: which hidden units are on there, and what "
                "does the network compute when the others are removed?", x=x.numpy().round(2),
                off=(~on).nonzero().flatten().tolist()))
    return verdict(True, tr("with ReLU the network is affine on each region where the same units are on "
                            "(W = W2 D W1, b = W2 D b1 + b2, D the 0/1 diagonal of the units on at x); in one "
                            "dimension those regions are the segments between the kinks."), "")
