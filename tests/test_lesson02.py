"""helpers.lesson02: the wiggly curve, the kinks of a ReLU fit, the explorer and the exercise checks."""

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from helpers import lesson02, train
from helpers.plot import set_controls

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


# --- the wiggly curve


def test_wiggly_curve_is_seeded_and_leaves_the_global_random_state_alone():
    a, b, c = lesson02.wiggly_curve(seed=0), lesson02.wiggly_curve(seed=0), lesson02.wiggly_curve(seed=1)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[0], c[0])
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lesson02.wiggly_curve(seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_wiggly_curve_follows_its_function():
    x, y = lesson02.wiggly_curve(n=100, seed=0, noise=0.0)
    assert x.shape == y.shape == (100, 1) and x.dtype == torch.float32
    assert torch.allclose(y, lesson02.wiggly_function(x))
    assert -3 <= float(x.min()) and float(x.max()) <= 3


@pytest.mark.parametrize("kwargs, name", [({"n": 0}, "n"), ({"noise": float("inf")}, "noise"),
                                          ({"noise": -1}, "noise"), ({"seed": -1}, "seed")])
def test_wiggly_curve_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson02.wiggly_curve(**kwargs)


# --- kinks


def test_relu_kinks_are_where_hidden_units_switch():
    X = torch.tensor([[8.0], [12.0]])  # mean 10, std 2√2
    net = nn.Sequential(train.Standardize(X), *train.mlp(3, 1, 1, init_std=None, flatten=False))
    net[0].std.fill_(2.0)
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0], [-2.0], [0.0]]))
        net[1].bias.copy_(torch.tensor([-1.0, 1.0, 5.0]))  # u = 1 and u = 0.5; the third never switches
    assert torch.allclose(lesson02.relu_kinks(net, 0, 20), torch.tensor([11.0, 12.0]))  # x = 10 + 2u
    assert len(lesson02.relu_kinks(net, 11.5, 20)) == 1
    tanh_net = nn.Sequential(train.Standardize(X), *train.mlp(3, 1, 1, "tanh", init_std=None, flatten=False))
    with pytest.raises(ValueError, match="ReLU"):
        lesson02.relu_kinks(tanh_net, 0, 1)


def test_lbfgs_fits_the_wiggly_curve_closely():
    x, y = lesson02.wiggly_curve(n=120, seed=0)
    fit = train.fit_regression(x, y, hidden=64, steps=200, method="lbfgs")
    assert train.r_squared(train.predict(fit.net, x), y) > 0.98
    assert fit.history["train_loss"][-1] < fit.history["train_loss"][0] / 10
    assert len(fit.history["loss"]) > 50, "one L-BFGS step of many iterations"


# --- the explorer


def test_wiggle_explorer_bends_at_most_once_per_unit():
    panel = lesson02.wiggle_explorer(hidden=0)
    assert len(panel.result["kinks"]) == 0
    for h in (2, 16):
        result = set_controls(panel, hidden=h)
        assert len(result["kinks"]) <= h
    assert result["r2"] > 0.9
    assert set_controls(panel, hidden=1)["r2"] < 0.5
    plt.close("all")


def test_draw_wiggle_marks_the_kinks():
    result = lesson02.compute_wiggle(hidden=4)
    ax = lesson02.draw_wiggle(result)
    assert "4 ReLU units" in ax.get_title() and len(ax.collections[-1].get_segments()) == len(result["kinks"])
    plt.close("all")


def test_wiggle_explorer_refuses_impossible_settings():
    with pytest.raises(ValueError, match="hidden"):
        lesson02.wiggle_explorer(hidden=-1)
    with pytest.raises(ValueError, match="hidden"):
        lesson02.wiggle_explorer(hidden=65)
    with pytest.raises(ValueError, match="hidden"):
        lesson02.compute_wiggle(hidden=1.5)
    with pytest.raises(ValueError, match="max_hidden"):
        lesson02.wiggle_explorer(max_hidden=-4)


# --- exercise checks: the solutions pass; stubs and wrong answers fail, without raising


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
    assert "input layer" in capsys.readouterr().out
    assert lesson02.check_count_params(lambda s: 203530) is False  # right for one net only
    assert lesson02.check_count_params(lambda s: s[99]) is False


def test_compose(capsys):
    assert lesson02.check_compose(compose_solution) is True
    assert lesson02.check_compose(lambda W1, b1, W2, b2: None) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W2 @ W1, b2)) is False
    assert "W2 b1 + b2" in capsys.readouterr().out
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W1.T @ W2.T, b2)) is False
    assert "multiply W2 by W1" in capsys.readouterr().out
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W1.T @ W2.T).T * 2, W2 @ b1 + b2)) is False
    assert "W should be W2 @ W1" in capsys.readouterr().out
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W2 @ W1, "b")) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: (W2 @ W1, torch.zeros(7))) is False


def test_odd_return_types_fail_without_raising():
    assert lesson02.check_count_params(lambda s: np.array([1, 2])) is False
    assert lesson02.check_count_params(lambda s: "203530") is False
    assert lesson02.check_count_params(lambda s: torch.tensor(count_params_solution(s))) is True
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W2 @ W1).long(), (W2 @ b1 + b2).long())) is False
    assert lesson02.check_compose(lambda W1, b1, W2, b2: ((W2 @ W1).double(), (W2 @ b1 + b2).double())) is True
