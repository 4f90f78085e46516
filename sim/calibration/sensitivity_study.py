"""Sensitivity of a study's answers to its parameters: Morris screening, then Sobol indices, on the model.

The answers are the metrics of the study's ``[sensitivity]`` table for everyone (cohort ``all``):
at the reference as levels, and in each what-if scenario as the per cent change against the
reference over paired replications, since that change is what commissioners read.

The parameters are the study's priors, narrowed to the posterior's 90% interval once the fit has
written ``intervals.csv``, and the parameters that no target informs (``[[sensitivity.prior]]``).
Morris screening keeps the parameters that move some answer; the sweep's ``screened.txt`` (screening
against the targets) adds its own; the uninformed parameters are always kept.  Sobol indices are
computed over the kept parameters, the others held at the middle of their ranges.

Every parameter set is run through the experiment runner (:class:`sim.calibration.calibrate.Evaluator`) with
common random numbers: the same seed and replications for every set.  Each answer is then a fixed
function of the parameters, so replication noise does not enter the indices as spurious variance
between sets; a parameter that the runs never read has indices of exactly zero.  What noise there
is shows as roughness of that function; :func:`noise_share` says how large it is.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.calibrate import Evaluator
from sim.calibration.sensitivity import morris, screen, sobol, sobol_evaluations
from sim.calibration.study import Prior, Sensitivity, Study, Target
from sim.scenarios.scenario import load

PRIOR_DRIVEN_SHARE = (
    0.1  # an answer is prior-driven when the uninformed parameters hold this share of its total indices
)
INTERVALS = "intervals.csv"  # the fit's posterior intervals (caresim calibrate)
SCREENED = "screened.txt"  # the sweep's screening against the targets (caresim sweep)


@dataclass(frozen=True)
class Parameter:
    """A parameter varied by the analysis, over a uniform range."""

    name: str
    low: float
    high: float
    informed: bool  # a target informs it (a study [[prior]]); False: held at its prior ([[sensitivity.prior]])
    range_from: str  # where the range comes from, in words
    narrowed: bool = False  # the range is the fit's 90% posterior interval


@dataclass(frozen=True)
class Answer:
    """One answer: a metric in a scenario, a level at the reference or a per cent change against it."""

    scenario: str  # the scenario's name
    metric: str
    change: bool

    @property
    def label(self) -> str:
        return f"{self.scenario}: {self.metric}"

    def describe(self, reference: str) -> str:
        words = self.metric.replace("_", " ")
        return f"{words}, % change against {reference}" if self.change else f"{words}, level"


def _table(study: Study) -> Sensitivity:
    """The study's ``[sensitivity]`` table (the command refuses a study without one before any analysis)."""
    if study.sensitivity is None:
        raise ValueError(f"{study.path.as_posix()}: no [sensitivity] table")
    return study.sensitivity


def parameters(study: Study, fitted: Path) -> list[Parameter]:
    """The study's priors, each narrowed to its 90% posterior interval where ``fitted/intervals.csv`` has one;
    then the parameters no target informs, at their priors."""
    path = fitted / INTERVALS
    intervals = pd.read_csv(path).set_index("parameter") if path.is_file() else pd.DataFrame()
    if len(intervals) and not {"lower", "upper"} <= set(intervals.columns):
        raise ValueError(f"{path.as_posix()}: expected the columns parameter, lower and upper (caresim calibrate)")
    out = []
    for p in study.priors:
        if p.parameter not in intervals.index:
            out.append(Parameter(p.parameter, p.low, p.high, True, "prior (not fitted yet)"))
            continue
        low = max(p.low, float(intervals.loc[p.parameter, "lower"]))
        high = min(p.high, float(intervals.loc[p.parameter, "upper"]))
        if high > low:
            out.append(Parameter(p.parameter, low, high, True, f"90% posterior interval ({path.as_posix()})", True))
        else:
            out.append(Parameter(p.parameter, p.low, p.high, True, "prior (the posterior interval has no width)"))
    out += [Parameter(p.parameter, p.low, p.high, False, "prior (no target informs it)") for p in _table(study).priors]
    return out


