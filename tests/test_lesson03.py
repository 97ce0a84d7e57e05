"""helpers.lesson03: closed forms equal autograd, the gradient through depth, the explorer, the exercise checks."""

import functools
import math

import matplotlib
import pytest
import torch
from torch import nn
from torch.func import grad, vmap

from helpers import lesson03, plot, train

matplotlib.use("Agg")

NAMES = list(lesson03.DERIVATIVES)


def test_the_table_covers_the_core_activations():
    assert set(NAMES) == set(train.ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_closed_form_derivative_equals_autograd(name):
    for x in (torch.linspace(-6, 6, 2001, dtype=torch.float64), torch.linspace(-8, 8, 1601)):
        got = lesson03.DERIVATIVES[name].df(x)
        assert got.dtype == x.dtype
        assert float((vmap(grad(train.ACTIVATIONS[name]()))(x) - got).abs().max()) < 1e-6


# the largest φ′, as the lesson states them (GELU's at x = √2, SiLU's near x = 2.4)
@pytest.mark.parametrize("name, peak", [("sigmoid", 0.25), ("tanh", 1), ("relu", 1), ("leaky_relu", 1), ("elu", 1),
                                        ("gelu", 1.1289), ("silu", 1.0998)])
def test_largest_derivative(name, peak):
    x = torch.linspace(-10, 10, 200001, dtype=torch.float64)
    assert float(lesson03.DERIVATIVES[name].df(x).max()) == pytest.approx(peak, abs=1e-4)


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    x = torch.linspace(-6, 6, 1201)
    df = lesson03.DERIVATIVES["sigmoid"].df(x)
    assert float(df.max()) == pytest.approx(0.25) and float(x[df.argmax()]) == pytest.approx(0.0, abs=1e-6)


def test_a_wrong_closed_form_would_be_caught():
    """The comparison can fail: sigmoid's f used as its own derivative is far off."""
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    assert float((vmap(grad(torch.sigmoid))(x) - torch.sigmoid(x)).abs().max()) > 0.1


def _reference_norms(activation, depth, width=128, batch_size=256, seed=0):
    """The experiment written out with the old draw: weights randn · √(2/fan_in) from one generator, biases 0."""
    g = torch.Generator().manual_seed(seed)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), train.ACTIVATIONS[activation]()]
    net = nn.Sequential(*layers, nn.Linear(width, 10))
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * math.sqrt(2.0 / m.in_features))
                m.bias.zero_()
    g = torch.Generator().manual_seed(seed + 1)
    X, y = torch.randn(batch_size, width, generator=g), torch.randint(0, 10, (batch_size,), generator=g)
    nn.functional.cross_entropy(net(X), y).backward()
    return tuple(float(m.weight.grad.norm()) for m in net if isinstance(m, nn.Linear))


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_gradient_norms_are_he_initialisation_with_one_draw_for_every_phi(name):
    assert lesson03.gradient_norms(name, depth=4, width=32) == _reference_norms(name, 4, 32)


def test_sigmoid_gradients_vanish_with_depth_relu_ones_do_not():
    sigmoid = lesson03.gradient_norms("sigmoid", depth=10)
    relu = lesson03.gradient_norms("relu", depth=10)
    assert len(sigmoid) == len(relu) == 11
    assert sigmoid[0] / sigmoid[-1] < 1e-5
    assert min(relu) / max(relu) > 0.1
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:])), "shrinks layer after layer towards the input"


@pytest.mark.parametrize("kwargs, name", [({"activation": "swish"}, "activation"), ({"depth": 0}, "depth"),
                                          ({"depth": 2.5}, "depth"), ({"width": -3}, "width"),
                                          ({"batch_size": 0}, "batch_size")])
def test_gradient_norms_refuse_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson03.gradient_norms(**({"activation": "relu"} | kwargs))


def test_figures_draw():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    x = torch.linspace(-4, 4, 101)
    for ax, name in zip(axes, ("elu", "gelu")):
        lesson03.draw_phi(ax, name, x, train.ACTIVATIONS[name]()(x), lesson03.DERIVATIVES[name].df(x))
    assert [ax.get_title() for ax in fig.axes] == ["ELU", "GELU"] and len(axes[0].get_lines()) == 5
    plt.close(fig)
    ax = lesson03.plot_gradient_norms({"sigmoid": [1e-5, 1e-2, 1.0], "relu": [1.0, 1.0, 1.0]}, highlight="relu")
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    plt.close("all")


# --- the explorer

