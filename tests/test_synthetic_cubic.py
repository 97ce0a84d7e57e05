"""helpers.synthetic's cubic data (lesson 05): d2l's y = 5 + 1.2x − 3.4x²/2! + 5.6x³/3! + ε."""

import math

import pytest
import torch

from helpers import synthetic


def test_shapes_dtypes_and_true_weights():
    d = synthetic.cubic_data(n_train=20, n_val=100, max_degree=20)
    assert d.x_train.shape == (20,) and d.x_val.shape == (100,)
    assert d.X_train.shape == (20, 21) and d.X_val.shape == (100, 21)
    assert d.y_train.shape == (20,) and d.y_val.shape == (100,)
    assert all(t.dtype == torch.float32 for t in d)
    assert d.max_degree == 20
    assert d.true_w[:4].tolist() == pytest.approx([5.0, 1.2, -3.4, 5.6])
    assert torch.count_nonzero(d.true_w[4:]) == 0


def test_features_are_powers_over_factorials():
    x = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=torch.float64)
    F = synthetic.poly_features(x, 6)
    want = torch.stack([x**i / math.factorial(i) for i in range(7)], dim=1)
    assert torch.allclose(F, want)
    assert F.dtype == torch.float64
    assert synthetic.poly_features(x, 0).shape == (5, 1)


def test_labels_are_the_cubic_plus_noise_of_the_stated_size():
    d = synthetic.cubic_data(n_train=2000, n_val=2000, noise=0.1)
    for X, x, y in ((d.X_train, d.x_train, d.y_train), (d.X_val, d.x_val, d.y_val)):
        assert torch.allclose(X @ d.true_w, synthetic.cubic(x), atol=1e-4)
        residual = y - synthetic.cubic(x)
        assert abs(float(residual.std()) - 0.1) < 0.01
        assert abs(float(residual.mean())) < 0.01
    assert abs(float(d.x_train.std()) - 1.0) < 0.1  # x ~ N(0, 1)
    noiseless = synthetic.cubic_data(noise=0.0)
    assert torch.allclose(noiseless.y_train, synthetic.cubic(noiseless.x_train))


def test_seeded_repeatable_and_independent_of_the_global_seed():
    torch.manual_seed(1)
    a = synthetic.cubic_data(seed=3)
    torch.manual_seed(2)
    b = synthetic.cubic_data(seed=3)
    assert all(torch.equal(s, t) for s, t in zip(a, b))
    c = synthetic.cubic_data(seed=4)
    assert not torch.equal(a.x_train, c.x_train)
    # validation examples are not training examples
    assert not set(a.x_train.tolist()) & set(a.x_val.tolist())


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_train=0), "n_train"), (dict(n_train=2.5), "n_train"), (dict(n_val=-1), "n_val"),
    (dict(max_degree=2), "max_degree"), (dict(max_degree=-1), "max_degree"), (dict(max_degree=3.0), "max_degree"),
    (dict(noise=-0.1), "noise"), (dict(noise=float("inf")), "noise"), (dict(seed=-1), "seed"),
])
def test_impossible_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        synthetic.cubic_data(**kwargs)


def test_poly_features_refuses_bad_input():
    with pytest.raises(ValueError, match="max_degree"):
        synthetic.poly_features(torch.zeros(3), -1)
    with pytest.raises(ValueError, match="1-D"):
        synthetic.poly_features(torch.zeros(3, 1), 2)
