"""Lesson 03's checks pass the solutions and fail stubs and wrong answers, without raising."""

import functools

import torch

from helpers.checks import lesson03


def sigmoid_derivative(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def silu_derivative(x):
    s = torch.sigmoid(x)
    return s + x * s * (1 - s)


def test_sigmoid_derivative(capsys):
    assert lesson03.check_sigmoid_derivative(sigmoid_derivative) is True
    assert lesson03.check_sigmoid_derivative(lambda x: None) is False
    assert lesson03.check_sigmoid_derivative(lambda x: torch.sigmoid(x) * (1 - x)) is False
    assert "σ′ = σ · (1 − σ)" in capsys.readouterr().out
    assert lesson03.check_sigmoid_derivative(lambda x: torch.sigmoid(x)) is False
    assert lesson03.check_sigmoid_derivative(lambda x: sigmoid_derivative(x)[:5]) is False
    assert lesson03.check_sigmoid_derivative(functools.partial(lambda x, k: x * k, k=0)) is False


def test_silu_derivative(capsys):
    assert lesson03.check_silu_derivative(silu_derivative) is True
    assert lesson03.check_silu_derivative(lambda x: None) is False
    assert lesson03.check_silu_derivative(sigmoid_derivative) is False
    assert "product rule" in capsys.readouterr().out
    assert lesson03.check_silu_derivative(lambda x: torch.sigmoid(x) + x * torch.sigmoid(x)) is False


def test_vanishing_depth(capsys):
    assert lesson03.check_vanishing_depth(10) is True
    assert lesson03.check_vanishing_depth(None) is False
    assert lesson03.check_vanishing_depth(9) is False
    assert "more layers" in capsys.readouterr().out
    assert lesson03.check_vanishing_depth(11) is False
    assert lesson03.check_vanishing_depth(10.0) is False
