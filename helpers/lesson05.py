"""Used in lesson 05 (notebooks/05_overfitting.ipynb), generalization and overfitting (泛化与过拟合): sections 2–4
and 6 fit polynomials to d2l's cubic data (``cubic_data``, ``fit``, ``draw_polynomial_fit``, ``draw_sweep``); sections
1 and 5 train the note's MLP on n Fashion-MNIST images (``train_on_subset``, ``draw_subset_curves``); the explorers of
sections 3, 4 and 5 (``degree_explorer``, ``weight_norm_explorer``, ``sample_size_explorer``); the exercise checks."""

from __future__ import annotations

import math
from collections import namedtuple
from unittest import mock

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from scipy.optimize import brentq

from helpers import data, plot, runtime, train
from helpers.runtime import check_int, check_number, run_student_code, tr, tr_fig, verdict

# --------------------------------------------------------------------------- d2l's cubic data (d2l-zh 4.4)
# y = 5 + 1.2x − 3.4x²/2! + 5.6x³/3! + ε, ε ~ N(0, 0.1²), x ~ N(0, 1), seen through the features x^i / i!.

CUBIC_WEIGHTS = (5.0, 1.2, -3.4, 5.6)
NOISE_VARIANCE = 0.1**2  # no model can beat this validation loss on average

# x: (n,) float32 inputs; X: (n, max_degree + 1) float32 features x^i/i!; y: (n,) float32 labels;
# true_w: (max_degree + 1,) float32, (5, 1.2, -3.4, 5.6, 0, …), so that y = X @ true_w + ε.
CubicData = namedtuple("CubicData", "x_train X_train y_train x_val X_val y_val true_w max_degree")


def poly_features(x: torch.Tensor, max_degree: int) -> torch.Tensor:
    """(n,) → (n, max_degree + 1), column i = x^i / i!, each column from the last (no factorial formed)."""
    columns = [torch.ones_like(x)]
    for i in range(1, max_degree + 1):
        columns.append(columns[-1] * x / i)
    return torch.stack(columns, dim=1)


def cubic(x: torch.Tensor) -> torch.Tensor:
    """The noise-free cubic (CUBIC_WEIGHTS); same shape and dtype as ``x``."""
    return 5.0 + 1.2 * x - 3.4 * x**2 / 2 + 5.6 * x**3 / 6


def cubic_data(n_train: int = 20, n_val: int = 100, max_degree: int = 20, noise: float = 0.1, seed: int = 0):
    """``n_train`` training and ``n_val`` validation examples with features up to ``max_degree`` (≥ 3),
    from one generator seeded with ``seed`` (d2l: 100 + 100 examples, max_degree 20)."""
    n = check_int("n_train", n_train) + check_int("n_val", n_val)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0))
    x = torch.randn(n, generator=g)
    true_w = torch.tensor(CUBIC_WEIGHTS + (0.0,) * (check_int("max_degree", max_degree, 3) - 3))
    X = poly_features(x, max_degree)
    y = cubic(x) + check_number("noise", noise, 0) * torch.randn(n, generator=g)
    return CubicData(x[:n_train], X[:n_train], y[:n_train], x[n_train:], X[n_train:], y[n_train:], true_w, max_degree)


# --------------------------------------------------------------------------- exact fits

# weights: (degree + 1,) float64 of the columns x^i/i!, weights[0] the bias b; train_loss, val_loss: mean squared
# errors (MSE); gap: val − train; weight_norm: ‖w‖ over weights[1:] (the bias left out, as in
# equation (1)); lambd: the λ for which ½·MSE + λ/2·‖w‖² (lesson 06's objective) has the same minimiser.
PolyFit = namedtuple("PolyFit", "degree weights train_loss val_loss gap weight_norm lambd")


