"""helpers.lesson01 (data, drawing, explorer, exercise checks) and helpers.train's small full-batch fits
(the section lessons 01 and 02 share)."""

import matplotlib
import pytest
import torch
from torch import nn

from helpers import lesson01, train
from helpers.plot import set_controls

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def u_shape():
    return lesson01.temperature_mortality(n=200, seed=0)


@pytest.fixture(scope="module")
def xor():
    return lesson01.xor_blobs(n=400, seed=0)


# --- synthetic data


@pytest.mark.parametrize("make", [lesson01.income_repayment, lesson01.temperature_mortality, lesson01.xor_blobs])
def test_same_seed_same_data_other_seed_other_data(make):
    a, b, c = make(seed=0), make(seed=0), make(seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("make", [lesson01.income_repayment, lesson01.temperature_mortality, lesson01.xor_blobs])
def test_generators_leave_the_global_random_state_alone(make):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make(seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_income_repayment_units_shapes_and_saturation():
    income, repaid = lesson01.income_repayment(n=300, seed=0)
    assert income.shape == repaid.shape == (300, 1) and income.dtype == repaid.dtype == torch.float32
    assert 5 <= float(income.min()) and float(income.max()) <= 200  # thousand yuan a year
    assert 0 <= float(repaid.min()) and float(repaid.max()) <= 1  # a fraction of the group
    p = lesson01.repayment_probability(torch.linspace(5, 200, 100))
    steps = p.diff()
    assert (steps > 0).all(), "monotone"
    assert steps[0] > 20 * steps[-1], "saturating: steep at low incomes, flat at high ones"
    assert float(p.max()) < 1


def test_income_rates_are_binomial_fractions():
    _, repaid = lesson01.income_repayment(n=50, seed=2, group_size=50)
    assert torch.allclose(repaid * 50, (repaid * 50).round(), atol=1e-4)


def test_temperature_mortality_is_a_u_around_37_celsius():
    t, m = lesson01.temperature_mortality(n=400, seed=0)
    assert t.shape == m.shape == (400, 1)
    assert 34 <= float(t.min()) and float(t.max()) <= 42  # degrees Celsius
    assert 0 <= float(m.min()) and float(m.max()) <= 1
    grid = torch.linspace(34, 42, 801)
    rate = lesson01.mortality_rate(grid)
    assert abs(float(grid[rate.argmin()]) - 37.0) < 0.02
    assert float(rate[0]) > 0.4 and float(rate[-1]) > 0.4 and float(rate.min()) < 0.05
    low, mid, high = m[t < 36].mean(), m[(t > 36.5) & (t < 37.5)].mean(), m[t > 39].mean()
    assert low > 3 * mid and high > 3 * mid, "the observed rates dip in the middle too"


def test_xor_blobs_labels_follow_the_sign_rule():
    X, y = lesson01.xor_blobs(n=402, seed=0, spread=0.2)
    assert X.shape == (400, 2) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert int(y.sum()) == 200
    assert torch.equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).long()), "with a small spread every point obeys XOR"


def test_xor_blobs_no_linear_rule_does_well(xor):
    X, y = xor
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    w = torch.linalg.lstsq(A, (2 * y - 1).double()[:, None]).solution
    assert float((((A @ w)[:, 0] > 0).long() == y).double().mean()) < 0.65


