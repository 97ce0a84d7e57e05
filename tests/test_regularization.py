"""helpers.regularization: the runs behind the λ and dropout explorers."""

import math

import pytest
import torch
from torch import nn

from helpers import regularization as R

FAST = dict(num_epochs=4, n_train=100, n_test=100)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("value", [0, 0.0, 1e-4, 3, 10.0])
def test_check_lambd_accepts_non_negative_numbers(value):
    assert R.check_lambd(value) == float(value)


@pytest.mark.parametrize("value", [-1e-3, -1, math.nan, math.inf, True, "0.1", None, [0.1]])
def test_check_lambd_refuses_negative_and_non_numbers(value):
    with pytest.raises(ValueError, match="lambd"):
        R.check_lambd(value)


@pytest.mark.parametrize("value", [0, 0.0, 0.5, 1, 1.0])
def test_check_dropout_accepts_probabilities(value):
    assert R.check_dropout(value) == float(value)


@pytest.mark.parametrize("value", [-0.1, 1.01, 2, math.nan, math.inf, False, "0.5", None])
def test_check_dropout_refuses_values_outside_0_1(value):
    with pytest.raises(ValueError, match="dropout"):
        R.check_dropout(value)


def test_train_with_weight_decay_refuses_negative_lambd():
    with pytest.raises(ValueError, match=r"lambd=-0\.01"):
        R.train_with_weight_decay(-0.01, **FAST)


@pytest.mark.parametrize("bad", [-0.2, 1.5, (0.2, 1.2), (-0.1, 0.5)])
def test_train_with_dropout_refuses_rates_outside_0_1(bad):
    with pytest.raises(ValueError, match="dropout="):
        R.train_with_dropout(bad, **FAST)


def test_train_with_dropout_refuses_negative_lambd():
    with pytest.raises(ValueError, match="lambd"):
        R.train_with_dropout(0.5, lambd=-1.0, **FAST)


@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=0), "lr"), (dict(num_epochs=0), "num_epochs"), (dict(batch_size=0), "batch_size"),
    (dict(momentum=1.0), "momentum"), (dict(init_std=-1.0), "init_std"), (dict(n_train=0), "n_train"),
    (dict(n_train=60001), "n_train"), (dict(n_test=10001), "n_test"), (dict(num_hiddens=()), "num_hiddens"),
])
def test_bad_run_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        R.train_with_weight_decay(0.0, **{**FAST, **kwargs})


# --------------------------------------------------------------------------- building blocks


def test_mlp_shapes_and_dropout_layers():
    net = R.mlp((256, 256), dropout=(0.2, 0.5))
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    rates = [m.p for m in net if isinstance(m, nn.Dropout)]
    assert rates == [0.2, 0.5]
    assert not any(isinstance(m, nn.Dropout) for m in R.mlp(64, dropout=0.0))
    assert [m.out_features for m in R.mlp(64) if isinstance(m, nn.Linear)] == [64, 10]


def test_mlp_refuses_mismatched_rates():
    with pytest.raises(ValueError, match="dropout"):
        R.mlp((64, 64), dropout=(0.1,))
    with pytest.raises(ValueError, match="num_hiddens"):
        R.mlp((64, 0))


def test_weight_norm_counts_weight_matrices_only():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.fill_(1.0)
                m.bias.fill_(100.0)
    assert R.weight_norm(net) == pytest.approx(math.sqrt(4 * 3 + 3 * 2))


def test_weight_groups_decay_weights_not_biases():
    net = R.mlp(8)
    decayed, plain = R.weight_groups(net, 0.1)
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decayed["params"]) and all(p.dim() == 1 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(net.parameters()))


def test_fashion_subset_is_fixed_flat_and_in_range():
    X, y, Xt, yt = R.fashion_subset(50, 20)
    assert X.shape == (50, 784) and X.dtype == torch.float32 and y.shape == (50,) and y.dtype == torch.int64
    assert Xt.shape == (20, 784) and 0 <= float(X.min()) and float(X.max()) <= 1
    X2, y2, _, _ = R.fashion_subset(50, 20)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert len(set(y.tolist())) > 5  # a random subset, not one class


# --------------------------------------------------------------------------- runs


