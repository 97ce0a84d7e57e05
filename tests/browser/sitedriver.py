"""The site's fixtures for the browser tests (tests/browser/test_site*.py): the lessons as a website (`make site`),
read in headless Chromium from a local HTTP server, with no kernel.

The site is built by tools/build_site.py first: when site/ already matches the sources that takes a
second; otherwise it builds what changed, and a failed build fails these tests. Under `make test`
the lessons come from nbval's runs of them (tools/nbval_site.py), so the build executes none; run
alone, it executes what changed (minutes). The server is Python's http.server on
127.0.0.1; every request the pages make is recorded, and one to any other address, a failed
request, an HTTP error or a console error fails the test. Screenshots before and after each slider
move go to test-artifacts/site/.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import labdriver

REPO = labdriver.REPO
SITE = REPO / "site"
ARTIFACTS = REPO / "test-artifacts" / "site"
BUILD_TIMEOUT = 45 * 60  # a build from nothing executes every lesson: minutes on two cores
LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def site(chromium_executable) -> Path:
    """site/, built or brought up to date (only once a browser is known to be there). The site's test files can run in
    two workers at once: the first to take the lock builds, the other then finds site/ up to date."""
    labdriver.fresh_artifacts(ARTIFACTS)  # this run's screenshots only
    with open(ARTIFACTS.parent / ".site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a worker dies
        build = subprocess.run([sys.executable, str(REPO / "tools" / "build_site.py")], cwd=REPO, text=True,
                               capture_output=True, timeout=BUILD_TIMEOUT)
        with open(ARTIFACTS / "build.log", "a", encoding="utf-8") as log:
            log.write(build.stdout + build.stderr)
    if build.returncode:
        pytest.fail(f"tools/build_site.py failed (exit {build.returncode}):\n{build.stdout[-3000:]}\n"
                    f"{build.stderr[-3000:]}", pytrace=False)
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    """The site on 127.0.0.1, a free port, in a thread; its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class Visit:
    """A page and what it did: every request, failures, console errors."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.requests, self.problems = [], []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def open(self, name: str) -> None:
        response = self.page.goto(self.base + name, wait_until="load")
        assert response is not None and response.ok, f"{name}: {response and response.status}"

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base) and not u.startswith("data:")]

    def check_clean(self, what: str) -> None:
        assert not self.outside(), f"{what}: requests left 127.0.0.1: {self.outside()}"
        assert not self.problems, f"{what}: " + "; ".join(self.problems)

    def wait_for_math(self, what: str) -> int:
        """Wait for MathJax to finish typesetting; the number of formulas it rendered."""
        self.page.wait_for_selector("body[data-mathjax=done]", state="attached", timeout=60_000)  # the template's hook
        errors = self.page.locator(".MathJax_Error, .merror, .noError").count()
        assert errors == 0, f"{what}: {errors} formulas MathJax could not render"
        return self.page.locator(".MathJax, .MathJax_Display").count()

    def images_loaded(self, what: str) -> int:
        """Every <img> of the page has loaded with a real size; their number."""
        self.page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
        broken = self.page.evaluate("() => [...document.images].filter(i => !(i.naturalWidth > 0))"
                                    ".map(i => (i.getAttribute('src') || '').slice(0, 80))")
        assert not broken, f"{what}: images that did not load: {broken}"
        return self.page.evaluate("() => document.images.length")


@pytest.fixture
def visit(browser, server, request):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield Visit(page, server)
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            try:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^\w.-]+", "_", request.node.name)
                page.screenshot(path=str(ARTIFACTS / f"{name}-FAILED.png"))
            except Exception:  # a dead page must not hide the test's own error
                pass
        context.close()
