"""Checks for lesson 08, forward and backward propagation (前向传播与反向传播).

Each check calls the student's function on a small seeded float64 problem,
compares with autograd, prints ✅ or ❌ with a specific hint, and returns the
verdict as a bool. None of them raises on a stub.

- ``check_activation_backward(fn, activation="tanh")``: fn(X, y, W1, W2, lambd) -> (dW1, dW2)
  for the note's network with φ = tanh (or "sigmoid") instead of ReLU.
- ``check_bias_backward(fn)``: fn(X, y, W1, b1, W2, b2, lambd) -> (dW1, db1, dW2, db2)
  for the network with biases b⁽¹⁾, b⁽²⁾ (not in the penalty s).
- ``check_central_difference(fn)``: fn(f, W, index, h) -> float, the central
  difference (f(W + h·e) − f(W − h·e)) / 2h, and whether it catches a wrong gradient.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from helpers.checks import run_student_code, verdict

__all__ = ["check_activation_backward", "check_bias_backward", "check_central_difference", "problem"]

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}
DERIVATIVE_TEXT = {
    "tanh": "φ′(z) = 1 − tanh²(z) = 1 − h²",
    "sigmoid": "φ′(z) = σ(z)(1 − σ(z)) = h ⊙ (1 − h)",
}
# n examples, d inputs, h hidden units, q outputs: all different, so a transpose cannot hide
N, D, H, Q = 7, 6, 5, 3
LAMBD = 0.1


def problem(seed: int = 0, biases: bool = False) -> dict:
    """A small seeded float64 problem: X (7, 6), y (7,) int64 in 0..2, W1 (5, 6), W2 (3, 5), lambd 0.1.

    With ``biases`` it also holds b1 (5,) and b2 (3,).
    """
    g = torch.Generator().manual_seed(seed)
    p = {
        "X": torch.randn(N, D, generator=g, dtype=torch.float64),
        "y": torch.randint(Q, (N,), generator=g),
        "W1": 0.7 * torch.randn(H, D, generator=g, dtype=torch.float64),
        "W2": 0.7 * torch.randn(Q, H, generator=g, dtype=torch.float64),
        "lambd": LAMBD,
    }
    if biases:
        p["b1"] = 0.5 * torch.randn(H, generator=g, dtype=torch.float64)
        p["b2"] = 0.5 * torch.randn(Q, generator=g, dtype=torch.float64)
    return p


def _objective(p: dict, phi, W1, W2, b1=None, b2=None):
    """J = mean cross-entropy + λ/2 (‖W1‖²_F + ‖W2‖²_F), biases unpenalised."""
    Z = p["X"] @ W1.T + (b1 if b1 is not None else 0)
    O = phi(Z) @ W2.T + (b2 if b2 is not None else 0)
    return F.cross_entropy(O, p["y"]) + p["lambd"] / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def _autograd(p: dict, phi, names: tuple[str, ...]) -> dict:
    leaves = {k: p[k].clone().requires_grad_(True) for k in names}
    J = _objective(p, phi, leaves["W1"], leaves["W2"], leaves.get("b1"), leaves.get("b2"))
    grads = torch.autograd.grad(J, [leaves[k] for k in names])
    return dict(zip(names, grads))


def _hand(p: dict, phi_name: str, forget: str | None = None) -> dict:
    """Hand gradients with one named mistake, to recognise a student's ('relu_derivative', 'phi_not_derivative')."""
    Z = p["X"] @ p["W1"].T
    Hh = ACTIVATIONS[phi_name](Z)
    O = Hh @ p["W2"].T
    dO = (torch.softmax(O, dim=1) - F.one_hot(p["y"], Q).to(O.dtype)) / len(p["y"])
    dW2 = dO.T @ Hh + p["lambd"] * p["W2"]
    dH = dO @ p["W2"]
    if forget == "relu_derivative":
        dphi = (Z > 0).to(Z.dtype)
    elif forget == "phi_not_derivative":
        dphi = Hh
    elif phi_name == "tanh":
        dphi = 1 - Hh ** 2
    elif phi_name == "sigmoid":
        dphi = Hh * (1 - Hh)
    else:
        dphi = (Z > 0).to(Z.dtype)
    dW1 = (dH * dphi).T @ p["X"] + p["lambd"] * p["W1"]
    return {"W1": dW1, "W2": dW2}


def _close(a, b) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a.to(b.dtype), b, rtol=1e-6, atol=1e-9))


def _as_tensors(result, count: int, names: tuple[str, ...]) -> tuple[list | None, str | None]:
    """The student's result as ``count`` tensors, or a hint saying what came back instead."""
    if result is None:
        return None, f"the function returned None: return the tuple ({', '.join(names)})"
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        return None, f"return a tuple of {count} tensors ({', '.join(names)}), got {got}"
    for name, value in zip(names, result):
        if not isinstance(value, torch.Tensor):
            return None, f"{name} is {type(value).__name__}, not a tensor"
        if not torch.isfinite(value).all():
            return None, f"{name} holds NaN or inf"
    return list(result), None


