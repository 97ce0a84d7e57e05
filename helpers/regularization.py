"""The training runs behind lessons 06 (weight decay) and 07 (dropout).

Both explorers retrain a small MLP on a fixed subset of Fashion-MNIST each time
a slider moves, so a run must take well under a second. These functions do one
such run and return its history:

- ``train_with_weight_decay(lambd, ...)``: the note's objective (1),
  L(w, b) + λ/2 ‖w‖², with λ applied to the weight matrices only (through the
  optimizer's ``weight_decay`` on a parameter group of weights; biases get 0);
  the history gains ``weight_norm``, ‖W‖ after each epoch.
- ``train_with_dropout(dropout, ...)``: the same kind of net with ``nn.Dropout``
  after each hidden layer.

Every run is seeded (``seed``) inside ``torch.random.fork_rng``, so two runs
that differ only in λ (or p) start from the same weights and see the same
minibatches, and the caller's random state is left as it was.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn

from helpers import data, train
from helpers.runtime import single_thread

# The explorers' defaults: small enough for a fast answer, big enough to overfit.
# The explorers' runs: a few hundred training images and small batches, so that
# without regularization the training loss heads for 0 while the test loss turns
# up, yet a run takes well under a second on one CPU thread. Momentum keeps the
# curves smooth.
WD_DEFAULTS = dict(num_epochs=60, n_train=300, n_test=1000, num_hiddens=(128,), lr=0.05, momentum=0.9,
                   batch_size=50, init_std=0.01)
DROPOUT_DEFAULTS = dict(num_epochs=40, n_train=300, n_test=500, num_hiddens=(256, 256), lr=0.03, momentum=0.9,
                        batch_size=50, init_std=None)


# --------------------------------------------------------------------------- validation


def _is_real(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def check_lambd(lambd) -> float:
    """Return ``lambd`` as a float if it is a finite number ≥ 0, else raise ValueError naming it."""
    if not _is_real(lambd) or lambd < 0:
        raise ValueError(f"lambd={lambd!r} must be a finite number >= 0 (λ = 0 means no weight decay)")
    return float(lambd)


def check_dropout(dropout, name: str = "dropout") -> float:
    """Return ``dropout`` as a float if it is a probability in [0, 1], else raise ValueError naming it."""
    if not _is_real(dropout) or not 0 <= dropout <= 1:
        raise ValueError(f"{name}={dropout!r} must be a probability in [0, 1] (the chance of zeroing a unit)")
    return float(dropout)


def _check_hiddens(num_hiddens) -> tuple[int, ...]:
    sizes = (num_hiddens,) if isinstance(num_hiddens, int) and not isinstance(num_hiddens, bool) else num_hiddens
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if not sizes or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in sizes):
        raise ValueError(f"num_hiddens={num_hiddens!r} must be a positive int or a non-empty tuple of them")
    return sizes


# --------------------------------------------------------------------------- data, net, norm


@lru_cache(maxsize=8)
def _subset_cpu(n_train: int, n_test: int, seed: int):
    X_train, y_train, X_test, y_test = data.fashion_mnist_tensors()
    gen = torch.Generator().manual_seed(seed)
    train_idx = torch.randperm(len(X_train), generator=gen)[:n_train]
    test_idx = torch.randperm(len(X_test), generator=gen)[:n_test]
    return (X_train[train_idx].reshape(n_train, -1).contiguous(), y_train[train_idx],
            X_test[test_idx].reshape(n_test, -1).contiguous(), y_test[test_idx])


def fashion_subset(n_train: int, n_test: int, seed: int = 0, device=None):
    """A fixed random subset of Fashion-MNIST, flattened: ``(X_train, y_train, X_test, y_test)``.

    X: (n, 784) float32 in [0, 1]; y: (n,) int64. The same ``seed`` gives the
    same images every time (kept in memory after the first call).
    ``n_train`` ≤ 60000 and ``n_test`` ≤ 10000.
    """
    train.check_positive("n_train", n_train, integer=True)
    train.check_positive("n_test", n_test, integer=True)
    if n_train > 60000:
        raise ValueError(f"n_train={n_train!r} is larger than the 60000 training images")
    if n_test > 10000:
        raise ValueError(f"n_test={n_test!r} is larger than the 10000 test images")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    return tuple(t.to(dev) for t in _subset_cpu(n_train, n_test, seed))


def mlp(num_hiddens=(256,), dropout=0.0, num_inputs: int = 784, num_outputs: int = 10) -> nn.Sequential:
    """Flatten → [Linear → ReLU → Dropout(p)] per hidden layer → Linear.

    ``num_hiddens``: an int or a tuple of hidden widths; ``dropout``: one rate
    for every hidden layer or a tuple with one rate per hidden layer (0 leaves
    the Dropout layer out). Input (n, 784) or (n, 1, 28, 28); output (n, 10) scores.
    """
    sizes = _check_hiddens(num_hiddens)
    rates = dropout if isinstance(dropout, (tuple, list)) else (dropout,) * len(sizes)
    if len(rates) != len(sizes):
        raise ValueError(f"dropout={dropout!r} gives {len(rates)} rates for {len(sizes)} hidden layers")
    rates = [check_dropout(p) for p in rates]
    layers: list[nn.Module] = [nn.Flatten()]
    width = num_inputs
    for size, p in zip(sizes, rates):
        layers += [nn.Linear(width, size), nn.ReLU()]
        if p > 0:
            layers.append(nn.Dropout(p))
        width = size
    layers.append(nn.Linear(width, num_outputs))
    return nn.Sequential(*layers)


def weight_norm(net: nn.Module) -> float:
    """‖W‖: the Euclidean norm of all weight matrices together, sqrt(Σ_l ‖W⁽ˡ⁾‖²); biases excluded."""
    with torch.no_grad():
        total = sum(float((p ** 2).sum()) for p in net.parameters() if p.dim() > 1)
    return math.sqrt(total)


def weight_groups(net: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups: weight matrices decayed by ``weight_decay``, biases not."""
    weights = [p for p in net.parameters() if p.dim() > 1]
    others = [p for p in net.parameters() if p.dim() <= 1]
    return [{"params": weights, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


# --------------------------------------------------------------------------- runs


def _run(*, num_hiddens, dropout, weight_decay: float, num_epochs: int, n_train: int, n_test: int, lr: float,
         momentum: float, batch_size: int, init_std, seed: int, device, verbose: bool) -> dict:
    """Build ``mlp(num_hiddens, dropout)`` and train it with seeded minibatch SGD; ‖W‖ recorded.

    Weight decay applies to the weight matrices only.
    """
    train.check_positive("lr", lr)
    train.check_positive("num_epochs", num_epochs, integer=True)
    train.check_positive("batch_size", batch_size, integer=True)
    if init_std is not None:
        train.check_positive("init_std", init_std)
    if not _is_real(momentum) or not 0 <= momentum < 1:
        raise ValueError(f"momentum={momentum!r} must be a number in [0, 1)")
    from helpers.runtime import device as pick_device

    dev = pick_device(device) if not isinstance(device, torch.device) else device
    X_train, y_train, X_test, y_test = fashion_subset(n_train, n_test, seed=0, device=dev)
    with torch.random.fork_rng(devices=[]), single_thread(dev):
        torch.manual_seed(seed)
        net = mlp(num_hiddens, dropout)  # PyTorch's default initialization, from the seeded generator
        if init_std is not None:
            net.apply(lambda module: train.init_normal(module, std=init_std))
        train_iter = data.TensorBatches(X_train, y_train, batch_size, shuffle=True)
        test_iter = data.TensorBatches(X_test, y_test, 1000, shuffle=False)
        optimizer = torch.optim.SGD(weight_groups(net, weight_decay), lr=lr, momentum=momentum)

        def record_norm(epoch, model, history):
            history.setdefault("weight_norm", []).append(weight_norm(model))

        return train.train(net, train_iter, test_iter, num_epochs, optimizer=optimizer, device=dev,
                           verbose=verbose, on_epoch_end=record_norm)


def train_with_weight_decay(lambd: float, num_epochs: int = WD_DEFAULTS["num_epochs"],
                            n_train: int = WD_DEFAULTS["n_train"], n_test: int = WD_DEFAULTS["n_test"],
                            num_hiddens=WD_DEFAULTS["num_hiddens"], lr: float = WD_DEFAULTS["lr"],
                            batch_size: int = WD_DEFAULTS["batch_size"], init_std=WD_DEFAULTS["init_std"],
                            momentum: float = WD_DEFAULTS["momentum"], seed: int = 0, device=None,
                            verbose: bool = False) -> dict:
    """Train an MLP with weight decay λ = ``lambd`` on a Fashion-MNIST subset; return its history.

    Minibatch SGD on the note's objective (1), L(w, b) + λ/2 ‖w‖², written as
    the optimizer's ``weight_decay=lambd`` on the weight matrices only (the
    gradient of λ/2 ‖w‖² is λw; biases are not decayed). ``lambd`` must be a
    finite number ≥ 0 (0 is plain training). By default: 784-128-10 with the
    note's N(0, 0.01²) weights (``init_std``; None keeps PyTorch's default),
    300 training images, 60 epochs of batches of 50, lr 0.05 with momentum
    0.9: enough for λ = 0 to overfit. Test: 1000 images. The subsets are the
    start of a fixed random permutation, so every run sees the same images.

    Returns a dict of per-epoch lists: ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc``, ``weight_norm`` (‖W‖ after the epoch, see
    ``weight_norm``) and ``epoch_time``.
    """
    lambd = check_lambd(lambd)
    return _run(num_hiddens=num_hiddens, dropout=0.0, weight_decay=lambd, num_epochs=num_epochs, n_train=n_train,
                n_test=n_test, lr=lr, momentum=momentum, batch_size=batch_size, init_std=init_std, seed=seed,
                device=device, verbose=verbose)


def train_with_dropout(dropout, num_epochs: int = DROPOUT_DEFAULTS["num_epochs"],
                       n_train: int = DROPOUT_DEFAULTS["n_train"], n_test: int = DROPOUT_DEFAULTS["n_test"],
                       num_hiddens=DROPOUT_DEFAULTS["num_hiddens"], lr: float = DROPOUT_DEFAULTS["lr"],
                       batch_size: int = DROPOUT_DEFAULTS["batch_size"], init_std=DROPOUT_DEFAULTS["init_std"],
                       momentum: float = DROPOUT_DEFAULTS["momentum"], lambd: float = 0.0, seed: int = 0,
                       device=None, verbose: bool = False) -> dict:
    """Train an MLP with dropout rate ``dropout`` after every hidden layer; return its history.

    ``dropout`` is a probability in [0, 1] (or a tuple, one per hidden layer):
    during training each hidden unit is zeroed with that probability and the
    survivors are scaled by 1/(1 − p); the test set is evaluated in eval mode,
    without dropout. By default: d2l's 784-256-256-10 with PyTorch's default
    initialization, 300 training images, 40 epochs of batches of 50, lr 0.03
    with momentum 0.9: enough for p = 0 to overfit. Test: 500 images.
    ``lambd`` optionally adds weight decay (on the weights only).

    Returns a dict of per-epoch lists: ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc``, ``weight_norm`` and ``epoch_time``. The train
    numbers are those the loop sees, with dropout on.
    """
    rates = dropout if isinstance(dropout, (tuple, list)) else (dropout,)
    for p in rates:
        check_dropout(p)
    lambd = check_lambd(lambd)
    return _run(num_hiddens=num_hiddens, dropout=dropout, weight_decay=lambd, num_epochs=num_epochs, n_train=n_train,
                n_test=n_test, lr=lr, momentum=momentum, batch_size=batch_size, init_std=init_std, seed=seed,
                device=device, verbose=verbose)
