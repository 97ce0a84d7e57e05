"""Used in lesson 07: dropout (暂退法). Section 4's dropout slider is ``dropout_explorer`` (all rates trained
at once; its "Choosing p" part reads ``.runs``); exercises 1–3 call the ``check_…`` functions at the end."""

from __future__ import annotations

import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import plot, train
from helpers.runtime import check_choice, run_student_code, tr, tr_fig, verdict

DROPOUT_STOPS = (0.0, 0.3, 0.6, 0.9)  # the slider's stops


def dropout_explorer(dropout: float = 0.0, n_train: int = 1500, n_val: int = 1000, num_epochs: int = 40,
                     **grid) -> plot.Explorer:
    """A dropout-rate slider over ``DROPOUT_STOPS``, all trained when built (``train.explorer_runs``, the λ explorer's
    experiment: lr 0.1, batch 200 unless ``grid`` says otherwise, on ``data.subset(n_train, n_val=n_val)``). A move
    only updates the curves of loss and accuracy (eval mode) over the p = 0 run in grey. ``.runs``: p → history."""
    check_choice("dropout", dropout, DROPOUT_STOPS)
    print(tr("training the {k} dropout rates together, {n} epochs ...", k=len(DROPOUT_STOPS), n=num_epochs), end=" ")
    start = time.perf_counter()
    runs = dict(zip(DROPOUT_STOPS, train.explorer_runs([0.0] * len(DROPOUT_STOPS), DROPOUT_STOPS, n_train, n_val,
                                                       num_epochs, **grid)))
    print(tr("done in {s:.1f} s", s=time.perf_counter() - start))
    (fig, axes), curves, epochs = plt.subplots(1, 2, figsize=(10, 3.4)), {}, runs[0.0]["epoch"]
    for ax, kind, name, color in ((axes[0], "loss", tr_fig("loss"), "C0"), (axes[1], "acc", tr_fig("accuracy"), "C1")):
        for split, style in (("train", "-"), ("validation", "--")):
            key = f"{split[:5].replace('valid', 'val')}_{kind}"
            label = plot.curve_label(key)
            ax.plot(epochs, runs[0.0][key], style, color="0.6", lw=1.2, label=f"{label}, p = 0")
            curves[key], = ax.plot(epochs, runs[0.0][key], style, color=color, label=label)
        plot.finish(ax, "upper right" if kind == "loss" else "center right", xlabel=tr_fig("epoch"), ylabel=name,
                    ylim=(0, 1.8 if kind == "loss" else 1))
    fig.tight_layout(), fig.set_layout_engine(None), plt.close(fig)  # laid out once (no engine: one draw a move)

    def draw(h, dropout):
        axes[0].set_title(tr_fig("p = {p:g}: final train loss {t:.2f}, validation loss {v:.2f}", p=dropout,
                                 t=h["train_loss"][-1], v=h["val_loss"][-1]), fontsize=11)
        axes[1].set_title(tr_fig("validation acc {a:.3f}, train − validation gap {g:+.3f}", a=h["val_acc"][-1],
                                 g=h["train_acc"][-1] - h["val_acc"][-1]), fontsize=11)  # within the picture's crop
        for key, line in curves.items():
            line.set_ydata(h[key])
        plt.figure(fig)  # the same figure again, for the explorer to show: only the curves and titles changed

    slider = widgets.SelectionSlider(options=[(f"{p:g}", p) for p in DROPOUT_STOPS], value=dropout,
                                     description=tr("dropout p"))
    panel = plot.explorer(lambda dropout: runs[dropout], draw, dropout=slider)
    panel.runs, panel.figure = runs, fig
    return panel


# --------------------------------------------------------------------------- exercise checks


def _output(layer, X):
    out, error = run_student_code(layer, X.clone())
    if error or out is None:
        return None, error or tr("forward returned None: return the (dropped-out) tensor")
    if not torch.is_tensor(out) or out.shape != X.shape:
        return None, tr("forward should return a tensor shaped like its input {s}", s=tuple(X.shape))
    return out, None


