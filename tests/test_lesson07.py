"""helpers.lesson07: train.train_grid's dropout, the dropout explorer, and the exercise checks."""

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import torch  # noqa: E402
import traitlets  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402
from torch import nn  # noqa: E402

from helpers import data, lesson07, train  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

FAST = dict(num_epochs=3, n_train=60, n_val=40)
KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")


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


def test_grid_dropout_zeroes_a_share_p_and_is_off_in_eval_mode():
    """train_grid's dropout: a copy with p = 0 trains exactly as it would alone (its mask keeps every unit); one with
    p > 0 trains differently; every record is taken with dropout off (two evaluations of the final weights agree)."""
    d = data.subset(80, n_val=40)
    sets = {"train": (d.X_train, d.y_train)}
    both = train.train_grid((0.0, 0.0), (0.0, 0.6), (d.X_train, d.y_train), sets, 3, num_hiddens=16, lr=0.3)
    alone = train.train_grid((0.0,), (0.0,), (d.X_train, d.y_train), sets, 3, num_hiddens=16, lr=0.3)
    assert both[0]["train_loss"] == pytest.approx(alone[0]["train_loss"], abs=1e-6)
    assert both[1]["train_loss"][-1] != pytest.approx(both[0]["train_loss"][-1], abs=1e-2)
    W1, b1, W2, b2 = both[1]["params"]
    scores = torch.relu(d.X_train @ W1 + b1) @ W2 + b2
    loss = nn.functional.cross_entropy(scores, d.y_train).item()
    assert loss == pytest.approx(both[1]["train_loss"][-1], abs=1e-5)


# --------------------------------------------------------------------------- the dropout explorer


@pytest.fixture(scope="module")
def panel():
    return lesson07.dropout_explorer(**FAST)


def test_the_explorer_has_a_dropout_slider_and_every_rate_trained(panel, check_history):
    slider = panel.kwargs_widgets[0]
    assert isinstance(slider, widgets.SelectionSlider) and "dropout" in slider.description
    assert [v for _, v in slider.options] == [0.0, 0.3, 0.6, 0.9] and slider.continuous_update is False
    assert list(panel.runs) == list(lesson07.DROPOUT_STOPS)
    for h in panel.runs.values():  # evaluated every 2 epochs and after the last
        assert h["epoch"] == [2, 3]
        check_history(h, 2, KEYS)
    assert panel.result is panel.runs[0.0]


def test_a_move_redraws_the_curves_over_the_grey_reference(panel, monkeypatch):
    before = panel.plots.children[0].value
    half = set_controls(panel, dropout=0.6)
    assert half is panel.runs[0.6] and half["train_loss"] != panel.runs[0.0]["train_loss"]
    ax_loss, ax_acc = panel.figure.axes
    assert "p = 0.6" in ax_loss.get_title() and "gap" in ax_acc.get_title()
    lines = {line.get_label(): list(line.get_ydata()) for line in ax_acc.lines}
    assert lines["train accuracy"] == half["train_acc"]
    assert lines["validation accuracy, p = 0"] == panel.runs[0.0]["val_acc"]
    assert panel.plots.children[0].value != before
    # the figure is drawn again, not rebuilt, and cropped as a fresh picture of it would be
    assert panel.plots.children[0].value == print_figure(panel.figure, "png", bbox_inches="tight")
    drawn, draw = [], type(panel.figure).draw
    monkeypatch.setattr(type(panel.figure), "draw", lambda self, *a, **kw: drawn.append(1) or draw(self, *a, **kw))
    set_controls(panel, dropout=0.9)
    assert len(drawn) == 1  # one draw a move: no layout engine left to run again, no second pass for the crop
    set_controls(panel, dropout=0.0)


def test_the_explorer_refuses_bad_values(panel):
    with pytest.raises(ValueError, match="dropout"):
        lesson07.dropout_explorer(dropout=1.5, **FAST)
    with pytest.raises(ValueError, match="dropout"):
        lesson07.dropout_explorer(dropout=0.95, **FAST)  # past the slider's end
    with pytest.raises(ValueError, match="dropout"):
        lesson07.dropout_explorer(dropout=0.5, **FAST)  # not a stop of the slider
    with pytest.raises(TypeError, match="bogus"):
        lesson07.dropout_explorer(bogus=1, **FAST)  # not a setting of the run
    with pytest.raises(ValueError, match="control"):
        set_controls(panel, lambd=0.5)


