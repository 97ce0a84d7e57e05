"""Used in lesson 06: weight decay (权重衰减). Section 2 draws d2l's data with ``high_dim_linear``;
section 5's λ slider is ``weight_decay_explorer`` (each move is one ``train_with_weight_decay`` run);
the exercises call the checks at the end."""

from __future__ import annotations

from typing import NamedTuple

import ipywidgets as widgets
import torch
from torch import nn

from helpers import data, plot, train
from helpers.runtime import check_choice, check_int, check_number, run_student_code, single_thread, verdict


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


def train_with_weight_decay(lambd: float, num_epochs: int = 60, n_train: int = 300, n_test: int = 1000,
                            num_hiddens=(128,), lr: float = 0.05, batch_size: int = 50, seed: int = 0,
                            device=None) -> dict:
    """One explorer run: a 784-128-10 MLP (the note's N(0, 0.01²) weights) trained with SGD (momentum 0.9)
    and ``weight_decay=lambd`` on its weight matrices only, on ``data.subset(n_train, n_test=n_test)``.

    Seeded inside ``fork_rng`` (every λ starts from the same weights and minibatches; the caller's random state
    is untouched). Returns ``train.train``'s per-epoch history plus ``weight_norm`` (‖W‖)."""
    d = data.subset(n_train, n_test=n_test)
    with torch.random.fork_rng(devices=[]), single_thread(device):
        torch.manual_seed(seed)
        net = train.mlp(num_hiddens)
        trainer = torch.optim.SGD(train.weight_groups(net, check_number("lambd", lambd, 0)), lr=lr, momentum=0.9)
        batches = data.TensorBatches(d.X_train, d.y_train, batch_size, shuffle=True)

        def record_norm(epoch, net, history):
            history.setdefault("weight_norm", []).append(train.weight_norm(net))

        return train.train(net, batches, (d.X_test, d.y_test), num_epochs, optimizer=trainer, device=device,
                           verbose=False, callback=record_norm)


# The slider's stops: 0, then 1e-4 … 0.1 (two a decade); a log slider cannot reach 0, so they are listed.
LAMBDA_STOPS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def _label(lambd: float) -> str:
    return "0" if lambd == 0 else f"{lambd:.0e}".replace("e-0", "e-")  # 3e-2, not 3e-02


def weight_decay_explorer(lambd: float = 0.0, **run_kwargs) -> widgets.interactive:
    """A λ slider over ``LAMBDA_STOPS``: each new stop retrains (``train_with_weight_decay(λ, **run_kwargs)``)
    and redraws loss and ‖W‖ per epoch over the λ = 0 run in grey. ``.result`` is the history shown."""
    check_choice("lambd", lambd, LAMBDA_STOPS)
    reference = train_with_weight_decay(0.0, **run_kwargs)  # drawn in grey (and bad run_kwargs fail here)

    def compute(lambd):
        return reference if lambd == 0 else train_with_weight_decay(lambd, **run_kwargs)

    def draw(h, lambd):
        loss = dict(ylabel="cross-entropy loss", ylim=(0, max(2.5, 1.05 * max(h["test_loss"]))),
                    title=f"λ = {_label(lambd)}: final train loss {h['train_loss'][-1]:.2f}, "
                          f"test loss {h['test_loss'][-1]:.2f}")
        norm = dict(ylabel="‖W‖ (all weight matrices)", ylim=(0, max(14.0, *h["weight_norm"])),
                    title=f"‖W‖ = {h['weight_norm'][-1]:.2f} (test acc {h['test_acc'][-1]:.3f})")
        plot.plot_against_reference(h, reference if lambd else None,
                                    [(("train_loss", "test_loss"), loss), (("weight_norm",), norm)], "λ = 0")

    slider = widgets.SelectionSlider(options=[(_label(v), v) for v in LAMBDA_STOPS],
                                     value=lambd, description="λ")
    return plot.explorer(compute, draw, lambd=slider)


# --------------------------------------------------------------------------- exercise checks


def _check_net() -> nn.Sequential:
    gen = torch.Generator().manual_seed(6)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net


