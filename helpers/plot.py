"""Image grids and live training curves.

Nothing here switches matplotlib's backend: notebooks use the inline backend,
scripts whatever matplotlib picks (``make figures`` sets Agg).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

CURVE_STYLES = {
    "train_loss": ("train loss", "C0", "-"),
    "test_loss": ("test loss", "C0", "--"),
    "train_acc": ("train acc", "C1", "-"),
    "test_acc": ("test acc", "C2", "--"),
}


def show_images(imgs, num_rows: int, num_cols: int, titles=None, scale: float = 1.5):
    """Draw a grid of images, as d2l's ``show_images``; returns the axes (flat).

    ``imgs``: (n, H, W) or (n, 1, H, W) tensor or array, n ≤ num_rows·num_cols;
    ``titles``: optional list of n strings (e.g. "true\\npredicted").
    """
    for name, value in (("num_rows", num_rows), ("num_cols", num_cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"{len(imgs)} images do not fit a {num_rows}x{num_cols} grid; "
                         "raise num_rows or num_cols, or pass fewer images")
    if titles is not None and len(titles) < len(imgs):
        raise ValueError(f"titles has {len(titles)} entries for {len(imgs)} images; give one per image")
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale * 1.15),
                             squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= len(imgs):
            continue
        img = imgs[i]
        if isinstance(img, torch.Tensor):
            img = img.detach().cpu()
            if img.dim() == 3 and img.shape[0] == 1:
                img = img[0]
            img = img.numpy()
        ax.imshow(img, cmap="gray_r" if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return axes


def plot_history(history: dict, ax=None, title: str | None = None):
    """Plot the per-epoch curves of a training history on one axes; returns it."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    for key, (label, color, style) in CURVE_STYLES.items():
        values = history.get(key) or []
        if values:
            ax.plot(range(1, len(values) + 1), values, style, color=color, label=label)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


class LiveCurves:
    """Loss and accuracy curves redrawn in place in a notebook, one update per epoch.

    Outside IPython (a plain script) it draws nothing and costs nothing.
    """

    def __init__(self, num_epochs: int):
        self.num_epochs = num_epochs
        self.handle = None
        self.fig = None
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython is always installed with the lessons
            return
        if get_ipython() is None:
            return
        self.fig, self.ax = plt.subplots(figsize=(5, 3.2))
        self._display = display
        self.handle = display(self.fig, display_id=True)

    def update(self, history: dict) -> None:
        if self.fig is None:
            return
        self.ax.clear()
        plot_history(history, self.ax)
        self.ax.set_xlim(0.5, self.num_epochs + 0.5)
        self.handle.update(self.fig)

    def close(self) -> None:
        """Stop drawing; the last picture stays in the output, with no duplicate below it."""
        if self.fig is not None:
            plt.close(self.fig)
