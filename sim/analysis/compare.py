"""Comparing scenarios: common random numbers, paired differences and the MDT counterfactual.

:func:`run_comparison` runs every scenario with the same seed and
replications (replication r of each is ``single_run(params, seed, r)``, so
person by person they share random numbers).  For each later scenario X that
enrolled people in an MDT, the reference run is also measured over **the same
people from their enrolment date in X** (cohort ``mdt:X`` in the reference's
KPIs): their counterfactual.

:func:`comparison_table` turns the KPIs into one row per (scenario, cohort,
metric): the change against the reference with a 95% confidence interval,
paired over replications (a t interval on the per-replication differences),
or, where the two scenarios simulate different populations (demographic
growth), an unpaired Welch interval with ``paired`` False.  Percent changes
are the difference over the reference mean, in per cent; their intervals are
intervals for the ratio of the means on the log scale (delta method, paired or
Welch as the difference; :func:`sim.analysis.stats.percent`), so they never
reach below -100%.  A share's difference (in percentage points when shown)
keeps within [-1, 1].
``unstable`` marks the rows where either run has a queue growing through the
window (:mod:`sim.analysis.stability`): those changes reflect a gridlock.

Plain functions returning DataFrames; nothing here prints or writes files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.analysis.kept_runs import pool_run
from sim.analysis.stability import check, comparison_flags
from sim.analysis.stats import by_replication, change, mean_ci, ratio
from sim.outcomes import registry
from sim.outcomes.evaluation import design_for, emulate, matched_kpis
from sim.outcomes.matching import BALANCE_COLUMNS as MATCHING_BALANCE
from sim.outcomes.metrics import cohort_kpis, enrolment_starts, mdt_cohorts
from sim.parameters.filecheck import MAX_REPLICATIONS
from sim.parameters.tree import to_dict
from sim.replication.runner import EVENT_COLUMNS, KPI_COLUMNS, TIMESERIES_COLUMNS, YEARLY_COLUMNS, ReplicationFailed
from sim.replication.single import single_run
from sim.scenarios.scenario import Scenario, check_names

BALANCE_COLUMNS = ["scenario", "replication", "design", *MATCHING_BALANCE]  # matching_balance.csv
COMPARISON_COLUMNS = [
    "scenario",
    "cohort",
    "metric",
    "reference_mean",
    "scenario_mean",
    *registry.CHANGE_COLUMNS,
    "paired",
    registry.UNSTABLE,
]
MDT_PREFIX = registry.MDT_PREFIX
MATCHED_PREFIX = registry.MATCHED_PREFIX
# replication r's matched controls come from replication COMPARATOR + r of the reference: another place like it
COMPARATOR = MAX_REPLICATIONS

# the changes a commissioner looks at first, with their labels (costs marked GBP); names and labels: the registry
MAIN_METRICS = {m: registry.long_label(m) for m in registry.COMPARISON_MAIN}
SHARE_METRICS = registry.SHARES
COST_SECTORS = {m: registry.sector_title(m) for m in registry.COST_SECTORS}  # cost metric -> its sector's title


def same_population(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios simulate the same people (the place alike, pinned capacities aside)."""
    pa, pb = to_dict(a.params.place), to_dict(b.params.place)
    pa.pop("capacity_population")
    pb.pop("capacity_population")
    return pa == pb


def pairing(scenarios: Sequence[Scenario]) -> dict[str, bool]:
    """For each scenario, whether its comparison with the first is paired."""
    ref = scenarios[0]
    return {s.name: same_population(ref, s) for s in scenarios}


def _tag(frame: pd.DataFrame, scenario: str, replication: int) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out.insert(0, "replication", replication)
    out.insert(0, "scenario", scenario)
    return out


def counterfactual_kpis(reference_data, scenario_data, scenario_name: str) -> pd.DataFrame:
    """The reference run measured over the people enrolled in the other run, from their enrolment.

    Rows ``cohort, metric, value`` with cohort ``mdt:<scenario_name>``; empty when nobody was enrolled.
    """
    rows = []
    for c in mdt_cohorts(reference_data, enrolled_in=scenario_data):
        for metric, value in cohort_kpis(reference_data, c).items():
            rows.append((MDT_PREFIX + scenario_name, metric, value))
    return pd.DataFrame(rows, columns=["cohort", "metric", "value"])


