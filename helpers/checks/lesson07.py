"""Checks for lesson 07, dropout (暂退法).

Each check calls the student's function on small fixed inputs, prints ✅ or ❌
with a specific hint, and returns the verdict as a bool. None of them raises
on a stub.

- ``check_dropout_net(fn)``: fn(dropout1, dropout2) -> d2l's 784-256-256-10 net with nn.Dropout after each hidden ReLU.
- ``check_dropout_variance(fn)``: fn(h, p) -> Var[h'] = h²·p / (1 − p), the noise dropout adds to a unit h.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.checks import run_student_code, verdict

__all__ = ["check_dropout_net", "check_dropout_variance"]


# --------------------------------------------------------------------------- exercise 1


def _layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if not isinstance(m, (nn.Sequential, nn.Flatten)) and m is not net
            and not list(m.children())]


def check_dropout_net(fn) -> bool:
    """``fn(dropout1, dropout2)``: Flatten, Linear(784, 256), ReLU, Dropout(dropout1), Linear(256, 256), ReLU,
    Dropout(dropout2), Linear(256, 10)."""
    net, error = run_student_code(fn, 0.2, 0.5)
    if error:
        return verdict(False, "", error)
    if net is None:
        return verdict(False, "", "dropout_net returned None: build and return an nn.Sequential")
    if not isinstance(net, nn.Module):
        return verdict(False, "", f"return an nn.Module (e.g. nn.Sequential), got {type(net).__name__}")
    layers = _layers(net)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    if shapes != [(784, 256), (256, 256), (256, 10)]:
        return verdict(False, "", f"the linear layers are {shapes}; d2l's net is 784 → 256 → 256 → 10")
    rates = [m.p for m in layers if isinstance(m, nn.Dropout)]
    if rates != [0.2, 0.5]:
        if rates == [0.5, 0.2]:
            return verdict(False, "", "the rates are swapped: dropout1 goes after the first hidden layer")
        return verdict(False, "", f"found dropout rates {rates}; expected [dropout1, dropout2] = [0.2, 0.5], "
                                  "one nn.Dropout per hidden layer")
    kinds = [type(m).__name__ for m in layers]
    want = ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    if kinds != want:
        if kinds and kinds[-1] == "Dropout":
            return verdict(False, "", "no dropout after the output layer: it would zero some of the 10 scores")
        return verdict(False, "", f"the layers are {kinds}; expected {want} (dropout after each hidden ReLU)")
    X = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(7))
    try:
        net.eval()
        with torch.no_grad():
            out = net(X)
            again = net(X)
    except Exception as err:
        return verdict(False, "", f"the net failed on a batch of shape (4, 1, 28, 28): {type(err).__name__}: {err}; "
                                  "start with nn.Flatten()")
    if out.shape != (4, 10) or not torch.equal(out, again):
        return verdict(False, "", "in eval mode the net should map (4, 1, 28, 28) to (4, 10) scores, the same every call")
    return verdict(True, "784-256-256-10 with Dropout(0.2) and Dropout(0.5) after the hidden ReLUs; "
                         "deterministic in eval mode", "")


# --------------------------------------------------------------------------- exercise 2


def check_dropout_variance(fn) -> bool:
    """``fn(h, p)``: elementwise Var[h'] of h' = h/(1 − p) with probability 1 − p, else 0; i.e. h²·p/(1 − p)."""
    h = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0])
    for p in (0.5, 0.2, 0.9, 0.0):
        got, error = run_student_code(fn, h.clone(), p)
        if error:
            return verdict(False, "", error)
        if got is None:
            return verdict(False, "", "dropout_variance returned None: return h² · p / (1 − p)")
        got = torch.as_tensor(got, dtype=torch.float32)
        if got.shape not in (h.shape, torch.Size([])) or (got.shape == torch.Size([]) and p > 0):
            return verdict(False, "", f"return one variance per element of h, shape {tuple(h.shape)}")
        want = h ** 2 * p / (1 - p)
        got = got.expand_as(h)
        if torch.allclose(got, want, rtol=1e-4, atol=1e-6):
            continue
        if torch.allclose(got, h ** 2 * p * (1 - p), rtol=1e-4, atol=1e-6):
            return verdict(False, "", "h²·p·(1 − p) forgets the scaling: the survivors are h/(1 − p), so "
                                      "E[h'²] = (1 − p)·h²/(1 − p)² = h²/(1 − p); subtract E[h']² = h²")
        if torch.allclose(got, h ** 2 / (1 - p), rtol=1e-4, atol=1e-6):
            return verdict(False, "", "h²/(1 − p) is E[h'²]; the variance subtracts the squared mean E[h']² = h²")
        if torch.allclose(got, h * p / (1 - p), rtol=1e-4, atol=1e-6):
            return verdict(False, "", "the variance scales with h², not h")
        return verdict(False, "", f"for p = {p} expected {want.tolist()}, got {got.tolist()}")
    return verdict(True, "Var[h'] = h²·p/(1 − p): no noise at p = 0, and it explodes as p → 1", "")
