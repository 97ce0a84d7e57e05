"""helpers.plot: image grids, history curves and the explorer pattern."""

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


def test_explorer_computes_once_per_setting_draws_and_refuses_unknown_controls(capsys):
    import ipywidgets as widgets

    calls, drawn = [], []

    def compute(n, name):
        calls.append((n, name))
        return n * 2

    def draw(result, n, name):
        drawn.append(result)
        plt.plot([0, n])

    panel = plot.explorer(compute, draw, n=widgets.IntSlider(1, 0, 5, continuous_update=True),
                          name=widgets.Dropdown(options=["a", "b"], value="a"))
    assert all(not getattr(c, "continuous_update", False) for c in panel.kwargs_widgets)  # fires on release
    assert plot.set_controls(panel, n=3) == 6
    assert plot.set_controls(panel, n=1) == 2 and plot.set_controls(panel, n=3) == 6  # back: from the cache
    assert panel.cache.cache_info().misses == 2 and calls == [(1, "a"), (3, "a")]
    assert plot.set_controls(panel, name="b") == 6 and panel.cache.cache_info().misses == 3
    assert drawn[-1] == 6 and not plt.get_fignums()  # each figure shown, then closed
    with pytest.raises(ValueError, match=r"control 'm' does not exist; this explorer has \['n', 'name'\]"):
        plot.set_controls(panel, m=1)
    uncached = plot.explorer(compute, None, cache=False, n=widgets.IntSlider(1, 0, 5), name=widgets.fixed("a"))
    plot.set_controls(uncached, n=2)
    plot.set_controls(uncached, n=1)
    assert uncached.cache is None and calls[-2:] == [(2, "a"), (1, "a")]
