"""helpers.lesson06: d2l's 200-feature data, the λ explorer's runs and panel, and the exercise checks."""

import math

import ipywidgets as widgets
import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import traitlets  # noqa: E402
from torch import nn  # noqa: E402

from helpers import data, lesson06, train  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

FAST = dict(num_epochs=4, n_train=100, n_test=100)
KEYS = ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch):
    """The figures the explorer shows, captured at plt.show() (the explorer closes them right after)."""
    figures = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: figures.append(plt.gcf()))
    return figures


def check_history(history, num_epochs, keys=KEYS):
    for key in keys:
        assert len(history[key]) == num_epochs, key
        assert all(math.isfinite(v) for v in history[key]), key


# --------------------------------------------------------------------------- d2l's high-dimensional linear data


def test_high_dim_linear_shapes_and_truth():
    d = lesson06.high_dim_linear()
    assert d.X_train.shape == (20, 200) and d.y_train.shape == (20, 1)
    assert d.X_test.shape == (100, 200) and d.y_test.shape == (100, 1)
    assert torch.allclose(d.true_w, torch.full((200, 1), 0.01)) and d.true_b == 0.05
    residual = d.y_test - (d.X_test @ d.true_w + d.true_b)
    assert float(residual.std()) < 0.02  # only the noise ε ~ N(0, 0.01²) is left
    assert torch.equal(d.X_train, lesson06.high_dim_linear().X_train)
    assert not torch.equal(d.X_train, lesson06.high_dim_linear(seed=1).X_train)


def test_high_dim_linear_keeps_the_old_draws():
    """Lesson 06 prints numbers from seed 6: the same draws as the old helpers.synthetic.high_dim_linear."""
    d = lesson06.high_dim_linear(seed=6)
    g = torch.Generator().manual_seed(6)
    X = torch.randn(120, 200, generator=g)
    assert torch.equal(d.X_train, X[:20]) and torch.equal(d.X_test, X[20:])


@pytest.mark.parametrize("kwargs, name", [(dict(n_train=0), "n_train"), (dict(num_inputs=-1), "num_inputs"),
                                          (dict(noise=-0.1), "noise"), (dict(seed=-1), "seed"),
                                          (dict(n_test=1.5), "n_test")])
def test_high_dim_linear_refuses_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson06.high_dim_linear(**kwargs)


# --------------------------------------------------------------------------- the explorer's runs


def test_weight_decay_history_has_every_list_per_epoch():
    check_history(lesson06.train_with_weight_decay(1e-3, **FAST), FAST["num_epochs"])


def test_larger_lambd_gives_smaller_weight_norm():
    norms = [lesson06.train_with_weight_decay(lam, num_epochs=10, n_train=100, n_test=100)["weight_norm"][-1]
             for lam in (0.0, 0.01, 0.1)]
    assert norms[0] > norms[1] > norms[2], norms


def test_runs_are_seeded_and_leave_the_callers_random_state_alone():
    torch.manual_seed(123)
    before, threads = torch.get_rng_state(), torch.get_num_threads()
    a = lesson06.train_with_weight_decay(0.0, **FAST)
    assert torch.equal(torch.get_rng_state(), before) and torch.get_num_threads() == threads
    b = lesson06.train_with_weight_decay(0.0, **FAST)
    assert a["train_loss"] == b["train_loss"] and a["weight_norm"] == b["weight_norm"]
    assert lesson06.train_with_weight_decay(0.0, seed=1, **FAST)["train_loss"] != a["train_loss"]