def read_screened(fitted: Path) -> list[str] | None:
    """The parameters the sweep kept by screening against the targets, or None when it has not been run."""
    path = fitted / SCREENED
    return path.read_text(encoding="utf-8").split() if path.is_file() else None


def answer_study(
    study: Study, params: list[Parameter], population: int | None = None, reps: int | None = None
) -> tuple[Study, list[Answer]]:
    """The study as :class:`Evaluator` runs it: the analysis' parameters as priors and its answers as targets.

    ``population`` and ``reps`` override the ``[sensitivity]`` table (as the command-line flags do).
    """
    sens = _table(study)
    population = population or sens.population or study.settings.population
    settings = replace(study.settings, population=population)
    files = tuple(dict.fromkeys((study.reference, *sens.scenarios)))
    names = [load(f, settings).name for f in files]
    targets, answers = [], []
    for file, name in zip(files, names):
        for metric in sens.metrics:
            answer = Answer(name, metric, file != study.reference)
            answers.append(answer)
            targets.append(
                Target(
                    answer.label,
                    "change" if answer.change else "level",
                    file,
                    metric,
                    "all",
                    0.0,
                    1.0,
                    False,
                    "an answer of the sensitivity analysis",
                    "",
                )
            )
    priors = tuple(Prior(p.name, p.low, p.high, p.range_from) for p in params)
    derived = replace(
        study,
        scenarios=files,
        targets=tuple(targets),
        priors=priors,
        settings=settings,
        replications=reps or sens.replications,
        budget_runs=2**62,
    )
    return derived, answers


class Answers:
    """The answers (means over replications) of parameter sets that vary some parameters and hold the rest.

    ``X`` has one column per varied parameter; the held ones sit at the middle of their ranges.
    The standard errors of the last batch are kept for :func:`noise_share`.
    """

    def __init__(self, evaluate: Evaluator, params: list[Parameter], varied: list[str]):
        self.evaluate = evaluate
        self.columns = [[p.name for p in params].index(v) for v in varied]
        self.fixed = np.array([(p.low + p.high) / 2 for p in params])
        self.last: pd.DataFrame | None = None

    def __call__(self, X: np.ndarray) -> np.ndarray:
        thetas = np.tile(self.fixed, (len(X), 1))
        thetas[:, self.columns] = X
        with warnings.catch_warnings():  # an answer with no value anywhere (NaN) is reported, not warned about
            warnings.simplefilter("ignore", RuntimeWarning)
            means, _ = self.evaluate(thetas)
        self.last = self.evaluate.log[-1]
        return means

    def batch(self) -> pd.DataFrame:
        """The last batch's answers and standard errors (asked about only after a batch has run)."""
        assert self.last is not None, "no batch has run yet"
        return self.last

    def undefined(self, label: str) -> int:
        """In how many sets of the last batch an answer has no value (a per cent change against a reference of 0)."""
        return int(np.isnan(self.batch()[label].to_numpy(dtype=float)).sum())

    def constant(self, label: str) -> float | None:
        """The value an answer took in every set of the last batch, or None if it varied or is undefined somewhere."""
        values = self.batch()[label].to_numpy(dtype=float)
        same = self.undefined(label) == 0 and np.all(values == values[0])
        return float(values[0]) if same else None

    def without_indices(self, label: str) -> str:
        """Why an answer has no Sobol indices ('' when it has them)."""
        value, missing = self.constant(label), self.undefined(label)
        if value is not None:
            return f"does not vary with these parameters (always {value:.4g})"
        if missing:
            return f"no value in {missing} of {len(self.batch())} parameter sets (a change against a reference of 0)"
        return ""


def morris_table(
    evaluate: Evaluator, params: list[Parameter], answers: list[Answer], trajectories: int, seed: int
) -> pd.DataFrame:
    """Morris statistics (mu, mu*, sigma) of every parameter on every answer: one batch of (d + 1) r sets."""
    names = [p.name for p in params]
    frame = morris(
        Answers(evaluate, params, names),
        names,
        [p.low for p in params],
        [p.high for p in params],
        [a.label for a in answers],
        trajectories=trajectories,
        seed=seed,
    )
    return _tidy(frame, answers)


def kept(morris_frame: pd.DataFrame, params: list[Parameter], swept: list[str] | None) -> dict[str, str]:
    """The parameters kept for the Sobol indices, in the analysis' order, each with why."""
    frame = morris_frame.assign(output=list(zip(morris_frame["scenario"], morris_frame["metric"])))
    moved = set(screen(frame))
    why = {}
    for p in params:
        reasons = [
            text
            for text, yes in (
                ("no target informs it", not p.informed),
                ("Morris against the answers", p.name in moved),
                ("the sweep's screening against the targets", p.name in (swept or [])),
            )
            if yes
        ]
        if reasons:
            why[p.name] = "; ".join(reasons)
    return why


def sobol_table(
    answers_of: Answers, params: list[Parameter], varied: list[str], answers: list[Answer], n: int, seed: int
) -> pd.DataFrame:
    """First-order and total Sobol indices of the varied parameters on every answer, with 95% BCa intervals.

    All (d + 2) n parameter sets go to the runner as one batch.  An answer that does not vary over
    the sets, or has no value in some of them, has no indices (NaN).
    """
    chosen = [p for p in params if p.name in varied]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = sobol(
            answers_of,
            [p.name for p in chosen],
            [p.low for p in chosen],
            [p.high for p in chosen],
            [a.label for a in answers],
            n=n,
            seed=seed,
        )
    frame = frame.rename(
        columns={"total_order": "total", "total_order_low": "total_low", "total_order_high": "total_high"}
    )
    none = frame["output"].map(lambda label: bool(answers_of.without_indices(label)))
    frame.loc[none, [c for c in frame.columns if c not in ("parameter", "output")]] = math.nan
    return _tidy(frame, answers)


def _tidy(frame: pd.DataFrame, answers: list[Answer]) -> pd.DataFrame:
    """``output`` (an answer's label) as ``scenario, metric`` columns first; rows by answer, then parameter."""
    by_label = {a.label: a for a in answers}
    order = {a.label: i for i, a in enumerate(answers)}
    out = frame.assign(
        scenario=[by_label[o].scenario for o in frame["output"]],
        metric=[by_label[o].metric for o in frame["output"]],
        _order=frame["output"].map(order),
    )
    out = out.sort_values("_order", kind="stable").drop(columns=["output", "_order"])
    return out[["scenario", "metric", *[c for c in out.columns if c not in ("scenario", "metric")]]].reset_index(
        drop=True
    )


def noise_share(last: pd.DataFrame, answers: list[Answer], replications: int) -> dict[str, float]:
    """Per answer: the mean squared standard error of a set's answer over its replications, over the
    variance of the answer across the sets (NaN with one replication, or when the answer does not vary).

    It is the share of the variance between sets that replication noise would make with independent
    random numbers per set; with common random numbers that noise is largely the same for every set.
    """
    out = {}
    for a in answers:
        values, ses = last[a.label].to_numpy(dtype=float), last[a.label + "_se"].to_numpy(dtype=float)
        ok = np.isfinite(values) & np.isfinite(ses)
        # an answer equal in every set has no spread: np.var of equal floats can still round above 0
        spread = float(np.var(values[ok], ddof=1)) if ok.sum() > 1 and np.ptp(values[ok]) > 0 else 0.0
        out[a.label] = float(np.mean(ses[ok] ** 2)) / spread if replications > 1 and spread > 0 else math.nan
    return out


