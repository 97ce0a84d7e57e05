"""Every image in ``figures/``, and the code that draws it.

``FIGURES`` maps a file name in ``figures/`` to ``"module:function"``, a
function of no arguments that returns a matplotlib Figure. ``make figures``
(``tools/make_figures.py``) calls each and saves it with ``save_fig``; lessons
embed the files in their markdown as ``![…](../figures/NAME)``. To add one:
write the function (in ``helpers.plot`` or the module of its topic) and add a
line here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

FIGURES_DIR = Path(__file__).resolve().parent.parent / "figures"

FIGURES: dict[str, str] = {
    "mlp_structure.png": "helpers.diagrams:mlp_structure_figure",
    "activations.png": "helpers.activations:activations_figure",
    "computational_graph.png": "helpers.graphs:computational_graph",
}


def save_fig(fig, name: str, folder: Path | None = None, dpi: int = 120) -> Path:
    """Save ``fig`` as ``folder/name`` (default ``figures/``), as handson-ml3's save_fig does."""
    folder = Path(folder) if folder is not None else FIGURES_DIR
    if not name.endswith((".png", ".svg")):
        raise ValueError(f"name={name!r} must end in .png or .svg")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def draw(name: str):
    """Call the function registered for ``name`` and return its Figure."""
    if name not in FIGURES:
        raise ValueError(f"figure {name!r} is not registered; known: {', '.join(sorted(FIGURES)) or 'none'}")
    module, function = FIGURES[name].split(":")
    return getattr(importlib.import_module(module), function)()


def make_all(folder: Path | None = None) -> list[Path]:
    """Draw and save every registered figure; returns the paths written."""
    import matplotlib.pyplot as plt

    paths = []
    for name in FIGURES:
        fig = draw(name)
        paths.append(save_fig(fig, name, folder))
        plt.close(fig)
    return paths
