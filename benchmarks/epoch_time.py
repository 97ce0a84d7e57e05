"""Seconds per epoch of the note's training: d2l's loader, helpers' in-memory loader and train.train, and the bound.

The note's model throughout: 784-256-10 MLP, weights N(0, 0.01²), SGD lr 0.1, batch 256, per-example
cross-entropy, ``l.mean().backward()``, all 60,000 training images per epoch. Two processes, so each
gets its own peak memory (the loader's worker processes included):

- d2l: the note's loop over ``d2l.load_data_fashion_mnist(256)``;
- helpers: over ``helpers.data.load_fashion_mnist(256)``, in turn each epoch: the matrix-multiply
  bound, the note's loop, and ``helpers.train.train`` (lesson 04's call, without its test pass),
  each on its own copy of the net and its own random stream, so all three meet the same load and
  their ratios hold even where the absolute times drift.

The bound times the epoch's actual products, 235 steps (234 batches of 256 and one of 96) of the
five matrix products a training step needs: forward ``addmm(b1, X, W1ᵀ)`` (n×784 · 784×256) and
``addmm(b2, H, W2ᵀ)`` (n×256 · 256×10), backward ``dZᵀ X`` (dW1), ``dO W2`` (dH) and ``dOᵀ H`` (dW2),
in the layouts autograd uses, on fixed operands reused every step: nothing else, no loader, no
elementwise work, no autograd. These shapes rather than one 256×784 · 784×256 GEMM rate scaled by the
epoch's FLOPs, because the products with a side of 10 run well below that rate (here in about twice
the time their FLOPs give), as may the last, smaller batch and the transposed layouts, so scaling would set
the bound too low (here by about 2 %).

    python benchmarks/epoch_time.py              # 5 epochs each, one torch thread
    python benchmarks/epoch_time.py --epochs 3 --threads 2

Numbers are measurements, not assertions: run it on a quiet machine (it prints the load average and the
share of the CPUs other processes used while it ran).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH, N_TRAIN = 256, 60000


def note_epoch(net, train_iter, loss, trainer) -> float:
    """One epoch of the note's loop; returns its mean training loss."""
    total_loss, total = 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        total_loss += float(l.sum())
        total += y.numel()
    return total_loss / total


