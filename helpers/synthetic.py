"""Small seeded synthetic data sets, with their units documented.

Every generator takes a ``seed`` and returns tensors, so a lesson's numbers
repeat exactly.
"""

from __future__ import annotations

import torch

from helpers.train import check_positive


def _generator(seed: int) -> torch.Generator:
    """A private random generator, so a data set never disturbs (or depends on) the global seed."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    return torch.Generator().manual_seed(seed)


def _check_nonnegative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ValueError(f"{name}={value!r} must be a non-negative finite number")
    return float(value)


def _check_range(name: str, value) -> tuple[float, float]:
    """``(lo, hi)`` as floats with lo < hi, else a ValueError naming ``name``."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a pair (low, high) of numbers") from None
    if not (lo < hi) or hi - lo == float("inf"):
        raise ValueError(f"{name}={value!r} is empty or unbounded: low must be below high, both finite")
    return lo, hi


# --------------------------------------------------------------------------- lesson 01: limits of linear models
# Two 1-D regression sets (a monotone saturating curve, a U) and a 2-D XOR-like
# classification set. Rates are observed in groups of ``group_size`` people, so
# they are noisy fractions in [0, 1], as a real table of rates would be.


def repayment_probability(income: torch.Tensor) -> torch.Tensor:
    """The true probability of repaying a loan at ``income`` (thousand yuan a year).

    ``0.98 - 0.78·exp(-income/30)``: it rises steeply at low incomes and
    saturates near 0.98 (an extra 10 k¥ matters at 20 k¥, hardly at 150 k¥).
    Monotone, but not linear. Same shape and dtype as ``income``.
    """
    return 0.98 - 0.78 * torch.exp(-income / 30.0)


def _grouped_outcomes(rate, n: int, seed: int, group_size: int, range_name: str, x_range):
    """x: (n, 1) float32 uniform in ``x_range``; y: (n, 1) Binomial(group_size, rate(x)) / group_size."""
    check_positive("n", n, integer=True)
    check_positive("group_size", group_size, integer=True)
    lo, hi = _check_range(range_name, x_range)
    g = _generator(seed)
    x = lo + (hi - lo) * torch.rand(n, 1, generator=g)
    p = rate(x)
    return x, torch.binomial(torch.full_like(p, float(group_size)), p, generator=g) / group_size


def income_repayment(n: int = 200, seed: int = 0, group_size: int = 50,
                     income_range: tuple[float, float] = (5.0, 200.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Income → observed repayment rate (monotone, saturating).

    Each example is a group of ``group_size`` borrowers with the same income:

    - ``income``: (n, 1) float32, thousand yuan (k¥) a year, uniform in ``income_range``;
    - ``repaid``: (n, 1) float32 in [0, 1], the fraction of the group who repaid,
      drawn as Binomial(group_size, repayment_probability(income)) / group_size.
    """
    return _grouped_outcomes(repayment_probability, n, seed, group_size, "income_range", income_range)


NORMAL_TEMPERATURE_C = 37.0


def mortality_rate(temperature: torch.Tensor) -> torch.Tensor:
    """The true 30-day mortality at body ``temperature`` (°C): a U with its minimum at 37 °C.

    ``0.02 + 0.6·(1 - exp(-(t - 37)² / (2·1.5²)))``: 2 % at 37 °C, about 54 %
    at 34 °C (hypothermia) and 60 % at 41 °C (high fever). Same shape as ``temperature``.
    """
    return 0.02 + 0.6 * (1.0 - torch.exp(-((temperature - NORMAL_TEMPERATURE_C) ** 2) / (2 * 1.5**2)))


def temperature_mortality(n: int = 200, seed: int = 0, group_size: int = 50,
                          temperature_range: tuple[float, float] = (34.0, 42.0)
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Body temperature → observed mortality (U-shaped).

    Each example is a group of ``group_size`` patients admitted with the same temperature:

    - ``temperature``: (n, 1) float32, degrees Celsius, uniform in ``temperature_range``;
    - ``mortality``: (n, 1) float32 in [0, 1], the fraction who died within 30 days,
      drawn as Binomial(group_size, mortality_rate(temperature)) / group_size.
    """
    return _grouped_outcomes(mortality_rate, n, seed, group_size, "temperature_range", temperature_range)


def xor_blobs(n: int = 400, seed: int = 0, spread: float = 0.35) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D XOR-like classification set no straight line separates.

    Four Gaussian blobs of n/4 points each (n rounded down to a multiple of 4),
    centred at (±1, ±1) with standard deviation ``spread``:

    - ``X``: (n, 2) float32, two unitless features;
    - ``y``: (n,) int64, 1 where the blob's two coordinates have opposite signs
      (centres (1, -1) and (-1, 1)), else 0: "x₁ > 0 XOR x₂ > 0".
    """
    check_positive("n", n, integer=True)
    if n < 4:
        raise ValueError(f"n={n!r} must be at least 4 (one point per blob)")
    spread = _check_nonnegative("spread", spread)
    g = _generator(seed)
    per = n // 4
    centres = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = torch.tensor([0, 0, 1, 1])
    X = centres.repeat_interleave(per, dim=0) + spread * torch.randn(4 * per, 2, generator=g)
    y = labels.repeat_interleave(per)
    order = torch.randperm(4 * per, generator=g)
    return X[order], y[order]


# --------------------------------------------------------------------------- lesson 02: hidden units vs wiggliness


def wiggly_function(x: torch.Tensor) -> torch.Tensor:
    """``sin(1.5x) + 0.5·sin(4x)``: a smooth 1-D target with several bends on [-3, 3]."""
    return torch.sin(1.5 * x) + 0.5 * torch.sin(4.0 * x)


def wiggly_curve(n: int = 120, seed: int = 0, noise: float = 0.05,
                 x_range: tuple[float, float] = (-3.0, 3.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples of ``wiggly_function`` with Gaussian noise (unitless).

    - ``x``: (n, 1) float32, uniform in ``x_range``;
    - ``y``: (n, 1) float32, ``wiggly_function(x) + noise·N(0, 1)``.
    """
    check_positive("n", n, integer=True)
    noise = _check_nonnegative("noise", noise)
    lo, hi = _check_range("x_range", x_range)
    g = _generator(seed)
    x = lo + (hi - lo) * torch.rand(n, 1, generator=g)
    y = wiggly_function(x) + noise * torch.randn(n, 1, generator=g)
    return x, y
