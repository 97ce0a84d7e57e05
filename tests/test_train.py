"""helpers.train.train refuses bad settings and stops clearly when the loss turns NaN."""

import pytest
import torch
from torch import nn

from helpers import data, train
from helpers.data import TensorBatches


def tiny_problem(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 2, 2, generator=g)
    y = (X.flatten(1).sum(dim=1) > 0).long()
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    return net, TensorBatches(X, y, 16, shuffle=True), TensorBatches(X, y, 16, shuffle=False)


@pytest.mark.parametrize("num_epochs", [0, -1, 2.5, True, None])
def test_refuses_bad_num_epochs(num_epochs):
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match=r"num_epochs=.*positive integer"):
        train.train(net, tr, te, num_epochs, lr=0.1, device="cpu", verbose=False)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1"])
def test_refuses_bad_lr(lr):
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match=r"lr=.*positive finite number"):
        train.train(net, tr, te, 1, lr=lr, device="cpu", verbose=False)


def test_refuses_missing_or_doubled_learning_rate():
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match="lr=None"):
        train.train(net, tr, te, 1, device="cpu", verbose=False)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="either lr or optimizer"):
        train.train(net, tr, te, 1, lr=0.1, optimizer=opt, device="cpu", verbose=False)


@pytest.mark.parametrize("batch_size", [0, -256, 2.0, True])
def test_loaders_refuse_bad_batch_size(batch_size):
    X, y = torch.zeros(8, 1, 2, 2), torch.zeros(8, dtype=torch.long)
    with pytest.raises(ValueError, match=r"batch_size=.*positive integer"):
        TensorBatches(X, y, batch_size, shuffle=False)
    with pytest.raises(ValueError, match=r"batch_size=.*positive integer"):
        data.load_fashion_mnist(batch_size)  # refused before any data is read


def test_nan_loss_stops_in_that_epoch_naming_epoch_and_lr(capsys):
    net, tr, te = tiny_problem()
    base = nn.CrossEntropyLoss(reduction="none")
    calls = {"n": 0}
    per_epoch = len(tr)

    def loss_turning_nan(y_hat, y):  # fine in epoch 1, NaN from the first batch of epoch 2
        calls["n"] += 1
        l = base(y_hat, y)
        return l * float("nan") if calls["n"] > per_epoch and torch.is_grad_enabled() else l

    with pytest.raises(train.TrainingDiverged) as info:
        train.train(net, tr, te, 5, lr=0.25, loss=loss_turning_nan, device="cpu")
    message = str(info.value)
    assert "epoch 2 of 5" in message and "lr=0.25" in message and "nan" in message
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("Epoch 1/5, Train Loss: ")
    assert "nan" not in printed[0].lower()
    assert isinstance(info.value, FloatingPointError)


def test_exploding_learning_rate_is_reported_not_printed_as_nan(capsys):
    net, tr, te = tiny_problem()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(1e3)  # huge weights: one step at a huge lr overflows to inf, then NaN
    with pytest.raises(train.TrainingDiverged, match=r"epoch 1 of 3 with lr=1e\+30"):
        train.train(net, tr, te, 3, lr=1e30, device="cpu")
    assert "Epoch" not in capsys.readouterr().out


def test_history_has_one_entry_per_epoch_and_the_notes_format(capsys):
    net, tr, te = tiny_problem()
    history = train.train(net, tr, te, 3, lr=0.5, device="cpu")
    assert set(history) == set(train.HISTORY_KEYS)
    assert all(len(history[k]) == 3 for k in train.HISTORY_KEYS)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == train.format_epoch(1, 3, history)
    assert lines[-1].startswith("Epoch 3/3, Train Loss: ") and ", Test Acc: " in lines[-1]
    assert history["train_loss"][-1] < history["train_loss"][0]
