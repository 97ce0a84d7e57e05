"""helpers.activations: closed forms equal autograd, the table is consistent, gradients through depth."""

import math

import matplotlib
import pytest
import torch

from helpers import activations

matplotlib.use("Agg")


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_closed_form_derivative_equals_autograd(name):
    assert activations.derivative_error(name) < 1e-6
    x32 = torch.linspace(-8, 8, 1601)
    assert activations.derivative_error(name, x32) < 1e-6


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_function_matches_its_module_and_max_derivative(name):
    act = activations.get(name)
    x = torch.linspace(-10, 10, 200001, dtype=torch.float64)
    assert torch.allclose(act.module()(x), act.f(x))
    assert abs(float(act.df(x).max()) - act.max_derivative) < 1e-4


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    x = torch.linspace(-6, 6, 1201)
    df = activations.get("sigmoid").df(x)
    assert float(df.max()) == pytest.approx(0.25) and float(x[df.argmax()]) == pytest.approx(0.0, abs=1e-6)


def test_a_wrong_closed_form_would_be_caught():
    """derivative_error can fail: sigmoid's f used as its own derivative is far off."""
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    assert float((activations.autograd_derivative(torch.sigmoid, x) - torch.sigmoid(x)).abs().max()) > 0.1


def test_autograd_derivative_does_not_touch_its_input():
    x = torch.linspace(-1, 1, 5)
    activations.autograd_derivative(torch.tanh, x)
    assert x.grad is None and not x.requires_grad


@pytest.mark.parametrize("bad", ["softmax", "ReLU", "", None, 3])
def test_unknown_activation_is_refused(bad):
    with pytest.raises(ValueError, match="activation"):
        activations.get(bad)


@pytest.mark.parametrize("bad", [(1, 1), (2, -2), (0, float("nan")), (0, float("inf")), "ab", (1,), 5])
def test_empty_or_broken_ranges_are_refused(bad):
    with pytest.raises(ValueError, match="x_range"):
        activations.check_range("x_range", bad)


def test_deep_mlp_shape_and_init():
    net = activations.deep_mlp("relu", depth=4, width=32, seed=0)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 5 and linears[-1].out_features == 10
    assert sum(isinstance(m, torch.nn.ReLU) for m in net) == 4
    std = float(torch.cat([m.weight.detach().flatten() for m in linears[:-1]]).std())
    assert std == pytest.approx(math.sqrt(2 / 32), rel=0.1)
    same = activations.deep_mlp("sigmoid", depth=4, width=32, seed=0)
    assert all(torch.equal(a.weight, b.weight) for a, b in
               zip(linears, [m for m in same if isinstance(m, torch.nn.Linear)])), "only φ differs"


@pytest.mark.parametrize("kwargs, name", [({"depth": 0}, "depth"), ({"width": -3}, "width"),
                                          ({"depth": 2.5}, "depth")])
def test_deep_mlp_refuses_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=name):
        activations.deep_mlp("relu", **kwargs)


def test_sigmoid_gradients_vanish_with_depth_relu_ones_do_not():
    sigmoid = activations.gradient_norms("sigmoid", depth=10)
    relu = activations.gradient_norms("relu", depth=10)
    assert len(sigmoid) == len(relu) == 11
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert relu[0] / relu[-1] > 0.1
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:])), "shrinks layer after layer towards the input"


def test_gradient_norms_refuse_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        activations.gradient_norms("swish")
    with pytest.raises(ValueError, match="batch_size"):
        activations.gradient_norms("relu", batch_size=0)


def test_figures_draw():
    import matplotlib.pyplot as plt

    fig = activations.activations_figure()
    assert len(fig.axes) == 3 and [ax.get_title() for ax in fig.axes] == ["sigmoid", "tanh", "ReLU"]
    plt.close(fig)
    fig = activations.improved_activations_figure()
    assert len(fig.axes) == 4
    plt.close(fig)
    ax = activations.plot_gradient_norms({"sigmoid": [1e-5, 1e-2, 1.0], "relu": [1.0, 1.0, 1.0]}, highlight="relu")
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    plt.close("all")
    with pytest.raises(ValueError, match="names"):
        activations.activations_figure(())
    with pytest.raises(ValueError, match="activation"):
        activations.activations_figure(("relu", "nope"))