def run_comparison(
    scenarios: Sequence[Scenario],
    reps: int,
    seed: int,
    log_events: bool = False,
    *,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Run replications 0..reps-1 of every scenario with ``seed``; return ``kpis``, ``timeseries``, ``yearly``
    (the standard cohorts' KPIs year by year, :mod:`sim.outcomes.yearly`) and (if asked) ``events``.

    The reference (first) scenario's KPIs include cohort ``mdt:X`` for each later scenario X whose
    population is the same and that enrolled anyone, and both scenarios' KPIs cohort ``matched:X``, the
    evaluation's design emulated (:mod:`sim.outcomes.evaluation`; its controls come from the reference
    scenario run in another place at least ``pool_population`` in size, replication ``COMPARATOR + r``,
    uncounted by ``progress``), and
    ``balance`` holds their balance (:data:`BALANCE_COLUMNS`).  ``progress(done, total, seconds)`` is
    called after each run.  A run that raises stops with :class:`ReplicationFailed`.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, got {reps!r}")
    check_names(scenarios)
    ref = scenarios[0]
    paired = pairing(scenarios)
    kpis, series, yearly, events, balance = [], [], [], [], []
    total, done = reps * len(scenarios), 0

    def one(s: Scenario, rep: int):
        nonlocal done
        t0 = time.perf_counter()
        try:
            res = single_run(s.params, seed=seed, replication=rep, prelaunch=s.prelaunch)
            if log_events:
                events.append(_tag(res.events(), s.name, rep))
            yearly.append(_tag(res.yearly(), s.name, rep))
        except Exception as e:
            raise ReplicationFailed(s.name, rep, e) from e
        kpis.append(_tag(res.kpis, s.name, rep))
        series.append(_tag(res.timeseries, s.name, rep))
        done += 1
        if progress is not None:
            progress(done, total, time.perf_counter() - t0)
        return res

    for rep in range(reps):
        ref_res = one(ref, rep)
        comparator = None
        for s in scenarios[1:]:
            res = one(s, rep)
            if paired[s.name]:
                cf = counterfactual_kpis(ref_res.data, res.data, s.name)
                if len(cf):
                    kpis.append(_tag(cf, ref.name, rep))
                if comparator is None and len(enrolment_starts(res.data)[0]):  # where controls come from
                    elsewhere = COMPARATOR + rep
                    comparator = pool_run(ref.params, ref.prelaunch, seed, elsewhere)
                em = emulate(comparator, res.data, design_for(s.name)) if comparator is not None else None
                if em is not None:  # the evaluation's design: cohort matched:X (sim.outcomes.evaluation)
                    counterfactual, observed = matched_kpis(em, s.name)
                    kpis += [_tag(counterfactual, ref.name, rep), _tag(observed, s.name, rep)]
                    balance.append(_tag(em.balance.assign(design=em.design.name), s.name, rep))
    order = {s.name: i for i, s in enumerate(scenarios)}

    def tidy(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        out = pd.concat(frames, ignore_index=True)
        out = out.iloc[np.lexsort((out["replication"].to_numpy(), out["scenario"].map(order).to_numpy()))]
        return out.reset_index(drop=True)[columns + [c for c in out.columns if c not in columns]]

    frames = {
        "kpis": tidy(kpis, KPI_COLUMNS),
        "timeseries": tidy(series, TIMESERIES_COLUMNS),
        "yearly": tidy(yearly, YEARLY_COLUMNS),
    }
    if log_events:
        frames["events"] = tidy(events, EVENT_COLUMNS)
    if balance:
        frames["balance"] = tidy(balance, BALANCE_COLUMNS)
    return frames


def welch_interval(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Interval for mean(x) - mean(y) from two independent samples (Welch); NaN with fewer than 2 each."""
    nx, ny = len(x), len(y)
    d = float(x.mean() - y.mean()) if nx and ny else math.nan
    if nx < 2 or ny < 2:
        return math.nan, math.nan
    vx, vy = float(x.var(ddof=1)) / nx, float(y.var(ddof=1)) / ny
    se2 = vx + vy
    if se2 == 0:
        return d, d
    df = se2**2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * math.sqrt(se2)
    return d - half, d + half


def compare_values(
    reference: pd.Series, scenario: pd.Series, paired: bool, level: float = 0.95, share: bool = False
) -> dict[str, float]:
    """Means, difference and interval, percent change and interval, of per-replication values.

    ``reference`` and ``scenario`` are indexed by replication.  Paired: over the replications
    where both are finite, a t interval on the differences.  Unpaired: Welch.  The per-cent interval
    comes from the same interval of the linearised ratio ``s - R r`` (:func:`sim.analysis.stats.percent`);
    ``share``: the metric is a share, whose difference keeps within [-1, 1].
    """
    if paired:
        both = pd.concat([reference.rename("r"), scenario.rename("s")], axis=1, join="inner").dropna()
        r, s = both["r"].to_numpy(dtype=float), both["s"].to_numpy(dtype=float)
        _, diff, _, lo, hi = mean_ci(s - r, level)
    else:
        r = reference.dropna().to_numpy(dtype=float)
        s = scenario.dropna().to_numpy(dtype=float)
        diff = float(s.mean() - r.mean()) if len(r) and len(s) else math.nan
        lo, hi = welch_interval(s, r, level)
    ref_mean = float(r.mean()) if len(r) else math.nan
    sc_mean = float(s.mean()) if len(s) else math.nan
    ratio_half = math.nan
    if math.isfinite(q := ratio(ref_mean, sc_mean)):
        low, high = mean_ci(s - q * r, level)[3:] if paired else welch_interval(s, q * r, level)
        ratio_half = (high - low) / 2
    return change(ref_mean, sc_mean, diff, lo, hi, ratio_half, share)


def comparison_table(
    kpis: pd.DataFrame,
    names: Sequence[str],
    paired: dict[str, bool],
    level: float = 0.95,
    timeseries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every metric and cohort of each later scenario against the first (columns as DESIGN section 8).

    Cohort ``mdt`` of scenario X is compared with cohort ``mdt:X`` of the reference: the same people.
    ``unstable`` is true where the scenario's runs or the reference's have a queue growing through the window
    (:mod:`sim.analysis.stability`, from ``timeseries``; not known, NA, without it).
    KPIs with a ``draw`` column (runs over posterior draws) are compared over draws x replications
    (:mod:`sim.analysis.uncertainty`), and the table gains the parts of each change's variance at the end.
    """
    ref = names[0]
    compare: Callable[..., Mapping[str, float | str]] = compare_values
    table: Callable[[pd.DataFrame], Any] = by_replication
    extra: list[str] = []
    if "draw" in kpis.columns:
        from sim.analysis.uncertainty import DIFF_PARTS, difference_over_draws, draw_table

        compare, table, extra = difference_over_draws, draw_table, DIFF_PARTS
    values = {key: table(g) for key, g in kpis.groupby(["scenario", "cohort", "metric"], sort=False)}
    unstable = {} if timeseries is None else comparison_flags(check(timeseries), names)
    rows = []
    for name in names[1:]:
        own = kpis[(kpis["scenario"] == name) & ~kpis["cohort"].str.startswith(MDT_PREFIX)]
        for cohort, metric in dict.fromkeys(zip(own["cohort"], own["metric"])):
            ref_cohort = MDT_PREFIX + name if cohort == "mdt" else cohort
            r = values.get((ref, ref_cohort, metric))
            if r is None:
                continue
            stats = compare(r, values[(name, cohort, metric)], paired[name], level, registry.is_share(metric))
            rows.append(
                {
                    "scenario": name,
                    "cohort": cohort,
                    "metric": metric,
                    **stats,
                    "paired": bool(paired[name]),
                    registry.UNSTABLE: unstable.get(name, pd.NA),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS + extra)
