"""MSER-5 finds a known initial transient and leaves a stationary series alone."""

import numpy as np
import pytest

from sim.analysis.warmup import mser


def test_finds_a_known_transient():
    rng = np.random.default_rng(4)
    x = rng.normal(100.0, 2.0, 1000)
    x[:200] += np.linspace(40.0, 0.0, 200)  # starts high, settles by observation 200
    d = mser(x)
    assert 120 <= d <= 260


def test_stationary_series_needs_little_truncation():
    x = np.random.default_rng(5).normal(50.0, 3.0, 1000)
    assert mser(x) <= 100


def test_matches_the_definition_by_brute_force():
    x = np.random.default_rng(6).gamma(2.0, 3.0, 300) + np.r_[np.linspace(10, 0, 60), np.zeros(240)]
    b = x.reshape(-1, 5).mean(axis=1)
    stats = [np.var(b[d:]) / (len(b) - d) for d in range(len(b) // 2)]
    assert mser(x) == 5 * int(np.argmin(stats))


def test_too_short_is_an_error():
    with pytest.raises(ValueError):
        mser([1.0] * 10)
