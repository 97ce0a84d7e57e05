"""helpers.lesson05: d2l's cubic data, exact polynomial fits, the MLP on Fashion-MNIST subsets,
the three explorers (driven without a browser) and the exercise checks."""

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import lesson05 as L
from helpers import train
from helpers.plot import set_controls

matplotlib.use("Agg")

FAST = dict(num_steps=60, eval_every=30, n_val=300)  # a short run: wiring, not learning


@pytest.fixture(scope="module")
def data():
    return L.cubic_data()  # 20 training, 100 validation points, degree ≤ 20


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def predict(weights, x):
    return L.poly_features(x.double(), len(weights) - 1) @ weights


# --------------------------------------------------------------------------- cubic data


def test_shapes_dtypes_and_true_weights(data):
    assert data.x_train.shape == (20,) and data.x_val.shape == (100,)
    assert data.X_train.shape == (20, 21) and data.X_val.shape == (100, 21)
    assert data.y_train.shape == (20,) and data.y_val.shape == (100,)
    assert all(t.dtype == torch.float32 for t in data[:7])
    assert data.max_degree == 20
    assert data.true_w[:4].tolist() == pytest.approx([5.0, 1.2, -3.4, 5.6])
    assert torch.count_nonzero(data.true_w[4:]) == 0


def test_features_are_powers_over_factorials():
    x = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=torch.float64)
    F = L.poly_features(x, 6)
    assert torch.allclose(F, torch.stack([x**i / math.factorial(i) for i in range(7)], dim=1))
    assert F.dtype == torch.float64 and L.poly_features(x, 0).shape == (5, 1)


def test_labels_are_the_cubic_plus_noise_of_the_stated_size():
    d = L.cubic_data(n_train=2000, n_val=2000, noise=0.1)
    for X, x, y in ((d.X_train, d.x_train, d.y_train), (d.X_val, d.x_val, d.y_val)):
        assert torch.allclose(X @ d.true_w, L.cubic(x), atol=1e-4)
        residual = y - L.cubic(x)
        assert abs(float(residual.std()) - 0.1) < 0.01 and abs(float(residual.mean())) < 0.01
    assert abs(float(d.x_train.std()) - 1.0) < 0.1  # x ~ N(0, 1)
    noiseless = L.cubic_data(noise=0.0)
    assert torch.allclose(noiseless.y_train, L.cubic(noiseless.x_train))


def test_seeded_repeatable_and_independent_of_the_global_seed():
    torch.manual_seed(1)
    a = L.cubic_data(seed=3)
    torch.manual_seed(2)
    b = L.cubic_data(seed=3)
    assert all(torch.equal(s, t) for s, t in zip(a[:7], b[:7]))
    assert not torch.equal(a.x_train, L.cubic_data(seed=4).x_train)
    assert not set(a.x_train.tolist()) & set(a.x_val.tolist())  # validation examples are not training ones


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_train=0), "n_train"), (dict(n_train=2.5), "n_train"), (dict(n_val=-1), "n_val"),
    (dict(max_degree=2), "max_degree"), (dict(max_degree=-1), "max_degree"), (dict(max_degree=3.0), "max_degree"),
    (dict(noise=-0.1), "noise"), (dict(noise=float("inf")), "noise"), (dict(seed=-1), "seed"),
])
def test_impossible_data_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        L.cubic_data(**kwargs)


# --------------------------------------------------------------------------- exact fits


def test_cubic_fit_recovers_the_true_weights():
    fit = L.fit(L.cubic_data(n_train=500, n_val=100), 3)
    assert fit.weights.shape == (4,) and fit.weights.dtype == torch.float64
    assert torch.allclose(fit.weights, torch.tensor([5.0, 1.2, -3.4, 5.6], dtype=torch.float64), atol=0.05)
    assert fit.train_loss == pytest.approx(0.01, rel=0.25)  # the noise variance
    assert fit.lambd == 0.0


def test_losses_are_mean_squared_errors(data):
    fit = L.fit(data, 2)
    for x, y, loss in ((data.x_train, data.y_train, fit.train_loss), (data.x_val, data.y_val, fit.val_loss)):
        assert loss == pytest.approx(float(((predict(fit.weights, x) - y.double()) ** 2).mean()))
    assert fit.gap == pytest.approx(fit.val_loss - fit.train_loss)
    assert fit.weight_norm == pytest.approx(float(fit.weights[1:].norm()))  # the bias weights[0] left out
    assert L.fit(data, 0).weight_norm == 0.0 and L.fit(data, 0).weights[0] == pytest.approx(float(data.y_train.mean()))
    assert L.fit(L.cubic_data(n_train=2), 1).train_loss < 1e-20  # a line through two points


