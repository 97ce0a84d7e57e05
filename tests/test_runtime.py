"""helpers.runtime: device choice, seeding, environment report."""

import random

import numpy as np
import pytest
import torch

import helpers
from helpers import runtime


def test_device_defaults_to_cuda_when_present(monkeypatch):
    monkeypatch.delenv("MLP_LESSONS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert helpers.device().type == expected


def test_device_env_override(monkeypatch):
    monkeypatch.setenv("MLP_LESSONS_DEVICE", "cpu")
    assert helpers.device() == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "tpu:0", "", 3])
def test_unknown_device_is_refused(bad):
    with pytest.raises(ValueError, match="device name"):
        helpers.device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_refused():
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        helpers.device("cuda")


def test_seed_everything_repeats_all_generators():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    helpers.seed_everything(7)
    first = draw()
    helpers.seed_everything(7)
    assert draw() == first
    helpers.seed_everything(8)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_bad_seed_is_refused(bad):
    with pytest.raises(ValueError, match="seed="):
        helpers.seed_everything(bad)


def test_environment_report_names_the_data():
    report = runtime.environment_report()
    assert report["torch"].startswith("2.") and report["d2l"] == "1.0.3"
    assert "fashion" in report["data"].lower() or "data" in report["data"]
    assert not report["data"].startswith("NOT FOUND")


def test_importing_helpers_has_no_side_effects():
    import subprocess
    import sys

    code = ("import matplotlib, sys; before = matplotlib.get_backend(); import helpers, helpers.data, "
            "helpers.train, helpers.plot, helpers.figures, helpers.widgets, helpers.checks; "
            "assert matplotlib.get_backend() == before")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
