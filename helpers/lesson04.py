"""Used in lesson 04 (training the note's MLP): what the trained model gets right and wrong. Section 5 ("Prediction")
calls ``predict``, ``per_class_accuracy``, ``plot_per_class_accuracy``, ``confusion_matrix``, ``plot_confusion_matrix``
and ``top_confusions``; section 7 (exercises) the three ``check_…``. Training is train.train."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.runtime import check_int, run_student_code, tr, tr_fig, verdict


@torch.no_grad()
def predict(net: torch.nn.Module, batches) -> tuple[torch.Tensor, torch.Tensor]:
    """``(preds, labels)``, (n,) int64 on the CPU, in order: ``net(X).argmax(dim=1)`` in eval mode, and ``y``."""
    dev, was_training = next(net.parameters()).device, net.training
    pairs = [(net.eval()(X.to(dev)).argmax(dim=1).cpu(), y.cpu()) for X, y in batches]
    net.train(was_training)
    return torch.cat([p for p, _ in pairs]).long(), torch.cat([y for _, y in pairs]).long()


def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """(q, q) int64 counts: ``cm[i, j]`` = examples of true class i predicted as j; ``cm.sum() == n``."""
    q = check_int("num_classes", num_classes)
    if preds.dim() != 1 or preds.shape != labels.shape:
        raise ValueError(f"preds {tuple(preds.shape)} and labels {tuple(labels.shape)} must both be (n,) class "
                         "indices, of the same length; for (n, q) scores take .argmax(dim=1) first")
    if len(labels) and max(int(preds.max()), int(labels.max())) >= q:
        raise ValueError(f"class indices must lie in 0..{q - 1} (num_classes={q})")
    flat = labels.cpu().long() * q + preds.cpu().long()
    return torch.bincount(flat, minlength=q * q).reshape(q, q)


def per_class_accuracy(preds: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """(q,) float64: the share of each true class predicted right; NaN for a class absent from ``labels``."""
    cm = confusion_matrix(preds, labels, num_classes).double()
    return cm.diagonal() / cm.sum(dim=1)


def top_confusions(cm: torch.Tensor, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells of (q, q) ``cm``: ``(true, predicted, count)``, largest first."""
    off = cm.detach().cpu().long().clone().fill_diagonal_(-1)
    counts, cells = off.flatten().sort(descending=True, stable=True)
    rows, cols = torch.unravel_index(cells, off.shape)
    return [(int(i), int(j), int(c)) for i, j, c in zip(rows[:k], cols[:k], counts[:k]) if c >= 0]


def plot_confusion_matrix(cm, class_names=None, ax=None, title: str | None = None):
    """Draw ``cm`` ((q, q) counts, rows true), counts in the cells, coloured by share of the row; returns the axes."""
    cm = np.asarray(torch.as_tensor(cm).detach().cpu())
    q, names = len(cm), class_names if class_names is not None else range(len(cm))
    ax = ax if ax is not None else plt.subplots(figsize=(0.62 * q + 2.2, 0.55 * q + 1.6))[1]
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    off = np.ma.masked_where(eye := np.eye(q, dtype=bool), frac)
    worst = float(off.max()) if off.count() else 0.0
    ax.imshow(np.ma.masked_where(~eye, frac), cmap="Greens", vmin=0, vmax=1)
    ax.imshow(off, cmap="Reds", vmin=0, vmax=max(worst, 1e-9) * 1.25)
    for i, j in zip(*np.nonzero(cm)):
        dark = frac[i, j] > (0.6 if i == j else 0.6 * worst)
        ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(q), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(q), names, fontsize=8)
    ax.set(xlabel=tr_fig("predicted class"), ylabel=tr_fig("true class"))
    ax.set_title(title or tr_fig("confusion matrix (rows: true, columns: predicted)"), fontsize=10)
    return ax


def plot_per_class_accuracy(acc, class_names=None, ax=None, title: str | None = None, overall: float | None = None):
    """Bars of ``acc`` ((q,) shares in [0, 1]), worst at the bottom, red below ``overall``; returns the axes."""
    acc = np.asarray(torch.as_tensor(acc).detach().cpu(), dtype=float)
    names = list(class_names) if class_names is not None else range(len(acc))
    ax = ax if ax is not None else plt.subplots(figsize=(5, 0.3 * len(acc) + 1.0))[1]
    order = np.argsort(acc)
    bars = ax.barh(range(len(acc)), acc[order], color=["C3" if a < (overall or 0) else "C0" for a in acc[order]])
    ax.set_yticks(range(len(acc)), [names[i] for i in order], fontsize=8)
    ax.bar_label(bars, fmt="%.3f", padding=2, fontsize=7)
    if overall is not None:
        ax.axvline(overall, color="k", ls="--", lw=1, label=tr_fig("overall {a:.3f}", a=overall))
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xlim=(0, 1.08), xlabel=tr_fig("accuracy on the test set"))
    ax.set_title(title or tr_fig("accuracy per class"), fontsize=10)
    return ax


# --------------------------------------------------------------------------- exercise checks

# Confusion matrices to test on (row sums differ from column sums), and wrong turns with their hints.
_TEST_MATRICES = (torch.tensor([[50, 3, 7], [10, 80, 10], [0, 5, 15]]),
                  torch.tensor([[813, 2, 124, 61], [13, 844, 43, 100], [97, 112, 662, 129], [2, 113, 34, 851]]))