@pytest.mark.parametrize("call, name", [
    (lambda: lesson01.income_repayment(n=0), "n"),
    (lambda: lesson01.income_repayment(n=2.5), "n"),
    (lambda: lesson01.income_repayment(group_size=0), "group_size"),
    (lambda: lesson01.temperature_mortality(seed=-1), "seed"),
    (lambda: lesson01.xor_blobs(n=3), "n"),
    (lambda: lesson01.xor_blobs(spread=-0.1), "spread"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --- helpers.train: the small full-batch fits


def test_standardize_takes_raw_units():
    X = torch.tensor([[34.0], [37.0], [40.0]])
    U = train.Standardize(X)(X)
    assert torch.allclose(U.mean(), torch.tensor(0.0), atol=1e-6) and torch.allclose(U.std(), torch.tensor(1.0))


def test_zero_hidden_units_is_the_linear_model(u_shape, xor):
    assert [type(m) for m in train.fit_regression(*u_shape, hidden=0, steps=1).net] == [train.Standardize, nn.Linear]
    net = train.fit_regression(*u_shape, hidden=5, activation="tanh", output="sigmoid", steps=1).net
    assert [type(m) for m in net] == [train.Standardize, nn.Linear, nn.Tanh, nn.Linear, nn.Sigmoid]
    assert net[-2].out_features == 1 and train.fit_classifier(*xor, hidden=0, steps=1).net[-1].out_features == 2


def test_linear_model_fails_on_the_u_and_an_mlp_fits_it(u_shape):
    t, m = u_shape
    fits = {"linear": train.fit_regression(t, m, hidden=0), "logistic": train.fit_regression(t, m, 0, output="sigmoid"),
            "mlp": train.fit_regression(t, m, hidden=8, activation="tanh")}
    r2 = {name: train.r_squared(train.predict(f.net, t), m) for name, f in fits.items()}
    assert r2["linear"] < 0.4 and r2["logistic"] < 0.4 and r2["mlp"] > 0.85
    grid = torch.linspace(34, 42, 50)[:, None]
    for name in ("linear", "logistic"):
        steps = train.predict(fits[name].net, grid).diff(dim=0)
        assert (steps >= 0).all() or (steps <= 0).all(), "a linear or logistic model is monotone"
    history = fits["mlp"].history
    assert len(history["loss"]) == 300 and history["train_loss"][-1] < history["train_loss"][0] / 10


def test_fits_are_seeded_and_leave_global_random_state_alone(u_shape):
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    a = train.fit_regression(*u_shape, hidden=4, steps=20, seed=3)
    assert torch.equal(torch.rand(2), expected)
    assert a.history["loss"] == train.fit_regression(*u_shape, hidden=4, steps=20, seed=3).history["loss"]
    assert a.history["loss"] != train.fit_regression(*u_shape, hidden=4, steps=20, seed=4).history["loss"]


def test_xor_needs_hidden_units(xor):
    assert train.evaluate(train.fit_classifier(*xor, hidden=0).net, xor)[1] < 0.65
    assert train.evaluate(train.fit_classifier(*xor, hidden=8).net, xor)[1] > 0.95


def test_fits_restore_the_thread_count(xor):
    before = torch.get_num_threads()
    train.fit_classifier(*xor, hidden=2, steps=5)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kwargs, name", [({"hidden": -2}, "hidden"), ({"hidden": 2.0}, "hidden"),
                                          ({"steps": 0}, "steps"), ({"lr": -0.1}, "lr"),
                                          ({"activation": "bogus"}, "activation"), ({"output": "softmax"}, "output"),
                                          ({"method": "sgd"}, "method")])
def test_fit_regression_refuses_impossible_settings(u_shape, kwargs, name):
    with pytest.raises(ValueError, match=name):
        train.fit_regression(*u_shape, **({"hidden": 2} | kwargs))


def test_fit_refuses_mismatched_or_empty_data(xor):
    with pytest.raises(ValueError, match="y"):
        train.fit_regression(torch.zeros(5, 1), torch.zeros(4, 1), hidden=1)
    with pytest.raises(ValueError, match="X"):
        train.fit_classifier(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), hidden=1)
    with pytest.raises(ValueError, match="method"):
        train.fit_classifier(*xor, hidden=2, method="newton")


def test_a_diverging_fit_is_reported(u_shape):
    t, m = u_shape
    with pytest.raises(train.TrainingDiverged):
        train.fit_regression(t, m * float("nan"), hidden=2, steps=3)


def test_init_at_data_puts_every_boundary_through_a_training_point(xor):
    X, _ = xor
    net = nn.Sequential(train.Standardize(X), *train.mlp(6, 2, 2, init_std=None, flatten=False))
    train.init_at_data_(net, X, y_mean=0.3, seed=0)
    z = net[0](X) @ net[1].weight.T + net[1].bias
    assert (z.abs().min(dim=0).values < 1e-5).all()
    assert torch.allclose(net[1].weight.norm(dim=1), torch.ones(6))
    assert torch.allclose(net[3].bias, torch.full((2,), 0.3))


def test_r_squared():
    y = torch.tensor([1.0, 2.0, 3.0])
    assert train.r_squared(y, y) == 1.0
    assert train.r_squared(torch.full((3,), 2.0), y) == pytest.approx(0.0)


# --- drawing and the softmax-regression run


def test_plots_draw(u_shape, xor):
    t, m = u_shape
    fits = {"linear": train.fit_regression(t, m, 0, steps=5).net}
    ax = lesson01.plot_curve_fits(t, m, fits, truth=lesson01.mortality_rate, xlabel="°C", title="t")
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "°C"
    ax = lesson01.plot_residuals(t, m, fits)
    assert len(ax.get_lines()) == 2  # the trend and the zero line
    trend = ax.get_lines()[0].get_ydata()
    r = (m - train.predict(fits["linear"], t))[torch.argsort(t[:, 0]), 0]
    assert trend[0] == pytest.approx(float(r[:11].mean()), abs=1e-6), "the window shrinks at the ends"
    assert trend[50] == pytest.approx(float(r[40:61].mean()), abs=1e-6)
    ax = lesson01.plot_decision_regions(train.fit_classifier(*xor, hidden=2, steps=5).net, *xor)
    assert ax.get_xlabel() == "x₁"
    fig = lesson01.show_class_weights(torch.randn(10, 784), [str(i) for i in range(10)])
    assert len(fig.axes) == 11  # ten panels and a colour bar
    plt.close("all")


def test_show_class_weights_refuses_wrong_shapes():
    with pytest.raises(ValueError, match="W"):
        lesson01.show_class_weights(torch.randn(10, 100), list("abcdefghij"))
    with pytest.raises(ValueError, match="title"):
        lesson01.show_class_weights(torch.randn(10, 784), ["a"])


