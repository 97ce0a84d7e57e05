"""Used in lesson 07: dropout (暂退法). Section 4's dropout slider is ``dropout_explorer`` (each move is
one ``train_with_dropout`` run); exercises 1–2 call ``check_test_time_dropout`` and ``check_dropout_variance``."""

from __future__ import annotations

import ipywidgets as widgets
import torch
from torch import nn

from helpers import data, plot, train
from helpers.runtime import check_number, run_student_code, single_thread, verdict

DROPOUT_MAX = 0.9


def train_with_dropout(dropout, num_epochs: int = 40, n_train: int = 300, n_test: int = 500,
                       num_hiddens=(256, 256), lr: float = 0.03, batch_size: int = 50, lambd: float = 0.0,
                       seed: int = 0, device=None) -> dict:
    """One explorer run: d2l's 784-256-256-10 (PyTorch's default initialization) with ``nn.Dropout(dropout)``
    after each hidden layer (a rate, or one per layer), SGD with momentum 0.9 and optional weight decay
    ``lambd`` on the weights, on ``data.subset(n_train, n_test=n_test)``; seeded inside ``fork_rng``.

    Returns ``train.train``'s per-epoch history, with ``train_loss`` and ``train_acc`` measured like the test
    numbers, in eval mode after each epoch (not the loop's running figures, taken with dropout on).
    """
    d = data.subset(n_train, n_test=n_test)

    def eval_mode_train_numbers(epoch, net, history):
        history["train_loss"][-1], history["train_acc"][-1] = train.evaluate(net, (d.X_train, d.y_train))

    with torch.random.fork_rng(devices=[]), single_thread(device):
        torch.manual_seed(seed)
        net = train.mlp(num_hiddens, dropout=dropout, init_std=None)
        optimizer = torch.optim.SGD(train.weight_groups(net, check_number("lambd", lambd, 0)), lr=lr, momentum=0.9)
        return train.train(net, data.TensorBatches(d.X_train, d.y_train, batch_size, shuffle=True),
                           (d.X_test, d.y_test), num_epochs, optimizer=optimizer, device=device, verbose=False,
                           callback=eval_mode_train_numbers)


def dropout_explorer(dropout: float = 0.0, **run_kwargs) -> widgets.interactive:
    """A dropout-rate slider (p from 0 to 0.9): each new p retrains (``train_with_dropout(p, **run_kwargs)``)
    and redraws loss and accuracy per epoch over the p = 0 run in grey. ``.result`` is the history shown."""
    check_number("dropout", dropout, 0, DROPOUT_MAX)
    reference = train_with_dropout(0.0, **run_kwargs)  # drawn in grey (and bad run_kwargs fail here)

    def compute(dropout):
        p = round(dropout, 6)  # a browser may send 0.30000000000000004
        return reference if p == 0 else train_with_dropout(p, **run_kwargs)

    def draw(h, dropout):
        p = round(dropout, 6)
        loss = dict(ylabel="cross-entropy loss", ylim=(0, max(2.5, 1.05 * max(h["test_loss"]))),
                    title=f"p = {p:g}: final train loss {h['train_loss'][-1]:.2f}, test loss {h['test_loss'][-1]:.2f}")
        acc = dict(ylabel="accuracy", ylim=(0, 1), title=f"test acc {h['test_acc'][-1]:.3f}, train − test gap "
                                                         f"{h['train_acc'][-1] - h['test_acc'][-1]:+.3f}")
        plot.plot_against_reference(h, reference if p else None,
                                    [(("train_loss", "test_loss"), loss), (("train_acc", "test_acc"), acc)], "p = 0")

    slider = widgets.FloatSlider(value=dropout, min=0.0, max=DROPOUT_MAX, step=0.1, description="dropout p",
                                 readout_format=".1f")
    return plot.explorer(compute, draw, dropout=slider)


# --------------------------------------------------------------------------- exercise checks


