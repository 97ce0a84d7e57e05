"""Checks for lesson 04 (training the note's MLP on Fashion-MNIST).

Each ``check_…`` prints ✅ or ❌ with a specific hint and returns a bool; none
of them raises on a stub or a wrong answer.
"""

from __future__ import annotations

import math

import torch

from helpers.checks import run_student_code, verdict


def _as_float_vector(value, q: int):
    """The student's answer as a float64 (q,) tensor, or None if it cannot be one."""
    try:
        t = torch.as_tensor(value, dtype=torch.float64).detach().cpu()
    except Exception:  # lists of strings, ragged lists, ...
        return None
    return t if t.shape == (q,) else None


# Confusion matrices to test on: rows true, columns predicted; row sums differ from column sums.
_TEST_MATRICES = (
    torch.tensor([[50, 3, 7], [10, 80, 10], [0, 5, 15]]),
    torch.tensor([[813, 2, 124, 61], [13, 844, 43, 100], [97, 112, 662, 129], [2, 113, 34, 851]]),
)


def check_class_accuracy(class_accuracy) -> bool:
    """``class_accuracy(cm)``: (q, q) counts, rows true -> (q,) fraction of each true class predicted right."""
    if not callable(class_accuracy):
        return verdict(False, "", f"class_accuracy should be a function of cm, got {type(class_accuracy).__name__}")
    for cm in _TEST_MATRICES:
        q = cm.shape[0]
        got, err = run_student_code(class_accuracy, cm.clone())
        if err:
            return verdict(False, "", f"class_accuracy(cm): {err}")
        if got is None:
            return verdict(False, "", "class_accuracy still returns None: return a (q,) tensor, one accuracy per true class (row)")
        vec = _as_float_vector(got, q)
        if vec is None:
            shape = tuple(got.shape) if hasattr(got, "shape") else type(got).__name__
            return verdict(False, "", f"class_accuracy returned {shape} for a {q}x{q} matrix; return one number per class, shape ({q},)")
        c = cm.double()
        want = c.diagonal() / c.sum(dim=1)
        if torch.allclose(vec, want, atol=1e-6):
            continue
        if torch.allclose(vec, c.diagonal() / c.sum(dim=0), atol=1e-6):
            hint = ("you divided by the column sums: that is the share of the model's *predictions* of each class "
                    "that were right (precision). Per-class accuracy divides by the row sums: all images truly of that class")
        elif torch.allclose(vec, c.diagonal() / c.sum(), atol=1e-6):
            hint = "you divided by the total number of images; divide each diagonal entry by its own row's sum"
        elif torch.allclose(vec, c.diagonal(), atol=1e-6):
            hint = "those are counts of correct answers; divide each by the number of images of that class (its row sum)"
        elif torch.allclose(vec, torch.div(cm.diagonal(), cm.sum(dim=1), rounding_mode="floor").double()):
            hint = "integer division rounded everything down to 0 or 1: convert to float first, e.g. cm.double()"
        elif torch.allclose(vec, 1 - want, atol=1e-6):
            hint = "that is the error rate per class; accuracy is the diagonal share of each row"
        else:
            hint = (f"for cm = {cm.tolist()} expected {[round(v, 4) for v in want.tolist()]}, "
                    f"got {[round(v, 4) for v in vec.tolist()]}; the diagonal holds the correct answers, each row one true class")
        return verdict(False, "", hint)
    return verdict(True, "class_accuracy(cm) = cm.diagonal() / cm.sum(dim=1), as metrics.per_class_accuracy computes", "")


def check_width_prediction(guess, width_runs: dict, options=(1, 8, 40)) -> bool:
    """``guess`` must be the option closest to how many test-accuracy points the narrowest net trails the widest.

    ``width_runs`` maps hidden widths to training histories (``test_acc`` lists).
    """
    widths = sorted(width_runs)
    narrow, wide = widths[0], widths[-1]
    gap = 100 * (width_runs[wide]["test_acc"][-1] - width_runs[narrow]["test_acc"][-1])
    nearest = min(options, key=lambda o: abs(o - gap))
    listed = ", ".join(f"{o:g}" for o in options)
    if guess is None:
        return verdict(False, "", f"set my_width_guess to one of {listed} (points of test accuracy)")
    if isinstance(guess, bool) or not isinstance(guess, (int, float)) or not any(math.isclose(guess, o) for o in options):
        return verdict(False, "", f"my_width_guess = {guess!r}: pick one of {listed}")
    if math.isclose(guess, nearest):
        return verdict(True, f"{narrow} hidden units trail {wide} by {gap:.1f} points of test accuracy after these epochs", "")
    if guess > gap:
        why = (f"the {narrow}-unit net trails by only {gap:.1f} points: even a bottleneck of {narrow} numbers "
               "keeps most of what tells the classes apart")
    else:
        why = f"the {narrow}-unit net trails by {gap:.1f} points: so few units do cost accuracy"
    return verdict(False, "", f"not quite: {why}. Set my_width_guess to the closest option")


def check_lr_prediction(guess, final_losses: dict) -> bool:
    """``guess`` must be the learning rate with the lowest final training loss in ``final_losses``.

    ``final_losses`` maps each tried learning rate to its last training loss,
    or to ``None`` / NaN where the run diverged (those can never be best).
    """
    finite = {lr: l for lr, l in final_losses.items()
              if l is not None and isinstance(l, (int, float)) and math.isfinite(l)}
    if not finite:
        return verdict(False, "", "every run diverged, so there is no best learning rate to guess; rerun the experiment cell")
    best = min(finite, key=finite.get)
    tried = ", ".join(f"{lr:g}" for lr in final_losses)
    if guess is None:
        return verdict(False, "", f"set my_best_lr to the learning rate you expect to win, one of {tried}")
    if isinstance(guess, bool) or not isinstance(guess, (int, float)):
        return verdict(False, "", f"my_best_lr = {guess!r}: write a number, one of {tried}")
    if not any(math.isclose(guess, lr) for lr in final_losses):
        return verdict(False, "", f"my_best_lr = {guess:g} was not tried; pick one of {tried}")
    if math.isclose(guess, best):
        return verdict(True, f"lr = {best:g} ended lowest (train loss {finite[best]:.4f})", "")
    lost = final_losses[[lr for lr in final_losses if math.isclose(guess, lr)][0]]
    if lost is None or not math.isfinite(lost):
        why = "that run diverged: a step so large that the loss overflowed to NaN"
    elif guess < best:
        why = (f"it ended at {lost:.4f}, above lr = {best:g}'s {finite[best]:.4f}: steps that small "
               "are stable but slow, and the epochs ran out")
    else:
        why = (f"it ended at {lost:.4f}, above lr = {best:g}'s {finite[best]:.4f}: steps that large "
               "overshoot the valley and bounce around it")
    return verdict(False, "", f"lr = {guess:g} did not win: {why}. Look at the curves above, then set my_best_lr again")
