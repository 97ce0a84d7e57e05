"""Lesson 08's exercise checks: each passes the solution and fails wrong answers, never raising."""

import pytest
import torch
import torch.nn.functional as F

from helpers.checks import lesson08


# --------------------------------------------------------------------------- the notebook's solutions

def grads_activation(X, y, W1, W2, lambd, activation="tanh"):
    n = X.shape[0]
    Z = X @ W1.T                                           # (n, h)
    H = torch.tanh(Z) if activation == "tanh" else torch.sigmoid(Z)
    O = H @ W2.T                                           # (n, q)
    dO = (torch.softmax(O, dim=1) - F.one_hot(y, W2.shape[0]).to(O.dtype)) / n
    dW2 = dO.T @ H + lambd * W2                            # (q, h)
    dH = dO @ W2                                           # (n, h)
    dZ = dH * ((1 - H ** 2) if activation == "tanh" else H * (1 - H))
    dW1 = dZ.T @ X + lambd * W1                            # (h, d)
    return dW1, dW2


def grads_tanh(X, y, W1, W2, lambd):
    return grads_activation(X, y, W1, W2, lambd, "tanh")


def grads_sigmoid(X, y, W1, W2, lambd):
    return grads_activation(X, y, W1, W2, lambd, "sigmoid")


def grads_bias(X, y, W1, b1, W2, b2, lambd, mistake=None):
    n = X.shape[0]
    Z = X @ W1.T + (0 if mistake == "no_bias_forward" else b1)
    H = torch.relu(Z)
    O = H @ W2.T + (0 if mistake == "no_bias_forward" else b2)
    dO = (torch.softmax(O, dim=1) - F.one_hot(y, W2.shape[0]).to(O.dtype)) / n
    dW2 = dO.T @ H + lambd * W2
    db2 = dO.sum(dim=0)
    dH = dO @ W2
    dZ = dH * (Z > 0)
    dW1 = dZ.T @ X + lambd * W1
    db1 = dZ.sum(dim=0)
    if mistake == "penalised":
        db1, db2 = db1 + lambd * b1, db2 + lambd * b2
    elif mistake == "mean":
        db1, db2 = dZ.mean(dim=0), dO.mean(dim=0)
    elif mistake == "per_row":
        db2 = dO
    elif mistake == "no_sum":
        db1 = dZ[0]
    return dW1, db1, dW2, db2


def central_difference(f, W, index, h=1e-6):
    old = W[index].item()
    W[index] = old + h
    f_plus = float(f(W))
    W[index] = old - h
    f_minus = float(f(W))
    W[index] = old
    return (f_plus - f_minus) / (2 * h)


# --------------------------------------------------------------------------- activation

@pytest.mark.parametrize("fn,activation", [(grads_tanh, "tanh"), (grads_sigmoid, "sigmoid")])
def test_activation_solution_passes(fn, activation, capsys):
    assert lesson08.check_activation_backward(fn, activation) is True
    assert "✅" in capsys.readouterr().out


def stub(*args):
    # your code here
    return None


def relu_kept(X, y, W1, W2, lambd):
    n = X.shape[0]
    Z = X @ W1.T
    H = torch.tanh(Z)
    dO = (torch.softmax(H @ W2.T, dim=1) - F.one_hot(y, W2.shape[0]).to(Z.dtype)) / n
    dZ = (dO @ W2) * (Z > 0)
    return dZ.T @ X + lambd * W1, dO.T @ H + lambd * W2


def no_penalty_w1(X, y, W1, W2, lambd):
    dW1, dW2 = grads_tanh(X, y, W1, W2, lambd)
    return dW1 - lambd * W1, dW2


def no_penalty_w2(X, y, W1, W2, lambd):
    dW1, dW2 = grads_tanh(X, y, W1, W2, lambd)
    return dW1, dW2 - lambd * W2


def transposed(X, y, W1, W2, lambd):
    dW1, dW2 = grads_tanh(X, y, W1, W2, lambd)
    return dW1.T, dW2


def raises(X, y, W1, W2, lambd):
    raise NotImplementedError


