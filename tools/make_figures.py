"""Regenerate every image in figures/ from code (see helpers/figures.py)."""

import sys

import matplotlib

matplotlib.use("Agg")

from helpers.figures import FIGURES_DIR, make_all  # noqa: E402

if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else FIGURES_DIR
    for path in make_all(folder):
        print(f"wrote {path}")