_WRONG_TURNS = lambda: (  # noqa: E731 - the hints in the lessons' language
    (lambda c: c.diagonal() / c.sum(dim=0), tr("you divided by the column sums: that is the share of the model's "
     "*predictions* of each class that were right (precision). Per-class accuracy divides by the row sums: all "
     "images truly of that class")),
    (lambda c: c.diagonal() / c.sum(), tr("you divided by the total number of images; divide each diagonal entry by "
     "its own row's sum")),
    (lambda c: c.diagonal(), tr("those are counts of correct answers; divide each by the number of images of that "
     "class (its row sum)")),
    (lambda c: torch.floor(c.diagonal() / c.sum(dim=1)), tr("integer division rounded everything down to 0 or 1: "
     "convert to float first, e.g. cm.double()")),
    (lambda c: 1 - c.diagonal() / c.sum(dim=1), tr("that is the error rate per class; accuracy is the diagonal share "
     "of each row")),
)


def check_class_accuracy(class_accuracy) -> bool:
    """``class_accuracy(cm)``: (q, q) counts, rows true -> (q,) share of each true class predicted right."""
    if not callable(class_accuracy):
        return verdict(False, "", tr("class_accuracy should be a function of cm, got {t}",
                                     t=type(class_accuracy).__name__))
    for cm in _TEST_MATRICES:
        q, c, hint = len(cm), cm.double(), None
        got, err = run_student_code(class_accuracy, cm.clone())
        vec = run_student_code(lambda: torch.as_tensor(got, dtype=torch.float64).detach().cpu())[0]  # None: not numbers
        want = c.diagonal() / c.sum(dim=1)
        if err:
            hint = f"class_accuracy(cm): {err}"
        elif got is None:
            hint = tr("class_accuracy still returns None: return a (q,) tensor, one accuracy per true class (row)")
        elif vec is None or vec.shape != (q,):
            shape = tuple(got.shape) if hasattr(got, "shape") else type(got).__name__
            hint = tr("class_accuracy returned {s} for a {q}x{q} matrix; return one number per class, shape ({q},)",
                      s=shape, q=q)
        elif not torch.allclose(vec, want, atol=1e-6):
            hint = next((h for turn, h in _WRONG_TURNS() if torch.allclose(vec, turn(c), atol=1e-6)), None) or tr(
                "for cm = {cm} expected {want}, got {got}; the diagonal holds the correct answers, each row a true "
                "class", cm=cm.tolist(), want=[round(v, 4) for v in want.tolist()],
                got=[round(v, 4) for v in vec.tolist()])
        if hint:
            return verdict(False, "", hint)
    return verdict(True, tr("class_accuracy(cm) = cm.diagonal() / cm.sum(dim=1), the bars of section 5"), "")


def _pick(name: str, guess, options, unit: str):
    """A hint if ``guess`` is not one of ``options``, else None."""
    listed = ", ".join(f"{o:g}" for o in options)
    if guess is None:
        return tr("set {name} to one of {listed}{unit}", name=name, listed=listed, unit=unit)
    if isinstance(guess, bool) or not isinstance(guess, (int, float)):
        return tr("{name} = {guess!r}: write a number, one of {listed}", name=name, guess=guess, listed=listed)
    if not any(math.isclose(guess, o) for o in options):
        return tr("{name} = {guess:g} is not one of the options; pick one of {listed}", name=name, guess=guess,
                  listed=listed)
    return None


def check_width_prediction(guess, width_runs: dict, options=(1, 8, 40)) -> bool:
    """``guess``: the option nearest to the test-accuracy points the narrowest net of ``width_runs`` (width ->
    history) trails the widest by, read from those runs."""
    narrow, wide = min(width_runs), max(width_runs)
    gap = 100 * (width_runs[wide]["test_acc"][-1] - width_runs[narrow]["test_acc"][-1])
    if hint := _pick("my_width_guess", guess, options, tr(" (points of test accuracy)")):
        return verdict(False, "", hint)
    if math.isclose(guess, min(options, key=lambda o: abs(o - gap))):
        return verdict(True, tr("{n} hidden units trail {w} by {gap:.1f} points of test accuracy here", n=narrow,
                                w=wide, gap=gap), "")
    return verdict(False, "", tr("not quite: the {n}-unit net trails by only {gap:.1f} points: even a bottleneck of "
                                 "{n} numbers keeps most of what tells the classes apart. Set my_width_guess to the "
                                 "closest option" if guess > gap else "not quite: the {n}-unit net trails by {gap:.1f} "
                                 "points: so few units do cost accuracy. Set my_width_guess to the closest option",
                                 n=narrow, gap=gap))


def check_lr_prediction(guess, final_losses: dict) -> bool:
    """``guess``: the lr with the lowest final training loss in ``final_losses`` (lr -> loss; None/NaN: diverged)."""
    finite = {lr: l for lr, l in final_losses.items() if isinstance(l, (int, float)) and math.isfinite(l)}
    if not finite:
        return verdict(False, "", tr("every run diverged, so no learning rate won; rerun the experiment cell"))
    best = min(finite, key=finite.get)
    if hint := _pick("my_best_lr", guess, tuple(final_losses), ""):
        return verdict(False, "", hint)
    if math.isclose(guess, best):
        return verdict(True, tr("lr = {best:g} ended lowest (train loss {loss:.4f})", best=best, loss=finite[best]), "")
    tried = next(lr for lr in final_losses if math.isclose(guess, lr))
    why = tr("that run diverged: a step so large that the loss overflowed to NaN") if tried not in finite else tr(
        "it ended at {ended:.4f}, above lr = {best:g}'s {loss:.4f}: steps that small are stable but slow, and the "
        "epochs ran out" if guess < best else "it ended at {ended:.4f}, above lr = {best:g}'s {loss:.4f}: steps that "
        "large overshoot the valley and bounce around it", ended=finite[tried], best=best, loss=finite[best])
    return verdict(False, "", tr("lr = {guess:g} did not win: {why}. Look at the curves above, then set my_best_lr "
                                 "again", guess=guess, why=why))
