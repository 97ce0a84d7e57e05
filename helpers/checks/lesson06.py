"""Checks for lesson 06, weight decay (权重衰减).

Each check calls the student's function on small fixed inputs, prints ✅ or ❌
with a specific hint, and returns the verdict as a bool. None of them raises
on a stub.

- ``check_mlp_penalty(fn)``: fn(net, lambd) -> the note's s = λ/2 (‖W⁽¹⁾‖² + ‖W⁽²⁾‖² + …), a differentiable scalar.
- ``check_decay_step(fn)``: fn(w, grad, lr, lambd) -> w − lr·(grad + λw), one SGD step on objective (1).
- ``check_decay_groups(fn)``: fn(net, lambd) -> optimizer parameter groups: weights decayed by λ, biases not.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.checks import run_student_code, verdict

__all__ = ["check_mlp_penalty", "check_decay_step", "check_decay_groups"]


def _check_net() -> nn.Sequential:
    """A small MLP with fixed weights (4-3-2), so a penalty has one right value."""
    gen = torch.Generator().manual_seed(6)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net


def _scalar(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value
    return None


# --------------------------------------------------------------------------- exercise 1


def check_mlp_penalty(fn) -> bool:
    """``fn(net, lambd)``: the note's s = λ/2 Σ_l ‖W⁽ˡ⁾‖² over the weight matrices (biases excluded)."""
    net = _check_net()
    weights = [p for p in net.parameters() if p.dim() > 1]
    biases = [p for p in net.parameters() if p.dim() == 1]
    with torch.no_grad():
        sq_w = sum(float((w ** 2).sum()) for w in weights)
        sq_b = sum(float((b ** 2).sum()) for b in biases)
        norms = sum(float(w.norm()) for w in weights)
    for lambd in (0.1, 3.0):
        got, error = run_student_code(fn, net, lambd)
        if error:
            return verdict(False, "", error)
        if got is None:
            return verdict(False, "", "mlp_penalty returned None: add up ‖W‖²/2 over the net's weight matrices "
                                      "and multiply by lambd")
        value = _scalar(got)
        if value is None:
            return verdict(False, "", f"return a scalar tensor (so the penalty can be backpropagated), got "
                                      f"{type(got).__name__}{tuple(getattr(got, 'shape', ()))}")
        v = float(value.detach())
        want = lambd * sq_w / 2

        def near(x):
            return abs(v - x) <= 1e-4 * max(1.0, abs(x))

        if near(want):
            continue
        if near(lambd * (sq_w + sq_b) / 2):
            return verdict(False, "", "the biases are included: s penalizes the weight matrices W⁽¹⁾, W⁽²⁾ only "
                                      "(keep parameters with p.dim() > 1)")
        if near(lambd * sq_w):
            return verdict(False, "", "that is λ‖W‖², twice too large: equation (1) has λ/2 in front")
        if near(sq_w / 2):
            return verdict(False, "", f"the value does not change with lambd (got {v:.4f} for λ = {lambd}): "
                                      "multiply by lambd")
        if near(lambd * norms / 2):
            return verdict(False, "", "use the squared norm ‖W‖² (sum of squares), not the norm ‖W‖")
        return verdict(False, "", f"for λ = {lambd} expected λ/2·Σ‖W‖² = {want:.4f}, got {v:.4f}")
    if not value.requires_grad:
        return verdict(False, "", "the value is right but carries no gradient: compute it with torch operations on "
                                  "the parameters (no .item(), float() or torch.no_grad())")
    value.backward()
    if not all(w.grad is not None and torch.allclose(w.grad, 3.0 * w) for w in weights):
        return verdict(False, "", "the gradient with respect to each W should be λW")
    return verdict(True, "s = λ/2 (‖W⁽¹⁾‖² + ‖W⁽²⁾‖²), biases excluded, and its gradient is λW", "")


# --------------------------------------------------------------------------- exercise 2


