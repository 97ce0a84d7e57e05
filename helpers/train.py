"""The MLP builder and the one training loop every lesson shares.

The loop is the note's loop (per-example losses, ``l.mean().backward()``, one
optimizer step per minibatch) with what a lesson needs around it: a budget in
epochs (the note's printed lines, test accuracy every epoch) or in steps
(evaluation every N steps on named sets), an optional penalty added to the
objective, a history dict, and a clear stop when the loss turns NaN.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterable, NamedTuple

import torch
from torch import nn

from helpers.data import subset
from helpers.runtime import check_choice, check_int, check_number, device as pick_device, single_thread

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU,
}


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


def init_normal(module: nn.Module, std: float = 0.01) -> None:
    """The note's ``init_weights``: Linear weights ~ N(0, std²), biases left at PyTorch's default."""
    if type(module) == nn.Linear:  # noqa: E721 - the note's exact test
        nn.init.normal_(module.weight, std=std)


def mlp(num_hiddens=256, num_inputs: int = 784, num_outputs: int = 10, activation: str = "relu",
        dropout=0.0, init_std: float | None = 0.01, flatten: bool = True) -> nn.Sequential:
    """``[Flatten] → (Linear → φ [→ Dropout(p)]) per hidden layer → Linear``.

    ``num_hiddens``: an int or a tuple of widths (``()`` is the linear model);
    ``dropout``: one rate for every hidden layer or one per layer (0 leaves the
    layer out); ``init_std``: the note's N(0, std²) weights, None keeps
    PyTorch's default. The defaults are the note's 784-256-10 net:
    (n, 1, 28, 28) or (n, 784) → (n, 10) scores.
    """
    sizes = (num_hiddens,) if isinstance(num_hiddens, int) else tuple(num_hiddens)
    rates = tuple(dropout) if isinstance(dropout, (tuple, list)) else (dropout,) * len(sizes)
    if len(rates) != len(sizes):
        raise ValueError(f"dropout={dropout!r} gives {len(rates)} rates for {len(sizes)} hidden layers")
    act = ACTIVATIONS[check_choice("activation", activation, tuple(ACTIVATIONS))]
    layers: list[nn.Module] = [nn.Flatten()] if flatten else []
    width = num_inputs
    for size, p in zip(sizes, rates):
        layers += [nn.Linear(width, check_int("num_hiddens", size)), act()]
        if check_number("dropout", p, 0, 1) > 0:
            layers.append(nn.Dropout(p))
        width = size
    layers.append(nn.Linear(width, num_outputs))
    net = nn.Sequential(*layers)
    if init_std is not None:
        net.apply(lambda m: init_normal(m, init_std))
    return net


def weight_groups(net: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups: the weight matrices decayed by ``weight_decay``, biases not."""
    weights = [p for p in net.parameters() if p.dim() > 1]
    others = [p for p in net.parameters() if p.dim() <= 1]
    return [{"params": weights, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


@torch.no_grad()
def weight_norm(net: nn.Module) -> float:
    """‖W‖ = sqrt(Σ_l ‖W⁽ˡ⁾‖²) over the weight matrices; biases excluded."""
    return math.sqrt(sum(float((p ** 2).sum()) for p in net.parameters() if p.dim() > 1))


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions, as in the note (divide by ``len(y)`` for a rate).

    ``y_hat``: (n, q) scores or (n,) predicted classes; ``y``: (n,) int64 labels.
    """
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return float((y_hat.type(y.dtype) == y).sum())


def _device_of(net: nn.Module) -> torch.device:
    return next(net.parameters(), torch.zeros(())).device


def _batches(source):
    """An (X, y) pair of tensors is one batch; anything else is an iterable of batches."""
    return [source] if isinstance(source, tuple) and len(source) == 2 and torch.is_tensor(source[0]) else source


@torch.no_grad()
def evaluate(net: nn.Module, data_iter, loss: Callable | None = None) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``net`` in eval mode over ``data_iter`` (batches, or one (X, y) pair).

    ``loss`` defaults to per-example cross-entropy; accuracy is NaN unless the
    outputs are (n, q) scores for q ≥ 2 classes. The net's mode is restored.
    """
    loss = loss if loss is not None else nn.CrossEntropyLoss(reduction="none")
    dev, was_training = _device_of(net), net.training
    net.eval()
    total, correct, n, classify = torch.zeros((), device=dev), torch.zeros((), device=dev), 0, True
    try:
        for X, y in _batches(data_iter):
            X, y = X.to(dev), y.to(dev)
            y_hat = net(X)
            l = loss(y_hat, y)
            total += l.sum() if l.dim() > 0 else l * len(y)
            classify = classify and y_hat.dim() == 2 and y_hat.shape[1] > 1 and not y.is_floating_point()
            if classify:
                correct += (y_hat.argmax(dim=1) == y).sum()
            n += len(y)
    finally:
        net.train(was_training)
    if n == 0:
        raise ValueError("data_iter yielded no examples; cannot evaluate on an empty set")
    return float(total) / n, float(correct) / n if classify else math.nan


HISTORY_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc", "epoch_time")


def train(net: nn.Module, train_iter: Iterable, test_iter=None, num_epochs: int | None = None,
          lr: float | None = None, optimizer: torch.optim.Optimizer | None = None,
          loss: Callable | None = None, penalty: Callable[[], torch.Tensor] | None = None,
          device=None, verbose: bool = True, callback: Callable | None = None, scheduler=None,
          num_steps: int | None = None, eval_every: int | None = None, eval_sets: dict | None = None) -> dict:
    """Train ``net``; return its history. Give a budget in epochs or in steps.

    - ``optimizer`` defaults to ``SGD(net.parameters(), lr=lr)``; any optimizer
      works, L-BFGS included (each step passes a closure).
    - ``loss`` defaults to ``nn.CrossEntropyLoss(reduction='none')``; each step
      minimises ``loss(...).mean()`` (+ ``penalty()`` when given, e.g.
      ``lambda: lambd * l2_penalty(W)``). Reported losses are the data loss.
    - ``device`` defaults to ``helpers.device()``; the net and every batch go there.

    ``num_epochs``: the note's loop. History lists per epoch: ``train_loss`` and
    ``train_acc`` (running totals over the epoch, as the note prints them),
    ``test_loss`` and ``test_acc`` (eval mode; empty without ``test_iter``) and
    ``epoch_time``; ``verbose`` prints the note's line each epoch; ``scheduler``
    (e.g. ``CosineAnnealingLR``) steps after each epoch.

    ``num_steps``: that many optimizer steps, cycling through ``train_iter``;
    ``step`` and, for each ``name`` in ``eval_sets`` (name → batches or one
    (X, y) pair), ``name_loss`` and ``name_acc`` in eval mode, recorded at step
    0, every ``eval_every`` steps and at the end; ``loss`` holds the data loss
    of every evaluation of the objective (one per step; L-BFGS takes several).

    ``callback(point, net, history)`` runs after each epoch or record, e.g. to
    add a list. Raises TrainingDiverged when the loss becomes NaN or infinite.
    """
    if (num_epochs is None) == (num_steps is None):
        raise ValueError("give a budget: num_epochs=... (the note's loop) or num_steps=..., not both")
    if scheduler is not None and num_steps is not None:
        raise ValueError("a scheduler steps once per epoch: give num_epochs=..., not num_steps")
    if optimizer is None:
        if lr is None:
            raise ValueError("lr=None: give a learning rate (e.g. lr=0.1) or an optimizer")
        optimizer = torch.optim.SGD(net.parameters(), lr=check_number("lr", lr, above=0))
    elif lr is not None:
        raise ValueError("give either lr or optimizer, not both (the optimizer carries its own lr)")
    loss = loss if loss is not None else nn.CrossEntropyLoss(reduction="none")
    dev = device if isinstance(device, torch.device) else pick_device(device)
    net.to(dev)
    lr_text = ", ".join(f"{g['lr']:g}" for g in optimizer.param_groups)
    last: dict = {}
    step_losses = [] if num_steps is not None else None

    def closure():
        X, y = last["batch"]
        optimizer.zero_grad()
        y_hat = net(X)
        l = loss(y_hat, y)
        objective = l.mean() if l.dim() > 0 else l
        if penalty is not None:
            objective = objective + penalty()
        objective.backward()
        last["y_hat"], last["l"] = y_hat, l
        if step_losses is not None:
            step_losses.append(float(l.detach().mean()))
        return objective

    def check(value, where):
        if not math.isfinite(value):
            raise TrainingDiverged(f"the training loss became {value} {where} with lr={lr_text}; the weights "
                                   "have blown up. Lower the learning rate (e.g. divide it by 10) and train again.")

    net.train()
    if num_steps is not None:
        return _train_steps(net, train_iter, optimizer, closure, last, step_losses, loss, dev, check,
                            check_int("num_steps", num_steps), eval_every, eval_sets or {}, callback)

    check_int("num_epochs", num_epochs)
    history: dict = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        net.train()
        total_loss, correct, n = torch.zeros((), device=dev), torch.zeros((), device=dev), 0
        for X, y in train_iter:
            last["batch"] = (X.to(dev, non_blocking=True), y.to(dev, non_blocking=True))
            optimizer.step(closure)
            with torch.no_grad():
                l, y = last["l"].detach(), last["batch"][1]
                total_loss += l.sum() if l.dim() > 0 else l * len(y)
                correct += (last["y_hat"].argmax(dim=1) == y).sum()
            n += len(y)
        if n == 0:
            raise ValueError("train_iter yielded no examples; cannot train on an empty set")
        check(float(total_loss) / n, f"in epoch {epoch} of {num_epochs}")
        history["train_loss"].append(float(total_loss) / n)
        history["train_acc"].append(float(correct) / n)
        if test_iter is not None:
            test_loss, test_acc = evaluate(net, test_iter, loss)
            history["test_loss"].append(test_loss)
            history["test_acc"].append(test_acc)
        history["epoch_time"].append(time.perf_counter() - start)
        if scheduler is not None:
            scheduler.step()
        if callback is not None:
            callback(epoch, net, history)
        if verbose:
            print(format_epoch(epoch, num_epochs, history))
    return history


def _train_steps(net, train_iter, optimizer, closure, last, step_losses, loss, dev, check, num_steps,
                 eval_every, eval_sets, callback) -> dict:
    """The step-budget half of ``train`` (see there)."""
    eval_every = check_int("eval_every", eval_every) if eval_every is not None else num_steps
    history: dict = {"step": [], "loss": step_losses}
    for name in eval_sets:
        history[f"{name}_loss"], history[f"{name}_acc"] = [], []
    start = time.perf_counter()

    def record(step):
        history["step"].append(step)
        for name, batches in eval_sets.items():
            value, acc = evaluate(net, batches, loss)
            history[f"{name}_loss"].append(value)
            history[f"{name}_acc"].append(acc)
        if callback is not None:
            callback(step, net, history)

    record(0)
    step = 0
    while step < num_steps:
        served = False
        for X, y in _batches(train_iter):
            served = True
            last["batch"] = (X.to(dev, non_blocking=True), y.to(dev, non_blocking=True))
            optimizer.step(closure)
            step += 1
            if step % eval_every == 0 or step == num_steps:
                check(step_losses[-1], f"by step {step} of {num_steps}")
                record(step)
            if step == num_steps:
                break
        if not served:
            raise ValueError("train_iter yielded no examples; cannot train on an empty set")
    history["seconds"] = time.perf_counter() - start
    return history


def format_epoch(epoch: int, num_epochs: int, history: dict) -> str:
    """One line in the note's format: ``Epoch 1/50, Train Loss: 1.0378, Train Acc: 0.6438, Test Acc: …``."""
    i = epoch - 1
    line = (f"Epoch {epoch}/{num_epochs}, Train Loss: {history['train_loss'][i]:.4f}, "
            f"Train Acc: {history['train_acc'][i]:.4f}")
    if history.get("test_acc"):
        line += f", Test Acc: {history['test_acc'][i]:.4f}"
    return line


# --- small full-batch fits (lessons 01–02)
# A few hundred points in raw units (k¥, °C): a fixed first layer standardizes
# the inputs, and every fit is full batch on the CPU through ``train`` in steps
# mode: Adam for ``steps`` steps, or one L-BFGS step of up to ``steps`` iterations.


class Standardize(nn.Module):
    """A fixed first layer ``(x − mean) / std`` with the column statistics of ``X``: (m, d) → (m, d)."""

    def __init__(self, X: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", X.mean(dim=0))
        self.register_buffer("std", (X.std(dim=0) if len(X) > 1 else torch.ones(X.shape[1])).clamp_min(1e-8))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return (X - self.mean) / self.std


@torch.no_grad()
def init_at_data_(net: nn.Sequential, X: torch.Tensor, y_mean: float | None = None, seed: int = 0) -> nn.Sequential:
    """Start every hidden unit where the data is; returns ``net``, changed in place.

    Unit j's boundary z_j = w_j·u + b_j = 0 (u the standardized input) goes
    through a randomly chosen training point with a random unit direction w_j:
    PyTorch's default can leave a small ReLU layer with units that are off (or
    on) for every point, which never bend the fit. ``y_mean`` starts the output
    bias at the mean target. A net without a hidden layer only gets the bias.
    """
    linears = [m for m in net if isinstance(m, nn.Linear)]
    if y_mean is not None:
        linears[-1].bias.fill_(float(y_mean))
    if len(linears) < 2:
        return net
    g = torch.Generator().manual_seed(seed)
    first, U = linears[0], net[0](X) if isinstance(net[0], Standardize) else X
    w = torch.randn(first.out_features, first.in_features, generator=g)
    w /= w.norm(dim=1, keepdim=True).clamp_min(1e-8)
    anchors = U[torch.randint(0, len(U), (first.out_features,), generator=g)]
    first.weight.copy_(w)
    first.bias.copy_(-(w * anchors).sum(dim=1))
    return net


class Fit(NamedTuple):
    """A small fit: ``net`` (eval mode) maps raw inputs (m, d) float32 to outputs; ``history`` is
    ``train``'s (``history["loss"]``: the loss at every evaluation, ``train_loss``: at the start and the end)."""

    net: nn.Sequential
    history: dict


def _fit(X, y, hidden, activation, num_outputs, loss, sigmoid, steps, lr, seed, method) -> Fit:
    if not (torch.is_tensor(X) and X.dim() == 2 and len(X) > 0 and torch.is_tensor(y) and len(y) == len(X)):
        raise ValueError(f"X of shape {tuple(getattr(X, 'shape', ()))} and y of shape "
                         f"{tuple(getattr(y, 'shape', ()))}: give X as (n, d) with n ≥ 1 and y with n rows")
    check_int("hidden", hidden, 0)
    check_int("steps", steps)
    check_number("lr", lr, above=0)
    check_choice("method", method, ("adam", "lbfgs"))
    with torch.random.fork_rng(devices=[]):  # the fit's own seed; the global generator is left alone
        torch.manual_seed(seed)
        net = nn.Sequential(Standardize(X), *mlp(hidden or (), X.shape[1], num_outputs, activation,
                                                 init_std=None, flatten=False), *([nn.Sigmoid()] if sigmoid else []))
    init_at_data_(net, X, float(y.mean()) if y.is_floating_point() and not sigmoid else None, seed)
    if method == "lbfgs":
        optimizer = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=steps, history_size=50,
                                      line_search_fn="strong_wolfe", tolerance_grad=1e-10, tolerance_change=1e-14)
        steps = 1
    else:
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    with single_thread("cpu"):
        history = train(net, (X, y), num_steps=steps, optimizer=optimizer, loss=loss, device=torch.device("cpu"),
                        eval_sets={"train": (X, y)})
    return Fit(net.eval(), history)


def fit_regression(x: torch.Tensor, y: torch.Tensor, hidden: int, activation: str = "relu",
                   output: str = "identity", steps: int = 300, lr: float = 0.05, seed: int = 0,
                   method: str = "adam") -> Fit:
    """Least-squares fit of ``Standardize → mlp(hidden, activation) [→ Sigmoid]`` to ``(x, y)``.

    ``x``: (n, d) float32 in raw units; ``y``: (n, 1) float32. ``hidden=0`` is the
    linear model (``output="sigmoid"``: a logistic curve). ``steps`` Adam steps
    at ``lr``, or up to ``steps`` L-BFGS iterations (``method="lbfgs"``, ``lr``
    unused). The initial weights depend only on ``seed``.
    """
    sigmoid = check_choice("output", output, ("identity", "sigmoid")) == "sigmoid"
    return _fit(x, y.reshape(len(y), -1).float(), hidden, activation, 1, nn.MSELoss(reduction="none"),
                sigmoid, steps, lr, seed, method)


def fit_classifier(X: torch.Tensor, y: torch.Tensor, hidden: int, activation: str = "relu",
                   steps: int = 300, lr: float = 0.05, seed: int = 0, method: str = "adam") -> Fit:
    """Cross-entropy fit of ``Standardize → mlp(hidden, activation)`` to ``X``: (n, d) float32,
    ``y``: (n,) int64 classes. ``hidden=0`` is softmax regression (straight boundaries); the rest
    as in ``fit_regression``. Accuracy: ``evaluate(fit.net, (X, y))[1]``."""
    return _fit(X, y, hidden, activation, max(int(y.max()) + 1, 2) if len(y) else 2,
                nn.CrossEntropyLoss(reduction="none"), False, steps, lr, seed, method)


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` without gradients: (m, d) float32 → (m, outputs) float32."""
    return net(x)


def r_squared(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Coefficient of determination 1 − SS_res / SS_tot: 1 is a perfect fit, 0 is the mean's."""
    y, y_hat = y.reshape(-1).double(), y_hat.reshape(-1).double()
    return float(1 - ((y - y_hat) ** 2).sum() / ((y - y.mean()) ** 2).sum())


# --- k settings of the note's MLP at once (lessons 06–07)


def train_grid(lambdas, dropouts, train_set, eval_sets: dict, num_epochs: int, num_hiddens: int = 256, lr: float = 0.05,
               momentum: float = 0.9, batch_size: int = 50, seed: int = 0, device="cpu", callback=None,
               eval_every: int = 1) -> list[dict]:
    """k copies of ``mlp(num_hiddens)`` (784-h-10) trained as ONE batched model: copy j has weight decay
    ``lambdas[j]`` on its weight matrices and inverted dropout ``dropouts[j]`` (< 1) after the hidden layer,
    and follows ``train(mlp(...), TensorBatches(*train_set, batch_size, shuffle=True), optimizer=SGD(
    weight_groups(net, λ_j), lr, momentum))``: the same start and minibatches (seeded in ``fork_rng``) for all,
    masks from a generator of their own. Returns k histories: ``epoch`` (every ``eval_every``-th and the last), and
    then ``{name}_loss``/``_acc`` for each (X, y) in ``eval_sets`` (eval mode) and ``weight_norm``; ``params``: the
    final (W1 (784, h), b1, W2 (h, 10), b2). ``callback(epoch)`` runs after every epoch."""
    lam = torch.tensor([check_number("lambdas", v, 0) for v in lambdas], device=device)
    keep = 1 - torch.tensor([check_number("dropouts", v, 0, 0.99) for v in dropouts], device=device)[:, None, None]
    if len(lam) != len(keep):
        raise ValueError(f"{len(lam)} lambdas but {len(keep)} dropouts: give one of each per setting")
    num_epochs, eval_every = check_int("num_epochs", num_epochs), check_int("eval_every", eval_every)
    (X, y), k, masks = (t.to(device) for t in train_set), len(lam), torch.Generator(device).manual_seed(seed)
    with torch.random.fork_rng(devices=[]), single_thread(device):
        torch.manual_seed(seed)
        net = mlp(num_hiddens)
        h = net[1].out_features  # layer 1: the k weight matrices side by side, (784, k·h), one product for all k
        W1, b1, W2, b2 = stacks = [t.to(device).contiguous().requires_grad_() for t in (
            net[1].weight.detach().T.repeat(1, k), net[1].bias.detach().repeat(k),
            net[3].weight.detach().expand(k, -1, -1), net[3].bias.detach()[:, None].expand(k, -1, -1))]
        decays = [(W1, lam.repeat_interleave(h)), (W2, lam[:, None, None])] if bool((lam > 0).any()) else []
        drop, velocities = bool((keep < 1).any()), [torch.zeros_like(t) for t in stacks]

        def scores(X, dropout=False):  # (n, 784) -> (k, 10, n): layer 2 as (k, 10, h) @ (k, h, n), scores by column
            H = torch.addmm(b1, X, W1).relu_().view(len(X), k, h).transpose(0, 1)
            if dropout and drop:
                H = H * torch.rand(H.shape, generator=masks, device=device).lt_(keep).div_(keep)  # 0 or 1/keep
            return torch.baddbmm(b2, W2, H.transpose(1, 2))

        def losses(O, y):  # the k mean losses
            return nn.functional.cross_entropy(O, y.expand(k, len(y)), reduction="none").mean(1)

        history = [{"epoch": [], "weight_norm": []} | {f"{s}_{m}": [] for s in eval_sets for m in ("loss", "acc")}
                   for _ in lam]
        for epoch in range(1, num_epochs + 1):
            for idx in torch.randperm(len(X)).to(device).split(batch_size):
                losses(scores(X[idx], True), y[idx]).sum().backward()
                with torch.no_grad():  # SGD with momentum, as torch.optim.SGD steps, and weight decay λ per copy
                    for W, lam_W in decays:
                        W.grad.addcmul_(lam_W, W)
                    for t, v in zip(stacks, velocities):
                        t.sub_(v.mul_(momentum).add_(t.grad), alpha=lr)
                        t.grad = None
            if epoch % eval_every == 0 or epoch == num_epochs:
                with torch.no_grad():
                    record = {"epoch": torch.full((k,), epoch), "weight_norm": (
                        W1.square().sum(0).view(k, h).sum(1) + W2.square().sum((1, 2))).sqrt()}
                    for name, (Xe, ye) in eval_sets.items():
                        O, ye = scores(Xe.to(device)), ye.to(device)
                        record |= {f"{name}_loss": losses(O, ye), f"{name}_acc": (O.argmax(1) == ye).float().mean(1)}
                    for key, values in record.items():
                        for run, v in zip(history, values.tolist()):
                            run[key].append(v)
            if callback is not None:
                callback(epoch)
    for j, run in enumerate(history):
        cols = slice(j * h, (j + 1) * h)
        run["params"] = tuple(t.detach() for t in (W1[:, cols], b1[cols], W2[j].T, b2[j, :, 0]))
    return history


def explorer_runs(lambdas, dropouts, n_train: int, n_val: int, num_epochs: int, **grid) -> list[dict]:
    """``train_grid`` as the λ (lesson 06) and dropout (lesson 07) explorers run it, so that their λ = 0 and p = 0
    runs are one run: on ``data.subset(n_train, n_val=n_val)``, lr 0.1, batch 200, evaluated every 2 epochs unless
    ``grid`` says otherwise; training curves on the first 500 training images, validation curves on all of them."""
    d = subset(n_train, n_val=n_val)
    sets = {"train": (d.X_train[:500], d.y_train[:500]), "val": (d.X_val, d.y_val)}
    return train_grid(lambdas, dropouts, (d.X_train, d.y_train), sets, num_epochs,
                      **{"lr": 0.1, "batch_size": 200, "eval_every": 2, **grid})
