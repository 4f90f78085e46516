"""The deprivation cohorts ``imd1`` to ``imd5`` and the gap between the most and least deprived fifths.

Each IMD fifth is a cohort of its own (:func:`imd_cohorts`): the simulated people of that fifth, counted
as cohort ``all`` counts them.  The gap (cohort ``imd_gap``, :func:`gap`) is not people but a difference,
fifth 1 minus fifth 5, put on a common scale so that fifths of different sizes compare:

- a total over the window (admissions, bed days, costs): per 1,000 person-years;
- a level that grows with the cohort (occupied beds, the elective waiting list, people at the end): per
  1,000 people, the level over the fifth's mean number of people (its person-years over the window's years);
- a share or a mean duration (a mean stay): the difference itself;
- ``person_years``: no row, as a gap in person-years means nothing.

A comparison of ``imd_gap`` between two scenarios (``comparison.csv``) says whether a what-if narrows the
gap (a change towards 0) or widens it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import registry
from sim.outcomes.rundata import Cohort, RunData
from sim.vocabulary import Ev

PER = 1_000.0  # the gap's rates are per 1,000 person-years (totals) or per 1,000 people (levels that grow)
MOST, LEAST = registry.IMD_COHORTS[0], registry.IMD_COHORTS[-1]


def imd_cohorts() -> tuple[Cohort, ...]:
    """One cohort per IMD fifth, most deprived first (empty where the run has no fifths)."""
    return tuple(Cohort(name, imd=q) for q, name in enumerate(registry.IMD_COHORTS, 1))


def scale(metric: str) -> str:
    """How a metric's gap is put on a common scale: ``"person_years"`` (none), ``"rate"`` (per 1,000
    person-years), ``"per_person"`` (per 1,000 people) or ``"difference"``."""
    m = registry.entry(metric)
    if m.kind == "person_years":
        return "person_years"
    if m.aggregate == "total":
        return "rate"
    if m.kind in ("share", "days", "hours"):  # a share, or a mean duration (a mean stay)
        return "difference"
    return "per_person"  # a level of a size: occupied beds, people on a waiting list, people at the end


def standardised(values: dict[str, float], window_days: float) -> dict[str, float]:
    """A cohort's metrics on the gap's scale (:func:`scale`), but for ``person_years``; NaN where the cohort has no
    person-years."""
    py = values["person_years"]
    people = py / (window_days / DAYS_PER_YEAR) if window_days > 0 else math.nan  # mean number of people
    out = {}
    for metric, v in values.items():
        how = scale(metric)
        if how == "person_years":
            continue  # a gap in person-years means nothing: no row
        elif how == "difference":
            out[metric] = v
        else:
            base = py if how == "rate" else people
            out[metric] = PER * v / base if base > 0 else math.nan
    return out


def gap(most: dict[str, float], least: dict[str, float], window_days: float) -> dict[str, float]:
    """``imd_gap``: the most deprived fifth's metrics minus the least deprived's, each on the gap's scale."""
    a, b = standardised(most, window_days), standardised(least, window_days)
    return {metric: a[metric] - b[metric] for metric in a}


# --- the gradients at baseline (the validation figures, sim.calibration.validation) ---------------------


def rate_ratio(most: dict[str, float], least: dict[str, float], metric: str) -> float:
    """``metric`` per person-year in one cohort (the most deprived fifth's) over another's (NaN when undefined)."""
    if min(most["person_years"], least["person_years"]) <= 0 or least[metric] <= 0:
        return math.nan
    return (most[metric] / most["person_years"]) / (least[metric] / least["person_years"])


def frailty_at(data: RunData, t: float) -> np.ndarray:
    """Each person's frailty level at time ``t``: the level at the run's end less the steps taken since ``t``."""
    ev = data.events
    steps = ev[(ev["event"] == Ev.FRAILTY_STEP) & (ev["time"] >= t) & (ev["pid"] >= 0)]
    level = np.asarray(data.people["frailty"], dtype=np.int64).copy()
    np.subtract.at(level, steps["pid"].to_numpy(np.int64), steps["detail"].to_numpy(np.int64))
    return level


def frailty_odds_ratio(data: RunData, t: float, min_age: float = 65.0, frail: int = 2) -> float:
    """The odds of being frail (level ``frail`` or above: moderate or severe) in the most deprived fifth over the
    least deprived's, among the living people of the cohort aged ``min_age`` or over at time ``t``."""
    pe = data.people
    died = pe["died"]
    here = (pe["entered"] <= t) & ~(died <= t) & (pe["age0"] + t / DAYS_PER_YEAR >= min_age)
    level, imd = frailty_at(data, t), pe.get("imd")
    if imd is None:
        return math.nan
    odds = []
    for q in (1, len(registry.IMD_COHORTS)):
        share = float((level[here & (imd == q)] >= frail).mean()) if (here & (imd == q)).any() else math.nan
        odds.append(share / (1.0 - share) if 0 < share < 1 else math.nan)
    return odds[0] / odds[1]


# --- the fifths side by side (the table ``caresim run`` prints) -------------------------------------

SHOWN = ("crises", "emergency_admissions", "bed_days", "deaths", "cost_total_gbp")  # rates shown by fifth


def fifth_rates(kpis: pd.DataFrame, metrics: tuple[str, ...] = SHOWN) -> pd.DataFrame:
    """Each replication's ``metrics`` per 1,000 person-years in each IMD fifth, then ``imd_gap`` (already so).

    ``kpis``: tidy (``scenario, replication, cohort, metric, value``); returns the same columns, the fifths'
    counts turned into rates (NaN without person-years).
    """
    key = ["scenario", "replication", "cohort"]
    fifths = kpis[kpis["cohort"].isin(registry.IMD_COHORTS)]
    py = fifths[fifths["metric"] == "person_years"][[*key, "value"]].rename(columns={"value": "py"})
    rows = fifths[fifths["metric"].isin(metrics)].merge(py, on=key, how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(rows["py"] > 0, PER * rows["value"] / rows["py"], np.nan)
    gap_rows = kpis[(kpis["cohort"] == registry.IMD_GAP) & kpis["metric"].isin(metrics)]
    return pd.concat([rows.assign(value=rate).drop(columns="py"), gap_rows], ignore_index=True)
