"""History matching with Gaussian-process emulators, then ABC-SMC on the space it leaves.

The fit made affordable when a run is expensive: instead of spending every model run on ABC-SMC
over the whole prior box, a few waves of runs rule out the parameter sets that cannot give the
targets, and the posterior is then found on emulators of the model inside what remains, with a
final check in the model itself.

**Waves** (Vernon, Goldstein and Bower 2010; Andrianakis et al. 2015).  Wave 1 runs a Latin
hypercube over the prior box; wave k runs ``points_per_wave`` sets chosen, by greedy maximin
distance from the sets already run, among candidates not ruled out by waves 1 to k-1 (the
not-ruled-out points of a scrambled Sobol sample of ``candidates`` points over the box, topped up
by Gaussian perturbations of them where that sample holds too few).  After each wave one emulator
per target is fitted (:mod:`sim.calibration.emulators`) on every set run so far that lies in the
space not yet ruled out, and the implausibility of a set ``x`` for target ``j`` is

    I_j(x) = |z_j - E[f_j(x)]| / sqrt(sd_j^2 + Var_emulator_j(x) + Var_replication_j)

with ``z_j`` the observed value and ``sd_j`` its standard error: the distance to the target in
units of everything that makes the emulated value uncertain.  A set is ruled out when its
``rank``-th largest implausibility exceeds ``cutoff``: by default the largest (``rank`` 1) against 3,
Pukelsheim's three-sigma rule (any unimodal distribution has at least 95% of its mass within three
sd).  The largest is the strict choice, right when there are few targets and each is believed; with
many targets Vernon et al. (2010) used the second or third largest, so that one badly emulated
target, or one the model cannot reach, does not rule out the whole space (``rank`` 2).  A set is not
implausible when it passes the cut of every wave so far (each wave refocuses the last).

**Stopping.**  The waves stop after ``waves`` waves; or once the not-implausible share of the box
(estimated on the Sobol sample) shrank by less than ``stop_share`` of itself in the last wave; or
once the emulators are accurate enough that another wave could rule out little: their variance
below ``accuracy`` x sd_j^2 for every target over the space not ruled out.

**Posterior.**  ABC-SMC (:mod:`sim.calibration.abc_smc`) with the prior restricted to the space not
ruled out (proposals outside it rejected before any evaluation) and the last wave's emulators in
place of the model: a proposal's simulated targets are drawn from N(E[f(x)], Var_emulator +
Var_replication + sd^2), the model's expected output with every source of uncertainty around it, so
that as the tolerance falls the ABC posterior tends to the posterior of that measurement model
(Wilkinson 2013).  It costs no model run, so it runs until its tolerance stops falling.

The measurement model (``target_noise``): with it (the default) each draw carries the target's own sd as
observation noise, as above; without it a draw is N(E[f(x)], Var_emulator + Var_replication), a set's
simulated mean compared with the targets as they are, which is how ABC-SMC alone compares unless its own
``[abc] target_noise`` is set.  To compare the two routes' posteriors, give both the same.

What a draw's distance from the targets is measured against (``distance``): ``"sd_and_noise"`` (the
default since caresim 0.11.0) divides each target's difference by ``sqrt(sd_j^2 + Var_replication_j)``, as
the ABC route divides a simulated mean's difference by its sd and standard error
(:func:`sim.calibration.abc_smc.distance`), with the replication variance pooled as in the cut; ``"sd"``
(the 0.10.0 fit's way) by its sd alone.  Each draw carries its target's replication noise either way;
divided by the sd alone, a target whose noise is many times its sd (elective admissions at 20,000 people: a
replication sd of 31 to 36 points against sds of 3 and 5) fills the distance with noise, the tolerance
stops falling early, and the targets that do inform the parameters count for little.  At a finite
tolerance the choice changes the posterior (the limit is the same).

**Checks.**  A study's targets with ``fit = false`` are measured in every run and shown in the final check
in the model, but have no emulator and no part in the implausibility, the cut or the posterior.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.stats import qmc

from sim.calibration.abc_smc import Evaluate, Posterior, Prior, abc_smc, select_targets
from sim.calibration.emulators import Emulator, fit_emulator
from sim.calibration.study import DISTANCES, HistoryMatchingSettings

if TYPE_CHECKING:
    from sim.calibration.study import Study

CUTOFF = 3.0  # Pukelsheim's three-sigma rule
EMULATORS_BEST = "emulators' best set"  # posterior_check.csv's first row: the set nearest the targets on the emulators


class NothingPlausible(RuntimeError):
    """Every parameter set is ruled out: the model (or its emulators) cannot reach the targets."""


def implausibility(means, variances, observed, sd, replication_variance) -> np.ndarray:
    """``|z - E f| / sqrt(sd^2 + Var_emulator + Var_replication)`` per set and target, shape ``(n, m)``."""
    total = np.asarray(sd, dtype=float) ** 2 + np.asarray(variances, dtype=float) + replication_variance
    return np.abs(np.asarray(observed, dtype=float) - np.asarray(means, dtype=float)) / np.sqrt(total)


def ranked(measures: np.ndarray, rank: int) -> np.ndarray:
    """The ``rank``-th largest value of each row (1: the largest)."""
    return -np.sort(-measures, axis=1)[:, rank - 1]


@dataclass
class Wave:
    """One wave: its emulators, the sets it ran and what it left."""

    number: int
    emulator: Emulator
    thetas: np.ndarray  # the sets run in this wave
    fraction: float  # share of the prior box not ruled out after this wave
    emulator_variance_ratio: np.ndarray  # per target: largest Var_emulator / sd^2 over the space not ruled out
    loo: np.ndarray  # standardised leave-one-out errors of the emulators (training sets x targets)


@dataclass
class HistoryMatch:
    """The waves of a history matching and the rule that says which sets they leave."""

    prior: Prior
    observed: np.ndarray
    sd: np.ndarray
    cutoff: float
    rank: int
    waves: list[Wave] = field(default_factory=list)
    simulations: int = 0  # parameter sets evaluated
    stop: str = ""  # why the waves stopped

    def measure(self, thetas: np.ndarray, wave: Wave) -> np.ndarray:
        """The ranked implausibility of each set under one wave's emulators."""
        means, variances = wave.emulator.predict(thetas)
        i = implausibility(means, variances, self.observed, self.sd, wave.emulator.replication_variance)
        return ranked(i, self.rank)

    def plausible(self, thetas: np.ndarray) -> np.ndarray:
        """Whether each set lies in the box and passes every wave's cut."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        keep = self.prior.inside(thetas)
        for wave in self.waves:
            if keep.any():
                keep[keep] = self.measure(thetas[keep], wave) <= self.cutoff
        return keep

    def table(self) -> pd.DataFrame:
        """``waves.csv``: per wave and target, the sets run, the share not ruled out and the emulator's
        diagnostics (mean square and largest absolute standardised leave-one-out error, white noise, and with
        cross-validation its mean square standardised error and what it scaled the variance by)."""
        rows = []
        total = 0
        for w in self.waves:
            total += w.thetas.shape[0]
            for j in range(self.observed.size):
                e = w.loo[:, j]
                rows.append(
                    {
                        "wave": w.number,
                        "target": j,
                        "points_run": w.thetas.shape[0],
                        "points_total": total,
                        "training_points": e.size,
                        "non_implausible_fraction": w.fraction,
                        "loo_mean_square": float(np.mean(e**2)),
                        "loo_max_abs": float(np.max(np.abs(e))),
                        "emulator_variance_ratio": float(w.emulator_variance_ratio[j]),
                        "replication_sd": float(np.sqrt(w.emulator.replication_variance[j])),
                        "white_noise_sd": float(np.sqrt(w.emulator.white_noise()[j])),
                        "cv_mean_square": (
                            math.nan if w.emulator.cross_validated is None else float(w.emulator.cross_validated[j])
                        ),
                        "variance_scale": float(w.emulator.variance_scale[j]),
                    }
                )
        return pd.DataFrame(rows)


def _unit_sample(n: int, d: int, seed: int) -> np.ndarray:
    """A scrambled Sobol sample of at least ``n`` points in the unit box (a power of two)."""
    return qmc.Sobol(d, seed=np.random.default_rng(seed)).random_base2(max(1, int(np.ceil(np.log2(n)))))


def _candidates(match: HistoryMatch, box: np.ndarray, wanted: int, rng: np.random.Generator) -> np.ndarray:
    """Sets not ruled out: those of the Sobol sample ``box``, topped up to ``wanted`` by perturbing them."""
    prior = match.prior
    pool = box[match.plausible(box)]
    if pool.shape[0] == 0:
        return pool
    width = prior.high - prior.low
    spread = np.std(pool, axis=0) if pool.shape[0] > 1 else 0.05 * width
    spread = np.maximum(spread, 1e-3 * width)
    for _ in range(50):
        if pool.shape[0] >= wanted:
            break
        parents = pool[rng.integers(pool.shape[0], size=wanted)]
        draws = parents + 0.5 * spread * rng.standard_normal(parents.shape)
        pool = np.vstack([pool, draws[match.plausible(draws)]])
    return pool


def maximin(pool: np.ndarray, existing: np.ndarray, n: int, scale: np.ndarray) -> np.ndarray:
    """``n`` sets of ``pool`` chosen greedily, each the farthest from those chosen and ``existing``
    (distances in units of ``scale``): a space-filling design inside an irregular region."""
    p = pool / scale
    nearest = np.full(p.shape[0], np.inf)
    for e in np.atleast_2d(existing) / scale if existing.size else []:
        nearest = np.minimum(nearest, np.linalg.norm(p - e, axis=1))
    chosen: list[int] = []
    for _ in range(min(n, p.shape[0])):
        k = int(np.argmax(nearest)) if np.isfinite(nearest).any() else 0
        chosen.append(k)
        nearest = np.minimum(nearest, np.linalg.norm(p - p[k], axis=1))
        nearest[k] = -np.inf
    return pool[chosen]


def history_match(
    evaluate: Evaluate,
    prior: Prior,
    observed,
    sd,
    *,
    waves: int = 4,
    points_per_wave: int | None = None,
    cutoff: float = CUTOFF,
    rank: int = 1,
    candidates: int = 16384,
    stop_share: float = 0.2,
    accuracy: float = 0.1,
    seed: int = 1,
    on_wave: Callable[[Wave], None] | None = None,
    designs: list[np.ndarray] | None = None,
    folds: int = 0,
) -> HistoryMatch:
    """Run waves of history matching (see the module's docstring for the rules).

    ``evaluate`` is called once per wave with that wave's sets and returns their simulated means and
    standard errors, as for :func:`~sim.calibration.abc_smc.abc_smc`.  ``points_per_wave`` defaults
    to ten per parameter (Loeppky, Sacks and Welch 2009).  Raises :class:`NothingPlausible` when a
    wave rules out every set.

    ``designs`` replays an earlier history matching: wave k runs ``designs[k-1]`` instead of choosing its
    sets, at most ``len(designs)`` waves, the stopping rules unchanged (with other ``sd``, the same runs
    judged anew: :mod:`sim.calibration.sd_sensitivity`).  With ``folds`` each wave's emulators are checked by
    cross-validation and their variance scaled up where too small (:func:`~sim.calibration.emulators.fit_emulator`),
    so the cut and the posterior on them use the scaled variance; 0 takes the fitted variance as it is.
    """
    observed = np.asarray(observed, dtype=float).reshape(-1)
    sd = np.asarray(sd, dtype=float).reshape(-1)
    d = prior.low.size
    n = points_per_wave or 10 * d
    if sd.shape != observed.shape or not np.all(sd > 0):
        raise ValueError("sd must be positive, one per observed target")
    if designs is not None:
        waves = min(waves, len(designs))
    if waves < 1 or n < 3 or cutoff <= 0 or not 1 <= rank <= observed.size or not 0 <= stop_share < 1:
        raise ValueError("need waves >= 1, points_per_wave >= 3, cutoff > 0, 1 <= rank <= targets, 0 <= stop_share < 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    width = prior.high - prior.low
    box = prior.low + width * _unit_sample(candidates, d, seed)
    match = HistoryMatch(prior, observed, sd, cutoff, rank)
    run_x = np.empty((0, d))
    run_y = np.empty((0, observed.size))
    run_se = np.empty((0, observed.size))
    for number in range(1, waves + 1):
        if designs is not None:
            design = np.asarray(designs[number - 1], dtype=float)
        elif number == 1:
            design = qmc.scale(
                qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n), prior.low, prior.high
            )
        else:
            pool = _candidates(match, box, 20 * n, rng)
            inside = run_x[match.plausible(run_x)]
            design = maximin(pool, inside, n, width)
        means, ses = evaluate(design.copy())
        match.simulations += design.shape[0]
        training = match.plausible(run_x)  # earlier sets in the space not yet ruled out, and this wave's
        run_x, run_y = np.vstack([run_x, design]), np.vstack([run_y, np.asarray(means, dtype=float)])
        run_se = np.vstack([run_se, np.broadcast_to(np.asarray(ses, dtype=float), (design.shape[0], observed.size))])
        training = np.concatenate([training, np.ones(design.shape[0], dtype=bool)])
        emulator = fit_emulator(
            run_x[training], run_y[training], run_se[training], prior.low, prior.high, seed + number, folds
        )
        wave = Wave(number, emulator, design, 0.0, np.zeros(observed.size), emulator.leave_one_out())
        match.waves.append(wave)
        kept = match.plausible(box)
        wave.fraction = float(kept.mean())
        if not kept.any():
            raise NothingPlausible(
                f"wave {number} rules out every parameter set (largest implausibility ranked {rank} above "
                f"{cutoff:g}): the model cannot reach the targets within the priors"
            )
        _, variances = emulator.predict(box[kept])
        wave.emulator_variance_ratio = np.max(variances, axis=0) / sd**2
        if on_wave is not None:
            on_wave(wave)
        if number > 1 and wave.fraction > (1 - stop_share) * match.waves[-2].fraction:
            match.stop = f"the share not ruled out fell by less than {stop_share:.0%} in wave {number}"
            break
        if np.all(wave.emulator_variance_ratio < accuracy):
            match.stop = f"the emulators' variance is below {accuracy:g} x sd^2 for every target after wave {number}"
            break
    else:
        match.stop = f"the budget of {waves} waves was reached"
    return match


@dataclass(frozen=True)
class NonImplausiblePrior(Prior):
    """The uniform prior restricted to the space a history matching did not rule out."""

    match: HistoryMatch | None = None

    def inside(self, x) -> np.ndarray:
        assert self.match is not None
        return self.match.plausible(x)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws by rejection from the box."""
        out = np.empty((0, self.low.size))
        for _ in range(10_000):
            if out.shape[0] >= n:
                return out[:n]
            x = super().sample(max(4 * n, 4096), rng)
            out = np.vstack([out, x[self.inside(x)]])
        raise NothingPlausible("the space not ruled out is too small to sample by rejection")


def emulated(match: HistoryMatch, seed: int, distance: str = "sd_and_noise", target_noise: bool = True) -> Evaluate:
    """The last wave's emulators as a stochastic model: N(E f, Var_emulator + Var_replication + sd^2) draws
    (without the sd^2 when not ``target_noise``), each with the standard error the ABC distance adds to the
    sd: the pooled replication sd ("sd_and_noise") or none ("sd"; see the module)."""
    emulator = match.waves[-1].emulator
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {', '.join(DISTANCES)}, got {distance!r}")
    noise = np.sqrt(emulator.replication_variance) if distance == "sd_and_noise" else 0.0
    observation = match.sd**2 if target_noise else 0.0

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, variances = emulator.predict(thetas)
        spread = np.sqrt(variances + emulator.replication_variance + observation)
        return means + spread * rng.standard_normal(means.shape), np.broadcast_to(noise, means.shape).copy()

    return evaluate


def emulator_posterior(
    match: HistoryMatch,
    *,
    particles: int = 500,
    generations: int = 30,
    quantile: float = 0.5,
    min_fall: float = 0.05,
    min_acceptance: float = 0.001,
    min_shift: float = 0.05,
    seed: int = 1,
    distance: str = "sd_and_noise",
    target_noise: bool = True,
) -> Posterior:
    """ABC-SMC on the last wave's emulators, the prior restricted to the space not ruled out, ``distance`` and
    ``target_noise`` as :func:`emulated` takes them; run until the
    posterior stops moving (no parameter's mean or 90% bounds move by ``min_shift`` of its prior width over a
    generation), the tolerance falls by less than ``min_fall`` of itself, the acceptance rate drops below
    ``min_acceptance`` or ``generations`` generations (see :func:`~sim.calibration.abc_smc.abc_smc`, which
    says why the tolerance cannot stop falling on these emulators).  No model run."""
    restricted = NonImplausiblePrior(match.prior.names, match.prior.low, match.prior.high, match)
    return abc_smc(
        emulated(match, seed, distance, target_noise),
        restricted,
        match.observed,
        match.sd,
        particles=particles,
        generations=generations,
        quantile=quantile,
        seed=seed,
        min_fall=min_fall,
        min_acceptance=min_acceptance,
        min_shift=min_shift,
    )


def emulated_point(match: HistoryMatch, start: np.ndarray) -> np.ndarray:
    """The set minimising the emulated distance to the targets (Nelder-Mead from ``start``, inside the box)."""
    emulator, prior = match.waves[-1].emulator, match.prior

    def objective(theta: np.ndarray) -> float:
        means, variances = emulator.predict(np.clip(theta, prior.low, prior.high)[None, :])
        return float(np.sum((means[0] - match.observed) ** 2 / match.sd**2))

    best = optimize.minimize(objective, np.clip(start, prior.low, prior.high), method="Nelder-Mead")
    return np.clip(best.x, prior.low, prior.high)


def non_implausible(match: HistoryMatch) -> pd.DataFrame:
    """``non_implausible.csv``: every set run that no wave ruled out, with its ranked implausibility under the
    last wave's emulators."""
    x = np.vstack([w.thetas for w in match.waves])
    x = x[match.plausible(x)]
    frame = pd.DataFrame(x, columns=list(match.prior.names))
    frame["implausibility"] = match.measure(x, match.waves[-1]) if x.size else []
    return frame


def model_check(
    evaluate: Evaluate,
    match: HistoryMatch,
    posterior: Posterior,
    point: np.ndarray,
    draws: int,
    seed: int,
    targets: list[str] | None = None,
    fitted: np.ndarray | None = None,
) -> pd.DataFrame:
    """The emulators' best set and ``draws`` posterior draws (by weight, without replacement) run in the model, in
    one batch: ``posterior_check.csv``, with each set's simulated targets, its ranked implausibility in the model
    itself, ``|z - simulated| / sqrt(sd^2 + se^2)``, whether that is within the cutoff, its distance to the
    fitted targets there (the sum of the squares of those ratios) and whether it is the one chosen as the point
    estimate: the nearest (:func:`fit_study`).

    ``fitted`` marks which of ``evaluate``'s targets are the history matching's (the others are checks: their
    simulated values are shown, but left out of the implausibility); default all."""
    last = posterior.generations[-1]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    size = min(draws, last.particles.shape[0])
    chosen = last.particles[rng.choice(last.particles.shape[0], size=size, replace=False, p=last.weights)]
    thetas = np.vstack([np.asarray(point, dtype=float)[None, :], chosen])
    means, ses = evaluate(thetas.copy())
    match.simulations += thetas.shape[0]
    means, ses = np.asarray(means, dtype=float), np.broadcast_to(np.asarray(ses, dtype=float), np.shape(means))
    keep = np.ones(means.shape[1], dtype=bool) if fitted is None else np.asarray(fitted, dtype=bool)
    names = targets or [f"target_{j}" for j in range(means.shape[1])]
    frame = pd.DataFrame(thetas, columns=list(match.prior.names))
    frame.insert(0, "set", [EMULATORS_BEST] + [f"draw {k}" for k in range(1, size + 1)])
    for j, name in enumerate(names):
        frame[name] = means[:, j]
    i = np.nan_to_num(implausibility(means[:, keep], 0.0, match.observed, match.sd, ses[:, keep] ** 2), nan=np.inf)
    frame["implausibility"] = ranked(i, match.rank)
    frame["non_implausible"] = frame["implausibility"] <= match.cutoff
    frame["distance"] = (i**2).sum(axis=1)
    frame["chosen"] = np.arange(len(frame)) == int(np.argmin(frame["distance"].to_numpy()))
    return frame


@dataclass
class EmulatorFit:
    """A study fitted by the emulator route (:func:`fit_study`)."""

    match: HistoryMatch
    posterior: Posterior  # ABC-SMC on the last wave's emulators
    point: np.ndarray  # the point estimate: the set checked in the model nearest the targets there
    check: pd.DataFrame  # :func:`model_check`, its column ``chosen`` marking the point estimate


def study_match(
    evaluate: Evaluate,
    study: Study,
    sd: np.ndarray,
    on_wave: Callable[[Wave], None] | None = None,
    designs: list[np.ndarray] | None = None,
) -> HistoryMatch:
    """The waves of a study's history matching with its ``[history_matching]`` settings, on its fitted targets
    with standard errors ``sd`` (``evaluate`` gives those targets only; ``designs`` replays earlier waves)."""
    h = study.history_matching or HistoryMatchingSettings()
    return history_match(
        evaluate,
        Prior(study.names, study.low, study.high),
        study.observed[study.fitted],
        sd,
        waves=h.waves,
        points_per_wave=h.points_per_wave,
        cutoff=h.cutoff,
        rank=h.rank,
        candidates=h.candidates,
        stop_share=h.stop_share,
        accuracy=h.accuracy,
        seed=study.seed,
        on_wave=on_wave,
        designs=designs,
        folds=h.folds,
    )


def study_posterior(match: HistoryMatch, study: Study) -> Posterior:
    """ABC-SMC on the emulators of ``match`` with the study's settings and seed."""
    h = study.history_matching or HistoryMatchingSettings()
    return emulator_posterior(
        match,
        particles=h.particles,
        generations=h.generations,
        quantile=study.abc_quantile,
        min_fall=h.min_fall,
        min_acceptance=h.min_acceptance,
        min_shift=h.min_shift,
        seed=study.seed,
        distance=h.distance,
        target_noise=h.target_noise,
    )


def fit_study(evaluate: Evaluate, study: Study, say: Callable[[str], None] | None = None) -> EmulatorFit:
    """The emulator route of a calibration study: waves of history matching with the study's
    ``[history_matching]`` settings (defaults without the table), ABC-SMC on the emulators, then the emulators'
    best set and a posterior sample checked in the model.  The point estimate is the checked set nearest the
    targets in the model: the emulators' best set may lie at a corner of the box, where they extrapolate, and
    a draw may do better where it counts.  ``say`` is given a line per wave.

    Only the fitted targets are emulated and matched (the waves' target ``j`` is the ``j``-th of them); the
    study's checks (``fit = false``) are shown in the check in the model.  ``evaluate`` gives every target."""
    h = study.history_matching or HistoryMatchingSettings()
    keep = study.fitted
    names = [t.name for t in study.targets if t.fit]

    def news(w: Wave) -> None:
        if say is not None:
            worst = int(np.argmax(w.emulator_variance_ratio))
            say(
                f"wave {w.number}: {w.thetas.shape[0]} parameter sets run, {w.fraction:.3%} of the prior box not "
                f"ruled out; emulator variance up to {w.emulator_variance_ratio[worst]:.2g} x sd^2 ({names[worst]})"
            )

    match = study_match(select_targets(evaluate, keep), study, study.sd[keep], on_wave=news)
    posterior = study_posterior(match, study)
    best = emulated_point(match, posterior.interval(0.9)["mean"].to_numpy())
    every = [t.name for t in study.targets]
    check = model_check(evaluate, match, posterior, best, h.check_draws, study.seed, every, keep)
    point = check.loc[check["chosen"], list(study.names)].to_numpy(dtype=float)[0]
    return EmulatorFit(match, posterior, point, check)