def matmul_bound():
    """A function timing one epoch of the five products per step (see the module docstring), in seconds."""
    import torch

    g = torch.Generator().manual_seed(0)
    W1, b1, W2, b2 = (torch.randn(*s, generator=g) for s in ((256, 784), (256,), (10, 256), (10,)))
    sizes = [BATCH] * (N_TRAIN // BATCH) + ([N_TRAIN % BATCH] if N_TRAIN % BATCH else [])
    ops = {n: [torch.randn(n, k, generator=g) for k in (784, 256, 256, 10)] for n in set(sizes)}  # X, H, dZ, dO

    def epoch() -> float:
        tic = time.perf_counter()
        for n in sizes:
            X, H, dZ, dO = ops[n]
            torch.addmm(b1, X, W1.t()), torch.addmm(b2, H, W2.t())
            dZ.t().mm(X), dO.mm(W2), dO.t().mm(H)
        return time.perf_counter() - tic

    epoch()  # warm-up
    return epoch


def run_one(loader: str, epochs: int, threads: int) -> dict:
    """Train for ``epochs`` over ``loader`` ("d2l" or "helpers"); return timings and memory."""
    import torch
    from torch import nn

    import helpers
    from helpers import data, train

    torch.set_num_threads(threads)
    helpers.seed_everything(0)
    start = time.perf_counter()
    if loader == "d2l":
        from d2l import torch as d2l

        os.chdir(ROOT / "notebooks")  # d2l's loader reads ../data, as from a lesson
        train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    else:
        train_iter, test_iter = data.load_fashion_mnist(BATCH)
    setup = time.perf_counter() - start

    def note_net():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        return net.apply(train.init_normal)

    loss = nn.CrossEntropyLoss(reduction="none")
    net = note_net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    result: dict = {"loader": loader, "setup_s": setup, "threads": torch.get_num_threads()}
    if loader == "d2l":
        result["note"] = [], []
        for _ in range(epochs):
            tic = time.perf_counter()
            result["note"][1].append(note_epoch(net, train_iter, loss, trainer))
            result["note"][0].append(time.perf_counter() - tic)
    else:
        bound, ours = matmul_bound(), note_net()
        streams = {"note": torch.get_rng_state(), "train": torch.get_rng_state()}  # the same shuffles for both loops
        result.update(bound=([], []), note=([], []), train=([], []))
        for _ in range(epochs):
            result["bound"][0].append(bound())
            for name in ("note", "train"):
                torch.set_rng_state(streams[name])
                tic = time.perf_counter()
                if name == "note":
                    value = note_epoch(net, train_iter, loss, trainer)
                else:
                    value = train.train(ours, train_iter, None, 1, lr=0.1, device="cpu", verbose=False)["train_loss"][0]
                result[name][0].append(time.perf_counter() - tic)
                result[name][1].append(value)
                streams[name] = torch.get_rng_state()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_worker_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, in clock ticks, from /proc/stat ((0, 0) elsewhere)."""
    try:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    except (OSError, ValueError):
        return 0, 0
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per loader (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as make test runs)")
    parser.add_argument("--child", choices=["d2l", "helpers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("epochs", "threads"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name}={getattr(args, name)} must be a positive integer")
    if args.child:
        print(json.dumps(run_one(args.child, args.epochs, args.threads)))
        return 0

    load_before, (busy_before, total_before), results = os.getloadavg()[0], cpu_jiffies(), {}
    for loader in ("d2l", "helpers"):
        out = subprocess.run([sys.executable, __file__, "--epochs", str(args.epochs), "--threads", str(args.threads),
                              "--child", loader], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        results[loader] = json.loads(out.stdout.strip().splitlines()[-1])
    (busy, total), children = cpu_jiffies(), os.times()
    ours_ticks = (children.children_user + children.children_system) * os.sysconf("SC_CLK_TCK")
    others = max(busy - busy_before - ours_ticks, 0) / max(total - total_before, 1)  # share of all CPUs
    d2l, ours = results["d2l"], results["helpers"]
    med = {name: statistics.median(times) for name, (times, _) in
           [("d2l", d2l["note"]), ("note", ours["note"]), ("train", ours["train"]), ("bound", ours["bound"])]}

    print(f"The note's 784-256-10 MLP, batch {BATCH}, {args.epochs} epoch(s) each, {ours['threads']} torch "
          f"thread(s), {os.cpu_count()} CPUs; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"other processes used {others:.0%} of the CPUs meanwhile (a quiet machine: a few %)\n")
    print(f"{'':<46}{'setup s':>8}{'s/epoch (median)':>18}{'epoch 1 loss':>14}{'peak RSS MB':>13}")
    rows = [("d2l.load_data_fashion_mnist + the note's loop", d2l, "d2l", d2l["note"]),
            ("helpers.data (in memory) + the note's loop", ours, "note", ours["note"]),
            ("helpers.data (in memory) + train.train", ours, "train", ours["train"])]
    for label, r, key, (_, losses) in rows:
        peak = r["peak_rss_mb"] + r["peak_worker_rss_mb"]
        print(f"{label:<46}{r['setup_s']:>8.2f}{med[key]:>18.3f}{losses[0]:>14.4f}{peak:>13.0f}")
    print(f"{'matrix-multiply bound (5 products per step)':<46}{'':>8}{med['bound']:>18.3f}")
    print(f"\nd2l / ours: {med['d2l'] / med['note']:.1f}x per epoch (the note's loop over each loader), "
          f"{med['d2l'] / med['train']:.1f}x against train.train")
    print(f"ours / bound: train.train {med['train'] / med['bound']:.2f}x, the note's loop "
          f"{med['note'] / med['bound']:.2f}x (epochs interleaved with the bound's in one process)")
    print("peak RSS: the training process, plus the largest worker process for d2l's loader; "
          "the in-memory process trains two nets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
