"""Used in lesson 01 (notebooks/01_linear_limits.ipynb), the limits of linear models. Limit 1: ``income_repayment``
(true curve ``repayment_probability``), limit 2: ``temperature_mortality`` (``mortality_rate``), both drawn by
``plot_curve_fits`` and ``plot_residuals``; limit 3: ``xor_blobs`` and ``plot_decision_regions``, then
``train_softmax_regression`` and ``show_class_weights``; "Explore": ``fit_explorer``; exercises: ``check_u_features``,
``check_xor_net``. The fits (``fit_regression``, ``fit_classifier``, ``predict``, ``r_squared``) are helpers.train's."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers import data, plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, single_thread, tr, tr_fig, verdict

# --- synthetic data (each generator has its own seeded torch.Generator; the global seed is untouched)


def repayment_probability(income: torch.Tensor) -> torch.Tensor:
    """True probability of repaying at ``income`` (k¥ a year), monotone and saturating near 0.98."""
    return 0.98 - 0.78 * torch.exp(-income / 30.0)


def mortality_rate(temperature: torch.Tensor) -> torch.Tensor:
    """True 30-day mortality at body ``temperature`` (°C), a U with its minimum at 37 °C:
    ``0.02 + 0.6·(1 − exp(−(t − 37)² / (2·1.5²)))``, 2 % at 37 °C, about 54 % at 34 °C, 60 % at 41 °C."""
    return 0.02 + 0.6 * (1.0 - torch.exp(-((temperature - 37.0) ** 2) / (2 * 1.5**2)))


def _grouped_outcomes(rate, n, seed, group_size, x_range):
    check_int("n", n), check_int("group_size", group_size)
    (lo, hi), g = x_range, torch.Generator().manual_seed(check_int("seed", seed, 0))
    x = lo + (hi - lo) * torch.rand(n, 1, generator=g)
    p = rate(x)
    return x, torch.binomial(torch.full_like(p, float(group_size)), p, generator=g) / group_size


def income_repayment(n: int = 200, seed: int = 0, group_size: int = 50, income_range=(5.0, 200.0)):
    """``income``: (n, 1) float32 k¥ a year, uniform; ``repaid``: (n, 1) float32, the fraction of a group
    of ``group_size`` borrowers who repaid, Binomial(group_size, repayment_probability) / group_size."""
    return _grouped_outcomes(repayment_probability, n, seed, group_size, income_range)


def temperature_mortality(n: int = 200, seed: int = 0, group_size: int = 50, temperature_range=(34.0, 42.0)):
    """``temperature``: (n, 1) float32 °C, uniform; ``died``: (n, 1) float32, the fraction of a group of
    ``group_size`` patients who died within 30 days, Binomial(group_size, mortality_rate) / group_size."""
    return _grouped_outcomes(mortality_rate, n, seed, group_size, temperature_range)


CORNERS, CORNER_LABELS = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]), torch.tensor([0, 0, 1, 1])


def xor_blobs(n: int = 400, seed: int = 0, spread: float = 0.35):
    """Four Gaussian blobs of n // 4 points at the ``CORNERS`` (±1, ±1), std ``spread``: ``X`` (4·(n // 4), 2)
    float32, ``y`` int64, 1 where the centre's signs differ ("x₁ > 0 XOR x₂ > 0"). No line separates them."""
    per, spread = check_int("n", n, 4) // 4, check_number("spread", spread, 0)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0))
    X = CORNERS.repeat_interleave(per, dim=0) + spread * torch.randn(4 * per, 2, generator=g)
    y = CORNER_LABELS.repeat_interleave(per)
    order = torch.randperm(4 * per, generator=g)
    return X[order], y[order]


# --- drawing: each function draws on the axes it is given (or a new one) and returns it


