"""Checks for lesson 03 (activation functions): each prints ✅ or a specific hint and returns a bool."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from helpers.activations import autograd_derivative
from helpers.checks import run_student_code, verdict

GRID = torch.linspace(-8, 8, 1601)
TOLERANCE = 1e-6


def _check_derivative(fn, f, name: str, formula_hint: str) -> bool:
    fn_name = getattr(fn, "__name__", "your function")
    got, hint = run_student_code(fn, GRID.clone())
    if hint:
        return verdict(False, "", hint)
    if got is None:
        return verdict(False, "", f"{fn_name} returned None: return a tensor the shape of x")
    if not isinstance(got, torch.Tensor) or got.shape != GRID.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        return verdict(False, "", f"{fn_name} returned {shape}; return a tensor of the same shape as x, "
                                  "computed elementwise")
    want = autograd_derivative(f, GRID)
    diff = (got.detach().to(want.dtype) - want).abs()
    worst = int(diff.argmax())
    if not float(diff.max()) < TOLERANCE:
        return verdict(False, "", f"at x = {float(GRID[worst]):.2f} you return {float(got[worst]):.6f} but autograd "
                                  f"says {float(want[worst]):.6f}. {formula_hint}")
    return verdict(True, f"your {name}′ matches autograd on 1601 points in [-8, 8] (max abs diff "
                         f"{float(diff.max()):.1e}).", "")


def check_sigmoid_derivative(sigmoid_derivative) -> bool:
    """``sigmoid_derivative(x)`` must equal σ′(x) = σ(x)(1 − σ(x)) (max abs diff < 1e-6)."""
    return _check_derivative(sigmoid_derivative, torch.sigmoid, "sigmoid",
                             "Differentiate 1 / (1 + exp(−x)) and write the result with σ(x) itself: "
                             "σ′ = σ · (1 − σ).")


def check_silu_derivative(silu_derivative) -> bool:
    """``silu_derivative(x)`` must equal d/dx [x·σ(x)] = σ(x) + x·σ(x)(1 − σ(x)) (max abs diff < 1e-6)."""
    return _check_derivative(silu_derivative, F.silu, "SiLU",
                             "SiLU is a product, x times σ(x): use the product rule, "
                             "(x·σ)′ = 1·σ + x·σ′, with σ′ = σ(1 − σ).")


def check_vanishing_depth(depth) -> bool:
    """The fewest sigmoid layers L with (1/4)^L < 1e-6 (the derivatives' largest possible product): 10."""
    if isinstance(depth, bool) or not isinstance(depth, int):
        return verdict(False, "", f"answer with a whole number of layers, got {depth!r}")
    if 0.25**depth >= 1e-6:
        return verdict(False, "", f"(1/4)^{depth} = {0.25 ** depth:.1e} is not yet below 1e-6: more layers")
    if 0.25 ** (depth - 1) < 1e-6:
        return verdict(False, "", f"(1/4)^{depth - 1} = {0.25 ** (depth - 1):.1e} is already below 1e-6: "
                                  "fewer layers suffice")
    return verdict(True, f"(1/4)^{depth} = {0.25 ** depth:.1e}: after {depth} sigmoid layers the derivatives "
                         "alone shrink a gradient a million-fold, however lucky the inputs.", "")
