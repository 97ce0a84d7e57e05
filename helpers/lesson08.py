"""Used in lesson 08 (notebooks/08_backprop.ipynb), forward and backward propagation (前向传播与反向传播). Section 5's
``grad_check_sparse`` (written in the notebook) calls ``central_difference`` and ``rel_error``; the exercises end in
``check_activation_backward`` (1), ``check_bias_backward`` (2), ``check_central_difference`` (3) and ``check_memory``
(4). What the lesson teaches, ``forward``, ``backward``, makemore's ``cmp``, is in the notebook."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

from helpers.runtime import check_choice, run_student_code, tr, verdict


def rel_error(a, b) -> float:
    """CS231n's relative error: max over entries of |a − b| / max(1e-8, |a| + |b|); numbers or same-shape tensors."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max()) if a.numel() else 0.0


def central_difference(f, x: torch.Tensor, index: tuple, h: float) -> float:
    """(f(x + h·e) − f(x − h·e)) / 2h, e the unit tensor at x[index]; x is changed in place and restored."""
    old = x[index].item()
    with torch.no_grad():
        try:
            x[index] = old + h
            f_plus = float(f(x))
            x[index] = old - h
            return (f_plus - float(f(x))) / (2 * h)
        finally:
            x[index] = old


# --- exercise checks
# A small seeded float64 problem, n, d, h, q all different so that a transpose cannot hide. The reference
# gradients are central differences of J at every entry: no autograd, no formula to share a mistake.
N, D, H, Q, LAMBD = 7, 6, 5, 3, 0.1
PHI = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "silu": F.silu}
DERIVATIVE = {"tanh": "φ′(z) = 1 − tanh²(z) = 1 − h²", "sigmoid": "φ′(z) = σ(z)(1 − σ(z)) = h ⊙ (1 − h)"}


def problem(seed: int = 0, biases: bool = False) -> dict:
    """X (7, 6), y (7,) int64 in 0..2, W1 (5, 6), (b1 (5,),) W2 (3, 5), (b2 (3,),) lambd 0.1: the exercises' order."""
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(N, D, generator=g, dtype=torch.float64), torch.randint(Q, (N,), generator=g)
    W1, W2 = (0.7 * torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((H, D), (Q, H)))
    b1, b2 = (0.5 * torch.randn(k, generator=g, dtype=torch.float64) for k in (H, Q))   # drawn last: W1, W2 the same
    return {k: v for k, v in dict(X=X, y=y, W1=W1, b1=b1, W2=W2, b2=b2, lambd=LAMBD).items() if biases or k[0] != "b"}


def _objective(p: dict, phi, W1, W2, b1=0, b2=0):
    """J = mean cross-entropy + λ/2 (‖W1‖²_F + ‖W2‖²_F), biases not penalised."""
    O = phi(p["X"] @ W1.T + b1) @ W2.T + b2
    return F.cross_entropy(O, p["y"]) + p["lambd"] / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def reference(p: dict, phi) -> dict:
    """∂J/∂ each weight and bias of ``p`` by central differences (h = 1e-5) at every entry; error about 1e-10."""
    params = {k: p[k].clone() for k in p if k[0] in "Wb"}
    J = lambda _: _objective(p, phi, **params)  # noqa: E731 - sees the entry being nudged, through params
    return {k: torch.tensor([central_difference(J, x, i, 1e-5) for i in itertools.product(*map(range, x.shape))],
                            dtype=x.dtype).reshape(x.shape) for k, x in params.items()}


def _dW1_with(p: dict, phi, dphi):
    """dW1 when step 4 multiplies by dphi(Z, H): the right chain with a chosen φ′, to name a mistake."""
    Z = p["X"] @ p["W1"].T
    dO = (torch.softmax(phi(Z) @ p["W2"].T, dim=1) - F.one_hot(p["y"], Q).to(Z.dtype)) / N
    return ((dO @ p["W2"]) * dphi(Z, phi(Z))).T @ p["X"] + p["lambd"] * p["W1"]


def _close(a, b) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a.to(b.dtype), b, rtol=1e-6, atol=1e-8))


def _shape_hint(label: str, got, want: torch.Tensor) -> str | None:
    return (tr("{label} is {t}, not a tensor", label=label, t=type(got).__name__) if not torch.is_tensor(got) else
            tr("{label} has one row per example, {s}: sum the rows over the batch", label=label, s=tuple(got.shape))
            if want.dim() == 1 and got.shape == (N, len(want)) else tr("{label} has shape {s}, but a gradient has its "
            "variable's shape, {w}", label=label, s=tuple(got.shape), w=tuple(want.shape)) if got.shape != want.shape
            else None)


