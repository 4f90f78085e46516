"""What the posterior on the emulators measures a draw's distance against (``[history_matching] distance``).

``"sd"`` divides each target's difference by its sd alone; ``"sd_and_noise"`` (the default) by its sd and
the pooled replication noise, as the ABC route divides a simulated mean's.  The toy model is the recovery test's
(``tests/test_history_matching.py``) with a third target whose replication noise is ten times its sd.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.abc_smc import distance
from sim.calibration.history_matching import emulated, emulator_posterior, history_match
from sim.calibration.study import load_study
from tests.test_history_matching import BOX, SD, TRUTH, expected, study

NOISE = np.array([0.1, 0.1, 3.0])  # the third target's replication sd: ten times its sd of 0.3
OBSERVED = expected(TRUTH[None, :])[0] + SD * np.random.default_rng(0).standard_normal(3)


def noisy_model(seed: int = 42):
    rng = np.random.default_rng(seed)

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = thetas.shape[0]
        return expected(thetas) + NOISE * rng.standard_normal((n, 3)), np.broadcast_to(NOISE, (n, 3)).copy()

    return evaluate


@pytest.fixture(scope="module")
def matched():
    return history_match(noisy_model(), BOX, OBSERVED, SD, points_per_wave=20, seed=3)


def test_the_draws_carry_the_same_noise_and_only_their_standard_errors_differ(matched):
    theta = np.tile(TRUTH, (4000, 1))
    means_sd, ses_sd = emulated(matched, 5, "sd")(theta)
    means_noise, ses_noise = emulated(matched, 5, "sd_and_noise")(theta)
    np.testing.assert_array_equal(means_sd, means_noise)  # the same draws, seed for seed
    assert np.all(ses_sd == 0)
    pooled = np.sqrt(matched.waves[-1].emulator.replication_variance)
    np.testing.assert_allclose(ses_noise, np.broadcast_to(pooled, ses_noise.shape))
    assert pooled[2] > 5 * SD[2] and np.all(pooled[:2] < SD[:2])  # the third target's noise is pooled as made


def test_divided_by_its_sd_alone_the_noisy_target_fills_the_distance(matched):
    theta = np.tile(TRUTH, (4000, 1))
    shares = {}
    for how in ("sd", "sd_and_noise"):
        means, ses = emulated(matched, 5, how)(theta)
        scale = np.sqrt(SD**2 + ses**2)
        terms = ((means - OBSERVED) / scale) ** 2
        assert np.allclose(np.sqrt(terms.sum(axis=1)), distance(means, ses, OBSERVED, SD))
        shares[how] = terms[:, 2].sum() / terms.sum()
    assert shares["sd"] > 0.9  # at the true values, the noisy target is almost all of the distance
    assert shares["sd_and_noise"] < 0.6  # measured against its noise, it counts as one target of three


def test_both_distances_recover_the_known_values(matched):
    for how in ("sd", "sd_and_noise"):
        interval = emulator_posterior(matched, particles=100, seed=3, distance=how).interval(0.9)
        assert np.all((interval["lower"] <= TRUTH) & (TRUTH <= interval["upper"])), how
    with pytest.raises(ValueError, match="distance"):
        emulated(matched, 5, "noise")


def test_study_reads_the_distance(tmp_path):
    # the default since caresim 0.11.0; "sd" is the 0.10.0 fit's way
    assert load_study(study(tmp_path, "[history_matching]\nwaves = 2\n")).history_matching.distance == "sd_and_noise"
    table = '[history_matching]\ndistance = "sd"\n'
    assert load_study(study(tmp_path, table)).history_matching.distance == "sd"
