"""The computational-graph figure of lesson 08 draws, is registered, and shows what the note's graph shows."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers import figures, graphs  # noqa: E402


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_graph_draws_every_node_and_the_three_parts():
    fig = graphs.computational_graph()
    try:
        texts = _texts(fig)
        for _, _, label, _ in graphs.GRAPH_NODES.values():
            assert label in texts
        for number in (1, 2, 3):
            assert str(number) in texts
        captions = " ".join(texts)
        assert "network" in captions and "regularization" in captions and "objective" in captions
        arrows = [c for c in fig.axes[0].texts if c.get_text() == "" and getattr(c, "arrow_patch", None)]
        assert len(arrows) == len(graphs.GRAPH_EDGES)
    finally:
        plt.close(fig)


def test_edges_follow_the_note():
    edges = set(graphs.GRAPH_EDGES)
    assert all(a in graphs.GRAPH_NODES and b in graphs.GRAPH_NODES for a, b in edges)
    # the chain x -> z -> h -> o -> L -> J, through its operators
    for a, b in [("x", "mul1"), ("mul1", "z"), ("z", "phi"), ("phi", "h"), ("h", "mul2"), ("mul2", "o"),
                 ("o", "loss"), ("y", "loss"), ("loss", "L"), ("L", "plus"), ("plus", "J")]:
        assert (a, b) in edges
    # both weights feed their layer and the regularization term, which feeds J
    for w, op in (("W1", "mul1"), ("W2", "mul2")):
        assert (w, op) in edges and (w, "norm") in edges
    assert ("norm", "s") in edges and ("s", "plus") in edges


def test_graph_draws_on_a_given_axes_and_refuses_other_things():
    fig, ax = plt.subplots()
    try:
        assert graphs.computational_graph(ax) is fig
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="ax="):
        graphs.computational_graph(ax="not an axes")


def test_registered_and_saved(tmp_path):
    assert figures.FIGURES["computational_graph.png"] == "helpers.graphs:computational_graph"
    fig = figures.draw("computational_graph.png")
    try:
        path = figures.save_fig(fig, "computational_graph.png", tmp_path)
    finally:
        plt.close(fig)
    assert path.stat().st_size > 10_000
    assert (figures.FIGURES_DIR / "computational_graph.png").is_file()
