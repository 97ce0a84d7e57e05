"""Fixtures for the real-browser tests: one JupyterLab and one headless Chromium per test run.

Both are started once per session and stopped at the end, even when a test
fails or the run is interrupted; any process either of them left behind is
killed. Without a Chromium the tests are skipped (a student's laptop), unless
``MLP_LESSONS_REQUIRE_BROWSER=1`` (CI), where that is an error.
"""

from __future__ import annotations

import re
import shutil
import signal
import tempfile
import threading
import warnings
from pathlib import Path

import psutil
import pytest

import labdriver


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _unavailable(reason: str):
    if labdriver.browser_required():
        pytest.fail(f"browser tests are required ({labdriver.REQUIRE_ENV}=1) but cannot run: {reason}",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}; to enable them, {labdriver.HOW_TO_ENABLE}")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of the Chromium to drive; skips (or fails in CI) when there is none."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        _unavailable(f"Playwright for Python is not importable ({err}); run `make setup`")
    path, reason = labdriver.find_chromium()
    if path is None:
        _unavailable(reason)
    return path


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def lab_server(chromium_executable):
    """A private JupyterLab on 127.0.0.1 with a token, serving a copy of the lessons.

    The copy (notebooks/ and figures/, laid out as in the repository) keeps
    JupyterLab's autosave and checkpoints away from the stored notebooks, which
    must stay clean; ``helpers`` is imported from the repository as usual.
    """
    labdriver.fresh_artifacts(labdriver.ARTIFACTS)  # screenshots and logs of this run only
    root = Path(tempfile.mkdtemp(prefix="mlp-lessons-root-"))
    for folder in ("notebooks", "figures"):
        shutil.copytree(labdriver.REPO / folder, root / folder, symlinks=True,  # notebooks/data stays a link
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    server = labdriver.LabServer(root=root)
    # A plain SIGTERM (a CI job's timeout) would end Python without running
    # the finally blocks below: turn it into KeyboardInterrupt while they matter.
    previous = signal.getsignal(signal.SIGTERM)
    if previous in (signal.SIG_DFL, None) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start(wait=False)  # it boots while Chromium starts; lab_page waits for it
        yield server
    finally:
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, previous)
        leftovers = server.stop()
        shutil.rmtree(root, ignore_errors=True)
        if leftovers:
            warnings.warn("had to kill what JupyterLab left behind: " + ", ".join(leftovers))


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """Headless Chromium driven by Playwright (no browser download: the system's Chromium)."""
    from playwright.sync_api import sync_playwright

    me = psutil.Process()
    before = {p.pid for p in me.children()}
    pw = chromium = None
    roots = []
    try:
        pw = sync_playwright().start()
        roots = [p for p in me.children() if p.pid not in before]  # Playwright's driver
        chromium = pw.chromium.launch(executable_path=chromium_executable, headless=True,
                                      args=labdriver.CHROMIUM_ARGS, timeout=60_000)
        yield chromium
    finally:
        family = roots + [d for r in roots for d in labdriver.descendants(r.pid)]
        try:
            if chromium is not None:
                chromium.close()
        finally:
            if pw is not None:
                pw.stop()
            survivors = [p for p in family if labdriver._alive(p)]
            if survivors:
                labdriver.terminate_all(survivors)
                warnings.warn("had to kill what Chromium left behind: "
                              + ", ".join(f"{labdriver._name(p)} (pid {p.pid})" for p in survivors))


@pytest.fixture(scope="session")
def browser_context(browser, lab_server):
    """One browser context for the run: its HTTP cache makes each later JupyterLab load quicker."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    context.set_default_timeout(labdriver.OPEN_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def lab_page(request, lab_server, browser_context):
    """A new page (each test opens its own JupyterLab workspace); on failure a screenshot
    is saved; the test's kernels are shut down after it."""
    labdriver.reset_timings()
    lab_server.ready()
    labdriver.mark("server ready")
    page = browser_context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        yield page
    finally:
        try:
            report = getattr(request.node, "rep_call", None)
            if report is None or report.failed:
                try:
                    labdriver.save_screenshot(page, f"{name}-FAILED")
                except Exception:  # a dead page must not hide the test's own error
                    pass
            labdriver.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (labdriver.ARTIFACTS / f"{name}.log").write_text(
                "timings:\n" + "\n".join(labdriver.TIMINGS) + "\n\nbrowser console:\n" + "\n".join(console) + "\n")
        finally:
            page.close()
            lab_server.shutdown_kernels_soon()
