"""Seconds per epoch of the note's training loop: d2l's loader vs helpers' in-memory loader.

Runs the note's loop (784-256-10 MLP, weights N(0, 0.01²), SGD lr 0.1, batch 256,
per-example cross-entropy, ``l.mean().backward()``) over each loader in its own
process, so each gets its own peak memory, and prints seconds per epoch, the
ratio, and peak resident memory (the loader's worker processes included).

    python benchmarks/epoch_time.py            # 3 epochs per loader
    python benchmarks/epoch_time.py --epochs 5

Numbers are measurements, not assertions: run it on a quiet machine.
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


def run_one(loader: str, epochs: int) -> dict:
    """Train for ``epochs`` over ``loader`` ("d2l" or "helpers"); return timings and memory."""
    import torch
    from torch import nn

    import helpers
    from helpers import data, train

    helpers.seed_everything(0)
    start = time.perf_counter()
    if loader == "d2l":
        from d2l import torch as d2l

        os.chdir(ROOT / "notebooks")  # d2l's loader reads ../data, as from a lesson
        train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    else:
        train_iter, test_iter = data.load_fashion_mnist(256)
    setup = time.perf_counter() - start

    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    net.apply(train.init_normal)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    times, losses = [], []
    for _ in range(epochs):
        tic = time.perf_counter()
        total_loss, total = 0.0, 0
        for X, y in train_iter:  # the note's loop
            y_hat = net(X)
            l = loss(y_hat, y)
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()
            total_loss += float(l.sum())
            total += y.numel()
        times.append(time.perf_counter() - tic)
        losses.append(total_loss / total)
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"loader": loader, "setup_s": setup, "epoch_s": times, "loss": losses,
            "peak_rss_mb": self_kb / 1024, "peak_worker_rss_mb": child_kb / 1024,
            "threads": torch.get_num_threads()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per loader (default 3)")
    parser.add_argument("--child", choices=["d2l", "helpers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs <= 0:
        parser.error(f"--epochs={args.epochs} must be a positive integer")
    if args.child:
        print(json.dumps(run_one(args.child, args.epochs)))
        return 0

    results = {}
    for loader in ("d2l", "helpers"):
        out = subprocess.run([sys.executable, __file__, "--epochs", str(args.epochs), "--child", loader],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        results[loader] = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"The note's loop, 784-256-10 MLP, batch 256, {args.epochs} epoch(s) per loader, "
          f"{results['helpers']['threads']} torch threads, {os.cpu_count()} CPUs\n")
    print(f"{'loader':<28}{'setup s':>9}{'s/epoch (median)':>18}{'epoch 1 loss':>14}{'peak RSS MB':>13}")
    labels = {"d2l": "d2l.load_data_fashion_mnist", "helpers": "helpers.data (in memory)"}
    for loader, r in results.items():
        peak = r["peak_rss_mb"] + r["peak_worker_rss_mb"]
        print(f"{labels[loader]:<28}{r['setup_s']:>9.2f}{statistics.median(r['epoch_s']):>18.3f}"
              f"{r['loss'][0]:>14.4f}{peak:>13.0f}")
    ratio = statistics.median(results["d2l"]["epoch_s"]) / statistics.median(results["helpers"]["epoch_s"])
    print(f"\nspeed-up of the in-memory loader: {ratio:.1f}x per epoch")
    print("peak RSS: the training process, plus the largest worker process for d2l's loader")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