def _solve(A: np.ndarray, y: np.ndarray, max_norm: float | None) -> tuple[np.ndarray, float]:
    """argmin mean((A w − y)²) with ‖w‖ ≤ max_norm (least norm among ties), and its λ: with A = U S Vᵀ,
    w(λ) = V s/(s² + nλ) Uᵀy, whose norm falls as λ grows (every s > 0 kept: the fit may interpolate)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    U, s, Vt = U[:, s > 0], s[s > 0], Vt[s > 0]
    n, c = len(y), U.T @ y
    ridge = lambda log_lambd: Vt.T @ (s * c / (s**2 + n * math.exp(log_lambd)))  # noqa: E731
    w = Vt.T @ (c / s)
    if max_norm is None or np.linalg.norm(w) <= max_norm:
        return w, 0.0
    log_lambd = brentq(lambda t: np.linalg.norm(ridge(t)) - max_norm, -690.0, 690.0, xtol=1e-12)  # λ: 1e-300 … 1e300
    return ridge(log_lambd), math.exp(log_lambd)


def fit(data: CubicData, degree: int, max_norm: float | None = None) -> PolyFit:
    """The degree-``degree`` polynomial (0 … max_degree) with the lowest training loss, under ‖w‖ ≤ ``max_norm``
    if given (b is free: the columns are centred, then b = mean(y − A w)); scored on both sets."""
    degree = check_int("degree", degree, 0, data.max_degree)
    max_norm = None if max_norm is None else check_number("max_norm", max_norm, above=0)
    A, A_val = (X[:, 1: degree + 1].double().numpy() for X in (data.X_train, data.X_val))
    y, y_val = data.y_train.double().numpy(), data.y_val.double().numpy()
    w, lambd = _solve(A - A.mean(0), y - y.mean(), max_norm)
    b = y.mean() - A.mean(0) @ w
    train_loss, val_loss = (float(np.mean((A @ w + b - y) ** 2)) for A, y in ((A, y), (A_val, y_val)))
    return PolyFit(degree, torch.from_numpy(np.concatenate([[b], w])), train_loss, val_loss, val_loss - train_loss,
                   float(np.linalg.norm(w)), lambd)


# --------------------------------------------------------------------------- the note's MLP on n images


def train_on_subset(n_train: int, num_steps: int = 300, n_val: int = 1000, num_hiddens: int = 256, lr: float = 0.1,
                    batch_size: int = 64, eval_every: int = 25, seed: int = 0, device=None) -> dict:
    """The note's MLP (784-256-10, N(0, 0.01²), SGD) trained for ``num_steps`` minibatches on ``n_train`` images
    (``data.subset``: nested; one validation set); ``train.train``'s history (on ≤ 500 subset images and on validation)
    plus ``n_train``, ``batch_size``, ``epochs``, ``gap``. Seeded in ``fork_rng``: the caller's random state stays."""
    dev = device if isinstance(device, torch.device) else runtime.device(device)
    s = data.subset(n_train, check_int("n_val", n_val, 1, 10000), device=dev)
    with torch.random.fork_rng(), runtime.single_thread(dev):  # every device's generator is put back
        torch.manual_seed(seed)
        net = train.mlp(num_hiddens)
        batches = data.TensorBatches(s.X_train, s.y_train, min(check_int("batch_size", batch_size), n_train), True)
        history = train.train(net, batches, num_steps=num_steps, lr=lr, eval_every=eval_every, device=dev,
                              eval_sets={"train": (s.X_train[:500], s.y_train[:500]), "val": (s.X_val, s.y_val)})
    return history | dict(n_train=n_train, batch_size=batches.batch_size, epochs=num_steps / len(batches),
                          gap=history["val_loss"][-1] - history["train_loss"][-1])


# --------------------------------------------------------------------------- drawing and explorers

# Bounds C: 1 … 10¹² on a log grid, and a fine grid around ‖true w‖ (a narrow minimum a coarse grid misses).
NORM_GRID = sorted(set(np.logspace(0, 12, 241).tolist()) | set(np.round(np.linspace(5, 15, 101), 6).tolist()))


def draw_polynomial_fit(ax, data: CubicData, fit: PolyFit, title: str | None = None):
    """Training and validation points, the true cubic and the fitted polynomial on one axes."""
    x_all, y_all = torch.cat([data.x_train, data.x_val]), torch.cat([data.y_train, data.y_val])
    (lo, hi), margin = (float(x_all.min()) - 0.2, float(x_all.max()) + 0.2), 0.25 * float(y_all.max() - y_all.min())
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    ax.plot(grid, cubic(grid), "k--", lw=1, label=tr_fig("true cubic"))
    ax.plot(grid, poly_features(grid, fit.degree) @ fit.weights, color="C2", lw=2, label=tr_fig("degree-{d} fit",
                                                                                                  d=fit.degree))
    ax.scatter(data.x_val, data.y_val, s=14, facecolors="none", edgecolors="C3", label=tr_fig("validation data"))
    ax.scatter(data.x_train, data.y_train, s=22, color="C0", zorder=3, label=tr_fig("training data"))
    ax.set_title(title or tr_fig("degree {f.degree}: train {f.train_loss:.3g}, validation {f.val_loss:.3g}", f=fit),
                 fontsize=10)
    return plot.finish(ax, "upper left", xlim=(lo, hi), ylim=(float(y_all.min()) - margin, float(y_all.max()) + margin),
                       xlabel="x", ylabel="y")