def prior_driven(
    sobol_frame: pd.DataFrame,
    params: list[Parameter],
    answers: list[Answer],
    noise: dict[str, float],
    reference: str,
    threshold: float = PRIOR_DRIVEN_SHARE,
) -> pd.DataFrame:
    """Per answer, the uninformed parameters' share of the total indices (negative estimates read as 0),
    and whether it reaches ``threshold``."""
    uninformed = {p.name for p in params if not p.informed}
    rows = []
    for a in answers:
        part = sobol_frame[(sobol_frame["scenario"] == a.scenario) & (sobol_frame["metric"] == a.metric)]
        total = part.set_index("parameter")["total"].clip(lower=0)
        whole = float(total.sum())
        share = float(total[total.index.isin(uninformed)].sum()) / whole if whole > 0 else math.nan
        leading = [
            name for name, v in total[total.index.isin(uninformed)].sort_values(ascending=False).items() if v > 0
        ]
        rows.append(
            {
                "scenario": a.scenario,
                "metric": a.metric,
                "answer": a.describe(reference),
                "uninformed_share": share,
                "threshold": threshold,
                "prior_driven": bool(share >= threshold) if math.isfinite(share) else False,
                "uninformed_parameters": " ".join(leading),
                "noise_share": noise.get(a.label, math.nan),
            }
        )
    return pd.DataFrame(rows)


def parameter_table(params: list[Parameter], why: dict[str, str]) -> pd.DataFrame:
    """One row per parameter: its range, where the range comes from, and whether (and why) it was kept."""
    return pd.DataFrame(
        [
            {
                "parameter": p.name,
                "low": p.low,
                "high": p.high,
                "range_from": p.range_from,
                "informed": p.informed,
                "kept": p.name in why,
                "kept_because": why.get(p.name, ""),
            }
            for p in params
        ]
    )


class NothingToVary(RuntimeError):
    """Screening kept no parameter and none is uninformed: there is nothing to compute Sobol indices of."""


@dataclass(frozen=True)
class Analysis:
    """Everything a sensitivity analysis found, as tidy tables."""

    reference: str  # the reference scenario's name
    params: list[Parameter]
    answers: list[Answer]
    swept: list[str] | None  # the sweep's screening, when it has been run
    why: dict[str, str]  # parameter kept for the Sobol indices -> why
    morris: pd.DataFrame
    sobol: pd.DataFrame
    driven: pd.DataFrame  # :func:`prior_driven`, with the noise share
    no_indices: dict[str, str]  # an answer's label -> why it has no indices
    morris_runs: int  # runs made for the screening (not found in the store)


def analyse(
    evaluate: Evaluator, params: list[Parameter], answers: list[Answer], swept: list[str] | None, on_phase=None
) -> Analysis:
    """Morris screening, then Sobol indices of the kept parameters; ``on_phase(name, runs)`` before each batch."""
    s = evaluate.study
    runs_per_set = s.runs_per_point
    sens = _table(s)
    trajectories, n = sens.morris_trajectories, sens.samples
    if on_phase is not None:
        on_phase("Morris", (len(params) + 1) * trajectories * runs_per_set)
    morris_frame = morris_table(evaluate, params, answers, trajectories, s.seed)
    morris_runs = evaluate.runs
    why = kept(morris_frame, params, swept)
    if not why:
        raise NothingToVary(
            "Morris screening kept no parameter and none is uninformed: nothing to compute Sobol indices of"
        )
    if on_phase is not None:
        on_phase("Sobol", sobol_evaluations(len(why), n) * runs_per_set)
    answers_of = Answers(evaluate, params, list(why))
    sobol_frame = sobol_table(answers_of, params, list(why), answers, n, s.seed)
    noise = noise_share(answers_of.batch(), answers, s.replications)
    reference = answers[0].scenario
    return Analysis(
        reference,
        params,
        answers,
        swept,
        why,
        morris_frame,
        sobol_frame,
        prior_driven(sobol_frame, params, answers, noise, reference),
        {a.label: answers_of.without_indices(a.label) for a in answers},
        morris_runs,
    )