def test_activation_explorer_reports_derivatives_and_depth():
    panel = lesson03.activation_explorer("sigmoid", (-6.0, 6.0))
    r = panel.result
    assert r["max_abs_diff"] < 1e-6
    assert r["max_derivative"] == pytest.approx(0.25)
    assert r["gradient_norms"][0] / r["gradient_norms"][-1] < 1e-3
    relu = plot.set_controls(panel, activation="relu")
    assert relu["max_derivative"] == 1.0 and relu["gradient_norms"][0] / relu["gradient_norms"][-1] > 0.1
    assert relu["saturated_fraction"] == pytest.approx(0.5, abs=0.01)  # ReLU′ = 0 on the negative half
    assert plot.set_controls(panel, activation="sigmoid", x_range=(2.0, 6.0))["max_derivative"] == pytest.approx(
        0.25 * (1 - math.tanh(1.0) ** 2), rel=1e-6), "σ′(2): the maximum over the range shown, recomputed"


def test_a_wider_range_saturates_sigmoid_more_and_tanh_more_than_sigmoid():
    narrow = lesson03.compute_activation("sigmoid", (-2, 2))
    wide = lesson03.compute_activation("sigmoid", (-10, 10))
    assert narrow["saturated_fraction"] == 0 and wide["saturated_fraction"] > 0.4
    assert lesson03.compute_activation("tanh", (-10, 10))["saturated_fraction"] > wide["saturated_fraction"]


def test_explorer_survives_both_handles_together():
    panel = lesson03.activation_explorer()
    result = plot.set_controls(panel, x_range=(2.0, 2.0))
    assert result["max_derivative"] == pytest.approx(0.25 * (1 - math.tanh(1.0) ** 2), rel=1e-6)


@pytest.mark.parametrize("kwargs, name", [
    ({"activation": "hardtanh"}, "activation"), ({"activation": None}, "activation"), ({"x_range": (1, 0)}, "x_range"),
    ({"x_range": (3, 3)}, "x_range"), ({"x_range": (-20, 0)}, "x_range"), ({"x_range": (0, float("nan"))}, "x_range"),
    ({"x_range": "ab"}, "x_range"), ({"x_range": (1,)}, "x_range"), ({"x_range": 5}, "x_range"),
    ({"limit": 0}, "limit"), ({"limit": float("inf")}, "limit"),
])
def test_activation_explorer_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson03.activation_explorer(**kwargs)


# --- exercise checks: the solution passes, stubs, shortcuts and wrong answers fail, without raising

def sigmoid_second_derivative(x):
    s = torch.sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def silu_derivative(x):
    s = torch.sigmoid(x)
    return s + x * s * (1 - s)


def by_autograd(f, order=1):
    """A shortcut the checks refuse: the derivative taken by autograd instead of written out."""
    def derivative(x):
        x = x.clone().requires_grad_(True)
        g = f(x)
        for _ in range(order):
            (g,) = torch.autograd.grad(g.sum(), x, create_graph=True)
        return g.detach()
    return derivative


