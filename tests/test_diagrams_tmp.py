"""helpers.diagrams, moved here unchanged from tests/test_fitting.py (deleted with helpers.fitting);
the lesson-08 engineer moves the diagram code and this test to tools/."""

import matplotlib
import pytest

from helpers import diagrams

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_layer_parameters_and_structure_figure():
    assert diagrams.layer_parameters((784, 256, 10)) == [200960, 2570]
    assert diagrams.layer_parameters((784, 10)) == [7850]
    for bad in ((784,), (784, 0, 10), (784, 2.5)):
        with pytest.raises(ValueError, match="sizes"):
            diagrams.layer_parameters(bad)
    fig = diagrams.mlp_structure_figure()
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "203,530" in titles and "7,850" in titles
    plt.close(fig)
