"""How long the λ and dropout explorers (lessons 06 and 07) take to build and to answer a slider move.

Building an explorer trains every stop of its slider at once (``train.train_grid``: one batched model);
a move then only looks its run up and redraws. For each explorer this prints the build time, and the
median and worst time of a move over every stop (there and back, twice), each including the PNG the
panel shows. First the data set is read and a figure drawn, as a lesson has done by the time it builds
its explorer, so neither build pays those one-off costs. Wall-clock seconds and this process's CPU
seconds (a busy machine inflates the CPU time less; the training runs on one thread). Reported, never
asserted: the goal is a build ≤ 5 s and a move ≤ 0.15 s (median) on an otherwise idle 2-core machine.

    python benchmarks/widget_latency.py
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from helpers import data  # noqa: E402
from helpers.lesson06 import LAMBDA_STOPS, weight_decay_explorer  # noqa: E402
from helpers.lesson07 import DROPOUT_STOPS, dropout_explorer  # noqa: E402
from helpers.plot import set_controls  # noqa: E402

EXPLORERS = [("weight_decay_explorer", weight_decay_explorer, "lambd", LAMBDA_STOPS),
             ("dropout_explorer", dropout_explorer, "dropout", DROPOUT_STOPS)]


def timed(fn):
    """(result, wall seconds, CPU seconds of this process) of fn(); its prints are swallowed."""
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    warnings.simplefilter("ignore")
    print(f"explorer latency · torch {torch.__version__} · {os.cpu_count()} CPUs · "
          f"load average {os.getloadavg()[0]:.2f} at start")
    data.subset(1500, n_val=1000)  # what a lesson has done before its explorer: read the data, draw a figure
    fig, ax = plt.subplots()
    ax.set_title("warm-up")
    fig.canvas.draw()
    plt.close(fig)
    print(f"{'explorer':24s} {'build wall s':>12s} {'build CPU s':>12s} {'move median s':>14s} {'move worst s':>13s}")
    for name, factory, control, stops in EXPLORERS:
        panel, build_wall, build_cpu = timed(factory)
        moves = []
        for value in [*stops[1:], *stops[::-1]] * 2:
            _, wall, _ = timed(lambda: set_controls(panel, **{control: value}))
            moves.append(wall)
        print(f"{name:24s} {build_wall:12.2f} {build_cpu:12.2f} {statistics.median(moves):14.3f} {max(moves):13.3f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end; a loaded machine inflates the wall times")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