def draw_sweep(ax, fits: list, bounds=None, mark: float | None = None, true_norm: float | None = None):
    """Training and validation loss (log scale) of ``fits`` against their degree, or (log-log) against the
    ``bounds`` C they were fitted under; ``mark``: the degree or C to mark; ``true_norm``: ‖true w‖."""
    by_degree = bounds is None
    x = [f.degree for f in fits] if by_degree else list(bounds)
    ax.plot(x, [f.train_loss for f in fits], color="C0", marker="o", ms=3 * by_degree, label=tr_fig("training loss"))
    ax.plot(x, [f.val_loss for f in fits], color="C3", marker="s", ms=3 * by_degree, label=tr_fig("validation loss"))
    ax.axhline(NOISE_VARIANCE, color="gray", ls=":", lw=1, label=tr_fig("noise variance 0.01"))
    if true_norm is not None:
        ax.axvline(true_norm, color="k", ls="--", lw=1, label=tr_fig("‖true w‖ = {n:.2f}", n=true_norm))
    if mark is not None:
        ax.axvline(mark, color="C2", lw=2, alpha=0.5, label=None if by_degree else f"C = {mark:.3g}")
    if by_degree and mark in x:
        ax.annotate("", (mark, fits[x.index(mark)].val_loss), (mark, fits[x.index(mark)].train_loss),
                    arrowprops=dict(arrowstyle="<->", color="C2", lw=1.5))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True)) if by_degree else ax.set_xscale("log")
    ax.set_title(tr_fig("loss against the number of parameters" if by_degree else
                        "loss against the size the weights may take"), fontsize=10)
    return plot.finish(ax, "upper left", yscale="log", ylabel=tr_fig("mean squared error (log scale)"), xlabel=tr_fig(
        "polynomial degree (free parameters − 1)" if by_degree else "largest weight norm allowed, C (log scale)"))


def draw_subset_curves(history: dict, axes=None):
    """Loss (left) and accuracy (right) against SGD steps, on the subset and on validation data."""
    axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="tight")[1] if axes is None else axes
    n, steps = history["n_train"], history["step"]
    titles = (tr_fig("n = {n}: gap {h[gap]:.3f} after {h[epochs]:.3g} passes over the subset", n=n, h=history), tr_fig(
        "accuracy: training {t:.2f}, validation {v:.2f}", t=history["train_acc"][-1], v=history["val_acc"][-1]))
    for ax, key, label, title in zip(axes, ("loss", "acc"), (tr_fig("cross-entropy loss"), tr_fig("accuracy")), titles):
        ax.plot(steps, history[f"train_{key}"], color="C0", label=tr_fig("training ({n} images)", n=n))
        ax.plot(steps, history[f"val_{key}"], "--", color="C3", label=tr_fig("validation (unseen images)"))
        ax.set_title(title, fontsize=10)
        plot.finish(ax, xlabel=tr_fig("SGD step (minibatches of {b})", b=history["batch_size"]), ylabel=label,
                    ylim=(0, 2.5) if key == "loss" else (0, 1.02))
    return axes


def _poly_explorer(data: CubicData, fits: list, bounds, compute, title, true_norm=None, **slider):
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    plt.close(fig)  # one figure for every move, cleared and drawn again: a third less time than a new one
    laid_out = False

    def draw(f, **value):
        nonlocal laid_out
        left.clear(), right.clear()
        draw_polynomial_fit(left, data, f, title(f))
        draw_sweep(right, fits, bounds, *value.values(), true_norm)
        if not laid_out:  # the first picture's layout serves every move (the same ticks, labels and legends)
            fig.tight_layout()
            laid_out = True
        plt.figure(fig)  # the explorer shows the figures pyplot holds

    return plot.explorer(compute, draw, **slider)


def degree_explorer(data: CubicData, degree: int = 3) -> plot.Explorer:
    """A degree slider (0 … data.max_degree); ``.result``: the ``PolyFit`` of that degree."""
    slider = widgets.IntSlider(value=check_int("degree", degree, 0, data.max_degree), min=0, max=data.max_degree,
                               description=tr("degree"))
    return _poly_explorer(data, [fit(data, d) for d in range(data.max_degree + 1)], None,
                          lambda degree: fit(data, degree), lambda f: None, degree=slider)