def _output(layer, X):
    out, error = run_student_code(layer, X.clone())
    if error or out is None:
        return None, error or "forward returned None: return the (dropped-out) tensor"
    if not torch.is_tensor(out) or out.shape != X.shape:
        return None, f"forward should return a tensor shaped like its input {tuple(X.shape)}"
    return out, None


def check_test_time_dropout(cls) -> bool:
    """Exercise 1: ``cls(p)``, dropout as first published: in train mode zero a share p and leave the survivors
    as they are; in eval mode multiply by (1 − p), so eval gives what training gives on average."""
    ones, X = torch.ones(400, 500), torch.rand(3, 7, generator=torch.Generator().manual_seed(7)) + 0.5
    for p in (0.5, 0.2, 0.0, 1.0):
        layer, error = run_student_code(cls, p)
        if error or not isinstance(layer, nn.Module):
            return verdict(False, "", error or "cls(p) should be an nn.Module: call super().__init__() in it")
        out, hint = _output(layer.train(), ones)
        if hint or out.isnan().any():
            return verdict(False, "", f"in train mode with p = {p}: {hint or 'NaN: nothing here divides by 1 − p'}")
        zeroed, survivors = float((out == 0).float().mean()), out[out != 0]
        if 0 < p < 1 and torch.equal(out, ones):
            return verdict(False, "", "in train mode nothing was dropped: zero each element with probability p")
        if abs(zeroed - p) > 0.02:
            return verdict(False, "", f"with p = {p} a share {zeroed:.2f} was zeroed" + (
                ": p is the probability of dropping a unit, not of keeping it" if abs(zeroed + p - 1) <= 0.02 else ""))
        if not torch.equal(survivors, torch.ones_like(survivors)):
            return verdict(False, "", f"with p = {p} the surviving ones became {float(survivors[0]):.3f}: here the "
                                      "survivors keep their value (dropout_layer's 1/(1 − p) is the inverted form)")
        out, hint = _output(layer.eval(), X)
        if hint or not torch.allclose(out, (1 - p) * X):
            return verdict(False, "", f"in eval mode: {hint}" if hint else (
                f"in eval mode with p = {p} expected (1 − p)·X: " + ("X unchanged is right only for inverted dropout; "
                "here training keeps on average (1 − p)·h" if torch.equal(out, X) else "see what training keeps on "
                "average, E[h'] = (1 − p)·h")))
    return verdict(True, "train: drop a share p, keep the survivors; eval: scale by (1 − p). Same expectation as "
                         "inverted dropout, with the work moved to test time", "")


def check_dropout_variance(fn) -> bool:
    """Exercise 2: ``fn(h, p)`` -> Var[h'] = h²·p/(1 − p), elementwise, for h' = dropout_layer(h, p)."""
    h = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0])
    for p in (0.5, 0.2, 0.9, 0.0):
        got, error = run_student_code(fn, h.clone(), p)
        if error or got is None:
            return verdict(False, "", error or "dropout_variance returned None: return h² · p / (1 − p)")
        got = torch.as_tensor(got, dtype=torch.float32)
        got = got.expand_as(h) if got.dim() == 0 and p == 0 else got  # a plain 0 at p = 0 is right too
        if got.shape != h.shape:
            return verdict(False, "", f"return one variance per element of h, shape {tuple(h.shape)}")
        wrong = {"h²·p·(1 − p) forgets the scaling: the survivors are h/(1 − p)": h ** 2 * p * (1 - p),
                 "h²/(1 − p) is E[h'²]; the variance subtracts the squared mean E[h']² = h²": h ** 2 / (1 - p),
                 "the variance scales with h², not h": h * p / (1 - p)}
        if not torch.allclose(got, h ** 2 * p / (1 - p), rtol=1e-4, atol=1e-6):
            hint = next((k for k, x in wrong.items() if torch.allclose(got, x, rtol=1e-4, atol=1e-6)), None)
            return verdict(False, "", hint or f"for p = {p} expected {(h ** 2 * p / (1 - p)).tolist()}, "
                                              f"got {got.tolist()}")
    return verdict(True, "Var[h'] = h²·p/(1 − p): no noise at p = 0, and it explodes as p → 1", "")
