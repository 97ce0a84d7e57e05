"""helpers.lesson08: the central difference, and lesson 08's exercise checks.

Every check passes the notebook's solution and fails wrong answers with a specific hint, never raising;
the hand-gradient checks also refuse answers computed through autograd.
"""

import weakref

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from helpers import lesson08
from helpers.lesson08 import rel_error


# --------------------------------------------------------------------------- gradient-checking tools

def test_rel_error_as_cs231n():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(0.0, 0.0) == 0.0  # the 1e-8 floor avoids 0/0
    assert rel_error(torch.tensor([1.0, 2.0, 0.0]), torch.tensor([1.0, 2.0, 1e-9])) == pytest.approx(1e-9 / 1e-8)


def test_central_difference_matches_a_known_derivative_and_restores_x():
    x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64)
    before = x.clone()
    for index in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        estimate = lesson08.central_difference(lambda t: (t ** 3).sum(), x, index, 1e-5)
        assert rel_error(estimate, 3 * before[index].item() ** 2) < 1e-8
    assert torch.equal(x, before)


def test_central_difference_restores_x_when_f_raises():
    x = torch.zeros(3, dtype=torch.float64)

    def boom(t):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        lesson08.central_difference(boom, x, (1,), 1e-6)
    assert torch.equal(x, torch.zeros(3, dtype=torch.float64))


# --------------------------------------------------------------------------- the checks' reference

@pytest.mark.parametrize("seed,activation,biases", [(1, "tanh", False), (1, "sigmoid", False), (2, "relu", True)])
def test_reference_gradients_agree_with_autograd(seed, activation, biases):
    """The checks' central-difference reference is right: it equals autograd's gradients to 1e-8."""
    p = lesson08.problem(seed, biases)
    ref = lesson08.reference(p, lesson08.PHI[activation])
    leaves = {k: p[k].clone().requires_grad_(True) for k in ref}
    lesson08._objective(p, lesson08.PHI[activation], **leaves).backward()
    for k in ref:
        assert torch.allclose(ref[k], leaves[k].grad, rtol=0, atol=1e-8), k


def test_problem_is_seeded_and_shaped():
    a, b = lesson08.problem(0), lesson08.problem(0)
    assert torch.equal(a["X"], b["X"]) and torch.equal(a["W1"], b["W1"])
    assert a["X"].shape == (7, 6) and a["W1"].shape == (5, 6) and a["W2"].shape == (3, 5)
    assert a["y"].dtype == torch.int64 and a["X"].dtype == torch.float64
    assert list(lesson08.problem(0, biases=True)) == ["X", "y", "W1", "b1", "W2", "b2", "lambd"]


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
    elif mistake == "no_penalty":
        dW1 = dW1 - lambd * W1
    return dW1, db1, dW2, db2


def central_difference(f, W, index, h=1e-6):
    old = W[index].item()
    W[index] = old + h
    f_plus = float(f(W))
    W[index] = old - h
    f_minus = float(f(W))
    W[index] = old
    return (f_plus - f_minus) / (2 * h)


def stub(*args):
    # your code here
    return None


# --------------------------------------------------------------------------- answers through autograd

def tanh_objective(X, y, W1, W2, lambd, b1=0, b2=0, phi=torch.tanh):
    O = phi(X @ W1.T + b1) @ W2.T + b2
    return F.cross_entropy(O, y) + lambd / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def via_backward(X, y, W1, W2, lambd):       # the notebook's autograd_gradients, section 6
    W1, W2 = W1.detach().requires_grad_(True), W2.detach().requires_grad_(True)
    tanh_objective(X, y, W1, W2, lambd).backward()
    return W1.grad, W2.grad


def via_autograd_grad(X, y, W1, W2, lambd):
    W1, W2 = W1.clone().requires_grad_(True), W2.clone().requires_grad_(True)
    return torch.autograd.grad(tanh_objective(X, y, W1, W2, lambd), (W1, W2))


def via_enable_grad(X, y, W1, W2, lambd):
    with torch.enable_grad():
        return via_autograd_grad(X, y, W1, W2, lambd)