def weight_norm_explorer(data: CubicData, max_norm: float = 10.0) -> plot.Explorer:
    """A log slider for C, the largest ‖w‖ allowed (1 … 10¹²), at the highest degree."""
    slider = widgets.FloatLogSlider(value=check_number("max_norm", max_norm, above=0), base=10, min=0, max=12,
                                    step=0.05, description="max ‖w‖ = C", readout_format=".3g",
                                    style={"description_width": "initial"})
    d = data.max_degree
    return _poly_explorer(data, [fit(data, d, c) for c in NORM_GRID], NORM_GRID,
                          lambda max_norm: fit(data, d, max_norm),
                          lambda f: tr_fig("degree {d}, ‖w‖ = {f.weight_norm:.3g}: train {f.train_loss:.3g}, "
                                           "validation {f.val_loss:.3g}", d=d, f=f),
                          float(data.true_w[1:].norm()), max_norm=slider)


def sample_size_explorer(n_train: int = 100, sizes=(25, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
                         **train_kwargs) -> plot.Explorer:
    """A slider of training-set sizes, each running ``train_on_subset(n, **train_kwargs)``; ``.result``: its history."""
    sizes = tuple(check_int("sizes", n, 1, 60000 - train_kwargs.get("n_val", 1000)) for n in sizes)
    if n_train not in sizes:
        raise ValueError(f"n_train={n_train!r} must be one of the slider's sizes {sizes or '(sizes is empty)'}")
    slider = widgets.SelectionSlider(options=sizes, value=n_train, description="n_train",
                                     style={"description_width": "initial"})
    return plot.explorer(lambda n_train: train_on_subset(n_train, **train_kwargs),
                         lambda history, n_train: draw_subset_curves(history), n_train=slider)


# --- exercise checks

def _as_tensor(value):  # None where value is not array-like
    return run_student_code(torch.as_tensor, value)[0]


def check_poly_features(fn) -> bool:
    """``fn(x, max_degree)``: x (n,) float32 → (n, max_degree + 1), column i = x^i / i! (d2l's features), compared
    with x**i / i! computed directly in float64; a call to this module's own ``poly_features`` is refused."""
    x_check = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.7, 1.5, 3.0])
    for x, max_degree in ((x_check, 4), (x_check[:3], 6), (x_check, 0)):
        with mock.patch(f"{__name__}.poly_features", wraps=poly_features) as own:
            result, error = run_student_code(fn, x.clone(), max_degree)
        if own.called or fn is poly_features:
            return verdict(False, "", tr("that is lesson05.poly_features, the lesson's own answer: build the "
                                         "columns x^i / i! yourself (torch.stack, math.factorial)"))
        got, want = _as_tensor(result), torch.tensor([[v**i / math.factorial(i) for i in range(max_degree + 1)]
                                                       for v in x.tolist()], dtype=torch.float64)
        close = lambda a, b: a.shape == b.shape and torch.allclose(a.double(), b, rtol=1e-5, atol=1e-6)  # noqa: E731
        bad = next((i for i in range(max_degree + 1) if got is not None and got.shape == want.shape
                    and not close(got[:, i], want[:, i])), None)
        hint = (error or tr("poly_features returned None: build the columns x^i / i! for i = 0 … max_degree and "
                "return one (n, max_degree + 1) tensor") if result is None else
                tr("return a 2-D tensor of shape (n, max_degree + 1), got {t} {s}", t=type(result).__name__,
                   s=tuple(getattr(got, 'shape', ()))) if got is None or got.dim() != 2
                else tr("the shape is {s}; for x of shape {x} expect (n, max_degree + 1) = {w}: column 0 is x^0/0! "
                        "= 1, and the columns stack along dim=1", s=tuple(got.shape), x=tuple(x.shape),
                        w=tuple(want.shape))
                if got.shape != want.shape else None if close(got, want) else
                tr("these are the plain powers x^i: divide column i by i! (math.factorial(i))")
                if close(got, torch.stack([x.double() ** i for i in range(max_degree + 1)], 1)) else
                tr("column {b} should be x^{b}/{b}! = {w}, got {g}", b=bad, w=want[:, bad].tolist(),
                   g=got[:, bad].tolist()))
        if hint:
            return verdict(False, "", tr("for max_degree={m}: {hint}", m=max_degree, hint=hint))
    return verdict(True, tr("column i is x^i / i!, with the constant column first, for max_degree 0, 4 and 6"), "")


