"""Sensitivity of a study's answers to its parameters: Morris screening, then Sobol indices, on the model.

The answers are the metrics of the study's ``[sensitivity]`` table for everyone (cohort ``all``):
at the reference as levels, and in each what-if scenario as the per cent change against the
reference over paired replications, since that change is what commissioners read.  Each
``[[sensitivity.contrast]]`` adds, per metric, the gap between two what-ifs: the difference of their
per cent changes against the reference (percentage points of the reference), so that a choice
between two what-ifs is scored like any other answer.  A what-if minus the reference is the what-if's
change itself, which is already an answer.

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
from sim.calibration.sensitivity import morris, morris_design, screen, sobol, sobol_design
from sim.calibration.study import Prior, Sensitivity, Study, Target
from sim.parameters.params import Params
from sim.parameters.tree import walk
from sim.scenarios.scenario import load

PRIOR_DRIVEN_SHARE = (
    0.1  # an answer is prior-driven when the uninformed parameters hold this share of its total indices
)
PRIOR_DRIVEN_MARK = (
    "prior-driven"  # a parameter whose source (sim/parameters/params.py) says this: no target informs it
)
CONTRAST = "contrast:"  # a contrast's answers are named contrast:<name>:<metric>
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
    """One answer: a metric in a scenario, a level at the reference or a per cent change against it;
    or a contrast, ``plus``'s change minus ``minus``'s (``minus`` empty: the reference, whose change is 0)."""

    scenario: str  # the scenario's name; for a contrast, contrast:<its name>
    metric: str
    change: bool
    plus: str = ""  # a contrast: the what-if whose change it takes ...
    minus: str = ""  # ... and the what-if whose change it subtracts ("": the reference)

    @property
    def label(self) -> str:
        return f"{self.scenario}: {self.metric}"

    @property
    def name(self) -> str:
        """The answer's name in the tables: ``<scenario>:<metric>``, ``contrast:<name>:<metric>`` for a contrast."""
        return f"{self.scenario}:{self.metric}"

    @property
    def kind(self) -> str:
        return "contrast" if self.plus else "change" if self.change else "level"

    def describe(self, reference: str) -> str:
        words = self.metric.replace("_", " ")
        if self.plus and self.minus:
            return (
                f"{self.plus} minus {self.minus}, {words} (the difference of their % changes against {reference}, "
                "in percentage points)"
            )
        if self.plus:
            return f"{self.plus} minus {reference}, {words} (% change against {reference})"
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
    name_of = dict(zip(files, names))
    for c in sens.contrasts:  # computed from the answers above: no target, no run of its own
        minus = "" if c.minus == study.reference else name_of[c.minus]
        answers += [Answer(CONTRAST + c.name, m, True, name_of[c.scenario], minus) for m in sens.metrics]
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


def with_contrasts(frame: pd.DataFrame, answers: list[Answer]) -> pd.DataFrame:
    """``frame`` (a batch's answers and their ``_se`` columns, by label) with each contrast's added.

    A contrast is its ``plus`` change minus its ``minus`` change (the change itself when ``minus`` is
    the reference).  Its standard error is taken as the sum of theirs: with both changes over the
    same paired replications and the same denominator, that is an upper bound (the triangle
    inequality of standard deviations), exact when ``minus`` is the reference.
    """
    extra: dict[str, pd.Series] = {}
    for a in answers:
        if not a.plus:
            continue
        plus = f"{a.plus}: {a.metric}"
        minus = f"{a.minus}: {a.metric}" if a.minus else None
        extra[a.label] = frame[plus] - (frame[minus] if minus else 0.0)
        extra[a.label + "_se"] = frame[plus + "_se"] + (frame[minus + "_se"] if minus else 0.0)
    return frame.assign(**extra)


class Answers:
    """The answers (means over replications) of parameter sets that vary some parameters and hold the rest.

    ``X`` has one column per varied parameter; the held ones sit at the middle of their ranges.  The
    runner gives the levels and changes; the contrasts are computed from them (:func:`with_contrasts`).
    The last batch, with standard errors, is kept for :func:`noise_share`.
    """

    def __init__(self, evaluate: Evaluator, params: list[Parameter], varied: list[str], answers: list[Answer]):
        self.evaluate = evaluate
        self.columns = [[p.name for p in params].index(v) for v in varied]
        self.fixed = np.array([(p.low + p.high) / 2 for p in params])
        self.answers = answers
        self.last: pd.DataFrame | None = None

    def thetas(self, X: np.ndarray) -> np.ndarray:
        """The whole parameter sets of ``X``: its columns for the varied parameters, the middles for the rest."""
        thetas = np.tile(self.fixed, (len(X), 1))
        thetas[:, self.columns] = X
        return thetas

    def __call__(self, X: np.ndarray) -> np.ndarray:
        thetas = self.thetas(X)
        with warnings.catch_warnings():  # an answer with no value anywhere (NaN) is reported, not warned about
            warnings.simplefilter("ignore", RuntimeWarning)
            self.evaluate(thetas)
        self.last = with_contrasts(self.evaluate.log[-1], self.answers)
        return self.last[[a.label for a in self.answers]].to_numpy(dtype=float)

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
        Answers(evaluate, params, names, answers),
        names,
        [p.low for p in params],
        [p.high for p in params],
        [a.label for a in answers],
        trajectories=trajectories,
        seed=seed,
    )
    return tidy_by_answer(frame, answers)


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
    return tidy_by_answer(frame, answers)


def tidy_by_answer(frame: pd.DataFrame, answers: list[Answer]) -> pd.DataFrame:
    """``output`` (an answer's label) as ``answer, scenario, metric`` columns first; rows by answer, then
    parameter."""
    by_label = {a.label: a for a in answers}
    order = {a.label: i for i, a in enumerate(answers)}
    out = frame.assign(
        answer=[by_label[o].name for o in frame["output"]],
        scenario=[by_label[o].scenario for o in frame["output"]],
        metric=[by_label[o].metric for o in frame["output"]],
        _order=frame["output"].map(order),
    )
    out = out.sort_values("_order", kind="stable").drop(columns=["output", "_order"])
    first = ["answer", "scenario", "metric"]
    return out[[*first, *[c for c in out.columns if c not in first]]].reset_index(drop=True)


def noise_share(last: pd.DataFrame, answers: list[Answer], replications: int) -> dict[str, float]:
    """Per answer: the mean squared standard error of a set's answer over its replications, over the
    variance of the answer across the sets (NaN with one replication, or when the answer does not vary).

    It is the share of the variance between sets that replication noise would make with independent
    random numbers per set; with common random numbers that noise is largely the same for every set.
    For a contrast of two what-ifs it is an upper bound (see :func:`with_contrasts`).
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
    """Per answer, contrasts included, the uninformed parameters' share of its summed total indices
    (negative estimates read as 0), and whether it reaches ``threshold``.

    The rule: an answer is prior-driven when the parameters no target informs hold at least
    ``threshold`` (:data:`PRIOR_DRIVEN_SHARE`, 0.1) of its summed total Sobol indices.  The share
    approximates how much of the answer's variance over the ranges comes from the priors; "most of its
    uncertainty" would be a share above one half, and the flag is set well below that on purpose, so
    that every answer mostly driven by priors is flagged and so is one that rests on them in part
    (DESIGN: answers that depend on such parameters say they are prior-driven).  ``uninformed_share``
    says how much.
    """
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
                "answer": a.name,
                "scenario": a.scenario,
                "metric": a.metric,
                "kind": a.kind,
                "in_words": a.describe(reference),
                "uninformed_share": share,
                "threshold": threshold,
                "prior_driven": bool(share >= threshold) if math.isfinite(share) else False,
                "uninformed_parameters": " ".join(leading),
                "noise_share": noise.get(a.label, math.nan),
            }
        )
    return pd.DataFrame(rows)


def marked_prior_driven() -> dict[str, str]:
    """The parameters whose source in sim/parameters/params.py marks them prior-driven (no target informs
    them), each with that source."""
    return {key: meta["source"] for key, _, meta in walk(Params()) if PRIOR_DRIVEN_MARK in meta.get("source", "")}


def prior_driven_parameters(study: Study) -> pd.DataFrame:
    """The parameters a study leaves at their priors because no target informs them: those its
    ``[[sensitivity.prior]]`` lists and those marked prior-driven in sim/parameters/params.py, less any
    it fits.  One row each: the default, the range the sensitivity analysis gives it (NaN when it has
    none) and why."""
    listed = {p.parameter: p for p in (study.sensitivity.priors if study.sensitivity else ())}
    marked = marked_prior_driven()
    defaults = {key: value for key, value, _ in walk(Params())}
    names = [n for n in dict.fromkeys([*listed, *marked]) if n not in study.names]
    return pd.DataFrame(
        [
            {
                "parameter": n,
                "default": defaults[n],
                "low": listed[n].low if n in listed else math.nan,
                "high": listed[n].high if n in listed else math.nan,
                "why": listed[n].reason if n in listed else marked[n],
            }
            for n in names
        ],
        columns=["parameter", "default", "low", "high", "why"],
    )


def parameter_table(params: list[Parameter], why: dict[str, str]) -> pd.DataFrame:
    """One row per parameter: its range, where the range comes from, whether it is prior-driven, and whether
    (and why) it was kept.

    ``prior_driven`` is true for a parameter that no target informs: one the study lists under
    ``[[sensitivity.prior]]`` (``informed`` false), or one whose source in sim/parameters/params.py says
    "prior-driven", so that a parameter can be marked once for every study.
    """
    marked = marked_prior_driven()
    return pd.DataFrame(
        [
            {
                "parameter": p.name,
                "low": p.low,
                "high": p.high,
                "range_from": p.range_from,
                "informed": p.informed,
                "prior_driven": not p.informed or p.name in marked,
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
    """Morris screening, then Sobol indices of the kept parameters; ``on_phase(name, runs, stored)`` before each
    batch, ``stored`` being how many of its runs the store holds already (a resumed analysis)."""
    s = evaluate.study
    sens = _table(s)
    trajectories, n = sens.morris_trajectories, sens.samples
    if on_phase is not None:
        sets = morris_design([p.low for p in params], [p.high for p in params], trajectories, seed=s.seed)
        every = Answers(evaluate, params, [p.name for p in params], answers)
        stored, runs = evaluate.runs_of(every.thetas(sets))
        on_phase("Morris", runs, stored)
    morris_frame = morris_table(evaluate, params, answers, trajectories, s.seed)
    morris_runs = evaluate.runs
    why = kept(morris_frame, params, swept)
    if not why:
        raise NothingToVary(
            "Morris screening kept no parameter and none is uninformed: nothing to compute Sobol indices of"
        )
    answers_of = Answers(evaluate, params, list(why), answers)
    if on_phase is not None:
        chosen = [p for p in params if p.name in why]
        sets = sobol_design([p.low for p in chosen], [p.high for p in chosen], n, s.seed)
        stored, runs = evaluate.runs_of(answers_of.thetas(sets))
        on_phase("Sobol", runs, stored)
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
