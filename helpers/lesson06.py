"""Used in lesson 06: weight decay (权重衰减). Section 2 draws d2l's data with ``high_dim_linear``;
section 5's λ slider is ``weight_decay_explorer`` (all stops trained at once; sections 6–7 read its ``.runs``);
exercises 1–3 call ``check_half_life``, ``check_ridge`` and ``check_l1_step``."""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from helpers import plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, tr, tr_fig, verdict


class LinearData(NamedTuple):
    """X_train (n_train, d), y_train (n_train, 1), X_test, y_test: float32; true_w (d, 1) and true_b made y."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    true_w: torch.Tensor
    true_b: float


def high_dim_linear(n_train: int = 20, n_test: int = 100, num_inputs: int = 200, noise: float = 0.01,
                    seed: int = 0) -> LinearData:
    """d2l's data for weight decay: y = 0.05 + Σᵢ 0.01·xᵢ + ε, ε ~ N(0, ``noise``²), x ~ N(0, I): more weights
    than examples (d2l: 200 features, 20 training and 100 test examples), from a generator seeded with ``seed``."""
    n_train, n_test = check_int("n_train", n_train), check_int("n_test", n_test)
    num_inputs, noise = check_int("num_inputs", num_inputs), check_number("noise", noise, low=0)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0))
    true_w, true_b = torch.full((num_inputs, 1), 0.01), 0.05
    X = torch.randn(n_train + n_test, num_inputs, generator=g)
    y = X @ true_w + true_b + noise * torch.randn(n_train + n_test, 1, generator=g)
    return LinearData(X[:n_train], y[:n_train], X[n_train:], y[n_train:], true_w, true_b)


# The slider's stops: 0, then 1e-3 … 0.1 (one a decade); a log slider cannot reach 0, so they are listed.
LAMBDA_STOPS = (0.0, 1e-3, 1e-2, 1e-1)


def _label(lambd: float) -> str:
    return "0" if lambd == 0 else f"{lambd:.0e}".replace("e-0", "e-")  # 3e-2, not 3e-02


def weight_decay_explorer(lambd: float = 0.0, n_train: int = 1500, n_val: int = 1000, num_epochs: int = 40,
                          **grid) -> plot.Explorer:
    """A λ slider over ``LAMBDA_STOPS``, all trained when it is built (progress bar; ``train.explorer_runs``: lr 0.1,
    batch 200, evaluated every 2 epochs unless ``grid`` says otherwise, on ``data.subset(n_train, n_val=n_val)``). A
    move only updates the lines of train/validation loss and ‖W‖ over the λ = 0 run in grey. ``.runs``: λ → history."""
    check_choice("lambd", lambd, LAMBDA_STOPS)
    k = len(LAMBDA_STOPS)
    display(bar := widgets.IntProgress(max=num_epochs, description=tr("{k} λ, epoch", k=k)))  # closed when done
    runs = dict(zip(LAMBDA_STOPS, train.explorer_runs(LAMBDA_STOPS, [0.0] * k, n_train, n_val, num_epochs, **grid,
                                                      callback=lambda epoch: setattr(bar, "value", epoch))))
    bar.close()
    (fig, axes), lines, epochs = plt.subplots(1, 2, figsize=(10, 3.4)), {}, runs[0.0]["epoch"]
    for ax, keys, top in ((axes[0], ("train_loss", "val_loss"), 1.8), (axes[1], ("weight_norm",), 1.1 * max(
            max(h["weight_norm"]) for h in runs.values()))):
        for key in keys:
            name = plot.curve_label(key)
            style = "--" if key == "val_loss" else "-"
            ax.plot(epochs, runs[0.0][key], style, color="0.6", lw=1.2, label=f"{name}, λ = 0")
            lines[key], = ax.plot(epochs, runs[0.0][key], style, lw=1.8, label=name)
        plot.finish(ax, "upper right" if top == 1.8 else "upper left", xlabel=tr_fig("epoch"), ylim=(0, top),
                    ylabel=tr_fig("cross-entropy loss" if top == 1.8 else "‖W‖ (both weights)"))
    fig.tight_layout(), fig.set_layout_engine(None), plt.close(fig)  # laid out once (no engine: one draw a move)

    def draw(h, lambd):
        plt.figure(fig)  # the same figure: only the lines and titles change
        for key, line in lines.items():
            line.set_ydata(h[key])
        axes[0].set_title(tr_fig("λ = {l}: final train loss {t:.2f}, validation loss {v:.2f}", l=_label(lambd),
                                 t=h["train_loss"][-1], v=h["val_loss"][-1]))
        axes[1].set_title(tr_fig("‖W‖ = {w:.2f} (validation acc {a:.3f})", w=h["weight_norm"][-1], a=h["val_acc"][-1]))

    slider = widgets.SelectionSlider(options=[(_label(v), v) for v in LAMBDA_STOPS], value=lambd, description="λ")
    panel = plot.explorer(lambda lambd: runs[lambd], draw, lambd=slider)
    panel.runs, panel.figure = runs, fig
    return panel


# --------------------------------------------------------------------------- exercise checks


def _number(got):
    """``got`` as a float if it is a real number (or a one-element tensor), else None."""
    if torch.is_tensor(got) and got.numel() == 1:
        got = got.item()
    return float(got) if isinstance(got, numbers.Real) and not isinstance(got, bool) else None  # NumPy's too


def check_half_life(fn) -> bool:
    """Exercise 1: ``fn(lr, steps)`` -> the λ for which ``steps`` steps of pure decay halve w: (1 − lr·λ)^steps = ½."""
    for lr, steps in ((0.1, 1), (0.05, 10), (0.5, 3)):
        got, error = run_student_code(fn, lr, steps)
        value = _number(got)
        if error or value is None:
            return verdict(False, "", error or tr("return λ as a number, got {t}", t=type(got).__name__))
        want = (1 - 0.5 ** (1 / steps)) / lr
        wrong = {math.log(2) / (lr * steps): tr("ln 2/(lr·steps) is the small-step approximation: solve "
                                                "(1 − lr·λ)^steps = 1/2 exactly"),
                 lr * want: tr("divide by lr: the factor is (1 − lr·λ), not (1 − λ)"),
                 (1 - 0.5 ** steps) / lr: tr("after k steps w is multiplied by (1 − lr·λ)^k: take the k-th root of ½")}
        if not math.isclose(value, want, rel_tol=1e-6):
            hint = next((h for x, h in wrong.items() if math.isclose(value, x, rel_tol=1e-6)), None)
            return verdict(False, "", hint or tr("for lr = {lr}, {s} steps: (1 − lr·λ)^{s} should be 0.5, but λ = "
                                                 "{v:.4g} gives {g:.4g}", lr=lr, s=steps, v=value,
                                                 g=(1 - lr * value) ** steps))
    return verdict(True, tr("λ = (1 − 2^(−1/k))/lr: the decay factor (1 − lr·λ) compounds over the k steps"), "")


def check_ridge(fn) -> bool:
    """Exercise 2: ``fn(X, y, lambd)`` -> the w minimising mean((Xw − y)²)/2 + λ/2‖w‖²: (XᵀX + nλI)⁻¹Xᵀy."""
    gen = torch.Generator().manual_seed(62)
    X, y = (torch.randn(8, k, generator=gen, dtype=torch.float64) for k in (12, 1))  # more weights than examples
    solve = lambda m: torch.linalg.solve(X.T @ X + m * torch.eye(12, dtype=X.dtype), X.T @ y)  # noqa: E731
    for lambd in (0.5, 3.0):
        got, error = run_student_code(fn, X.clone(), y.clone(), lambd)
        if error or not (torch.is_tensor(got) and got.numel() == 12):
            return verdict(False, "", error or tr("return w, a tensor of 12 weights (shape (12, 1))"))
        got = got.reshape(12, 1).to(X.dtype)
        wrong = {tr("the mean over n examples scales XᵀX by 1/n: the λ term becomes nλI"): solve(lambd),
                 tr("that is the least-squares fit without the penalty: λ is missing"): torch.linalg.pinv(X) @ y,
                 tr("the penalty λ/2‖w‖² has gradient λw, not λw/2"): solve(8 * lambd / 2)}
        if not torch.allclose(got, solve(8 * lambd), atol=1e-5):
            hint = next((h for h, x in wrong.items() if torch.allclose(got, x, atol=1e-5)), None)
            grad = X.T @ (X @ got - y) / 8 + lambd * got
            return verdict(False, "", hint or tr("at your w the gradient of the objective is not 0 (largest entry "
                                                 "{g:.3g}) for λ = {l}", g=float(grad.abs().max()), l=lambd))
    return verdict(True, tr("w = (XᵀX + nλI)⁻¹Xᵀy: the gradient Xᵀ(Xw − y)/n + λw is 0 there"), "")


def check_l1_step(fn) -> bool:
    """Exercise 3: ``fn(w, grad, lr, lambd)`` -> w − lr·(grad + λ·sign(w)), one SGD step on L + λ‖w‖₁."""
    gen = torch.Generator().manual_seed(63)
    w, grad = torch.randn(5, 3, generator=gen), torch.randn(5, 3, generator=gen)
    w[0, 0] = 0.0
    for lr, lambd in ((0.1, 0.5), (0.03, 3.0)):
        got, error = run_student_code(fn, w.clone(), grad.clone(), lr, lambd)
        if error or not (torch.is_tensor(got) and got.shape == w.shape):
            return verdict(False, "", error or tr("return the new weights, a tensor shaped like w {s}",
                                                  s=tuple(w.shape)))
        wrong = {tr("that is weight decay (L2): the derivative of λ|w| is λ·sign(w)"): w - lr * (grad + lambd * w),
                 tr("that is the plain SGD step: add the derivative of λ‖w‖₁ to grad"): w - lr * grad,
                 tr("the penalty's part of the step is scaled by lr too"): w - lr * grad - lambd * torch.sign(w)}
        if not torch.allclose(got, w - lr * (grad + lambd * torch.sign(w)), atol=1e-6):
            hint = next((h for h, x in wrong.items() if torch.allclose(got, x, atol=1e-6)), None)
            return verdict(False, "", hint or tr("for lr={lr}, λ={l} expected w − lr·(grad + λ·sign(w)) (sign(0) = 0)",
                                                 lr=lr, l=lambd))
    return verdict(True, tr("each step takes lr·λ off every |w|, large or small, so small weights reach 0"), "")
