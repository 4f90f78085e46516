"""The published evaluations' design, emulated: matched controls and a difference in differences.

The Integrated Care Pilots' evaluation and its case-management study (``calibration/evaluation_designs.toml``,
``docs/evaluation.md``) compared the change in hospital use of enrolled people from before to after
their enrolment with the change in matched controls over the same dates.  This module applies that
design to a pair of runs with the same seed: the cases are the people enrolled in scenario X
(measured in X's run), the controls are risk-set matched in a run of the reference scenario
(:mod:`sim.outcomes.matching`).  Its estimate is cohort ``matched:X``; the same people in the
reference run (cohort ``mdt:X``) give the true effect, and the difference is the evaluation's bias.

The estimator: for cases and controls alike, pooled rates (events over person-years; each control
weighted by one over its case's number of controls) in the window before the index date and the
window after it (cut at death and at the end of the statistics window).  The cases' counterfactual
rate after is their rate before times the controls' ratio of after to before (a difference in
differences on the ratio scale, as a count model estimates it); the estimate in per cent is the
cases' rate after less that counterfactual, over the counterfactual.  In ``kpis.csv`` the scenario's rows of
cohort ``matched:X`` hold the cases' counts in the window after; the reference's rows hold the
counterfactual counts over the same person-years, so ``comparison.csv`` turns them into the estimate.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import registry
from sim.outcomes.matching import VISIBLE, balance_seen, match_seen, seen_cases
from sim.outcomes.metrics import enrolment_starts
from sim.outcomes.rundata import RunData
from sim.parameters.params import Params
from sim.vocabulary import Ev

DESIGNS_FILE = Path(__file__).resolve().parents[2] / "calibration" / "evaluation_designs.toml"
# the metrics the evaluations reported, with the events that count them (names: sim.outcomes.registry)
EVALUATED = {
    "emergency_admissions": Ev.EMERGENCY_ADMISSION,
    "elective_admissions": Ev.ELECTIVE_ADMISSION,
    "outpatient_attendances": Ev.OUTPATIENT_ATTENDANCE,
    "ae_attendances": Ev.AE_ATTENDANCE,
}
ESTIMATORS = ("difference_in_differences_ratio",)
# window_counts' columns: person-years and each evaluated metric, before and after the index date
COUNT_COLUMNS = tuple(f"{m}_{p}" for m in ("py", *EVALUATED) for p in ("before", "after"))
POOL_VARIABLE = "CARESIM_POOL_POPULATION"  # overrides the designs file's pool_population (pool_population)
KEY_SCALE = 1e6  # days per pid in the sort key of (pid, time): far longer than any run


class DesignError(ValueError):
    """The designs file cannot be used (the message names the design and the key)."""


@dataclass(frozen=True)
class Design:
    """One evaluation's design (every value's source is in the designs file)."""

    name: str
    title: str
    source: str
    controls_per_case: int
    exact: tuple[str, ...]
    nearest: tuple[str, ...]
    before_days: float
    after_days: float
    estimator: str
    with_replacement: bool
    scenarios: tuple[str, ...]  # the scenarios this design evaluates (any other: the default design)


def load_designs(path: str | Path = DESIGNS_FILE) -> tuple[dict[str, Design], str]:
    """The designs of the file by name, and the name of the default design."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    designs = {}
    for name, t in raw.get("design", {}).items():
        where = f"{Path(path).name}: design.{name}"
        try:
            d = Design(
                name,
                str(t["title"]),
                str(t["source"]),
                int(t["controls_per_case"]),
                tuple(t["exact"]),
                tuple(t["nearest"]),
                float(t["before_days"]),
                float(t["after_days"]),
                str(t["estimator"]),
                bool(t["with_replacement"]),
                tuple(t.get("scenarios", ())),
            )
        except KeyError as e:
            raise DesignError(f"{where}: missing key {e.args[0]!r}") from None
        unknown = [v for v in (*d.exact, *d.nearest) if v not in VISIBLE]
        if unknown:
            raise DesignError(f"{where}: matching variables {unknown} are not among {', '.join(VISIBLE)}")
        if d.estimator not in ESTIMATORS or not d.with_replacement:
            raise DesignError(f"{where}: only a difference in differences with replacement is emulated")
        if d.controls_per_case < 1 or d.before_days <= 0 or d.after_days <= 0:
            raise DesignError(f"{where}: the ratio and both windows must be positive")
        designs[name] = d
    default = raw.get("default", "")
    if default not in designs:
        raise DesignError(f"{Path(path).name}: default: {default!r} is not a design of the file")
    return designs, default


