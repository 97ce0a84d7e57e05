"""Device, seeding, one thread, argument checks, the exercise verdict and the language (English, 中文), used by every
lesson. Inputs are checked where a student or user hands them in (slider values, answers); the package trusts itself."""

from __future__ import annotations

import functools
import json
import math
import os
import random
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

DEVICE_KINDS = ("cpu", "cuda", "mps")
DEVICE_VAR = "MLP_LESSONS_DEVICE"


def _mps_available() -> bool:
    return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()


def device(name: str | None = None) -> torch.device:
    """The device the lessons train on: CUDA, else Apple's MPS, else the CPU.

    ``$MLP_LESSONS_DEVICE`` (or ``name``) forces one: "cpu", "cuda", "cuda:1",
    "mps". An unknown or unavailable device is a ValueError naming the allowed ones.
    """
    name = name if name is not None else (os.environ.get(DEVICE_VAR) or None)
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    kind = name.split(":", 1)[0] if isinstance(name, str) else None
    if kind not in DEVICE_KINDS:
        raise ValueError(f"device {name!r} (from ${DEVICE_VAR} or the argument) is not known; "
                         f"use one of {', '.join(DEVICE_KINDS)}, optionally with an index such as 'cuda:0'")
    try:
        dev = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name!r} is malformed ({err}); use e.g. 'cuda:0'") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}[kind]
    if not available or (kind == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count()):
        raise ValueError(f"device {name!r} is not available on this machine; use 'cpu'"
                         f" (or unset ${DEVICE_VAR} to pick the best one present)")
    return dev


@contextmanager
def single_thread(dev: torch.device | str | None = None):
    """Run the block on one CPU thread, then restore torch's thread count (a no-op on a GPU): small models gain
    nothing from a second thread, and on a busy machine two threads wait for each other (1 s can become 30)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1 if dev is None or torch.device(dev).type == "cpu" else before)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int = 0) -> int:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) generators; returns the seed."""
    seed = check_int("seed", seed, 0, 2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


# --------------------------------------------------------------------------- argument checks


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    return f" >= {low}" if low is not None else (f" <= {high}" if high is not None else "")


def check_int(name: str, value, low: int | None = 1, high: int | None = None) -> int:
    """``value`` if it is an int in [low, high] (either end may be None), else a ValueError naming it."""
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name}={value!r} must be an integer{_range_text(low, high)}")
    return int(value)


def check_number(name: str, value, low: float | None = None, high: float | None = None,
                 above: float | None = None) -> float:
    """``value`` as a float if it is finite and in [low, high] (and > ``above``), else a ValueError."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)
    if not ok or (low is not None and value < low) or (high is not None and value > high) or (
            above is not None and value <= above):
        where = _range_text(low, high) + (f" and > {above}" if above is not None else "")
        raise ValueError(f"{name}={value!r} must be a finite number{where}")
    return float(value)


def check_choice(name: str, value, choices):
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not known; use one of {', '.join(map(repr, choices))}")
    return value


LANG_VAR, CJK_FONTS = "MLP_LESSONS_LANG", ("Noto Sans CJK SC", "Noto Sans CJK JP")
_chinese = functools.cache(lambda: json.loads(Path(__file__).with_name("zh_CN.json").read_text("utf-8")))


def language() -> str:
    """"zh" or "en": ``$MLP_LESSONS_LANG``, else "zh" in notebooks/zh, where the Chinese edition's kernels start."""
    lang = os.environ.get(LANG_VAR) or ("zh" if Path.cwd().parts[-2:] == ("notebooks", "zh") else "en")
    return check_choice(f"${LANG_VAR}", lang, ("en", "zh"))


def tr(message: str, **fields) -> str:
    """``message`` (str.format placeholders) in the lessons' language, formatted; Chinese from helpers/zh_CN.json."""
    return (_chinese().get(message, message) if language() == "zh" else message).format(**fields)


@functools.cache
def cjk_font() -> str | None:  # the first installed; None after one message saying what to install
    from matplotlib import font_manager as fm
    if not {x.name for x in fm.fontManager.ttflist} & set(CJK_FONTS):  # installed after matplotlib listed the fonts?
        for path in (path for path in fm.findSystemFonts() if "CJK" in Path(path).name):
            fm.fontManager.addfont(path)
    return next((f for f in CJK_FONTS if f in {x.name for x in fm.fontManager.ttflist}), None) or print(tr(
        "No Chinese font is installed, so plots keep their English text. To draw them in Chinese, install Noto CJK "
        "(`apt-get install fonts-noto-cjk`, or `make setup` as root) and restart the kernel."))


def tr_fig(message: str, **fields) -> str:
    """``tr`` for drawn text: Chinese with a CJK font after matplotlib's own, English where there is none (no boxes)."""
    from matplotlib import _pylab_helpers, rcParams, text
    if (font := language() == "zh" and cjk_font()) and font not in (before := rcParams["font.family"]):
        rcParams["font.family"] = [*before, font]  # the first draws Latin letters and symbols, the CJK font the rest
        for t in (t for m in _pylab_helpers.Gcf.get_all_fig_managers() for t in m.canvas.figure.findobj(text.Text)):
            if t.get_family() == before:  # made before, such as the titles and labels made with their axes
                t.set_family(rcParams["font.family"])
    return message.format(**fields) if font is None else tr(message, **fields)


# --------------------------------------------------------------------------- exercise checks


def verdict(passed: bool, success: str, hint: str) -> bool:
    """Print ``✅ Correct — success`` or ``❌ Not yet — hint``; return ``passed`` (every exercise check ends here)."""
    print(tr("✅ Correct — {text}", text=success) if passed else tr("❌ Not yet — {text}", text=hint))
    return bool(passed)


def run_student_code(fn, *args, **kwargs):
    """Call the student's function; ``(result, None)``, or ``(None, hint)`` if it raised."""
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, tr("the function still raises NotImplementedError: replace the stub with your code")
    except Exception as err:  # a student's bug is reported, not raised
        return None, tr("calling it raised {name}: {err}", name=type(err).__name__, err=err)


def environment_report() -> dict:
    """Versions of the main packages, the device, and where Fashion-MNIST was found (never raises)."""
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
