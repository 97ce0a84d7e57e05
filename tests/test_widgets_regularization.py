"""The λ and dropout explorers, driven without a browser: set a slider, read ``.result``."""

import math

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import traitlets  # noqa: E402

from helpers.widgets import dropout_explorer, weight_decay_explorer  # noqa: E402
from helpers.widgets.base import set_controls  # noqa: E402
from helpers.widgets.regularization import LAMBDA_STOPS  # noqa: E402

FAST = dict(num_epochs=6, n_train=100, n_test=100)
KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch):
    """The figures the explorers show, captured at plt.show() (the base closes them right after)."""
    figures = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: figures.append(plt.gcf()))
    return figures


def control(panel, name):
    return next(c for c in panel.kwargs_widgets if c._kwarg == name)


def check_history(history, num_epochs, keys=KEYS):
    for key in keys:
        assert len(history[key]) == num_epochs, key
        assert all(math.isfinite(v) for v in history[key]), key


# --------------------------------------------------------------------------- weight decay


def test_weight_decay_explorer_has_a_lambd_slider_that_reaches_zero():
    panel = weight_decay_explorer(**FAST)
    assert isinstance(panel, widgets.interactive)
    slider = control(panel, "lambd")
    assert isinstance(slider, widgets.SelectionSlider)
    assert slider.value == 0.0 and slider.continuous_update is False
    values = [v for _, v in slider.options]
    assert values[0] == 0.0 and values == sorted(values) and values == list(LAMBDA_STOPS)
    positive = values[1:]
    ratios = [b / a for a, b in zip(positive, positive[1:])]
    assert all(2 <= r <= 4 for r in ratios), ratios  # log-spaced stops


def test_weight_decay_result_is_the_history_with_weight_norm():
    panel = weight_decay_explorer(**FAST)
    check_history(panel.result, FAST["num_epochs"], KEYS + ("weight_norm",))
    history = set_controls(panel, lambd=1e-2)
    assert history is panel.result
    check_history(history, FAST["num_epochs"], KEYS + ("weight_norm",))


def test_larger_lambd_gives_smaller_weight_norm_in_the_explorer():
    panel = weight_decay_explorer(num_epochs=10, n_train=100, n_test=100)
    norms = [set_controls(panel, lambd=lam)["weight_norm"][-1] for lam in (0.0, 1e-2, 1e-1)]
    assert norms[0] > norms[1] > norms[2], norms


def test_weight_decay_explorer_caches_settings_already_computed():
    panel = weight_decay_explorer(**FAST)
    first = panel.result
    set_controls(panel, lambd=1e-3)
    misses = panel.cache.misses
    assert set_controls(panel, lambd=0.0) is first
    assert panel.cache.misses == misses


def test_each_update_draws_one_figure_with_loss_and_norm(shown):
    panel = weight_decay_explorer(**FAST)
    shown.clear()
    set_controls(panel, lambd=3e-2)
    assert len(shown) == 1
    ax_loss, ax_norm = shown[0].axes
    assert "λ = 3e-2" in ax_loss.get_title()
    assert "‖W‖" in ax_norm.get_ylabel()
    labels = [line.get_label() for line in ax_loss.lines]
    assert "train loss" in labels and "test loss" in labels and "train loss, λ = 0" in labels


def test_weight_decay_explorer_refuses_bad_values():
    with pytest.raises(ValueError, match="lambd"):
        weight_decay_explorer(lambd=-1.0, **FAST)
    with pytest.raises(ValueError, match="lambd"):
        weight_decay_explorer(lambd=0.5, **FAST)  # not a stop of the slider
    panel = weight_decay_explorer(**FAST)
    with pytest.raises(traitlets.TraitError):
        set_controls(panel, lambd=-1.0)
    with pytest.raises(ValueError, match="control"):
        set_controls(panel, dropout=0.5)


# --------------------------------------------------------------------------- dropout


