"""Shared helpers for the MLP lessons.

Importing this package has no side effects: no downloads, no prints and no
matplotlib backend switches. Submodules, one concern each:

- ``helpers.runtime``   device selection, seeding, environment report
- ``helpers.data``      Fashion-MNIST: finding, verifying, in-memory loaders
- ``helpers.train``     accuracy, evaluation and the training loop
- ``helpers.plot``      image grids and live training curves
- ``helpers.figures``   every image in ``figures/`` and how to regenerate it
- ``helpers.synthetic`` small seeded synthetic data sets
- ``helpers.widgets``   the interactive explorers (may use train/plot/data)
- ``helpers.checks``    exercise checks, one module per lesson
"""

from helpers.runtime import device, seed_everything

__all__ = ["device", "seed_everything"]
