"""The lessons' explorers in JupyterLab: after Run All, moving the slider retrains and redraws.

Each test runs the whole lesson in the browser, finds the slider by its
label, moves it as a student would (arrow key on the focused handle, or a
mouse drag), waits for the new plot, and checks that the plot changed and no
error appeared. Screenshots before and after go to test-artifacts/browser/.
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
    move = labdriver.run_and_move(lab_page, lab_server, path, label, how=how, name=name)
    labdriver.assert_redrawn(move, f"{path}, slider {label.pattern!r} ({how})")
