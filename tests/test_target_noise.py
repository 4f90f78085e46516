"""The measurement model of a fit (``target_noise`` in ``[abc]`` and ``[history_matching]``).

With it, each simulated target carries a draw of its own sd (noisy ABC: the posterior tends to that of
targets measured with that error); without it, simulated means are compared with the targets as they are.
The emulator route draws it by default, ABC-SMC alone does not, so their posteriors are only comparable
when both are given the same.  The toy model is the recovery test's (``tests/test_history_matching.py``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.calibration.abc_smc import abc_smc, with_target_noise
from sim.calibration.calibrate import abc_fit
from sim.calibration.history_matching import emulated, emulator_posterior
from sim.calibration.study import load_study
from tests.test_history_matching import BOX, OBSERVED, PARTICLES, SD, TRUTH, match, model, study, widths


@pytest.fixture(scope="module")
def matched():
    return match()


def test_target_noise_adds_each_targets_sd_and_is_reproducible():
    sd = np.array([0.3, 1.0, 5.0])

    def constant(thetas):
        n = thetas.shape[0]
        return np.ones((n, 3)), np.full((n, 3), 0.1)

    thetas = np.zeros((20_000, 2))
    means, ses = with_target_noise(constant, sd, seed=4)(thetas)
    np.testing.assert_allclose(means.std(axis=0), sd, rtol=0.03)
    assert np.all(np.abs(means.mean(axis=0) - 1.0) < 4 * sd / np.sqrt(len(thetas)))
    np.testing.assert_array_equal(ses, 0.1)  # the standard errors pass through
    again, _ = with_target_noise(constant, sd, seed=4)(thetas)
    np.testing.assert_array_equal(means, again)
    other, _ = with_target_noise(constant, sd, seed=5)(thetas)
    assert not np.array_equal(means, other)


def test_without_target_noise_the_emulated_draws_lose_exactly_the_sd(matched):
    theta = np.tile(TRUTH, (20_000, 1))
    with_noise, _ = emulated(matched, 5, target_noise=True)(theta)
    without, _ = emulated(matched, 5, target_noise=False)(theta)
    np.testing.assert_allclose(with_noise.mean(axis=0), without.mean(axis=0), atol=0.02)
    np.testing.assert_allclose(with_noise.var(axis=0) - without.var(axis=0), SD**2, rtol=0.1)


def settled(generations, last: int = 3) -> np.ndarray:
    """The 90% widths averaged over the last generations, to damp the Monte Carlo noise of 100 particles."""
    return np.mean([widths(g.particles, g.weights) for g in generations[-last:]], axis=0)


def test_with_the_same_measurement_model_both_routes_agree():
    """Noisy ABC in the model and on the emulators tends to one posterior: once their tolerances are below the
    targets' noise, the two routes' 90% widths agree within a fifth, the emulator route from 40 model
    evaluations, ABC-SMC alone from 50 times as many.  Without the targets' noise ABC-SMC alone keeps narrowing
    as its tolerance falls (towards the replication noise alone), so "as narrow" there says only how long it
    ran."""
    counted: list[int] = []
    hm = match(counted=counted)
    emulator = emulator_posterior(hm, particles=PARTICLES, seed=3, min_shift=0.0, generations=8)
    assert len(emulator.generations) == 8
    table = emulator.interval(0.9)
    assert np.all((table["lower"] <= TRUTH) & (TRUTH <= table["upper"]))
    in_model: list[int] = []
    noisy = abc_smc(
        with_target_noise(model(in_model), SD, 3), BOX, OBSERVED, SD, particles=PARTICLES, generations=12, seed=3
    ).generations
    assert sum(in_model) >= 50 * sum(counted)
    np.testing.assert_allclose(settled(noisy), settled(emulator.generations), rtol=0.2)
    last = abc_smc(model([]), BOX, OBSERVED, SD, particles=PARTICLES, generations=12, seed=3).generations[-1]
    assert np.all(widths(last.particles, last.weights) < 0.6 * settled(noisy))


def test_abc_fit_draws_the_noise_only_when_asked(tmp_path):
    plain = load_study(study(tmp_path, ""))
    noisy = load_study(study(tmp_path, "[abc]\nparticles = 8\ngenerations = 1\ntarget_noise = true\n"))
    assert (plain.abc_target_noise, noisy.abc_target_noise) == (False, True)

    def flat(thetas):  # every set simulates the target exactly: only the noise can tell them apart
        n = thetas.shape[0]
        return np.full((n, 1), noisy.observed[0]), np.zeros((n, 1))

    plain = replace(plain, abc_particles=8, abc_generations=1)
    assert np.all(abc_fit(flat, plain).generations[0].distances == 0)
    assert np.all(abc_fit(flat, noisy).generations[0].distances > 0)


def test_study_reads_the_measurement_model(tmp_path):
    assert load_study(study(tmp_path, "[history_matching]\nwaves = 2\n")).history_matching.target_noise
    table = "[history_matching]\ntarget_noise = false\n"
    assert not load_study(study(tmp_path, table)).history_matching.target_noise
