"""Used in lesson 09 (numerical stability and initialization · 数值稳定性和模型初始化): ``deep_net`` (``train.mlp``
initialized by ``init_``; sections 2, 4–6), ``layer_stats`` and ``draw_stats`` (sections 2 and 4), ``init_race``
(section 5), ``stats_explorer`` (section 7) and the exercise checks (section 8)."""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import data, plot, train
from helpers.runtime import check_choice, check_int, run_student_code, single_thread, tr, tr_fig, verdict

SCHEME_TEXT = {"default": "PyTorch's default", "normal": "N(0, 0.01²) (the note's)",
               "xavier": "Xavier (Glorot)", "he": "He (Kaiming)"}
SCHEMES = tuple(SCHEME_TEXT)
INITS = {"normal": lambda W: nn.init.normal_(W, std=0.01), "xavier": nn.init.xavier_normal_,
         "he": lambda W: nn.init.kaiming_normal_(W, nonlinearity="relu")}


def init_(net: nn.Module, scheme: str) -> nn.Module:
    """Initialize every Linear of ``net`` in place: weights by ``scheme``, biases 0 (except "default")."""
    if check_choice("scheme", scheme, SCHEMES) != "default":
        for m in net.modules():
            if isinstance(m, nn.Linear):
                INITS[scheme](m.weight)
                nn.init.zeros_(m.bias)
    return net


def deep_net(depth: int, width: int = 128, activation: str = "relu", scheme: str = "he",
             num_inputs: int = 784, seed: int = 0) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units: (n, num_inputs) → (n, 10) scores, seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = train.mlp((width,) * check_int("depth", depth, 1, 100), num_inputs=num_inputs,
                        activation=activation, init_std=None)
        return init_(net, scheme)


def layer_stats(net: nn.Sequential, X: torch.Tensor, y: torch.Tensor) -> dict:
    """On one batch X: (n, d) float32, y: (n,) int64, weights unchanged: ``act_std``, the std of each hidden layer's
    output (after φ), and ``grad_std``, that of ∂L/∂W for each Linear (L: mean cross-entropy), input side first."""
    acts, h = [], X
    for m in net:
        h = m(h)
        if isinstance(m, tuple(train.ACTIVATIONS.values())):
            acts.append(float(h.detach().std()))
    net.zero_grad()
    nn.functional.cross_entropy(h, y).backward()
    grads = [float(m.weight.grad.std()) for m in net if isinstance(m, nn.Linear)]
    net.zero_grad()
    return {"act_std": acts, "grad_std": grads}


def init_race(schemes=("normal", "xavier", "he"), depth: int = 8, width: int = 128, activation: str = "relu",
              n_train: int = 5000, n_val: int = 2000, num_steps: int = 400, lr: float = 0.05,
              batch_size: int = 64, seed: int = 0) -> dict:
    """Scheme → history of ``deep_net(depth, width, activation, scheme)`` trained by plain SGD on one ``data.subset``,
    in the same minibatch order for each; validation loss and accuracy every 50 steps."""
    s = data.subset(n_train, n_val=n_val)
    histories = {}
    with torch.random.fork_rng(devices=[]), single_thread():
        for scheme in schemes:
            net = deep_net(depth, width, activation, scheme, seed=seed)
            torch.manual_seed(seed + 1)  # the minibatch order, the same for every scheme
            histories[scheme] = train.train(net, data.TensorBatches(s.X_train, s.y_train, batch_size, True),
                                            num_steps=num_steps, eval_every=50, lr=lr, device="cpu",
                                            eval_sets={"val": (s.X_val, s.y_val)})
    return histories


