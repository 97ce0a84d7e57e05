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


def test_relu_kinks_are_where_hidden_units_switch_with_the_slope_change_they_make():
    X = torch.tensor([[8.0], [12.0]])  # mean 10; the std is set to 2 below
    net = nn.Sequential(train.Standardize(X), *train.mlp(3, 1, 1, init_std=None, flatten=False))
    net[0].std.fill_(2.0)
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0], [-2.0], [0.0]]))
        net[1].bias.copy_(torch.tensor([-1.0, 1.0, 5.0]))  # u = 1 and u = 0.5; the third never switches
        net[3].weight.copy_(torch.tensor([[3.0, 0.0, 7.0]]))  # the second unit's output weight is 0
    kinks, jumps = lesson02.relu_kinks(net, 0, 20)
    assert torch.allclose(kinks, torch.tensor([11.0, 12.0]))  # x = 10 + 2u
    assert torch.allclose(jumps, torch.tensor([0.0, 1.5]))  # v·|w| / std: a kink with v = 0 bends nothing
    grid = torch.tensor([[11.5], [11.9], [12.1], [12.5]])
    y = train.predict(net, grid)[:, 0]
    assert float((y[3] - y[2]) / 0.4 - (y[1] - y[0]) / 0.4) == pytest.approx(1.5, abs=1e-4)
    assert len(lesson02.relu_kinks(net, 11.5, 20)[0]) == 1
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
        assert result["bends"] <= len(result["kinks"]) <= h and len(result["jumps"]) == len(result["kinks"])
    assert result["r2"] > 0.9
    assert set_controls(panel, hidden=1)["r2"] < 0.5
    plt.close("all")


def test_draw_wiggle_marks_the_kinks():
    result = lesson02.compute_wiggle(hidden=4)
    ax = lesson02.draw_wiggle(result)
    assert ax.get_title().startswith(f"4 ReLU units: 4 kinks ({result['bends']} bends)")
    strong, pale = ax.collections[-2:]  # the red ticks, full and pale
    assert len(strong.get_segments()) == result["bends"] and len(pale.get_segments()) == 4 - result["bends"]
    plt.close("all")


def test_wiggle_explorer_refuses_impossible_settings():
    with pytest.raises(ValueError, match="hidden"):
        lesson02.wiggle_explorer(hidden=-1)
    with pytest.raises(ValueError, match="hidden"):
        lesson02.wiggle_explorer(hidden=65)
    with pytest.raises(ValueError, match=r"hidden=5 is not known; use one of 0, 1, 2, 3, 4, 6, 8"):  # not a stop
        lesson02.wiggle_explorer(hidden=5)
    with pytest.raises(ValueError, match="hidden=16 is not known"):  # a stop above max_hidden
        lesson02.wiggle_explorer(hidden=16, max_hidden=12)
    with pytest.raises(ValueError, match="hidden"):
        lesson02.compute_wiggle(hidden=1.5)
    with pytest.raises(ValueError, match="max_hidden"):
        lesson02.wiggle_explorer(max_hidden=-4)


# --- exercise checks: the solutions pass; stubs and wrong answers fail, without raising


def widest_solution(num_inputs, num_outputs, budget):
    return (budget - num_outputs) // (num_inputs + 1 + num_outputs)


def local_affine_solution(W1, b1, W2, b2, x):
    on = (W1 @ x + b1 > 0).to(W1.dtype)
    return W2 @ (on[:, None] * W1), W2 @ (on * b1) + b2


def test_widest_hidden_layer(capsys):
    assert lesson02.check_widest_hidden_layer(widest_solution) is True
    assert "256" in capsys.readouterr().out
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: None) is False
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: B // (d + q)) is False  # no biases
    assert "biases" in capsys.readouterr().out
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: widest_solution(d, q, B) + 1) is False
    assert "over the budget" in capsys.readouterr().out
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: widest_solution(d, q, B) - 1) is False
    assert "go wider" in capsys.readouterr().out
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: 256) is False  # right for one budget only
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: (B - q) / (d + 1 + q)) is False  # not rounded down
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: 1 / 0) is False


def test_widest_hidden_layer_accepts_any_integer_type():
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: torch.tensor(widest_solution(d, q, B))) is True
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: np.int64(widest_solution(d, q, B))) is True
    by_search = lambda d, q, B: max(h for h in range(B) if (d + 1) * h + (h + 1) * q <= B)  # noqa: E731
    assert lesson02.check_widest_hidden_layer(by_search) is True
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: np.array([1, 2])) is False
    assert lesson02.check_widest_hidden_layer(lambda d, q, B: "many") is False


def test_local_affine(capsys):
    assert lesson02.check_local_affine(local_affine_solution) is True
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: None) is False
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: (W2 @ W1, W2 @ b1 + b2)) is False
    assert "every unit on" in capsys.readouterr().out
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: (local_affine_solution(W1, b1, W2, b2, x)[0],
                                                                  W2 @ b1 + b2)) is False
    assert "W is right" in capsys.readouterr().out
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: (W1, b1)) is False
    assert "shape" in capsys.readouterr().out
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: (W2 @ W1, "b")) is False
    assert lesson02.check_local_affine(lambda W1, b1, W2, b2, x: (2 * W2 @ W1, W2 @ b1)) is False


def test_local_affine_accepts_other_correct_routes():
    def by_jacobian(W1, b1, W2, b2, x):  # autograd's Jacobian, then the offset
        f = lambda v: W2 @ torch.relu(W1 @ v + b1) + b2  # noqa: E731
        J = torch.autograd.functional.jacobian(f, x)
        return J, f(x) - J @ x

    assert lesson02.check_local_affine(by_jacobian) is True
    assert lesson02.check_local_affine(lambda *a: tuple(t.double() for t in local_affine_solution(*a))) is True
    assert lesson02.check_local_affine(lambda *a: tuple(t.long() for t in local_affine_solution(*a))) is False
