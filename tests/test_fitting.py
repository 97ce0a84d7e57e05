"""helpers.fitting, helpers.fit_plots and helpers.diagrams: small fits that work, and refuse bad settings."""

import matplotlib
import pytest
import torch
from torch import nn

from helpers import diagrams, fit_plots, fitting, synthetic

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def u_shape():
    return synthetic.temperature_mortality(n=200, seed=0)


@pytest.fixture(scope="module")
def xor():
    return synthetic.xor_blobs(n=400, seed=0)


def test_make_mlp_zero_hidden_is_the_linear_model():
    net = fitting.make_mlp(3, 0, 2)
    assert [type(m) for m in net] == [nn.Linear]
    net = fitting.make_mlp(3, 5, 2, "tanh", output="sigmoid")
    assert [type(m) for m in net] == [nn.Linear, nn.Tanh, nn.Linear, nn.Sigmoid]


@pytest.mark.parametrize("kwargs, name", [
    ({"hidden": -1}, "hidden"), ({"hidden": 2.0}, "hidden"), ({"hidden": True}, "hidden"),
    ({"activation": "softplus"}, "activation"), ({"hidden": 0, "activation": "rleu"}, "activation"),
    ({"output": "softmax"}, "output"), ({"in_features": 0}, "in_features"),
])
def test_make_mlp_refuses_impossible_settings(kwargs, name):
    args = {"in_features": 1, "hidden": 4, "out_features": 1, "activation": "relu"} | kwargs
    with pytest.raises(ValueError, match=name):
        fitting.make_mlp(**args)


def test_standardize_takes_raw_units():
    X = torch.tensor([[34.0], [37.0], [40.0]])
    layer = fitting.Standardize.fit(X)
    U = layer(X)
    assert torch.allclose(U.mean(), torch.tensor(0.0), atol=1e-6) and torch.allclose(U.std(), torch.tensor(1.0))


def test_linear_model_fails_on_the_u_and_an_mlp_fits_it(u_shape):
    t, m = u_shape
    linear = fitting.fit_regression(t, m, hidden=0)
    logistic = fitting.fit_regression(t, m, hidden=0, output="sigmoid")
    mlp = fitting.fit_regression(t, m, hidden=8, activation="tanh")
    r2 = {name: fitting.r_squared(fitting.predict(f.net, t), m)
          for name, f in (("linear", linear), ("logistic", logistic), ("mlp", mlp))}
    assert r2["linear"] < 0.4 and r2["logistic"] < 0.4 and r2["mlp"] > 0.85
    grid = torch.linspace(34, 42, 50)[:, None]
    for f in (linear, logistic):
        steps = fitting.predict(f.net, grid).diff(dim=0)
        assert (steps >= 0).all() or (steps <= 0).all(), "a linear or logistic model is monotone"
    assert mlp.losses[-1] < mlp.losses[0]


def test_fits_are_seeded_and_leave_global_random_state_alone(u_shape):
    t, m = u_shape
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    a = fitting.fit_regression(t, m, hidden=4, steps=20, seed=3)
    assert torch.equal(torch.rand(2), expected)
    b = fitting.fit_regression(t, m, hidden=4, steps=20, seed=3)
    assert a.losses == b.losses


def test_xor_needs_hidden_units(xor):
    X, y = xor
    assert fitting.class_accuracy(fitting.fit_classifier(X, y, hidden=0).net, X, y) < 0.65
    assert fitting.class_accuracy(fitting.fit_classifier(X, y, hidden=8).net, X, y) > 0.95


def test_fits_restore_the_thread_count(xor):
    before = torch.get_num_threads()
    fitting.fit_classifier(*xor, hidden=2, steps=5)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kwargs, name", [({"hidden": -2}, "hidden"), ({"steps": 0}, "steps"),
                                          ({"lr": -0.1}, "lr"), ({"activation": "bogus"}, "activation")])
def test_fit_regression_refuses_impossible_settings(u_shape, kwargs, name):
    args = {"hidden": 2} | kwargs
    with pytest.raises(ValueError, match=name):
        fitting.fit_regression(*u_shape, **args)


def test_fit_refuses_mismatched_or_empty_data():
    with pytest.raises(ValueError, match="y"):
        fitting.fit_regression(torch.zeros(5, 1), torch.zeros(4, 1), hidden=1)
    with pytest.raises(ValueError, match="X"):
        fitting.fit_classifier(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), hidden=1)


def test_a_diverging_fit_is_reported(u_shape):
    t, m = u_shape
    with pytest.raises(fitting.TrainingDiverged):
        fitting.fit_regression(t, m * float("nan"), hidden=2, steps=3)


