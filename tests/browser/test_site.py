"""The lessons as a website (`make site`), read in headless Chromium from a local HTTP server, with no kernel.

The site is built by tools/build_site.py first: when site/ already matches the sources that takes a
second; otherwise it builds what changed, and a failed build fails these tests. Under `make test`
the lessons come from nbval's runs of them (tools/nbval_site.py), so the build executes none; run
alone, it executes what changed (minutes). The server is Python's http.server on
127.0.0.1; every request the pages make is recorded, and one to any other address, a failed
request, an HTTP error or a console error fails the test. Screenshots before and after each slider
move go to test-artifacts/site/.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import labdriver

pytestmark = pytest.mark.browser

REPO = labdriver.REPO
SITE = REPO / "site"
ARTIFACTS = REPO / "test-artifacts" / "site"
BUILD_TIMEOUT = 45 * 60  # a build from nothing executes every lesson: minutes on two cores
LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def site(chromium_executable) -> Path:
    """site/, built or brought up to date (only once a browser is known to be there)."""
    build = subprocess.run([sys.executable, str(REPO / "tools" / "build_site.py")], cwd=REPO, text=True,
                           capture_output=True, timeout=BUILD_TIMEOUT)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    ARTIFACTS.mkdir(parents=True)
    (ARTIFACTS / "build.log").write_text(build.stdout + build.stderr)
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


def _pictures(explorer) -> list[str]:
    return explorer.locator(".mlp-plots img").evaluate_all("imgs => imgs.map(i => i.src)")


@pytest.mark.parametrize("lesson, label", [
    ("06_weight_decay", "λ"),
    ("07_dropout", "dropout p"),
])
def test_kernel_free_slider_swaps_the_picture(visit, lesson, label):
    visit.open(f"{lesson}.html")
    assert visit.wait_for_math(lesson) > 0, f"{lesson}: no formula rendered"
    explorers = visit.page.locator(".mlp-explorer:not(.mlp-still)")
    assert explorers.count() >= 1, f"{lesson}: no kernel-free explorer on the page"
    explorer = explorers.filter(has=visit.page.locator("label", has_text=label)).first
    slider = explorer.locator("label", has_text=label).locator("input[type=range]")
    readout = explorer.locator("label", has_text=label).locator("output")
    stops = int(slider.get_attribute("max")) + 1
    assert stops >= 3, f"{lesson}: the {label} slider has only {stops} stops"
    explorer.scroll_into_view_if_needed()
    seen = [_pictures(explorer)]
    assert seen[0], f"{lesson}: the explorer shows no picture"
    shot = f"{lesson}-{re.sub(r'[^a-z]+', '_', label.replace('λ', 'lambda'))}"
    explorer.screenshot(path=str(ARTIFACTS / f"{shot}-before.png"))
    slider.focus()
    for step in range(1, stops):  # every stop, one key press each, as a reader would
        before = readout.inner_text()
        visit.page.keyboard.press("ArrowRight")
        visit.page.wait_for_function("([s, v]) => s.value === v", arg=[slider.element_handle(), str(step)])
        assert readout.inner_text() != before, f"{lesson}: the readout stayed {before!r} at stop {step}"
        pictures = _pictures(explorer)
        assert pictures and pictures != seen[-1], f"{lesson}: the picture did not change at stop {step}"
        seen.append(pictures)
        if step == 1:
            explorer.screenshot(path=str(ARTIFACTS / f"{shot}-after.png"))
    assert len({tuple(p) for p in seen}) == stops, f"{lesson}: some stops show the same picture"
    visit.images_loaded(lesson)
    visit.page.keyboard.press("Home")  # back to the first stop: the first picture again
    visit.page.wait_for_function("s => s.value === '0'", arg=slider.element_handle())
    assert _pictures(explorer) == seen[0]
    visit.check_clean(lesson)


def test_contents_page_leads_to_every_lesson_with_its_figures(visit):
    visit.open("index.html")
    assert visit.page.title().startswith("00 ·")
    contents = visit.page.locator("a[href$='.html']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    missing = [name for name in LESSONS[1:] if f"{name}.html" not in contents]
    assert not missing, f"the contents page does not link to {missing}"
    for name in LESSONS[1:]:  # follow each link of the contents list
        visit.open("index.html")
        visit.page.locator(f"main a[href='{name}.html']").first.click()
        visit.page.wait_for_url(f"**/{name}.html")
        visit.page.wait_for_load_state("load")
        assert visit.page.title().startswith(name[:2] + " ·"), f"{name}: title {visit.page.title()!r}"
        assert visit.images_loaded(name) > 0, f"{name}: no images"
        visit.wait_for_math(name)
        links = visit.page.locator("main a[href$='.html']").evaluate_all("links => links.map(a => a.href)")
        dead = [u for u in links if u.startswith(visit.base)
                and not (SITE / u[len(visit.base):].split("#")[0]).is_file()]
        assert not dead, f"{name}: links to pages the site does not have: {dead}"
        i = LESSONS.index(name)  # the navigation line: previous · contents · next, as links between pages
        for other in LESSONS[i - 1:i + 2:2] + [LESSONS[0]]:
            assert f"{other}.html" in [u.rsplit("/", 1)[-1] for u in links], f"{name}: no link to {other}"
    visit.check_clean("contents and lessons")


def test_language_switch_leads_to_the_same_lesson_in_the_other_edition(visit):
    chinese = sorted(p.stem for p in (REPO / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
    if not chinese:
        pytest.skip("no Chinese edition in notebooks/zh/, so the site has no language switch")
    for name in (chinese[0], chinese[-1]):
        visit.open(f"{name}.html")
        visit.wait_for_math(name)
        visit.page.locator(".mlp-site-nav a.mlp-lang").click()
        visit.page.wait_for_url(f"**/zh/{name}.html")
        assert visit.page.evaluate("document.documentElement.lang") == "zh"
        assert visit.images_loaded(f"zh/{name}") > 0
        visit.wait_for_math(f"zh/{name}")
        visit.page.locator(".mlp-site-nav a.mlp-lang").click()
        visit.page.wait_for_url(f"**/{name}.html")
        assert "/zh/" not in visit.page.url
        visit.wait_for_math(name)  # done loading before the next page (a navigation aborts what is still loading)
    visit.check_clean("language switch")