def check_split(fn) -> bool:
    """``fn(n, n_val, seed)`` → ``(train_idx, val_idx)``: a seeded random split of the indices 0 … n−1."""
    n, n_val, results = 50, 10, []
    for seed in (0, 0, 1):
        result, error = run_student_code(fn, n, n_val, seed)
        if error or result is None:
            return verdict(False, "", error or tr("split returned None: return the pair (train_idx, val_idx)"))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return verdict(False, "", tr("return a pair (train_idx, val_idx), two tensors of indices"))
        results.append([_as_tensor(r) for r in result])
        for t, name in zip(results[-1], ("train_idx", "val_idx")):
            if t is None or t.dim() != 1 or t.dtype.is_floating_point or t.dtype == torch.bool:
                return verdict(False, "", tr("{name} should be a 1-D tensor of integer indices", name=name))
    (train_idx, val_idx), again, other = results
    train_set, val_set = set(train_idx.tolist()), set(val_idx.tolist())
    hint = tr("val_idx has {v} indices for n_val={n_val}: it should have exactly n_val"
            if len(val_idx) != n_val else
            "train_idx has {t} indices; the rest of the data is n − n_val = {rest}"
            if len(train_idx) != n - n_val else
            "some indices are in both sets: a validation example the model trained on measures memory, not "
            "generalization. Take both from one permutation" if train_set & val_set else
            "together the two sets should hold every index 0 … {last} exactly once"
            if sorted(train_set | val_set) != list(range(n)) else
            "the validation set is simply the first or last rows: real data is often sorted (by class, by date), "
            "so shuffle first: torch.randperm(n, generator=...)"
            if sorted(val_set) in (list(range(n - n_val, n)), list(range(n_val))) else
            "the same seed gave a different split: draw the permutation from torch.Generator().manual_seed(seed), "
            "so the split repeats exactly" if not torch.equal(again[1], val_idx) else
            "seed=1 gave the same split as seed=0: use the seed argument for the generator"
            if torch.equal(other[1], val_idx) else "", v=len(val_idx), n_val=n_val, t=len(train_idx), rest=n - n_val,
            last=n - 1)
    return verdict(not hint, tr("a disjoint, complete, shuffled split that repeats for the same seed"), hint)


# Two sweeps where the lowest training and the lowest validation loss sit at different degrees; in the
# second the degrees do not start at 0 (a list position is not a degree) and the smallest gap
# belongs to an underfitting model (degree 1).
SWEEPS = ({"degree": [0, 1, 2, 3, 4, 5, 6, 8, 10],
           "train_loss": [24.9, 6.34, 0.615, 0.0132, 0.0123, 0.0121, 0.0113, 0.0108, 0.0060],
           "val_loss": [27.2, 8.91, 29.9, 0.0187, 0.560, 1.44, 167.0, 1.9e4, 4.8e8]},
          {"degree": [1, 4, 6, 8, 12], "train_loss": [1.50, 0.40, 0.051, 0.020, 0.004],
           "val_loss": [1.52, 0.55, 0.090, 0.130, 3.1]})


def check_choose_degree(fn) -> bool:
    """``fn(sweep)`` → the degree (an int from ``sweep["degree"]``) with the lowest validation loss."""
    for sweep in SWEEPS:
        got, error = run_student_code(fn, {k: list(v) for k, v in sweep.items()})
        got = got.item() if isinstance(got, torch.Tensor) and got.numel() == 1 else got
        degrees, train_loss, val_loss = sweep["degree"], sweep["train_loss"], sweep["val_loss"]
        best = int(np.argmin(val_loss))
        hint = (error or tr("choose_degree returned None: return the degree whose validation loss is lowest")
                if error or got is None else
                tr("return one degree, an int such as 3; got {got!r}", got=got) if isinstance(got, bool) or not
                isinstance(got, (int, float)) or not float(got).is_integer() else
                None if got == degrees[best] else tr(
                "you chose degree {got:g}, the lowest *training* loss. Training loss only falls as the degree "
                "grows (bigger models fit the training set at least as well), so it always picks the biggest "
                "model: choose by validation loss" if got == degrees[np.argmin(train_loss)] else
                "you returned {got:g}, the position in the list; return sweep['degree'][{best}] = "
                "{degree}, the degree itself" if got == best else
                "you chose degree {got:g}, the smallest gap; a small gap can also mean both losses are bad "
                "(underfitting). Choose the lowest validation loss"
                if got == degrees[np.argmin(np.subtract(val_loss, train_loss))] else
                "degree {got:g} is not the one with the lowest validation loss in {val}", got=got, best=best,
                degree=degrees[best], val=val_loss))
        if hint:
            return verdict(False, "", hint)
    return verdict(True, tr("you choose the model by its validation loss, as the note says"), "")
