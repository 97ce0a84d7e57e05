"""Shared bits of the notebook tools: where the lessons are and how to read their titles."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START = "00_start_here.ipynb"
TITLE = re.compile(r"^#\s+(\d\d)\s+·\s+(.+?)\s*$")


def lesson_paths() -> list[Path]:
    """Every NN_slug.ipynb in reading order, 00_start_here included."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def read(path: Path):
    import nbformat  # here, not at the top: every kernel of make test imports this module (tools/shared_results.py)
    return nbformat.read(path, as_version=4)


def write(nb, path: Path) -> None:
    import nbformat
    nbformat.write(nb, path)


def title_of(nb, path: Path) -> tuple[str, str, str]:
    """``(number, title, one-line summary)`` from the first (title) cell.

    The title cell starts with ``# NN · English title · 中文``; the summary is
    the first sentence of the paragraph after it.
    """
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown":
        raise ValueError(f"{path.name}: the first cell must be the markdown title cell")
    lines = first.source.splitlines()
    match = TITLE.match(lines[0]) if lines else None
    if not match:
        raise ValueError(f"{path.name}: the title cell must start with '# NN · Title · 中文', found {lines[:1]}")
    paragraph = ""
    for line in lines[1:]:
        if line.strip() and not line.startswith(("#", "<!--", "-", "*", "[")):
            paragraph = line.strip()
            break
    summary = re.split(r"(?<=[.!?])\s|(?<=[。！？])", paragraph, maxsplit=1)[0] if paragraph else ""  # English or Chinese
    return match.group(1), match.group(2), summary