def final(h, key):
    return sum(h[key][-3:]) / 3  # the last 3 evaluations (epochs 36, 38, 40), past the epoch-to-epoch wobble


def test_at_the_lessons_settings_p_0_overfits_the_middle_cures_and_0_9_underfits():
    runs = lesson07.dropout_explorer().runs  # 1500 training and 1000 validation images, 40 epochs, as lesson 07 runs it
    free, cure, most = runs[0.0], runs[0.6], runs[0.9]
    low = free["val_loss"].index(min(free["val_loss"]))  # p = 0: the validation loss climbs from its low point ...
    assert final(free, "val_loss") > free["val_loss"][low] + 0.1 and final(free, "train_loss") < 0.5 * free[
        "train_loss"][low]  # ... while the training loss keeps falling
    assert final(cure, "val_loss") < final(free, "val_loss") - 0.1  # p = 0.6 ends far lower, near its own best
    assert final(cure, "val_loss") < min(cure["val_loss"]) + 0.03
    assert final(most, "train_loss") > 5 * final(free, "train_loss")  # p = 0.9 cannot fit even the training set
    assert final(most, "val_loss") > final(cure, "val_loss") + 0.3


# --------------------------------------------------------------------------- in a real kernel


@pytest.mark.parametrize("make, key, moves, values", [
    ("weight_decay_explorer(num_epochs=3, n_train=60, n_val=40)", "index", [2, 3, 1], "lesson06.LAMBDA_STOPS"),
    ("dropout_explorer(num_epochs=3, n_train=60, n_val=40)", "index", [1, 3, 2], "lesson07.DROPOUT_STOPS"),
])
def test_quick_moves_end_on_the_last_move(make, key, moves, values):
    """Send slider moves through the widget protocol, back to back, as a browser does: every move is answered,
    the plot's image is replaced after the last one, and the explorer ends on the last move's run."""
    import json
    import queue
    import time
    from pathlib import Path

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(Path(__file__).resolve().parents[1] / "notebooks"))
    try:
        setup = ("%matplotlib inline\nimport json\nfrom IPython.display import display\n"
                 "from helpers import lesson06, lesson07\n"
                 f"explorer = lesson0{6 if 'weight' in make else 7}.{make}\ndisplay(explorer)\n"
                 "print(json.dumps([explorer.kwargs_widgets[0].model_id, explorer.plots.children[0].model_id]))")
        outputs = []
        reply = kc.execute_interactive(setup, timeout=300, output_hook=lambda m: outputs.append(m))
        assert reply["content"]["status"] == "ok", reply["content"]
        slider_id, image_id = json.loads(next(m["content"]["text"] for m in outputs
                                              if m["msg_type"] == "stream" and "[" in m["content"]["text"]))
        sent = []
        for value in moves:
            msg = kc.session.msg("comm_msg", {"comm_id": slider_id,
                                              "data": {"method": "update", "state": {key: value}, "buffer_paths": []}})
            kc.shell_channel.send(msg)
            sent.append(msg["header"]["msg_id"])
        images, done, deadline = [], set(), time.time() + 300
        while len(done) < len(sent) and time.time() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=5)
            except queue.Empty:
                continue
            parent = m["parent_header"].get("msg_id")
            if m["msg_type"] == "status" and parent in sent and m["content"]["execution_state"] == "idle":
                done.add(parent)
            elif m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == image_id and parent in sent:
                images.append(sent.index(parent))
        assert len(done) == len(sent), "the kernel did not finish every move"
        assert images and images[-1] == len(sent) - 1, images
        last = f"{values}[{moves[-1]}]" if key == "index" else str(moves[-1])
        outputs.clear()
        kc.execute_interactive(f"print(explorer.result is explorer.runs[{last}])", timeout=60,
                               output_hook=lambda m: outputs.append(m))
        assert [m["content"]["text"].strip() for m in outputs if m["msg_type"] == "stream"] == ["True"]
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


