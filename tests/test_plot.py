"""helpers.plot: image grids, history curves, live curves outside a notebook."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import plot  # noqa: E402


def test_show_images_draws_titles():
    axes = plot.show_images(torch.rand(6, 1, 28, 28), 2, 3, titles=[f"t{i}" for i in range(6)])
    assert len(axes) == 6 and axes[5].get_title() == "t5"
    plt.close("all")


def test_show_images_validates():
    with pytest.raises(ValueError, match="num_rows=0"):
        plot.show_images(torch.rand(1, 28, 28), 0, 1)
    with pytest.raises(ValueError, match="do not fit a 1x2 grid"):
        plot.show_images(torch.rand(3, 28, 28), 1, 2)
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
        plot.show_images(torch.rand(2, 28, 28), 1, 2, titles=["a"])


def test_plot_history_draws_each_curve():
    history = {"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7], "train_acc": [0.6, 0.8], "test_acc": [0.5, 0.7]}
    ax = plot.plot_history(history, title="run")
    assert [line.get_label() for line in ax.get_lines()] == ["train loss", "test loss", "train acc", "test acc"]
    plt.close("all")


def test_live_curves_are_silent_outside_ipython():
    live = plot.LiveCurves(3)
    live.update({"train_loss": [1.0]})
    live.close()
    assert live.fig is None
