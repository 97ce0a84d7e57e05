"""Lesson 02's checks pass the solutions and fail stubs and wrong answers, without raising."""

from helpers.checks import lesson02


def count_params_solution(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def compose_solution(W1, b1, W2, b2):
    return W2 @ W1, W2 @ b1 + b2


def test_count_params(capsys):
    assert lesson02.check_count_params(count_params_solution) is True
    assert "203,530" in capsys.readouterr().out
    assert lesson02.check_count_params(lambda sizes: None) is False
    assert lesson02.check_count_params(lambda s: sum(a * b for a, b in zip(s[:-1], s[1:]))) is False
    assert "bias" in capsys.readouterr().out
    assert lesson02.check_count_params(lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])) + sum(s)) is False
    assert lesson02.check_count_params(lambda s: 203530) is False  # right for one net only
    assert lesson02.check_count_params(lambda s: s[99]) is False


def test_compose(capsys):
    assert lesson02.check_compose(compose_solution) is True
    assert lesson02.check_compose(lambda W1, b1, W2, b2: None) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W2 @ W1, b2)) is False
    assert "W2 b1 + b2" in capsys.readouterr().out
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W1.T @ W2.T, b2)) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W1.T @ W2.T).T * 2, W2 @ b1 + b2)) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W2 @ W1, "b")) is False


def test_odd_return_types_fail_without_raising():
    import numpy as np
    import torch

    assert lesson02.check_count_params(lambda s: np.array([1, 2])) is False
    assert lesson02.check_count_params(lambda s: "203530") is False
    assert lesson02.check_count_params(lambda s: torch.tensor(count_params_solution(s))) is True
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W2 @ W1).long(), (W2 @ b1 + b2).long())) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W2 @ W1).double(), (W2 @ b1 + b2).double())) is True
