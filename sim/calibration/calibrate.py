"""Sweeps and fits of a calibration study, every run through the experiment runner.

:class:`Evaluator` turns a batch of parameter sets into simulated targets by
running them as one experiment into the study's results store
(``calibration/fitted/<study>/results.sqlite``), so a sweep or a fit that is
interrupted resumes without running anything twice, and scales to a Dask
cluster.  :func:`sweep` runs a Latin hypercube (``scipy.stats.qmc``) and
Morris screening; :func:`abc_fit` runs ABC-SMC (:mod:`sim.calibration.abc_smc`) and
:func:`point_estimate` a point estimate with ``scipy.optimize``.

Every target is measured in every run, but only the fitted ones (``fit = true``, the default) enter a
distance (:func:`fit_distance`): a check (``fit = false``) is reported beside them and never fitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.stats import qmc

from sim.calibration.abc_smc import (
    Evaluate,
    Generation,
    Posterior,
    Prior,
    abc_smc,
    select_targets,
    with_target_noise,
)
from sim.calibration.abc_smc import distance as abc_distance
from sim.calibration.design import design_experiment, simulated_targets
from sim.calibration.study import Study
from sim.experiments.batch import run_experiment
from sim.experiments.exports import collect
from sim.experiments.store import Store


def median_correction(replications: int) -> float:
    """The factor that turns the median of many sets' standard errors into the standard error of a set's mean.

    A standard error from ``r`` replications (sd with ddof 1, over root r) squared is the replication variance
    times chi-square(r - 1) / (r - 1), for normal noise.  That is right on average, but its median is lower:
    for 2 replications 0.455 of the variance, so the median standard error is 0.67 of the true one, and a
    cut or a distance that took it as the noise would take the noise for about half what it is.  The median
    is kept, for it is not moved by a few sets whose replications disagree wildly, and scaled by
    sqrt((r - 1) / median of chi-square(r - 1)): 1.48 for 2 replications, 1.09 for 5; 1 with one replication
    (no standard error).
    """
    df = int(replications) - 1
    return math.sqrt(df / stats.chi2.median(df)) if df >= 1 else 1.0


def pooled_standard_error(ses: np.ndarray, replications: int) -> np.ndarray:
    """Per target (a column of ``ses``: sets x targets), the median standard error over the sets, corrected for the
    median's bias (:func:`median_correction`): the replication noise of a set's mean that a fit uses."""
    return np.nanmedian(np.asarray(ses, dtype=float), axis=0) * median_correction(replications)


class BudgetExceeded(RuntimeError):
    """The study's budget of runs would be exceeded."""


