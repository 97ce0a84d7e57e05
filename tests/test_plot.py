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


def test_a_figure_that_draw_reuses_is_measured_once_and_cut_as_a_fresh_picture_of_it(monkeypatch):
    import ipywidgets as widgets
    from IPython.core.pylabtools import print_figure

    fig, ax = plt.subplots()
    line, = ax.plot([0, 1], [0, 1])
    plt.close(fig)

    def draw(end, end_value):
        plt.figure(fig)  # the same figure, as lessons 06 and 07 redraw theirs: new data and title only
        line.set_ydata([0, end])
        ax.set_title(f"ends at {end}")

    panel = plot.explorer(lambda end_value: end_value, draw, end_value=widgets.IntSlider(1, 0, 3))
    measured, tight = [], type(fig).get_tightbbox
    monkeypatch.setattr(type(fig), "get_tightbbox", lambda self, *a, **kw: measured.append(1) or tight(self, *a, **kw))
    counts = []
    for end in (2, 3, 0):
        before = len(measured)
        plot.set_controls(panel, end_value=end)
        counts.append(len(measured) - before)
        assert panel.plots.children[0].value == print_figure(fig, "png", bbox_inches="tight")  # the same picture
    assert counts == [1, 0, 0]  # its box is measured at the second picture, then reused


def _shown(panel):
    import base64

    return [base64.b64encode(image.value).decode() for image in panel.plots.children]


def _stops_panel(compute=lambda n, name, on, p, span: n):
    import ipywidgets as widgets

    def draw(result, n, name, on, p, span):
        plt.figure(figsize=(1.6, 1.2), dpi=50)  # small: 36 views and their 36 live twins are drawn
        plt.plot([0, n], [0, p], "o-" if on else "-")
        plt.title(f"{name} {on} {p:.1f} {span}")
        print("drawn")  # a draw's prints never reach the cell

    return plot.explorer(compute, draw, n=widgets.IntSlider(2, 0, 4, step=2),
                         name=widgets.Dropdown(options=[("A", "a"), ("B", "b")], value="b"),
                         on=widgets.Checkbox(False, description="markers"),
                         p=widgets.FloatSlider(0.1, min=0, max=0.2, step=0.1, readout_format=".1f"),
                         span=widgets.FloatRangeSlider(value=(0.0, 1.0), description="span"))


def test_static_views_draw_every_stop_as_the_live_explorer_does(monkeypatch, capsys):
    import itertools

    panel = _stops_panel()
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()  # live without the variable
    first, _ = _shown(panel), capsys.readouterr()
    monkeypatch.setenv(plot.STATIC_ENV, "1")
    bundle = panel._repr_mimebundle_()
    assert set(bundle) == {"text/plain", plot.STATIC_MIME} and "drawn" not in capsys.readouterr().out
    views = bundle[plot.STATIC_MIME]
    assert [(c["name"], c["labels"], c["at"], c["slider"]) for c in views["controls"]] == [
        ("n", ["0", "2", "4"], 1, True), ("name", ["A", "B"], 1, False), ("markers", ["off", "on"], 0, False),
        ("p", ["0.0", "0.1", "0.2"], 1, True)]
    assert views["still"] == "" and views["held"] == ["span"] and len(views["views"]) == 3 * 2 * 2 * 3
    assert _shown(panel) == first and panel.result == 2  # the live state is back where it was
    # Each stop's picture is the one the live explorer shows for it (row-major over the controls' stops).
    stops = itertools.product([0, 2, 4], ["a", "b"], [False, True], [0.0, 0.1, 0.2])
    for view, (n, name, on, p) in zip(views["views"], stops):
        plot.set_controls(panel, n=n, name=name, on=on, p=p)
        assert [views["pngs"][i] for i in view] == _shown(panel), (n, name, on, p)
    assert len(set(views["pngs"])) == len(views["pngs"]) == 36  # stored once each; every setting differs


def test_both_shows_the_live_explorer_and_its_views_and_a_bad_value_is_named(monkeypatch):
    panel = plot.explorer(lambda k: 2 * k, None, k=plot.widgets.IntSlider(1, 0, 2))
    monkeypatch.setenv(plot.STATIC_ENV, "both")  # make test's nbval kernels, whose runs the site build reuses
    bundle = panel._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json", plot.STATIC_MIME}
    assert len(bundle[plot.STATIC_MIME]["views"]) == 3
    monkeypatch.setenv(plot.STATIC_ENV, "yes")
    with pytest.raises(ValueError, match=r"MLP_LESSONS_STATIC='yes': use 1 .* both .* or unset it"):
        panel._repr_mimebundle_()


def test_static_views_fall_back_to_a_still_image_and_say_why(monkeypatch):
    monkeypatch.setenv(plot.STATIC_ENV, "1")
    monkeypatch.setattr(plot, "MAX_VIEWS", 10)
    panel = _stops_panel()
    still = panel.static_views()
    assert still["still"] == "its 36 settings are more than the 10 a page holds"
    monkeypatch.setenv("MLP_LESSONS_LANG", "zh")  # the Chinese edition's kernels give the reason in Chinese
    assert panel.static_views()["still"] == "它有 36 种设置，超过一页能容纳的 10 种"
    monkeypatch.delenv("MLP_LESSONS_LANG")
    assert still["controls"] == [] and still["views"] == [[0]] and still["pngs"] == _shown(panel)
    monkeypatch.setattr(plot, "MAX_VIEWS", 100)
    monkeypatch.setattr(plot, "MAX_SECONDS", 0.0)
    assert panel.static_views()["still"] == "drawing its 36 settings takes more than 0 s"
    monkeypatch.setattr(plot, "MAX_SECONDS", 60.0)

    def compute(n, name, on, p, span):
        if n == 4:
            raise RuntimeError("no such run")
        return n
    failing = _stops_panel(compute)
    assert failing.static_views()["still"] == "the setting (4, 'a', False, 0.0) failed: RuntimeError('no such run')"
    assert failing.result == 2 and failing.error.value == ""