def via_func(X, y, W1, W2, lambd):
    return torch.func.grad(lambda a, b: tanh_objective(X, y, a, b, lambd), argnums=(0, 1))(W1, W2)


def via_jacobian(X, y, W1, W2, lambd):
    return torch.autograd.functional.jacobian(lambda a, b: tanh_objective(X, y, a, b, lambd), (W1, W2))


@pytest.mark.parametrize("shortcut", [via_backward, via_autograd_grad, via_enable_grad, via_func, via_jacobian])
def test_activation_check_refuses_autograd(shortcut, capsys):
    # the shortcut is right (it passes an autograd-based comparison) but is refused
    p = lesson08.problem(1)
    with torch.enable_grad():
        dW1, _ = shortcut(p["X"], p["y"], p["W1"], p["W2"], p["lambd"])
    assert torch.allclose(dW1, grads_tanh(p["X"], p["y"], p["W1"], p["W2"], p["lambd"])[0])
    assert lesson08.check_activation_backward(shortcut, "tanh") is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and "work it out by hand" in out


def test_bias_check_refuses_autograd(capsys):
    def via_backward_bias(X, y, W1, b1, W2, b2, lambd):
        leaves = [t.detach().requires_grad_(True) for t in (W1, b1, W2, b2)]
        tanh_objective(X, y, leaves[0], leaves[2], lambd, leaves[1], leaves[3], torch.relu).backward()
        return tuple(t.grad for t in leaves)

    assert lesson08.check_bias_backward(via_backward_bias) is False
    assert "work it out by hand" in capsys.readouterr().out


def test_a_hand_solution_with_in_place_ops_still_passes(capsys):
    # no_grad does not get in the way of ordinary tensor code, in-place ops included
    def in_place(X, y, W1, W2, lambd):
        dW1, dW2 = grads_tanh(X, y, W1, W2, lambd)
        dW1.mul_(1.0)
        return dW1, dW2

    assert lesson08.check_activation_backward(in_place) is True


# --------------------------------------------------------------------------- exercise 1: activation

@pytest.mark.parametrize("fn,activation", [(grads_tanh, "tanh"), (grads_sigmoid, "sigmoid")])
def test_activation_solution_passes(fn, activation, capsys):
    assert lesson08.check_activation_backward(fn, activation) is True
    assert "✅" in capsys.readouterr().out


def relu_kept(X, y, W1, W2, lambd):
    n = X.shape[0]
    Z = X @ W1.T
    H = torch.tanh(Z)
    dO = (torch.softmax(H @ W2.T, dim=1) - F.one_hot(y, W2.shape[0]).to(Z.dtype)) / n
    dZ = (dO @ W2) * (Z > 0)
    return dZ.T @ X + lambd * W1, dO.T @ H + lambd * W2


def phi_not_derivative(X, y, W1, W2, lambd):
    n = X.shape[0]
    Z = X @ W1.T
    H = torch.tanh(Z)
    dO = (torch.softmax(H @ W2.T, dim=1) - F.one_hot(y, W2.shape[0]).to(Z.dtype)) / n
    dZ = (dO @ W2) * H
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


def raises(*args):
    raise NotImplementedError


@pytest.mark.parametrize("wrong,words", [
    (stub, "returned None"),
    (raises, "NotImplementedError"),
    (relu_kept, "ReLU's derivative"),
    (phi_not_derivative, "not φ itself"),
    (no_penalty_w1, "dW1 lacks the penalty's part: add λW1"),
    (no_penalty_w2, "dW2 lacks the penalty's part: add λW2"),
    (transposed, "shape"),
    (grads_sigmoid, "dW2 is off by"),
    (lambda *a: (torch.zeros(5, 6), torch.zeros(3, 5)), "off by"),
    (lambda *a: (1, 2), "not a tensor"),
    (lambda *a: (torch.zeros(5, 6),), "tuple of 2"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
])
def test_activation_wrong_answers_fail_with_a_hint(wrong, words, capsys):
    assert lesson08.check_activation_backward(wrong, "tanh") is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def test_activation_tanh_answer_fails_the_sigmoid_check():
    assert lesson08.check_activation_backward(grads_tanh, "sigmoid") is False


def test_activation_check_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match="activation="):
        lesson08.check_activation_backward(grads_tanh, "relu6")