def test_weight_decay_matches_the_explicit_l2_penalty():
    """SGD's weight_decay=λ on the weights (train.weight_groups) is the gradient of λ/2 ‖w‖² added to the loss."""
    lambd, d = 0.05, data.subset(100)
    nets = []
    for use_optimizer in (True, False):
        torch.manual_seed(0)
        net = train.mlp(16)
        weights = [p for p in net.parameters() if p.dim() > 1]
        opt = torch.optim.SGD(train.weight_groups(net, lambd) if use_optimizer else net.parameters(), lr=0.1)
        penalty = None if use_optimizer else (lambda: lambd * sum((w ** 2).sum() for w in weights) / 2)
        torch.manual_seed(1)
        train.train(net, data.TensorBatches(d.X_train, d.y_train, 25, shuffle=True), None, 3, optimizer=opt,
                    penalty=penalty, device="cpu", verbose=False)
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_weight_norm_and_groups_count_weight_matrices_only():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for m in (net[0], net[2]):
            m.weight.fill_(1.0)
            m.bias.fill_(100.0)
    assert train.weight_norm(net) == pytest.approx(math.sqrt(4 * 3 + 3 * 2))
    decayed, plain = train.weight_groups(net, 0.1)
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decayed["params"]) and all(p.dim() == 1 for p in plain["params"])


# --------------------------------------------------------------------------- the λ explorer


def test_the_slider_reaches_zero_and_is_log_spaced():
    panel = lesson06.weight_decay_explorer(**FAST)
    assert isinstance(panel, widgets.interactive)
    slider = panel.kwargs_widgets[0]
    assert isinstance(slider, widgets.SelectionSlider) and slider.description == "λ"
    assert slider.value == 0.0 and slider.continuous_update is False
    values = [v for _, v in slider.options]
    assert values == list(lesson06.LAMBDA_STOPS) and values[0] == 0.0
    assert [label for label, _ in slider.options][1:3] == ["1e-4", "3e-4"]
    ratios = [b / a for a, b in zip(values[1:], values[2:])]
    assert all(2 <= r <= 4 for r in ratios), ratios
    check_history(panel.result, FAST["num_epochs"])


def test_moves_give_smaller_norms_and_come_back_from_the_cache():
    panel = lesson06.weight_decay_explorer(num_epochs=10, n_train=100, n_test=100)
    first = panel.result
    norms = [set_controls(panel, lambd=lam)["weight_norm"][-1] for lam in (0.0, 1e-2, 1e-1)]
    assert norms[0] > norms[1] > norms[2], norms
    misses = panel.cache.cache_info().misses
    assert set_controls(panel, lambd=0.0) is first and panel.result is first
    assert panel.cache.cache_info().misses == misses


def test_each_update_draws_loss_and_norm_over_the_grey_reference(shown):
    panel = lesson06.weight_decay_explorer(**FAST)
    shown.clear()
    set_controls(panel, lambd=3e-2)
    assert len(shown) == 1
    ax_loss, ax_norm = shown[0].axes
    assert "λ = 3e-2" in ax_loss.get_title() and "‖W‖" in ax_norm.get_ylabel()
    labels = [line.get_label() for line in ax_loss.lines]
    assert {"train loss", "test loss", "train loss, λ = 0", "test loss, λ = 0"} <= set(labels)


def test_the_explorer_refuses_bad_values():
    with pytest.raises(ValueError, match="lambd"):
        lesson06.weight_decay_explorer(lambd=-1.0, **FAST)
    with pytest.raises(ValueError, match="lambd"):
        lesson06.weight_decay_explorer(lambd=0.5, **FAST)  # not a stop of the slider
    with pytest.raises(TypeError, match="momentum"):
        lesson06.weight_decay_explorer(momentum=0.5, **FAST)  # not a setting of the run
    with pytest.raises(ValueError, match="n_train"):
        lesson06.weight_decay_explorer(num_epochs=2, n_train=60001)
    panel = lesson06.weight_decay_explorer(**FAST)
    with pytest.raises(traitlets.TraitError):
        set_controls(panel, lambd=-1.0)
    with pytest.raises(ValueError, match="control"):
        set_controls(panel, dropout=0.5)


# --------------------------------------------------------------------------- exercise 1: λ for a half-life


def half_life_lambda(lr, steps):
    return (1 - 0.5 ** (1 / steps)) / lr


def test_half_life_accepts_the_solution_and_a_simulation_it_verifies(capsys):
    assert lesson06.check_half_life(half_life_lambda) is True
    assert lesson06.check_half_life(lambda lr, steps: torch.tensor(half_life_lambda(lr, steps))) is True
    assert lesson06.check_half_life(lambda lr, steps: np.float32(half_life_lambda(lr, steps))) is True
    lr, steps = 0.05, 100
    w = torch.tensor([3.0, -4.0])
    for _ in range(steps):
        w = w - lr * half_life_lambda(lr, steps) * w  # the pure decay of section 1, step by step
    assert torch.allclose(w, torch.tensor([1.5, -2.0]))
    assert "✅" in capsys.readouterr().out


