"""helpers.polyfit: exact polynomial fits by degree and by weight-norm bound, on d2l's cubic data."""

import math

import numpy as np
import pytest
import torch

from helpers import polyfit, synthetic


@pytest.fixture(scope="module")
def data():
    return synthetic.cubic_data()  # 20 training, 100 validation points, degree ≤ 20


def test_cubic_fit_recovers_the_true_weights(data):
    big = synthetic.cubic_data(n_train=500, n_val=100)
    fit = polyfit.fit(big, 3)
    assert fit.weights.shape == (4,) and fit.weights.dtype == torch.float64
    assert torch.allclose(fit.weights, torch.tensor([5.0, 1.2, -3.4, 5.6], dtype=torch.float64), atol=0.05)
    assert fit.train_loss == pytest.approx(0.01, rel=0.25)  # the noise variance
    assert fit.max_norm is None and fit.lambd == 0.0


def test_losses_are_mean_squared_errors(data):
    fit = polyfit.fit(data, 2)
    pred = polyfit.predict(fit.weights, data.x_train)
    assert fit.train_loss == pytest.approx(float(((pred - data.y_train.double()) ** 2).mean()))
    pred_val = polyfit.predict(fit.weights, data.x_val)
    assert fit.val_loss == pytest.approx(float(((pred_val - data.y_val.double()) ** 2).mean()))
    assert fit.gap == pytest.approx(fit.val_loss - fit.train_loss)
    assert fit.ratio == pytest.approx(fit.val_loss / fit.train_loss)
    assert fit.weight_norm == pytest.approx(float(fit.weights.norm()))


def test_training_loss_never_rises_with_degree_and_high_degrees_overfit(data):
    sweep = polyfit.degree_sweep(data)
    assert sweep["degree"] == list(range(21))
    train = sweep["train_loss"]
    assert all(b <= a * (1 + 1e-6) + 1e-9 for a, b in zip(train, train[1:]))  # nested models
    assert train[19] < 1e-8  # 20 parameters, 20 points: the curve passes through every one
    best = int(np.argmin(sweep["val_loss"]))
    assert best == 3
    fit3, fit10 = polyfit.fit(data, 3), polyfit.fit(data, 10)
    assert fit10.train_loss < fit3.train_loss and fit10.val_loss > 1000 * fit3.val_loss
    assert fit10.gap > fit3.gap and fit10.ratio > 100 * fit3.ratio
    assert fit10.weight_norm > 1000 * fit3.weight_norm  # the overfitting fit has huge weights


def test_two_points_are_fitted_exactly_by_a_line():
    tiny = synthetic.cubic_data(n_train=2, n_val=100)
    fit = polyfit.fit(tiny, 1)
    assert fit.train_loss < 1e-20
    assert fit.val_loss > 1.0


def test_a_bound_on_the_weights_is_met_and_is_equivalent_to_a_penalty(data):
    free = polyfit.fit(data, 20)
    for c in (1.0, 8.0, 100.0, 1e5):
        fit = polyfit.fit(data, 20, max_norm=c)
        assert fit.weight_norm == pytest.approx(c, rel=1e-6)
        assert fit.lambd > 0 and fit.max_norm == c
        # the same weights minimise ½·mean((ŷ − y)²) + λ/2·‖w‖²: its gradient is zero there
        A = data.X_train.double()
        y = data.y_train.double()
        grad = A.T @ (A @ fit.weights - y) / len(y) + fit.lambd * fit.weights
        assert float(grad.norm()) < 1e-6 * max(1.0, float((A.T @ y).norm()) / len(y))
    loose = polyfit.fit(data, 20, max_norm=10 * free.weight_norm)
    assert loose.lambd == 0.0 and torch.allclose(loose.weights, free.weights)


def test_norm_sweep_training_loss_falls_as_the_bound_grows(data):
    bounds = np.logspace(0, 10, 41).tolist()
    sweep = polyfit.norm_sweep(data, bounds)
    train = sweep["train_loss"]
    assert sweep["max_norm"] == bounds and len(sweep["lambd"]) == 41
    assert all(b <= a * (1 + 1e-6) for a, b in zip(train, train[1:]))
    near_truth = polyfit.fit(data, 20, max_norm=float(data.true_w.norm()))
    assert near_truth.val_loss < 0.05
    assert polyfit.fit(data, 20, max_norm=1e4).val_loss > 1000 * near_truth.val_loss
    assert polyfit.fit(data, 20, max_norm=1.0).val_loss > 10  # too small a bound underfits


def test_predict_matches_the_features(data):
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    x = torch.tensor([0.0, 1.0, -2.0])
    assert polyfit.predict(w, x).tolist() == pytest.approx([1.0, 1 + 2 + 1.5, 1 - 4 + 6])
    with pytest.raises(ValueError, match="weights"):
        polyfit.predict(torch.zeros(0), x)


@pytest.mark.parametrize("degree", [-1, 21, 2.0, True, "3", None])
def test_impossible_degrees_are_refused(data, degree):
    with pytest.raises(ValueError, match="degree"):
        polyfit.fit(data, degree)


@pytest.mark.parametrize("max_norm", [0, -1.0, float("inf"), float("nan"), "big", True])
def test_impossible_bounds_are_refused(data, max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        polyfit.fit(data, 5, max_norm=max_norm)


def test_bad_data_and_empty_sweeps_are_refused(data):
    with pytest.raises(ValueError, match="data"):
        polyfit.fit((torch.zeros(3), torch.zeros(3)), 1)
    with pytest.raises(ValueError, match="degrees"):
        polyfit.degree_sweep(data, [])
    with pytest.raises(ValueError, match="max_norms"):
        polyfit.norm_sweep(data, [])
    with pytest.raises(ValueError, match="degree"):
        polyfit.norm_sweep(data, [1.0], degree=50)


def test_ratio_is_infinite_for_a_perfect_training_fit():
    fit = polyfit.PolyFit(1, torch.zeros(2), 0.0, 1.0, 0.0, None, 0.0)
    assert fit.ratio == math.inf
