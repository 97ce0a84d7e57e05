"""helpers.runtime: device choice, seeding, environment report."""

import random

import numpy as np
import pytest
import torch

import helpers
from helpers import runtime


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("MLP_LESSONS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if runtime._mps_available() else "cpu"
    assert helpers.device().type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    assert helpers.device().type == "mps"
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert helpers.device().type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert helpers.device().type == "cuda"


def test_device_env_override(monkeypatch):
    monkeypatch.setenv("MLP_LESSONS_DEVICE", "cpu")
    assert helpers.device() == torch.device("cpu")
    monkeypatch.setenv("MLP_LESSONS_DEVICE", "")  # empty: as if unset
    assert helpers.device().type in ("cpu", "cuda", "mps")


@pytest.mark.parametrize("bad", ["gpu", "tpu:0", "", 3])
def test_unknown_device_is_refused_naming_the_allowed_kinds(bad):
    with pytest.raises(ValueError, match="is not known; use one of cpu, cuda, mps"):
        helpers.device(bad)


def test_unknown_device_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("MLP_LESSONS_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"'gpu' \(from \$MLP_LESSONS_DEVICE"):
        helpers.device()


def test_malformed_device_is_refused():
    with pytest.raises(ValueError, match="malformed"):
        helpers.device("cuda:x")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_refused():
    with pytest.raises(ValueError, match="'cuda' is not available on this machine"):
        helpers.device("cuda")


def test_cuda_index_beyond_the_gpus_is_refused():
    with pytest.raises(ValueError, match="not available"):
        helpers.device(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.skipif(runtime._mps_available(), reason="this machine has MPS")
def test_mps_without_apple_gpu_is_refused():
    with pytest.raises(ValueError, match="'mps' is not available"):
        helpers.device("mps")


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
    import importlib.metadata as md

    report = runtime.environment_report()
    assert report["torch"] == md.version("torch") and report["device"].split()[0] == str(helpers.device())
    assert report["d2l"] == md.version("d2l") and report["nbval"] != "not installed"
    assert "fashion" in report["data"].lower() or "data" in report["data"]
    assert not report["data"].startswith("NOT FOUND")


def test_importing_helpers_has_no_side_effects():
    import subprocess
    import sys
    from pathlib import Path

    lessons = sorted(p.stem for p in (Path(helpers.__file__).parent).glob("lesson[0-9][0-9].py"))
    modules = ["helpers", "helpers.runtime", "helpers.data", "helpers.train", "helpers.plot"]
    modules += [f"helpers.{name}" for name in lessons]  # the core and every lesson module
    code = ("import importlib, matplotlib; before = matplotlib.get_backend(); "
            f"[importlib.import_module(m) for m in {modules!r}]; assert matplotlib.get_backend() == before")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


def test_single_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with runtime.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with runtime.single_thread("cuda"):  # a no-op off the CPU
        assert torch.get_num_threads() == before


@pytest.mark.parametrize("call, match", [
    (lambda: runtime.check_int("n", 0), r"n=0 must be an integer >= 1"),
    (lambda: runtime.check_int("n", 11, 1, 10), r"n=11 must be an integer in \[1, 10\]"),
    (lambda: runtime.check_int("n", 5, None, 4), r"n=5 must be an integer <= 4"),
    (lambda: runtime.check_int("n", True), r"n=True must be an integer"),
    (lambda: runtime.check_int("n", 2.0), r"n=2.0 must be an integer"),
    (lambda: runtime.check_number("lr", float("nan")), r"lr=nan must be a finite number"),
    (lambda: runtime.check_number("lr", 0, above=0), r"lr=0 must be a finite number and > 0"),
    (lambda: runtime.check_number("p", 1.5, 0, 1), r"p=1.5 must be a finite number in \[0, 1\]"),
    (lambda: runtime.check_number("p", "0.5"), r"p='0.5' must be a finite number"),
    (lambda: runtime.check_choice("act", "swish", ("relu", "tanh")), r"act='swish' is not known; use one of 'relu', 'tanh'"),
])
def test_argument_checks_name_the_value_and_what_is_allowed(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_argument_checks_return_the_value():
    assert runtime.check_int("n", np.int64(3)) == 3 and type(runtime.check_int("n", np.int64(3))) is int
    assert runtime.check_int("n", 0, 0) == 0 and runtime.check_int("n", -5, None) == -5
    assert runtime.check_number("lr", 1) == 1.0 and runtime.check_number("p", 0.5, 0, 1, above=0) == 0.5
    assert runtime.check_choice("act", "relu", ("relu",)) == "relu"


def test_verdict_prints_and_returns(capsys):
    assert runtime.verdict(True, "well done", "unused") is True
    assert runtime.verdict(False, "unused", "try again") is False
    assert capsys.readouterr().out.splitlines() == ["✅ Correct — well done", "❌ Not yet — try again"]


def test_run_student_code_reports_instead_of_raising():
    assert runtime.run_student_code(lambda x: x + 1, 1) == (2, None)

    def stub():
        raise NotImplementedError

    assert "replace the stub" in runtime.run_student_code(stub)[1]
    result, hint = runtime.run_student_code(lambda: 1 / 0)
    assert result is None and "ZeroDivisionError" in hint
