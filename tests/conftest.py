"""Shared by the unit tests: figures closed after each test, a history checker, the order of the files."""

import math
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
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


# The order files are handed to the workers (pytest-xdist --dist loadfile keeps it): the English lessons first,
# the two longest at once, then the unit tests, then the Chinese lessons, then the browser tests with the site
# last. Under `make test` each kernel shares its training (tools/shared_results.py), so each training run
# is computed by the English edition and reused by every later kernel running the same code.
FIRST = ("notebooks/07_", "notebooks/04_")


def _rank(item) -> tuple:
    path = item.path.as_posix()
    if "/notebooks/zh/" in path:
        return (2, 0)
    if "/notebooks/" in path:
        return (0, next((i for i, name in enumerate(FIRST) if name in path), len(FIRST)))
    if "/tests/browser/" in path:
        return (3, path.endswith("test_site.py"))
    return (1, 0)


def pytest_collection_modifyitems(items):
    items.sort(key=_rank)  # stable: cells and tests keep their order within a file


def pytest_terminal_summary(terminalreporter):
    folder = os.environ.get("MLP_LESSONS_RESULTS")
    counts = folder and summary(folder)
    if counts:
        terminalreporter.write_line(f"shared training (tools/shared_results.py): {counts}; details in {folder}/log.txt")
