"""Checks for lesson 04 (training the note's MLP on Fashion-MNIST).

Each ``check_…`` prints ✅ or ❌ with a specific hint and returns a bool; none
of them raises on a stub or a wrong answer.
"""

from __future__ import annotations

import math

from torch import nn

from helpers.checks import run_student_code, verdict

WIDTHS = (1, 16, 256, 1000)


def _true_num_params(num_hiddens: int) -> int:
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, num_hiddens), nn.ReLU(), nn.Linear(num_hiddens, 10))
    return sum(p.numel() for p in net.parameters())


def check_num_params(num_params) -> bool:
    """``num_params(num_hiddens)`` must count every weight and bias of the note's 784-h-10 MLP."""
    if not callable(num_params):
        return verdict(False, "", f"num_params should be a function of num_hiddens, got {type(num_params).__name__}")
    for h in WIDTHS:
        got, err = run_student_code(num_params, h)
        if err:
            return verdict(False, "", f"num_params({h}): {err}")
        if got is None:
            return verdict(False, "", "num_params still returns None: return the number of weights and biases "
                                      "of Linear(784, h) and Linear(h, 10) as an int")
        if isinstance(got, bool) or not isinstance(got, (int, float)) or not math.isfinite(got):
            return verdict(False, "", f"num_params({h}) returned {got!r}; return a plain number (an int)")
        want = _true_num_params(h)
        if got == want:
            continue
        if got == 784 * h + h * 10:
            hint = (f"num_params({h}) = {got}: you counted the weights only; each Linear layer also has "
                    "one bias per output unit (h of them, then 10)")
        elif got == 784 * h + h:
            hint = f"num_params({h}) = {got}: that is the first layer only; add Linear(h, 10): 10·h weights + 10 biases"
        elif got == 784 * h + h * 10 + 10 or got == 784 * h + h * 10 + h:
            hint = f"num_params({h}) = {got}: one layer's biases are missing; the first has h biases, the second 10"
        else:
            hint = (f"num_params({h}) = {got}, expected {want}; a Linear(n_in, n_out) layer holds "
                    "n_in·n_out weights plus n_out biases")
        return verdict(False, "", hint)
    return verdict(True, f"num_params(h) = 795·h + 10 (num_params(256) = {_true_num_params(256):,}), "
                         "matching sum(p.numel() for p in net.parameters())", "")


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
