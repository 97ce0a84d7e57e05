"""helpers.metrics (predictions, confusion matrix, mistakes) and their plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers import metrics, plot  # noqa: E402
from helpers.data import TensorBatches  # noqa: E402

PREDS = torch.tensor([0, 1, 2, 2, 0, 1, 6, 6, 0])
LABELS = torch.tensor([0, 1, 2, 0, 6, 1, 6, 0, 6])


def test_confusion_matrix_counts_rows_true_columns_predicted():
    cm = metrics.confusion_matrix(PREDS, LABELS, num_classes=7)
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
    cm = metrics.confusion_matrix(preds, labels)
    expected = torch.zeros(10, 10, dtype=torch.int64)
    for p, t in zip(preds.tolist(), labels.tolist()):
        expected[t, p] += 1
    assert torch.equal(cm, expected)


def test_per_class_accuracy_and_absent_class_is_nan():
    acc = metrics.per_class_accuracy(PREDS, LABELS, num_classes=7)
    assert acc.shape == (7,) and acc.dtype == torch.float64
    assert acc[0].item() == pytest.approx(1 / 3)
    assert acc[1].item() == 1.0 and acc[2].item() == 1.0
    assert acc[6].item() == pytest.approx(1 / 3)
    assert torch.isnan(acc[3]) and torch.isnan(acc[5])


def test_collect_mistakes_filters_by_cell():
    assert metrics.collect_mistakes(PREDS, LABELS, num_classes=7).tolist() == [3, 4, 7, 8]
    assert metrics.collect_mistakes(PREDS, LABELS, true_class=6, num_classes=7).tolist() == [4, 8]
    assert metrics.collect_mistakes(PREDS, LABELS, predicted_class=6, num_classes=7).tolist() == [7]
    assert metrics.collect_mistakes(PREDS, LABELS, true_class=6, predicted_class=0, num_classes=7).tolist() == [4, 8]
    assert metrics.collect_mistakes(PREDS, LABELS, limit=2, num_classes=7).tolist() == [3, 4]
    assert metrics.collect_mistakes(PREDS, LABELS, true_class=1, num_classes=7).tolist() == []


def test_top_confusions_largest_first_without_diagonal():
    cm = metrics.confusion_matrix(PREDS, LABELS, num_classes=7)
    top = metrics.top_confusions(cm, k=3)
    assert top[0] == (6, 0, 2)
    assert {top[1], top[2]} == {(0, 2, 1), (0, 6, 1)}
    assert all(t != p for t, p, _ in metrics.top_confusions(cm, k=49))
    assert metrics.top_confusions(torch.tensor([[5]])) == []


def test_predict_returns_cpu_int64_in_order_and_restores_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    X, y = torch.randn(10, 1, 2, 2), torch.randint(0, 3, (10,))
    net.train()
    preds, labels = metrics.predict(net, TensorBatches(X, y, 4, shuffle=False))
    assert preds.dtype == labels.dtype == torch.int64 and preds.device.type == "cpu"
    assert torch.equal(labels, y)
    assert torch.equal(preds, net(X).argmax(dim=1))
    assert net.training


@pytest.mark.parametrize("call, match", [
    (lambda: metrics.confusion_matrix(PREDS.float(), LABELS), "dtype"),
    (lambda: metrics.confusion_matrix(PREDS[:3], LABELS), "must match"),
    (lambda: metrics.confusion_matrix(PREDS.reshape(3, 3), LABELS.reshape(3, 3)), "1-D"),
    (lambda: metrics.confusion_matrix(PREDS, LABELS, num_classes=5), "0..4"),
    (lambda: metrics.confusion_matrix(PREDS - 1, LABELS), "0..9"),
    (lambda: metrics.confusion_matrix(PREDS.tolist(), LABELS), "torch.Tensor"),
    (lambda: metrics.confusion_matrix(PREDS, LABELS, num_classes=0), "num_classes=0"),
    (lambda: metrics.per_class_accuracy(PREDS, LABELS, num_classes=True), "num_classes=True"),
    (lambda: metrics.collect_mistakes(PREDS, LABELS, true_class=10), "true_class=10"),
    (lambda: metrics.collect_mistakes(PREDS, LABELS, predicted_class=-1), "predicted_class=-1"),
    (lambda: metrics.collect_mistakes(PREDS, LABELS, true_class=2, predicted_class=2), "not mistakes"),
    (lambda: metrics.collect_mistakes(PREDS, LABELS, limit=-1), "limit=-1"),
    (lambda: metrics.top_confusions(torch.zeros(3, 4)), "square"),
    (lambda: metrics.top_confusions(torch.zeros(3, 3), k=0), "k=0"),
    (lambda: metrics.predict(nn.Linear(2, 2), []), "no batches"),
])
def test_bad_input_is_refused_with_a_named_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_confusion_matrix_and_per_class_accuracy():
    cm = metrics.confusion_matrix(PREDS, LABELS, num_classes=7)
    names = [f"c{i}" for i in range(7)]
    ax = plot.plot_confusion_matrix(cm, names)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert any(t.get_text() == "2" for t in ax.texts)  # the (6, 0) count is written
    acc = metrics.per_class_accuracy(PREDS, LABELS, num_classes=7)
    ax = plot.plot_per_class_accuracy(acc[[0, 1, 2, 6]], ["a", "b", "c", "d"], overall=0.5)
    assert len(ax.patches) == 4
    assert ax.get_yticklabels()[0].get_text() in ("a", "d")  # worst first (bottom)
    with pytest.raises(ValueError, match="class_names"):
        plot.plot_confusion_matrix(cm, names[:3])
    with pytest.raises(ValueError, match="square"):
        plot.plot_confusion_matrix(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="1-D"):
        plot.plot_per_class_accuracy(torch.zeros(2, 2))
    plt.close("all")
