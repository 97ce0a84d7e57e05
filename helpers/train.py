"""Accuracy, evaluation and the training loop the lessons share.

The loop is the note's loop (per-example losses, ``l.mean().backward()``, one
optimizer step per minibatch), plus what a lesson needs around it: test
accuracy every epoch, a history dict, a live curve, and a clear stop when the
loss turns NaN.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterable

import torch
from torch import nn

HISTORY_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc", "epoch_time")


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


def check_positive(name: str, value, integer: bool = False):
    """Return ``value`` if it is a positive number (an int when ``integer``), else raise ValueError naming it."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0 or (
            not integer and not math.isfinite(value)):
        what = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name}={value!r} must be {what}")
    return value


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions, as in the note (divide by ``len(y)`` for a rate).

    ``y_hat``: (n, q) scores or (n,) predicted classes; ``y``: (n,) int64 labels.
    """
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return float((y_hat.type(y.dtype) == y).sum())


def _model_device(net: nn.Module) -> torch.device:
    for p in net.parameters():
        return p.device
    return torch.device("cpu")


@torch.no_grad()
def evaluate(net: nn.Module, data_iter: Iterable, loss: Callable | None = None) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``net`` over ``data_iter`` in eval mode.

    ``loss`` defaults to cross-entropy. The net's train/eval mode is restored.
    """
    loss = loss if loss is not None else nn.CrossEntropyLoss(reduction="none")
    dev = _model_device(net)
    was_training = net.training
    net.eval()
    total_loss = torch.zeros((), device=dev)
    correct = torch.zeros((), device=dev)
    n = 0
    try:
        for X, y in data_iter:
            X, y = X.to(dev), y.to(dev)
            y_hat = net(X)
            l = loss(y_hat, y)
            total_loss += l.sum() if l.dim() > 0 else l * len(y)
            correct += (y_hat.argmax(dim=1) == y).sum()
            n += len(y)
    finally:
        net.train(was_training)
    if n == 0:
        raise ValueError("data_iter yielded no examples; cannot evaluate on an empty set")
    return float(total_loss) / n, float(correct) / n


def evaluate_accuracy(net: nn.Module, data_iter: Iterable) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``."""
    return evaluate(net, data_iter)[1]


def init_normal(module: nn.Module, std: float = 0.01) -> None:
    """The note's ``init_weights``: Linear weights ~ N(0, std²), biases left at PyTorch's default."""
    if type(module) == nn.Linear:  # noqa: E721 - the note's exact test
        nn.init.normal_(module.weight, std=std)


def train(net: nn.Module, train_iter: Iterable, test_iter: Iterable | None, num_epochs: int,
          lr: float | None = None, optimizer: torch.optim.Optimizer | None = None,
          loss: Callable | None = None, penalty: Callable[[], torch.Tensor] | None = None,
          device: torch.device | str | None = None, verbose: bool = True, live_plot: bool = False,
          on_epoch_end: Callable[[int, nn.Module, dict], None] | None = None) -> dict:
    """Train ``net`` and return its history.

    - ``optimizer`` defaults to ``torch.optim.SGD(net.parameters(), lr=lr)``.
    - ``loss`` defaults to ``nn.CrossEntropyLoss(reduction='none')``; the
      objective of each step is ``loss(...).mean()`` (+ ``penalty()`` when given,
      e.g. ``lambda: lambd * l2_penalty(W)``). Reported losses are the data loss.
    - ``device`` defaults to ``helpers.device()``; the net is moved there and
      every batch follows it.
    - ``verbose`` prints one line per epoch in the note's format, with test accuracy.
    - ``live_plot`` redraws loss and accuracy curves in the notebook every epoch.
    - ``on_epoch_end(epoch, net, history)`` may record extra lists in ``history``.

    Returns a dict of per-epoch lists: ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc`` (the test lists stay empty without ``test_iter``)
    and ``epoch_time`` in seconds. Raises TrainingDiverged naming the epoch and
    learning rate when the loss becomes NaN or infinite.
    """
    from helpers.runtime import device as pick_device

    check_positive("num_epochs", num_epochs, integer=True)
    if optimizer is None:
        if lr is None:
            raise ValueError("lr=None: give a learning rate (e.g. lr=0.1) or an optimizer")
        check_positive("lr", lr)
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    elif lr is not None:
        raise ValueError("give either lr or optimizer, not both (the optimizer carries its own lr)")
    loss = loss if loss is not None else nn.CrossEntropyLoss(reduction="none")
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    net.to(dev)
    lr_text = ", ".join(f"{g['lr']:g}" for g in optimizer.param_groups)
    history: dict = {key: [] for key in HISTORY_KEYS}
    plot = None
    if live_plot:
        from helpers.plot import LiveCurves
        plot = LiveCurves(num_epochs)

    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        net.train()
        total_loss = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev)
        n = 0
        for X, y in train_iter:
            X, y = X.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            y_hat = net(X)
            l = loss(y_hat, y)
            objective = l.mean() if l.dim() > 0 else l
            if penalty is not None:
                objective = objective + penalty()
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            with torch.no_grad():
                total_loss += l.detach().sum() if l.dim() > 0 else l.detach() * len(y)
                correct += (y_hat.argmax(dim=1) == y).sum()
            n += len(y)
        if n == 0:
            raise ValueError("train_iter yielded no examples; cannot train on an empty set")
        train_loss = float(total_loss) / n
        if not math.isfinite(train_loss):
            raise TrainingDiverged(
                f"the training loss became {train_loss} in epoch {epoch} of {num_epochs} with lr={lr_text}; "
                "the weights have blown up. Lower the learning rate (e.g. divide it by 10) and train again."
            )
        history["train_loss"].append(train_loss)
        history["train_acc"].append(float(correct) / n)
        if test_iter is not None:
            test_loss, test_acc = evaluate(net, test_iter, loss)
            history["test_loss"].append(test_loss)
            history["test_acc"].append(test_acc)
        history["epoch_time"].append(time.perf_counter() - start)
        if on_epoch_end is not None:
            on_epoch_end(epoch, net, history)
        if verbose:
            print(format_epoch(epoch, num_epochs, history))
        if plot is not None:
            plot.update(history)
    if plot is not None:
        plot.close()
    return history


def format_epoch(epoch: int, num_epochs: int, history: dict) -> str:
    """One line in the note's format: ``Epoch 1/50, Train Loss: 1.0378, Train Acc: 0.6438, Test Acc: …``."""
    i = epoch - 1
    line = (f"Epoch {epoch}/{num_epochs}, Train Loss: {history['train_loss'][i]:.4f}, "
            f"Train Acc: {history['train_acc'][i]:.4f}")
    if history.get("test_acc"):
        line += f", Test Acc: {history['test_acc'][i]:.4f}"
    return line
