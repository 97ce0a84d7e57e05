"""Checks for lesson 05, generalization and overfitting (泛化与过拟合).

Each check calls the student's function on small fixed inputs, prints ✅ or ❌
with a specific hint, and returns the verdict as a bool. None of them raises
on a stub.

- ``check_poly_features(fn)``: fn(x, max_degree) -> (n, max_degree + 1), column i = x^i / i!.
- ``check_split(fn)``: fn(n, n_val, seed) -> (train_idx, val_idx), a random split of 0 … n−1.
- ``check_choose_degree(fn)``: fn(sweep) -> the degree with the lowest *validation* loss.
"""

from __future__ import annotations

import torch

from helpers.checks import run_student_code, verdict
from helpers.synthetic import poly_features

__all__ = ["check_poly_features", "check_split", "check_choose_degree"]

X_CHECK = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.7, 1.5, 3.0])


def _as_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    try:
        return torch.as_tensor(value)
    except Exception:
        return None


# --------------------------------------------------------------------------- exercise 1


def _features_hint(got: torch.Tensor, x: torch.Tensor, max_degree: int) -> str:
    n, cols = len(x), max_degree + 1
    if tuple(got.shape) == (cols, n) and cols != n:
        return f"the shape is {tuple(got.shape)}, the transpose of (n, max_degree + 1) = {(n, cols)}: stack the columns along dim=1"
    if tuple(got.shape) == (n, max_degree):
        return (f"the shape is {tuple(got.shape)}: one column short. Column 0 is x^0/0! = 1 (the constant), "
                f"so there are max_degree + 1 = {cols} columns")
    if tuple(got.shape) != (n, cols):
        return f"the shape is {tuple(got.shape)}; for x of shape ({n},) and max_degree={max_degree} expect {(n, cols)}"
    got = got.double()
    x = x.double()
    powers = torch.stack([x**i for i in range(cols)], dim=1)
    if torch.allclose(got, powers, rtol=1e-5, atol=1e-6):
        return "these are the plain powers x^i: divide column i by i! (math.factorial(i) or math.gamma(i + 1))"
    want = poly_features(x, max_degree)
    for i in range(cols):
        if not torch.allclose(got[:, i], want[:, i], rtol=1e-5, atol=1e-6):
            return f"column {i} should be x^{i}/{i}! = {want[:, i].tolist()}, got {got[:, i].tolist()}"
    return "the values differ from x^i / i!"


def check_poly_features(fn) -> bool:
    """``fn(x, max_degree)``: x (n,) float32 → (n, max_degree + 1), column i = x^i / i! (d2l's features)."""
    for x, max_degree in ((X_CHECK, 4), (X_CHECK[:3], 6), (X_CHECK, 0)):
        got, error = run_student_code(fn, x.clone(), max_degree)
        if error:
            return verdict(False, "", error)
        if got is None:
            return verdict(False, "", "poly_features returned None: build the columns x^i / i! for i = 0 … "
                                      "max_degree and return them as one (n, max_degree + 1) tensor")
        got = _as_tensor(got)
        if got is None or got.dim() != 2:
            return verdict(False, "", f"return a 2-D tensor of shape (n, max_degree + 1), got {type(got).__name__} "
                                      f"with shape {getattr(got, 'shape', None)}")
        want = poly_features(x.double(), max_degree)
        if tuple(got.shape) != tuple(want.shape) or not torch.allclose(got.double(), want, rtol=1e-5, atol=1e-6):
            return verdict(False, "", f"for max_degree={max_degree}: " + _features_hint(got, x, max_degree))
    return verdict(True, "column i is x^i / i!, with the constant column first, for max_degree 0, 4 and 6", "")


# --------------------------------------------------------------------------- exercise 2


def _index_set(value, name: str):
    t = _as_tensor(value)
    if t is None or t.dim() != 1 or t.dtype.is_floating_point or t.dtype == torch.bool:
        return None, f"{name} should be a 1-D tensor of integer indices, got {type(value).__name__}"
    return t, None


