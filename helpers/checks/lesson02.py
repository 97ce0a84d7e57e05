"""Checks for lesson 02 (multilayer perceptrons): each prints ✅ or a specific hint and returns a bool."""

from __future__ import annotations

import torch
from torch import nn

from helpers.checks import run_student_code, verdict

SIZES = ([784, 256, 10], [784, 10], [784, 256, 128, 10], [2, 3, 1])


def _true_count(sizes) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_count_params(count_params) -> bool:
    """``count_params(sizes)``: layer widths, e.g. [784, 256, 10] → number of weights and biases (203530)."""
    for sizes in SIZES:
        got, hint = run_student_code(count_params, list(sizes))
        if hint:
            return verdict(False, "", hint)
        want = _true_count(sizes)
        if got is None:
            return verdict(False, "", "count_params returned None: return an int")
        try:
            got = float(got)
        except (TypeError, ValueError):
            return verdict(False, "", f"count_params({sizes}) returned a {type(got).__name__}; return one int")
        if got != want:
            weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
            if got == weights:
                why = "that counts the weights only: each layer also has one bias per output unit"
            elif got == weights + sum(sizes):
                why = "that adds a bias for the input layer too: biases belong to layers 2 … L only"
            else:
                why = "each layer from width a to width b has a·b weights and b biases; add them over the layers"
            return verdict(False, "", f"count_params({sizes}) returned {got:g}, expected {want}: {why}")
    return verdict(True, f"the note's 784-256-10 MLP has {_true_count(SIZES[0]):,} parameters "
                         f"(softmax regression: {_true_count(SIZES[1]):,}).", "")


def check_compose(compose) -> bool:
    """``compose(W1, b1, W2, b2)`` → ``(W, b)`` with ``Linear(W, b)(X) == layer2(layer1(X))``;
    W1: (h, d), b1: (h,), W2: (q, h), b2: (q,) in nn.Linear's layout."""
    g = torch.Generator().manual_seed(3)
    d, h, q = 6, 5, 3
    layer1, layer2 = nn.Linear(d, h), nn.Linear(h, q)
    with torch.no_grad():
        for p in (*layer1.parameters(), *layer2.parameters()):
            p.copy_(torch.randn(p.shape, generator=g))
    X = torch.randn(8, d, generator=g)
    W1, b1, W2, b2 = (p.detach().clone() for p in (layer1.weight, layer1.bias, layer2.weight, layer2.bias))
    result, hint = run_student_code(compose, W1, b1, W2, b2)
    if hint:
        return verdict(False, "", hint)
    if not (isinstance(result, tuple) and len(result) == 2):
        return verdict(False, "", "compose must return a pair (W, b)")
    W, b = result
    if not (isinstance(W, torch.Tensor) and isinstance(b, torch.Tensor)):
        return verdict(False, "", "W and b must be tensors")
    if tuple(W.shape) != (q, d):
        return verdict(False, "", f"W has shape {tuple(W.shape)}, expected {(q, d)} (outputs × inputs, like "
                                  "nn.Linear's weight): multiply W2 by W1, in that order")
    if tuple(b.reshape(-1).shape) != (q,):
        return verdict(False, "", f"b has shape {tuple(b.shape)}, expected ({q},)")
    with torch.no_grad():
        want = layer2(layer1(X))
        got = X @ W.detach().to(X.dtype).T + b.detach().to(X.dtype).reshape(-1)
    if not torch.allclose(got, want, atol=1e-5):
        if torch.allclose(W.detach().to(W1.dtype), W2 @ W1, atol=1e-5):
            hint = "W is right; the bias is not. The first bias also goes through W2: b = W2 b1 + b2"
        else:
            hint = "W should be W2 @ W1 (the first layer is applied first, so its matrix is on the right)"
        return verdict(False, "", hint)
    return verdict(True, "two stacked linear layers are one linear layer with W = W2 W1, b = W2 b1 + b2.", "")
