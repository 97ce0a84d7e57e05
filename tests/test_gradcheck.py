"""helpers.gradcheck: cmp against a reference, relative error, and central differences."""

import pytest
import torch

from helpers.gradcheck import cmp, grad_check_sparse, numerical_gradient_at, rel_error


def test_cmp_prints_exact_approx_and_maxdiff(capsys):
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    assert cmp("dW", a, a.clone()) == 0.0
    line = capsys.readouterr().out
    assert "dW" in line and "exact: True" in line and "approximate: True" in line and "maxdiff: 0" in line

    diff = cmp("dW", a, a + 1e-9)
    line = capsys.readouterr().out
    assert diff == pytest.approx(1e-9, rel=1e-3)
    assert "exact: False" in line and "approximate: True" in line

    assert cmp("dW", a, a + 1.0) == pytest.approx(1.0)
    line = capsys.readouterr().out
    assert "exact: False" in line and "approximate: False" in line and "maxdiff: 1" in line


def test_cmp_compares_with_a_grad_of_another_dtype(capsys):
    a = torch.ones(3, dtype=torch.float64)
    assert cmp("x", a, torch.ones(3, dtype=torch.float32)) == 0.0


def test_cmp_refuses_bad_arguments():
    a = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"ours has shape \(2, 3\) but theirs has shape \(3, 2\)"):
        cmp("dW", a, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="retain_grad"):
        cmp("dZ", a, None)
    with pytest.raises(ValueError, match="name="):
        cmp(3, a, a)
    with pytest.raises(ValueError, match="ours must be a torch.Tensor"):
        cmp("dW", [1, 2], a)


def test_rel_error_as_cs231n():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(0.0, 0.0) == 0.0  # the 1e-8 floor avoids 0/0
    a = torch.tensor([1.0, 2.0, 0.0])
    b = torch.tensor([1.0, 2.0, 1e-9])
    assert rel_error(a, b) == pytest.approx(1e-9 / 1e-8)
    with pytest.raises(ValueError, match="shape"):
        rel_error(torch.zeros(2), torch.zeros(3))


def test_numerical_gradient_matches_a_known_derivative_and_restores_x():
    x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64)
    before = x.clone()

    def f(t):
        return (t ** 3).sum()

    for index in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        estimate = numerical_gradient_at(f, x, index, h=1e-5)
        assert rel_error(estimate, 3 * before[index].item() ** 2) < 1e-8
    assert torch.equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = torch.zeros(3, dtype=torch.float64)

    def boom(t):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient_at(boom, x, (1,))
    assert torch.equal(x, torch.zeros(3, dtype=torch.float64))


def test_numerical_gradient_refuses_bad_arguments():
    x = torch.zeros(2, 3, dtype=torch.float64)
    f = lambda t: t.sum()  # noqa: E731
    with pytest.raises(ValueError, match="index=.*shape \\(2, 3\\)"):
        numerical_gradient_at(f, x, (2, 0))
    with pytest.raises(ValueError, match="index="):
        numerical_gradient_at(f, x, (0,))
    with pytest.raises(ValueError, match="h="):
        numerical_gradient_at(f, x, (0, 0), h=0)
    with pytest.raises(ValueError, match="h="):
        numerical_gradient_at(f, x, (0, 0), h=float("nan"))
    with pytest.raises(ValueError, match="f="):
        numerical_gradient_at("f", x, (0, 0))
    with pytest.raises(ValueError, match="floating-point"):
        numerical_gradient_at(f, torch.zeros(2, 3, dtype=torch.int64), (0, 0))


def test_grad_check_sparse_passes_a_right_gradient_and_catches_a_wrong_one(capsys):
    torch.manual_seed(0)
    A = torch.randn(4, 5, dtype=torch.float64)
    W = torch.randn(5, 3, dtype=torch.float64)

    def f(w):
        return torch.tanh(A @ w).sum()

    right = A.T @ (1 - torch.tanh(A @ W) ** 2)  # d/dW of sum(tanh(A W)), (5, 3)
    before = W.clone()
    errors = grad_check_sparse(f, W, right, num_checks=8, seed=1)
    assert len(errors) == 8 and max(errors) < 1e-7
    assert "relative error" in capsys.readouterr().out
    assert torch.equal(W, before)
    wrong = right + 0.1
    assert max(grad_check_sparse(f, W, wrong, num_checks=8, seed=1, verbose=False)) > 1e-3
    # the same seed checks the same entries
    assert grad_check_sparse(f, W, right, num_checks=8, seed=1, verbose=False) == errors


def test_grad_check_sparse_refuses_bad_arguments():
    W = torch.zeros(2, 3, dtype=torch.float64)
    f = lambda t: t.sum()  # noqa: E731
    with pytest.raises(ValueError, match=r"analytic has shape \(3, 2\) but x has shape \(2, 3\)"):
        grad_check_sparse(f, W, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="num_checks="):
        grad_check_sparse(f, W, torch.zeros(2, 3), num_checks=0)
    with pytest.raises(ValueError, match="empty"):
        grad_check_sparse(f, torch.zeros(0, dtype=torch.float64), torch.zeros(0))


def test_grad_check_sparse_checks_distinct_entries(capsys):
    x = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    f = lambda t: (t ** 2).sum()  # noqa: E731
    errors = grad_check_sparse(f, x, 2 * x, num_checks=10, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(errors) == 6 and len(set(line.split(")")[0] for line in lines)) == 6
