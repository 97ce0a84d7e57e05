"""Lesson 07 checks: each accepts the solution and refuses wrong answers without raising."""

import torch
from torch import nn

from helpers.checks import lesson07 as checks


# --------------------------------------------------------------------------- exercise 1: a dropout module


def dropout_layer(X, dropout):
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


class MyDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, X):
        if self.training:
            return dropout_layer(X, self.p)
        return X


def test_dropout_module_accepts_the_solution_and_nn_dropout(capsys):
    assert checks.check_dropout_module(MyDropout) is True
    assert checks.check_dropout_module(nn.Dropout) is True
    assert "✅" in capsys.readouterr().out


def make(forward):
    class Wrong(nn.Module):
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, X):
            return forward(self, X)
    return Wrong


def test_dropout_module_hints(capsys):
    def keep_p(self, X):
        if not self.training or self.p in (0, 1):
            return dropout_layer(X, self.p) if self.training else X
        return dropout_layer(X, 1 - self.p)

    def no_scaling(self, X):
        if not self.training or self.p in (0, 1):
            return dropout_layer(X, self.p) if self.training else X
        return (torch.rand(X.shape) > self.p).float() * X

    def nan_at_one(self, X):
        return (torch.rand(X.shape) > self.p).float() * X / (1 - self.p) if self.training else X

    class NotAModule:
        def __init__(self, p):
            self.p = p

    cases = {
        "in eval mode the layer must return its input unchanged": make(lambda self, X: dropout_layer(X, self.p)),
        "nothing was dropped": make(lambda self, X: X),
        "not of keeping it": make(keep_p),
        "scale the survivors": make(no_scaling),
        "NaN": make(nan_at_one),
        "forward returned None": make(lambda self, X: None),
        "nn.Module": NotAModule,
    }
    for hint, cls in cases.items():
        assert checks.check_dropout_module(cls) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_dropout_module_stub_does_not_raise(capsys):
    class Stub(nn.Module):
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, X):
            # your code here
            return None
    assert checks.check_dropout_module(Stub) is False
    assert "❌" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercise 2: the variance dropout adds


def dropout_variance(h, p):
    return h ** 2 * p / (1 - p)


def test_dropout_variance_accepts_the_solution(capsys):
    assert checks.check_dropout_variance(dropout_variance) is True
    assert "✅" in capsys.readouterr().out


def test_dropout_variance_matches_simulation():
    torch.manual_seed(0)
    h, p = 2.0, 0.3
    samples = torch.where(torch.rand(200_000) > p, torch.tensor(h / (1 - p)), torch.tensor(0.0))
    assert abs(float(samples.var()) - float(dropout_variance(torch.tensor(h), p))) < 0.05


def test_dropout_variance_hints(capsys):
    cases = {
        "forgets the scaling": lambda h, p: h ** 2 * p * (1 - p),
        "squared mean": lambda h, p: h ** 2 / (1 - p),
        "scales with h²": lambda h, p: h * p / (1 - p),
        "returned None": lambda h, p: None,
        "expected": lambda h, p: h ** 2 * p,
    }
    for hint, fn in cases.items():
        assert checks.check_dropout_variance(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_dropout_variance_reports_an_exception(capsys):
    def stub(h, p):
        raise NotImplementedError
    assert checks.check_dropout_variance(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out
