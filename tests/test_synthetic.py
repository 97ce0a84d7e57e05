"""helpers.synthetic, lessons 01–02 sets: seeded, the documented shapes, units and shapes of the curves."""

import pytest
import torch

from helpers import synthetic


@pytest.mark.parametrize("make", [synthetic.income_repayment, synthetic.temperature_mortality,
                                  synthetic.xor_blobs, synthetic.wiggly_curve])
def test_same_seed_same_data_other_seed_other_data(make):
    a, b, c = make(seed=0), make(seed=0), make(seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("make", [synthetic.income_repayment, synthetic.temperature_mortality,
                                  synthetic.xor_blobs, synthetic.wiggly_curve])
def test_generators_leave_the_global_random_state_alone(make):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make(seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_income_repayment_units_shapes_and_saturation():
    income, repaid = synthetic.income_repayment(n=300, seed=0)
    assert income.shape == repaid.shape == (300, 1) and income.dtype == repaid.dtype == torch.float32
    assert 5 <= float(income.min()) and float(income.max()) <= 200  # thousand yuan a year
    assert 0 <= float(repaid.min()) and float(repaid.max()) <= 1  # a fraction of the group
    grid = torch.linspace(5, 200, 100)
    p = synthetic.repayment_probability(grid)
    steps = p.diff()
    assert (steps > 0).all(), "monotone"
    assert steps[0] > 20 * steps[-1], "saturating: steep at low incomes, flat at high ones"
    assert float(p.max()) < 1


def test_income_rates_are_binomial_fractions():
    _, repaid = synthetic.income_repayment(n=50, seed=2, group_size=50)
    assert torch.allclose(repaid * 50, (repaid * 50).round(), atol=1e-4)


def test_temperature_mortality_is_a_u_around_37_celsius():
    t, m = synthetic.temperature_mortality(n=400, seed=0)
    assert t.shape == m.shape == (400, 1)
    assert 34 <= float(t.min()) and float(t.max()) <= 42  # degrees Celsius
    assert 0 <= float(m.min()) and float(m.max()) <= 1
    grid = torch.linspace(34, 42, 801)
    rate = synthetic.mortality_rate(grid)
    assert abs(float(grid[rate.argmin()]) - synthetic.NORMAL_TEMPERATURE_C) < 0.02
    assert float(rate[0]) > 0.4 and float(rate[-1]) > 0.4 and float(rate.min()) < 0.05
    low = m[t < 36].mean()
    mid = m[(t > 36.5) & (t < 37.5)].mean()
    high = m[t > 39].mean()
    assert low > 3 * mid and high > 3 * mid, "the observed rates dip in the middle too"


def test_xor_blobs_labels_follow_the_sign_rule():
    X, y = synthetic.xor_blobs(n=402, seed=0, spread=0.2)
    assert X.shape == (400, 2) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert int(y.sum()) == 200
    assert torch.equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).long()), "with a small spread every point obeys XOR"


def test_xor_blobs_no_linear_rule_does_well():
    X, y = synthetic.xor_blobs(n=400, seed=0)
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    w = torch.linalg.lstsq(A, (2 * y - 1).double()[:, None]).solution
    accuracy = float((((A @ w)[:, 0] > 0).long() == y).double().mean())
    assert accuracy < 0.65


def test_wiggly_curve_follows_its_function():
    x, y = synthetic.wiggly_curve(n=100, seed=0, noise=0.0)
    assert x.shape == y.shape == (100, 1)
    assert torch.allclose(y, synthetic.wiggly_function(x))
    assert -3 <= float(x.min()) and float(x.max()) <= 3


@pytest.mark.parametrize("call, name", [
    (lambda: synthetic.income_repayment(n=0), "n"),
    (lambda: synthetic.income_repayment(n=2.5), "n"),
    (lambda: synthetic.income_repayment(group_size=0), "group_size"),
    (lambda: synthetic.income_repayment(income_range=(200, 5)), "income_range"),
    (lambda: synthetic.temperature_mortality(temperature_range=(37, 37)), "temperature_range"),
    (lambda: synthetic.temperature_mortality(seed=-1), "seed"),
    (lambda: synthetic.xor_blobs(n=3), "n"),
    (lambda: synthetic.xor_blobs(spread=-0.1), "spread"),
    (lambda: synthetic.wiggly_curve(noise=float("inf")), "noise"),
    (lambda: synthetic.wiggly_curve(x_range="wide"), "x_range"),
    (lambda: synthetic.wiggly_curve(x_range=(0, float("inf"))), "x_range"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()