def check_mlp_penalty(fn) -> bool:
    """Exercise 1: ``fn(net, lambd)`` -> s = λ/2 Σ_l ‖W⁽ˡ⁾‖² over the weight matrices, differentiable."""
    net = _check_net()
    sq_w, sq_all = (sum(float((p.detach() ** 2).sum()) for p in net.parameters() if p.dim() > k) for k in (1, 0))
    for lambd in (0.1, 3.0):
        got, error = run_student_code(fn, net, lambd)
        if error or got is None:
            return verdict(False, "", error or "mlp_penalty returned None: add up ‖W‖²/2 over the weight matrices")
        if not (torch.is_tensor(got) and got.numel() == 1):
            return verdict(False, "", f"return a scalar tensor (so the penalty can be backpropagated), got "
                                      f"{type(got).__name__}")
        v = float(got.detach())
        wrong = {lambd * sq_all / 2: "the biases are included: keep the parameters with p.dim() > 1",
                 lambd * sq_w: "that is λ‖W‖², twice too large: equation (1) has λ/2 in front",
                 sq_w / 2: "the value does not change with lambd: multiply by lambd"}
        if abs(v - lambd * sq_w / 2) > 1e-4 * max(1.0, v):
            hint = next((h for x, h in wrong.items() if abs(v - x) <= 1e-4 * max(1.0, x)), None)
            return verdict(False, "", hint or f"for λ = {lambd} expected λ/2·Σ‖W‖² = {lambd * sq_w / 2:.4f}, "
                                              f"got {v:.4f}")
    if not got.requires_grad:
        return verdict(False, "", "the value is right but carries no gradient: no .item(), float() or no_grad()")
    got.backward()
    if not all(torch.allclose(p.grad, 3.0 * p) for p in net.parameters() if p.dim() > 1):
        return verdict(False, "", "the gradient with respect to each W should be λW")
    return verdict(True, "s = λ/2 Σ‖W⁽ˡ⁾‖², biases excluded, and its gradient is λW", "")


def check_decay_step(fn) -> bool:
    """Exercise 2: ``fn(w, grad, lr, lambd)`` -> w − lr·(grad + λw), one SGD step on objective (1)."""
    gen = torch.Generator().manual_seed(60)
    w, grad = torch.randn(5, 3, generator=gen), torch.randn(5, 3, generator=gen)
    for lr, lambd in ((0.1, 0.5), (0.03, 3.0), (0.1, 0.0)):
        got, error = run_student_code(fn, w.clone(), grad.clone(), lr, lambd)
        if error or not (torch.is_tensor(got) and got.shape == w.shape):
            return verdict(False, "", error or f"return the new weights, a tensor shaped like w {tuple(w.shape)}")
        wrong = {"that is the plain SGD step: the gradient of λ/2‖w‖² adds λw to grad": w - lr * grad,
                 "the gradient of λ/2‖w‖² is λw, not λw/2": w - lr * (grad + lambd * w / 2),
                 "the step goes uphill: subtract lr·(grad + λw)": w + lr * (grad + lambd * w),
                 "the decay factor is (1 − lr·λ), not (1 − λ)": (1 - lambd) * w - lr * grad}
        if not torch.allclose(got, w - lr * (grad + lambd * w), atol=1e-6):
            hint = next((h for h, x in wrong.items() if torch.allclose(got, x, atol=1e-6)), None)
            return verdict(False, "", hint or f"for lr={lr}, λ={lambd} expected w − lr·(grad + λw)")
    return verdict(True, "w ← (1 − lr·λ)·w − lr·grad: the weights shrink before each step", "")


def check_decay_groups(fn) -> bool:
    """Exercise 3: ``fn(net, lambd)`` -> optimizer groups: weight matrices with weight_decay=λ, biases 0."""
    net, lambd = _check_net(), 0.01
    groups, error = run_student_code(fn, net, lambd)
    if error or groups is None:
        return verdict(False, "", error or "decay_groups returned None: return a list of dicts with 'params'")
    try:
        optimizer = torch.optim.SGD(groups, lr=0.1)
    except Exception as err:
        return verdict(False, "", f"torch.optim.SGD(groups, lr=0.1) refused them ({type(err).__name__}: {err})")
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    for p in net.parameters():
        if id(p) not in decay:
            return verdict(False, "", f"a parameter of shape {tuple(p.shape)} is in no group: it would never train")
        if decay[id(p)] != (lambd if p.dim() > 1 else 0.0):
            return verdict(False, "", f"{'a weight matrix' if p.dim() > 1 else 'a bias'} of shape {tuple(p.shape)} "
                                      f"has weight_decay={decay[id(p)]}; weights get λ = {lambd}, biases 0")
    return verdict(True, "every weight matrix decays with λ, every bias with 0, and no parameter is left out", "")
