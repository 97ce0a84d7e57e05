"""Small models fitted to small data: the 1-D curves and the 2-D XOR set of lessons 01–02.

A model here is ``make_mlp(in_features, hidden, out_features, activation)``:
one hidden layer of ``hidden`` units, or, with ``hidden=0``, no hidden layer
at all, which is the linear (affine) model. The inputs are standardized inside
the model (a fixed first layer), so a net takes raw units (°C, k¥) and still
trains quickly.

The data sets have a few hundred points, so every fit is full-batch (one
step per pass over all the data) and runs on the CPU, where tensors this
small are fastest: a few hundred Adam steps, or, where a closer fit matters,
up to a few hundred L-BFGS iterations. Fashion-MNIST models train with
``helpers.train.train`` instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from helpers import activations
from helpers.runtime import single_thread
from helpers.train import TrainingDiverged, check_positive

OUTPUTS = ("identity", "sigmoid")


class Standardize(nn.Module):
    """A fixed first layer: ``(x - mean) / std`` with the training data's column statistics."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.detach().clone())
        self.register_buffer("std", std.detach().clone().clamp_min(1e-8))

    @classmethod
    def fit(cls, X: torch.Tensor) -> "Standardize":
        """Statistics of ``X``: (n, d) float32 → a layer mapping (m, d) → (m, d)."""
        return cls(X.mean(dim=0), X.std(dim=0) if len(X) > 1 else torch.ones(X.shape[1]))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return (X - self.mean) / self.std


def check_hidden(hidden) -> int:
    """``hidden`` if it is a non-negative int (0 = no hidden layer), else a ValueError naming it."""
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise ValueError(f"hidden={hidden!r} must be a non-negative integer (0 means a linear model)")
    return hidden


def make_mlp(in_features: int, hidden: int, out_features: int = 1, activation: str = "relu",
             standardize: Standardize | None = None, output: str = "identity") -> nn.Sequential:
    """``[Standardize] → Linear(in, hidden) → φ → Linear(hidden, out) [→ Sigmoid]``.

    ``hidden=0`` gives ``[Standardize] → Linear(in, out) [→ Sigmoid]``: the
    linear model (with ``output="sigmoid"``, logistic regression). ``activation``
    is a name in ``helpers.activations.ACTIVATIONS``; it is checked even when
    ``hidden=0``, so a typo never passes silently.
    """
    check_positive("in_features", in_features, integer=True)
    check_positive("out_features", out_features, integer=True)
    check_hidden(hidden)
    act = activations.get(activation)
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r} is not known; use one of {', '.join(OUTPUTS)}")
    layers: list[nn.Module] = [standardize] if standardize is not None else []
    if hidden == 0:
        layers.append(nn.Linear(in_features, out_features))
    else:
        layers += [nn.Linear(in_features, hidden), act.module(), nn.Linear(hidden, out_features)]
    if output == "sigmoid":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


@dataclass
class Fit:
    """A fitted model and how the fit went.

    ``net`` maps raw inputs (m, d) float32 to outputs; ``losses`` is the
    full-batch training loss at every step; ``loss`` the last one.
    """

    net: nn.Sequential
    losses: list[float] = field(default_factory=list)
    hidden: int = 0
    activation: str = "relu"

    @property
    def loss(self) -> float:
        return self.losses[-1]


def _check_xy(X, y, name_X: str = "x") -> None:
    if not isinstance(X, torch.Tensor) or X.dim() != 2 or len(X) == 0:
        raise ValueError(f"{name_X} must be a non-empty (n, d) float tensor, got "
                         f"{tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__}")
    if not isinstance(y, torch.Tensor) or len(y) != len(X):
        raise ValueError(f"y must be a tensor with one row per row of {name_X} ({len(X)})")


METHODS = ("adam", "lbfgs")


