"""Distributions: sample moments against theory, inverse transforms, argument checks.

Moment tolerances come from standard errors.  For n independent draws with
variance s2 and fourth central moment m4:
  SE(sample mean)     = sqrt(s2 / n)
  SE(sample variance) ~ sqrt((m4 - s2**2) / n)   (large-n form)
and a sample moment must lie within 5 standard errors of theory.  The fourth
moments are taken from scipy (an independent implementation), not from the
class under test.  With fixed seeds the checks are deterministic; a correct
implementation fails one of them with probability below 1e-6 per check.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.core import distributions
from sim.core.distributions import (
    SEARCH_MAX_MEAN,
    Deterministic,
    Distribution,
    Exponential,
    LogNormal,
    Uniform,
    poisson_counts,
)

N = 100_000
Z = 5.0  # standard errors allowed


def rng(seed: int = 12345) -> np.random.Generator:
    return np.random.default_rng(seed)


def reference(d) -> stats.rv_continuous | None:
    """The same distribution from scipy, built from the textbook parameters."""
    if isinstance(d, Exponential):
        return stats.expon(scale=d.mean_value)
    if isinstance(d, Uniform):
        return stats.uniform(loc=d.low, scale=d.high - d.low)
    if isinstance(d, LogNormal):
        s2 = math.log1p((d.sd / d.mean_value) ** 2)
        return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(d.mean_value) - s2 / 2))
    return None


CASES = [
    Exponential(0.5),
    Exponential(1.0),
    Exponential(42.0),
    Uniform(0.0, 1.0),
    Uniform(-3.0, 7.5),
    Uniform(100.0, 100.5),
    LogNormal(1.0, 0.25),
    LogNormal(7.9, 7.9),
    LogNormal(5.0, 7.5),
    Deterministic(0.0),
    Deterministic(3.25),
]


def _id(d) -> str:
    return repr(d)


@pytest.mark.parametrize("d", CASES, ids=_id)
def test_is_a_distribution(d):
    assert isinstance(d, Distribution)


@pytest.mark.parametrize("d", [c for c in CASES if not isinstance(c, Deterministic)], ids=_id)
def test_stated_mean_and_variance_match_scipy(d):
    ref = reference(d)
    assert d.mean == pytest.approx(ref.mean(), rel=1e-12)
    assert d.variance == pytest.approx(ref.var(), rel=1e-9)


@pytest.mark.parametrize("d", CASES, ids=_id)
def test_sample_moments_match_theory(d):
    x = d.sample(rng(1000 + CASES.index(d)), N)  # a seed of its own per case
    assert x.shape == (N,)
    if isinstance(d, Deterministic):
        assert np.all(x == d.value)
        assert d.variance == 0.0 and d.mean == d.value
        return
    ref = reference(d)
    s2 = d.variance
    m4 = (float(ref.stats(moments="k")) + 3.0) * s2**2  # fourth central moment from scipy's kurtosis
    se_mean = math.sqrt(s2 / N)
    se_var = math.sqrt((m4 - s2**2) / N)
    assert abs(x.mean() - d.mean) < Z * se_mean
    assert abs(x.var(ddof=1) - d.variance) < Z * se_var


@pytest.mark.parametrize("d", CASES, ids=_id)
def test_sample_is_the_inverse_transform_of_one_uniform_per_draw(d):
    """``sample`` and ``ppf`` agree on the same uniforms, and each draw uses exactly one uniform."""
    g1, g2 = rng(7), rng(7)
    x = d.sample(g1, 2000)
    u = g2.random(2000)
    assert np.allclose(x, [d.ppf(v) for v in u], rtol=1e-9, atol=0)
    assert g1.random() == g2.random()  # both generators consumed the same count


@pytest.mark.parametrize("d", [c for c in CASES if not isinstance(c, Deterministic)], ids=_id)
def test_ppf_matches_scipy(d):
    ref = reference(d)
    u = np.linspace(0.001, 0.999, 101)
    assert np.allclose([d.ppf(v) for v in u], ref.ppf(u), rtol=1e-9)


def test_ppf_moments_via_person_uniforms():
    """The path the model uses (``ppf`` of one uniform) has the stated mean."""
    d = LogNormal(7.9, 7.9)
    u = rng(99).random(N)
    x = np.array([d.ppf(v) for v in u])
    assert abs(x.mean() - d.mean) < Z * math.sqrt(d.variance / N)


# --- monotone ppf (hypothesis) --------------------------------------------------------------------

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True, allow_nan=False)
open_unit = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True, allow_nan=False)


def _pairs(a: float, b: float) -> tuple[float, float]:
    return (a, b) if a <= b else (b, a)


@settings(max_examples=200, deadline=None)
@given(mean=positive, u=unit, v=unit)
def test_exponential_ppf_monotone(mean, u, v):
    lo, hi = _pairs(u, v)
    d = Exponential(mean)
    assert 0.0 <= d.ppf(lo) <= d.ppf(hi)


@settings(max_examples=200, deadline=None)
@given(mean=positive, sd=positive, u=unit, v=unit)
def test_lognormal_ppf_monotone(mean, sd, u, v):
    lo, hi = _pairs(u, v)
    d = LogNormal(mean, sd)
    assert 0.0 < d.ppf(lo) <= d.ppf(hi) < math.inf


@settings(max_examples=200, deadline=None)
@given(low=st.floats(min_value=-1e6, max_value=1e6), width=positive, u=unit, v=unit)
def test_uniform_ppf_monotone_and_in_range(low, width, u, v):
    lo, hi = _pairs(u, v)
    d = Uniform(low, low + width)
    slack = 4 * max(math.ulp(d.low), math.ulp(d.high))  # low + (high - low) * u is rounded
    assert d.low <= d.ppf(lo) <= d.ppf(hi) <= d.high + slack


@settings(max_examples=50, deadline=None)
@given(value=st.floats(min_value=0.0, max_value=1e6), u=unit)
def test_deterministic_ppf_constant(value, u):
    assert Deterministic(value).ppf(u) == value


# --- argument validation --------------------------------------------------------------------------

not_positive = st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf))


@settings(max_examples=100, deadline=None)
@given(bad=not_positive, good=positive)
def test_exponential_and_lognormal_reject_bad_arguments(bad, good):
    with pytest.raises(ValueError):
        Exponential(bad)
    with pytest.raises(ValueError):
        LogNormal(bad, good)
    with pytest.raises(ValueError):
        LogNormal(good, bad)


@settings(max_examples=100, deadline=None)
@given(low=st.floats(min_value=-1e6, max_value=1e6), drop=st.floats(min_value=0.0, max_value=1e6))
def test_uniform_rejects_empty_range(low, drop):
    with pytest.raises(ValueError):
        Uniform(low, low - drop)


@pytest.mark.parametrize("low, high", [(math.nan, 1.0), (0.0, math.inf), (-math.inf, 0.0), (1.0, 1.0)])
def test_uniform_rejects_non_finite(low, high):
    with pytest.raises(ValueError):
        Uniform(low, high)


@pytest.mark.parametrize("value", [-1e-9, -5.0, math.nan, math.inf])
def test_deterministic_rejects_bad_value(value):
    with pytest.raises(ValueError):
        Deterministic(value)


def test_distributions_are_immutable():
    d = Exponential(2.0)
    with pytest.raises(AttributeError):
        d.mean_value = 3.0  # type: ignore[misc]


# --- length-biased log-normal ---------------------------------------------------------------------


@pytest.mark.parametrize("mean, sd", [(7.9, 7.9), (4.0, 2.0), (10.8, 15.0)])
def test_length_biased_mean_is_second_moment_over_mean(mean, sd):
    d = LogNormal(mean, sd)
    lb = d.length_biased()
    ref = reference(d)
    assert lb.mean == pytest.approx(ref.moment(2) / ref.mean(), rel=1e-9)
    assert lb.mean == pytest.approx((sd**2 + mean**2) / mean, rel=1e-9)
    assert lb.sigma == pytest.approx(d.sigma, rel=1e-12)  # length bias shifts a log-normal, keeps its shape


def test_length_biased_distribution_matches_weighted_sample():
    """P(LB <= t) = E[X; X <= t] / E[X]: compare with a sample of X weighted by X."""
    d = LogNormal(4.0, 2.0)
    lb = d.length_biased()
    x = d.sample(rng(3), N)
    ref_lb = reference(lb)
    for t in (2.0, 4.0, 6.0, 10.0):
        w = x * (x <= t)
        emp = w.sum() / x.sum()
        # delta-method standard error of a ratio of means
        r = emp
        se = math.sqrt(np.var(w - r * x) / N) / x.mean()
        assert abs(emp - ref_lb.cdf(t)) < Z * se


# --- Poisson counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("mu", [0.05, 0.7, 3.0, 25.0])
def test_poisson_counts_match_scipy(mu):
    u = rng(11).random(N)
    k = poisson_counts(u, np.full(N, mu))
    assert k.dtype.kind == "i"
    assert np.all(k >= 0)
    ref = stats.poisson(mu)
    assert abs(k.mean() - ref.mean()) < Z * math.sqrt(ref.var() / N)
    # SE of the sample variance: fourth central moment of a Poisson is mu(1 + 3 mu)
    m4 = mu * (1 + 3 * mu)
    assert abs(k.var(ddof=1) - ref.var()) < Z * math.sqrt((m4 - mu**2) / N)
    # frequencies of the common values against the pmf
    for value in range(int(mu) + 3):
        p = ref.pmf(value)
        assert abs(np.mean(k == value) - p) < Z * math.sqrt(p * (1 - p) / N) + 1e-12


def test_poisson_counts_mixed_means_and_zero_mean():
    u = np.array([[0.1, 0.5, 0.9], [0.999, 0.2, 0.5]])
    mu = np.array([[0.0, 2.0, 5.0], [0.0, 0.0, 10.0]])
    k = poisson_counts(u, mu)
    assert k.shape == u.shape
    assert k[0, 0] == 0 and k[1, 0] == 0 and k[1, 1] == 0
    assert k[0, 1] == stats.poisson.ppf(0.5, 2.0)
    assert k[1, 2] == stats.poisson.ppf(0.5, 10.0)


def test_poisson_counts_are_scipys_ppf():
    """The search up the CDF gives scipy's answer, below and above the mean it hands to scipy."""
    r = rng(12)
    u, mu = r.random(200_000), r.uniform(0.0, 2 * SEARCH_MAX_MEAN, 200_000)
    assert np.array_equal(poisson_counts(u, mu), stats.poisson.ppf(u, mu).astype(np.int64))


