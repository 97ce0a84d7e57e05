"""Lesson 09's helpers: initialization schemes, per-layer statistics, the race, the explorer and the checks."""

import math

import pytest
import torch
from torch import nn

from helpers import lesson09
from helpers.plot import set_controls


def test_init_schemes_give_the_documented_scales():
    for scheme, expected in (("normal", 0.01), ("xavier", math.sqrt(2 / (128 + 128))), ("he", math.sqrt(2 / 128))):
        net = lesson09.deep_net(3, 128, "relu", scheme)
        hidden = [m for m in net if isinstance(m, nn.Linear)][1]  # a 128 x 128 layer
        assert abs(float(hidden.weight.detach().std()) - expected) < 0.05 * expected
        assert float(hidden.bias.abs().max()) == 0.0


def test_default_scheme_keeps_pytorch_init_and_bad_names_are_refused():
    net = lesson09.deep_net(2, 16, "tanh", "default")
    assert float([m for m in net if isinstance(m, nn.Linear)][0].bias.abs().max()) > 0
    with pytest.raises(ValueError, match="scheme='glorot'"):
        lesson09.deep_net(2, 16, "relu", "glorot")
    with pytest.raises(ValueError, match="depth=0"):
        lesson09.deep_net(0)


def test_deep_net_is_seeded_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    a, b = lesson09.deep_net(2, 8, seed=3), lesson09.deep_net(2, 8, seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_layer_stats_shapes_and_the_vanishing_sigmoid_gradient():
    torch.manual_seed(0)
    X, y = torch.rand(64, 784), torch.randint(0, 10, (64,))
    net = lesson09.deep_net(6, 32, "sigmoid", "default")
    before = [p.clone() for p in net.parameters()]
    stats = lesson09.layer_stats(net, X, y)
    assert len(stats["act_std"]) == 6 and len(stats["grad_std"]) == 7
    assert stats["grad_std"][0] < 1e-2 * stats["grad_std"][-1]
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))
    assert all(p.grad is None or float(p.grad.abs().max()) == 0 for p in net.parameters())


def test_init_race_records_every_50_steps_and_normal_init_stays_at_chance():
    race = lesson09.init_race(("normal", "he"), depth=4, width=32, n_train=500, n_val=200, num_steps=100)
    assert race["he"]["step"] == [0, 50, 100]
    assert race["normal"]["val_loss"][-1] > 2.25
    assert race["he"]["val_loss"][-1] < race["normal"]["val_loss"][-1]


def test_stats_explorer_redraws_for_each_setting():
    torch.manual_seed(0)
    X, y = torch.rand(32, 784), torch.randint(0, 10, (32,))
    panel = lesson09.stats_explorer(X, y)
    deep = set_controls(panel, depth=20, activation="relu", scheme="normal")
    assert len(deep["act_std"]) == 20 and deep["act_std"][-1] < 1e-6 * deep["act_std"][0]
    assert panel.cache.cache_info().misses == 3  # the first view, then one per changed control
    with pytest.raises(ValueError, match="does not exist"):
        set_controls(panel, width=3)


def test_check_leaky_he_std_passes_the_solution_and_catches_wrong_answers(capsys):
    assert lesson09.check_leaky_he_std(lambda n, a: math.sqrt(2 / ((1 + a * a) * n)))
    assert not lesson09.check_leaky_he_std(lambda n, a: math.sqrt(2 / n))  # He, ignoring the slope
    assert not lesson09.check_leaky_he_std(lambda n, a: math.sqrt(2 / ((1 + a) * n)))  # 1 + a, not 1 + a²
    assert not lesson09.check_leaky_he_std(lambda n, a: "0.1")
    assert not lesson09.check_leaky_he_std(_stub)
    assert "NotImplementedError" in capsys.readouterr().out


def test_check_backward_std_passes_the_solution_and_catches_wrong_answers():
    assert lesson09.check_backward_std(lambda n: math.sqrt(2 / n))
    assert not lesson09.check_backward_std(lambda n: math.sqrt(1 / n))  # Xavier's linear scale
    assert not lesson09.check_backward_std(lambda n: -0.1)
    assert not lesson09.check_backward_std(_stub)


def _stub(*args):
    raise NotImplementedError
