"""Training on a subset of Fashion-MNIST and measuring the gap to held-out data (lesson 05).

The note's third factor, the number of training examples, as an experiment:
train the note's MLP (784-256-10, ReLU, weights ~ N(0, 0.01²), SGD lr 0.1) on
the first ``n_train`` images of a fixed shuffle of the training file, and
measure the loss on those images and on a validation set of ``n_val`` other
training images (never in any subset, so it is data the net has not seen).

Every run takes the same number of SGD steps (``num_steps`` minibatches of
``batch_size``), whatever ``n_train`` is: the runs cost the same, and differ
only in how many distinct examples they see. Subsets are nested (the
100-image subset is the first 100 of the 1000-image one). Runs are seeded
inside ``torch.random.fork_rng``, so they repeat exactly and leave the caller's
random state alone. On the CPU a run uses one thread (restored afterwards).
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

from helpers import data, train
from helpers.runtime import single_thread

NUM_TRAIN_IMAGES = 60000
DEFAULTS = dict(num_steps=300, n_val=1000, num_hiddens=256, lr=0.1, batch_size=64, eval_every=25)
# At most this many subset images are used to measure the training loss (an unbiased estimate).
MAX_TRAIN_EVAL = 500


def _check_int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be an integer in [{low}, {high}]")
    return value


def check_n_train(n_train, n_val: int = DEFAULTS["n_val"], name: str = "n_train") -> int:
    """``n_train`` if it is an int in [1, 60000 − n_val] (the images left after validation), else ValueError."""
    _check_int("n_val", n_val, 1, 10000)
    return _check_int(name, n_train, 1, NUM_TRAIN_IMAGES - n_val)


@lru_cache(maxsize=4)
def _split_cpu(n_val: int, seed: int):
    X, y, _, _ = data.fashion_mnist_tensors()
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    X = X.reshape(len(X), -1)
    val, pool = order[:n_val], order[n_val:]
    return X[pool].contiguous(), y[pool], X[val].contiguous(), y[val]


def fashion_split(n_train: int, n_val: int = DEFAULTS["n_val"], seed: int = 0, device=None):
    """``(X_train, y_train, X_val, y_val)`` from Fashion-MNIST's training file, disjoint.

    X: (n, 784) float32 in [0, 1]; y: (n,) int64. The validation set is the first
    ``n_val`` images of a fixed shuffle (``seed``), the training set the next
    ``n_train``; so the same ``seed`` always gives the same, nested subsets.
    ``n_val`` in [1, 10000]; ``n_train`` in [1, 60000 − n_val].
    """
    check_n_train(n_train, n_val)
    X_pool, y_pool, X_val, y_val = _split_cpu(n_val, seed)
    dev = torch.device(device) if device is not None else torch.device("cpu")
    return (X_pool[:n_train].to(dev), y_pool[:n_train].to(dev), X_val.to(dev), y_val.to(dev))


def mlp(num_hiddens: int = DEFAULTS["num_hiddens"]) -> nn.Sequential:
    """The note's net with ``num_hiddens`` hidden units: (n, 784) or (n, 1, 28, 28) → (n, 10) scores."""
    train.check_positive("num_hiddens", num_hiddens, integer=True)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, num_hiddens), nn.ReLU(), nn.Linear(num_hiddens, 10))
    net.apply(train.init_normal)
    return net


def train_on_subset(n_train: int, num_steps: int = DEFAULTS["num_steps"], n_val: int = DEFAULTS["n_val"],
                    num_hiddens: int = DEFAULTS["num_hiddens"], lr: float = DEFAULTS["lr"],
                    batch_size: int = DEFAULTS["batch_size"], eval_every: int = DEFAULTS["eval_every"],
                    seed: int = 0, device=None) -> dict:
    """Train the note's MLP on ``n_train`` Fashion-MNIST images; return its curves.

    ``num_steps`` SGD steps on minibatches of min(``batch_size``, n_train)
    images (reshuffled every pass), losses measured in eval mode every
    ``eval_every`` steps and at the end. ``n_train`` must be in [1, 60000 − n_val].

    Returns a dict: ``step`` (list of ints, 0 … num_steps), per checkpoint the
    lists ``train_loss``, ``val_loss`` (mean cross-entropy), ``train_acc``,
    ``val_acc``; and ``n_train``, ``epochs`` (passes over the subset),
    ``gap`` (final val_loss − train_loss) and ``seconds`` (wall time).
    """
    import time

    from helpers.runtime import device as pick_device

    train.check_positive("num_steps", num_steps, integer=True)
    train.check_positive("lr", lr)
    train.check_positive("batch_size", batch_size, integer=True)
    train.check_positive("eval_every", eval_every, integer=True)
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    X, y, X_val, y_val = fashion_split(n_train, n_val, device=dev)
    measure_train = [(X[:MAX_TRAIN_EVAL], y[:MAX_TRAIN_EVAL])]
    measure_val = [(X_val, y_val)]
    start = time.perf_counter()
    history: dict = {"step": [], "train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}

    def record(step, net):
        train_loss, train_acc = train.evaluate(net, measure_train)
        val_loss, val_acc = train.evaluate(net, measure_val)
        for key, value in zip(history, (step, train_loss, val_loss, train_acc, val_acc)):
            history[key].append(value)

    with torch.random.fork_rng(devices=[]), single_thread(dev):
        torch.manual_seed(seed)
        net = mlp(num_hiddens).to(dev)
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        loss = nn.CrossEntropyLoss()
        batches = data.TensorBatches(X, y, min(batch_size, n_train), shuffle=True)
        record(0, net)
        step = 0
        while step < num_steps:
            for X_batch, y_batch in batches:
                l = loss(net(X_batch), y_batch)
                optimizer.zero_grad()
                l.backward()
                optimizer.step()
                step += 1
                if step % eval_every == 0 or step == num_steps:
                    record(step, net)
                if step == num_steps:
                    break
    if not all(torch.isfinite(torch.tensor(history["train_loss"]))):
        raise train.TrainingDiverged(f"the training loss became NaN or infinite with lr={lr}; lower it")
    history.update(n_train=n_train, batch_size=min(batch_size, n_train),
                   epochs=num_steps / len(batches),
                   gap=history["val_loss"][-1] - history["train_loss"][-1],
                   seconds=time.perf_counter() - start)
    return history