# --------------------------------------------------------------------------- exercise 3: a rate per hidden layer


class PerLayerSolution(nn.Module):
    """The folded solution: a ModuleList of hidden layers, dropout_layer after each in train mode."""

    def __init__(self, num_inputs, num_hiddens, num_outputs, rates, order=lambda rates: rates, always=False):
        super().__init__()
        sizes = [num_inputs, *num_hiddens]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.output = nn.Linear(sizes[-1], num_outputs)
        self.rates, self.always = list(order(rates)), always

    def forward(self, X):
        H = X.reshape(len(X), -1)
        for layer, p in zip(self.hidden, self.rates):
            H = torch.relu(layer(H))
            if self.training or self.always:
                H = dropout_layer(H, p)
        return self.output(H)


def per_layer(forward=None, **options):
    """PerLayerSolution with some options fixed, or with its forward replaced by ``forward(self, X)``."""
    class Attempt(PerLayerSolution):
        def __init__(self, *args):
            super().__init__(*args, **options)

    if forward is not None:
        Attempt.forward = forward
    return Attempt


def sequential(num_inputs, num_hiddens, num_outputs, rates):
    layers, width = [], num_inputs
    for hidden, p in zip(num_hiddens, rates):
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(p)]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, num_outputs))


def test_per_layer_dropout_accepts_the_solution_and_nn_dropout(capsys):
    assert lesson07.check_per_layer_dropout(PerLayerSolution) is True
    assert lesson07.check_per_layer_dropout(sequential) is True
    assert "✅" in capsys.readouterr().out


def fixed_rates(self, X):  # the rates of section 2 typed in, whatever rates the net was given
    H = X
    for layer, p in zip(self.hidden, (0.2, 0.5, 0.5)):
        H = torch.relu(layer(H))
        H = dropout_layer(H, p) if self.training else H
    return self.output(H)


def input_dropout(self, X):  # dropout before each layer instead of after: the input is dropped, the last hidden not
    H = X
    for layer, p in zip(self.hidden, self.rates):
        H = torch.relu(layer(dropout_layer(H, p) if self.training else H))
    return self.output(H)


def no_scaling(self, X):
    H = X
    for layer, p in zip(self.hidden, self.rates):
        H = torch.relu(layer(H))
        H = H * (torch.rand(H.shape) > p).float() if self.training else H
    return self.output(H)


def two_layers_only(num_inputs, num_hiddens, num_outputs, rates):  # ignores how many hidden layers were asked for
    return sequential(num_inputs, num_hiddens[:2], num_outputs, rates[:2])


def raises(self, X):
    raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")


@pytest.mark.parametrize("attempt, hint", [
    (per_layer(order=lambda rates: rates[::-1]), "train mode, rates (0.2, 0.5), after hidden layer 1: expected a share 0.2"),
    (per_layer(fixed_rates), "rates (0.5, 0.2), after hidden layer 1: expected a share 0.5"),
    (per_layer(always=True), "eval mode"),
    (per_layer(input_dropout), "after hidden layer 1: expected a share 0.2"),
    (per_layer(no_scaling), "the rest × 1.25"),
    (per_layer(lambda self, X: nn.functional.dropout(PerLayerSolution.forward(self, X), 0.3, self.training)),
     "scores as they are"),
    (per_layer(lambda self, X: torch.relu(PerLayerSolution.forward(self, X))), "scores as they are"),
    (per_layer(lambda self, X: None), "scores as they are"),
    (two_layers_only, "3 rates: 4 nn.Linear layers, not 3"),
    (per_layer(raises), "mat1 and mat2"),
])
def test_per_layer_dropout_hints(attempt, hint, capsys):
    assert lesson07.check_per_layer_dropout(attempt) is False
    out = capsys.readouterr().out
    assert "❌" in out and hint in out, out


def test_per_layer_dropout_stub_does_not_raise(capsys):
    class Stub(nn.Module):
        def __init__(self, num_inputs, num_hiddens, num_outputs, rates):
            super().__init__()

        def forward(self, X):
            return None

    assert lesson07.check_per_layer_dropout(Stub) is False
    assert "nn.Linear layers, not 0" in capsys.readouterr().out