def test_training_loss_never_rises_with_degree_and_high_degrees_overfit(data):
    fits = [L.fit(data, d) for d in range(21)]
    assert [f.degree for f in fits] == list(range(21))
    train_loss = [f.train_loss for f in fits]
    assert all(b <= a * (1 + 1e-6) + 1e-9 for a, b in zip(train_loss, train_loss[1:]))  # nested models
    assert train_loss[19] < 1e-8  # 20 parameters, 20 points: the curve passes through every one
    assert int(np.argmin([f.val_loss for f in fits])) == 3
    fit3, fit10 = L.fit(data, 3), L.fit(data, 10)
    assert fit10.train_loss < fit3.train_loss and fit10.val_loss > 1000 * fit3.val_loss
    assert fit10.gap > fit3.gap
    assert fit10.weight_norm > 1000 * fit3.weight_norm  # the overfitting fit has huge weights


def test_a_bound_on_the_weights_is_met_and_is_equivalent_to_a_penalty(data):
    free = L.fit(data, 20)
    A, y = data.X_train.double(), data.y_train.double()
    for c in (1.0, 8.0, 100.0, 1e5):
        fit = L.fit(data, 20, max_norm=c)
        assert fit.weight_norm == pytest.approx(c, rel=1e-6) and fit.lambd > 0
        # the same weights minimise ½·mean((ŷ − y)²) + λ/2·‖w‖² with the bias unpenalised: zero gradient there
        residual = A @ fit.weights - y
        grad = A.T @ residual / len(y) + fit.lambd * torch.cat([torch.zeros(1, dtype=torch.float64), fit.weights[1:]])
        assert float(grad.norm()) < 1e-6 * max(1.0, float((A.T @ y).norm()) / len(y))
        assert abs(float(residual.mean())) < 1e-9  # the bias is free: residuals average to zero
    loose = L.fit(data, 20, max_norm=10 * free.weight_norm)
    assert loose.lambd == 0.0 and torch.allclose(loose.weights, free.weights)


def test_training_loss_falls_and_lambda_shrinks_as_the_bound_grows(data):
    fits = [L.fit(data, 20, max_norm=c) for c in np.logspace(0, 10, 41)]
    assert all(b.train_loss <= a.train_loss * (1 + 1e-6) and b.lambd <= a.lambd for a, b in zip(fits, fits[1:]))
    near_truth = L.fit(data, 20, max_norm=float(data.true_w[1:].norm()))
    assert near_truth.val_loss < 0.05
    assert L.fit(data, 20, max_norm=1e4).val_loss > 1000 * near_truth.val_loss
    assert L.fit(data, 20, max_norm=1.0).val_loss > 10  # too small a bound underfits


@pytest.mark.parametrize("degree", [-1, 21, 2.0, True, "3", None])
def test_impossible_degrees_are_refused(data, degree):
    with pytest.raises(ValueError, match="degree"):
        L.fit(data, degree)


@pytest.mark.parametrize("max_norm", [0, -1.0, float("inf"), float("nan"), "big", True])
def test_impossible_bounds_are_refused(data, max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        L.fit(data, 5, max_norm=max_norm)


# --------------------------------------------------------------------------- the MLP on n images


def test_small_subsets_are_memorised_large_ones_generalise():
    small = L.train_on_subset(25, num_steps=150, eval_every=50, n_val=500)
    large = L.train_on_subset(5000, num_steps=150, eval_every=50, n_val=500)
    assert small["step"] == [0, 50, 100, 150]
    assert small["train_acc"][-1] == 1.0
    assert small["gap"] > 0.5 and small["gap"] > 5 * abs(large["gap"])
    assert small["val_acc"][-1] < large["val_acc"][-1]
    assert small["epochs"] == 150 and large["epochs"] == pytest.approx(150 / 79)
    assert small["gap"] == pytest.approx(small["val_loss"][-1] - small["train_loss"][-1])


def test_runs_are_seeded_and_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = L.train_on_subset(100, **FAST)
    assert torch.equal(torch.get_rng_state(), before)
    b = L.train_on_subset(100, **FAST)
    assert a["val_loss"] == b["val_loss"] and a["batch_size"] == 64
    assert L.train_on_subset(100, seed=1, **FAST)["val_loss"] != a["val_loss"]


def test_the_same_draws_as_the_note_style_loop():
    """train.train in steps mode gives what a hand-written loop on data.subset gives, step for step."""
    from helpers import data as D

    s = D.subset(100, 300)
    torch.manual_seed(0)
    net = train.mlp(256)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    batches = D.TensorBatches(s.X_train, s.y_train, 64, shuffle=True)
    step = 0
    while step < 60:
        for X, y in batches:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X), y).backward()
            opt.step()
            step += 1
            if step == 60:
                break
    val_loss = train.evaluate(net, (s.X_val, s.y_val))[0]
    assert L.train_on_subset(100, device="cpu", **FAST)["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_train=0), "n_train"), (dict(n_train=-5), "n_train"), (dict(n_train=2.5), "n_train"),
    (dict(n_train=59001), "n_train"), (dict(n_train=100, n_val=0), "n_val"),
    (dict(n_train=100, n_val=20000), "n_val"), (dict(n_train=100, num_steps=0), "num_steps"),
    (dict(n_train=100, lr=-0.1), "lr"), (dict(n_train=100, batch_size=0), "batch_size"),
    (dict(n_train=100, eval_every=0), "eval_every"), (dict(n_train=100, num_hiddens=0), "num_hiddens"),
])
def test_impossible_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        L.train_on_subset(**kwargs)


