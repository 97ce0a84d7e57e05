"""How long a slider move takes in the λ and dropout explorers (lessons 06 and 07).

For each explorer: the time to build it (its first run), then for several
settings the time of a move to a new setting (retrain + redraw) and of a move
back to a setting already computed (cache + redraw). Wall-clock seconds, and
the CPU seconds of this process, which a busy machine inflates less (the runs
use one thread). Reported, never asserted: the lessons ask for ≤ 1.5 s a move
on an otherwise idle 2-core machine.

    python benchmarks/widget_latency.py            # both explorers
    python benchmarks/widget_latency.py --repeat 3 # best of 3 for each first run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from helpers.lesson06 import weight_decay_explorer  # noqa: E402
from helpers.lesson07 import dropout_explorer  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

EXPLORERS = [
    ("weight_decay_explorer", weight_decay_explorer, "lambd", [1e-4, 1e-3, 1e-2, 1e-1]),
    ("dropout_explorer", dropout_explorer, "dropout", [0.2, 0.5, 0.7, 0.9]),
]


def timed(fn):
    """(result, wall seconds, CPU seconds of this process) of fn(); fn's prints are swallowed
    (outside a notebook, ipywidgets' clear_output writes terminal escape codes)."""
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def reference_epoch():
    """One epoch of the note's 784-256-10 MLP on all 60000 images (about 0.5-0.7 s on an idle 2-core machine)."""
    from torch import nn

    from helpers import data, train

    train_iter, _ = data.load_fashion_mnist(256)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    _, wall, cpu = timed(lambda: train.train(net, train_iter, None, 1, lr=0.1, verbose=False, device="cpu"))
    return wall, cpu


def measure(name, factory, control, values, repeat):
    rows = []
    panel, wall, cpu = timed(factory)
    rows.append((name, "build (first run)", wall, cpu))
    start = panel.kwargs_widgets[0].value
    for value in values:
        best = None
        for _ in range(repeat):
            if best is not None:  # forget the settings computed so the next try computes again
                set_controls(panel, **{control: start})
                panel.cache.cache_clear()
            _, wall, cpu = timed(lambda: set_controls(panel, **{control: value}))
            best = (wall, cpu) if best is None or wall < best[0] else best
            plt.close("all")
        rows.append((name, f"{control}={value:g} new", *best))
        _, wall, cpu = timed(lambda: set_controls(panel, **{control: start}))
        rows.append((name, f"{control}={start:g} cached", wall, cpu))
        plt.close("all")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="tries per new setting; the fastest is shown")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference epoch")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"explorer update latency · torch {torch.__version__} · {os.cpu_count()} CPUs · "
          f"load average {load:.2f} at start")
    rows = []
    for entry in EXPLORERS:
        rows += measure(*entry, repeat=max(1, args.repeat))
    width = max(len(r[1]) for r in rows)
    print(f"{'explorer':24s} {'move':{width}s} {'wall s':>8s} {'CPU s':>8s}")
    for name, what, wall, cpu in rows:
        print(f"{name:24s} {what:{width}s} {wall:8.3f} {cpu:8.3f}")
    if not args.no_reference:
        wall, cpu = reference_epoch()
        print(f"{'reference':24s} {'note MLP, 1 epoch':{width}s} {wall:8.3f} {cpu:8.3f}   "
              f"(≈0.5-0.7 s wall on an idle 2-core machine; {torch.get_num_threads()} threads)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at the end; a loaded machine inflates the wall times")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