def _shape_hint(names, got, want) -> str | None:
    for name, g, w in zip(names, got, want):
        if tuple(g.shape) != tuple(w.shape):
            return (f"{name} has shape {tuple(g.shape)} but must have the shape of what it is the gradient of, "
                    f"{tuple(w.shape)}")
    return None


def check_activation_backward(fn, activation: str = "tanh") -> bool:
    """Check ``fn(X, y, W1, W2, lambd) -> (dW1, dW2)`` for the note's network with φ = ``activation``.

    ``activation``: "tanh" or "sigmoid". X (n, d) float64, y (n,) int64,
    W1 (h, d), W2 (q, h); the gradients must match autograd's to 1e-9.
    """
    if activation not in DERIVATIVE_TEXT:
        raise ValueError(f"activation={activation!r} must be 'tanh' or 'sigmoid'")
    p = problem(1)
    want = _autograd(p, ACTIVATIONS[activation], ("W1", "W2"))
    result, hint = run_student_code(fn, p["X"].clone(), p["y"].clone(), p["W1"].clone(), p["W2"].clone(),
                                    p["lambd"])
    if hint is None:
        result, hint = _as_tensors(result, 2, ("dW1", "dW2"))
    if hint is None:
        dW1, dW2 = result
        hint = _shape_hint(("dW1", "dW2"), (dW1, dW2), (want["W1"], want["W2"]))
    if hint is None and not _close(dW2, want["W2"]):
        if _close(dW2, want["W2"] - p["lambd"] * p["W2"]):
            hint = "dW2 lacks the penalty's part: add λW⁽²⁾ (from s = λ/2 ‖W⁽²⁾‖²_F)"
        else:
            hint = (f"dW2 is off by up to {float((dW2 - want['W2']).abs().max()):.2g}: dW2 = dOᵀ H + λW⁽²⁾ "
                    f"with H = {activation}(Z) and dO = (softmax(O) − onehot(y)) / n")
    if hint is None and not _close(dW1, want["W1"]):
        if _close(dW1, _hand(p, activation, "relu_derivative")["W1"]):
            hint = f"dW1 uses ReLU's derivative 1[z > 0]; for {activation}, {DERIVATIVE_TEXT[activation]}"
        elif _close(dW1, _hand(p, activation, "phi_not_derivative")["W1"]):
            hint = f"dZ = dH ⊙ φ′(Z) needs the derivative, not φ itself: {DERIVATIVE_TEXT[activation]}"
        elif _close(dW1, want["W1"] - p["lambd"] * p["W1"]):
            hint = "dW1 lacks the penalty's part: add λW⁽¹⁾"
        else:
            hint = (f"dW1 is off by up to {float((dW1 - want['W1']).abs().max()):.2g}: dZ = dH ⊙ φ′(Z) with "
                    f"{DERIVATIVE_TEXT[activation]}, then dW1 = dZᵀ X + λW⁽¹⁾")
    return verdict(hint is None, f"dW1 and dW2 for φ = {activation} match autograd; only φ′ changed", hint or "")


def check_bias_backward(fn) -> bool:
    """Check ``fn(X, y, W1, b1, W2, b2, lambd) -> (dW1, db1, dW2, db2)``.

    The network is Z = X W1ᵀ + b1, H = ReLU(Z), O = H W2ᵀ + b2, with
    J = mean cross-entropy + λ/2 (‖W1‖²_F + ‖W2‖²_F): the biases are not in s.
    b1 (h,), b2 (q,); the gradients must match autograd's to 1e-9.
    """
    p = problem(2, biases=True)
    names = ("W1", "b1", "W2", "b2")
    want = _autograd(p, torch.relu, names)
    result, hint = run_student_code(fn, p["X"].clone(), p["y"].clone(), p["W1"].clone(), p["b1"].clone(),
                                    p["W2"].clone(), p["b2"].clone(), p["lambd"])
    labels = ("dW1", "db1", "dW2", "db2")
    if hint is None:
        result, hint = _as_tensors(result, 4, labels)
    if hint is None:
        got = dict(zip(names, result))
        for name, label in zip(names, labels):
            if name.startswith("b") and got[name].shape == (N, want[name].shape[0]):
                hint = f"{label} has one row per example, {tuple(got[name].shape)}: sum the rows over the batch"
                break
        hint = hint or _shape_hint(labels, result, [want[k] for k in names])
    if hint is None:
        for name, label in zip(("W2", "W1", "b2", "b1"), ("dW2", "dW1", "db2", "db1")):
            g, w = got[name], want[name]
            if _close(g, w):
                continue
            if name.startswith("b") and _close(g, w + p["lambd"] * p[name]):
                hint = f"{label} includes λ{name}: the note's s penalises only the weights, so a bias gets no λ term"
            elif name.startswith("b") and _close(g * N, w):
                hint = (f"{label} is n times too small: dO already carries the 1/n of the mean, "
                        "so sum its rows, do not average them")
            elif name.startswith("W"):
                hint = (f"{label} is off by up to {float((g - w).abs().max()):.2g}: include the biases in the "
                        "forward pass (Z = X W1ᵀ + b1, O = H W2ᵀ + b2); they change Z, H and O")
            else:
                hint = (f"{label} is off by up to {float((g - w).abs().max()):.2g}: a bias is added to every row, "
                        f"so its gradient is the sum over rows: db2 = dO.sum(0), db1 = dZ.sum(0)")
            break
    return verdict(hint is None, "dW1, db1, dW2 and db2 match autograd: db is the row sum of dO (or dZ)",
                   hint or "")


