"""00_start_here in JupyterLab: it renders, its contents links open the lessons, its slider redraws."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import labdriver

pytestmark = pytest.mark.browser

START = "notebooks/00_start_here.ipynb"
CONTENTS = "<!--CONTENTS-->"
FIGURE = re.compile(r"!\[[^\]]*\]\(\.\./figures/[^)\s]+\)")
ITEM = re.compile(r"^\s*\d+\.\s+\[(\d\d · [^\]]+)\]\(([^)\s]+\.ipynb)\)", re.M)


def contents_links(root: Path) -> list[tuple[str, str]]:
    """(link text, target) of each item of the contents cell, as stored in the notebook."""
    nb = labdriver.read_notebook(root / START)
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"
             and labdriver.source(c).startswith(CONTENTS)]
    assert len(cells) == 1, f"{START} must have one markdown cell starting with {CONTENTS}"
    return ITEM.findall(labdriver.source(cells[0]))


def test_start_here_renders_and_a_contents_link_opens_its_lesson(lab_page, lab_server):
    from playwright.sync_api import expect

    links = contents_links(lab_server.root)
    assert links, (f"the contents list of {START} has no lesson links; "
                   "run `make nav` after adding a lesson")
    notebooks = lab_server.root / "notebooks"
    missing = [target for _, target in links if not (notebooks / target).is_file()]
    assert not missing, f"contents links to notebooks that do not exist: {missing}"

    nb = labdriver.open_notebook(lab_page, lab_server, START, workspace="start-here-contents")
    expect(nb.panel.locator(".jp-RenderedMarkdown h1").first).to_contain_text("00 · Start here")
    contents = nb.panel.locator(".jp-MarkdownCell").filter(
        has=lab_page.locator("h2", has_text="Contents"))
    anchors = contents.locator("ol > li a")
    expect(anchors).to_have_count(len(links))
    assert [t.strip() for t in anchors.all_text_contents()] == [text for text, _ in links]

    # Follow the first link to a lesson that embeds a figure (../figures/*.png), so that
    # the figures' loading (the server's root is the repository) is checked as well.
    text, target = next(((t, g) for t, g in links if FIGURE.search((notebooks / g).read_text(encoding="utf-8"))),
                        links[0])
    anchors.filter(has_text=text).first.click()
    lesson = labdriver.notebook_in_tab(lab_page, Path(target).name)
    expect(lesson.tab).to_have_class(re.compile(r"\blm-mod-current\b"))  # the lesson is the active tab
    lesson.wait_rendered(labdriver.cell_count(notebooks / target))
    expect(lesson.panel.locator(".jp-RenderedMarkdown h1").first).to_contain_text(text)
    labdriver.save_screenshot(lab_page, "00_start_here-link-opened")
    broken = lesson.broken_images()
    assert not broken, f"{target}: images that did not load (figures are served from the repository root): {broken}"

    # The navigation line of the title cell is links, not markdown shown as text.
    title_cell = lesson.panel.locator(".jp-MarkdownCell .jp-RenderedMarkdown").first
    back = title_cell.locator("a", has_text=re.compile(r"^Contents$"))
    assert back.count() == 1, (
        f"{target}: the navigation line of the title cell does not render as links; JupyterLab shows "
        f"{title_cell.text_content().strip().splitlines()[-1]!r} (a line that starts with an HTML comment "
        "such as <!--NAV--> is an HTML block in Markdown, so its links are not rendered)")


def test_start_here_slider_redraws_the_picture(lab_page, lab_server):
    move = labdriver.run_and_move(lab_page, lab_server, START, re.compile(r"^\s*index\s*$"),
                                  how="keyboard", name="00_start_here-slider")
    labdriver.assert_redrawn(move, "00_start_here, the index slider")