@pytest.mark.parametrize("wrong,words", [
    (stub, "returned None"),
    (raises, "NotImplementedError"),
    (relu_kept, "ReLU's derivative"),
    (no_penalty_w1, "λW⁽¹⁾"),
    (no_penalty_w2, "λW⁽²⁾"),
    (transposed, "shape"),
    (grads_sigmoid, "dW"),
    (lambda *a: (torch.zeros(5, 6), torch.zeros(3, 5)), "off by"),
    (lambda *a: (1, 2), "not a tensor"),
    (lambda *a: (torch.zeros(5, 6),), "tuple of 2"),
])
def test_activation_wrong_answers_fail_with_a_hint(wrong, words, capsys):
    assert lesson08.check_activation_backward(wrong, "tanh") is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_activation_phi_instead_of_derivative_is_named(capsys):
    def phi_not_derivative(X, y, W1, W2, lambd):
        n = X.shape[0]
        Z = X @ W1.T
        H = torch.tanh(Z)
        dO = (torch.softmax(H @ W2.T, dim=1) - F.one_hot(y, W2.shape[0]).to(Z.dtype)) / n
        dZ = (dO @ W2) * H
        return dZ.T @ X + lambd * W1, dO.T @ H + lambd * W2

    assert lesson08.check_activation_backward(phi_not_derivative) is False
    assert "not φ itself" in capsys.readouterr().out


def test_activation_tanh_answer_fails_the_sigmoid_check():
    assert lesson08.check_activation_backward(grads_tanh, "sigmoid") is False


def test_activation_check_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match="activation="):
        lesson08.check_activation_backward(grads_tanh, "relu6")


# --------------------------------------------------------------------------- biases

def test_bias_solution_passes(capsys):
    assert lesson08.check_bias_backward(grads_bias) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("mistake,words", [
    ("penalised", "no λ term"),
    ("mean", "n times too small"),
    ("per_row", "sum the rows"),
    ("no_bias_forward", "include the biases"),
    ("no_sum", "sum over rows"),
])
def test_bias_wrong_answers_fail_with_a_hint(mistake, words, capsys):
    def wrong(*args):
        return grads_bias(*args, mistake=mistake)

    assert lesson08.check_bias_backward(wrong) is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_bias_stub_fails(capsys):
    assert lesson08.check_bias_backward(stub) is False
    assert "returned None" in capsys.readouterr().out


# --------------------------------------------------------------------------- central difference

def test_central_difference_solution_passes_and_catches_the_bug(capsys):
    assert lesson08.check_central_difference(central_difference) is True
    out = capsys.readouterr().out
    assert "✅" in out and "catches the bug" in out


def one_sided(f, W, index, h=1e-6):
    old = W[index].item()
    f0 = float(f(W))
    W[index] = old + h
    f_plus = float(f(W))
    W[index] = old
    return (f_plus - f0) / h


def not_restored(f, W, index, h=1e-6):
    old = W[index].item()
    W[index] = old + h
    f_plus = float(f(W))
    W[index] = old - h
    f_minus = float(f(W))
    return (f_plus - f_minus) / (2 * h)


def over_h(f, W, index, h=1e-6):
    return 2 * central_difference(f, W, index, h)


def whole_tensor(f, W, index, h=1e-6):
    return (float(f(W + h)) - float(f(W - h))) / (2 * h)


@pytest.mark.parametrize("wrong,words", [
    (stub, "returned None"),
    (one_sided, "one-sided"),
    (not_restored, "put W[index] back"),
    (over_h, "twice the slope"),
    (whole_tensor, "change only the entry"),
    (lambda f, W, i, h: "a", "one number"),
    (lambda f, W, i, h: float("nan"), "finite"),
])
def test_central_difference_wrong_answers_fail_with_a_hint(wrong, words, capsys):
    assert lesson08.check_central_difference(wrong) is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_problem_is_seeded_and_shaped():
    a, b = lesson08.problem(0), lesson08.problem(0)
    assert torch.equal(a["X"], b["X"]) and torch.equal(a["W1"], b["W1"])
    assert a["X"].shape == (7, 6) and a["W1"].shape == (5, 6) and a["W2"].shape == (3, 5)
    assert a["y"].dtype == torch.int64 and a["X"].dtype == torch.float64
    assert "b1" in lesson08.problem(0, biases=True)
