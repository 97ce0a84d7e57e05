"""helpers.train.train: the note's loop in epochs, the step-budget mode (any optimizer, L-BFGS too), bad settings, NaN."""

import math

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


@pytest.mark.parametrize("num_epochs", [0, -1, 2.5, True])
def test_refuses_bad_num_epochs(num_epochs):
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match=r"num_epochs=.* must be an integer >= 1"):
        train.train(net, tr, te, num_epochs, lr=0.1, device="cpu", verbose=False)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1"])
def test_refuses_bad_lr(lr):
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match=r"lr=.* must be a finite number and > 0"):
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
    with pytest.raises(ValueError, match=r"batch_size=.* must be an integer >= 1"):
        TensorBatches(X, y, batch_size, shuffle=False)
    with pytest.raises(ValueError, match=r"batch_size=.* must be an integer >= 1"):
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


def test_a_budget_in_epochs_or_in_steps_never_both_nor_neither():
    net, tr, te = tiny_problem()
    with pytest.raises(ValueError, match="give a budget"):
        train.train(net, tr, te, lr=0.1, device="cpu", verbose=False)
    with pytest.raises(ValueError, match="not both"):
        train.train(net, tr, te, 1, lr=0.1, num_steps=5, device="cpu", verbose=False)


def test_callback_runs_after_every_epoch_and_may_add_a_list():
    net, tr, te = tiny_problem()
    seen = []

    def callback(epoch, model, history):
        seen.append((epoch, len(history["train_loss"]), model is net))
        history.setdefault("norm", []).append(train.weight_norm(model))

    history = train.train(net, tr, te, 3, lr=0.1, device="cpu", verbose=False, callback=callback)
    assert seen == [(1, 1, True), (2, 2, True), (3, 3, True)] and len(history["norm"]) == 3


def test_a_scheduler_steps_after_every_epoch_and_only_with_an_epoch_budget():
    net, tr, te = tiny_problem()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    lrs = []
    train.train(net, tr, te, 3, optimizer=optimizer, scheduler=scheduler, device="cpu", verbose=False,
                callback=lambda epoch, model, history: lrs.append(optimizer.param_groups[0]["lr"]))
    assert lrs == pytest.approx([0.05, 0.025, 0.0125])   # epoch 1 trains at 0.1, then halves after each epoch
    with pytest.raises(ValueError, match="once per epoch"):
        train.train(net, tr, te, optimizer=optimizer, scheduler=scheduler, num_steps=5, device="cpu")


def test_the_loop_is_the_notes_loop_step_for_step():
    # train.train (optimizer.step(closure)) and the note's written-out loop give the same weights.
    net, tr, te = tiny_problem()
    twin, _, _ = tiny_problem()
    torch.manual_seed(1)
    train.train(net, tr, None, 2, lr=0.3, device="cpu", verbose=False)
    torch.manual_seed(1)
    loss, trainer = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(twin.parameters(), lr=0.3)
    for _ in range(2):
        for X, y in tr:
            l = loss(twin(X), y)
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), twin.parameters()))


def test_one_epoch_equals_a_plain_loop_over_indexed_batches():
    # What the fast path (index_select batches, running totals kept on the device) may not change: one epoch of
    # train.train equals the note's loop over X[idx] batches of torch's permutation, weights bit for bit.
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(300, 1, 6, 6, generator=g), torch.randint(0, 4, (300,), generator=g)
    torch.manual_seed(0)
    fast = train.mlp(32, num_inputs=36, num_outputs=4)
    torch.manual_seed(0)
    plain = train.mlp(32, num_inputs=36, num_outputs=4)
    torch.manual_seed(1)
    history = train.train(fast, TensorBatches(X, y, 64, shuffle=True), None, 1, lr=0.1, device="cpu", verbose=False)
    torch.manual_seed(1)
    loss, trainer = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(plain.parameters(), lr=0.1)
    order, total_loss, correct = torch.randperm(300), 0.0, 0
    for start in range(0, 300, 64):  # four batches of 64, then 44
        X_batch, y_batch = X[order[start:start + 64]], y[order[start:start + 64]]
        y_hat = plain(X_batch)
        l = loss(y_hat, y_batch)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        total_loss += float(l.detach().sum())
        correct += int((y_hat.argmax(dim=1) == y_batch).sum())
    assert all(torch.equal(a, b) for a, b in zip(fast.parameters(), plain.parameters()))
    assert history["train_acc"] == [correct / 300]
    assert history["train_loss"][0] == pytest.approx(total_loss / 300, rel=1e-6)


# --------------------------------------------------------------------------- steps mode


def regression_problem(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.linspace(-2, 2, n).unsqueeze(1)
    y = torch.sin(2 * X) + 0.05 * torch.randn(n, 1, generator=g)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)), X, y


