"""Lesson 04's exercise checks: the solution passes, wrong answers and stubs fail with a hint, nothing raises."""

import math

import pytest
import torch

from helpers import metrics
from helpers.checks import lesson04


def solution_class_accuracy(cm):
    cm = cm.double()
    return cm.diagonal() / cm.sum(dim=1)


def test_class_accuracy_solution_passes(capsys):
    assert lesson04.check_class_accuracy(solution_class_accuracy) is True
    assert "✅" in capsys.readouterr().out


def test_class_accuracy_solution_agrees_with_metrics():
    preds = torch.tensor([0, 1, 2, 2, 0, 1, 1, 0])
    labels = torch.tensor([0, 1, 2, 0, 2, 1, 0, 0])
    cm = metrics.confusion_matrix(preds, labels, num_classes=3)
    assert torch.allclose(solution_class_accuracy(cm), metrics.per_class_accuracy(preds, labels, num_classes=3))


@pytest.mark.parametrize("wrong, hint", [
    (lambda cm: None, "returns None"),
    (lambda cm: cm.diagonal() / cm.sum(dim=0), "precision"),
    (lambda cm: cm.diagonal() / cm.sum(), "total number"),
    (lambda cm: cm.diagonal(), "counts of correct"),
    (lambda cm: cm.diagonal() // cm.sum(dim=1), "integer division"),
    (lambda cm: 1 - cm.diagonal() / cm.sum(dim=1), "error rate"),
    (lambda cm: cm.double() / cm.sum(dim=1, keepdim=True), "shape (3,)"),
    (lambda cm: cm.diagonal().tolist()[:1], "shape (3,)"),
    (lambda cm: torch.ones(cm.shape[0]) * 0.5, "expected"),
    (lambda cm: ["a"] * cm.shape[0], "shape (3,)"),
    (lambda cm: 1 / 0, "ZeroDivisionError"),
    (42, "should be a function"),
])
def test_class_accuracy_wrong_answers_fail_with_a_hint(wrong, hint, capsys):
    assert lesson04.check_class_accuracy(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and hint in out


def test_class_accuracy_stub_that_raises_not_implemented(capsys):
    def stub(cm):
        raise NotImplementedError

    assert lesson04.check_class_accuracy(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out


def runs(acc_by_width):
    return {w: {"test_acc": [0.1, acc]} for w, acc in acc_by_width.items()}


WIDTH_RUNS = runs({4: 0.7246, 16: 0.7273, 64: 0.7697, 256: 0.8055})  # 8.1 points apart


def test_width_prediction_right_guess_passes(capsys):
    assert lesson04.check_width_prediction(8, WIDTH_RUNS) is True
    assert "8.1 points" in capsys.readouterr().out
    # the answer is read from the runs, not fixed in the check
    assert lesson04.check_width_prediction(40, runs({4: 0.40, 256: 0.82})) is True
    assert lesson04.check_width_prediction(1, runs({4: 0.80, 256: 0.81})) is True


@pytest.mark.parametrize("guess, hint", [
    (None, "set my_width_guess"),
    (5, "pick one of 1, 8, 40"),
    ("8", "pick one of"),
    (True, "pick one of"),
    (40, "only 8.1 points"),
    (1, "do cost accuracy"),
])
def test_width_prediction_wrong_guesses_fail_with_a_hint(guess, hint, capsys):
    assert lesson04.check_width_prediction(guess, WIDTH_RUNS) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and hint in out


RESULTS = {0.01: 1.20, 0.1: 0.62, 0.5: 0.48, 50: None}


def test_lr_prediction_right_guess_passes(capsys):
    assert lesson04.check_lr_prediction(0.5, RESULTS) is True
    assert "✅" in capsys.readouterr().out
    # the winner is read from the results, not fixed in the check
    assert lesson04.check_lr_prediction(0.1, {0.01: 1.2, 0.1: 0.5, 0.5: 0.9, 50: math.nan}) is True


@pytest.mark.parametrize("guess, hint", [
    (None, "set my_best_lr"),
    ("0.5", "write a number"),
    (True, "write a number"),
    (0.3, "was not tried"),
    (0.01, "small"),
    (0.1, "small"),
    (50, "diverged"),
])
def test_lr_prediction_wrong_guesses_fail_with_a_hint(guess, hint, capsys):
    assert lesson04.check_lr_prediction(guess, RESULTS) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and hint in out


def test_lr_prediction_too_large_but_finite(capsys):
    assert lesson04.check_lr_prediction(0.5, {0.1: 0.4, 0.5: 0.9}) is False
    assert "overshoot" in capsys.readouterr().out


def test_lr_prediction_when_everything_diverged(capsys):
    assert lesson04.check_lr_prediction(0.1, {0.1: None, 1.0: math.nan}) is False
    assert "every run diverged" in capsys.readouterr().out
