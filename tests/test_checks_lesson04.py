"""Lesson 04's exercise checks: the solution passes, wrong answers and stubs fail with a hint, nothing raises."""

import math

import pytest

from helpers.checks import lesson04


def solution_num_params(num_hiddens):
    return 784 * num_hiddens + num_hiddens + num_hiddens * 10 + 10


def test_num_params_solution_passes(capsys):
    assert lesson04.check_num_params(solution_num_params) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda h: None, "returns None"),
    (lambda h: 784 * h + 10 * h, "weights only"),
    (lambda h: 784 * h + h, "first layer only"),
    (lambda h: 784 * h + 10 * h + 10, "biases are missing"),
    (lambda h: 784 * 256 + 256 + 2570, "expected"),  # right only for h = 256
    (lambda h: 1 / 0, "ZeroDivisionError"),
    (lambda h: "203530", "plain number"),
    (lambda h: float("nan"), "plain number"),
    (42, "should be a function"),
])
def test_num_params_wrong_answers_fail_with_a_hint(wrong, hint, capsys):
    assert lesson04.check_num_params(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and hint in out


def test_num_params_stub_that_raises_not_implemented(capsys):
    def stub(h):
        raise NotImplementedError

    assert lesson04.check_num_params(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out


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