def test_steps_mode_records_at_0_every_n_and_the_end():
    net, tr, te = tiny_problem()
    points = []
    history = train.train(net, tr, num_steps=10, eval_every=4, lr=0.5, device="cpu",
                          eval_sets={"train": tr, "val": te}, callback=lambda s, m, h: points.append(s))
    assert history["step"] == [0, 4, 8, 10] and points == [0, 4, 8, 10]
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert len(history[key]) == 4
    assert len(history["loss"]) == 10 and history["seconds"] > 0  # one objective evaluation per SGD step
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert all(0 <= a <= 1 for a in history["val_acc"])
    # without eval_every: only the start and the end
    assert train.train(net, tr, num_steps=3, lr=0.1, device="cpu")["step"] == [0, 3]


def test_steps_mode_cycles_through_the_batches_in_eval_mode():
    net, tr, te = tiny_problem()
    net = nn.Sequential(*net[:3], nn.Dropout(0.5), net[3])
    history = train.train(net, tr, num_steps=len(tr) * 3 + 1, eval_every=len(tr), lr=0.1, device="cpu",
                          eval_sets={"test": te})
    assert history["step"] == [0, 4, 8, 12, 13]
    loss, acc = train.evaluate(net, te)  # eval mode: dropout off, so the same numbers again
    assert history["test_loss"][-1] == pytest.approx(loss) and history["test_acc"][-1] == pytest.approx(acc)
    assert net.training  # the net is left in training mode


def test_steps_mode_full_batch_regression_has_nan_accuracy():
    net, X, y = regression_problem()
    history = train.train(net, (X, y), num_steps=200, eval_every=100, optimizer=torch.optim.Adam(net.parameters(), 0.02),
                          loss=nn.MSELoss(reduction="none"), device="cpu", eval_sets={"train": (X, y)})
    assert history["step"] == [0, 100, 200]
    assert all(math.isnan(a) for a in history["train_acc"])
    assert history["train_loss"][-1] < 0.2 * history["train_loss"][0]
    assert history["loss"][0] == pytest.approx(history["train_loss"][0])  # the data loss before the first step


def test_lbfgs_through_the_closure_one_step_many_iterations():
    net, X, y = regression_problem()
    lbfgs = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=100, line_search_fn="strong_wolfe")
    history = train.train(net, (X, y), num_steps=1, optimizer=lbfgs, loss=nn.MSELoss(reduction="none"),
                          device="cpu", eval_sets={"train": (X, y)})
    assert history["step"] == [0, 1]
    assert len(history["loss"]) > 10  # L-BFGS evaluated the objective many times within its one step
    assert history["train_loss"][-1] < 0.05 * history["train_loss"][0]
    assert history["train_loss"][-1] == pytest.approx(min(history["loss"]), rel=0.05)


def test_steps_mode_adds_the_penalty_to_the_objective_only():
    net, X, y = regression_problem()
    w = net[0].weight
    history = train.train(net, (X, y), num_steps=50, optimizer=torch.optim.SGD(net.parameters(), lr=0.05),
                          loss=nn.MSELoss(reduction="none"), penalty=lambda: 10.0 * (w ** 2).sum(),
                          device="cpu", eval_sets={"train": (X, y)})
    assert float((w.detach() ** 2).sum()) < 0.1  # the heavy penalty shrank the weights
    assert history["loss"][-1] == pytest.approx(history["train_loss"][-1], rel=0.1)  # data loss, penalty excluded


def test_steps_mode_divergence_names_the_step_and_lr():
    net, tr, te = tiny_problem()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(1e3)
    with pytest.raises(train.TrainingDiverged, match=r"by step 2 of 9 with lr=1e\+30"):
        train.train(net, tr, num_steps=9, eval_every=2, lr=1e30, device="cpu")


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_steps=0), r"num_steps=0 must be an integer >= 1"),
    (dict(num_steps=5, eval_every=0), r"eval_every=0 must be an integer >= 1"),
    (dict(num_steps=2.0), r"num_steps=2.0 must be an integer"),
])
def test_steps_mode_refuses_bad_budgets(kwargs, match):
    net, tr, _ = tiny_problem()
    with pytest.raises(ValueError, match=match):
        train.train(net, tr, lr=0.1, device="cpu", **kwargs)


def test_empty_training_data_is_refused():
    net, _, _ = tiny_problem()
    with pytest.raises(ValueError, match="no examples"):
        train.train(net, [], num_steps=3, lr=0.1, device="cpu")
    with pytest.raises(ValueError, match="no examples"):
        train.train(net, [], None, 1, lr=0.1, device="cpu", verbose=False)


def test_mlp_builds_the_notes_net_and_variants():
    torch.manual_seed(0)
    net = train.mlp()
    assert [type(m) for m in net] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert net[1].weight.std().item() == pytest.approx(0.01, rel=0.05)
    deep = train.mlp((32, 16), activation="tanh", dropout=(0.5, 0.0), flatten=False)
    assert [type(m) for m in deep] == [nn.Linear, nn.Tanh, nn.Dropout, nn.Linear, nn.Tanh, nn.Linear]
    assert len(train.mlp(())) == 2  # Flatten → Linear: softmax regression
    with pytest.raises(ValueError, match="activation='swish'"):
        train.mlp(activation="swish")
    with pytest.raises(ValueError, match="2 rates for 1 hidden layers"):
        train.mlp(8, dropout=(0.1, 0.2))
