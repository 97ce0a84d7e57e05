"""The λ and dropout explorers of lessons 06 and 07.

Each slider move retrains a small MLP on a fixed Fashion-MNIST subset (see
``helpers.regularization``) and redraws its curves; settings already computed
come back from the cache at once. The run with no regularization (λ = 0, or
p = 0) is drawn in grey behind every other setting, so the change is easy to see.

``.result`` after each update is the run's history dict: per-epoch lists
``train_loss``, ``test_loss``, ``train_acc``, ``test_acc``, ``weight_norm``
(and ``epoch_time``).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from helpers.regularization import check_dropout, check_lambd, train_with_dropout, train_with_weight_decay
from helpers.widgets.base import explorer

# The λ slider's stops: 0, then a log scale from 1e-4 to 0.1 (two stops per decade).
# FloatLogSlider cannot reach 0, so the stops are listed and shown by a SelectionSlider.
LAMBDA_STOPS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
DROPOUT_MAX = 0.9
DROPOUT_STEP = 0.1


def _lambda_label(value: float) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _curve(ax, values, label, color, style="-", alpha=1.0, lw=1.8):
    ax.plot(range(1, len(values) + 1), values, style, color=color, label=label, alpha=alpha, lw=lw)


def _loss_top(history) -> float:
    """Top of the loss axis: fixed at 2.5 (a uniform guess scores ln 10 ≈ 2.3) so moves compare; wider if needed."""
    return max(2.5, 1.05 * max(history["train_loss"] + history["test_loss"]))


def _draw_reference(ax, reference, key, label):
    if reference is not None:
        _curve(ax, reference[key], label, "0.6", ":" if key.startswith("test") else "-", lw=1.2)


def _draw_loss_panel(ax, history, reference, knob: str, value: str) -> None:
    """Train and test loss per epoch, the knob = 0 run in grey behind, titled with the final losses."""
    _draw_reference(ax, reference, "train_loss", f"train loss, {knob} = 0")
    _draw_reference(ax, reference, "test_loss", f"test loss, {knob} = 0")
    _curve(ax, history["train_loss"], "train loss", "C0")
    _curve(ax, history["test_loss"], "test loss", "C3", "--")
    ax.set(xlabel="epoch", ylabel="cross-entropy loss", ylim=(0, _loss_top(history)),
           title=f"{knob} = {value}: final train loss {history['train_loss'][-1]:.2f}, "
                 f"test loss {history['test_loss'][-1]:.2f}")


def _reporting(compute, errors: list):
    """``compute`` that also records its exception (ipywidgets only logs errors raised in an update)."""
    def run(**values):
        try:
            return compute(**values)
        except Exception as err:
            errors.append(err)
            raise
    return run


def _checked(panel: widgets.interactive, errors: list) -> widgets.interactive:
    """Raise the first run's error (e.g. a bad keyword for the training run) instead of a blank panel."""
    if errors:
        raise errors[0]
    return panel


def weight_decay_explorer(lambd: float = 0.0, **train_kwargs) -> widgets.interactive:
    """A λ slider (0, then 1e-4 … 0.1 on a log scale); each move retrains and redraws.

    Left: training and test loss per epoch; right: the weight norm ‖W‖ per
    epoch; the λ = 0 run in grey behind. ``lambd`` is the starting stop (one of
    ``LAMBDA_STOPS``); ``train_kwargs`` go to ``train_with_weight_decay``
    (e.g. ``num_epochs=10`` for a quicker run). ``.result`` is the history of
    the run shown, with ``weight_norm``.
    """
    lambd = check_lambd(lambd)
    if lambd not in LAMBDA_STOPS:
        raise ValueError(f"lambd={lambd!r} is not a stop of the slider; use one of {LAMBDA_STOPS}")
    runs: dict[float, dict] = {}

    def compute(lambd):
        runs[lambd] = train_with_weight_decay(lambd, **train_kwargs)
        return runs[lambd]

    def draw(history, lambd):
        reference = runs.get(0.0) if lambd != 0 else None
        fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(10, 3.4))
        _draw_loss_panel(ax_loss, history, reference, "λ", _lambda_label(lambd))
        _draw_reference(ax_norm, reference, "weight_norm", "‖W‖, λ = 0")
        _curve(ax_norm, history["weight_norm"], "‖W‖", "C2")
        ax_norm.set(xlabel="epoch", ylabel="‖W‖ (all weight matrices)",
                    ylim=(0, max(14.0, 1.1 * max(history["weight_norm"]))),
                    title=f"‖W‖ = {history['weight_norm'][-1]:.2f} after the last epoch "
                          f"(test acc {history['test_acc'][-1]:.3f})")
        for ax in (ax_loss, ax_norm):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        fig.tight_layout()

    slider = widgets.SelectionSlider(options=[(_lambda_label(v), v) for v in LAMBDA_STOPS], value=lambd,
                                     description="λ", continuous_update=False)
    errors: list = []
    return _checked(explorer(_reporting(compute, errors), draw, lambd=slider), errors)


def dropout_explorer(dropout: float = 0.0, **train_kwargs) -> widgets.interactive:
    """A dropout-rate slider (p from 0 to 0.9); each move retrains and redraws.

    Left: training and test loss per epoch; right: training and test accuracy;
    the p = 0 run in grey behind. ``dropout`` is the starting rate;
    ``train_kwargs`` go to ``train_with_dropout`` (e.g. ``num_epochs=10``).
    ``.result`` is the history of the run shown.
    """
    dropout = check_dropout(dropout)
    if dropout > DROPOUT_MAX:
        raise ValueError(f"dropout={dropout!r} is past the slider's end; use a value in [0, {DROPOUT_MAX}]")
    runs: dict[float, dict] = {}

    def compute(dropout):
        p = round(check_dropout(dropout), 6)  # a browser may send 0.30000000000000004
        runs[p] = train_with_dropout(p, **train_kwargs)
        return runs[p]

    def draw(history, dropout):
        p = round(dropout, 6)
        reference = runs.get(0.0) if p != 0 else None
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
        _draw_loss_panel(ax_loss, history, reference, "p", f"{p:g}")
        _draw_reference(ax_acc, reference, "train_acc", "train acc, p = 0")
        _draw_reference(ax_acc, reference, "test_acc", "test acc, p = 0")
        _curve(ax_acc, history["train_acc"], "train acc", "C0")
        _curve(ax_acc, history["test_acc"], "test acc", "C3", "--")
        gap = history["train_acc"][-1] - history["test_acc"][-1]
        ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1),
                   title=f"test acc {history['test_acc'][-1]:.3f}, train − test gap {gap:+.3f}")
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        fig.tight_layout()

    slider = widgets.FloatSlider(value=dropout, min=0.0, max=DROPOUT_MAX, step=DROPOUT_STEP,
                                 description="dropout p", readout_format=".1f", continuous_update=False)
    errors: list = []
    return _checked(explorer(_reporting(compute, errors), draw, dropout=slider), errors)
