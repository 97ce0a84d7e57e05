"""Shared by the unit tests: figures closed after each test, and a history checker."""

import math

import matplotlib.pyplot as plt
import pytest


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
