"""helpers.checks.lesson05: each check passes the solution and fails wrong answers, never raising."""

import math

import pytest
import torch

from helpers.checks import lesson05 as checks


# --------------------------------------------------------------------------- solutions (as in the notebook)


def poly_features(x, max_degree):
    return torch.stack([x**i / math.factorial(i) for i in range(max_degree + 1)], dim=1)


def split(n, n_val, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[n_val:], order[:n_val]


def choose_degree(sweep):
    best = min(range(len(sweep["val_loss"])), key=lambda i: sweep["val_loss"][i])
    return sweep["degree"][best]


# --------------------------------------------------------------------------- exercise 1


def test_poly_features_solution_passes(capsys):
    assert checks.check_poly_features(poly_features) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, d: None, "returned None"),
    (lambda x, d: torch.stack([x**i for i in range(d + 1)], dim=1), "divide column i by i!"),
    (lambda x, d: torch.stack([x**i / math.factorial(i) for i in range(1, d + 1)], dim=1), "one column short"),
    (lambda x, d: torch.stack([x**i / math.factorial(i) for i in range(d + 1)], dim=0), "transpose"),
    (lambda x, d: torch.stack([x**i / (i + 1) for i in range(d + 1)], dim=1), "column 1"),
    (lambda x, d: x, "2-D tensor"),
    (lambda x, d: 1 / 0, "ZeroDivisionError"),
])
def test_poly_features_wrong_answers_fail_with_a_hint(wrong, hint, capsys):
    assert checks.check_poly_features(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and hint in out


def test_poly_features_stub_fails_without_raising(capsys):
    def stub(x, max_degree):
        # your code here
        return None
    assert checks.check_poly_features(stub) is False


# --------------------------------------------------------------------------- exercise 2


def test_split_solution_passes(capsys):
    assert checks.check_split(split) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, v, s: None, "returned None"),
    (lambda n, v, s: (torch.arange(v, n), torch.arange(v)), "first or last rows"),
    (lambda n, v, s: (torch.arange(n - v), torch.arange(n - v, n)), "first or last rows"),
    (lambda n, v, s: (torch.randperm(n)[v:], torch.randperm(n)[:v]), "both sets"),
    (lambda n, v, s: (torch.randperm(n)[:n - v], torch.arange(n)[:v]), None),
    (lambda n, v, s: split(n, v + 1, s), "exactly n_val"),
    (lambda n, v, s: (split(n, v, s)[0][1:], split(n, v, s)[1]), "n − n_val"),
    (lambda n, v, s: split(n, v, 0), "seed=1 gave the same split"),
    (lambda n, v, s: (lambda o: (o[v:], o[:v]))(torch.randperm(n)), "same seed gave a different split"),
    (lambda n, v, s: (torch.rand(n - v), torch.rand(v)), "integer indices"),
    (lambda n, v, s: split(n, v, s)[1], "pair"),
])
def test_split_wrong_answers_fail(wrong, hint, capsys):
    assert checks.check_split(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out
    if hint:
        assert hint in out


# --------------------------------------------------------------------------- exercise 3


def test_choose_degree_solution_passes(capsys):
    assert checks.check_choose_degree(choose_degree) is True
    assert "✅" in capsys.readouterr().out


def by_train(sweep):
    best = min(range(len(sweep["train_loss"])), key=lambda i: sweep["train_loss"][i])
    return sweep["degree"][best]


def by_position(sweep):
    return min(range(len(sweep["val_loss"])), key=lambda i: sweep["val_loss"][i])


def by_gap(sweep):
    gaps = [v - t for t, v in zip(sweep["train_loss"], sweep["val_loss"])]
    return sweep["degree"][min(range(len(gaps)), key=gaps.__getitem__)]


@pytest.mark.parametrize("wrong, hint", [
    (lambda s: None, "returned None"),
    (by_train, "lowest *training* loss"),
    (by_position, "position in the list"),
    (by_gap, "smallest gap"),
    (lambda s: 4, "not the one with the lowest validation loss"),
    (lambda s: 7, "not one of the degrees"),
    (lambda s: "3", "an int"),
    (lambda s: s["degree"][-1], None),
])
def test_choose_degree_wrong_answers_fail(wrong, hint, capsys):
    assert checks.check_choose_degree(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out
    if hint:
        assert hint in out


def test_choose_degree_does_not_let_the_student_change_the_tables():
    def vandal(sweep):
        sweep["val_loss"].clear()
        return 3
    checks.check_choose_degree(vandal)
    assert checks.SWEEPS[0]["val_loss"][3] == 0.0187
    assert checks.check_choose_degree(choose_degree) is True
