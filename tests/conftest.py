"""Shared by the unit tests: figures closed after each test, a history checker, the order of the files, the JupyterLab
browser tests as one unit of pytest-xdist's work, and (under make test) nbval's runs of the lessons kept for the site
build."""

import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

TOOLS = str(Path(__file__).resolve().parent.parent / "tools")
sys.path.insert(0, TOOLS)
from shared_results import summary  # noqa: E402 - the count of make test's shared training calls
sys.path.pop(0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def check_history():
    """``check_history(history, num_epochs, keys)``: each key has one finite value per epoch."""
    def check(history, num_epochs, keys):
        for key in keys:
            assert len(history[key]) == num_epochs, key
            assert all(math.isfinite(v) for v in history[key]), key
    return check


# The order files are handed to the workers (pytest-xdist --dist loadfile keeps it): the English lessons first, the two
# longest at once, then the unit tests, then the Chinese lessons (their 07 and 04 last), then the browser tests with
# the site's two files last, side by side (built from nbval's runs of both editions, tools/nbval_site.py). Under
# `make test` each kernel shares its training (tools/shared_results.py), so each training run is computed by the
# English edition and reused by every later kernel running the same code: the Chinese 07 and 04 start long after the
# English ones.
FIRST = ("notebooks/07_", "notebooks/04_")


def _rank(item) -> tuple:
    path = item.path.as_posix()
    if "/notebooks/zh/" in path:
        return (2, any(name in path for name in ("zh/07_", "zh/04_")))
    if "/notebooks/" in path:
        return (0, next((i for i, name in enumerate(FIRST) if name in path), len(FIRST)))
    if "/tests/browser/" in path:
        return (3, "/tests/browser/test_site" in path)  # test_site.py and test_site_contents.py, side by side
    return (1, 0)


def pytest_collection_modifyitems(items):
    items.sort(key=_rank)  # stable: cells and tests keep their order within a file


# The JupyterLab browser tests (tests/browser/test_browser_*.py) are one unit of pytest-xdist's work: the worker that
# takes them runs them all against one JupyterLab and one Chromium (session fixtures, tests/browser/conftest.py) rather
# than each file starting both in a worker of its own, which also emptied test-artifacts/browser/ under the others.
LAB_FILES = "tests/browser/test_browser_"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return LAB_FILES if scope.startswith(LAB_FILES) else scope

    return Scheduling(config, log)


def pytest_terminal_summary(terminalreporter):
    folder = os.environ.get("MLP_LESSONS_RESULTS")
    counts = folder and summary(folder)
    if counts:
        terminalreporter.write_line(f"shared training (tools/shared_results.py): {counts}; details in {folder}/log.txt")


def pytest_configure(config):
    """Under make test (MLP_LESSONS_SAVE_EXECUTED set), nbval's runs of the lessons are kept for the site build
    (tools/nbval_site.py). Imported only then, and not in pytest-xdist's controller, which runs no test: the plugin
    brings in torch and nbformat, seconds before the workers could start."""
    if not os.environ.get("MLP_LESSONS_SAVE_EXECUTED") or (
            config.getoption("numprocesses", None) and not hasattr(config, "workerinput")):
        return
    sys.path.insert(0, TOOLS)
    from nbval_site import register
    sys.path.pop(0)
    register(config)
