"""Overload: does a queue grow through the statistics window?  A trend test on each queue's weekly series.

When demand outruns a service, its queue grows without bound: nothing settles, and every total over the window
depends on how long the run is.  A gridlocked hospital then reads as a saving (readmissions fall because nobody
leaves, hospital cost falls because nothing is admitted).  This module finds such queues so that the outputs can
say so instead.

**The rule.**  For each queue of :data:`sim.outcomes.registry.QUEUE_SERIES` in a run's ``timeseries`` (weekly
samples over the window), fit a Theil-Sen line (``scipy.stats.theilslopes``: the median of the slopes between all
pairs of weeks, robust to spikes) and call the queue *growing* when all of these hold:

1. the slope's 95% interval lies above zero (the rise runs through the window, not in one episode);
2. the growth over the window (slope x weeks) is at least :data:`NOISE_MULTIPLE` times the queue's spread about
   its line (the normal-consistent median absolute deviation of the residuals);
3. the growth is at least :data:`LEVEL_SHARE` of the queue's mean level over the window's first third;
4. the growth is at least :data:`SIZE_SHARE` of the service's size (the most units of it in use in any week: its
   capacity once it is full), where the series has one (:data:`SIZE_SERIES`), and at least :data:`MIN_GROWTH`
   people.

**Why not a p-value alone.**  Weekly samples of a stationary queue are strongly autocorrelated (a queue at 90%
load drifts over months), so the interval of (1), which assumes independent samples, is far too narrow, and a plain
Mann-Kendall test on the same samples raises false alarms in 10-45% of stationary runs.  Conditions 2-4 ask that
the growth be material: large beside the queue's own wandering (on M/M/c queues this is the condition that binds),
beside its level (a long list that drifts by a few per cent is not a gridlock) and beside the service (in the
baseline at 50,000 people the care home queue and the delayed patients can drift up by a tenth to a fifth of the
places or beds over two years; an A&E queue in gridlock grows by many times the beds).
Checked on M/M/c queues started in their stationary state (``tests/test_stability.py``): at 80-90% load, with a
relaxation time up to most of the window, 0-4% of runs are flagged; at 110-120% load, 65-100% (all when the window
holds thousands of services).  A stable queue whose own time-scale is longer than the window (a few slow places
near full, such as seven intermediate care beds at 90% load) is flagged in up to one run in ten: the window is then
too short to show its steady state, which is what the words say.  So is a queue still filling after too short a
warm-up.

**Per scenario.**  A scenario (at a grid point) is *unstable* when one of its queues grows in a strict majority of
its replications: a real overload grows in every replication, while a chance rise in one replication of several
should not label the scenario (with one replication, that one decides).  Its growth per week is the median slope
over the replications where the queue grew.  A comparison is unstable where either run, the scenario's or its
reference's, is.  ``docs/overload.md`` says the same for users.

Plain functions from tidy time series to DataFrames and sentences; nothing here prints or writes files.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.outcomes import registry

CONFIDENCE = 0.95  # of the Theil-Sen slope's interval
NOISE_MULTIPLE = 4.0  # growth over the window, at least this many times the spread about the line
LEVEL_SHARE = 0.1  # growth, at least this share of the mean level over the window's first third
SIZE_SHARE = 0.25  # growth, at least this share of the service's size
MIN_GROWTH = 2.0  # growth, at least this many people
MIN_WEEKS = 8  # fewer weekly samples than this: not checked
DAYS_PER_WEEK = 7.0
# the series whose weekly maximum gives each queue's service size (the elective waiting list has none)
SIZE_SERIES = {
    "trolley_queue": "acute_beds_occupied",
    "delayed_patients": "acute_beds_occupied",
    "social_workers_queue": "social_workers_in_use",
    "home_care_queue": "home_care_in_use",
    "reablement_queue": "reablement_in_use",
    "intermediate_care_queue": "intermediate_care_in_use",
    "care_homes_queue": "care_homes_in_use",
}
RUN_KEYS = ("scenario", "grid", "draw", "replication")  # what names one run, where the table has it
SCENARIO_KEYS = ("scenario", "grid")  # what names one scenario variant
TREND_COLUMNS = [
    "series",
    "waiting",
    "weeks",
    "slope_per_week",
    "slope_ci_low",
    "slope_ci_high",
    "growth",
    "start_level",
    "spread",
    "size",
    "growing",
]
OVERLOAD_COLUMNS = ["series", "waiting", "runs", "growing_runs", "growth_per_week", "unstable"]
LENGTH_WORDS = (
    "figures then depend on the run's length: while a queue keeps growing, a longer run gives other totals, and "
    "none of them is a steady-state answer"
)
GRIDLOCK_WORDS = (
    "the changes against the reference reflect the gridlock, not an effect of the scenario: where a measure falls "
    "(readmissions or costs, say), it is because people cannot move through the system, not a saving"
)


def trend(days: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, size: float = math.nan) -> dict:
    """The trend test on one weekly series: slope per week with its interval, growth, and whether it grows.

    ``days`` are the sample times (days from the window's start), ``values`` the queue, ``size`` the
    service's size (NaN where there is none).  Series shorter than :data:`MIN_WEEKS` are not tested.
    """
    x = np.asarray(days, dtype=float) / DAYS_PER_WEEK
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    out = {
        "weeks": float(x.max() - x.min()) if len(x) else 0.0,
        "slope_per_week": math.nan,
        "slope_ci_low": math.nan,
        "slope_ci_high": math.nan,
        "growth": math.nan,
        "start_level": math.nan,
        "spread": math.nan,
        "size": float(size),
        "growing": False,
    }
    if len(x) < MIN_WEEKS or np.ptp(x) == 0:
        return out
    slope, intercept, low, high = sps.theilslopes(y, x, CONFIDENCE)
    growth = float(slope) * out["weeks"]
    spread = float(sps.median_abs_deviation(y - (intercept + slope * x), scale="normal"))
    start = float(y[: max(1, len(y) // 3)].mean())
    floor = max(MIN_GROWTH, NOISE_MULTIPLE * spread, LEVEL_SHARE * start)
    if math.isfinite(size):
        floor = max(floor, SIZE_SHARE * size)
    out.update(
        slope_per_week=float(slope),
        slope_ci_low=float(low),
        slope_ci_high=float(high),
        growth=growth,
        start_level=start,
        spread=spread,
        growing=bool(low > 0 and growth >= floor),
    )
    return out


def _keys(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    return [k for k in names if k in frame.columns]


def queue_trends(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The trend test on every queue of every run: one row per run and queue (:data:`TREND_COLUMNS`).

    ``timeseries`` is tidy (``day, series, value``, with any of ``scenario, grid, draw, replication``
    naming the run, as in ``timeseries.csv``).  Queues a run does not have are left out.
    """
    keys = _keys(timeseries, RUN_KEYS)
    wanted = set(registry.QUEUE_SERIES) | set(SIZE_SERIES.values())
    ts = timeseries[timeseries["series"].isin(wanted)]
    rows = []
    groups = ts.groupby(keys, sort=False, dropna=False) if keys else [((), ts)]
    for key, run in groups:
        key = key if isinstance(key, tuple) else (key,)
        by_series = {name: g for name, g in run.groupby("series", sort=False)}
        for series, waiting in registry.QUEUE_SERIES.items():
            if series not in by_series:
                continue
            g = by_series[series]
            sized = by_series.get(SIZE_SERIES.get(series, ""))
            size = float(sized["value"].max()) if sized is not None and len(sized) else math.nan
            rows.append((*key, series, waiting, *trend(g["day"], g["value"], size).values()))
    return pd.DataFrame(rows, columns=keys + TREND_COLUMNS)


def overloads(trends: pd.DataFrame) -> pd.DataFrame:
    """Per scenario (and grid point) and queue: in how many runs it grew, its growth per week, and ``unstable``.

    ``unstable`` is true when the queue grew in more than half of the scenario's runs; ``growth_per_week``
    is the median slope over the runs where it grew (over all runs when it grew in none).
    """
    keys = _keys(trends, SCENARIO_KEYS)
    rows = []
    groups = trends.groupby(keys + ["series"], sort=False, dropna=False) if len(trends) else []
    for key, g in groups:
        grew = g["growing"].astype(bool)
        slopes = g.loc[grew, "slope_per_week"] if grew.any() else g["slope_per_week"]
        rows.append(
            (
                *key,
                g["waiting"].iloc[0],
                len(g),
                int(grew.sum()),
                float(slopes.median()) if slopes.notna().any() else math.nan,
                bool(grew.sum() > len(g) / 2),
            )
        )
    return pd.DataFrame(rows, columns=keys + OVERLOAD_COLUMNS)


def _key(values: Sequence) -> tuple:
    """A scenario's key for look-ups: a missing grid point (NaN, None or '') as None."""
    out: list[object] = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
            out.append(None)
        else:
            out.append(float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else v)
    return tuple(out)


def unstable_by_scenario(table: pd.DataFrame) -> dict[tuple, bool]:
    """Scenario key (``(scenario,)`` or ``(scenario, grid)``, no grid as None) -> whether any queue is unstable."""
    keys = _keys(table, SCENARIO_KEYS)
    out: dict[tuple, bool] = {}
    for r in table.itertuples(index=False):
        k = _key([getattr(r, c) for c in keys])
        out[k] = out.get(k, False) or bool(r.unstable)
    return out


def is_unstable(flags: Mapping[tuple, bool], scenario: str, grid: Hashable = None) -> bool:
    """Whether a scenario (at a grid point, else without one) is unstable, in :func:`unstable_by_scenario`'s flags."""
    for k in (_key([scenario, grid]), _key([scenario, None]), (scenario,)):
        if k in flags:
            return flags[k]
    return False


def check(timeseries: pd.DataFrame) -> pd.DataFrame:
    """:func:`overloads` of :func:`queue_trends`: the per-scenario table from the time series."""
    return overloads(queue_trends(timeseries))


# --- in words ----------------------------------------------------------------------------------


def rate(per_week: float) -> str:
    """A growth per week as words: 'about 24 a week', 'about 2.4 a week'."""
    if not math.isfinite(per_week):
        return "an unknown amount a week"
    a = abs(per_week)
    decimals = 0 if a >= 10 else 1 if a >= 1 else 2
    return f"about {per_week:,.{decimals}f} a week"


def how_fast(row) -> str:
    """How fast an unstable queue grew, and in how many runs: 'by about 12 a week (in 2 of 2 replications)'."""
    of = f"in {row.growing_runs} of {row.runs} replications" if row.runs > 1 else "in the one replication"
    return f"by {rate(row.growth_per_week)} ({of})"


def unstable_rows(table: pd.DataFrame, scenario: str, grid: Hashable = None) -> list:
    """The unstable queues of one scenario (at a grid point), fastest-growing first."""
    if not len(table):
        return []
    rows = table[table["scenario"] == scenario]
    if "grid" in rows.columns:  # at the grid point; a scenario run without a grid (the reference, say) has one row set
        at = [_key([g]) == _key([grid]) for g in rows["grid"]]
        rows = rows[at] if any(at) else rows[[_key([g]) == (None,) for g in rows["grid"]]]
    rows = rows[rows["unstable"].astype(bool)]
    return list(rows.sort_values("growth_per_week", ascending=False).itertuples(index=False))


def overload_sentence(table: pd.DataFrame, scenario: str, grid: Hashable = None, shown: str | None = None) -> str:
    """'<scenario>' is overloaded: which queues grew, by how much a week, and that figures depend on the run's length.

    '' when the scenario is stable.  ``shown``: how to name the scenario (default ``'<scenario>'``).
    """
    rows = unstable_rows(table, scenario, grid)
    if not rows:
        return ""
    name = shown or f"'{scenario}'"
    if len(rows) == 1:
        said = f"the number of {rows[0].waiting} grew through the statistics window, {how_fast(rows[0])}"
    else:
        said = "these queues grew through the statistics window: " + "; ".join(
            f"{r.waiting}, {how_fast(r)}" for r in rows
        )
    return f"{name} is overloaded: {said}. Its {LENGTH_WORDS}."


def comparison_flags(table: pd.DataFrame, names: Sequence[str]) -> dict[str, bool]:
    """For each compared scenario (``names[1:]``), whether it or the reference (``names[0]``) is unstable."""
    flags = unstable_by_scenario(table)
    ref = is_unstable(flags, names[0])
    return {n: ref or is_unstable(flags, n) for n in names[1:]}