def test_divergence_is_reported():
    with pytest.raises(train.TrainingDiverged):
        L.train_on_subset(100, lr=1e12, num_steps=20, eval_every=10, n_val=100)


def test_a_cpu_run_uses_one_thread_and_restores_the_count(monkeypatch):
    before, seen = torch.get_num_threads(), []
    original = train.evaluate

    def spy(net, data_iter, loss=None):
        seen.append(torch.get_num_threads())
        return original(net, data_iter, loss)

    monkeypatch.setattr(train, "evaluate", spy)
    L.train_on_subset(50, device="cpu", **FAST)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


# --------------------------------------------------------------------------- drawing and explorers


def test_degree_explorer_gap_grows_with_degree():
    panel = L.degree_explorer(L.cubic_data())
    assert panel.result.degree == 3
    gaps = [set_controls(panel, degree=d).gap for d in (3, 6, 10, 19)]
    assert gaps == sorted(gaps) and gaps[-1] > 1e6 * gaps[0]
    assert set_controls(panel, degree=1).train_loss > 100 * set_controls(panel, degree=3).train_loss  # underfits
    assert panel.cache.cache_info().misses == 5  # degree 3 came back from the cache


def test_degree_explorer_refuses_a_degree_the_data_lacks():
    with pytest.raises(ValueError, match="degree"):
        L.degree_explorer(L.cubic_data(), degree=25)
    assert L.degree_explorer(L.cubic_data(max_degree=5)).kwargs_widgets[0].max == 5


def test_weight_norm_explorer_bigger_weights_fit_training_better_and_validation_worse():
    panel = L.weight_norm_explorer(L.cubic_data())
    assert panel.result.degree == 20 and panel.result.weight_norm == pytest.approx(10.0)
    tight, right, loose = (set_controls(panel, max_norm=c) for c in (1.0, 6.7, 1e6))
    assert tight.train_loss > right.train_loss > loose.train_loss
    assert tight.val_loss > right.val_loss < loose.val_loss
    assert loose.gap > 1e3 * right.gap
    assert right.weight_norm == pytest.approx(6.7, rel=1e-6) and right.lambd > loose.lambd > 0


def test_weight_norm_explorer_refuses_bad_settings():
    with pytest.raises(ValueError, match="max_norm"):
        L.weight_norm_explorer(L.cubic_data(), max_norm=0)


def test_sample_size_explorer_returns_the_history_of_each_setting():
    panel = L.sample_size_explorer(n_train=50, sizes=(50, 2000), num_steps=40, eval_every=20, n_val=200)
    small = panel.result
    assert small["n_train"] == 50 and small["step"] == [0, 20, 40]
    assert all(len(small[key]) == 3 for key in ("train_loss", "val_loss", "train_acc", "val_acc"))
    big = set_controls(panel, n_train=2000)
    assert big["n_train"] == 2000
    assert small["train_loss"][-1] < big["train_loss"][-1]  # 50 images are easier to fit than 2000
    assert set_controls(panel, n_train=50) is small  # cached


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_train=7, sizes=(50, 100)), "n_train"), (dict(n_train=100, sizes=(0, 100)), "sizes"),
    (dict(n_train=100, sizes=(100, 59500)), "sizes"), (dict(sizes=()), "sizes"),
])
def test_sample_size_explorer_refuses_impossible_sizes(kwargs, name):
    with pytest.raises(ValueError, match=name):
        L.sample_size_explorer(**kwargs)


def test_draw_functions_label_their_axes(data):
    fig, (a, b, c, d, e) = plt.subplots(1, 5)
    L.draw_polynomial_fit(a, data, L.fit(data, 4))
    L.draw_sweep(b, [L.fit(data, k) for k in range(8)], mark=4)
    L.draw_sweep(c, [L.fit(data, 20, max_norm=C) for C in (1.0, 10.0, 100.0)], (1.0, 10.0, 100.0), 10.0, 8.33)
    L.draw_subset_curves(L.train_on_subset(50, **FAST), (d, e))
    for ax in (a, b, c, d, e):
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() and ax.get_legend() is not None
    assert b.get_yscale() == "log" and c.get_xscale() == "log"


