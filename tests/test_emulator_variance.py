"""An emulator's variance checked by cross-validation (sim/calibration/emulators.py) and carried, whole, into
the realisations the Sobol indices are computed on (sim/calibration/sobol_emulated.py).

A Gaussian process that takes its fitted length scales as known is too sure of itself between the sets it
learnt from when the design is small for the function.  The check refits the hyperparameters on each fold's
rest, and scales the variance up by the folds' mean square standardised error; these tests show it brings
the emulator's intervals closer to their stated 95% on sets it never saw, and that the realisations spread
as the scaled variance says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import linalg

from sim.calibration.emulators import cross_validated, fit_emulator
from sim.calibration.sobol_emulated import (
    _latent,
    design,
    emulated_sobol,
    estimators,
    held_out_table,
    realisations,
    saltelli_sample,
)
from sim.cli.sensitivity import _scaled

D = 4
LOW, HIGH = np.zeros(D), np.ones(D)


def rough(x: np.ndarray) -> np.ndarray:
    """A function with an interaction finer than a 40-set design in 4 inputs resolves well."""
    return np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * np.cos(5 * x[:, 2] * x[:, 3])


def _held_out_errors(folds: int, designs: int = 8, sets: int = 40) -> tuple[np.ndarray, list[float]]:
    """Standardised errors at 256 unseen sets of emulators fitted on ``designs`` designs, and their scales."""
    unseen = design(LOW, HIGH, 256, seed=99)
    errors, scales = [], []
    for seed in range(designs):
        X = design(LOW, HIGH, sets, seed=seed)
        emulator = fit_emulator(X, rough(X)[:, None], 0.0, LOW, HIGH, 1, folds)
        mean, var = emulator.predict(unseen)
        errors.append((rough(unseen) - mean[:, 0]) / np.sqrt(var[:, 0]))
        scales.append(float(emulator.variance_scale[0]))
    return np.concatenate(errors), scales


@pytest.fixture(scope="module")
def both():
    return _held_out_errors(0), _held_out_errors(5)


def test_without_the_check_the_emulator_is_too_sure_of_itself(both):
    (plain, scales), _ = both
    assert scales == [1.0] * len(scales)
    assert np.mean(plain**2) > 1.5  # errors well beyond what its variance says
    assert np.mean(np.abs(plain) <= 1.96) < 0.9


def test_the_cross_validation_brings_unseen_sets_closer_to_their_stated_coverage(both):
    (plain, _), (checked, scales) = both
    assert min(scales) >= 1.0 and max(scales) > 1.0
    assert abs(np.log(np.mean(checked**2))) < abs(np.log(np.mean(plain**2)))
    inside_plain, inside_checked = np.mean(np.abs(plain) <= 1.96), np.mean(np.abs(checked) <= 1.96)
    assert abs(inside_checked - 0.95) < abs(inside_plain - 0.95)


def test_the_check_is_the_folds_mean_square_standardised_error():
    X = design(LOW, HIGH, 30, seed=4)
    y = rough(X)
    emulator = fit_emulator(X, y[:, None], 0.0, LOW, HIGH, 1, 3)
    u, z = emulator.x, emulator.y[:, 0]
    errors = []
    for k in range(3):  # fold k: every third set from the k-th, predicted by a process fitted on the others
        rest = np.arange(30) % 3 != k
        other = fit_emulator(X[rest], y[rest, None], 0.0, LOW, HIGH, 1)
        mean, var = other.predict(X[~rest])
        errors.append((y[~rest] - mean[:, 0]) / np.sqrt(var[:, 0]))
    # each fold's own emulator standardises its outputs afresh, which moves the fitted optimum a little
    np.testing.assert_allclose(emulator.cross_validated[0], np.mean(np.concatenate(errors) ** 2), rtol=0.01)
    assert emulator.cross_validated[0] == pytest.approx(cross_validated(u, z, np.zeros(30), 1, 3))
    with pytest.raises(ValueError, match="at least 2 folds"):
        fit_emulator(X, y[:, None], 0.0, LOW, HIGH, 1, 1)


def test_the_check_is_not_fooled_by_standard_errors_from_two_replications():
    """A smooth function with noise of sd 0.2, each set's mean and standard error from 2 replications (as the
    pilots' studies run): the emulator is right, and the check says so as it does with the true standard error.
    Each held set standardised by its own 2-replication standard error would read about 1.6 here."""

    def smooth(x: np.ndarray) -> np.ndarray:
        return np.sin(2 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * x[:, 2]

    noisy, known = [], []
    for seed in range(8):
        X = design(LOW, HIGH, 40, seed=seed)
        runs = smooth(X)[:, None] + 0.2 * np.random.default_rng(seed).standard_normal((40, 2))
        mean, se = runs.mean(axis=1), np.abs(runs[:, 0] - runs[:, 1]) / 2  # sd of 2 over sqrt(2)
        noisy.append(fit_emulator(X, mean[:, None], se[:, None], LOW, HIGH, 1, 5).cross_validated[0])
        known.append(
            fit_emulator(X, mean[:, None], np.full((40, 1), 0.2 / np.sqrt(2)), LOW, HIGH, 1, 5).cross_validated[0]
        )
    assert 0.7 < np.median(known) < 1.3
    assert 0.8 < np.median(noisy) / np.median(known) < 1.25


def test_realisations_spread_about_the_emulators_mean_as_its_scaled_variance_says():
    X = design(LOW, HIGH, 24, seed=1)
    emulator = fit_emulator(X, rough(X)[:, None], 0.0, LOW, HIGH, 1)
    points = design(LOW, HIGH, 64, seed=2)
    mean = emulator.models[0].predict(points)
    plain, _ = realisations(emulator, 0, points, 8, np.random.default_rng(3), points)
    emulator.cross_validated = np.array([4.0])
    scaled, _ = realisations(emulator, 0, points, 8, np.random.default_rng(3), points)
    np.testing.assert_allclose(scaled - mean, 2.0 * (plain - mean), atol=1e-8)
    emulator.cross_validated = np.array([0.25])  # a check that finds the emulator too unsure changes nothing
    again, _ = realisations(emulator, 0, points, 8, np.random.default_rng(3), points)
    np.testing.assert_allclose(again, plain)


def test_the_scaled_variance_widens_the_indices_and_the_held_out_intervals():
    X = design(LOW, HIGH, 40, seed=0)
    Y = rough(X)[:, None]
    options = dict(n=256, m=16, resamples=16, conditioning=256, seed=2)
    plain, plain_emulators = emulated_sobol(X, Y, 0.0, LOW, HIGH, list("abcd"), ["y"], folds=0, **options)
    checked, emulators = emulated_sobol(X, Y, 0.0, LOW, HIGH, list("abcd"), ["y"], **options)
    scale = emulators[0].variance_scale[0]
    assert (plain["variance_scale"] == 1.0).all() and (checked["variance_scale"] == scale).all() and scale > 1
    np.testing.assert_allclose(checked["first_order"], plain["first_order"], atol=0.05)  # the same function
    widths = {k: (f["total_high"] - f["total_low"]).sum() for k, f in (("plain", plain), ("checked", checked))}
    assert widths["checked"] > widths["plain"]
    unseen = design(LOW, HIGH, 16, seed=7)
    table = held_out_table(emulators, ["y"], list("abcd"), unseen, rough(unseen)[:, None], 0.0, shared_seeds=True)
    before = held_out_table(plain_emulators, ["y"], list("abcd"), unseen, rough(unseen)[:, None], 0.0)
    np.testing.assert_allclose(table["high"] - table["low"], np.sqrt(scale) * (before["high"] - before["low"]))


def test_realisations_carry_the_whole_variance_and_leave_an_inert_input_inert():
    """Conditioned on a few points, a draw misses the variation finer than their spacing; drawn row by row
    too, the realisations have the emulator's whole variance at every point, and an input the emulator
    finds inert (x4 here) still gets no index."""

    def three(x: np.ndarray) -> np.ndarray:
        return np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * np.cos(5 * x[:, 2] * x[:, 0])

    X = design(LOW, HIGH, 30, seed=0)
    emulator = fit_emulator(X, three(X)[:, None], 0.0, LOW, HIGH, 1)
    n = 64
    A, B, AB = saltelli_sample(D, n, np.random.default_rng(1))
    points = np.vstack([A, B, AB.reshape(-1, D)])
    gp, k = emulator.models[0], _latent(emulator.models[0])
    known = linalg.solve_triangular(gp.L_, k(emulator.x, points), lower=True)
    variance = k.diag(points) - np.sum(known**2, axis=0)  # the emulator's (latent) variance at each point
    few = design(LOW, HIGH, 16, seed=5)
    rows = np.arange(len(points)) % n
    for groups, inside in ((None, (0.0, 0.8)), (rows, (0.9, 1.1))):
        f, captured = realisations(emulator, 0, points, 2000, np.random.default_rng(2), few, groups)
        assert captured < 0.8  # the conditioning alone keeps well under the whole
        assert inside[0] < np.median(f.var(axis=0) / variance) < inside[1]
        f_AB = f[:, 2 * n :].reshape(-1, D, n).transpose(1, 0, 2)
        _, total = estimators(f[:, :n], f[:, n : 2 * n], f_AB)
        assert np.abs(total[3]).max() < 0.01 and (total[:3].mean(axis=1) > 0.2).all()
    with pytest.raises(ValueError, match="same size"):
        realisations(emulator, 0, points[:-1], 2, np.random.default_rng(2), few, rows[:-1])


def test_the_summary_says_how_many_emulators_were_scaled_and_by_how_much():
    check = pd.DataFrame({"answer": ["a", "a", "b", "c"], "variance_scale": [1.5, 1.5, 1.0, 2.25]})
    assert "scaled up where too small: 2 of 3 emulators, by 1.50 to 2.25." in _scaled(check)[0]
    assert _scaled(check.assign(variance_scale=1.0))[0].endswith("0 of 3 emulators.")
    assert _scaled(check.drop(columns="variance_scale")) == []  # a table from before the check: no line
