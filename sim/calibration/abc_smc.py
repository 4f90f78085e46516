"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

The population Monte Carlo scheme of Beaumont, Cornuet, Marin and Robert
(2009): generation 0 is a sample from the prior; each later generation
resamples the previous one by weight, perturbs the draws with a Gaussian
kernel of twice the weighted covariance, keeps the proposals whose distance
to the observed targets is within a tolerance (a weighted quantile of the
previous generation's distances), and reweights them by prior density over
the mixture of kernels they could have come from.

pyabc is the reference implementation, but it drives the sampling loop one
particle at a time and keeps its own database. Here the simulations are run
by the project's resumable, parallel experiment runner, which takes a whole
batch of parameter sets at once and caches every result in the results store
by parameter values; so this compact version proposes a whole batch, hands it
to ``evaluate`` in one call, and leaves running and caching to the caller.
Everything is deterministic given ``seed``: the same seed and the same
``evaluate`` give bit-identical generations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.special import logsumexp


@dataclass(frozen=True)
class Prior:
    """Independent uniform priors on the box ``low <= x <= high``."""

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray

    def __post_init__(self):
        low = np.asarray(self.low, dtype=float).reshape(-1)
        high = np.asarray(self.high, dtype=float).reshape(-1)
        if not (len(self.names) == low.size == high.size) or low.size == 0:
            raise ValueError("prior: names, low and high must have the same, non-zero length")
        if not np.all(np.isfinite(low) & np.isfinite(high) & (low < high)):
            raise ValueError("prior: every bound must be finite with low < high")
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` independent draws, shape ``(n, d)``."""
        return rng.uniform(self.low, self.high, size=(n, self.low.size))

    def inside(self, x) -> np.ndarray:
        """Whether each row of ``x`` lies in the box (bounds included)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        return np.all((x >= self.low) & (x <= self.high), axis=1)

    def pdf(self, x) -> np.ndarray:
        """Density of each row of ``x``, shape ``(n,)``; 0 outside the box."""
        density = 1.0 / float(np.prod(self.high - self.low))
        return np.where(self.inside(x), density, 0.0)


Evaluate = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``evaluate(thetas (n, d)) -> (means (n, m), standard_errors (n, m))``, one call per batch."""


def select_targets(evaluate: Evaluate, keep) -> Evaluate:
    """``evaluate`` giving only the targets (columns) where ``keep`` is true: what a fit is given when some
    targets are checks, measured by the model in every run but left out of the distance."""
    keep = np.asarray(keep, dtype=bool)

    def selected(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, ses = evaluate(thetas)
        means, ses = np.asarray(means, dtype=float), np.asarray(ses, dtype=float)
        return means[:, keep], np.broadcast_to(ses, means.shape)[:, keep]

    return selected


# the target-noise generator's key beside the study's seed, apart from the proposals' (seeded by the seed alone)
TARGET_NOISE_STREAM = 7


def with_target_noise(evaluate: Evaluate, sd: np.ndarray, seed: int) -> Evaluate:
    """``evaluate`` with each simulated mean moved by a draw of N(0, sd^2), its target's own uncertainty.

    Noisy ABC: as the tolerance falls the posterior tends to that of targets measured with error sd
    (Wilkinson 2013), the measurement model of the emulator route's draws.  The draws come from their own
    generator (``seed`` and :data:`TARGET_NOISE_STREAM`) in the order sets are evaluated, so a fit made again,
    or resumed from its stored runs, draws the same."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, TARGET_NOISE_STREAM]))
    sd = np.asarray(sd, dtype=float)

    def noisy(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, ses = evaluate(thetas)
        means = np.asarray(means, dtype=float)
        return means + sd * rng.standard_normal(means.shape), ses

    return noisy


@dataclass
class Generation:
    """One SMC generation. ``proposed`` counts the proposals evaluated up to the
    one that completed the generation, so the acceptance rate is ``accepted / proposed``."""

    tolerance: float
    particles: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    proposed: int
    accepted: int

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.proposed if self.proposed else math.nan


def weighted_quantile(values, weights, q: float) -> float:
    """The smallest value whose cumulative normalised weight reaches ``q``."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(np.asarray(weights, dtype=float)[order])
    cumulative /= cumulative[-1]
    position = min(int(np.searchsorted(cumulative, q, side="left")), values.size - 1)
    return float(values[order][position])


def shift(previous: Generation, current: Generation, prior: Prior, level: float = 0.9) -> float:
    """How far the posterior moved over a generation: the largest change of any parameter's weighted mean or
    equal-tailed ``level`` bounds from ``previous`` to ``current``, as a share of its prior width."""
    moved = 0.0
    tails = ((1 - level) / 2, (1 + level) / 2)
    for k in range(prior.low.size):
        width = float(prior.high[k] - prior.low[k])
        before, after = (
            [float(np.dot(g.weights, g.particles[:, k]))]
            + [weighted_quantile(g.particles[:, k], g.weights, q) for q in tails]
            for g in (previous, current)
        )
        moved = max(moved, max(abs(a - b) for a, b in zip(after, before, strict=True)) / width)
    return moved


STOPS = {
    "generations": "ran its most generations",
    "acceptance": "a generation could not keep its share of proposals (min_acceptance)",
    "tolerance": "the tolerance stopped falling (min_fall)",
    "posterior": "the posterior stopped moving (min_shift)",
}


@dataclass
class Posterior:
    """The generations of a run; the last one is the posterior sample.
    ``simulations`` counts every evaluated proposal, including any beyond the last kept one;
    ``stopped`` says which rule ended the run (a key of ``STOPS``)."""

    prior: Prior
    generations: list[Generation]
    simulations: int
    stopped: str = "generations"

    def shifts(self) -> list[float]:
        """Per generation, :func:`shift` from the one before (nan for the prior sample and the first
        generation, which has the prior sample before it)."""
        g = self.generations
        return [math.nan if k < 2 else shift(g[k - 1], g[k], self.prior) for k in range(len(g))]

    def sample(self) -> pd.DataFrame:
        """The last generation: one column per parameter, plus ``weight``."""
        last = self.generations[-1]
        frame = pd.DataFrame(last.particles, columns=list(self.prior.names))
        frame["weight"] = last.weights
        return frame

    def interval(self, level: float = 0.9) -> pd.DataFrame:
        """Per parameter: weighted mean, equal-tailed ``level`` interval, prior width and
        shrinkage, ``1 - interval width / prior width`` (0 = nothing learnt)."""
        last = self.generations[-1]
        rows = []
        for k, name in enumerate(self.prior.names):
            x = last.particles[:, k]
            lower = weighted_quantile(x, last.weights, (1 - level) / 2)
            upper = weighted_quantile(x, last.weights, (1 + level) / 2)
            width = float(self.prior.high[k] - self.prior.low[k])
            rows.append(
                {
                    "parameter": name,
                    "mean": float(np.dot(last.weights, x)),
                    "lower": lower,
                    "upper": upper,
                    "prior_width": width,
                    "shrinkage": 1 - (upper - lower) / width,
                }
            )
        return pd.DataFrame(rows).set_index("parameter")


def distance(means, ses, observed, sd) -> np.ndarray:
    """sqrt(sum(((mean - observed) / sqrt(sd^2 + se^2))^2)) per row: replication noise (se)
    added to the target's own uncertainty (sd)."""
    means = np.atleast_2d(np.asarray(means, dtype=float))
    scale = np.sqrt(np.asarray(sd, dtype=float) ** 2 + np.atleast_2d(np.asarray(ses, dtype=float)) ** 2)
    return np.sqrt(np.sum(((means - np.asarray(observed, dtype=float)) / scale) ** 2, axis=1))


def _kernel_cholesky(particles: np.ndarray, weights: np.ndarray, prior: Prior) -> np.ndarray:
    """Lower Cholesky factor of twice the weighted covariance, with a tiny ridge
    (relative to the prior widths) so that collapsed dimensions stay usable."""
    cov = np.atleast_2d(np.cov(particles, rowvar=False, aweights=weights, ddof=0))
    ridge = 1e-12 * (prior.high - prior.low) ** 2
    return linalg.cholesky(2.0 * cov + np.diag(ridge), lower=True)


def _log_kernel_mixture(x: np.ndarray, centres: np.ndarray, weights: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log sum_j w_j N(x_i; centre_j, L L^T) for each row of ``x``."""
    d = x.shape[1]
    diffs = (x[:, None, :] - centres[None, :, :]).reshape(-1, d)
    z = linalg.solve_triangular(chol, diffs.T, lower=True).T.reshape(x.shape[0], centres.shape[0], d)
    log_norm = -0.5 * d * math.log(2 * math.pi) - float(np.sum(np.log(np.diag(chol))))
    log_k = log_norm - 0.5 * np.sum(z * z, axis=2)
    with np.errstate(divide="ignore"):
        return logsumexp(log_k + np.log(weights)[None, :], axis=1)


def _evaluate(evaluate: Evaluate, thetas: np.ndarray, observed: np.ndarray, sd: np.ndarray) -> np.ndarray:
    means, ses = evaluate(thetas.copy())
    means, ses = np.asarray(means, dtype=float), np.asarray(ses, dtype=float)
    shape = (thetas.shape[0], observed.size)
    if means.shape != shape or ses.shape != shape:
        raise ValueError(f"evaluate returned shapes {means.shape} and {ses.shape}, expected {shape} for both")
    d = distance(means, ses, observed, sd)
    return np.where(np.isnan(d), np.inf, d)  # a failed simulation is never accepted


def abc_smc(
    evaluate: Evaluate,
    prior: Prior,
    observed: np.ndarray,
    sd: np.ndarray,
    *,
    particles: int = 100,
    generations: int = 5,
    batch: int | None = None,
    quantile: float = 0.5,
    seed: int = 1,
    min_acceptance: float = 0.02,
    on_generation: Callable[[Generation], None] | None = None,
    min_fall: float = 0.0,
    min_shift: float = 0.0,
) -> Posterior:
    """Run ABC-SMC for up to ``generations`` generations of ``particles`` particles.

    Proposals go to ``evaluate`` in batches of ``batch`` (default ``particles``), one
    call per batch, and never lie outside the prior box. A later generation stops
    proposing once its acceptance rate can no longer reach ``min_acceptance``; the run
    then ends with the generations completed so far (a generation that completes below
    the rate is kept, and is the last one). ``on_generation`` is called after each
    completed generation.

    Run until the tolerance stops falling: with ``min_fall`` above 0, the run also ends
    after a generation (from the second with a finite tolerance on) whose tolerance fell
    by less than ``min_fall`` of the previous one (0.05: by less than 5%), since further
    generations would then cost runs for little narrowing. ``generations`` stays the most.

    Or until the posterior stops moving: with ``min_shift`` above 0, the run also ends after a generation
    (from the second on) whose :func:`shift` from the one before is below ``min_shift`` (0.05: no parameter's
    mean or 90% bounds moved by 5% of its prior width).  Where the distances are mostly noise, as on
    emulators that draw the replication and observation noise (:mod:`sim.calibration.history_matching`),
    the tolerance cannot stop falling: the accepted distances form the lower tail of a chi distribution, so
    with ``m`` targets the next tolerance, their median, is about ``2**(-1/m)`` of the last one (11% lower
    for six targets) at every generation, while the posterior has long stopped changing.
    """
    observed = np.asarray(observed, dtype=float).reshape(-1)
    sd = np.asarray(sd, dtype=float).reshape(-1)
    batch = particles if batch is None else batch
    if sd.shape != observed.shape or not np.all(sd > 0):
        raise ValueError("sd must be positive, one per observed target")
    if particles < 1 or batch < 1 or generations < 1 or not 0 < quantile <= 1 or not 0 <= min_acceptance < 1:
        raise ValueError("need particles, batch, generations >= 1, 0 < quantile <= 1 and 0 <= min_acceptance < 1")
    if not 0 <= min_fall < 1 or not 0 <= min_shift < 1:
        raise ValueError("need 0 <= min_fall < 1 and 0 <= min_shift < 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    d = prior.low.size
    budget = math.inf if min_acceptance == 0 else math.ceil(particles / min_acceptance)

    thetas = prior.sample(particles, rng)
    dists = np.concatenate(
        [_evaluate(evaluate, thetas[i : i + batch], observed, sd) for i in range(0, particles, batch)]
    )
    simulations = particles
    current = Generation(math.inf, thetas, np.full(particles, 1.0 / particles), dists, particles, particles)
    history = [current]
    if on_generation is not None:
        on_generation(current)

    stopped = "generations"
    for _ in range(1, generations):
        tolerance = weighted_quantile(current.distances, current.weights, quantile)
        chol = _kernel_cholesky(current.particles, current.weights, prior)
        kept_thetas: list[np.ndarray] = []
        kept_dists: list[float] = []
        proposed = 0
        while len(kept_thetas) < particles and proposed < budget:
            candidates = np.empty((0, d))
            while candidates.shape[0] < batch:  # rejection from the box costs no simulation
                parents = current.particles[rng.choice(particles, size=batch, p=current.weights)]
                draws = parents + rng.standard_normal((batch, d)) @ chol.T
                candidates = np.vstack([candidates, draws[prior.inside(draws)]])
            candidates = candidates[:batch]
            dist = _evaluate(evaluate, candidates, observed, sd)
            simulations += batch
            for k in range(batch):
                proposed += 1
                if dist[k] <= tolerance:
                    kept_thetas.append(candidates[k])
                    kept_dists.append(dist[k])
                    if len(kept_thetas) == particles:
                        break
        if len(kept_thetas) < particles:
            stopped = "acceptance"
            break  # abandoned: the acceptance rate is below min_acceptance
        new = np.array(kept_thetas)
        log_w = np.log(prior.pdf(new)) - _log_kernel_mixture(new, current.particles, current.weights, chol)
        weights = np.exp(log_w - logsumexp(log_w))
        current = Generation(tolerance, new, weights / weights.sum(), np.array(kept_dists), proposed, particles)
        history.append(current)
        if on_generation is not None:
            on_generation(current)
        if current.acceptance_rate < min_acceptance:
            stopped = "acceptance"
            break
        previous = history[-2].tolerance
        if math.isfinite(previous) and tolerance > (1 - min_fall) * previous:
            stopped = "tolerance"
            break  # the tolerance stopped falling
        if len(history) > 2 and shift(history[-2], current, prior) < min_shift:
            stopped = "posterior"
            break
    return Posterior(prior, history, simulations, stopped)
