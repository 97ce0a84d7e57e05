"""Used in lesson 02 (notebooks/02_mlp.ipynb), multilayer perceptrons.

"Hidden units and wiggliness": ``compute_wiggle`` fits ``wiggly_curve`` (true curve ``wiggly_function``)
with ``train.fit_regression`` and finds the fit's kinks with ``relu_kinks``; ``draw_wiggle`` draws it.
"Explore: hidden units": ``wiggle_explorer``. Exercises: ``check_count_params``, ``check_compose``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import plot, train
from helpers.runtime import check_int, check_number, run_student_code, verdict

# --- a wiggly 1-D curve and the kinks of a one-hidden-layer ReLU fit


def wiggly_function(x: torch.Tensor) -> torch.Tensor:
    """``sin(1.5x) + 0.5·sin(4x)``: a smooth 1-D target with several bends on [−3, 3]."""
    return torch.sin(1.5 * x) + 0.5 * torch.sin(4.0 * x)


def wiggly_curve(n: int = 120, seed: int = 0, noise: float = 0.05, x_range=(-3.0, 3.0)):
    """``x``: (n, 1) float32 uniform in ``x_range``; ``y``: (n, 1) float32, ``wiggly_function(x) + noise·N(0, 1)``.

    Drawn from its own seeded generator (the global seed is untouched).
    """
    check_int("n", n)
    noise = check_number("noise", noise, 0)
    (lo, hi), g = x_range, torch.Generator().manual_seed(check_int("seed", seed, 0))
    x = lo + (hi - lo) * torch.rand(n, 1, generator=g)
    return x, wiggly_function(x) + noise * torch.randn(n, 1, generator=g)


def relu_kinks(net: nn.Sequential, lo: float, hi: float) -> torch.Tensor:
    """The x in [lo, hi] where the hidden units of a 1-D ``Standardize → Linear → ReLU → Linear`` net
    switch, sorted: unit j switches where w_j·u + b_j = 0, at u = −b_j / w_j (u the standardized input)."""
    std, first = net[0], net[1]
    if not (isinstance(std, train.Standardize) and first.in_features == 1 and isinstance(net[2], nn.ReLU)):
        raise ValueError("net must be a 1-D input, one-hidden-layer ReLU net from train.fit_regression")
    w, b = first.weight.detach()[:, 0], first.bias.detach()
    x = -b[w != 0] / w[w != 0] * std.std + std.mean
    return torch.sort(x[(x >= lo) & (x <= hi)]).values


def compute_wiggle(hidden: int = 4, seed: int = 0) -> dict:
    """Fit ``hidden`` ReLU units to ``wiggly_curve()`` (up to 200 L-BFGS iterations).

    Returns a dict: ``net``, ``r2``, ``kinks`` (``relu_kinks`` in [−3, 3]), ``x``, ``y``, ``hidden``.
    """
    x, y = wiggly_curve(n=120, seed=0)
    net = train.fit_regression(x, y, hidden, "relu", seed=seed, steps=200, method="lbfgs").net
    kinks = relu_kinks(net, -3.0, 3.0) if hidden > 0 else x.new_zeros(0)
    return {"hidden": hidden, "net": net, "r2": train.r_squared(train.predict(net, x), y), "kinks": kinks,
            "x": x, "y": y}


def draw_wiggle(result: dict, ax=None, **_):
    """Draw a ``compute_wiggle`` result: data, true curve (dotted), the fit, and red ticks at its kinks."""
    ax = ax or plt.subplots(figsize=(5.6, 3.6))[1]
    h, grid = result["hidden"], torch.linspace(-3, 3, 400)[:, None]
    label = "linear fit" if h == 0 else f"{h} ReLU unit{'s' * (h != 1)}"
    ax.scatter(result["x"].numpy(), result["y"].numpy(), s=9, color="0.55", alpha=0.6, label="data")
    ax.plot(grid.numpy(), wiggly_function(grid).numpy(), ":k", lw=1.5, label="true curve")
    ax.plot(grid.numpy(), train.predict(result["net"], grid).numpy(), color="C0", lw=2, label=label)
    ax.vlines(result["kinks"].numpy(), -2.2, -1.98, color="C3", lw=1.5)
    ax.set(ylim=(-2.2, 2.2), xlabel="x", ylabel="y", title=f"{label}: {len(result['kinks'])} bends, "
                                                            f"R² = {result['r2']:.3f}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def wiggle_explorer(hidden: int = 2, max_hidden: int = 64) -> widgets.interactive:
    """A slider for the hidden ReLU units fitted to the wiggly curve; ``.result`` is ``compute_wiggle``'s."""
    check_int("hidden", hidden, 0, check_int("max_hidden", max_hidden))
    return plot.explorer(compute_wiggle, draw_wiggle,
                         hidden=widgets.IntSlider(value=hidden, min=0, max=max_hidden, description="hidden units"))


