"""Shared helpers for the MLP lessons: a small core and one module per lesson.

Importing this package has no side effects: no downloads, no prints and no
matplotlib backend switches.

The core, by concept, used by every lesson:

- ``helpers.runtime``  device, seeding, one CPU thread, argument checks, the exercise verdict
- ``helpers.data``     Fashion-MNIST: found offline, verified, served from memory; seeded subsets
- ``helpers.train``    the MLP builder ``mlp``, evaluation and the one training loop ``train``
- ``helpers.plot``     image grids, training curves and the explorer pattern

One module per lesson, for what only that lesson needs (its data, fits,
drawing, explorer and exercise checks): ``helpers.lesson01`` … ``helpers.lesson08``.
Each opens with "Used in lesson NN". Lesson modules use the core, never each other.
The images in ``figures/`` are drawn at build time by ``tools/make_figures.py``.
"""

from helpers.runtime import device, seed_everything

__all__ = ["device", "seed_everything"]
