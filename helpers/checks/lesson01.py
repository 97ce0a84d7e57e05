"""Checks for lesson 01 (limits of linear models): each prints ✅ or a specific hint and returns a bool."""

from __future__ import annotations

import torch

from helpers import synthetic
from helpers.checks import run_student_code, verdict


def _r_squared(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    y, y_hat = y.reshape(-1).double(), y_hat.reshape(-1).double()
    return float(1 - ((y - y_hat) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def check_u_features(u_features) -> bool:
    """``u_features(t)``: temperatures (n, 1) °C → features (n, k), k ≤ 4, with which a *linear*
    least-squares fit reaches R² ≥ 0.6 on the U-shaped mortality data (a line in t alone: about 0.2)."""
    t, mortality = synthetic.temperature_mortality(n=200, seed=0)
    features, hint = run_student_code(u_features, t.clone())
    if hint:
        return verdict(False, "", hint)
    if features is None:
        return verdict(False, "", "u_features returned None: return a tensor of shape (n, k), e.g. with "
                                  "torch.cat([...], dim=1)")
    if not isinstance(features, torch.Tensor):
        return verdict(False, "", f"u_features returned a {type(features).__name__}; return a torch tensor")
    if features.dim() == 1:
        features = features[:, None]
    if features.dim() != 2 or features.shape[0] != len(t):
        return verdict(False, "", f"the features have shape {tuple(features.shape)}; expected ({len(t)}, k): "
                                  "one row per temperature")
    if not 1 <= features.shape[1] <= 4:
        return verdict(False, "", f"{features.shape[1]} feature columns; use between 1 and 4 "
                                  "(two are enough: t and a squared term)")
    if not torch.isfinite(features).all():
        return verdict(False, "", "some features are NaN or infinite; check for divisions or huge powers")
    A = torch.cat([torch.ones(len(t), 1, dtype=torch.float64), features.double()], dim=1)
    w = torch.linalg.lstsq(A, mortality.double()).solution
    r2 = _r_squared(A @ w, mortality)
    if r2 < 0.6:
        return verdict(False, "", f"a linear fit on your features reaches R² = {r2:.3f} (a line in t alone: "
                                  "0.20). A linear model can only add up its features times weights, so "
                                  "one feature must itself bend: try (t - 37) ** 2 next to t.")
    return verdict(True, f"a linear model on your {features.shape[1]} feature(s) reaches R² = {r2:.3f} on the "
                         "U-shape: the bend is in the feature, which you had to know in advance.", "")


CORNERS = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
CORNER_LABELS = torch.tensor([0, 0, 1, 1])


def check_xor_net(xor_net) -> bool:
    """``xor_net(X)``: (n, 2) → (n,) scores, > 0 meaning class 1; must get the four corners (±1, ±1)
    right and ≥ 90 % of ``synthetic.xor_blobs``."""
    scores, hint = run_student_code(xor_net, CORNERS.clone())
    if hint:
        return verdict(False, "", hint)
    if not isinstance(scores, torch.Tensor):
        return verdict(False, "", f"xor_net returned {type(scores).__name__}; return a tensor of scores, one per row")
    scores = scores.detach().reshape(-1)
    if len(scores) != 4:
        return verdict(False, "", f"xor_net gave {len(scores)} scores for 4 points; return one score per row of X")
    predicted = (scores > 0).long()
    wrong = [tuple(int(v) for v in CORNERS[i].tolist()) for i in range(4) if predicted[i] != CORNER_LABELS[i]]
    if wrong:
        return verdict(False, "", f"wrong at corner(s) {wrong} (scores {[round(float(s), 3) for s in scores]}). "
                                  "Class 1 is where the signs differ. Hint: a unit relu(x₁ − x₂) is on only "
                                  "at (1, −1), relu(x₂ − x₁) only at (−1, 1); add them and subtract a threshold.")
    X, y = synthetic.xor_blobs(n=400, seed=0)
    scores, hint = run_student_code(xor_net, X.clone())
    if hint:
        return verdict(False, "", hint)
    if not isinstance(scores, torch.Tensor) or scores.numel() != len(y):
        return verdict(False, "", f"on {len(y)} points xor_net should return {len(y)} scores, one per row of X")
    accuracy = float(((scores.detach().reshape(-1) > 0).long() == y).float().mean())
    if accuracy < 0.9:
        return verdict(False, "", f"the corners are right but only {accuracy:.1%} of the XOR blobs are: put the "
                                  "threshold half-way, so points near a corner land on the right side")
    return verdict(True, f"two ReLU units solve XOR: the corners and {accuracy:.1%} of the blobs are right, "
                         "which no linear model can do.", "")