# --------------------------------------------------------------------------- exercise checks
# Solutions as in the notebook.


def poly_features(x, max_degree):
    return torch.stack([x**i / math.factorial(i) for i in range(max_degree + 1)], dim=1)


def split(n, n_val, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[n_val:], order[:n_val]


def choose_degree(sweep):
    best = min(range(len(sweep["val_loss"])), key=lambda i: sweep["val_loss"][i])
    return sweep["degree"][best]


def test_poly_features_solution_passes(capsys):
    assert L.check_poly_features(poly_features) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, d: None, "returned None"),
    (lambda x, d: torch.stack([x**i for i in range(d + 1)], dim=1), "divide column i by i!"),
    (lambda x, d: torch.stack([x**i / math.factorial(i) for i in range(1, d + 1)], dim=1), "column 0 is x^0/0! = 1"),
    (lambda x, d: torch.stack([x**i / math.factorial(i) for i in range(d + 1)], dim=0), "stack along dim=1"),
    (lambda x, d: torch.stack([x**i / (i + 1) for i in range(d + 1)], dim=1), "column 1"),
    (lambda x, d: x, "2-D tensor"),
    (lambda x, d: 1 / 0, "ZeroDivisionError"),
    (lambda x, d: "features", "2-D tensor"),
])
def test_poly_features_wrong_answers_fail_with_a_hint(wrong, hint, capsys):
    assert L.check_poly_features(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and hint in out


@pytest.mark.parametrize("shortcut", [
    L.poly_features,
    lambda x, d: L.poly_features(x, d),
    lambda x, d: L.poly_features(x.double(), d).float(),
])
def test_poly_features_refuses_the_lessons_own_function(shortcut, capsys):
    assert L.check_poly_features(shortcut) is False
    assert "lesson05.poly_features" in capsys.readouterr().out
    assert L.poly_features(torch.ones(2), 1).shape == (2, 2)  # and the module's function is put back


def test_poly_features_check_does_not_lean_on_the_module(monkeypatch):
    """The expected values are the check's own: a broken lesson05.poly_features does not move them."""
    monkeypatch.setattr(L, "poly_features", lambda x, d: torch.zeros(len(x), d + 1))
    assert L.check_poly_features(poly_features) is True


def test_poly_features_stub_fails_without_raising(capsys):
    def stub(x, max_degree):
        raise NotImplementedError
    assert L.check_poly_features(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out


def test_split_solution_passes(capsys):
    assert L.check_split(split) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, v, s: None, "returned None"),
    (lambda n, v, s: (torch.arange(v, n), torch.arange(v)), "first or last rows"),
    (lambda n, v, s: (torch.arange(n - v), torch.arange(n - v, n)), "first or last rows"),
    (lambda n, v, s: (torch.randperm(n)[v:], torch.randperm(n)[:v]), "both sets"),
    (lambda n, v, s: (torch.randperm(n)[:n - v], torch.arange(n)[:v]), None),
    (lambda n, v, s: split(n, v + 1, s), "exactly n_val"),
    (lambda n, v, s: (split(n, v, s)[0][1:], split(n, v, s)[1]), "n − n_val"),
    (lambda n, v, s: (split(n, v, s)[0] + 1, split(n, v, s)[1] + 1), "every index"),
    (lambda n, v, s: split(n, v, 0), "seed=1 gave the same split"),
    (lambda n, v, s: (lambda o: (o[v:], o[:v]))(torch.randperm(n)), "same seed gave a different split"),
    (lambda n, v, s: (torch.rand(n - v), torch.rand(v)), "integer indices"),
    (lambda n, v, s: split(n, v, s)[1], "pair"),
])
def test_split_wrong_answers_fail(wrong, hint, capsys):
    assert L.check_split(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and (hint is None or hint in out)


def test_choose_degree_solution_passes(capsys):
    assert L.check_choose_degree(choose_degree) is True
    assert "✅" in capsys.readouterr().out


def by_train(sweep):
    return sweep["degree"][min(range(len(sweep["train_loss"])), key=lambda i: sweep["train_loss"][i])]


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
    (lambda s: 7, "not the one with the lowest validation loss"),
    (lambda s: "3", "an int"),
    (lambda s: s["degree"][-1], None),
])
def test_choose_degree_wrong_answers_fail(wrong, hint, capsys):
    assert L.check_choose_degree(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and (hint is None or hint in out)


def test_choose_degree_does_not_let_the_student_change_the_tables():
    def vandal(sweep):
        sweep["val_loss"].clear()
        return 3
    L.check_choose_degree(vandal)
    assert L.SWEEPS[0]["val_loss"][3] == 0.0187
    assert L.check_choose_degree(choose_degree) is True
