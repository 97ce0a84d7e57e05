"""Shared helpers for the MLP lessons.

Importing this package has no side effects: no downloads, no prints and no
matplotlib backend switches. Submodules, one concern each:

- ``helpers.runtime``      device selection, seeding, environment report
- ``helpers.data``         Fashion-MNIST: finding, verifying, in-memory loaders
- ``helpers.train``        accuracy, evaluation and the training loop
- ``helpers.metrics``      predictions, confusion matrix, per-class accuracy, mistakes
- ``helpers.plot``         image grids, training curves, confusion matrices
- ``helpers.figures``      every image in ``figures/`` and how to regenerate it
- ``helpers.synthetic``    small seeded synthetic data sets (units documented)
- ``helpers.fitting``      small full-batch fits of 1-D and 2-D data (lessons 01–02)
- ``helpers.fit_plots``    drawing those fits, residuals and decision regions
- ``helpers.diagrams``     the MLP structure figure and parameter counts
- ``helpers.activations``  activation functions, their derivatives, gradients through depth
- ``helpers.polyfit``      polynomial regression by degree (lesson 05)
- ``helpers.generalization``  Fashion-MNIST subset runs for the overfitting lesson
- ``helpers.regularization``  weight-decay and dropout runs behind the sliders
- ``helpers.gradcheck``    comparing gradients: ``cmp`` and central differences
- ``helpers.graphs``       the computational-graph figure of lesson 08
- ``helpers.widgets``      the interactive explorers (may use train/plot/data)
- ``helpers.checks``       exercise checks, one module per lesson
"""

from helpers.runtime import device, seed_everything

__all__ = ["device", "seed_everything"]