def _watched(fn, *args):
    """Run the student's function with autograd off, and watched for any graph it builds; (result, hint)."""
    taped = []
    with torch.no_grad(), torch.autograd.graph.saved_tensors_hooks(lambda t: taped.append(1) or t, lambda t: t):
        result, hint = run_student_code(fn, *args)
    if taped or (hint and any(w in hint for w in ("require grad", "grad_fn", "saved tensor hooks"))):
        return None, tr("your function asks autograd (.backward(), torch.autograd, torch.func) for the gradient: this "
                        "exercise is to work it out by hand, with the chain rule or by central differences")
    return result, hint


def _by_hand(fn, p: dict, want: dict):
    """Call ``fn(X, y, *parameters, lambd)``, watched; ({name: tensor}, None) or (None, hint)."""
    labels = [f"d{k}" for k in want]
    result, hint = _watched(fn, *(v.clone() if torch.is_tensor(v) else v for v in p.values()))
    if hint is None and (not isinstance(result, (tuple, list)) or len(result) != len(labels)):
        hint = tr("the function returned None: return the tuple ({names})" if result is None else "return a tuple of "
                  "{n} tensors ({names}), got a {t}", names=", ".join(labels), n=len(labels), t=type(result).__name__)
    hint = hint or next(filter(None, map(_shape_hint, labels, result, want.values())), None)
    return (None, hint) if hint else (dict(zip(want, result)), None)


def _check(fn, p: dict, phi, rules: dict, mistakes: dict, success: str) -> bool:
    """Compare with central differences in the order of ``rules`` (name -> rule); name the first mistake found."""
    want, lam = reference(p, phi), p["lambd"]
    got, hint = _by_hand(fn, p, want)
    for k in rules if hint is None else ():
        slips = ([(want[k] - lam * p[k], tr("d{k} lacks the penalty's part: add λ{k}", k=k))] if k[0] == "W" else [
            (want[k] + lam * p[k], tr("d{k} includes λ{k}: the note's s penalises only the weights, so no λ term",
                                      k=k)),
            (want[k] / N, tr("d{k} is n times too small: dO already carries the 1/n of the mean, so sum its rows",
                             k=k))])
        if not _close(got[k], want[k]):
            hint = next((text for wrong, text in mistakes.get(k, []) + slips if _close(got[k], wrong)), tr(
                "d{k} is off by up to {e:.2g}: {rule}", k=k, e=float((got[k] - want[k]).abs().max()), rule=rules[k]))
            break
    return verdict(hint is None, success, hint or "")


def check_activation_backward(fn, activation: str = "tanh") -> bool:
    """Exercise 1: ``fn(X, y, W1, W2, lambd) -> (dW1, dW2)`` for the note's network with φ = tanh or sigmoid."""
    phi, rule = PHI[check_choice("activation", activation, tuple(DERIVATIVE))], DERIVATIVE[activation]
    p = problem(1)
    return _check(fn, p, phi, {
        "W2": tr("dW2 = dOᵀ H + λW2 with H = {a}(Z) and dO = (softmax(O) − onehot(y)) / n", a=activation),
        "W1": tr("dZ = dH ⊙ φ′(Z) with {rule}, then dW1 = dZᵀ X + λW1", rule=rule)}, {"W1": [
            (_dW1_with(p, phi, lambda Z, Hh: (Z > 0).to(Z.dtype)), tr("dW1 uses ReLU's derivative 1[z > 0]; {r}",
                                                                          r=rule)),
            (_dW1_with(p, phi, lambda Z, Hh: Hh), tr("dZ = dH ⊙ φ′(Z) needs the derivative, not φ itself: {r}",
                                                     r=rule))]},
        tr("dW1 and dW2 for φ = {a} match central differences; only φ′ changed", a=activation))


def check_bias_backward(fn) -> bool:
    """Exercise 2: ``fn(X, y, W1, b1, W2, b2, lambd) -> (dW1, db1, dW2, db2)``; Z = X W1ᵀ + b1, O = H W2ᵀ + b2."""
    weights = tr("include the biases in the forward pass (Z = X W1ᵀ + b1, O = H W2ᵀ + b2); they change Z, H and O")
    sums = tr("a bias is added to every row, so its gradient is the sum over rows: db2 = dO.sum(0), db1 = dZ.sum(0)")
    return _check(fn, problem(2, biases=True), torch.relu, {"W2": weights, "W1": weights, "b2": sums, "b1": sums},
                  {}, tr("dW1, db1, dW2 and db2 match central differences: db is the row sum of dO (or dZ)"))


