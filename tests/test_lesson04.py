"""helpers.lesson04: predictions, confusion matrix and its plots; the exercise checks (solutions pass, wrong answers fail)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers import lesson04  # noqa: E402
from helpers.data import TensorBatches  # noqa: E402

PREDS = torch.tensor([0, 1, 2, 2, 0, 1, 6, 6, 0])
LABELS = torch.tensor([0, 1, 2, 0, 6, 1, 6, 0, 6])


# --------------------------------------------------------------------------- predictions and the confusion matrix


def test_confusion_matrix_counts_rows_true_columns_predicted():
    cm = lesson04.confusion_matrix(PREDS, LABELS, num_classes=7)
    assert cm.shape == (7, 7) and cm.dtype == torch.int64
    assert cm.sum() == len(LABELS)
    assert cm.diagonal().sum() == int((PREDS == LABELS).sum())
    assert cm[0, 2] == 1  # a 0 called 2
    assert cm[6, 0] == 2  # two 6s called 0
    assert cm[0, 6] == 1  # a 0 called 6
    assert cm[6, 6] == 1


def test_confusion_matrix_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    preds = torch.randint(0, 10, (500,), generator=g)
    labels = torch.randint(0, 10, (500,), generator=g)
    expected = torch.zeros(10, 10, dtype=torch.int64)
    for p, t in zip(preds.tolist(), labels.tolist()):
        expected[t, p] += 1
    assert torch.equal(lesson04.confusion_matrix(preds, labels), expected)
    assert lesson04.confusion_matrix(preds[:0], labels[:0]).sum() == 0


def test_per_class_accuracy_and_absent_class_is_nan():
    acc = lesson04.per_class_accuracy(PREDS, LABELS, num_classes=7)
    assert acc.shape == (7,) and acc.dtype == torch.float64
    assert acc[0].item() == pytest.approx(1 / 3)
    assert acc[1].item() == 1.0 and acc[2].item() == 1.0
    assert acc[6].item() == pytest.approx(1 / 3)
    assert torch.isnan(acc[3]) and torch.isnan(acc[5])


def test_top_confusions_largest_first_without_diagonal():
    cm = lesson04.confusion_matrix(PREDS, LABELS, num_classes=7)
    top = lesson04.top_confusions(cm, k=3)
    assert top[0] == (6, 0, 2)
    assert top[1:] == [(0, 2, 1), (0, 6, 1)]  # ties in row-major order
    assert all(t != p for t, p, _ in lesson04.top_confusions(cm, k=49))
    assert len(lesson04.top_confusions(cm, k=49)) == 42  # every off-diagonal cell, never a diagonal one
    assert lesson04.top_confusions(torch.tensor([[5]])) == []


def test_predict_returns_cpu_int64_in_order_and_restores_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(4, 3))
    X, y = torch.randn(10, 1, 2, 2), torch.randint(0, 3, (10,))
    net.train()
    preds, labels = lesson04.predict(net, TensorBatches(X, y, 4, shuffle=False))
    assert preds.dtype == labels.dtype == torch.int64 and preds.device.type == "cpu"
    assert torch.equal(labels, y)
    net.eval()
    assert torch.equal(preds, net(X).argmax(dim=1))  # predicted in eval mode (dropout off)
    net.train()
    lesson04.predict(net, [(X, y)])
    assert net.training


@pytest.mark.parametrize("call, match", [
    (lambda: lesson04.confusion_matrix(PREDS[:3], LABELS), "same length"),
    (lambda: lesson04.confusion_matrix(PREDS.reshape(3, 3), LABELS.reshape(3, 3)), r"\(n,\) class indices"),
    (lambda: lesson04.confusion_matrix(PREDS, LABELS, num_classes=5), r"0\.\.4"),
    (lambda: lesson04.confusion_matrix(PREDS, LABELS, num_classes=0), "num_classes=0"),
    (lambda: lesson04.per_class_accuracy(PREDS, LABELS, num_classes=True), "num_classes=True"),
])
def test_bad_input_is_refused_with_a_named_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_confusion_matrix_and_per_class_accuracy():
    cm = lesson04.confusion_matrix(PREDS, LABELS, num_classes=7)
    names = [f"c{i}" for i in range(7)]
    ax = lesson04.plot_confusion_matrix(cm, names)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert sorted(t.get_text() for t in ax.texts) == ["1"] * 5 + ["2"] * 2  # each nonzero cell, once
    ax = lesson04.plot_confusion_matrix(cm.numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in range(7)]
    acc = lesson04.per_class_accuracy(PREDS, LABELS, num_classes=7)
    ax = lesson04.plot_per_class_accuracy(acc[[0, 1, 2, 6]], ["a", "b", "c", "d"], overall=0.5)
    assert len(ax.patches) == 4
    assert ax.get_yticklabels()[0].get_text() in ("a", "d")  # worst first (bottom)
    assert [p.get_facecolor() for p in ax.patches][0] != [p.get_facecolor() for p in ax.patches][-1]  # red below 0.5
    with pytest.raises(ValueError, match="labels"):
        lesson04.plot_confusion_matrix(cm, names[:3])  # one name per class, or matplotlib refuses
    plt.close("all")


# --------------------------------------------------------------------------- exercise 1: class_accuracy


def solution_class_accuracy(cm):
    cm = cm.double()
    return cm.diagonal() / cm.sum(dim=1)


def test_class_accuracy_solution_passes(capsys):
    assert lesson04.check_class_accuracy(solution_class_accuracy) is True
    assert "✅" in capsys.readouterr().out


def test_class_accuracy_solution_agrees_with_per_class_accuracy():
    preds = torch.tensor([0, 1, 2, 2, 0, 1, 1, 0])
    labels = torch.tensor([0, 1, 2, 0, 2, 1, 0, 0])
    cm = lesson04.confusion_matrix(preds, labels, num_classes=3)
    assert torch.allclose(solution_class_accuracy(cm), lesson04.per_class_accuracy(preds, labels, num_classes=3))


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


def test_class_accuracy_right_on_one_matrix_only_fails(capsys):
    first = lesson04._TEST_MATRICES[0]
    fixed = solution_class_accuracy(first)
    assert lesson04.check_class_accuracy(lambda cm: fixed if cm.shape == first.shape else cm.diagonal()) is False
    assert "counts of correct" in capsys.readouterr().out


def test_class_accuracy_stub_that_raises_not_implemented(capsys):
    def stub(cm):
        raise NotImplementedError

    assert lesson04.check_class_accuracy(stub) is False
    assert "NotImplementedError" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercise 2: the width guess


def runs(acc_by_width):
    return {w: {"test_acc": [0.1, acc]} for w, acc in acc_by_width.items()}


WIDTH_RUNS = runs({4: 0.7246, 16: 0.7273, 64: 0.7697, 256: 0.8055})  # 8.1 points apart


def test_width_prediction_right_guess_passes(capsys):
    assert lesson04.check_width_prediction(8, WIDTH_RUNS) is True
    assert "8.1 points" in capsys.readouterr().out
    # the answer is read from the runs, not fixed in the check
    assert lesson04.check_width_prediction(40, runs({4: 0.40, 256: 0.82})) is True
    assert lesson04.check_width_prediction(1, runs({4: 0.80, 256: 0.81})) is True
    assert lesson04.check_width_prediction(8.0, WIDTH_RUNS) is True


@pytest.mark.parametrize("guess, hint", [
    (None, "set my_width_guess"),
    (5, "pick one of 1, 8, 40"),
    ("8", "write a number"),
    (True, "write a number"),
    (40, "only 8.1 points"),
    (1, "do cost accuracy"),
])
def test_width_prediction_wrong_guesses_fail_with_a_hint(guess, hint, capsys):
    assert lesson04.check_width_prediction(guess, WIDTH_RUNS) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and hint in out


# --------------------------------------------------------------------------- exercise 3: the best learning rate

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
    (0.3, "not one of the options"),
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