def test_dropout_explorer_has_a_dropout_slider():
    panel = dropout_explorer(**FAST)
    slider = control(panel, "dropout")
    assert isinstance(slider, widgets.FloatSlider)
    assert slider.min == 0.0 and 0.5 <= slider.max < 1.0 and slider.continuous_update is False
    check_history(panel.result, FAST["num_epochs"])


def test_dropout_changes_the_run_in_the_explorer(shown):
    panel = dropout_explorer(**FAST)
    none = panel.result
    half = set_controls(panel, dropout=0.5)
    check_history(half, FAST["num_epochs"])
    assert half is not none and half["train_loss"] != none["train_loss"]
    assert "p = 0.5" in shown[-1].axes[0].get_title()


def test_browser_style_float_values_hit_the_same_setting():
    panel = dropout_explorer(**FAST)
    a = set_controls(panel, dropout=0.3)
    b = set_controls(panel, dropout=0.1 * 3)  # 0.30000000000000004, as a browser may send
    assert a["train_loss"] == b["train_loss"]


def test_dropout_explorer_refuses_bad_values():
    with pytest.raises(ValueError, match="dropout"):
        dropout_explorer(dropout=1.5, **FAST)
    with pytest.raises(ValueError, match="dropout"):
        dropout_explorer(dropout=0.95, **FAST)  # past the slider's end
    with pytest.raises(ValueError, match="lambd"):
        dropout_explorer(lambd=-1.0, **FAST)


# --------------------------------------------------------------------------- in a real kernel


@pytest.mark.parametrize("make, key, moves", [
    ("weight_decay_explorer(num_epochs=5, n_train=100, n_test=100)", "index", [2, 5, 7]),
    ("dropout_explorer(num_epochs=5, n_train=100, n_test=100)", "value", [0.3, 0.6, 0.8]),
])
def test_quick_moves_leave_one_plot_from_the_last_move(make, key, moves):
    """Send slider moves through the widget protocol, back to back (the later ones arrive while the first
    is still training), and replay what JupyterLab's Output widget would show: one image, from the last move."""
    import json
    import queue
    import time
    from pathlib import Path

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(Path(__file__).resolve().parents[1] / "notebooks"))
    try:
        setup = ("%matplotlib inline\nimport json\nfrom IPython.display import display\n"
                 f"from helpers.widgets import weight_decay_explorer, dropout_explorer\nexplorer = {make}\n"
                 "display(explorer)\n"
                 "print(json.dumps([explorer.kwargs_widgets[0].model_id, explorer.out.model_id]))")
        outputs = []
        reply = kc.execute_interactive(setup, timeout=300, output_hook=lambda m: outputs.append(m))
        assert reply["content"]["status"] == "ok", reply["content"]
        slider_id, out_id = json.loads(next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream"))
        sent = []
        for value in moves:
            msg = kc.session.msg("comm_msg", {"comm_id": slider_id,
                                              "data": {"method": "update", "state": {key: value}, "buffer_paths": []}})
            kc.shell_channel.send(msg)
            sent.append(msg["header"]["msg_id"])
        shown, pending_clear, capture, done = [], False, None, set()
        deadline = time.time() + 300
        while len(done) < len(sent) and time.time() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=5)
            except queue.Empty:
                continue
            kind, parent = m["msg_type"], m["parent_header"].get("msg_id")
            if kind == "status" and parent in sent and m["content"]["execution_state"] == "idle":
                done.add(parent)
            elif kind == "comm_msg" and m["content"]["comm_id"] == out_id:
                state = m["content"]["data"].get("state", {})
                if "msg_id" in state:
                    capture = state["msg_id"] or None
            elif capture is not None and parent == capture:
                if kind == "clear_output":
                    pending_clear = m["content"].get("wait", False)
                    if not pending_clear:
                        shown = []
                elif kind in ("display_data", "stream", "error", "execute_result"):
                    if pending_clear:
                        shown, pending_clear = [], False
                    what = "image" if "image/png" in m["content"].get("data", {}) else kind
                    shown.append((what, sent.index(parent)))
        assert len(done) == len(sent), "the kernel did not finish every move"
        assert shown == [("image", len(sent) - 1)], shown
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
