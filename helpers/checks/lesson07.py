"""Checks for lesson 07, dropout (暂退法).

Each check calls the student's function on small fixed inputs, prints ✅ or ❌
with a specific hint, and returns the verdict as a bool. None of them raises
on a stub.

- ``check_dropout_module(cls)``: cls(p) -> an nn.Module doing dropout in train mode and nothing in eval mode.
- ``check_dropout_variance(fn)``: fn(h, p) -> Var[h'] = h²·p / (1 − p), the noise dropout adds to a unit h.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.checks import run_student_code, verdict

__all__ = ["check_dropout_module", "check_dropout_variance"]


# --------------------------------------------------------------------------- exercise 1


def _output(layer, X):
    out, error = run_student_code(layer, X.clone())
    if error:
        return None, error
    if out is None:
        return None, "forward returned None: return the (dropped-out) tensor"
    if not isinstance(out, torch.Tensor) or out.shape != X.shape:
        return None, (f"forward should return a tensor shaped like its input {tuple(X.shape)}, got "
                      f"{type(out).__name__}{tuple(getattr(out, 'shape', ()))}")
    return out, None


def check_dropout_module(cls) -> bool:
    """``cls(p)``: an nn.Module that drops each element with probability p in train mode (survivors
    scaled by 1/(1 − p)) and returns its input unchanged in eval mode."""
    ones = torch.ones(400, 500)
    X = torch.rand(3, 7, generator=torch.Generator().manual_seed(7)) + 0.5
    for p in (0.5, 0.2, 0.0, 1.0):
        layer, error = run_student_code(cls, p)
        if error:
            return verdict(False, "", error)
        if not isinstance(layer, nn.Module):
            return verdict(False, "", f"{getattr(cls, '__name__', 'the class')}(p) should be an nn.Module: "
                                      "write `class MyDropout(nn.Module):` and call super().__init__()")
        layer.train()
        out, hint = _output(layer, ones)
        if hint:
            return verdict(False, "", f"in train mode with p = {p}: {hint}")
        if out.isnan().any():
            return verdict(False, "", f"p = {p} gives NaN: at p = 1 return zeros instead of dividing by 1 − p = 0")
        zeroed = float((out == 0).float().mean())
        if p < 1 and torch.equal(out, ones) and p > 0:
            return verdict(False, "", "in train mode nothing was dropped: apply dropout_layer(X, self.p) "
                                      "when self.training is True")
        if abs(zeroed - p) > 0.02:
            if abs(zeroed - (1 - p)) <= 0.02:
                return verdict(False, "", f"a fraction {zeroed:.2f} was zeroed for p = {p}: p is the probability "
                                          "of dropping a unit, not of keeping it")
            return verdict(False, "", f"with p = {p} a fraction {zeroed:.3f} of the units was zeroed; expected about {p}")
        survivors = out[out != 0]
        if p < 1 and not torch.allclose(survivors, torch.full_like(survivors, 1 / (1 - p))):
            return verdict(False, "", f"with p = {p} the surviving ones became {float(survivors[0]):.3f}; scale the "
                                      f"survivors by 1/(1 − p) = {1 / (1 - p):.3f} so the expectation stays the same")
        layer.eval()
        out, hint = _output(layer, X)
        if hint:
            return verdict(False, "", f"in eval mode: {hint}")
        if not torch.equal(out, X):
            return verdict(False, "", "in eval mode the layer must return its input unchanged: check self.training "
                                      "(net.eval() sets it to False)")
    return verdict(True, "drops a share p in train mode with survivors scaled by 1/(1 − p), passes X through "
                         "in eval mode, and handles p = 0 and p = 1", "")


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
