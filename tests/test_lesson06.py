"""helpers.lesson06: d2l's 200-feature data, train.train_grid (k settings at once), the λ explorer, and the
exercise checks."""

import math

import ipywidgets as widgets
import numpy as np
import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import torch  # noqa: E402
import traitlets  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402
from torch import nn  # noqa: E402

from helpers import data, lesson06, train  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

FAST = dict(num_epochs=3, n_train=60, n_val=40)
KEYS = ("train_loss", "val_loss", "train_acc", "val_acc", "weight_norm")


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


# --------------------------------------------------------------------------- k settings at once: train.train_grid


class SliceDropout(nn.Module):
    """Inverted dropout whose mask is slice ``j`` of what train_grid draws for all k copies at once."""

    def __init__(self, k, j, p, seed=0):
        super().__init__()
        self.k, self.j, self.keep, self.gen = k, j, 1 - p, torch.Generator().manual_seed(seed)

    def forward(self, H):
        if not self.training or self.keep == 1:
            return H
        return H * (torch.rand(self.k, *H.shape, generator=self.gen)[self.j] < self.keep) / self.keep


def test_train_grid_equals_k_separate_ordinary_runs():
    """The proof of the batching: copy j of one batched run = train.train on mlp(...) with SGD(weight_groups(λ_j),
    momentum) and dropout p_j, from the same init and minibatches (float tolerance), epoch by epoch."""
    d = data.subset(120, n_val=60)
    lambdas, dropouts = (0.0, 0.03, 0.0, 0.01), (0.0, 0.0, 0.5, 0.3)
    sets = {"train": (d.X_train, d.y_train), "val": (d.X_val, d.y_val)}
    grid = train.train_grid(lambdas, dropouts, (d.X_train, d.y_train), sets, 3, num_hiddens=24, lr=0.05,
                            batch_size=25)
    for j, (lambd, p) in enumerate(zip(lambdas, dropouts)):
        torch.manual_seed(0)
        net = train.mlp(24)
        net.insert(3, SliceDropout(len(lambdas), j, p))
        opt = torch.optim.SGD(train.weight_groups(net, lambd), lr=0.05, momentum=0.9)
        seen = []
        train.train(net, data.TensorBatches(d.X_train, d.y_train, 25, shuffle=True), None, 3, optimizer=opt,
                    device="cpu", verbose=False, callback=lambda e, net, h: seen.append(
                        (*train.evaluate(net, sets["train"]), *train.evaluate(net, sets["val"]),
                         train.weight_norm(net))))
        want = list(zip(*seen))
        for key, values in zip(("train_loss", "train_acc", "val_loss", "val_acc", "weight_norm"), want):
            assert grid[j][key] == pytest.approx(values, abs=1e-5), (j, key)
        for ours, theirs in zip(grid[j]["params"], (net[1].weight.T, net[1].bias, net[4].weight.T, net[4].bias)):
            assert torch.allclose(ours, theirs, atol=1e-5)
    assert grid[0]["val_loss"] != grid[1]["val_loss"] != grid[2]["val_loss"]  # the settings do differ


def test_train_grid_is_seeded_and_leaves_the_callers_random_state_alone():
    d = data.subset(60, n_val=30)
    run = lambda seed=0: train.train_grid((0.0, 0.1), (0.2, 0.0), (d.X_train, d.y_train),  # noqa: E731
                                          {"val": (d.X_val, d.y_val)}, 2, num_hiddens=8, seed=seed)
    torch.manual_seed(123)
    before, threads = torch.get_rng_state(), torch.get_num_threads()
    a = run()
    assert torch.equal(torch.get_rng_state(), before) and torch.get_num_threads() == threads
    assert run()[1]["val_loss"] == a[1]["val_loss"] and run(seed=1)[1]["val_loss"] != a[1]["val_loss"]
    assert set(a[0]) == {"epoch", "val_loss", "val_acc", "weight_norm", "params"} and a[0]["epoch"] == [1, 2]


def test_train_grid_evaluates_every_nth_epoch_and_the_last():
    d = data.subset(60, n_val=30)
    run = lambda **kw: train.train_grid((0.0, 0.1), (0.2, 0.0), (d.X_train, d.y_train),  # noqa: E731
                                        {"val": (d.X_val, d.y_val)}, 5, num_hiddens=8, **kw)
    every, sparse = run(), run(eval_every=2)
    assert every[0]["epoch"] == [1, 2, 3, 4, 5] and sparse[0]["epoch"] == [2, 4, 5]
    for a, b in zip(every, sparse):  # the same training, recorded less often
        assert b["val_loss"] == [a["val_loss"][e - 1] for e in (2, 4, 5)]
        assert all(torch.equal(x, y) for x, y in zip(a["params"], b["params"]))
    with pytest.raises(ValueError, match="eval_every"):
        run(eval_every=0)


@pytest.mark.parametrize("lambdas, dropouts, name", [((-0.01,), (0.0,), "lambdas"), ((0.0,), (1.0,), "dropouts"),
                                                     ((0.0, 0.1), (0.0,), "one of each")])
