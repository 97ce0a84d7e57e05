"""The lessons' explorers in JupyterLab: the slider shows, and moving it retrains and redraws.

Each test opens the lesson in the browser and runs, as a student would (click
a cell, Ctrl+Enter), the cells of its Setup section and of the section that
builds the explorer, then finds the slider by its label, moves it (arrow key
on the focused handle, or a mouse drag), waits for the new plot, and checks
that the plot changed and no error appeared. Screenshots before and after go
to test-artifacts/browser/.

Every cell of every lesson already runs under nbval in `make test`; running
all of 06 and 07 here again would take minutes. Set
MLP_LESSONS_BROWSER_RUN_ALL=1 to have these tests use Run → Run All Cells.
"""

from __future__ import annotations

import re

import pytest

import labdriver

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, label, how", [
    pytest.param("notebooks/06_weight_decay.ipynb", re.compile(r"λ|lambd", re.I), "keyboard",
                 id="06_weight_decay-lambda"),
    pytest.param("notebooks/07_dropout.ipynb", re.compile(r"dropout", re.I), "drag",
                 id="07_dropout-dropout"),
])
def test_explorer_slider_redraws(lab_page, lab_server, path, label, how):
    if not (lab_server.root / path).is_file():
        pytest.fail(f"{path} does not exist", pytrace=False)
    name = path.split("/")[-1].removesuffix(".ipynb")
    run = "all" if labdriver.run_all_requested() else "explorer"
    move = labdriver.run_and_move(lab_page, lab_server, path, label, how=how, name=name, run=run)
    labdriver.assert_redrawn(move, f"{path}, slider {label.pattern!r} ({how})")