def draw_stats(runs: dict, title: str = ""):
    """Two log-scale panels, one curve per ``label → layer_stats(...)`` in ``runs``: the spread of
    each hidden layer's output and of each weight gradient, input side first."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key, text in zip(axes, ("act_std", "grad_std"), (tr_fig("std of hidden layer output h"), tr_fig(
            "std of ∂L/∂W"))):
        for label, stats in runs.items():
            ax.semilogy(range(1, len(stats[key]) + 1), stats[key], "o-", ms=3, label=label)
        ax.set(xlabel=tr_fig("layer (input side first)"), title=text)
        ax.grid(alpha=0.3, which="both")
        if len(runs) > 1:
            ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return axes


def stats_explorer(X: torch.Tensor, y: torch.Tensor):
    """Depth, activation and initialization → per-layer statistics at initialization, on the batch (X, y)."""
    def compute(depth, activation, scheme):
        with torch.random.fork_rng(devices=[]), single_thread():
            return layer_stats(deep_net(depth, 128, activation, scheme), X, y)

    def draw(stats, depth, activation, scheme):
        draw_stats({scheme: stats}, tr_fig("{d} hidden layers of 128, {a}, {s}", d=depth, a=activation,
                                           s=SCHEME_TEXT[scheme]))

    return plot.explorer(compute, draw,
                         depth=widgets.IntSlider(value=10, min=2, max=40, step=2, description=tr("depth")),
                         activation=widgets.Dropdown(options=["relu", "tanh", "sigmoid"], description=tr("activation")),
                         scheme=widgets.Dropdown(options=list(SCHEMES), value="he", description=tr("init")))


# --- exercise checks


def _second_moment_ratio(std: float, slope: float, depth: int = 30, width: int = 256) -> float:
    """E[h²] after ``depth`` Linear → LeakyReLU(slope) layers over E[h²] after the first, weights N(0, std²)."""
    g = torch.Generator().manual_seed(0)
    h, moments = torch.randn(2048, width, generator=g), []
    for _ in range(depth):
        h = nn.functional.leaky_relu(h @ (torch.randn(width, width, generator=g) * std).T, slope)
        moments.append(float((h ** 2).mean()))
    return moments[-1] / moments[0]


def check_leaky_he_std(leaky_he_std) -> bool:
    """Exercise 1: σ(n_in, a) that keeps E[h²] steady through Linear → LeakyReLU(a) layers."""
    hints = []
    for a in (0.0, 0.1, 0.5, 1.0):
        got, err = run_student_code(leaky_he_std, 256, a)
        if err or not isinstance(got, (int, float)) or not math.isfinite(got):
            return verdict(False, "", err or tr("leaky_he_std(256, {a}) returned {got!r}; return a float standard "
                                                "deviation", a=a, got=got))
        ratio = _second_moment_ratio(got, a)
        if not 0.5 < ratio < 2:
            hints.append(tr("with a={a} your σ={got:.4g} makes E[h²] change {r:.3g}× over 30 layers (one layer keeps "
                            "a fraction (1 + a²)/2 of the variance n_in·σ² gives it)", a=a, got=got, r=ratio))
        elif not math.isclose(got, math.sqrt(2.0 / ((1 + a * a) * 256)), rel_tol=0.02):
            hints.append(tr("with a={a}, σ={got:.4g} nearly keeps the variance but is not the exact value",
                            a=a, got=got))
    return verdict(not hints, tr("σ = √(2 / ((1 + a²)·n_in)) keeps the signal's size through 30 LeakyReLU layers, for "
                                 "every slope a (a = 0 is He, a = 1 is a linear layer's 1/√n_in)"), "; ".join(hints))


def check_backward_std(backward_std) -> bool:
    """Exercise 2: σ(n_out) that keeps the gradient's size through a ReLU layer's backward pass."""
    got, err = run_student_code(backward_std, 512)
    if err or not isinstance(got, (int, float)) or not math.isfinite(got) or got <= 0:
        return verdict(False, "", err or tr("backward_std(512) returned {got!r}; return a positive float", got=got))
    g = torch.Generator().manual_seed(1)
    grad = torch.randn(4096, 512, generator=g)
    start = float((grad ** 2).mean())
    for _ in range(20):
        W = torch.randn(512, 512, generator=g) * got
        mask = torch.rand(4096, 512, generator=g) < 0.5  # φ'(z) of ReLU: on for half the units
        grad = (grad * mask) @ W
    ratio = float((grad ** 2).mean()) / start
    return verdict(0.5 < ratio < 2 and math.isclose(got, math.sqrt(2 / 512), rel_tol=0.02),
                   tr("σ = √(2/n_out) = {got:.4f}: after 20 layers backwards the gradient's second moment changed "
                      "{r:.3g}×", got=got, r=ratio), tr("σ = {got:.4g} makes the gradient's second moment change "
                   "{r:.3g}× over 20 layers; each layer multiplies it by n_out·σ² times the fraction of ReLUs that are "
                   "on", got=got, r=ratio))