def test_train_grid_refuses_bad_settings(lambdas, dropouts, name):
    d = data.subset(20)
    with pytest.raises(ValueError, match=name):
        train.train_grid(lambdas, dropouts, (d.X_train, d.y_train), {}, 1, num_hiddens=4)


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


@pytest.fixture(scope="module")
def panel():
    return lesson06.weight_decay_explorer(**FAST)


def test_the_slider_reaches_zero_and_is_log_spaced(panel, check_history):
    slider = panel.kwargs_widgets[0]
    assert isinstance(slider, widgets.SelectionSlider) and slider.description == "λ"
    assert slider.value == 0.0 and slider.continuous_update is False
    values = [v for _, v in slider.options]
    assert values == list(lesson06.LAMBDA_STOPS) and values[0] == 0.0
    assert [label for label, _ in slider.options] == ["0", "1e-3", "1e-2", "1e-1"]  # one a decade
    assert set(panel.runs) == set(lesson06.LAMBDA_STOPS)
    for h in panel.runs.values():  # evaluated every 2 epochs and after the last
        assert h["epoch"] == [2, 3]
        check_history(h, 2, KEYS)


def test_every_stop_is_trained_once_when_built_and_a_move_only_redraws(monkeypatch):
    calls = []
    grid = train.train_grid
    monkeypatch.setattr(train, "train_grid", lambda *a, **kw: calls.append(a[:2]) or grid(*a, **kw))
    panel = lesson06.weight_decay_explorer(**FAST)
    assert calls == [(lesson06.LAMBDA_STOPS, [0.0] * len(lesson06.LAMBDA_STOPS))]
    before = panel.plots.children[0].value
    norms = [set_controls(panel, lambd=lam)["weight_norm"][-1] for lam in (0.0, 1e-2, 1e-1)]
    assert norms[0] > norms[1] > norms[2], norms
    assert len(calls) == 1 and set_controls(panel, lambd=1e-1) is panel.runs[1e-1]
    assert panel.plots.children[0].value != before  # a new PNG


def test_a_move_updates_the_lines_over_the_grey_reference(panel, monkeypatch):
    h = set_controls(panel, lambd=1e-2)
    ax_loss, ax_norm = panel.figure.axes
    assert "λ = 1e-2" in ax_loss.get_title() and "‖W‖" in ax_norm.get_ylabel()
    lines = {line.get_label(): list(line.get_ydata()) for line in ax_loss.lines + ax_norm.lines}
    assert lines["validation loss"] == h["val_loss"] and lines["weight norm"] == h["weight_norm"]
    assert lines["train loss, λ = 0"] == panel.runs[0.0]["train_loss"] != h["train_loss"]
    # the figure is drawn again, not rebuilt, and cropped as a fresh picture of it would be
    assert panel.plots.children[0].value == print_figure(panel.figure, "png", bbox_inches="tight")
    drawn, draw = [], type(panel.figure).draw
    monkeypatch.setattr(type(panel.figure), "draw", lambda self, *a, **kw: drawn.append(1) or draw(self, *a, **kw))
    set_controls(panel, lambd=1e-1)
    assert len(drawn) == 1  # one draw a move: no layout engine left to run again, no second pass for the crop
    set_controls(panel, lambd=0.0)


def final(h, key):
    return sum(h[key][-3:]) / 3  # the last 3 evaluations (epochs 36, 38, 40), past the epoch-to-epoch wobble


def test_at_the_lessons_settings_0_overfits_the_middle_cures_and_the_top_underfits():
    runs = lesson06.weight_decay_explorer().runs  # 1500 training and 1000 validation images, 40 epochs, as lesson 06
    free, cure, most = runs[0.0], runs[1e-2], runs[1e-1]
    low = free["val_loss"].index(min(free["val_loss"]))  # λ = 0: the validation loss climbs from its low point ...
    assert final(free, "val_loss") > free["val_loss"][low] + 0.1 and final(free, "train_loss") < 0.5 * free[
        "train_loss"][low]  # ... while the training loss keeps falling
    assert final(cure, "val_loss") < final(free, "val_loss") - 0.1  # λ = 1e-2 ends far lower, near its own best
    assert final(cure, "val_loss") < min(cure["val_loss"]) + 0.03
    assert final(most, "train_loss") > 5 * final(free, "train_loss")  # λ = 0.1 cannot fit even the training set
    assert final(most, "val_loss") > final(cure, "val_loss") + 0.2
    assert [h["weight_norm"][-1] for h in runs.values()] == sorted((h["weight_norm"][-1] for h in runs.values()),
                                                                   reverse=True)  # more decay, smaller weights


def test_the_explorer_refuses_bad_values(panel):
    with pytest.raises(ValueError, match="lambd"):
        lesson06.weight_decay_explorer(lambd=-1.0, **FAST)
    with pytest.raises(ValueError, match="lambd"):
        lesson06.weight_decay_explorer(lambd=0.5, **FAST)  # not a stop of the slider
    with pytest.raises(TypeError, match="bogus"):
        lesson06.weight_decay_explorer(bogus=0.5, **FAST)  # not a setting of the run
    with pytest.raises(ValueError, match="n_train"):
        lesson06.weight_decay_explorer(num_epochs=2, n_train=60001)
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