def test_relu_kinks_are_where_hidden_units_switch():
    net = fitting.make_mlp(1, 3, 1, "relu", fitting.Standardize(torch.tensor([10.0]), torch.tensor([2.0])))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0], [-2.0], [0.0]]))
        net[1].bias.copy_(torch.tensor([-1.0, 1.0, 5.0]))  # u = 1 and u = 0.5; the third never switches
    kinks = fitting.relu_kinks(net, 0, 20)
    assert torch.allclose(kinks, torch.tensor([11.0, 12.0]))  # x = 10 + 2u
    assert len(fitting.relu_kinks(net, 11.5, 20)) == 1
    with pytest.raises(ValueError, match="ReLU"):
        fitting.relu_kinks(fitting.make_mlp(1, 3, 1, "tanh"), 0, 1)


def test_init_at_data_puts_every_boundary_through_a_training_point(xor):
    X, _ = xor
    net = fitting.make_mlp(2, 6, 2, "relu", fitting.Standardize.fit(X))
    fitting.init_at_data_(net, X, y_mean=0.3, seed=0)
    U = net[0](X)
    z = U @ net[1].weight.T + net[1].bias
    assert (z.abs().min(dim=0).values < 1e-5).all()
    assert torch.allclose(net[1].weight.norm(dim=1), torch.ones(6))
    assert torch.allclose(net[3].bias, torch.full((2,), 0.3))


def test_r_squared_and_accuracy():
    y = torch.tensor([1.0, 2.0, 3.0])
    assert fitting.r_squared(y, y) == 1.0
    assert fitting.r_squared(torch.full((3,), 2.0), y) == pytest.approx(0.0)
    net = nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.eye(2))
        net.bias.zero_()
    assert fitting.class_accuracy(net, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])) == 0.5


def test_probability_grid_shape(xor):
    fit = fitting.fit_classifier(*xor, hidden=2, steps=5)
    xx, yy, p = fitting.probability_grid(fit.net, (-2, 2), (-1, 1), steps=20)
    assert xx.shape == yy.shape == p.shape == (20, 20)
    assert float(p.min()) >= 0 and float(p.max()) <= 1


def test_plots_draw(u_shape, xor):
    t, m = u_shape
    fits = {"linear": fitting.fit_regression(t, m, 0, steps=5).net}
    ax = fit_plots.plot_curve_fits(t, m, fits, truth=synthetic.mortality_rate, xlabel="°C", title="t")
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "°C"
    ax = fit_plots.plot_residuals(t, m, fits)
    assert len(ax.get_lines()) == 2  # the trend and the zero line
    ax = fit_plots.plot_decision_regions(fitting.fit_classifier(*xor, hidden=2, steps=5).net, *xor)
    assert ax.get_xlabel() == "x₁"
    fig = fit_plots.show_class_weights(torch.randn(10, 784), [str(i) for i in range(10)])
    assert len(fig.axes) == 11  # ten panels and a colour bar
    plt.close("all")


def test_show_class_weights_refuses_wrong_shapes():
    with pytest.raises(ValueError, match="W"):
        fit_plots.show_class_weights(torch.randn(10, 100), list("abcdefghij"))
    with pytest.raises(ValueError, match="titles"):
        fit_plots.show_class_weights(torch.randn(10, 784), ["a"])


def test_moving_average():
    values = torch.tensor([0.0, 0.0, 3.0, 0.0, 0.0])
    assert torch.allclose(fit_plots._moving_average(values, 3), torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0]))


def test_layer_parameters_and_structure_figure():
    assert diagrams.layer_parameters((784, 256, 10)) == [200960, 2570]
    assert diagrams.layer_parameters((784, 10)) == [7850]
    for bad in ((784,), (784, 0, 10), (784, 2.5)):
        with pytest.raises(ValueError, match="sizes"):
            diagrams.layer_parameters(bad)
    fig = diagrams.mlp_structure_figure()
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "203,530" in titles and "7,850" in titles
    plt.close(fig)


def test_softmax_regression_trains_quickly_from_zero():
    net, history = fitting.train_softmax_regression(num_epochs=1, verbose=False)
    assert net[1].weight.shape == (10, 784)
    assert history["test_acc"][0] > 0.7
    with pytest.raises(ValueError, match="num_epochs"):
        fitting.train_softmax_regression(num_epochs=0)


def test_lbfgs_fits_the_wiggly_curve_closely():
    x, y = synthetic.wiggly_curve(n=120, seed=0)
    fit = fitting.fit_regression(x, y, hidden=64, steps=200, method="lbfgs")
    assert fitting.r_squared(fitting.predict(fit.net, x), y) > 0.98
    assert fit.losses[-1] < fit.losses[0] / 10


def test_unknown_method_is_refused(u_shape, xor):
    with pytest.raises(ValueError, match="method"):
        fitting.fit_regression(*u_shape, hidden=2, method="sgd")
    with pytest.raises(ValueError, match="method"):
        fitting.fit_classifier(*xor, hidden=2, method="newton")