def test_half_life_hints(capsys):
    cases = {
        "small-step approximation": lambda lr, steps: math.log(2) / (lr * steps),
        "divide by lr": lambda lr, steps: 1 - 0.5 ** (1 / steps),
        "k-th root": lambda lr, steps: (1 - 0.5 ** steps) / lr,
        "should be 0.5": lambda lr, steps: 0.5 / lr,
        "as a number": lambda lr, steps: None,
        "got str": lambda lr, steps: str(half_life_lambda(lr, steps)),
        "NotImplementedError": lambda lr, steps: (_ for _ in ()).throw(NotImplementedError),
    }
    for hint, fn in cases.items():
        assert lesson06.check_half_life(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


# --------------------------------------------------------------------------- exercise 2: where (1) ends


def ridge(X, y, lambd):
    n, d = X.shape
    return torch.linalg.solve(X.T @ X + n * lambd * torch.eye(d, dtype=X.dtype), X.T @ y)


def test_ridge_accepts_the_solution_which_gradient_descent_reaches(capsys):
    assert lesson06.check_ridge(ridge) is True
    assert lesson06.check_ridge(lambda X, y, lambd: ridge(X, y, lambd).reshape(-1)) is True
    assert "✅" in capsys.readouterr().out
    d = lesson06.high_dim_linear(n_train=20, num_inputs=30, seed=0)
    X, y = d.X_train.double(), d.y_train.double()
    w = torch.zeros(30, 1, dtype=torch.float64)
    for _ in range(3000):  # full-batch gradient descent on mean((Xw − y)²)/2 + λ/2‖w‖²
        w -= 0.02 * (X.T @ (X @ w - y) / 20 + 0.5 * w)
    assert torch.allclose(w, ridge(X, y, 0.5), atol=1e-8)


def test_ridge_hints(capsys):
    cases = {
        "nλI": lambda X, y, lambd: torch.linalg.solve(X.T @ X + lambd * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y),
        "λ is missing": lambda X, y, lambd: torch.linalg.pinv(X) @ y,
        "not λw/2": lambda X, y, lambd: ridge(X, y, lambd / 2),
        "gradient of the objective is not 0": lambda X, y, lambd: ridge(X, y, 2 * lambd),
        "12 weights": lambda X, y, lambd: None,
    }
    for hint, fn in cases.items():
        assert lesson06.check_ridge(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


# --------------------------------------------------------------------------- exercise 3: an L1 step


def l1_step(w, grad, lr, lambd):
    return w - lr * (grad + lambd * torch.sign(w))


def test_l1_step_accepts_the_solution(capsys):
    assert lesson06.check_l1_step(l1_step) is True
    assert "✅" in capsys.readouterr().out


def test_l1_step_hints(capsys):
    cases = {
        "weight decay (L2)": lambda w, g, lr, lambd: w - lr * (g + lambd * w),
        "plain SGD step": lambda w, g, lr, lambd: w - lr * g,
        "scaled by lr too": lambda w, g, lr, lambd: w - lr * g - lambd * torch.sign(w),
        "sign(0) = 0": lambda w, g, lr, lambd: w - lr * (g + lambd * torch.where(w >= 0, 1.0, -1.0)),
        "shaped like w": lambda w, g, lr, lambd: 0.0,
    }
    for hint, fn in cases.items():
        assert lesson06.check_l1_step(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_checks_report_an_exception(capsys):
    def broken(*args):
        raise RuntimeError("boom")
    for check in (lesson06.check_half_life, lesson06.check_ridge, lesson06.check_l1_step):
        assert check(broken) is False
        assert "RuntimeError: boom" in capsys.readouterr().out


def test_a_negative_lambd_is_refused_by_name():
    with pytest.raises(ValueError, match=r"lambd=-0\.01"):
        lesson06.train_with_weight_decay(-0.01, **FAST)