def test_check_sigmoid_second_derivative(capsys):
    assert lesson03.check_sigmoid_second_derivative(sigmoid_second_derivative) is True
    assert "σ″ matches" in capsys.readouterr().out
    assert lesson03.check_sigmoid_second_derivative(lambda x: None) is False
    assert "came back as None" in capsys.readouterr().out
    assert lesson03.check_sigmoid_second_derivative(lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))) is False
    assert "product rule" in capsys.readouterr().out, "σ′ itself is not σ″"
    assert lesson03.check_sigmoid_second_derivative(lambda x: -sigmoid_second_derivative(x)) is False
    assert lesson03.check_sigmoid_second_derivative(lambda x: sigmoid_second_derivative(x)[:5]) is False
    assert lesson03.check_sigmoid_second_derivative(functools.partial(lambda x, k: x * k, k=0)) is False
    assert lesson03.check_sigmoid_second_derivative(lambda x: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert lesson03.check_sigmoid_second_derivative(by_autograd(torch.sigmoid, order=2)) is False
    assert "autograd" in capsys.readouterr().out


def test_check_silu_derivative(capsys):
    assert lesson03.check_silu_derivative(silu_derivative) is True
    assert lesson03.check_silu_derivative(lambda x: None) is False
    assert lesson03.check_silu_derivative(lesson03.DERIVATIVES["sigmoid"].df) is False
    assert "product rule" in capsys.readouterr().out
    assert lesson03.check_silu_derivative(lambda x: torch.sigmoid(x) + x * torch.sigmoid(x)) is False
    assert lesson03.check_silu_derivative(by_autograd(nn.functional.silu)) is False
    assert "autograd" in capsys.readouterr().out


def test_check_sigmoid_depth(capsys):
    assert lesson03.check_sigmoid_depth(12) is True
    assert "measured" in capsys.readouterr().out
    assert lesson03.check_sigmoid_depth(10) is False
    assert "the bound (1/4)^L reaches 1e-6 at 10" in capsys.readouterr().out
    assert lesson03.check_sigmoid_depth(11) is False
    assert "more layers" in capsys.readouterr().out
    assert lesson03.check_sigmoid_depth(13) is False
    assert "fewer layers" in capsys.readouterr().out
    for bad in (None, 12.0, True, 1, -3, "12", 10**6):
        assert lesson03.check_sigmoid_depth(bad) is False
    assert "whole number" in capsys.readouterr().out


def test_silu_derivative_facts_in_exercise_2s_solution():
    """SiLU′ is 0 only at x ≈ −1.28 (SiLU's minimum ≈ −0.28), down to about −0.1 left of it, and peaks near 1.1."""
    x = torch.linspace(-8, 8, 160001, dtype=torch.float64)
    df = lesson03.DERIVATIVES["silu"].df(x)
    sign_changes = x[1:][(df[1:] > 0) != (df[:-1] > 0)]
    assert len(sign_changes) == 1 and float(sign_changes[0]) == pytest.approx(-1.28, abs=0.005)
    assert float(nn.functional.silu(sign_changes)) == pytest.approx(-0.28, abs=0.005)
    assert float(df.min()) == pytest.approx(-0.1, abs=0.005)
    assert float(x[df.argmax()]) == pytest.approx(2.4, abs=0.01) and float(df.max()) == pytest.approx(1.1, abs=0.01)


def prelu_derivatives(x, alpha):
    return torch.where(x > 0, 1.0, alpha), torch.clamp(x, max=0)


def test_check_prelu_derivatives(capsys):
    assert lesson03.check_prelu_derivatives(prelu_derivatives) is True
    assert "min(0, x)" in capsys.readouterr().out
    assert lesson03.check_prelu_derivatives(lambda x, a: ((x > 0).float(), x.clamp(max=0))) is False  # ReLU′
    assert "slope 1 on one side, α on the other" in capsys.readouterr().out
    assert lesson03.check_prelu_derivatives(lambda x, a: (torch.where(x > 0, 1.0, 0.25), x.clamp(max=0))) is False
    assert lesson03.check_prelu_derivatives(lambda x, a: (torch.where(x > 0, 1.0, a), x)) is False
    assert "x held fixed" in capsys.readouterr().out
    assert lesson03.check_prelu_derivatives(lambda x, a: (torch.where(x > 0, 1.0, a), x.clamp(max=0).sum())) is False
    assert "shaped like x" in capsys.readouterr().out
    assert lesson03.check_prelu_derivatives(lambda x, a: None) is False

    def by_autograd(x, alpha):
        x = x.clone().requires_grad_(True)
        (torch.relu(x) + alpha * x.clamp(max=0)).sum().backward()
        return x.grad, x.detach().clamp(max=0)
    assert lesson03.check_prelu_derivatives(by_autograd) is False
    assert "autograd" in capsys.readouterr().out


def sigmoid_params(W1, b1, W2, b2):
    return 2 * W1, 2 * b1, 2 * W2, b2 - W2.sum(dim=1)


def test_check_sigmoid_net_for_tanh(capsys):
    assert lesson03.check_sigmoid_net_for_tanh(sigmoid_params) is True
    assert "tanh net's function" in capsys.readouterr().out
    # σ(−z) = 1 − σ(z): the mirrored net is right too, and the check accepts it
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: (-2 * W1, -2 * b1, -2 * W2, b2 + W2.sum(1)))
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: (2 * W1, 2 * b1, 2 * W2, b2)) is False
    assert "absorb the − 1" in capsys.readouterr().out
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: (W1, b1, 2 * W2, b2 - W2.sum(1))) is False
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: (2 * W1, 2 * b1, W2, b2 - W2.sum(1))) is False
    assert "see 2z" in capsys.readouterr().out
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: None) is False
    assert "four tensors" in capsys.readouterr().out
    assert lesson03.check_sigmoid_net_for_tanh(lambda W1, b1, W2, b2: (2 * W1.T, 2 * b1, 2 * W2, b2)) is False
    assert "RuntimeError" in capsys.readouterr().out
