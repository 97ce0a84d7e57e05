"""Polynomial regression of a chosen degree on d2l's cubic data (lesson 05).

A degree-d model uses the first d + 1 feature columns x^i / i! (i = 0 … d) of
``helpers.synthetic.cubic_data`` and predicts ŷ = X[:, :d+1] @ w. Fits here are
solved exactly, in float64 linear algebra, instead of by gradient steps: the
result is where training ends (the weights with the lowest training loss the
model can reach), so what the lesson compares is the model, not how long an
optimizer ran. Gradient descent started from w = 0 on this loss converges to the
same minimum-norm solution.

Two knobs, one per factor of the note:

- ``degree``: how many free parameters (d + 1);
- ``max_norm``: how large the weights may be, ‖w‖ ≤ C. The constrained fit is
  found as the ridge solution whose norm is exactly C, so each fit also reports
  ``lambd``, the λ for which minimising ½·mean((ŷ − y)²) + λ/2·‖w‖² (the note's
  equation (1)) gives the same weights: the bridge to weight decay in lesson 06.

Losses are mean squared errors, mean((ŷ − y)²), as d2l's ``evaluate_loss``.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import torch

class PolyFit(NamedTuple):
    """One fitted polynomial and how it does on training and validation data.

    - ``weights``: (degree + 1,) float64, the coefficient of x^i / i! in column i;
    - ``train_loss``, ``val_loss``: mean squared errors (floats);
    - ``weight_norm``: ‖w‖₂; ``max_norm``: the bound C asked for (None: unconstrained);
    - ``lambd``: the equivalent L2 penalty λ (0.0 when the bound is not reached).
    """

    degree: int
    weights: torch.Tensor
    train_loss: float
    val_loss: float
    weight_norm: float
    max_norm: float | None
    lambd: float

    @property
    def gap(self) -> float:
        """Validation loss minus training loss (how much worse on unseen data)."""
        return self.val_loss - self.train_loss

    @property
    def ratio(self) -> float:
        """Validation loss / training loss: "far below" in the note means a large ratio."""
        return self.val_loss / self.train_loss if self.train_loss > 0 else math.inf


# --------------------------------------------------------------------------- validation


def _check_data(data) -> None:
    for name in ("X_train", "y_train", "X_val", "y_val"):
        if not isinstance(getattr(data, name, None), torch.Tensor):
            raise ValueError(f"data must be a CubicData from helpers.synthetic.cubic_data (it lacks {name})")


def check_degree(degree, max_degree: int) -> int:
    """``degree`` if it is an int in [0, max_degree], else a ValueError naming it."""
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)):
        raise ValueError(f"degree={degree!r} must be an integer in [0, {max_degree}]")
    if not 0 <= degree <= max_degree:
        raise ValueError(f"degree={degree!r} is impossible: the data has features up to degree {max_degree}, "
                         f"so use 0 … {max_degree}")
    return int(degree)


def check_max_norm(max_norm) -> float | None:
    """``max_norm`` as a float if it is None or a positive finite number, else a ValueError naming it."""
    if max_norm is None:
        return None
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.floating)) \
            or not math.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm={max_norm!r} must be None (no bound) or a positive finite number")
    return float(max_norm)


# --------------------------------------------------------------------------- fitting


def _mse(A: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((A @ w - y) ** 2))


def _ridge_norm(s: np.ndarray, c: np.ndarray, n: int, lambd: float) -> float:
    return float(np.linalg.norm(s * c / (s**2 + n * lambd)))


def _svd(A: np.ndarray):
    """A = U S Vᵀ with every non-zero singular value kept, however small: with as many
    parameters as points the fit must interpolate, so no direction may be dropped."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > 0
    return U[:, keep], s[keep], Vt[keep]