def pool_population(path: str | Path = DESIGNS_FILE) -> int:
    """The smallest place the controls are drawn from: the environment's ``CARESIM_POOL_POPULATION`` if
    set, else the designs file's ``pool_population`` (0: the place's own size).  The test suite sets 0,
    so that its small places do not each run a place of 250,000 (tests/conftest.py)."""
    text = os.environ.get(POOL_VARIABLE)
    if text is None:
        return _file_pool_population(str(path))
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise DesignError(f"{POOL_VARIABLE}: expected a whole number of people, 0 or more, got {text!r}")
    return value


@lru_cache(maxsize=8)
def _file_pool_population(path: str) -> int:
    with open(path, "rb") as f:
        value = tomllib.load(f).get("pool_population", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DesignError(f"{Path(path).name}: pool_population: expected a whole number of people, got {value!r}")
    return value


def pool_params(params: Params, path: str | Path = DESIGNS_FILE) -> Params:
    """The reference's parameters in the place its controls come from: the same place, grown to
    :func:`pool_population` people when it is smaller (capacities per 100,000 unchanged; a pinned
    capacity basis grows with it).  The evaluations drew controls from the rest of England, a pool
    many times the cases: in a pool as small as the place, a few controls serve many cases and the
    estimate moves with the place's size (docs/evaluation.md)."""
    place = params.place
    n = pool_population(path)
    if n <= place.registered_population:
        return params
    pinned = place.capacity_population
    grown = round(pinned * n / place.registered_population) if pinned else 0
    return dataclasses.replace(
        params, place=dataclasses.replace(place, registered_population=n, capacity_population=grown)
    )


def design_for(scenario: str, path: str | Path = DESIGNS_FILE) -> Design:
    """The design that evaluates ``scenario``: the one listing it, else the default."""
    designs, default = load_designs(path)
    for d in designs.values():
        if scenario in d.scenarios:
            return d
    return designs[default]


def window_counts(
    data: RunData, pid: np.ndarray, index_time: np.ndarray, before_days: float, after_days: float
) -> pd.DataFrame:
    """Per row (a person and an index date): person-years and counts of each evaluated event in the
    window before (``[t - before, t)``, from entry, and from time 0: the records' start) and the window
    after (``[t, t + after)``, to death and the window's end).  Columns ``py_before``, ``py_after``,
    ``<metric>_before``, ``<metric>_after``."""
    ppl = data.people
    pid = np.asarray(pid, dtype=np.int64)
    t = np.asarray(index_time, dtype=float)
    start = np.maximum(np.maximum(t - before_days, ppl["entered"][pid]), 0.0)
    died = ppl["died"][pid]
    stop = np.fmin(np.minimum(t + after_days, data.window_end), np.where(np.isnan(died), np.inf, died))
    out = {
        "py_before": np.clip(t - start, 0, None) / DAYS_PER_YEAR,
        "py_after": np.clip(stop - t, 0, None) / DAYS_PER_YEAR,
    }
    ev = data.events
    for metric, code in EVALUATED.items():
        rows = (ev["event"].to_numpy() == code) & (ev["pid"].to_numpy() >= 0)
        key = ev["pid"].to_numpy()[rows] * KEY_SCALE + ev["time"].to_numpy()[rows]
        order = np.argsort(key, kind="stable")
        key = key[order]
        total = np.concatenate([[0.0], np.cumsum(ev["count"].to_numpy()[rows][order])])

        def between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            lo = np.searchsorted(key, pid * KEY_SCALE + a, side="left")
            hi = np.searchsorted(key, pid * KEY_SCALE + np.maximum(a, b), side="left")
            return total[hi] - total[lo]

        out[f"{metric}_before"] = between(start, t)
        out[f"{metric}_after"] = between(t, stop)
    return pd.DataFrame(out)


def did_estimate(
    cases: pd.DataFrame, controls: pd.DataFrame, metrics: Sequence[str] = tuple(EVALUATED)
) -> pd.DataFrame:
    """The difference in differences of pooled rates, per metric, on the ratio scale.

    ``cases`` and ``controls`` are :func:`window_counts` tables; ``controls`` may carry a ``weight``
    column.  Returns ``metric, person_years, observed, counterfactual, pct_change``: the cases' count
    in the window after, the count they would have had had their rate changed by the controls' ratio
    (after over before), and the estimate in per cent of that counterfactual: the ratio of rate
    ratios, which is what the case-by-period interaction of a Poisson or negative binomial model of
    the counts estimates.  The additive form (the controls' difference added to the cases' rate)
    can fall below zero when the controls' rate falls by more than the cases' rate before, as it
    does for case management's planned admissions over six-month windows; the ratio form cannot.
    """
    w = controls["weight"].to_numpy(float) if "weight" in controls else np.ones(len(controls))

    def rate(frame: pd.DataFrame, column: str, period: str, weight: np.ndarray) -> float:
        py = float((frame[f"py_{period}"].to_numpy() * weight).sum())
        return float((frame[column].to_numpy() * weight).sum()) / py if py > 0 else np.nan

    ones = np.ones(len(cases))
    py_after = float(cases["py_after"].sum())
    rows = []
    for m in metrics:
        before_c = rate(cases, f"{m}_before", "before", ones)
        before_k = rate(controls, f"{m}_before", "before", w)
        ratio_k = rate(controls, f"{m}_after", "after", w) / before_k if before_k > 0 else np.nan
        observed = float(cases[f"{m}_after"].sum())
        counterfactual = before_c * ratio_k * py_after
        pct = 100.0 * (observed - counterfactual) / counterfactual if counterfactual > 0 else np.nan
        rows.append((m, py_after, observed, counterfactual, pct))
    return pd.DataFrame(rows, columns=["metric", "person_years", "observed", "counterfactual", "pct_change"])


@dataclass(frozen=True)
class Emulation:
    """One replication pair's evaluation: the matched pairs, the estimate and the balance."""

    design: Design
    pairs: pd.DataFrame  # case, control, index_time, weight
    estimate: pd.DataFrame  # did_estimate's table
    balance: pd.DataFrame  # variable, ..., smd


def emulate(pool: RunData, scenario: RunData, design: Design) -> Emulation | None:
    """The evaluation of the people enrolled in ``scenario`` against controls matched in ``pool`` (None
    when nobody was enrolled or nobody could be matched).

    ``pool`` is a run of the reference scenario: a place without the MDT, so it cannot spill over onto
    the controls (:func:`sim.analysis.compare.run_comparison` runs it in another place, as the
    evaluations drew their controls from elsewhere in England).  Controls are never people enrolled in
    either run.
    """
    return emulate_cases(pool, case_summary(scenario, design), design)


def case_summary(scenario: RunData, design: Design) -> pd.DataFrame:
    """The cases' part of an evaluation, from the run they were enrolled in: one row per enrolled person
    (first enrolment: the index date), ``pid``, ``index_time``, what matching sees that day (the
    ``VISIBLE`` columns) and their :func:`window_counts` in ``design``'s windows.  Compact and picklable:
    the experiment runner hands it from the scenario's task to the comparator's (:func:`emulate_cases`)."""
    pids, times = enrolment_starts(scenario)
    seen = seen_cases(scenario, pd.DataFrame({"pid": pids, "index_time": times}))
    counts = window_counts(scenario, pids, times, design.before_days, design.after_days)
    return pd.concat([seen, counts], axis=1)


def emulate_cases(pool: RunData, cases: pd.DataFrame, design: Design) -> Emulation | None:
    """The controls' part of an evaluation: :func:`emulate` of cases summarised elsewhere
    (:func:`case_summary`, made with the same design) against controls matched in ``pool``."""
    if not len(cases):
        return None
    exclude = np.union1d(cases["pid"].to_numpy(dtype=np.int64), enrolment_starts(pool)[0])
    exact, nearest = design.exact, design.nearest
    pairs = match_seen(cases, pool, exclude, design.controls_per_case, exact, nearest)
    if pairs.empty:
        return None
    matched = pairs.drop_duplicates("case")
    by_case = cases.set_index(["pid", "index_time"])
    keys = list(zip(matched["case"].to_numpy(), matched["index_time"].to_numpy()))
    case_counts = by_case.loc[keys, list(COUNT_COLUMNS)].reset_index(drop=True)
    b, a = design.before_days, design.after_days
    control_counts = window_counts(pool, pairs["control"].to_numpy(), pairs["index_time"].to_numpy(), b, a)
    control_counts["weight"] = pairs["weight"].to_numpy()
    return Emulation(
        design,
        pairs,
        did_estimate(case_counts, control_counts),
        balance_seen(pairs, cases, pool, tuple(dict.fromkeys((*exact, *nearest)))),
    )


def matched_kpis(em: Emulation, scenario_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort ``matched:<scenario_name>`` rows (``cohort, metric, value``): the reference's (the
    evaluation's counterfactual counts) and the scenario's (the cases' counts in the window after)."""
    cohort = registry.MATCHED_PREFIX + scenario_name
    e = em.estimate
    py = float(e["person_years"].iloc[0]) if len(e) else 0.0

    def rows(column: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "cohort": cohort,
                "metric": ["person_years", *e["metric"]],
                "value": [py, *e[column].to_numpy(float)],
            }
        )

    return rows("counterfactual"), rows("observed")
