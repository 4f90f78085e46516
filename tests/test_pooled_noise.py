"""The pooled replication noise of a calibration (sim.calibration.calibrate.median_correction).

A fit takes each target's replication noise as one pooled figure, the median of the sets' standard errors.
From few replications that median is biased low (the median of a chi-square is below its mean), so it is
scaled back: a cut or a distance that took the median itself would take the noise's variance for about half what it is.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.calibrate import median_correction
from sim.calibration.sd_sensitivity import FitRuns, _key, _replayed


def _ses(replications: int, sets: int, sd: float, seed: int) -> np.ndarray:
    """Each set's standard error of its mean over ``replications`` normal runs of sd ``sd``."""
    runs = sd * np.random.default_rng(seed).standard_normal((sets, replications))
    return runs.std(axis=1, ddof=1) / np.sqrt(replications)


@pytest.mark.parametrize("replications", [2, 3, 5, 10])
def test_the_corrected_median_estimates_the_standard_error_of_a_sets_mean(replications):
    truth = 2.0 / np.sqrt(replications)
    ses = _ses(replications, 4000, 2.0, replications)
    assert np.median(ses) * median_correction(replications) == pytest.approx(truth, rel=0.05)
    if replications == 2:
        assert np.median(ses) == pytest.approx(0.67 * truth, rel=0.05)  # the median alone: a third too small


def test_the_correction_is_the_chi_square_medians_and_one_without_replications():
    assert median_correction(2) == pytest.approx(1.4826, abs=1e-4)
    assert median_correction(5) == pytest.approx(1.0916, abs=1e-4)
    assert median_correction(1) == 1.0
    assert median_correction(10_000) == pytest.approx(1.0, abs=1e-3)


def test_the_replay_of_a_fit_pools_its_runs_as_the_fit_does():
    x = np.array([[0.1], [0.2], [0.3]])
    lookup = {_key(t): (np.array([1.0]), np.array([s])) for t, s in zip(x, (0.5, 1.0, 4.0))}
    runs = FitRuns([x], lookup, None, np.array([1.0]))
    _, pooled = _replayed(runs, 2)(x)
    np.testing.assert_allclose(pooled, np.full((3, 1), 1.0 * median_correction(2)))