def _solve(svd, y: np.ndarray, max_norm: float | None) -> tuple[np.ndarray, float]:
    """Weights minimising mean((A w − y)²), with ‖w‖ ≤ max_norm; and the equivalent λ.

    With A = U S Vᵀ the ridge solution is w(λ) = V · s/(s² + nλ) · Uᵀy, whose
    norm falls as λ grows; λ is found by bisection on log λ so that
    ‖w(λ)‖ = max_norm.
    """
    U, s, Vt = svd
    n = len(y)
    c = U.T @ y
    w = Vt.T @ (c / s)  # the minimum-norm least-squares solution
    if max_norm is None or np.linalg.norm(w) <= max_norm:
        return w, 0.0
    hi = 2.0 * float(np.linalg.norm(s * c)) / (n * max_norm)  # ‖w(λ)‖ ≤ ‖S c‖/(nλ) < C here
    lo = hi
    while _ridge_norm(s, c, n, lo) <= max_norm and lo > 1e-300:
        lo /= 1e3
    log_lo, log_hi = math.log(lo), math.log(hi)
    for _ in range(200):
        mid = 0.5 * (log_lo + log_hi)
        if _ridge_norm(s, c, n, math.exp(mid)) > max_norm:
            log_lo = mid
        else:
            log_hi = mid
        if log_hi - log_lo < 1e-12:
            break
    lambd = math.exp(log_hi)
    return Vt.T @ (s * c / (s**2 + n * lambd)), lambd


def _fit(data, degree: int, max_norm: float | None, svd=None) -> PolyFit:
    A = data.X_train[:, : degree + 1].double().numpy()
    A_val = data.X_val[:, : degree + 1].double().numpy()
    y, y_val = data.y_train.double().numpy(), data.y_val.double().numpy()
    w, lambd = _solve(svd if svd is not None else _svd(A), y, max_norm)
    return PolyFit(degree, torch.from_numpy(w), _mse(A, w, y), _mse(A_val, w, y_val),
                   float(np.linalg.norm(w)), max_norm, lambd)


def fit(data, degree: int, max_norm: float | None = None) -> PolyFit:
    """Fit a degree-``degree`` polynomial to ``data``'s training set; score it on both sets.

    ``data``: a ``CubicData`` (helpers.synthetic.cubic_data). ``degree``: 0 …
    data.max_degree (degree + 1 free parameters). ``max_norm``: None for plain
    least squares (the minimum-norm solution when several fit equally well),
    or C > 0 to allow only weights with ‖w‖ ≤ C.
    """
    _check_data(data)
    degree = check_degree(degree, data.max_degree)
    return _fit(data, degree, check_max_norm(max_norm))


def predict(weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The polynomial Σ w_i x^i / i! at ``x``: weights (d + 1,), x (n,) → (n,) float64."""
    from helpers.synthetic import poly_features

    if not isinstance(weights, torch.Tensor) or weights.dim() != 1 or len(weights) == 0:
        raise ValueError(f"weights must be a non-empty 1-D tensor, got {getattr(weights, 'shape', weights)!r}")
    return poly_features(x.double(), len(weights) - 1) @ weights.double()


def _sweep(fits: list[PolyFit], key: str, values: list) -> dict:
    return {key: values,
            "train_loss": [f.train_loss for f in fits],
            "val_loss": [f.val_loss for f in fits],
            "weight_norm": [f.weight_norm for f in fits]}


def degree_sweep(data, degrees: Sequence[int] | None = None) -> dict:
    """Fit every degree in ``degrees`` (default 0 … data.max_degree).

    Returns a dict of equal-length lists: ``degree``, ``train_loss``,
    ``val_loss``, ``weight_norm``.
    """
    _check_data(data)
    degrees = list(range(data.max_degree + 1)) if degrees is None else list(degrees)
    if not degrees:
        raise ValueError("degrees is empty; give at least one degree")
    return _sweep([fit(data, d) for d in degrees], "degree", degrees)


def norm_sweep(data, max_norms: Sequence[float], degree: int | None = None) -> dict:
    """Fit one degree (default data.max_degree) under each bound in ``max_norms``.

    Returns a dict of equal-length lists: ``max_norm``, ``train_loss``,
    ``val_loss``, ``weight_norm``, ``lambd``.
    """
    _check_data(data)
    degree = data.max_degree if degree is None else check_degree(degree, data.max_degree)
    max_norms = [check_max_norm(c) for c in max_norms]
    if not max_norms:
        raise ValueError("max_norms is empty; give at least one bound")
    svd = _svd(data.X_train[:, : degree + 1].double().numpy())
    fits = [_fit(data, degree, c, svd) for c in max_norms]
    result = _sweep(fits, "max_norm", max_norms)
    result["lambd"] = [f.lambd for f in fits]
    return result