def check_split(fn) -> bool:
    """``fn(n, n_val, seed)`` → ``(train_idx, val_idx)``: a seeded random split of the indices 0 … n−1."""
    n, n_val = 50, 10
    result, error = run_student_code(fn, n, n_val, 0)
    if error:
        return verdict(False, "", error)
    if result is None:
        return verdict(False, "", "split returned None: return the pair (train_idx, val_idx)")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return verdict(False, "", "return a pair (train_idx, val_idx), two tensors of indices")
    train_idx, hint = _index_set(result[0], "train_idx")
    if hint:
        return verdict(False, "", hint)
    val_idx, hint = _index_set(result[1], "val_idx")
    if hint:
        return verdict(False, "", hint)
    if len(val_idx) != n_val:
        return verdict(False, "", f"val_idx has {len(val_idx)} indices for n_val={n_val}: it should have exactly n_val")
    if len(train_idx) != n - n_val:
        return verdict(False, "", f"train_idx has {len(train_idx)} indices; the rest of the data is n − n_val = {n - n_val}")
    together = torch.cat([train_idx, val_idx])
    if len(set(train_idx.tolist()) & set(val_idx.tolist())):
        return verdict(False, "", "some indices are in both sets: a validation example the model trained on "
                                  "measures memory, not generalization. Take both from one permutation")
    if sorted(together.tolist()) != list(range(n)):
        return verdict(False, "", f"together the two sets should hold every index 0 … {n - 1} exactly once")
    if sorted(val_idx.tolist()) == list(range(n - n_val, n)) or sorted(val_idx.tolist()) == list(range(n_val)):
        return verdict(False, "", "the validation set is simply the first or last rows: real data is often sorted "
                                  "(by class, by date), so shuffle first: torch.randperm(n, generator=...)")
    again, error = run_student_code(fn, n, n_val, 0)
    if error or not isinstance(again, (tuple, list)) or len(again) != 2:
        return verdict(False, "", error or "a second call with the same arguments did not return a pair")
    if not torch.equal(_as_tensor(again[1]), val_idx):
        return verdict(False, "", "the same seed gave a different split: draw the permutation from "
                                  "torch.Generator().manual_seed(seed), so the split repeats exactly")
    other, error = run_student_code(fn, n, n_val, 1)
    if error or not isinstance(other, (tuple, list)) or len(other) != 2:
        return verdict(False, "", error or "split(n, n_val, seed=1) did not return a pair")
    if torch.equal(_as_tensor(other[1]), val_idx):
        return verdict(False, "", "seed=1 gave the same split as seed=0: use the seed argument for the generator")
    return verdict(True, "a disjoint, complete, shuffled split that repeats for the same seed", "")


# --------------------------------------------------------------------------- exercise 3

# Two sweeps where the lowest training loss and the lowest validation loss sit at different degrees;
# in the second the degrees do not start at 0 (so a list position is not a degree) and the
# smallest gap belongs to an underfitting model (degree 1).
SWEEPS = (
    {"degree": [0, 1, 2, 3, 4, 5, 6, 8, 10],
     "train_loss": [24.9, 6.34, 0.615, 0.0132, 0.0123, 0.0121, 0.0113, 0.0108, 0.0060],
     "val_loss": [27.2, 8.91, 29.9, 0.0187, 0.560, 1.44, 167.0, 1.9e4, 4.8e8]},
    {"degree": [1, 4, 6, 8, 12],
     "train_loss": [1.50, 0.40, 0.051, 0.020, 0.004],
     "val_loss": [1.52, 0.55, 0.090, 0.130, 3.1]},
)


def check_choose_degree(fn) -> bool:
    """``fn(sweep)`` → the degree (an int from ``sweep["degree"]``) with the lowest validation loss."""
    for sweep in SWEEPS:
        copy = {k: list(v) for k, v in sweep.items()}
        got, error = run_student_code(fn, copy)
        if error:
            return verdict(False, "", error)
        if got is None:
            return verdict(False, "", "choose_degree returned None: return the degree whose validation loss is lowest")
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)) or not float(got).is_integer():
            return verdict(False, "", f"return one degree, an int such as 3; got {got!r}")
        got = int(got)
        degrees, train, val = sweep["degree"], sweep["train_loss"], sweep["val_loss"]
        best = degrees[min(range(len(val)), key=val.__getitem__)]
        by_train = degrees[min(range(len(train)), key=train.__getitem__)]
        position = min(range(len(val)), key=val.__getitem__)
        if got == best:
            continue
        if got == by_train:
            return verdict(False, "", f"you chose degree {got}, the lowest *training* loss. Training loss only "
                                      "falls as the degree grows (bigger models fit the training set at least as "
                                      "well), so it always picks the biggest model: choose by validation loss")
        if got == position and position != best:
            return verdict(False, "", f"you returned {got}, the position in the list; return "
                                      f"sweep['degree'][{position}] = {best}, the degree itself")
        if got not in degrees:
            return verdict(False, "", f"{got} is not one of the degrees {degrees}")
        gaps = [v - t for t, v in zip(train, val)]
        if got == degrees[min(range(len(gaps)), key=gaps.__getitem__)]:
            return verdict(False, "", f"you chose degree {got}, the smallest gap; a small gap can also mean both "
                                      "losses are bad (underfitting). Choose the lowest validation loss")
        return verdict(False, "", f"degree {got} is not the one with the lowest validation loss in {val}")
    return verdict(True, "you choose the model by its validation loss, as the note says", "")
