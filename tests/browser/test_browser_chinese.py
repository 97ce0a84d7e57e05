"""The Chinese edition in JupyterLab: a Chinese lesson runs, its explorer's slider redraws, and what helpers print
and draw is Chinese.

The test opens notebooks/zh/06_weight_decay.ipynb and runs, as a student would, the cells of its setup section and
of the section that builds the λ explorer (the same cells as in the English lesson: the two editions have the
same cells in the same order), moves the slider with the keyboard and checks that the picture changed. It then
runs the first exercise with its stub still in place: its check answers in Chinese. The screenshot
test-artifacts/browser/zh_06_weight_decay-page.png shows the Chinese text and the plots' Chinese titles,
labels and legends (drawn in the kernel with a CJK font).
"""

from __future__ import annotations

import re

import pytest

import labdriver

pytestmark = pytest.mark.browser

PATH, ENGLISH = "notebooks/zh/06_weight_decay.ipynb", "notebooks/06_weight_decay.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _code_index(path, pattern: str) -> int:
    cells = labdriver.read_notebook(path)["cells"]
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and re.search(pattern, labdriver.source(c)))


def test_a_chinese_lesson_runs_redraws_and_speaks_chinese(lab_page, lab_server):
    root = lab_server.root
    if not (root / PATH).is_file():
        pytest.fail(f"{PATH} does not exist", pytrace=False)
    nb = labdriver.open_notebook(lab_page, lab_server, PATH, workspace="zh-06")
    title = nb.panel.locator(".jp-RenderedMarkdown h1").first.text_content()
    assert CJK.search(title), f"the title is not Chinese: {title!r}"

    nb.run_cells(labdriver.explorer_cells(root / ENGLISH))  # the same cells in both editions
    labdriver.mark("setup and explorer run")
    errors = nb.errors()
    assert not errors, f"{PATH}: running it showed errors:\n" + "\n---\n".join(errors)
    slider = nb.slider(re.compile(r"λ"))
    slider.wait_for_image()
    slider.explorer.scroll_into_view_if_needed()
    shot_before = slider.output.screenshot()
    labdriver.save_screenshot(slider.explorer, "zh_06_weight_decay-before")
    value0, value1, image0, image1 = slider.move_and_wait("keyboard")
    shot_after = slider.output.screenshot()
    labdriver.save_screenshot(slider.explorer, "zh_06_weight_decay-after")
    labdriver.assert_redrawn(labdriver.Move(value0, value1, image0, image1, shot_before, shot_after, nb.errors()),
                             f"{PATH}, the λ slider (keyboard)")
    fonts = [t for t in nb.panel.locator(".jp-OutputArea-output").all_text_contents() if "missing from font" in t]
    assert not fonts, f"matplotlib drew characters its font lacks (boxes): {fonts[:1]}"

    # The first exercise, stub and check as stored: the check's answer is helpers' Chinese.
    check = _code_index(root / ENGLISH, r"check_half_life\(")
    stub = max(i for i in range(check) if re.search(r"def half_life_lambda\b",
                                                     labdriver.source(labdriver.read_notebook(root / PATH)["cells"][i])))
    nb.run_cells([stub, check])
    answer = nb.panel.locator(".jp-Cell").nth(check).locator(".jp-OutputArea-output").all_text_contents()
    assert any(a.startswith("❌ 还不对 — ") and CJK.search(a.split("—", 1)[1]) for a in answer), answer  # and its hint

    slider.explorer.scroll_into_view_if_needed()
    labdriver.save_screenshot(lab_page, "zh_06_weight_decay-page")
    text = nb.panel.text_content()
    assert len(CJK.findall(text)) > 200, "the page shows little Chinese"