@dataclass
class Evaluator:
    """Simulated targets (means and standard errors) for batches of parameter sets.

    Replication noise is handled explicitly, with one pooled figure per target: the median, over
    every parameter set evaluated so far, of the standard error of its mean over replications, scaled
    by :func:`median_correction` so that its square estimates the replication variance.  A set's own
    standard error from a few replications is itself too noisy to use: a distance scaled by it would
    favour the sets whose replications happened to disagree most.
    """

    study: Study
    store: Store
    executor: object
    commit: str | None
    out: Path
    progress: Callable | None = None
    runs: int = 0  # runs made (not found in the store) so far
    calls: int = 0
    log: list[pd.DataFrame] = field(default_factory=list)  # every set evaluated: parameters, targets, distance

    def __call__(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        exp, ids = design_experiment(self.study, thetas, self.out)
        planned = len(set(ids)) * self.study.runs_per_point
        if self.runs + planned > self.study.budget_runs and not self._all_stored(exp):
            raise BudgetExceeded(
                f"the study's budget of {self.study.budget_runs} runs would be exceeded "
                f"({self.runs} made, {planned} more asked for)"
            )
        outcome = run_experiment(exp, self.store, self.executor, self.commit, self.progress)
        self.runs += outcome.ran
        self.calls += 1
        kpis = collect(self.store, outcome.tasks, exp)["kpis"]
        means, ses = simulated_targets(kpis, self.study, exp, ids)
        self.log.append(self.table(thetas, ids, means, ses))
        return means, np.broadcast_to(self.pooled_se(), means.shape).copy()

    def pooled_se(self) -> np.ndarray:
        """Per target, the median standard error over every parameter set evaluated so far, corrected for the
        median's bias (:func:`median_correction`)."""
        table = evaluations(self)
        ses = table[[t.name + "_se" for t in self.study.targets]].to_numpy(dtype=float)
        return pooled_standard_error(ses, self.study.replications)

    def _all_stored(self, exp) -> bool:
        done, total = self._stored(exp)
        return done == total

    def runs_of(self, thetas: np.ndarray) -> tuple[int, int]:
        """The runs a batch of these parameter sets needs (a set asked for twice is run once), and how many of
        them the store holds already (what a resumed batch need not run): ``(stored, all)``."""
        exp, _ = design_experiment(self.study, np.atleast_2d(np.asarray(thetas, dtype=float)), self.out)
        return self._stored(exp)

    def _stored(self, exp) -> tuple[int, int]:
        """The experiment's runs found in the store, and all its runs."""
        from sim.experiments.batch import plan

        status = self.store.status()
        tasks = plan(exp, self.study.replications)
        return sum(status.get(t.key) == "ok" for t in tasks), len(tasks)

    def table(self, thetas: np.ndarray, ids: list[float], means: np.ndarray, ses: np.ndarray) -> pd.DataFrame:
        s = self.study
        frame = pd.DataFrame(thetas, columns=list(s.names))
        frame.insert(0, "point", np.asarray(ids, dtype=np.int64))
        for j, t in enumerate(s.targets):
            frame[t.name] = means[:, j]
            frame[t.name + "_se"] = ses[:, j]
        frame["distance"] = fit_distance(means, np.zeros_like(means), s)  # fitted targets, without replication noise
        return frame


def distance(means: np.ndarray, ses: np.ndarray, observed: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """:func:`sim.calibration.abc_smc.distance`, with a parameter set whose runs failed infinitely far away."""
    d = abc_distance(means, np.nan_to_num(ses, nan=0.0), observed, sd)
    return np.where(np.isnan(d), np.inf, d)


def fit_distance(means: np.ndarray, ses: np.ndarray, study: Study) -> np.ndarray:
    """:func:`distance` of each row to the study's fitted targets only: its checks (``fit = false``) left out."""
    keep = study.fitted
    means, ses = np.atleast_2d(means), np.broadcast_to(ses, np.shape(np.atleast_2d(means)))
    return distance(means[:, keep], ses[:, keep], study.observed[keep], study.sd[keep])


def abc_fit(evaluate: Evaluate, study: Study, on_generation: Callable[[Generation], None] | None = None) -> Posterior:
    """ABC-SMC of a study with its ``[abc]`` settings, on its fitted targets (its checks are not given to it).

    ``evaluate`` gives every target of the study, as :class:`Evaluator` does.  With ``[abc] target_noise`` each
    simulated mean carries a draw of its target's sd (:func:`~sim.calibration.abc_smc.with_target_noise`), the
    measurement model of the emulator route's posterior.
    """
    keep = study.fitted
    fitted = select_targets(evaluate, keep)
    if study.abc_target_noise:
        fitted = with_target_noise(fitted, study.sd[keep], study.seed)
    return abc_smc(
        fitted,
        Prior(study.names, study.low, study.high),
        study.observed[keep],
        study.sd[keep],
        particles=study.abc_particles,
        generations=study.abc_generations,
        quantile=study.abc_quantile,
        seed=study.seed,
        on_generation=on_generation,
        min_fall=study.abc_min_fall,
    )


def latin_hypercube(study: Study, n: int | None = None) -> np.ndarray:
    """A space-filling design over the priors' box (scipy.stats.qmc), fixed by the study's seed."""
    sampler = qmc.LatinHypercube(d=len(study.priors), seed=study.seed)
    return qmc.scale(sampler.random(n or study.sweep_points), study.low, study.high)


def point_estimate(evaluate: Evaluator, start: np.ndarray, max_evaluations: int = 30) -> optimize.OptimizeResult:
    """Minimise the distance to the fitted targets from ``start`` within the priors' box (Nelder-Mead on common
    random numbers).

    With common random numbers the distance is a fixed function of the parameters, so a
    derivative-free search converges instead of chasing noise.
    """
    s = evaluate.study

    def objective(theta: np.ndarray) -> float:
        means, ses = evaluate(np.clip(theta, s.low, s.high)[None, :])
        return float(fit_distance(means, ses, s)[0])

    return optimize.minimize(
        objective,
        np.clip(start, s.low, s.high),
        method="Nelder-Mead",
        bounds=list(zip(s.low, s.high)),
        options={"maxfev": max_evaluations, "xatol": 1e-3 * float(np.min(s.high - s.low)), "fatol": 1e-3},
    )


def evaluations(evaluate: Evaluator) -> pd.DataFrame:
    """Every parameter set evaluated so far, once each, in the order first seen."""
    if not evaluate.log:
        return pd.DataFrame()
    return pd.concat(evaluate.log, ignore_index=True).drop_duplicates("point").reset_index(drop=True)