def plot_curve_fits(x, y, fits: dict, ax=None, truth=None, xlabel="x", ylabel="y", title=None):
    """Data ``x``, ``y`` ((n, 1) float32) as dots, ``truth`` (a function, optional) dotted, and one
    line per entry of ``fits`` (legend label → net taking (m, 1) inputs)."""
    ax = ax or plt.subplots(figsize=(5.0, 3.4))[1]
    ax.scatter(x[:, 0].numpy(), y[:, 0].numpy(), s=9, color="0.55", alpha=0.6, label=tr_fig("data"))
    grid = torch.linspace(float(x.min()), float(x.max()), 400)[:, None]
    if truth is not None:
        ax.plot(grid.numpy(), truth(grid).numpy(), ":", color="k", lw=1.5, label=tr_fig("true curve"))
    for i, (label, net) in enumerate(fits.items()):
        ax.plot(grid.numpy(), train.predict(net, grid)[:, :1].numpy(), color=f"C{i}", lw=2, label=label)
    return plot.finish(ax, xlabel=xlabel, ylabel=ylabel, title=title or "")


def plot_residuals(x, y, fits: dict, ax=None, xlabel="x", window: int = 21):
    """Residuals y − ŷ of each fit against x, with a centred moving average (``window`` points) as
    its trend: a good model leaves residuals around 0 with no pattern."""
    ax = ax or plt.subplots(figsize=(5.0, 3.4))[1]
    order = torch.argsort(x[:, 0])
    xs, box = x[order, 0].numpy(), np.ones(window)
    for i, (label, net) in enumerate(fits.items()):
        r = (y - train.predict(net, x))[order, 0].numpy()
        trend = np.convolve(r, box, "same") / np.convolve(np.ones_like(r), box, "same")  # shrinks at the ends
        ax.scatter(xs, r, s=7, color=f"C{i}", alpha=0.35)
        ax.plot(xs, trend, color=f"C{i}", lw=2, label=tr_fig("{label} (trend)", label=label))
    ax.axhline(0, color="k", lw=0.8)
    return plot.finish(ax, xlabel=xlabel, ylabel="y − ŷ", title=tr_fig("residuals y − ŷ"))


def plot_decision_regions(net, X, y, ax=None, title=None, steps: int = 150):
    """A 2-class classifier's P(class 1) on a ``steps``² grid as colours, its boundary p = 0.5, and the
    data ``X``: (n, 2) float32, ``y``: (n,) int64 in {0, 1}."""
    ax = ax or plt.subplots(figsize=(4.2, 3.8))[1]
    lo, hi = (X.min(dim=0).values - 0.3).tolist(), (X.max(dim=0).values + 0.3).tolist()
    xx, yy = torch.meshgrid(torch.linspace(lo[0], hi[0], steps), torch.linspace(lo[1], hi[1], steps), indexing="xy")
    p = torch.softmax(train.predict(net, torch.stack([xx.flatten(), yy.flatten()], 1)), 1)[:, 1].reshape(xx.shape)
    xx, yy, p = xx.numpy(), yy.numpy(), p.numpy()
    ax.contourf(xx, yy, p, levels=20, cmap="coolwarm", vmin=0, vmax=1, alpha=0.55)
    ax.contour(xx, yy, p, levels=[0.5], colors="k", linewidths=1.5)
    for cls, marker in ((0, "o"), (1, "^")):
        ax.scatter(*X[y == cls].numpy().T, s=12, marker=marker, color=f"C{3 * cls}", edgecolor="k",
                   linewidth=0.3, label=tr_fig("class {cls}", cls=cls))
    ax.set_title(title or "", fontsize=10)
    return plot.finish(ax, "upper right", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="x₁", ylabel="x₂")


