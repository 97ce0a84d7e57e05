"""helpers.widgets.overfitting: the three lesson-05 explorers, driven without a browser."""

import matplotlib
import matplotlib.pyplot as plt
import pytest

from helpers import polyfit, synthetic
from helpers.widgets import overfitting
from helpers.widgets.overfitting import degree_explorer, sample_size_explorer, weight_norm_explorer
from helpers.widgets.base import set_controls

matplotlib.use("Agg")

FAST = dict(num_steps=40, eval_every=20, n_val=200)  # a short run: these tests check wiring, not learning


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_degree_explorer_gap_grows_with_degree():
    panel = degree_explorer()
    assert isinstance(panel.result, polyfit.PolyFit) and panel.result.degree == 3
    gaps = [set_controls(panel, degree=d).gap for d in (3, 6, 10, 19)]
    assert gaps == sorted(gaps) and gaps[-1] > 1e6 * gaps[0]
    low = set_controls(panel, degree=1)
    assert low.train_loss > 100 * set_controls(panel, degree=3).train_loss  # underfitting: both losses high
    assert panel.cache.misses == 5  # degree 3 came back from the cache


def test_degree_explorer_refuses_a_degree_the_data_lacks():
    with pytest.raises(ValueError, match="degree"):
        degree_explorer(degree=25)
    small = synthetic.cubic_data(max_degree=5)
    panel = degree_explorer(small)
    assert panel.kwargs_widgets[0].max == 5


def test_weight_norm_explorer_bigger_weights_fit_training_better_and_validation_worse():
    panel = weight_norm_explorer()
    assert panel.result.degree == 20 and panel.result.max_norm == pytest.approx(10.0)
    tight = set_controls(panel, max_norm=1.0)
    right = set_controls(panel, max_norm=8.3)
    loose = set_controls(panel, max_norm=1e6)
    assert tight.train_loss > right.train_loss > loose.train_loss
    assert tight.val_loss > right.val_loss < loose.val_loss
    assert loose.gap > 1e3 * right.gap
    assert right.weight_norm == pytest.approx(8.3, rel=1e-6) and right.lambd > loose.lambd > 0


def test_weight_norm_explorer_refuses_bad_settings():
    with pytest.raises(ValueError, match="max_norm"):
        weight_norm_explorer(max_norm=0)
    with pytest.raises(ValueError, match="degree"):
        weight_norm_explorer(degree=-1)


def test_sample_size_explorer_returns_the_history_of_each_setting():
    panel = sample_size_explorer(n_train=50, sizes=(50, 2000), **FAST)
    small = panel.result
    assert small["n_train"] == 50 and small["step"] == [0, 20, 40]
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        assert len(small[key]) == 3
    big = set_controls(panel, n_train=2000)
    assert big["n_train"] == 2000
    assert small["train_loss"][-1] < big["train_loss"][-1]  # 50 images are easier to fit than 2000
    assert set_controls(panel, n_train=50) is small  # cached


def test_sample_size_explorer_refuses_impossible_sizes():
    with pytest.raises(ValueError, match="n_train"):
        sample_size_explorer(n_train=7, sizes=(50, 100))
    with pytest.raises(ValueError, match="sizes"):
        sample_size_explorer(n_train=100, sizes=(0, 100))
    with pytest.raises(ValueError, match="sizes"):
        sample_size_explorer(n_train=100, sizes=(100, 59500))
    with pytest.raises(ValueError, match="sizes"):
        sample_size_explorer(sizes=())


def test_draw_functions_label_their_axes():
    data = synthetic.cubic_data()
    fig, (a, b, c) = plt.subplots(1, 3)
    overfitting.draw_polynomial_fit(a, data, polyfit.fit(data, 4))
    overfitting.draw_degree_sweep(b, polyfit.degree_sweep(data), 4)
    overfitting.draw_norm_sweep(c, polyfit.norm_sweep(data, [1.0, 10.0, 100.0]), 10.0, 8.33)
    for ax in (a, b, c):
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert ax.get_legend() is not None
    assert b.get_yscale() == "log" and c.get_xscale() == "log"