def test_poisson_counts_left_by_the_search_go_to_scipy(monkeypatch):
    """Counts the search has not reached within its steps are scipy's; a uniform a hair below 1 stays finite."""
    monkeypatch.setattr(distributions, "SEARCH_MAX_STEPS", 3)
    u, mu = rng(13).random(10_000), np.full(10_000, 6.0)
    k = poisson_counts(u, mu)
    assert (k > 3).mean() > 0.5
    assert np.array_equal(k, stats.poisson.ppf(u, mu).astype(np.int64))
    monkeypatch.undo()
    far = poisson_counts(np.array([1.0 - 2.0**-53]), np.array([SEARCH_MAX_MEAN]))[0]
    assert SEARCH_MAX_MEAN + 5 * math.sqrt(SEARCH_MAX_MEAN) < far < 200


@settings(max_examples=100, deadline=None)
@given(mu=st.floats(min_value=0.01, max_value=100.0), u=open_unit, v=open_unit)
def test_poisson_counts_monotone_in_u(mu, u, v):
    lo, hi = _pairs(u, v)
    k = poisson_counts(np.array([lo, hi]), np.array([mu, mu]))
    assert 0 <= k[0] <= k[1]


@settings(max_examples=300, deadline=None)
@given(u=st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1e-13, 1e-12, 0.5, 1 - 1e-12, 1 - 1e-13, 1.0])))
def test_the_compiled_quantiles_are_the_standard_librarys_to_the_last_digit(u):
    """``sim.core.inverse`` calls the standard library's inverse normal directly: the same numbers as
    ``NormalDist().inv_cdf`` of the clipped uniform, which the model used before, bit for bit."""
    from statistics import NormalDist

    from sim.core.inverse import lognormal_ppf, std_normal_ppf

    clipped = min(max(u, 1e-12), 1 - 1e-12)
    assert std_normal_ppf(u) == NormalDist().inv_cdf(clipped)
    d = LogNormal(7.9, 6.0)
    assert lognormal_ppf(d.mu, d.sigma, u) == d.ppf(u) == math.exp(d.mu + d.sigma * NormalDist().inv_cdf(clipped))
