"""Paired bootstrap: how sure are we that B scores differently from A on the same cases?

Why a paired bootstrap and not a t-test: metric scores are bounded, often bimodal (exact match is
0 or 1) and suites are small, so normal-theory intervals mislead; resampling the per-case
differences makes no distributional assumption and keeps the pairing (both arms answered the same
case), which removes the case-difficulty variance that dominates unpaired comparisons. numpy
(already installed with transformers) resamples with one vectorised index matrix per chunk.

The interval is the percentile interval of the resampled mean difference; the "p-value" is the
two-sided share of resamples on the other side of zero from the observed difference — a
bootstrap approximation, good enough to rank evidence, not a substitute for a pre-registered test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MIN_PAIRS", "BootstrapResult", "paired_bootstrap"]

MIN_PAIRS = 5
"""Fewer pairs than this are never called significant: with 1 pair every resample is the same
(an interval of zero width that "excludes 0" whatever the noise), and with 2–4 the resampled
means take only a handful of values, so the interval says nothing about the population."""

# Elements of the (resamples × cases) index matrix drawn at once: bounds memory on big suites.
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class BootstrapResult:
    """The observed mean difference with its bootstrap interval.

    ``n`` is the number of pairs; with ``n == 0`` every number is NaN. ``p_value`` is in [0, 1].
    """

    n: int
    mean: float
    low: float
    high: float
    p_value: float
    confidence: float
    resamples: int
    seed: int

    @property
    def significant(self) -> bool:
        """The interval excludes zero, on at least :data:`MIN_PAIRS` pairs."""
        return self.n >= MIN_PAIRS and (self.low > 0.0 or self.high < 0.0)


def paired_bootstrap(
    deltas: Sequence[float],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Bootstrap the mean of per-case differences ``deltas`` (B − A, one per paired case).

    Case indices are resampled with replacement ``resamples`` times from a generator seeded with
    ``seed``, so the same inputs always give the same interval.
    """
    import numpy as np

    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    values = np.asarray(deltas, dtype=np.float64)
    n = int(values.size)
    if n == 0:
        nan = math.nan
        return BootstrapResult(0, nan, nan, nan, nan, confidence, resamples, seed)

    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK_ELEMENTS // n)
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)

    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    observed = float(values.mean())
    # Two-sided: twice the smaller tail beyond zero. Resamples exactly at zero count on both sides,
    # so a difference that is zero everywhere gets p = 1, not 0.
    below = float(np.mean(means <= 0.0))
    above = float(np.mean(means >= 0.0))
    p_value = min(1.0, 2.0 * min(below, above))
    return BootstrapResult(
        n=n,
        mean=observed,
        low=float(low),
        high=float(high),
        p_value=p_value,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )
