"""What a trained classifier gets right and wrong: predictions, confusion matrix, mistakes.

All functions take predicted and true class indices as 1-D integer tensors of
the same length (``preds``, ``labels``: (n,) int64, values in 0..num_classes-1)
and return CPU tensors or plain Python values, so they work the same whatever
device the model trained on.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn


def _check_num_classes(num_classes) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
        raise ValueError(f"num_classes={num_classes!r} must be a positive integer, e.g. 10")
    return num_classes


def _check_classes(preds, labels, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate a pair of class-index vectors; return them as int64 CPU tensors."""
    num_classes = _check_num_classes(num_classes)
    checked = []
    for name, value in (("preds", preds), ("labels", labels)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor of class indices, got {type(value).__name__}")
        if value.dim() != 1:
            raise ValueError(f"{name} must be 1-D (n,) class indices, got shape {tuple(value.shape)}; "
                             "for scores of shape (n, q) take .argmax(dim=1) first")
        if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool:
            raise ValueError(f"{name} must hold integer class indices, got dtype {value.dtype}")
        value = value.detach().to("cpu", torch.int64)
        if len(value) and (int(value.min()) < 0 or int(value.max()) >= num_classes):
            raise ValueError(f"{name} holds values in [{int(value.min())}, {int(value.max())}]; "
                             f"class indices must lie in 0..{num_classes - 1} (num_classes={num_classes})")
        checked.append(value)
    if len(checked[0]) != len(checked[1]):
        raise ValueError(f"preds has {len(checked[0])} entries but labels has {len(checked[1])}; they must match")
    return checked[0], checked[1]


def _check_class(name: str, value, num_classes: int):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < num_classes:
        raise ValueError(f"{name}={value!r} must be None or a class index in 0..{num_classes - 1}")
    return value


def _model_device(net: nn.Module) -> torch.device:
    for p in net.parameters():
        return p.device
    return torch.device("cpu")


@torch.no_grad()
def predict(net: nn.Module, data_iter: Iterable) -> tuple[torch.Tensor, torch.Tensor]:
    """``(preds, labels)`` of ``net`` over ``data_iter``, both (n,) int64 on the CPU.

    ``data_iter`` yields ``(X, y)`` batches (any device; X is moved to the net's
    device). The net runs in eval mode; its train/eval mode is restored after.
    ``preds`` is ``net(X).argmax(dim=1)``, in the order the batches come.
    """
    dev = _model_device(net)
    was_training = net.training
    net.eval()
    preds, labels = [], []
    try:
        for X, y in data_iter:
            preds.append(net(X.to(dev)).argmax(dim=1).cpu())
            labels.append(y.cpu())
    finally:
        net.train(was_training)
    if not preds:
        raise ValueError("data_iter yielded no batches; there is nothing to predict")
    return torch.cat(preds).long(), torch.cat(labels).long()


def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Counts of (true class, predicted class): (num_classes, num_classes) int64.

    Row ``i`` is the true class, column ``j`` the predicted one, so ``cm[i, j]``
    is how many examples of class ``i`` were called ``j``; the diagonal holds the
    correct ones and ``cm.sum() == n``.
    """
    preds, labels = _check_classes(preds, labels, num_classes)
    flat = labels * num_classes + preds
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(preds: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Fraction of each true class predicted correctly: (num_classes,) float64 in [0, 1].

    A class with no examples in ``labels`` gets NaN (its accuracy is undefined).
    """
    cm = confusion_matrix(preds, labels, num_classes).double()
    return cm.diagonal() / cm.sum(dim=1)  # 0/0 -> NaN for absent classes


def collect_mistakes(preds: torch.Tensor, labels: torch.Tensor, true_class: int | None = None,
                     predicted_class: int | None = None, limit: int | None = None,
                     num_classes: int = 10) -> torch.Tensor:
    """Indices of the wrong predictions: (k,) int64, in increasing order.

    ``true_class`` / ``predicted_class`` narrow them to one row / column of the
    confusion matrix (both: one cell, e.g. shirts called t-shirts); ``limit``
    keeps the first ``limit`` indices. Index the data with them:
    ``X_test[idx]``. Asking for ``true_class == predicted_class`` is refused,
    since those are not mistakes.
    """
    preds, labels = _check_classes(preds, labels, num_classes)
    true_class = _check_class("true_class", true_class, num_classes)
    predicted_class = _check_class("predicted_class", predicted_class, num_classes)
    if true_class is not None and true_class == predicted_class:
        raise ValueError(f"true_class and predicted_class are both {true_class}: those are correct "
                         "predictions, not mistakes; pick two different classes")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit={limit!r} must be None or a non-negative integer")
    wrong = preds != labels
    if true_class is not None:
        wrong &= labels == true_class
    if predicted_class is not None:
        wrong &= preds == predicted_class
    idx = wrong.nonzero().flatten()
    return idx if limit is None else idx[:limit]


def top_confusions(cm: torch.Tensor, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells of a confusion matrix, largest first.

    ``cm``: (q, q) counts, rows true, columns predicted. Returns a list of
    ``(true_class, predicted_class, count)``; ties keep row-major order.
    """
    if not isinstance(cm, torch.Tensor) or cm.dim() != 2 or cm.shape[0] != cm.shape[1]:
        shape = tuple(cm.shape) if isinstance(cm, torch.Tensor) else type(cm).__name__
        raise ValueError(f"cm must be a square (q, q) tensor of counts, got {shape}")
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise ValueError(f"k={k!r} must be a positive integer")
    q = cm.shape[0]
    off = cm.detach().cpu().clone().long()
    off.fill_diagonal_(-1)
    flat = off.flatten()
    order = sorted(range(q * q), key=lambda i: (-int(flat[i]), i))
    cells = [i for i in order if int(flat[i]) >= 0][:k]
    return [(i // q, i % q, int(flat[i])) for i in cells]