# --------------------------------------------------------------------------- exercise 2: biases

def test_bias_solution_passes(capsys):
    assert lesson08.check_bias_backward(grads_bias) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("mistake,words", [
    ("penalised", "no λ term"),
    ("mean", "n times too small"),
    ("per_row", "sum the rows"),
    ("no_bias_forward", "include the biases"),
    ("no_sum", "sum over rows"),
    ("no_penalty", "add λW1"),
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


# --------------------------------------------------------------------------- exercise 3: central difference

def test_central_difference_solution_passes_and_catches_the_bug(capsys):
    assert lesson08.check_central_difference(central_difference) is True
    out = capsys.readouterr().out
    assert "✅" in out and "catches that bug" in out
    bad = float(out.split("up to ")[1].split(" ")[0])
    assert bad > 1e-2


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


def over_4h(f, W, index, h=1e-6):
    return central_difference(f, W, index, h) / 2


def whole_tensor(f, W, index, h=1e-6):
    return (float(f(W + h)) - float(f(W - h))) / (2 * h)


def too_coarse(f, W, index, h=1e-6):
    return central_difference(f, W, index, 1e-1 if h < 1e-5 else h)   # right on the cubic, h ignored on the net


@pytest.mark.parametrize("wrong,words", [
    (stub, "returned None"),
    (raises, "NotImplementedError"),
    (one_sided, "one-sided"),
    (not_restored, "put W[index] back"),
    (over_h, "twice the slope"),
    (over_4h, "half the slope"),
    (whole_tensor, "change only the entry"),
    (too_coarse, "expect < 1e-6"),
    (lambda f, W, i, h: "a", "one number"),
    (lambda f, W, i, h: torch.ones(2), "one number"),
    (lambda f, W, i, h: float("nan"), "finite"),
])
def test_central_difference_wrong_answers_fail_with_a_hint(wrong, words, capsys):
    assert lesson08.check_central_difference(wrong) is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out


def via_autograd_slope(f, W, index, h=1e-6):
    W = W.detach().clone().requires_grad_(True)
    f(W).backward()
    return W.grad[index].item()


def via_autograd_slope_enabled(f, W, index, h=1e-6):
    with torch.enable_grad():
        return via_autograd_slope(f, W, index, h)


@pytest.mark.parametrize("shortcut", [via_autograd_slope, via_autograd_slope_enabled])
def test_central_difference_check_refuses_autograd(shortcut, capsys):
    W = torch.randn(3, 4, dtype=torch.float64)
    with torch.enable_grad():
        assert shortcut(lambda t: (t ** 3).sum(), W, (1, 2)) == pytest.approx(3 * W[1, 2].item() ** 2)
    assert lesson08.check_central_difference(shortcut) is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and "by hand" in out


def test_central_difference_check_refuses_the_lessons_own(capsys):
    assert lesson08.check_central_difference(lesson08.central_difference) is False
    assert "the lesson's own" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercise 4: memory

class LiveFloats(TorchDispatchMode):
    """Floats in the tensors ops create (views and tensors that existed before aside), from their creation to their
    freeing; ``peak``: the most alive at once. Only CPython's reference counting decides when a tensor is freed."""

    def __init__(self, X, weights):
        super().__init__()
        self.known, self.live = {t.untyped_storage().data_ptr() for t in (X, *weights)}, X.numel()
        self.peak = self.live

    def _freed(self, count):
        self.live -= count

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if torch.is_tensor(t) and t.is_floating_point() and t.untyped_storage().data_ptr() not in self.known:
                self.known.add(t.untyped_storage().data_ptr())
                self.live += t.numel()
                self.peak = max(self.peak, self.live)
                weakref.finalize(t, self._freed, t.numel())
        return out


def measured_memory(n, widths, activation):
    """(floats autograd saves for backward, weights aside; most floats alive at once under no_grad, X counted),
    both measured on a real forward pass of exercise 4's network."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, widths[0], generator=g)
    Ws = [torch.randn(b, a, generator=g).requires_grad_(True) for a, b in zip(widths, widths[1:])]
    weights, saved = {W.untyped_storage().data_ptr() for W in Ws}, {}

    def network():
        H = X
        for W in Ws[:-1]:
            H = lesson08.PHI[activation](H @ W.T)
        return H @ Ws[-1].T

    def keep(t):
        if t.untyped_storage().data_ptr() not in weights:
            saved[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes() // t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        network()
    with torch.no_grad(), LiveFloats(X, Ws) as live:
        network()
    return sum(saved.values()), live.peak


def memory_floats(n, widths, activation):   # the notebook's solution
    d, hidden, q = widths[0], widths[1:-1], widths[-1]
    train = n * (d + sum(hidden) * (2 if activation == "silu" else 1))
    moments = [d + (hidden[i - 1] if i else 0) + 2 * hidden[i] for i in range(len(hidden))]
    moments.append(d + (hidden[-1] if hidden else 0) + q)
    return train, n * max(moments)


NETWORKS = [(256, (784, 256, 10), "relu"), (256, (784, 256, 10), "silu"), (8, (20, 12, 9, 7, 5), "tanh"),
            (5, (9, 4, 30), "relu"), (6, (9, 4, 7, 3), "sigmoid"), (3, (7, 5, 4, 6, 2), "silu"), (4, (5, 3), "relu")]


@pytest.mark.parametrize("n,widths,activation", NETWORKS)
def test_the_memory_counts_are_what_a_real_run_measures(n, widths, activation):
    """The check's derived counts (and the notebook's solution) equal what autograd saves and what is alive."""
    assert memory_floats(n, widths, activation) == measured_memory(n, widths, activation)


def test_the_memory_check_tries_the_measured_networks():
    import inspect
    source = inspect.getsource(lesson08.check_memory)
    for n, widths, activation in NETWORKS[1:4]:
        assert f"({n}, {widths}, \"{activation}\")" in source


def test_memory_solution_passes(capsys):
    assert lesson08.check_memory(memory_floats) is True
    assert "✅" in capsys.readouterr().out


def only_h(n, widths, activation):   # SiLU treated like tanh: Z forgotten
    return n * (widths[0] + sum(widths[1:-1])), memory_floats(n, widths, activation)[1]


def always_z(n, widths, activation):   # Z kept for every activation
    return n * (widths[0] + 2 * sum(widths[1:-1])), memory_floats(n, widths, activation)[1]


def peak_is_training(n, widths, activation):
    return memory_floats(n, widths, activation)[0], memory_floats(n, widths, activation)[0]


def peak_without_x(n, widths, activation):
    train, peak = memory_floats(n, widths, activation)
    return train, peak - n * widths[0]


def peak_without_z(n, widths, activation):   # φ(Z) counted but not Z beside it
    d, hidden, q = widths[0], widths[1:-1], widths[-1]
    layers = list(zip((d, *hidden), (*hidden, q)))
    return memory_floats(n, widths, activation)[0], n * max(d + a * (i > 0) + b for i, (a, b) in enumerate(layers))


@pytest.mark.parametrize("wrong,words", [
    (lambda n, w, a: None, "pair of whole numbers"),
    (lambda n, w, a: 1 / 0, "ZeroDivisionError"),
    (lambda n, w, a: (1.5, 2.0), "pair of whole numbers"),
    (only_h, "autograd keeps 331776 floats, you said 266240"),
    (always_z, "can φ′ be computed from h alone"),
    (peak_is_training, "at most 400 floats are alive at once, you said 384"),
    (peak_without_x, "X stays"),
    (peak_without_z, "both Z and φ(Z)"),
])
def test_memory_wrong_answers_fail_with_a_hint(wrong, words, capsys):
    assert lesson08.check_memory(wrong) is False
    out = capsys.readouterr().out
    assert "❌ Not yet" in out and words in out