def test_weight_decay_history_has_every_list_per_epoch():
    h = R.train_with_weight_decay(1e-3, **FAST)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        assert len(h[key]) == FAST["num_epochs"], key
        assert all(math.isfinite(v) for v in h[key]), key


def test_larger_lambd_gives_smaller_weight_norm():
    norms = [R.train_with_weight_decay(lam, num_epochs=10, n_train=100, n_test=100)["weight_norm"][-1]
             for lam in (0.0, 0.01, 0.1)]
    assert norms[0] > norms[1] > norms[2], norms


def test_weight_decay_matches_the_explicit_l2_penalty():
    """SGD's weight_decay=λ on the weights is the gradient of λ/2 ‖w‖² added to the loss."""
    from helpers import data, train

    lambd = 0.05
    X, y, _, _ = R.fashion_subset(100, 10)
    nets = []
    for use_optimizer in (True, False):
        torch.manual_seed(0)
        net = R.mlp(16)
        if use_optimizer:
            opt = torch.optim.SGD(R.weight_groups(net, lambd), lr=0.1)
            penalty = None
        else:
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            weights = [p for p in net.parameters() if p.dim() > 1]
            penalty = lambda: lambd * sum((w ** 2).sum() for w in weights) / 2  # noqa: E731
        torch.manual_seed(1)
        train.train(net, data.TensorBatches(X, y, 25, shuffle=True), None, 3, optimizer=opt, penalty=penalty,
                    device="cpu", verbose=False)
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_runs_are_seeded_and_leave_the_callers_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    a = R.train_with_weight_decay(0.0, **FAST)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.get_num_threads() == threads
    b = R.train_with_weight_decay(0.0, **FAST)
    assert a["train_loss"] == b["train_loss"] and a["weight_norm"] == b["weight_norm"]
    c = R.train_with_weight_decay(0.0, seed=1, **FAST)
    assert c["train_loss"] != a["train_loss"]


def test_dropout_changes_the_run():
    none = R.train_with_dropout(0.0, **FAST)
    half = R.train_with_dropout(0.5, **FAST)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        assert len(half[key]) == FAST["num_epochs"], key
    assert half["train_loss"] != none["train_loss"]


def test_dropout_narrows_the_train_test_gap():
    kwargs = dict(num_epochs=25, n_train=200, n_test=300)
    gaps = {}
    for p in (0.0, 0.5):
        h = R.train_with_dropout(p, **kwargs)
        gaps[p] = h["train_acc"][-1] - h["test_acc"][-1]
    assert gaps[0.5] < gaps[0.0], gaps


def test_dropout_one_gives_finite_losses_and_no_learning():
    h = R.train_with_dropout(1.0, **FAST)
    assert all(math.isfinite(v) for v in h["train_loss"] + h["test_loss"])
    assert h["train_loss"][-1] > 2.0  # every hidden unit is dropped: the net outputs a constant


def test_per_layer_rates_are_accepted():
    h = R.train_with_dropout((0.2, 0.5), **FAST)
    assert len(h["test_acc"]) == FAST["num_epochs"]


# --------------------------------------------------------------------------- d2l's high-dimensional linear data


def test_high_dim_linear_shapes_and_truth():
    from helpers import synthetic

    d = synthetic.high_dim_linear()
    assert d.X_train.shape == (20, 200) and d.y_train.shape == (20, 1)
    assert d.X_test.shape == (100, 200) and d.y_test.shape == (100, 1)
    assert torch.allclose(d.true_w, torch.full((200, 1), 0.01)) and d.true_b == 0.05
    residual = d.y_test - (d.X_test @ d.true_w + d.true_b)
    assert float(residual.std()) < 0.02  # only the noise ε ~ N(0, 0.01²) is left
    again = synthetic.high_dim_linear()
    assert torch.equal(d.X_train, again.X_train)
    assert not torch.equal(d.X_train, synthetic.high_dim_linear(seed=1).X_train)


def test_high_dim_linear_refuses_bad_sizes():
    from helpers import synthetic

    for kwargs, name in ((dict(n_train=0), "n_train"), (dict(num_inputs=-1), "num_inputs"),
                         (dict(noise=-0.1), "noise"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=name):
            synthetic.high_dim_linear(**kwargs)