def check_decay_step(fn) -> bool:
    """``fn(w, grad, lr, lambd)``: the SGD step on objective (1), w − lr·(grad + λw), as a new tensor."""
    gen = torch.Generator().manual_seed(60)
    w = torch.randn(5, 3, generator=gen)
    grad = torch.randn(5, 3, generator=gen)
    for lr, lambd in ((0.1, 0.5), (0.03, 3.0), (0.1, 0.0)):
        got, error = run_student_code(fn, w.clone(), grad.clone(), lr, lambd)
        if error:
            return verdict(False, "", error)
        if got is None:
            return verdict(False, "", "decay_step returned None: return the updated weights")
        if not isinstance(got, torch.Tensor) or got.shape != w.shape:
            return verdict(False, "", f"return a tensor shaped like w {tuple(w.shape)}, got "
                                      f"{type(got).__name__}{tuple(getattr(got, 'shape', ()))}")
        want = w - lr * (grad + lambd * w)
        if torch.allclose(got, want, atol=1e-6):
            continue
        if torch.allclose(got, w - lr * grad, atol=1e-6):
            return verdict(False, "", "that is the plain SGD step: the gradient of λ/2‖w‖² adds λw to grad")
        if torch.allclose(got, w - lr * (grad + lambd * w / 2), atol=1e-6):
            return verdict(False, "", "the gradient of λ/2‖w‖² is λw (the 1/2 cancels the 2 of the square), not λw/2")
        if torch.allclose(got, w + lr * (grad + lambd * w), atol=1e-6):
            return verdict(False, "", "the step goes uphill: subtract lr·(grad + λw)")
        if torch.allclose(got, (1 - lambd) * w - lr * grad, atol=1e-6):
            return verdict(False, "", "the decay factor is (1 − lr·λ), not (1 − λ): the decay is scaled by lr too")
        return verdict(False, "", f"for lr={lr}, λ={lambd} expected w − lr·(grad + λw); the largest difference is "
                                  f"{float((got - want).abs().max()):.4g}")
    return verdict(True, "w ← w − lr·(grad + λw) = (1 − lr·λ)·w − lr·grad: the weights shrink before each step", "")


# --------------------------------------------------------------------------- exercise 3


def check_decay_groups(fn) -> bool:
    """``fn(net, lambd)``: parameter groups for torch.optim: weight matrices with weight_decay=λ, the rest with 0."""
    net = _check_net()
    lambd = 0.01
    groups, error = run_student_code(fn, net, lambd)
    if error:
        return verdict(False, "", error)
    if groups is None:
        return verdict(False, "", "decay_groups returned None: return a list of dicts such as "
                                  "[{'params': [...], 'weight_decay': lambd}, {'params': [...], 'weight_decay': 0}]")
    try:
        optimizer = torch.optim.SGD(groups, lr=0.1)
    except Exception as err:
        return verdict(False, "", f"torch.optim.SGD(groups, lr=0.1) refused the groups ({type(err).__name__}: {err}); "
                                  "give a list of dicts, each with a 'params' list")
    decay_of = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            decay_of[id(p)] = group["weight_decay"]
    params = list(net.parameters())
    missing = [p for p in params if id(p) not in decay_of]
    if missing:
        return verdict(False, "", f"{len(missing)} of the net's {len(params)} parameters are in no group: the "
                                  "optimizer would never train them. Put every weight and every bias in a group")
    for p in params:
        want = lambd if p.dim() > 1 else 0.0
        if decay_of[id(p)] != want:
            what = "a weight matrix" if p.dim() > 1 else "a bias"
            return verdict(False, "", f"{what} of shape {tuple(p.shape)} has weight_decay={decay_of[id(p)]}; "
                                      f"weights get λ = {lambd}, biases 0 (d2l decays only the weights)")
    return verdict(True, "every weight matrix decays with λ, every bias with 0, and no parameter is left out", "")
