"""helpers.generalization: the note's MLP trained on n Fashion-MNIST images, measured on unseen ones."""

import pytest
import torch

from helpers import generalization

FAST = dict(num_steps=60, eval_every=30, n_val=300)


def test_split_is_disjoint_nested_and_repeatable():
    X, y, X_val, y_val = generalization.fashion_split(200, n_val=300)
    assert X.shape == (200, 784) and X.dtype == torch.float32 and y.shape == (200,) and y.dtype == torch.int64
    assert X_val.shape == (300, 784) and y_val.shape == (300,)
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    X_small, _, X_val2, _ = generalization.fashion_split(50, n_val=300)
    assert torch.equal(X_small, X[:50]) and torch.equal(X_val2, X_val)  # nested, same validation set
    rows = {tuple(r.tolist()) for r in X_val}
    assert not any(tuple(r.tolist()) in rows for r in X)  # no validation image is a training image


def test_small_subsets_are_memorised_large_ones_generalise():
    small = generalization.train_on_subset(25, num_steps=150, eval_every=50, n_val=500)
    large = generalization.train_on_subset(5000, num_steps=150, eval_every=50, n_val=500)
    assert small["step"] == [0, 50, 100, 150]
    assert small["train_acc"][-1] == 1.0
    assert small["gap"] > 0.5 and small["gap"] > 5 * abs(large["gap"])
    assert small["val_acc"][-1] < large["val_acc"][-1]
    assert small["epochs"] == 150 and large["epochs"] == pytest.approx(150 / 79)
    assert small["gap"] == pytest.approx(small["val_loss"][-1] - small["train_loss"][-1])


def test_runs_are_seeded_and_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = generalization.train_on_subset(100, **FAST)
    assert torch.equal(torch.get_rng_state(), before)
    b = generalization.train_on_subset(100, **FAST)
    assert a["val_loss"] == b["val_loss"] and a["batch_size"] == 64
    c = generalization.train_on_subset(100, seed=1, **FAST)
    assert c["val_loss"] != a["val_loss"]


def test_hidden_units_set_the_net_width():
    net = generalization.mlp(32)
    assert [m.out_features for m in net if isinstance(m, torch.nn.Linear)] == [32, 10]
    assert float(net[1].weight.detach().std()) == pytest.approx(0.01, rel=0.1)  # the note's init


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_train=0), "n_train"), (dict(n_train=-5), "n_train"), (dict(n_train=2.5), "n_train"),
    (dict(n_train=59001), "n_train"), (dict(n_train=100, n_val=0), "n_val"),
    (dict(n_train=100, n_val=20000), "n_val"), (dict(n_train=100, num_steps=0), "num_steps"),
    (dict(n_train=100, lr=-0.1), "lr"), (dict(n_train=100, batch_size=0), "batch_size"),
    (dict(n_train=100, eval_every=0), "eval_every"), (dict(n_train=100, num_hiddens=0), "num_hiddens"),
])
def test_impossible_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        generalization.train_on_subset(**kwargs)


def test_divergence_is_reported():
    with pytest.raises(generalization.train.TrainingDiverged):
        generalization.train_on_subset(100, lr=1e12, num_steps=20, eval_every=10, n_val=100)


def test_a_cpu_run_uses_one_thread_and_restores_the_count(monkeypatch):
    before = torch.get_num_threads()
    seen = []
    original = generalization.train.evaluate

    def spy(net, data_iter, loss=None):
        seen.append(torch.get_num_threads())
        return original(net, data_iter, loss)

    monkeypatch.setattr(generalization.train, "evaluate", spy)
    generalization.train_on_subset(50, device="cpu", **FAST)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before