def check_central_difference(fn) -> bool:
    """Exercise 3: ``fn(f, W, index, h) -> float``, (f(W + h·e) − f(W − h·e)) / 2h at W[index], W restored: first
    on f(W) = ΣW³ + W₀₀W₁₂, then on the note's network, where it must tell the right dW1 from one without λW1."""
    cubic = lambda W: (W ** 3).sum() + W[0, 0] * W[1, 2]  # noqa: E731 - ∂f/∂W₁₂ = 3W₁₂² + W₀₀
    W, index, h = torch.randn(3, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64), (1, 2), 1e-5
    before, slope = W.clone(), 3 * W[index].item() ** 2 + W[0, 0].item()
    value, hint = (None, tr("that is lesson08.central_difference, the lesson's own: write yours")) if fn is \
        central_difference else _watched(fn, cubic, W, index, h)
    if hint is None and not (isinstance(value, (int, float)) or torch.is_tensor(value) and value.numel() == 1):
        hint = tr("return one number, (f(W + h·e) − f(W − h·e)) / (2h); the function returned {t}",
                  t=type(value).__name__)
    elif hint is None and not torch.equal(W, before):
        hint = tr("W was changed: put W[index] back to its old value after the two evaluations")
    elif hint is None and not math.isfinite(value := float(value)):
        hint = tr("the estimate is {v}: evaluate f at W + h·e and W − h·e, both finite", v=value)
    if hint is None and abs(value - slope) > 1e-7 * max(1.0, abs(slope)):
        known = [(slope + 3 * W[index].item() * h + h * h, tr("that is a one-sided difference (f(W + h) − f(W)) / h; "
                  "use (f(W + h·e) − f(W − h·e)) / (2h)")),
                 (2 * slope, tr("the estimate is twice the slope: divide by 2h, the distance between W − h·e and "
                                "W + h·e")),
                 (slope / 2, tr("the estimate is half the slope: divide by 2h, not 4h (or h²)"))]
        hint = next((text for v, text in known if abs(value - v) < 1e-6 * abs(slope)), tr(
            "on f(W) = ΣW³ + W₀₀W₁₂ you return {v:.6g} at {i}, the slope is {s:.6g}: change only the entry W[index], "
            "by +h and by −h", v=value, i=index, s=slope))
    p = problem(4)
    right, W1, errors = _dW1_with(p, torch.relu, lambda Z, Hh: (Z > 0).to(Z.dtype)), p["W1"].clone(), []
    for entry in [(0, 0), (1, 3), (2, 5), (4, 1)] if hint is None else ():
        value, hint = _watched(fn, lambda W: _objective(p, torch.relu, W, p["W2"]), W1, entry, 1e-6)
        if hint is not None:
            break
        errors.append([rel_error(float(value), g) for g in (right[entry], right[entry] - LAMBD * W1[entry])])
    good, bad = (max((e[i] for e in errors), default=0.0) for i in (0, 1))
    if hint is None and good > 1e-6:
        hint = tr("on the network your estimates are off the right dW1 by a relative {e:.1e}; expect < 1e-6", e=good)
    return verdict(hint is None, tr("relative errors ≤ {good:.1e} on the right dW1, up to {bad:.1e} on a dW1 that "
                                    "forgot λW1: your check catches that bug", good=good, bad=bad), hint or "")


def check_memory(fn) -> bool:
    """Exercise 4: ``fn(n, widths, activation) -> (train, inference)``, floats autograd saves for backward (weights
    aside) and the most alive at once under no_grad (X counted); derived here, measured in tests/test_lesson08.py."""
    for n, (d, *hidden, q), act in ((8, (20, 12, 9, 7, 5), "tanh"), (5, (9, 4, 30), "relu"),
                                    (256, (784, 256, 10), "silu")):
        train = n * (d + sum(hidden) * (2 if act == "silu" else 1))   # each layer's input; SiLU's φ′ reads z as well
        peak = n * max(d + a * (i > 0) + b * (2 if i < len(hidden) else 1)    # X, the layer's input, Z and φ(Z) (or O)
                       for i, (a, b) in enumerate(itertools.pairwise((d, *hidden, q))))
        got, hint = run_student_code(fn, n, (d, *hidden, q), act)
        if hint is None and not (isinstance(got, (tuple, list)) and [type(v) for v in got] == [int, int]):
            hint = tr("return a pair of whole numbers (train, inference); the function returned {got!r}", got=got)
        elif hint is None and got[0] != train:
            hint = tr("autograd keeps {train} floats, you said {got[0]}: each layer keeps its input (dW = dZᵀ · "
                      "input), and φ what its φ′ reads (can φ′ be computed from h alone?)", train=train, got=got)
        elif hint is None and got[1] != peak:
            hint = tr("at most {peak} floats are alive at once, you said {got[1]}: under no_grad nothing is kept, "
                      "but X stays (the caller holds it), and while φ runs both Z and φ(Z) exist", peak=peak, got=got)
        if hint:
            return verdict(False, "", tr("for n={n}, widths={w}, φ = {act}: {hint}", n=n, w=(d, *hidden, q), act=act,
                                         hint=hint))
    return verdict(True, tr("both counts are right, for tanh, ReLU and SiLU and one to three hidden layers"), "")