def _train_full_batch(net: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn, steps: int,
                      lr: float, method: str = "adam") -> list[float]:
    """Minimise ``loss_fn(net(X), y)`` on the whole data set; returns the loss at every evaluation.

    ``method="adam"``: ``steps`` Adam steps with learning rate ``lr``.
    ``method="lbfgs"``: L-BFGS with a line search, at most ``steps`` iterations
    (``lr`` is ignored); it uses curvature, so on a few hundred points it gets
    much closer to the best fit than the same number of Adam steps.
    """
    losses: list[float] = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        losses.append(loss.item())
        return loss

    with single_thread():
        if method == "lbfgs":
            optimizer = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=steps, history_size=50,
                                          line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                                          tolerance_change=1e-14)
            optimizer.step(closure)
        else:
            optimizer = torch.optim.Adam(net.parameters(), lr=lr)
            for _ in range(steps):
                optimizer.step(closure)
        with torch.no_grad():
            final = loss_fn(net(X), y).item()
    if not math.isfinite(final):
        raise TrainingDiverged(f"the loss became {final} with {method} (lr={lr}); lower the learning rate")
    losses.append(final)
    return losses


def _check_method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not known; use one of {', '.join(METHODS)}")
    return method


def _seeded_model(seed: int, build):
    """Build a model with its own seed, leaving the global random state as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


@torch.no_grad()
def init_at_data_(net: nn.Sequential, X: torch.Tensor, y_mean: float | None = None, seed: int = 0) -> nn.Sequential:
    """Start every hidden unit where the data is; returns ``net``, changed in place.

    Unit j's boundary, where z_j = w_j·u + b_j = 0 (u the standardized input),
    is put through a randomly chosen training point, with a random unit-length
    direction w_j. PyTorch's default initialization can leave a small ReLU
    layer with units that are off (or on) for every training point, so they
    never bend the fit; starting each boundary inside the data avoids that.
    With ``y_mean`` the output bias starts at the mean target, so a regression
    begins at the average instead of at 0. A net without a hidden layer only
    gets the output bias.
    """
    linears = [m for m in net if isinstance(m, nn.Linear)]
    if y_mean is not None:
        linears[-1].bias.fill_(float(y_mean))
    if len(linears) < 2:
        return net
    g = torch.Generator().manual_seed(seed)
    first = linears[0]
    std = [m for m in net if isinstance(m, Standardize)]
    U = std[0](X) if std else X
    w = torch.randn(first.out_features, first.in_features, generator=g)
    w /= w.norm(dim=1, keepdim=True).clamp_min(1e-8)
    anchors = U[torch.randint(0, len(U), (first.out_features,), generator=g)]
    first.weight.copy_(w)
    first.bias.copy_(-(w * anchors).sum(dim=1))
    return net


def fit_regression(x: torch.Tensor, y: torch.Tensor, hidden: int, activation: str = "relu",
                   output: str = "identity", steps: int = 300, lr: float = 0.05, seed: int = 0,
                   method: str = "adam") -> Fit:
    """Least-squares fit of ``make_mlp(d, hidden, 1, activation)`` to ``(x, y)``.

    ``x``: (n, d) float32 in its raw units; ``y``: (n, 1) float32. ``hidden=0``
    is the linear model (``output="sigmoid"``: a logistic curve). Full batch:
    ``steps`` Adam steps, or up to ``steps`` L-BFGS iterations with
    ``method="lbfgs"``. The initial weights depend only on ``seed``.
    """
    _check_xy(x, y)
    check_hidden(hidden)
    check_positive("steps", steps, integer=True)
    check_positive("lr", lr)
    _check_method(method)
    net = _seeded_model(seed, lambda: make_mlp(x.shape[1], hidden, 1, activation,
                                               Standardize.fit(x), output))
    init_at_data_(net, x, float(y.mean()) if output == "identity" else None, seed)
    losses = _train_full_batch(net, x, y.reshape(len(x), 1).float(), F.mse_loss, steps, lr, method)
    return Fit(net.eval(), losses, hidden, activation)


def fit_classifier(X: torch.Tensor, y: torch.Tensor, hidden: int, activation: str = "relu",
                   steps: int = 300, lr: float = 0.05, seed: int = 0, method: str = "adam") -> Fit:
    """Cross-entropy fit of ``make_mlp(d, hidden, classes, activation)`` to ``(X, y)``.

    ``X``: (n, d) float32; ``y``: (n,) int64 class indices. ``hidden=0`` is
    softmax regression, whose decision boundaries are straight lines.
    ``steps``, ``lr`` and ``method`` as in ``fit_regression``.
    """
    _check_xy(X, y, "X")
    check_hidden(hidden)
    check_positive("steps", steps, integer=True)
    check_positive("lr", lr)
    _check_method(method)
    classes = int(y.max()) + 1
    net = _seeded_model(seed, lambda: make_mlp(X.shape[1], hidden, max(classes, 2), activation,
                                               Standardize.fit(X)))
    init_at_data_(net, X, None, seed)
    losses = _train_full_batch(net, X, y, F.cross_entropy, steps, lr, method)
    return Fit(net.eval(), losses, hidden, activation)


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` without gradients: (m, d) float32 → (m, out) float32."""
    return net(x)


