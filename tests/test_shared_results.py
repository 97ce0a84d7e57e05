"""tools/shared_results.py: a training call made again with the same code and inputs is reused with every
side effect of the first, and a call that differs in anything that decides its result is trained again."""

import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import data, train

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import shared_results  # noqa: E402
sys.path.pop(0)


def wrapped(folder, cells):
    """A fresh 'kernel' whose helpers.train-like module has its train and train_grid shared via ``folder``."""
    module = types.SimpleNamespace(train=train.train, train_grid=train.train_grid)
    shared = shared_results.Shared(folder)
    for cell in cells:  # the cells the kernel has run, comments included; the last is the current one
        shared.start_cell(cell)
    shared.wrap(module, "train")
    shared.wrap(module, "train_grid", replay_callback=True)
    return module


def run(module, lr=0.5, seed=0, **kwargs):
    """What a lesson cell does: seed, build, train with momentum and a cosine schedule; everything it left."""
    torch.manual_seed(seed)
    X, y = torch.randn(96, 1, 28, 28), torch.randint(0, 10, (96,))
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3)
    net.eval()                                # train switches it to training mode
    history = module.train(net, data.TensorBatches(X, y, 32, shuffle=True), (X, y), 3, optimizer=optimizer,
                           scheduler=scheduler, device="cpu", **kwargs)
    return {"history": history, "weights": [p.detach().clone() for p in net.parameters()],
            "grads": [p.grad.clone() for p in net.parameters()], "modes": [m.training for m in net.modules()],
            "momentum": [optimizer.state[p]["momentum_buffer"].clone() for p in net.parameters()],
            "lr": optimizer.param_groups[0]["lr"], "scheduler": scheduler.state_dict(),
            "after": torch.rand(3)}  # the generator's state after the call


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if k != "epoch_time")
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return torch.equal(a, b) if torch.is_tensor(a) else a == b


def verdicts(folder):
    return [line.split("\t")[0] for line in (folder / "log.txt").read_text().splitlines()]


def test_the_same_call_is_reused_with_every_side_effect(tmp_path, capsys):
    cells = ["import torch  # 中文注释", "history = train.train(net, ...)"]
    first = run(wrapped(tmp_path, cells))
    printed = capsys.readouterr().out
    cells_zh = ["import torch  # a comment in the other language", "history = train.train(net, ...)"]
    again = run(wrapped(tmp_path, cells_zh))
    assert verdicts(tmp_path) == ["computed", "reused"]
    assert capsys.readouterr().out == printed and printed.count("Epoch") == 3
    assert same(first, again)
    assert first["history"]["epoch_time"] == again["history"]["epoch_time"]   # the stored run, not a new one


@pytest.mark.parametrize("change", ["code", "lr", "seed", "order"])
def test_a_call_that_differs_in_what_decides_its_result_is_trained_again(tmp_path, change):
    cells = ["x = 1", "history = train.train(net, ...)"]
    first = run(wrapped(tmp_path, cells))
    module = wrapped(tmp_path, ["x = 2", cells[1]] if change == "code" else cells)
    if change == "order":
        module.train_grid([0.0], [0.0], (torch.randn(8, 784), torch.randint(0, 10, (8,))), {}, 1, num_hiddens=4)
    again = run(module, lr=0.4 if change == "lr" else 0.5, seed=1 if change == "seed" else 0)
    assert verdicts(tmp_path)[-1] == "computed"
    assert not same(first["weights"], again["weights"]) or change in ("code", "order")


def test_train_with_a_callback_is_not_shared_and_train_grid_replays_its_callback(tmp_path):
    seen = []
    run(wrapped(tmp_path, ["cell"]), callback=lambda epoch, net, history: seen.append(epoch))
    assert seen == [1, 2, 3] and verdicts(tmp_path) == ["unshared"]
    grid_set = (torch.randn(40, 784), torch.randint(0, 10, (40,)))
    results = []
    for _ in range(2):
        epochs = []
        results.append(wrapped(tmp_path, ["grid"]).train_grid([0.0, 0.1], [0.0, 0.5], grid_set, {"train": grid_set}, 2,
                                                             num_hiddens=8, callback=epochs.append))
        assert epochs == [1, 2]
    assert verdicts(tmp_path)[1:] == ["computed", "reused"]
    assert same(results[0], results[1])
    assert shared_results.summary(tmp_path) == "1 computed, 1 reused, 1 unshared"


def test_an_argument_without_a_fingerprint_runs_unshared(tmp_path):
    class Loader:  # not a helpers.data batcher: its batches cannot be told apart from another's
        def __iter__(self):
            yield torch.randn(4, 784), torch.randint(0, 10, (4,))
    net = nn.Sequential(nn.Linear(784, 10))
    history = wrapped(tmp_path, ["cell"]).train(net, Loader(), num_epochs=1, lr=0.1, device="cpu", verbose=False)
    assert len(history["train_loss"]) == 1
    line = (tmp_path / "log.txt").read_text()
    assert line.startswith("unshared") and "Loader" in line