def _cubic(W):
    """f(W) = Σ W³ + W[0,0]·W[1,2], a test function with a known gradient."""
    return (W ** 3).sum() + W[0, 0] * W[1, 2]


def check_central_difference(fn) -> bool:
    """Check ``fn(f, W, index, h) -> float``: (f(W + h·e) − f(W − h·e)) / 2h at W[index], W restored.

    First on a function with a known gradient, then on the note's network
    (float64): the student's check must pass autograd's dW1 and catch a wrong
    dW1 that forgot the λW⁽¹⁾ term (relative error above 1e-2).
    """
    g = torch.Generator().manual_seed(3)
    W = torch.randn(3, 4, generator=g, dtype=torch.float64)
    before = W.clone()
    index, h = (1, 2), 1e-5
    exact = 3 * W[index].item() ** 2 + W[0, 0].item()
    value, hint = run_student_code(fn, _cubic, W, index, h)
    if hint is None and value is None:
        hint = "the function returned None: return (f(W + h·e) − f(W − h·e)) / (2h) as a number"
    if hint is None:
        try:
            value = float(value)
        except (TypeError, ValueError, RuntimeError):
            hint = f"return one number, got {type(value).__name__}"
    if hint is None and not torch.equal(W, before):
        hint = "W was changed: put W[index] back to its old value after the two evaluations"
    if hint is None and not math.isfinite(value):
        hint = f"the estimate is {value}: evaluate f at W + h·e and W − h·e, both finite"
    if hint is None and abs(value - exact) > 1e-7 * max(1.0, abs(exact)):
        with torch.no_grad():
            W[index] += h
            f_plus = _cubic(W).item()
            W.copy_(before)
        one_sided = (f_plus - _cubic(before).item()) / h
        if abs(value - one_sided) < 1e-9 * max(1.0, abs(exact)):
            hint = "that is a one-sided difference (f(W + h) − f(W)) / h; use (f(W + h·e) − f(W − h·e)) / (2h)"
        elif abs(value - 2 * exact) < 1e-5 * abs(exact):
            hint = "the estimate is twice the slope: divide by 2h, the distance between W − h·e and W + h·e"
        elif abs(2 * value - exact) < 1e-5 * abs(exact):
            hint = "the estimate is half the slope: divide by 2h, not 4h (or h²)"
        else:
            hint = (f"on f(W) = ΣW³ + W₀₀W₁₂ you return {value:.6g} at {index}, the slope is {exact:.6g}: "
                    "change only the entry W[index], by +h and by −h")
    if hint is not None:
        return verdict(False, "", hint)
    # the catch: the right dW1 passes, a dW1 that forgot λW⁽¹⁾ is caught
    p = problem(4)
    right = _autograd(p, torch.relu, ("W1", "W2"))["W1"]
    wrong = right - p["lambd"] * p["W1"]
    W1 = p["W1"].clone()

    def J(W):
        return _objective(p, torch.relu, W, p["W2"])

    entries = [(0, 0), (1, 3), (2, 5), (4, 1)]
    errors_right, errors_wrong = [], []
    for entry in entries:
        value, hint = run_student_code(fn, J, W1, entry, 1e-6)
        if hint is not None:
            return verdict(False, "", hint)
        value = float(value)
        errors_right.append(_rel(value, right[entry].item()))
        errors_wrong.append(_rel(value, wrong[entry].item()))
    if max(errors_right) > 1e-6:
        return verdict(False, "", f"on the network your estimates differ from autograd's dW1 by a relative "
                                  f"{max(errors_right):.1e}; with h = 1e-6 in float64 it should be below 1e-6")
    caught = max(errors_wrong) > 1e-2
    return verdict(caught,
                   f"relative errors ≤ {max(errors_right):.1e} on autograd's dW1, up to {max(errors_wrong):.1e} on "
                   "a dW1 that forgot λW⁽¹⁾: the check catches the bug",
                   "the wrong dW1 was not caught (relative error ≤ 1e-2)")


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1e-8, abs(a) + abs(b))
