"""ABC-SMC: a known posterior, the distance, determinism, batching and the reported summaries."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from sim.calibration.abc_smc import STOPS, Generation, Prior, abc_smc, distance, shift, weighted_quantile

A = np.array([[1.0, 0.5], [0.2, 1.0], [1.0, -1.0]])
TRUTH = np.array([1.5, -0.5])
SIGMA = 0.3
OBSERVED = A @ TRUTH + SIGMA * np.random.default_rng(0).standard_normal(3)
WIDE = Prior(("a", "b"), np.array([-10.0, -10.0]), np.array([10.0, 10.0]))


def linear_gaussian(calls: list | None = None, seed: int = 42):
    """targets = A @ theta + N(0, SIGMA^2) noise; a fresh simulator gives the same draws for the same calls."""
    rng = np.random.default_rng(seed)

    def evaluate(thetas):
        if calls is not None:
            calls.append(thetas.copy())
        n = thetas.shape[0]
        return thetas @ A.T + SIGMA * rng.standard_normal((n, 3)), np.zeros((n, 3))

    return evaluate


def run(evaluate=None, prior=WIDE, **kw):
    kw = {"particles": 200, "generations": 6, "seed": 3} | kw
    return abc_smc(evaluate or linear_gaussian(), prior, OBSERVED, np.full(3, SIGMA), **kw)


@pytest.fixture(scope="module")
def fitted():
    return run(particles=500, generations=12)


def test_linear_gaussian_posterior_matches_the_analytic_one(fitted):
    # flat prior: the posterior is N((A'A)^-1 A'y, SIGMA^2 (A'A)^-1)
    inv = np.linalg.inv(A.T @ A)
    mean, sd = inv @ A.T @ OBSERVED, SIGMA * np.sqrt(np.diag(inv))
    table = fitted.interval(0.9)
    assert np.all(np.abs(table["mean"].to_numpy() - mean) < 0.5 * sd)
    assert np.all((table["lower"] <= TRUTH) & (TRUTH <= table["upper"]))
    assert np.all(table["shrinkage"] >= 0.5)
    # the 90% interval is no narrower than the exact posterior's (ABC with tolerance > 0 only widens it)
    assert np.all(table["upper"] - table["lower"] > 0.9 * 2 * 1.645 * sd)


def test_distance_matches_a_hand_computation():
    means = np.array([[1.0, 2.0], [3.0, 4.0]])
    observed, sd = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    d = distance(means, np.zeros((2, 2)), observed, sd)
    assert d == pytest.approx([math.sqrt(1 + 0.25), math.sqrt(9 + 2.25)])
    ses = np.array([[1.0, 0.0], [0.0, math.sqrt(5.0)]])
    assert distance(means, ses, observed, sd) == pytest.approx([math.sqrt(0.5 + 0.25), math.sqrt(9 + 1.0)])
    # replication noise widens the denominator, so the distance can only fall
    for se in (0.1, 1.0, 10.0):
        assert np.all(distance(means, np.full((2, 2), se), observed, sd) < d)


def test_same_seed_is_bit_identical_and_another_seed_differs():
    a, b, c = run(), run(), run(seed=4)
    assert len(a.generations) == len(b.generations) and a.simulations == b.simulations
    for ga, gb in zip(a.generations, b.generations):
        assert ga.tolerance == gb.tolerance and (ga.proposed, ga.accepted) == (gb.proposed, gb.accepted)
        for field in ("particles", "weights", "distances"):
            assert np.array_equal(getattr(ga, field), getattr(gb, field))
    assert not np.array_equal(a.generations[-1].particles, c.generations[-1].particles)
    assert not np.array_equal(a.generations[0].particles, c.generations[0].particles)


def test_evaluate_gets_whole_batches_inside_the_prior_box():
    # the truth sits near the box's lower edges, so many perturbations fall outside it
    prior = Prior(("a", "b"), np.array([1.3, -0.7]), np.array([6.0, 4.0]))
    calls = []
    post = run(linear_gaussian(calls), prior=prior, particles=50, batch=30)
    sizes = [c.shape[0] for c in calls]
    assert sizes[:2] == [30, 20]  # generation 0: the 50 prior draws
    assert set(sizes[2:]) == {30}
    assert sum(sizes) == post.simulations
    points = np.vstack(calls)
    assert np.all(prior.inside(points))
    assert points[:, 0].min() < 1.35 and points[:, 1].min() < -0.65  # proposals do reach the edges
    assert sum(g.proposed for g in post.generations) <= post.simulations


def test_generations_report_weights_tolerances_and_acceptance():
    seen = []
    post = run(on_generation=seen.append)
    assert len(post.generations) == 6 and seen == post.generations
    first, later = post.generations[0], post.generations[1:]
    assert first.tolerance == math.inf and first.proposed == first.accepted == 200
    assert np.all(np.isfinite(first.distances)) and first.distances.shape == (200,)
    tolerances = [g.tolerance for g in post.generations]
    assert all(x > y for x, y in pairwise(tolerances))
    for g in post.generations:
        assert isinstance(g, Generation)
        assert g.particles.shape == (200, 2) and g.weights.shape == (200,)
        assert g.weights.sum() == pytest.approx(1.0) and np.all(g.weights > 0)
        assert g.accepted == 200 and g.proposed >= g.accepted
        assert 0 < g.accepted / g.proposed == g.acceptance_rate <= 1
        assert np.all(g.distances <= g.tolerance)
    assert all(g.acceptance_rate < 1 for g in later)
    # tolerance: the previous generation's weighted median distance
    prev, now = post.generations[-2], post.generations[-1]
    assert now.tolerance == weighted_quantile(prev.distances, prev.weights, 0.5)


def test_low_acceptance_stops_early_and_keeps_completed_generations():
    # the targets ignore theta, so about a fifth of the proposals pass the 0.2-quantile tolerance
    def noise():
        rng = np.random.default_rng(5)
        return lambda thetas: (rng.standard_normal((thetas.shape[0], 3)), np.zeros((thetas.shape[0], 3)))

    # generation 1 cannot reach 50% within 60 / 0.5 proposals: abandoned, generation 0 kept
    post = run(noise(), particles=60, generations=5, quantile=0.2, min_acceptance=0.5)
    assert len(post.generations) == 1 and post.simulations == 60 + 120
    # one big batch completes generation 1 at about 20%: kept, and the run stops there
    post = run(noise(), particles=60, generations=5, batch=1000, quantile=0.2, min_acceptance=0.3)
    assert len(post.generations) == 2 and post.generations[1].acceptance_rate < 0.3
    assert post.simulations == 60 + 1000


def test_shift_is_the_largest_move_of_a_mean_or_bound_over_prior_width():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 2))
    w = np.full(400, 1 / 400)
    before = Generation(1.0, x, w, np.zeros(400), 400, 400)
    moved = x + np.array([0.0, 0.5])  # the second parameter's mean and bounds move by 0.5
    after = Generation(1.0, moved, w, np.zeros(400), 400, 400)
    assert shift(before, before, WIDE) == 0.0
    assert shift(before, after, WIDE) == pytest.approx(0.5 / 20.0)


def test_noise_only_distances_keep_the_tolerance_falling_until_the_posterior_rule_stops_it():
    # targets that ignore theta: the tolerance falls about 2**(-1/3) a generation for ever, the posterior never moves
    def noise():
        rng = np.random.default_rng(5)
        return lambda thetas: (rng.standard_normal((thetas.shape[0], 3)), np.zeros((thetas.shape[0], 3)))

    kept = run(noise(), particles=300, generations=6, min_acceptance=0.0)
    assert kept.stopped == "generations" and len(kept.generations) == 6
    falls = [b.tolerance / a.tolerance for a, b in pairwise(kept.generations[1:])]
    assert all(0.65 < f < 0.95 for f in falls)  # 2**(-1/3) = 0.79: never a fall of less than 5%
    moved = kept.shifts()[2:]
    assert max(moved) < 0.1  # the prior box stays the posterior, up to sampling
    stopped = run(noise(), particles=300, generations=6, min_acceptance=0.0, min_shift=max(moved[0], 1e-9) * 1.01)
    assert stopped.stopped == "posterior" and len(stopped.generations) == 3
    assert stopped.stopped in STOPS and kept.shifts()[:2] == pytest.approx([math.nan] * 2, nan_ok=True)


def test_the_stop_rule_is_recorded(fitted):
    assert fitted.stopped in STOPS
    low = run(particles=60, generations=5, min_acceptance=0.9)
    assert low.stopped == "acceptance"


def test_sample_and_interval_tables(fitted):
    sample = fitted.sample()
    assert list(sample.columns) == ["a", "b", "weight"] and len(sample) == 500
    assert sample["weight"].sum() == pytest.approx(1.0)
    table = fitted.interval(0.8)
    assert list(table.index) == ["a", "b"]
    assert list(table.columns) == ["mean", "lower", "upper", "prior_width", "shrinkage"]
    assert np.all(table["prior_width"] == 20.0)
    assert np.all(table["lower"] <= table["mean"]) and np.all(table["mean"] <= table["upper"])
    wider = fitted.interval(0.95)
    assert np.all(wider["shrinkage"] <= table["shrinkage"])


def test_prior_samples_inside_and_has_zero_density_outside():
    rng = np.random.default_rng(np.random.SeedSequence(1))
    x = WIDE.sample(1000, rng)
    assert x.shape == (1000, 2) and np.all(WIDE.inside(x))
    assert WIDE.pdf(x) == pytest.approx(np.full(1000, 1 / 400))
    assert np.array_equal(WIDE.pdf(np.array([[0.0, 10.5], [-11.0, 0.0], [10.0, -10.0]])), [0.0, 0.0, 1 / 400])
    with pytest.raises(ValueError):
        Prior(("a",), np.array([1.0]), np.array([0.0]))
