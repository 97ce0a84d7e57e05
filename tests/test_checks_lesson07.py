"""Lesson 07 checks: each accepts the solution and refuses wrong answers without raising."""

import torch
from torch import nn

from helpers.checks import lesson07 as checks


# --------------------------------------------------------------------------- exercise 1: the concise net


def dropout_net(dropout1, dropout2):
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout1),
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout2),
                         nn.Linear(256, 10))


def test_dropout_net_accepts_the_solution(capsys):
    assert checks.check_dropout_net(dropout_net) is True
    assert "✅" in capsys.readouterr().out


def test_dropout_net_hints(capsys):
    def no_dropout(d1, d2):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))

    def swapped(d1, d2):
        return dropout_net(d2, d1)

    def wrong_width(d1, d2):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(d1), nn.Linear(128, 256),
                             nn.ReLU(), nn.Dropout(d2), nn.Linear(256, 10))

    def dropout_before_relu(d1, d2):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.Dropout(d1), nn.ReLU(), nn.Linear(256, 256),
                             nn.Dropout(d2), nn.ReLU(), nn.Linear(256, 10))

    def output_dropout(d1, d2):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Dropout(d1), nn.Linear(256, 10), nn.Dropout(d2))

    def no_flatten(d1, d2):
        return nn.Sequential(*list(dropout_net(d1, d2))[1:])

    cases = {"expected [dropout1, dropout2]": no_dropout, "swapped": swapped, "784 → 256 → 256 → 10": wrong_width,
             "after each hidden ReLU": dropout_before_relu, "after the output layer": output_dropout,
             "nn.Flatten()": no_flatten, "returned None": lambda d1, d2: None, "nn.Module": lambda d1, d2: "net"}
    for hint, fn in cases.items():
        assert checks.check_dropout_net(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


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
