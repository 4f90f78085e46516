"""The emulators' quicker likelihood (sim/calibration/gp_likelihood.py) against scikit-learn's own.

The value and gradient must be scikit-learn's for the same kernel, data and noise, at any hyperparameters in
their bounds; the search on them must find an optimum as good as scikit-learn's default search from the same
starts; and an emulator fitted with it predicts as one fitted without it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.gaussian_process import GaussianProcessRegressor
from threadpoolctl import threadpool_limits

from sim.calibration.emulators import _fit_one, kernel
from sim.calibration.gp_likelihood import Optimizer, negative_log_likelihood


def _data(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    u = rng.random((n, d))
    y = np.sin(3 * u[:, 0]) + u[:, 1 % d] ** 2 + 0.3 * rng.standard_normal(n)
    alpha = rng.uniform(0.0, 0.1, n) + 1e-10  # each set's own known noise, as the emulators pass it
    return u, (y - y.mean()) / y.std(), alpha


def _sklearn(u: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> GaussianProcessRegressor:
    """An unfitted-hyperparameter regressor: its ``log_marginal_likelihood`` is scikit-learn's at any theta."""
    return GaussianProcessRegressor(kernel(u.shape[1]), alpha=alpha, optimizer=None).fit(u, y)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 60),
    d=st.integers(1, 6),
    position=st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8),
)
def test_value_and_gradient_are_scikit_learns(seed: int, n: int, d: int, position: list[float]) -> None:
    u, y, alpha = _data(seed, n, d)
    gp = _sklearn(u, y, alpha)
    bounds = gp.kernel_.bounds
    where = np.resize(np.asarray(position), len(bounds))
    theta = bounds[:, 0] + where * (bounds[:, 1] - bounds[:, 0])  # anywhere within the bounds, log scale
    expected, expected_gradient = gp.log_marginal_likelihood(theta, eval_gradient=True)
    value, gradient = negative_log_likelihood(theta, u, y, alpha)
    if not np.isfinite(expected):  # not positive definite: both say so
        assert value == np.inf and not gradient.any()
        return
    assert abs(-value - expected) <= 1e-9 * max(1.0, abs(expected))
    assert np.allclose(-gradient, expected_gradient, rtol=1e-7, atol=1e-7 * max(1.0, np.abs(expected_gradient).max()))


def test_a_covariance_that_is_not_positive_definite_is_infinitely_unlikely() -> None:
    u = np.zeros((4, 2))  # four copies of one set, no noise at all: a singular covariance
    theta = np.array([0.0, 0.0, 0.0, np.log(1e-300)])
    value, gradient = negative_log_likelihood(theta, u, np.array([1.0, -1.0, 0.5, 0.2]), np.zeros(4))
    assert value == np.inf and not gradient.any()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a length scale at its bound
def test_the_search_finds_as_good_an_optimum_as_scikit_learns_from_the_same_starts() -> None:
    u, y, alpha = _data(3, 80, 4)
    ours = GaussianProcessRegressor(
        kernel(4), alpha=alpha, optimizer=Optimizer(u, y, alpha), n_restarts_optimizer=3, random_state=7
    ).fit(u, y)
    with threadpool_limits(1, user_api="blas"):  # as the emulators fit (threads only slow matrices this small)
        theirs = GaussianProcessRegressor(kernel(4), alpha=alpha, n_restarts_optimizer=3, random_state=7).fit(u, y)
    # the value scikit-learn reports is its own computation at the theta chosen
    assert ours.log_marginal_likelihood_value_ >= theirs.log_marginal_likelihood_value_ - 1e-6
    assert np.isclose(
        ours.log_marginal_likelihood(ours.kernel_.theta), ours.log_marginal_likelihood_value_, rtol=1e-9, atol=1e-9
    )
    grid = np.random.default_rng(1).random((200, 4))
    assert np.allclose(ours.predict(grid), theirs.predict(grid), atol=1e-3)


def test_an_emulator_fit_uses_the_quicker_search_and_keeps_its_seeded_starts() -> None:
    u, y, alpha = _data(5, 40, 3)
    first, again = _fit_one(u, y, alpha, seed=11), _fit_one(u, y, alpha, seed=11)
    assert isinstance(first.optimizer, Optimizer)
    assert np.array_equal(first.kernel_.theta, again.kernel_.theta)  # deterministic given data and seed
    assert np.array_equal(first.optimizer.y, y) and np.array_equal(first.optimizer.u, u)
