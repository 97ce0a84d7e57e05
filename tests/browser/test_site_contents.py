"""The website's contents page leads to every lesson, each with its images, rendered math and navigation links, and no
explorer a still image because one of its settings raised (the fixtures: tests/browser/sitedriver.py; its own file, so
that it can run beside tests/browser/test_site.py)."""

from __future__ import annotations

import pytest

from sitedriver import LESSONS, SITE, server, site, visit  # noqa: F401 - server and site: fixtures visit uses

pytestmark = pytest.mark.browser


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
        stills = visit.page.locator(".mlp-still .mlp-note").all_text_contents()
        failed = [note for note in stills if " failed: " in note]  # Explorer.static_views' words for a raised setting
        assert not failed, f"{name}: a setting of an explorer raised, so the page shows a still image instead: {failed}"
        visit.wait_for_math(name)
        links = visit.page.locator("main a[href$='.html']").evaluate_all("links => links.map(a => a.href)")
        dead = [u for u in links if u.startswith(visit.base)
                and not (SITE / u[len(visit.base):].split("#")[0]).is_file()]
        assert not dead, f"{name}: links to pages the site does not have: {dead}"
        i = LESSONS.index(name)  # the navigation line: previous · contents · next, as links between pages
        for other in LESSONS[i - 1:i + 2:2] + [LESSONS[0]]:
            assert f"{other}.html" in [u.rsplit("/", 1)[-1] for u in links], f"{name}: no link to {other}"
    visit.check_clean("contents and lessons")