def test_softmax_regression_trains_quickly_from_zero():
    net, history = lesson01.train_softmax_regression(num_epochs=1, verbose=False)
    assert net[1].weight.shape == (10, 784)
    assert history["test_acc"][0] > 0.7
    with pytest.raises(ValueError, match="num_epochs"):
        lesson01.train_softmax_regression(num_epochs=0)


# --- the explorer


def test_fit_explorer_linear_fails_hidden_units_fit():
    panel = lesson01.fit_explorer(dataset="xor", hidden=0)
    assert panel.result["score_name"] == "accuracy" and panel.result["score"] < 0.65
    assert set_controls(panel, hidden=8)["score"] > 0.95
    u = set_controls(panel, dataset="u_shape")
    assert u["score_name"] == "R²" and u["score"] > 0.85 and u["hidden"] == 8
    assert set_controls(panel, hidden=0)["score"] < 0.4
    assert set_controls(panel, activation="tanh", hidden=4)["activation"] == "tanh"
    plt.close("all")


def test_fit_explorer_caches_settings():
    panel = lesson01.fit_explorer(dataset="u_shape", hidden=2)
    first = panel.result
    set_controls(panel, hidden=3)
    assert set_controls(panel, hidden=2) is first
    assert panel.cache.cache_info().misses == 2
    plt.close("all")


@pytest.mark.parametrize("kwargs, name", [
    ({"hidden": -1}, "hidden"), ({"hidden": 100, "max_hidden": 64}, "hidden"),
    ({"activation": "gelu"}, "activation"), ({"activation": "Relu"}, "activation"),
    ({"dataset": "moons"}, "dataset"), ({"max_hidden": 0}, "max_hidden"),
])
def test_fit_explorer_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson01.fit_explorer(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"hidden": -3}, "hidden"), ({"activation": "step"}, "activation"),
                                          ({"dataset": ""}, "dataset")])
def test_compute_fit_refuses_impossible_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lesson01.compute_fit(**kwargs)


# --- exercise checks: the solutions pass; stubs and wrong answers fail, without raising


def u_features_solution(t):
    return torch.cat([t, (t - 37) ** 2], dim=1)


def xor_solution(X):
    W1, b1 = torch.tensor([[1.0, -1.0], [-1.0, 1.0]]), torch.zeros(2)
    return torch.relu(X @ W1.T + b1) @ torch.ones(2) + torch.tensor(-1.0)


def test_u_features(capsys):
    assert lesson01.check_u_features(u_features_solution) is True
    assert "✅" in capsys.readouterr().out
    assert lesson01.check_u_features(lambda t: None) is False
    assert lesson01.check_u_features(lambda t: t) is False  # a line in t: R² 0.2
    assert "U-shaped" in capsys.readouterr().out
    assert lesson01.check_u_features(lambda t: torch.cat([t] * 6, dim=1)) is False  # too many columns
    assert lesson01.check_u_features(lambda t: t[:10]) is False  # wrong number of rows
    assert lesson01.check_u_features(lambda t: 1 / (t - t)) is False  # infinite
    assert lesson01.check_u_features(lambda t: [1, 2]) is False
    assert lesson01.check_u_features(lambda t: 1 / 0) is False  # raises inside
    assert lesson01.check_u_features(lambda t: (t - 37) ** 2) is True  # one feature is enough too
    _, died = lesson01.temperature_mortality(n=200, seed=0)
    assert lesson01.check_u_features(lambda t: torch.cat([t, died], dim=1)) is False  # the answer, not a feature


def test_xor_net(capsys):
    assert lesson01.check_xor_net(xor_solution) is True
    stub = lambda X: torch.relu(X @ torch.zeros(2, 2).T + torch.zeros(2)) @ torch.zeros(2) + torch.tensor(0.0)  # noqa: E731
    assert lesson01.check_xor_net(stub) is False
    assert "wrong at corner" in capsys.readouterr().out
    assert lesson01.check_xor_net(lambda X: X[:, 0] * 0 + 1) is False  # everything class 1
    assert lesson01.check_xor_net(lambda X: None) is False
    assert lesson01.check_xor_net(lambda X: torch.ones(3)) is False


def test_xor_net_right_at_corners_but_poor_on_blobs_fails(capsys):
    def corners_only(X):  # class 1 only in tiny discs round (1, -1) and (-1, 1)
        d = torch.minimum((X - torch.tensor([1.0, -1.0])).norm(dim=1), (X - torch.tensor([-1.0, 1.0])).norm(dim=1))
        return 0.05 - d

    assert lesson01.check_xor_net(corners_only) is False
    assert "blobs" in capsys.readouterr().out


def test_xor_net_with_a_fixed_number_of_scores_fails_without_raising():
    assert lesson01.check_xor_net(lambda X: torch.tensor([-1.0, -1.0, 1.0, 1.0])) is False
