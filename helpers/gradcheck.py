"""Checking hand-derived gradients: against autograd, and against finite differences.

Two tools, after two classics:

- ``cmp(name, ours, theirs)`` compares one gradient tensor with a reference
  (autograd's ``.grad``) and prints ``exact / approximate / maxdiff`` on one
  line, as in makemore's "Becoming a backprop ninja".
- ``numerical_gradient_at`` and ``grad_check_sparse`` estimate single entries
  of a gradient by central differences, (f(x + h) − f(x − h)) / 2h, and report
  the relative error |a − b| / max(1e-8, |a| + |b|), as in CS231n.

Run gradient checks in float64: in float32 the rounding of f itself, divided
by 2h, swamps the difference being measured.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

__all__ = ["cmp", "rel_error", "numerical_gradient_at", "grad_check_sparse"]


def _check_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}"
                         + (" (a gradient that was never computed: call .retain_grad() before "
                            ".backward() for a non-leaf tensor)" if value is None else ""))
    return value


def _check_same_shape(a_name: str, a: torch.Tensor, b_name: str, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {tuple(a.shape)} but {b_name} has shape {tuple(b.shape)}; "
                         "a gradient has the shape of what it is the gradient of")


def _check_step(h) -> float:
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not math.isfinite(h) or h <= 0:
        raise ValueError(f"h={h!r} must be a positive finite step, e.g. 1e-6")
    return float(h)


def _unravel(position: int, shape) -> tuple:
    """The index tuple of entry ``position`` of a row-major tensor of ``shape``."""
    index = []
    for size in reversed(shape):
        position, i = divmod(position, size)
        index.append(i)
    return tuple(reversed(index))


def cmp(name: str, ours: torch.Tensor, theirs: torch.Tensor) -> float:
    """Compare our gradient with a reference one; print one line and return the max abs difference.

    ``ours``, ``theirs``: tensors of the same shape (any dtype), e.g. a
    hand-derived ``dW2`` (q, h) and autograd's ``W2.grad`` (q, h). The line
    reads ``name | exact: … | approximate: … | maxdiff: …``: exact means every
    entry is bit-for-bit equal, approximate means ``torch.allclose`` (rtol
    1e-5, atol 1e-8) holds.
    """
    if not isinstance(name, str):
        raise ValueError(f"name={name!r} must be a string such as 'dW2'")
    ours, theirs = _check_tensor("ours", ours), _check_tensor("theirs", theirs)
    _check_same_shape("ours", ours, "theirs", theirs)
    ours, theirs = ours.detach(), theirs.detach().to(ours.dtype)
    exact = bool(torch.equal(ours, theirs))
    approx = bool(torch.allclose(ours, theirs))
    maxdiff = float((ours - theirs).abs().max()) if ours.numel() else 0.0
    print(f"{name:15s} | exact: {str(exact):5s} | approximate: {str(approx):5s} | maxdiff: {maxdiff:.3g}")
    return maxdiff


def rel_error(a, b) -> float:
    """CS231n's relative error: max over entries of |a − b| / max(1e-8, |a| + |b|).

    ``a``, ``b``: numbers or tensors of the same shape. About 1e-7 or less
    means the gradients agree; 1e-2 or more means one of them is wrong.
    """
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    _check_same_shape("a", a, "b", b)
    if a.numel() == 0:
        return 0.0
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max())


def numerical_gradient_at(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, index: tuple,
                          h: float = 1e-6) -> float:
    """∂f/∂x[index] by the central difference (f(x + h·e) − f(x − h·e)) / 2h.

    ``f(x)`` returns a scalar (a number or a 0-dim tensor) and may read other
    tensors too; ``x`` is changed in place at ``index`` (a tuple, one int per
    dimension of x) and restored before returning, even if ``f`` raises.
    """
    if not callable(f):
        raise ValueError(f"f={f!r} must be a function of x returning a scalar")
    x = _check_tensor("x", x)
    if not x.is_floating_point():
        raise ValueError(f"x has dtype {x.dtype}; finite differences need a floating-point tensor")
    index = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    if len(index) != x.dim() or not all(
            isinstance(i, int) and not isinstance(i, bool) and -s <= i < s for i, s in zip(index, x.shape)):
        raise ValueError(f"index={index!r} is not an entry of x with shape {tuple(x.shape)}")
    h = _check_step(h)
    with torch.no_grad():
        old = x[index].item()
        try:
            x[index] = old + h
            f_plus = float(f(x))
            x[index] = old - h
            f_minus = float(f(x))
        finally:
            x[index] = old
    return (f_plus - f_minus) / (2 * h)


def grad_check_sparse(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, analytic: torch.Tensor,
                      num_checks: int = 10, h: float = 1e-6, seed: int = 0, verbose: bool = True) -> list[float]:
    """Compare ``analytic`` with central differences at ``num_checks`` random entries of ``x``.

    ``f(x)`` returns a scalar; ``analytic`` is the gradient of f at x, the
    shape of x. The entries are distinct (all of them when x has fewer than
    ``num_checks``), drawn from a generator seeded with ``seed``, so a check
    is repeatable. With ``verbose`` each entry prints
    ``numerical / analytic / relative error`` as CS231n's ``grad_check_sparse``.
    Returns the relative errors, one per entry checked; x is left unchanged.
    """
    x, analytic = _check_tensor("x", x), _check_tensor("analytic", analytic)
    _check_same_shape("analytic", analytic, "x", x)
    if isinstance(num_checks, bool) or not isinstance(num_checks, int) or num_checks <= 0:
        raise ValueError(f"num_checks={num_checks!r} must be a positive integer")
    if x.numel() == 0:
        raise ValueError("x is empty; there is no entry to check")
    generator = torch.Generator().manual_seed(seed)
    flat = torch.randperm(x.numel(), generator=generator)[:num_checks].tolist()
    errors = []
    for position in flat:
        index = _unravel(position, x.shape)
        numerical = numerical_gradient_at(f, x, index, h)
        exact = float(analytic[index])
        error = rel_error(numerical, exact)
        errors.append(error)
        if verbose:
            print(f"{str(index):12s} numerical: {numerical: .6e}  analytic: {exact: .6e}  relative error: {error:.2e}")
    return errors
