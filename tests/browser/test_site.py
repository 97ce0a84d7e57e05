"""The lessons as a website, read in headless Chromium with no kernel (the fixtures: tests/browser/sitedriver.py):
the kernel-free sliders of lessons 06 and 07 swap their pictures at every stop, and the language switch leads to the
other edition and back. tests/browser/test_site_contents.py follows the contents page; the two files can run at once.
"""

from __future__ import annotations

import re

import pytest

from sitedriver import ARTIFACTS, REPO, server, site, visit  # noqa: F401 - server and site: fixtures visit uses

pytestmark = pytest.mark.browser


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