# --- exercise checks

SIZES = ([784, 256, 10], [784, 10], [784, 256, 128, 10], [2, 3, 1])


def _true_count(sizes) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_count_params(count_params) -> bool:
    """``count_params(sizes)``: layer widths, e.g. [784, 256, 10] → number of weights and biases (203530)."""
    for sizes in SIZES:
        got, hint = run_student_code(count_params, list(sizes))
        if hint:
            return verdict(False, "", hint)
        try:
            got = float(got)
        except (TypeError, ValueError):
            return verdict(False, "", f"count_params({sizes}) returned {got!r:.20}; return one int")
        want, weights = _true_count(sizes), sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        if got != want:
            why = {weights: "that counts the weights only: each layer also has one bias per output unit",
                   weights + sum(sizes): "that adds a bias for the input layer too: biases belong to layers 2 … L only",
                   }.get(got, "each layer from width a to width b has a·b weights and b biases; add them over the layers")
            return verdict(False, "", f"count_params({sizes}) returned {got:g}, expected {want}: {why}")
    return verdict(True, f"the note's 784-256-10 MLP has {_true_count(SIZES[0]):,} parameters "
                         f"(softmax regression: {_true_count(SIZES[1]):,}).", "")


def check_compose(compose) -> bool:
    """``compose(W1, b1, W2, b2)`` → ``(W, b)`` with ``X @ W.T + b == layer2(layer1(X))``;
    W1: (h, d), b1: (h,), W2: (q, h), b2: (q,) in nn.Linear's layout."""
    g = torch.Generator().manual_seed(3)
    d, h, q = 6, 5, 3
    W1, b1, W2, b2 = (torch.randn(shape, generator=g) for shape in ((h, d), (h,), (q, h), (q,)))
    X = torch.randn(8, d, generator=g)
    result, hint = run_student_code(compose, W1.clone(), b1.clone(), W2.clone(), b2.clone())
    if hint is None and not (isinstance(result, tuple) and len(result) == 2
                             and all(isinstance(t, torch.Tensor) for t in result)):
        hint = "compose must return a pair (W, b) of tensors"
    elif hint is None and tuple(result[0].shape) != (q, d):
        hint = (f"W has shape {tuple(result[0].shape)}, expected {(q, d)} (outputs × inputs, like nn.Linear's "
                "weight): multiply W2 by W1, in that order")
    elif hint is None and result[1].numel() != q:
        hint = f"b has shape {tuple(result[1].shape)}, expected ({q},)"
    if hint:
        return verdict(False, "", hint)
    W, b = (t.detach().to(X.dtype) for t in result)
    right = torch.allclose(X @ W.T + b.reshape(-1), (X @ W1.T + b1) @ W2.T + b2, atol=1e-5)
    return verdict(right, "two stacked linear layers are one linear layer with W = W2 W1, b = W2 b1 + b2.",
                   "W is right; the bias is not. The first bias also goes through W2: b = W2 b1 + b2"
                   if torch.allclose(W, W2 @ W1, atol=1e-5) else
                   "W should be W2 @ W1 (the first layer is applied first, so its matrix is on the right)")
