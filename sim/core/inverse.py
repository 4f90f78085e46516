"""Inverse transforms of one uniform that the model's steps call hundreds of thousands of times a run.

They live here, in a module the compiled build compiles, so that compiled callers call them directly;
``sim.core.distributions`` (which stays Python) uses the same functions, so every caller gets the same
numbers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Final

# the standard library's quantile of the normal, which NormalDist.inv_cdf(p) returns as
# _normal_dist_inv_cdf(p, mu, sigma) once it has checked p and sigma (C code where the standard library has it)
_INV_CDF: Final[Callable[[float, float, float], float]] = getattr(
    statistics, "_normal_dist_inv_cdf", lambda p, mu, sigma: statistics.NormalDist(mu, sigma).inv_cdf(p)
)
CLIP: Final = 1e-12  # a uniform is kept this far inside (0, 1) before the normal's quantile


def exponential_ppf(mean: float, u: float) -> float:
    """The exponential's quantile at ``u`` for ``mean`` (``Exponential(mean).ppf(u)``, without making one)."""
    return -mean * math.log1p(-u)


def std_normal_ppf(u: float) -> float:
    """The standard normal's quantile at ``u`` (``NormalDist().inv_cdf``), ``u`` kept within ``CLIP`` of 0 and 1."""
    p = CLIP if CLIP > u else u  # min(max(u, CLIP), 1 - CLIP), as comparisons the compiled build makes natively
    p = 1 - CLIP if 1 - CLIP < p else p
    return _INV_CDF(p, 0.0, 1.0)


def lognormal_ppf(mu: float, sigma: float, u: float) -> float:
    """The quantile at ``u`` of the log-normal whose log has mean ``mu`` and sd ``sigma`` (``LogNormal.ppf``)."""
    return math.exp(mu + sigma * std_normal_ppf(u))


def categorical(u: float, shares: Sequence[float]) -> int:
    """The category a uniform falls in, by inverse transform of the given shares (the last absorbs rounding)."""
    acc = 0.0
    for i, s in enumerate(shares):
        acc += s
        if u < acc:
            return i
    return len(shares) - 1