def r_squared(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Coefficient of determination 1 − SS_res / SS_tot (1 is a perfect fit, 0 is the mean's)."""
    y, y_hat = y.reshape(-1).double(), y_hat.reshape(-1).double()
    ss_tot = ((y - y.mean()) ** 2).sum()
    return float(1 - ((y - y_hat) ** 2).sum() / ss_tot)


@torch.no_grad()
def class_accuracy(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``X`` whose arg-max class equals ``y``."""
    return float((net(X).argmax(dim=1) == y).float().mean())


@torch.no_grad()
def probability_grid(net: nn.Module, xlim: tuple[float, float], ylim: tuple[float, float],
                     steps: int = 150, cls: int = 1):
    """P(class ``cls``) of a 2-D classifier on a ``steps``×``steps`` grid: ``(xx, yy, p)``, each (steps, steps)."""
    check_positive("steps", steps, integer=True)
    xs = torch.linspace(float(xlim[0]), float(xlim[1]), steps)
    ys = torch.linspace(float(ylim[0]), float(ylim[1]), steps)
    xx, yy = torch.meshgrid(xs, ys, indexing="xy")
    p = torch.softmax(net(torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)), dim=1)[:, cls]
    return xx, yy, p.reshape(steps, steps)


def relu_kinks(net: nn.Sequential, lo: float, hi: float) -> torch.Tensor:
    """The x where a 1-D, one-hidden-layer ReLU net bends, within [lo, hi], sorted.

    Hidden unit j switches on or off where its pre-activation z_j = w_j·u + b_j
    is 0, u being the standardized input: at u = −b_j / w_j. A net with h hidden
    units is therefore a straight line broken at most h times.
    """
    linears = [m for m in net if isinstance(m, nn.Linear)]
    if len(linears) != 2 or linears[0].in_features != 1 or not any(isinstance(m, nn.ReLU) for m in net):
        raise ValueError("net must be a 1-D input, one-hidden-layer ReLU net from make_mlp")
    w, b = linears[0].weight.detach()[:, 0], linears[0].bias.detach()
    u = -b[w != 0] / w[w != 0]
    std = [m for m in net if isinstance(m, Standardize)]
    x = u * std[0].std + std[0].mean if std else u
    return torch.sort(x[(x >= lo) & (x <= hi)]).values


def train_softmax_regression(num_epochs: int = 2, batch_size: int = 256, lr: float = 0.1, seed: int = 0,
                             verbose: bool = True):
    """Softmax regression (``Flatten → Linear(784, 10)``) on Fashion-MNIST with ``helpers.train``.

    Returns ``(net, history)``; ``net[1].weight`` is (10, 784): one row of
    pixel weights per class. Weights start at zero, so the learned rows are
    what the data put there. A 784 × 10 layer is too small to gain from
    several CPU threads, so it trains on one (see ``single_thread``).
    """
    from helpers import data, train

    check_positive("num_epochs", num_epochs, integer=True)
    train_iter, test_iter = data.load_fashion_mnist(batch_size)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.zeros_(net[1].weight)
    nn.init.zeros_(net[1].bias)
    with torch.random.fork_rng(devices=[]), single_thread():
        torch.manual_seed(seed)  # the minibatch order
        history = train.train(net, train_iter, test_iter, num_epochs, lr=lr, verbose=verbose)
    return net, history
