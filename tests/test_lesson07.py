"""helpers.lesson07: the dropout explorer's runs and panel, and the exercise checks."""

import math

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import traitlets  # noqa: E402
from torch import nn  # noqa: E402

from helpers import data, lesson07, train  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

FAST = dict(num_epochs=4, n_train=100, n_test=100)
KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch):
    """The figures the explorer shows, captured at plt.show() (the explorer closes them right after)."""
    figures = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: figures.append(plt.gcf()))
    return figures


def check_history(history, num_epochs, keys=KEYS):
    for key in keys:
        assert len(history[key]) == num_epochs, key
        assert all(math.isfinite(v) for v in history[key]), key


# --------------------------------------------------------------------------- the explorer's runs


def test_mlp_puts_one_dropout_layer_after_each_hidden_layer():
    net = train.mlp((256, 256), dropout=(0.2, 0.5), init_std=None)
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert [m.p for m in net if isinstance(m, nn.Dropout)] == [0.2, 0.5]
    assert not any(isinstance(m, nn.Dropout) for m in train.mlp(64, dropout=0.0))
    with pytest.raises(ValueError, match="dropout"):
        train.mlp((64, 64), dropout=(0.1,))
    with pytest.raises(ValueError, match="dropout"):
        train.mlp((64, 64), dropout=1.5)


def test_dropout_changes_the_run_and_is_seeded():
    none = lesson07.train_with_dropout(0.0, **FAST)
    half = lesson07.train_with_dropout(0.5, **FAST)
    check_history(half, FAST["num_epochs"])
    assert half["train_loss"] != none["train_loss"]
    assert lesson07.train_with_dropout(0.5, **FAST)["train_loss"] == half["train_loss"]


def test_training_numbers_are_measured_in_eval_mode():
    """The history's last train_loss/train_acc are the final net's, dropout off: rebuild the seeded run and compare."""
    h = lesson07.train_with_dropout(0.5, **FAST, device="cpu")
    d = data.subset(FAST["n_train"], n_test=FAST["n_test"])
    torch.manual_seed(0)
    net = train.mlp((256, 256), dropout=0.5, init_std=None)
    opt = torch.optim.SGD(train.weight_groups(net, 0.0), lr=0.03, momentum=0.9)
    running = train.train(net, data.TensorBatches(d.X_train, d.y_train, 50, shuffle=True), None, FAST["num_epochs"],
                          optimizer=opt, device="cpu", verbose=False)
    assert (h["train_loss"][-1], h["train_acc"][-1]) == pytest.approx(train.evaluate(net, (d.X_train, d.y_train)))
    assert h["train_loss"][-1] != pytest.approx(running["train_loss"][-1])  # not the loop's figure, dropout on


def test_dropout_narrows_the_train_test_gap():
    gaps = {}
    for p in (0.0, 0.5):
        h = lesson07.train_with_dropout(p, num_epochs=25, n_train=200, n_test=300)
        gaps[p] = h["train_acc"][-1] - h["test_acc"][-1]
    assert gaps[0.5] < gaps[0.0], gaps


def test_dropout_one_gives_finite_losses_and_no_learning():
    h = lesson07.train_with_dropout(1.0, **FAST)
    assert all(math.isfinite(v) for v in h["train_loss"] + h["test_loss"])
    assert h["train_loss"][-1] > 2.0  # every hidden unit is dropped: the net outputs a constant


def test_per_layer_rates_and_weight_decay_are_accepted():
    h = lesson07.train_with_dropout((0.2, 0.5), lambd=1e-3, **FAST)
    assert len(h["test_acc"]) == FAST["num_epochs"]


@pytest.mark.parametrize("bad", [-0.2, 1.5, (0.2, 1.2), (-0.1, 0.5)])
def test_rates_outside_0_1_are_refused(bad):
    with pytest.raises(ValueError, match="dropout="):
        lesson07.train_with_dropout(bad, **FAST)


# --------------------------------------------------------------------------- the dropout explorer


def test_the_explorer_has_a_dropout_slider():
    panel = lesson07.dropout_explorer(**FAST)
    slider = panel.kwargs_widgets[0]
    assert isinstance(slider, widgets.FloatSlider) and "dropout" in slider.description
    assert slider.min == 0.0 and 0.5 <= slider.max < 1.0 and slider.continuous_update is False
    check_history(panel.result, FAST["num_epochs"])


def test_a_move_retrains_and_redraws_over_the_grey_reference(shown):
    panel = lesson07.dropout_explorer(**FAST)
    none = panel.result
    half = set_controls(panel, dropout=0.5)
    check_history(half, FAST["num_epochs"])
    assert half is not none and half["train_loss"] != none["train_loss"]
    ax_loss, ax_acc = shown[-1].axes
    assert "p = 0.5" in ax_loss.get_title() and "gap" in ax_acc.get_title()
    assert {"train acc, p = 0", "test acc, p = 0", "train acc"} <= {line.get_label() for line in ax_acc.lines}
    misses = panel.cache.cache_info().misses
    assert set_controls(panel, dropout=0.0) is none and panel.cache.cache_info().misses == misses