def check_test_time_dropout(cls) -> bool:
    """Exercise 1: ``cls(p)``, dropout as first published: in train mode zero a share p and leave the survivors
    as they are; in eval mode multiply by (1 − p), so eval gives what training gives on average."""
    ones, X = torch.ones(400, 500), torch.rand(3, 7, generator=torch.Generator().manual_seed(7)) + 0.5
    for p in (0.5, 0.2, 0.0, 1.0):
        layer, error = run_student_code(cls, p)
        if error or not isinstance(layer, nn.Module):
            return verdict(False, "", error or tr("cls(p) should be an nn.Module: call super().__init__() in it"))
        out, hint = _output(layer.train(), ones)
        if hint or out.isnan().any():
            return verdict(False, "", tr("in train mode with p = {p}: {hint}", p=p, hint=hint or tr(
                "NaN: nothing here divides by 1 − p")))
        zeroed, survivors = float((out == 0).float().mean()), out[out != 0]
        if 0 < p < 1 and torch.equal(out, ones):
            return verdict(False, "", tr("in train mode nothing was dropped: zero each element with probability p"))
        if abs(zeroed - p) > 0.02:
            return verdict(False, "", tr("with p = {p} a share {z:.2f} was zeroed", p=p, z=zeroed) + (tr(
                ": p is the probability of dropping a unit, not of keeping it") if abs(zeroed + p - 1) <= 0.02 else ""))
        if not torch.equal(survivors, torch.ones_like(survivors)):
            return verdict(False, "", tr("with p = {p} the surviving ones became {s:.3f}: here the survivors keep "
                                         "their value (dropout_layer's 1/(1 − p) is the inverted form)", p=p,
                                         s=float(survivors[0])))
        out, hint = _output(layer.eval(), X)
        if hint or not torch.allclose(out, (1 - p) * X):
            return verdict(False, "", tr("in eval mode: {hint}", hint=hint) if hint else tr(
                "in eval mode with p = {p} expected (1 − p)·X: X unchanged is right only for inverted dropout; here "
                "training keeps on average (1 − p)·h" if torch.equal(out, X) else "in eval mode with p = {p} expected "
                "(1 − p)·X: see what training keeps on average, E[h'] = (1 − p)·h", p=p))
    return verdict(True, tr("train: drop a share p, keep the survivors; eval: scale by (1 − p). Same expectation as "
                            "inverted dropout, with the work moved to test time"), "")


def check_dropout_variance(fn) -> bool:
    """Exercise 2: ``fn(h, p)`` -> Var[h'] = h²·p/(1 − p), elementwise, for h' = dropout_layer(h, p)."""
    h = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0])
    for p in (0.5, 0.2, 0.9, 0.0):
        got, error = run_student_code(fn, h.clone(), p)
        if error or got is None:
            return verdict(False, "", error or tr("dropout_variance returned None: return h² · p / (1 − p)"))
        got = torch.as_tensor(got, dtype=torch.float32)
        got = got.expand_as(h) if got.dim() == 0 and p == 0 else got  # a plain 0 at p = 0 is right too
        if got.shape != h.shape:
            return verdict(False, "", tr("return one variance per element of h, shape {s}", s=tuple(h.shape)))
        wrong = {tr("h²·p·(1 − p) forgets the scaling: the survivors are h/(1 − p)"): h ** 2 * p * (1 - p),
                 tr("h²/(1 − p) is E[h'²]; the variance subtracts the squared mean E[h']² = h²"): h ** 2 / (1 - p),
                 tr("the variance scales with h², not h"): h * p / (1 - p)}
        if not torch.allclose(got, h ** 2 * p / (1 - p), rtol=1e-4, atol=1e-6):
            hint = next((k for k, x in wrong.items() if torch.allclose(got, x, rtol=1e-4, atol=1e-6)), None)
            return verdict(False, "", hint or tr("for p = {p} expected {w}, got {g}", p=p,
                                                 w=(h ** 2 * p / (1 - p)).tolist(), g=got.tolist()))
    return verdict(True, tr("Var[h'] = h²·p/(1 − p): no noise at p = 0, and it explodes as p → 1"), "")


def check_per_layer_dropout(cls) -> bool:
    """Exercise 3: ``cls(num_inputs, num_hiddens, num_outputs, rates)``; weights 0, biases 1 (output −1), hooked."""
    for rates in ((0.2, 0.5), (0.5, 0.2), (0.1, 0.6, 0.3)):
        net, error = run_student_code(cls, 30, [2000] * len(rates), 4, list(rates))
        linears = [m for m in net.modules() if isinstance(m, nn.Linear)] if isinstance(net, nn.Module) else []
        if error or len(linears) != len(rates) + 1:
            return verdict(False, "", error or tr("{r} rates: {n} nn.Linear layers, not {got}", r=len(rates),
                                                  n=len(rates) + 1, got=len(linears)))
        seen = []
        for m in linears:
            nn.init.zeros_(m.weight), nn.init.constant_(m.bias, -1.0 if m.out_features == 4 else 1.0)
            m.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
        for training, mode in ((True, tr("train mode")), (False, tr("eval mode"))):
            seen.clear()
            out, error = run_student_code(net.train(training), torch.rand(50, 30))
            for k, (H, p) in enumerate(zip([] if error else seen[1:], rates if training else [0] * len(rates)), 1):
                zeroed = float((H == 0).float().mean())
                if abs(zeroed - p) > 0.02 or not torch.allclose(H[H != 0], torch.tensor(1 / (1 - p))):
                    return verdict(False, "", tr("{mode}, rates {rates}, after hidden layer {k}: expected a share {p} "
                                                 "zeroed, the rest × {s:g}; got {z:.2f} zeroed", mode=mode,
                                                 rates=rates, k=k, p=p, s=1 / (1 - p), z=zeroed))
            if error or not torch.is_tensor(out) or len(seen) != len(linears) or not torch.equal(out, 0 * out - 1):
                return verdict(False, "", error or tr("{mode}: call each layer once and return the output layer's "
                                                      "scores as they are (no ReLU or dropout after them)", mode=mode))
    return verdict(True, tr("each hidden layer drops its own share in train mode, none in eval mode"), "")
