"""Distributions behind one small protocol: ``ppf``, ``sample``, ``mean``, ``variance``.

Every draw in the model is an inverse transform of one uniform from a person
stream (``ppf(u)``), so a draw consumes exactly one number whatever its
distribution, which keeps streams aligned.  ``sample(rng, size)`` is the
vectorised form for tests and process-level streams; ``mean`` and ``variance``
let tests compare sample moments with theory.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt
from scipy import stats

from sim.core.inverse import exponential_ppf, lognormal_ppf  # (compiled in the compiled build)

Floats: TypeAlias = npt.NDArray[np.float64]


@runtime_checkable
class Distribution(Protocol):
    @property
    def mean(self) -> float: ...

    @property
    def variance(self) -> float: ...

    def ppf(self, u: float) -> float: ...

    def sample(self, rng: np.random.Generator, size: int) -> Floats: ...


def _number(value: object) -> bool:
    if type(value) is float or type(value) is int:  # the usual case, answered without the slow ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _positive(name: str, value: float) -> None:
    if not (_number(value) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number above 0, got {value!r}")


class _Base:
    def ppf(self, u: float) -> float:
        """The value at which the CDF reaches ``u``: each distribution gives its own."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        return np.array([self.ppf(u) for u in rng.random(size)])


@dataclass(frozen=True)
class Exponential(_Base):
    """Exponential with the given mean (e.g. days)."""

    mean_value: float

    def __post_init__(self) -> None:
        _positive("Exponential mean", self.mean_value)

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.mean_value**2

    def ppf(self, u: float) -> float:
        return exponential_ppf(self.mean_value, u)

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        return -self.mean_value * np.log1p(-rng.random(size))


@dataclass(frozen=True)
class LogNormal(_Base):
    """Log-normal given by its own mean and standard deviation (not the log's)."""

    mean_value: float
    sd: float
    mu: float = field(init=False, repr=False, compare=False)  # the log's mean and sd, from the two above
    sigma: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _positive("LogNormal mean", self.mean_value)
        _positive("LogNormal sd", self.sd)
        s2 = math.log1p((self.sd / self.mean_value) ** 2)
        object.__setattr__(self, "sigma", math.sqrt(s2))
        object.__setattr__(self, "mu", math.log(self.mean_value) - s2 / 2)

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.sd**2

    def ppf(self, u: float) -> float:
        return lognormal_ppf(self.mu, self.sigma, u)

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        u = np.clip(rng.random(size), 1e-12, 1 - 1e-12)
        out: Floats = stats.lognorm.ppf(u, s=self.sigma, scale=math.exp(self.mu))
        return out

    def length_biased(self) -> LogNormal:
        """The distribution of the stay in progress at a random moment (for the initial state)."""
        mu = self.mu + self.sigma**2
        mean = math.exp(mu + self.sigma**2 / 2)
        return LogNormal(mean, mean * math.sqrt(math.expm1(self.sigma**2)))


@dataclass(frozen=True)
class Deterministic(_Base):
    value: float

    def __post_init__(self) -> None:
        if not (_number(self.value) and math.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"Deterministic value must be finite and at least 0, got {self.value!r}")

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def ppf(self, u: float) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        rng.random(size)  # consume as any other distribution does
        return np.full(size, float(self.value))


@dataclass(frozen=True)
class Uniform(_Base):
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (
            _number(self.low)
            and _number(self.high)
            and math.isfinite(self.low)
            and math.isfinite(self.high)
            and self.high > self.low
        ):
            raise ValueError(f"Uniform needs finite low < high, got {self.low!r}, {self.high!r}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def ppf(self, u: float) -> float:
        return self.low + (self.high - self.low) * u

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        return self.low + (self.high - self.low) * rng.random(size)


# means up to this are counted by search up the CDF; larger ones (rare: a home spell's GP contacts reached
# 35 at most in a 50,000-person run) go to scipy's ppf, as do uniforms the search has not passed in its steps
SEARCH_MAX_MEAN = 50.0
SEARCH_MAX_STEPS = 250


def poisson_counts(u: Floats, mean: Floats) -> npt.NDArray[np.int64]:
    """Poisson counts by inverse transform of given uniforms, vectorised.

    The smallest k with P(X <= k) > u, found by stepping every count up the
    CDF together (pmf by the recurrence p(k) = p(k-1) mean / k): at a place's
    means, about ten times quicker than ``scipy.stats.poisson.ppf``, which it
    matches but for uniforms within rounding (about 1e-15) of a CDF step.
    """
    u = np.asarray(u, dtype=float)
    mean = np.asarray(mean, dtype=float)
    flat_u, flat_mean = u.ravel(), mean.ravel()
    out = np.zeros(flat_u.shape, dtype=np.int64)
    idx = np.flatnonzero((flat_mean > 0) & (flat_mean <= SEARCH_MAX_MEAN))
    uu, mu = flat_u[idx], flat_mean[idx]
    p = np.exp(-mu)
    cdf = p.copy()
    for k in range(1, SEARCH_MAX_STEPS + 1):
        up = uu >= cdf
        if not up.any():
            break
        idx, uu, mu, p, cdf = idx[up], uu[up], mu[up], p[up], cdf[up]
        out[idx] = k
        p *= mu / k
        cdf += p
    else:
        out[idx] = -1  # not reached: left to scipy
    rest = np.flatnonzero((flat_mean > SEARCH_MAX_MEAN) | (out < 0))
    if rest.size:
        out[rest] = np.maximum(stats.poisson.ppf(flat_u[rest], flat_mean[rest]), 0).astype(np.int64)
    return out.reshape(u.shape)
