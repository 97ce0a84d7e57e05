"""Shared helpers for the MLP lessons: a small core and one module per lesson. Importing this package has no side
effects: no downloads, no prints and no matplotlib backend switches.

The core, by concept, used by every lesson: ``helpers.runtime`` (device, seeding, one CPU thread, argument checks,
the exercise verdict, the language), ``helpers.data`` (Fashion-MNIST found offline, verified, served from memory;
seeded subsets), ``helpers.train`` (the MLP builder ``mlp``, evaluation, the one training loop ``train``) and
``helpers.plot`` (image grids, training curves, the explorer pattern). ``helpers.lesson01`` … ``helpers.lesson09``
hold what only their lesson needs (its data, fits, drawing, explorer and exercise checks); each opens with "Used in
lesson NN" and uses the core, never another lesson's module. ``tools/make_figures.py`` draws the images in
``figures/`` at build time.
"""

from helpers.runtime import device, seed_everything

__all__ = ["device", "seed_everything"]
