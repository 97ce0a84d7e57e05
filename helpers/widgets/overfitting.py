"""Explorers for lesson 05: the note's three factors behind overfitting, one slider each.

- ``degree_explorer``: the number of free parameters (polynomial degree on d2l's cubic data);
- ``weight_norm_explorer``: the size of the weights (a degree-20 polynomial whose
  weights may have norm at most C);
- ``sample_size_explorer``: the number of training examples (the note's MLP on a
  Fashion-MNIST subset of n images).

Each returns an ``ipywidgets.interactive`` built on ``helpers.widgets.base.explorer``.
The two polynomial explorers' ``.result`` is a ``helpers.polyfit.PolyFit`` (with
``train_loss``, ``val_loss``, ``gap``, ``ratio``, ``weight_norm``); the
Fashion-MNIST explorer's is the history dict of ``helpers.generalization.train_on_subset``.
The ``draw_*`` functions are the plots the explorers make, for static use in a lesson.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from helpers import generalization, polyfit, synthetic
from helpers.widgets.base import explorer

NOISE_VARIANCE = 0.1**2  # d2l's ε ~ N(0, 0.1²): no model can beat this validation loss on average
SAMPLE_SIZES = (25, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
# Bounds C for the weight-size sweep: 1 … 10¹² on a log grid, plus a fine grid around the true
# weights' norm (8.33), where the validation loss has a narrow minimum a coarse grid would miss.
NORM_GRID = sorted(set(np.logspace(0, 12, 241).tolist()) | set(np.round(np.linspace(5, 15, 101), 6).tolist()))
TRAIN_STYLE = dict(color="C0", marker="o", ms=3, label="training loss")
VAL_STYLE = dict(color="C3", marker="s", ms=3, label="validation loss")


# --------------------------------------------------------------------------- drawing


def draw_polynomial_fit(ax, data, fit: polyfit.PolyFit, title: str | None = None):
    """Training points, validation points, the true cubic and the fitted polynomial on one axes."""
    x_all = torch.cat([data.x_train, data.x_val])
    y_all = torch.cat([data.y_train, data.y_val])
    lo, hi = float(x_all.min()) - 0.2, float(x_all.max()) + 0.2
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    y_lo, y_hi = float(y_all.min()), float(y_all.max())
    margin = 0.25 * (y_hi - y_lo)
    ax.plot(grid, synthetic.cubic(grid), "k--", lw=1, label="true cubic")
    ax.plot(grid, polyfit.predict(fit.weights, grid), color="C2", lw=2, label=f"degree-{fit.degree} fit")
    ax.scatter(data.x_val, data.y_val, s=14, facecolors="none", edgecolors="C3", label="validation data")
    ax.scatter(data.x_train, data.y_train, s=22, color="C0", zorder=3, label="training data")
    ax.set_ylim(y_lo - margin, y_hi + margin)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title or f"degree {fit.degree}: train {fit.train_loss:.3g}, validation {fit.val_loss:.3g}",
                 fontsize=10)
    return ax


def _loss_axes(ax, ylabel="mean squared error (log scale)"):
    ax.set_yscale("log")
    ax.axhline(NOISE_VARIANCE, color="gray", ls=":", lw=1, label="noise variance 0.01")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")


def draw_degree_sweep(ax, sweep: dict, degree: int | None = None):
    """Training and validation loss against the degree (log scale); ``degree`` is marked."""
    ax.plot(sweep["degree"], sweep["train_loss"], **TRAIN_STYLE)
    ax.plot(sweep["degree"], sweep["val_loss"], **VAL_STYLE)
    _loss_axes(ax)
    ax.set_xlabel("polynomial degree (free parameters − 1)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if degree is not None and degree in sweep["degree"]:
        i = sweep["degree"].index(degree)
        ax.axvline(degree, color="C2", lw=2, alpha=0.5)
        ax.annotate("", (degree, sweep["val_loss"][i]), (degree, sweep["train_loss"][i]),
                    arrowprops=dict(arrowstyle="<->", color="C2", lw=1.5))
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("loss against the number of parameters", fontsize=10)
    return ax


def draw_norm_sweep(ax, sweep: dict, max_norm: float | None = None, true_norm: float | None = None):
    """Training and validation loss against the bound C on ‖w‖ (log-log); ``max_norm`` is marked."""
    ax.plot(sweep["max_norm"], sweep["train_loss"], **{**TRAIN_STYLE, "ms": 0})
    ax.plot(sweep["max_norm"], sweep["val_loss"], **{**VAL_STYLE, "ms": 0})
    _loss_axes(ax)
    ax.set_xscale("log")
    ax.set_xlabel("largest weight norm allowed, C (log scale)")
    if true_norm is not None:
        ax.axvline(true_norm, color="k", ls="--", lw=1, label=f"‖true w‖ = {true_norm:.2f}")
    if max_norm is not None:
        ax.axvline(max_norm, color="C2", lw=2, alpha=0.5, label=f"C = {max_norm:.3g}")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("loss against the size the weights may take", fontsize=10)
    return ax


def draw_subset_curves(axes, history: dict):
    """Loss (left) and accuracy (right) against SGD steps, on the subset and on validation data."""
    ax_loss, ax_acc = axes
    steps = history["step"]
    ax_loss.plot(steps, history["train_loss"], color="C0", label=f"training ({history['n_train']} images)")
    ax_loss.plot(steps, history["val_loss"], "--", color="C3", label="validation (unseen images)")
    ax_loss.set_ylim(0, 2.5)
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_title(f"n = {history['n_train']}: gap {history['gap']:.3f} after "
                      f"{history['epochs']:.3g} passes over the subset", fontsize=10)
    ax_acc.plot(steps, history["train_acc"], color="C0", label="training")
    ax_acc.plot(steps, history["val_acc"], "--", color="C3", label="validation")
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title(f"accuracy: training {history['train_acc'][-1]:.2f}, "
                     f"validation {history['val_acc'][-1]:.2f}", fontsize=10)
    for ax in axes:
        ax.set_xlabel(f"SGD step (minibatches of {history['batch_size']})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return axes


# --------------------------------------------------------------------------- explorers


def degree_explorer(data=None, degree: int = 3) -> widgets.interactive:
    """Slide the polynomial degree (0 … data.max_degree) and watch the train/validation gap.

    ``data`` defaults to ``synthetic.cubic_data()`` (20 training, 100 validation
    points, features up to degree 20). ``.result``: the ``PolyFit`` of that degree.
    """
    data = synthetic.cubic_data() if data is None else data
    polyfit.check_degree(degree, data.max_degree)
    sweep = polyfit.degree_sweep(data)

    def compute(degree):
        return polyfit.fit(data, degree)

    def draw(fit, degree):
        fig, (ax_fit, ax_sweep) = plt.subplots(1, 2, figsize=(11, 3.8))
        draw_polynomial_fit(ax_fit, data, fit)
        draw_degree_sweep(ax_sweep, sweep, degree)
        fig.tight_layout()

    slider = widgets.IntSlider(value=degree, min=0, max=data.max_degree, step=1, description="degree")
    return explorer(compute, draw, degree=slider)


def weight_norm_explorer(data=None, degree: int | None = None, max_norm: float = 10.0) -> widgets.interactive:
    """Slide C, the largest ‖w‖ allowed, for one polynomial degree (default data.max_degree = 20).

    The number of parameters stays fixed; only the size the weights may take
    changes (C from 1 to 10¹² on a log slider). ``.result``: the ``PolyFit``
    (its ``lambd`` is the equivalent weight-decay λ of lesson 06).
    """
    data = synthetic.cubic_data() if data is None else data
    degree = data.max_degree if degree is None else polyfit.check_degree(degree, data.max_degree)
    polyfit.check_max_norm(max_norm)
    sweep = polyfit.norm_sweep(data, NORM_GRID, degree)
    true_norm = float(data.true_w[: degree + 1].norm())

    def compute(max_norm):
        return polyfit.fit(data, degree, max_norm)

    def draw(fit, max_norm):
        fig, (ax_fit, ax_sweep) = plt.subplots(1, 2, figsize=(11, 3.8))
        draw_polynomial_fit(ax_fit, data, fit, title=(
            f"degree {degree}, ‖w‖ = {fit.weight_norm:.3g}: train {fit.train_loss:.3g}, "
            f"validation {fit.val_loss:.3g}"))
        draw_norm_sweep(ax_sweep, sweep, max_norm, true_norm)
        fig.tight_layout()

    slider = widgets.FloatLogSlider(value=max_norm, base=10, min=0, max=12, step=0.05,
                                    description="max ‖w‖ = C", readout_format=".3g",
                                    style={"description_width": "initial"})
    return explorer(compute, draw, max_norm=slider)


def sample_size_explorer(n_train: int = 100, sizes=SAMPLE_SIZES, **train_kwargs) -> widgets.interactive:
    """Slide the number of Fashion-MNIST training images; each setting trains the note's MLP.

    ``sizes``: the slider's choices (each ≤ 60000 − n_val). ``train_kwargs`` go
    to ``generalization.train_on_subset`` (num_steps, lr, …). ``.result``: that
    run's history dict (``gap``, ``train_loss``, ``val_loss``, … per checkpoint).
    Every setting costs the same 300 SGD steps (about a second on an idle 2-core CPU).
    """
    sizes = tuple(sizes)
    if not sizes:
        raise ValueError("sizes is empty; give the slider at least one training-set size")
    n_val = train_kwargs.get("n_val", generalization.DEFAULTS["n_val"])
    for n in sizes:
        generalization.check_n_train(n, n_val, name="sizes")
    if n_train not in sizes:
        raise ValueError(f"n_train={n_train!r} must be one of the slider's sizes {sizes}")

    def compute(n_train):
        return generalization.train_on_subset(n_train, **train_kwargs)

    def draw(history, n_train):
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        draw_subset_curves(axes, history)
        fig.tight_layout()

    slider = widgets.SelectionSlider(options=sizes, value=n_train, description="n_train",
                                     style={"description_width": "initial"})
    return explorer(compute, draw, n_train=slider)