def show_class_weights(W: torch.Tensor, titles, num_cols: int = 5, scale: float = 1.8):
    """Each row of softmax regression's ``W``: (classes, 784) as a 28×28 image on one colour scale
    (red raises the class's score, blue lowers it); returns the Figure."""
    W = W.detach().cpu()
    if W.dim() != 2 or W.shape[1] != 784 or len(titles) != len(W):
        raise ValueError(f"W {tuple(W.shape)} with {len(titles)} titles: give W as (classes, 784), one title a row")
    rows, limit = -(-len(W) // num_cols), float(W.abs().max())
    fig, axes = plt.subplots(rows, num_cols, figsize=(num_cols * scale + 1.0, rows * scale * 1.05), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, row, title in zip(axes.flat, W, titles):
        image = ax.imshow(row.reshape(28, 28).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=axes, shrink=0.8, label=tr_fig("weight"))
    return fig


def train_softmax_regression(num_epochs: int = 2, batch_size: int = 256, lr: float = 0.1, seed: int = 0,
                             verbose: bool = True):
    """Softmax regression ``Flatten → Linear(784, 10)`` from zero weights, trained by ``train.train``
    (``seed``: the minibatch order; one CPU thread). Returns ``(net, history)``; ``net[1].weight``: (10, 784)."""
    train_iter, test_iter = data.load_fashion_mnist(batch_size)
    net = train.mlp((), flatten=True, init_std=None)
    torch.nn.init.zeros_(net[1].weight)
    torch.nn.init.zeros_(net[1].bias)
    with torch.random.fork_rng(devices=[]), single_thread():
        torch.manual_seed(seed)
        history = train.train(net, train_iter, test_iter, check_int("num_epochs", num_epochs), lr=lr, verbose=verbose)
    return net, history


# --- the explorer: hidden units (0 = the linear model) and the activation

FIT_DATASETS = ("u_shape", "xor")
FIT_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def compute_fit(dataset: str = "u_shape", hidden: int = 8, activation: str = "relu", seed: int = 0) -> dict:
    """Fit ``hidden`` units of ``activation`` to ``dataset`` ("u_shape": scored by R², "xor": by accuracy);
    returns a dict: ``net``, ``score``, ``score_name``, ``X``, ``y`` and the settings."""
    check_choice("dataset", dataset, FIT_DATASETS)
    if dataset == "u_shape":
        X, y = temperature_mortality(n=200, seed=0)
        net = train.fit_regression(X, y, hidden, activation, seed=seed).net
        score, score_name = train.r_squared(train.predict(net, X), y), "R²"
    else:
        X, y = xor_blobs(n=400, seed=0)
        net = train.fit_classifier(X, y, hidden, activation, seed=seed).net
        score, score_name = train.evaluate(net, (X, y))[1], tr_fig("accuracy")
    return {"dataset": dataset, "hidden": hidden, "activation": activation, "net": net,
            "score": score, "score_name": score_name, "X": X, "y": y}


def draw_fit(result: dict, **_):
    """Draw a ``compute_fit`` result: the fitted curve on the U, or the decision regions on XOR."""
    h = result["hidden"]
    name = tr_fig("linear model (no hidden layer)" if h == 0 else "{h} hidden {act} units" if h > 1 else
                  "{h} hidden {act} unit", h=h, act=result["activation"])
    title = f"{name}: {result['score_name']} = {result['score']:.3f}"
    if result["dataset"] == "u_shape":
        ax = plot_curve_fits(result["X"], result["y"], {name: result["net"]}, plt.subplots(figsize=(5.6, 3.6))[1],
                             mortality_rate, tr_fig("body temperature (°C)"), tr_fig("30-day mortality"), title)
        ax.set_ylim(-0.1, 0.85)
    else:
        plot_decision_regions(result["net"], result["X"], result["y"], plt.subplots(figsize=(4.6, 4.2))[1], title)


def fit_explorer(dataset: str = "u_shape", hidden: int = 0, activation: str = "relu", max_hidden: int = 64):
    """Data set, hidden units (0 = linear) and φ; refits and redraws on release (``.result``: ``compute_fit``'s)."""
    check_choice("dataset", dataset, FIT_DATASETS)
    check_choice("activation", activation, FIT_ACTIVATIONS)
    check_int("hidden", hidden, 0, check_int("max_hidden", max_hidden))
    return plot.explorer(
        compute_fit, draw_fit,
        dataset=widgets.Dropdown(options=[(tr("U-shape: body temperature → mortality"), "u_shape"), (tr(
            "XOR: 2-D classes"), "xor")], value=dataset, description=tr("data")),
        hidden=widgets.IntSlider(value=hidden, min=0, max=max_hidden, description=tr("hidden units")),
        activation=widgets.Dropdown(options=list(FIT_ACTIVATIONS), value=activation, description="φ"),
    )


# --- exercise checks


def check_u_features(u_features) -> bool:
    """``u_features(t)``: temperatures (n, 1) °C → features (n, k), 1 ≤ k ≤ 4, on which a *linear*
    least-squares fit reaches R² ≥ 0.6 on the U-shaped mortality data (a line in t alone: 0.20)."""
    # The lesson's data in reverse order: features taken from outside (the mortality itself) no longer line up.
    t, mortality = (v.flip(0) for v in temperature_mortality(n=200, seed=0))
    features, hint = run_student_code(u_features, t.clone())
    if hint is None and not isinstance(features, torch.Tensor):
        hint = tr("u_features returned {f!r:.20}; return an (n, k) tensor, e.g. torch.cat([...], dim=1)", f=features)
    elif hint is None:
        features = features[:, None] if features.dim() == 1 else features
        if features.dim() != 2 or features.shape[0] != len(t):
            hint = tr("the features have shape {shape}; expected ({n}, k): one row per temperature",
                      shape=tuple(features.shape), n=len(t))
        elif not 1 <= features.shape[1] <= 4:
            hint = tr("{k} feature columns; use 1 to 4 (two are enough)", k=features.shape[1])
        elif not torch.isfinite(features).all():
            hint = tr("some features are NaN or infinite; check for divisions or huge powers")
    if hint:
        return verdict(False, "", hint)
    A = torch.cat([torch.ones(len(t), 1, dtype=torch.float64), features.double()], dim=1)
    r2 = train.r_squared(A @ torch.linalg.lstsq(A, mortality.double()).solution, mortality)
    k = features.shape[1]
    return verdict(r2 >= 0.6, tr("a linear model on your {k} feature(s) reaches R² = {r2:.3f} on the U-shape: the "
                                 "bend is in the feature, which you had to know in advance.", k=k, r2=r2),
                   tr("a linear fit on your features reaches R² = {r2:.3f} (a line in t alone: 0.20). A linear model "
                      "only adds up its features times weights, so one of your features must itself be U-shaped: low "
                      "near the 37 °C minimum, high on both sides.", r2=r2))


def _scores(xor_net, X):
    scores, hint = run_student_code(xor_net, X.clone())
    if hint is None and (not isinstance(scores, torch.Tensor) or scores.numel() != len(X)):
        hint = tr("xor_net returned {t} for {n} points; return a tensor of {n} scores", t=type(scores).__name__,
                  n=len(X))
    return (None, hint) if hint else (scores.detach().reshape(-1), None)


def check_xor_net(xor_net) -> bool:
    """``xor_net(X)``: (n, 2) → (n,) scores, > 0 meaning class 1; right at the four corners (±1, ±1)
    and on ≥ 90 % of ``xor_blobs()``."""
    scores, hint = _scores(xor_net, CORNERS)
    if hint:
        return verdict(False, "", hint)
    wrong = [tuple(int(v) for v in CORNERS[i].tolist()) for i in range(4) if int(scores[i] > 0) != CORNER_LABELS[i]]
    if wrong:
        return verdict(False, "", tr("wrong at corner(s) {wrong} (scores {scores}). Class 1 is where the signs "
                                     "differ. Hint: make each hidden unit on (w·x + b > 0) at only one class-1 corner; "
                                     "the output adds them and subtracts a threshold.", wrong=wrong,
                                     scores=[round(float(s), 3) for s in scores]))
    X, y = xor_blobs(n=400, seed=0)
    scores, hint = _scores(xor_net, X)
    if hint:
        return verdict(False, "", hint)
    accuracy = float(((scores > 0).long() == y).float().mean())
    return verdict(accuracy >= 0.9, tr("two ReLU units solve XOR: the corners and {acc:.1%} of the blobs are right, "
                                        "which no linear model can do.", acc=accuracy),
                   tr("the corners are right but only {acc:.1%} of the XOR blobs are: put the threshold half-way, so "
                      "points near a corner land on the right side", acc=accuracy))