def test_browser_style_float_values_hit_the_same_setting():
    panel = lesson07.dropout_explorer(**FAST)
    a = set_controls(panel, dropout=0.3)
    b = set_controls(panel, dropout=0.1 * 3)  # 0.30000000000000004, as a browser may send
    assert a["train_loss"] == b["train_loss"]


def test_the_explorer_refuses_bad_values():
    with pytest.raises(ValueError, match="dropout"):
        lesson07.dropout_explorer(dropout=1.5, **FAST)
    with pytest.raises(ValueError, match="dropout"):
        lesson07.dropout_explorer(dropout=0.95, **FAST)  # past the slider's end
    with pytest.raises(ValueError, match="lambd"):
        lesson07.dropout_explorer(lambd=-1.0, **FAST)
    panel = lesson07.dropout_explorer(**FAST)
    with pytest.raises(ValueError, match="control"):
        set_controls(panel, lambd=0.5)


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
                 f"from helpers.lesson06 import weight_decay_explorer\nfrom helpers.lesson07 import dropout_explorer\nexplorer = {make}\n"
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


# --------------------------------------------------------------------------- exercise 1: dropout as first published


def dropout_layer(X, dropout):
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


class SolutionDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, X):
        if self.training:
            return X * (torch.rand(X.shape, device=X.device) > self.p).float()
        return X * (1 - self.p)


def make(forward):
    class Attempt(nn.Module):
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, X):
            return forward(self, X)
    return Attempt


def test_test_time_dropout_accepts_the_solution_and_another_route(capsys):
    assert lesson07.check_test_time_dropout(SolutionDropout) is True
    undo = make(lambda self, X: dropout_layer(X, self.p) * (1 - self.p) if self.training else X * (1 - self.p))
    assert lesson07.check_test_time_dropout(undo) is True  # inverted dropout, its scaling undone: the same layer
    assert "✅" in capsys.readouterr().out


def test_test_time_dropout_eval_matches_the_training_average():
    torch.manual_seed(0)
    layer, X = SolutionDropout(0.3), torch.rand(4, 6) + 0.5
    average = torch.stack([layer.train()(X) for _ in range(20_000)]).mean(dim=0)
    assert torch.allclose(average, layer.eval()(X), rtol=0.03)


def test_test_time_dropout_hints(capsys):
    def keep_p(self, X):
        if not self.training:
            return X * (1 - self.p)
        return X * (torch.rand(X.shape) > (1 - self.p)).float()

    class NotAModule:
        def __init__(self, p):
            self.p = p

    cases = {
        "the inverted form": nn.Dropout,                                      # the copy from section 2
        "X unchanged is right only for inverted dropout": make(lambda self, X: (torch.rand(X.shape) > self.p).float()
                                                               * X if self.training else X),
        "E[h'] = (1 − p)·h": make(lambda self, X: (torch.rand(X.shape) > self.p).float() * X if self.training
                                   else X * self.p),
        "nothing was dropped": make(lambda self, X: X if self.training else X * (1 - self.p)),
        "not of keeping it": make(keep_p),
        "forward returned None": make(lambda self, X: None),
        "nn.Module": NotAModule,
    }
    for hint, cls in cases.items():
        assert lesson07.check_test_time_dropout(cls) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_test_time_dropout_stub_does_not_raise(capsys):
    stub = make(lambda self, X: None)
    assert lesson07.check_test_time_dropout(stub) is False
    assert "❌" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercise 2: the variance dropout adds


def dropout_variance(h, p):
    return h ** 2 * p / (1 - p)


def test_dropout_variance_accepts_the_solution(capsys):
    assert lesson07.check_dropout_variance(dropout_variance) is True
    assert "✅" in capsys.readouterr().out


def test_dropout_variance_matches_simulation():
    torch.manual_seed(0)
    h, p = 2.0, 0.3
    samples = torch.where(torch.rand(200_000) > p, torch.tensor(h / (1 - p)), torch.tensor(0.0))
    assert abs(float(samples.var()) - float(dropout_variance(torch.tensor(h), p))) < 0.05


def test_dropout_variance_hints(capsys):
    cases = {
        "forgets the scaling": lambda h, p: h ** 2 * p * (1 - p),
        "squared mean": lambda h, p: h ** 2 / (1 - p),
        "scales with h²": lambda h, p: h * p / (1 - p),
        "returned None": lambda h, p: None,
        "expected": lambda h, p: h ** 2 * p,
    }
    for hint, fn in cases.items():
        assert lesson07.check_dropout_variance(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_dropout_variance_reports_an_exception(capsys):
    def stub(h, p):
        raise NotImplementedError
    assert lesson07.check_dropout_variance(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out
