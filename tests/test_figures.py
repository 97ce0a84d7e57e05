"""tools/make_figures.py: every image in figures/ (and its Chinese twin in figures/zh/) is drawn by code, and each
figure shows what its lesson says."""

import sys
from pathlib import Path

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from helpers import runtime  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import make_figures as mf  # noqa: E402

sys.path.pop(0)


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --------------------------------------------------------------------------- the registry

needs_cjk_font = pytest.mark.skipif(not any(f.name in runtime.CJK_FONTS for f in font_manager.fontManager.ttflist),
                                    reason="no CJK font (apt-get install fonts-noto-cjk) to draw figures/zh")


@pytest.mark.parametrize("lang", ["en", pytest.param("zh", marks=needs_cjk_font)])
def test_every_figure_is_registered_drawn_and_saved(tmp_path, lang):
    assert set(mf.FIGURES) == {"mlp_structure.png", "activations.png", "computational_graph.png"}
    written = mf.make_all(tmp_path, lang)
    assert sorted(p.name for p in written) == sorted(mf.FIGURES)
    assert all(p.stat().st_size > 10_000 for p in written)
    assert all((mf.FIGURES_DIR / mf.LANGUAGES[lang] / name).is_file() for name in mf.FIGURES)
    plt.close("all")


@needs_cjk_font
@pytest.mark.parametrize("name", sorted(mf.FIGURES))
def test_chinese_figures_say_in_chinese_what_the_english_ones_say(name):
    """figures/zh/NAME is NAME drawn again with its words in Chinese (numbers and symbols unchanged)."""
    def texts(lang):
        with mf.drawing_in(lang):
            fig = mf.FIGURES[name]()
            found = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
            plt.close(fig)
        return found

    english, chinese = texts("en"), texts("zh")
    assert len(english) == len(chinese)
    names = "|".join(mf.LABELS.values())  # activations' names stay as they are
    worded = [(e, z) for e, z in zip(english, chinese) if re.search(r"[a-z]{3}", re.sub(names, "", e)) and "$" not in e]
    assert worded and all(re.search(r"[\u4e00-\u9fff]", z) for _, z in worded), worded
    assert [re.findall(r"\d+", e) for e, _ in worded] == [re.findall(r"\d+", z) for _, z in worded]


def test_chinese_figures_need_a_cjk_font(monkeypatch):
    """Without a CJK font `make figures` stops, rather than write Chinese figures in English (or in boxes)."""
    monkeypatch.setattr(runtime, "cjk_font", lambda: None)
    with pytest.raises(SystemExit, match="fonts-noto-cjk"):
        with mf.drawing_in("zh"):
            pass


def test_save_fig_refuses_other_formats(tmp_path):
    fig = plt.figure()
    try:
        with pytest.raises(ValueError, match="name="):
            mf.save_fig(fig, "figure.jpg", tmp_path)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- mlp_structure.png (lesson 02)

def test_layer_parameters_and_structure_figure():
    assert mf.layer_parameters((784, 256, 10)) == [200960, 2570]
    assert mf.layer_parameters((784, 10)) == [7850]
    for bad in ((784,), (784, 0, 10), (784, 2.5)):
        with pytest.raises(ValueError, match="sizes"):
            mf.layer_parameters(bad)
    fig = mf.mlp_structure_figure()
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "203,530" in titles and "7,850" in titles
    plt.close(fig)


# --------------------------------------------------------------------------- activations.png (lesson 03)

def test_activations_figure_draws():
    fig = mf.activations_figure()
    assert len(fig.axes) == 3 and [ax.get_title() for ax in fig.axes] == ["sigmoid", "tanh", "ReLU"]
    # the dotted line marks each derivative's maximum: 1/4 for sigmoid, 1 for tanh and ReLU
    legends = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]
    assert [texts[-1] for texts in legends] == ["max φ′ = 0.25", "max φ′ = 1", "max φ′ = 1"]
    plt.close(fig)


def test_activations_figure_refuses_bad_names():
    with pytest.raises(ValueError, match="names"):
        mf.activations_figure(())
    with pytest.raises(ValueError, match="activation"):
        mf.activations_figure(("relu", "nope"))


def test_autograd_derivatives_equal_the_closed_forms():
    x = torch.linspace(-6, 6, 601, dtype=torch.float64)
    closed = {"sigmoid": torch.sigmoid(x) * (1 - torch.sigmoid(x)), "tanh": 1 - torch.tanh(x) ** 2,
              "relu": (x > 0).to(x.dtype)}
    for name, expected in closed.items():
        y, dy = mf.function_and_derivative(name, x)
        assert torch.allclose(dy, expected) and y.shape == x.shape, name


# --------------------------------------------------------------------------- computational_graph.png (lesson 08)

def test_graph_draws_every_node_and_the_three_parts():
    fig = mf.computational_graph()
    try:
        texts = _texts(fig)
        for _, _, label, _ in mf.GRAPH_NODES.values():
            assert label in texts
        for number in (1, 2, 3):
            assert str(number) in texts
        captions = " ".join(texts)
        assert "network" in captions and "regularization" in captions and "objective" in captions
        arrows = [c for c in fig.axes[0].texts if c.get_text() == "" and getattr(c, "arrow_patch", None)]
        assert len(arrows) == len(mf.GRAPH_EDGES)
    finally:
        plt.close(fig)


def test_edges_follow_the_note():
    edges = set(mf.GRAPH_EDGES)
    assert all(a in mf.GRAPH_NODES and b in mf.GRAPH_NODES for a, b in edges)
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
        assert mf.computational_graph(ax) is fig
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="ax="):
        mf.computational_graph(ax="not an axes")


def test_make_figures_runs_as_make_does(tmp_path):
    import subprocess

    out = subprocess.run([sys.executable, str(Path(mf.__file__)), str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(mf.FIGURES)
    assert sorted(p.name for p in (tmp_path / "zh").iterdir()) == sorted(mf.FIGURES)
