"""Device selection, seeding and a short environment report."""

from __future__ import annotations

import os
import random
from contextlib import contextmanager

import numpy as np
import torch

_DEVICE_KINDS = ("cpu", "cuda", "mps")


def device(name: str | None = None) -> torch.device:
    """Return the device the lessons train on.

    ``name=None`` picks CUDA when a GPU is present, else the CPU. An explicit
    ``name`` ("cpu", "cuda", "cuda:1", "mps") is honoured, and refused with a
    ValueError if it is not a device kind or is not available on this machine.
    The environment variable ``MLP_LESSONS_DEVICE`` overrides the automatic
    choice (for example ``MLP_LESSONS_DEVICE=cpu`` on a GPU machine).
    """
    if name is None:
        name = os.environ.get("MLP_LESSONS_DEVICE") or None
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(name, str):
        raise ValueError(f"device name={name!r} must be a string such as 'cpu' or 'cuda'")
    kind = name.split(":", 1)[0]
    if kind not in _DEVICE_KINDS:
        raise ValueError(
            f"device name={name!r} is not a known device; use one of {', '.join(_DEVICE_KINDS)}"
            " (optionally with an index, e.g. 'cuda:0')"
        )
    try:
        dev = torch.device(name)
    except RuntimeError as err:  # e.g. 'cuda:x'
        raise ValueError(f"device name={name!r} is malformed: {err}") from None
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device name={name!r} asked for CUDA, but no CUDA GPU is available here; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device name={name!r}: only {torch.cuda.device_count()} CUDA device(s) are present"
            )
    if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"device name={name!r} asked for Apple MPS, which is not available here; use 'cpu'")
    return dev


@contextmanager
def single_thread(dev: torch.device | str | None = None):
    """Run the block on one CPU thread, then restore torch's thread count.

    Small batches gain little from a second thread, and on a busy machine the
    threads wait for each other: a run that takes 1 s on one thread can take
    tens of seconds on two when other programs hold the cores. A no-op when
    ``dev`` is a GPU.
    """
    if dev is not None and torch.device(dev).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int = 0) -> int:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators.

    Returns the seed, so a lesson can print what it used. ``seed`` must be an
    int in [0, 2**32 - 1].
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r} must be an integer in [0, 2**32 - 1]")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed={seed!r} is out of range; use an integer in [0, 2**32 - 1]")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def environment_report() -> dict:
    """Versions of the main packages, the device, and where Fashion-MNIST was found.

    Returns a dict of plain strings; ``data`` says where the data set is, or
    why it could not be found (this function never raises for missing data).
    """
    import importlib.metadata as md
    import platform

    from helpers import data

    report = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "d2l", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbval"):
        try:
            report[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            report[pkg] = "not installed"
    dev = device()
    report["device"] = str(dev) + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else "")
    report["threads"] = str(torch.get_num_threads())
    try:
        report["data"] = str(data.find_fashion_mnist(download=False))
    except data.DataNotFoundError as err:
        report["data"] = f"NOT FOUND: {err}"
    return report
