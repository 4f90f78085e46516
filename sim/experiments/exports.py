"""An experiment's tables, from its results store: ``kpis.csv``, ``timeseries.csv``, ``summary.csv``, ``warmup.csv``.

Tidy frames first (:func:`collect`, :func:`summary`, :func:`ledger` for ``ledger.csv``, :func:`warmup_check`);
:func:`write_tables` writes them, each file replaced whole so that a reader
never sees half a table.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.compare import MATCHED_PREFIX, MDT_PREFIX, compare_values
from sim.analysis.ledger import LEDGER_COLUMNS, ledger_table
from sim.analysis.stability import check, is_unstable, unstable_by_scenario
from sim.analysis.stats import by_replication, mean_ci
from sim.analysis.warmup import mser
from sim.experiments.experiment import Experiment
from sim.experiments.store import Store
from sim.outcomes import registry
from sim.outcomes.matching import BALANCE_COLUMNS as MATCHING_BALANCE

KPI_COLUMNS = ["scenario", "grid", "replication", "cohort", "metric", "value"]
TIMESERIES_COLUMNS = ["scenario", "grid", "replication", "day", "series", "value"]
YEARLY_COLUMNS = ["scenario", "grid", "replication", "year", "cohort", "metric", "value"]  # sim.outcomes.yearly
# matching_balance.csv: as compare writes it (sim.analysis.compare.BALANCE_COLUMNS), with the grid point
BALANCE_COLUMNS = ["scenario", "grid", "replication", "design", *MATCHING_BALANCE]
SUMMARY_COLUMNS = list(registry.SUMMARY_COLUMNS)
WARMUP_COLUMNS = ["scenario", "grid", "series", "mser_truncation_days", "window_days", "verdict"]
WARMUP_SERIES = "acute_beds_occupied"
NOISE_SHARE = 0.1  # MSER-5 truncations up to this share of the window are read as noise (one or two batches)


def _grid(value) -> float:
    return math.nan if value is None else float(value)


def _identified(frame: pd.DataFrame, grid_keys: pd.Series, ident: Mapping, values: list[str]) -> pd.DataFrame:
    """A store's rows under the scenario, grid point, draw and replication of their run, then ``values``.

    ``ident`` maps a run's key to (scenario, grid point, replication, order, draw); the grid point is read
    from ``grid_keys`` (a reference's measurements of another run's people take that run's grid point).
    """

    def part(i: int, keys: pd.Series = frame["key"]) -> pd.Series:
        return keys.map(lambda k: ident[k][i])

    named = {"scenario": part(0), "grid": part(1, grid_keys), "draw": part(4), "replication": part(2)}
    return pd.DataFrame({**named, **{c: frame[c] for c in values}, "_order": part(3)})


def collect(store: Store, tasks: list, exp: Experiment) -> dict[str, pd.DataFrame]:
    """KPIs and time series of the tasks that succeeded, in experiment order (scenario, grid, draw, replication).

    A reference run's measurements of another run's enrolled people carry cohort ``mdt:<scenario>`` and
    that scenario's grid point; so do the reference's rows of cohort ``matched:<scenario>`` from the comparator
    runs (:mod:`sim.experiments.comparator`), and the scenario's own rows of that cohort are the scenario's.
    ``balance`` holds the matching's balance (``matching_balance.csv``), ``yearly`` the KPIs year by year
    (``yearly.csv``).  With a ``[posterior]`` table the frames have a ``draw`` column after ``grid``.
    """
    status = store.status()
    done = [t for t in tasks if status.get(t.key) == "ok"]
    ident = {
        t.key: (
            t.variant.name,
            _grid(t.variant.grid),
            t.replication,
            t.order,
            t.variant.draw.index if t.variant.draw is not None else -1,
        )
        for t in done
    }
    kpis = store.kpis(list(ident))
    pairs = [(t.key, d) for t in done if t.is_reference for d in t.deps if d in ident]
    cf = store.counterfactual_kpis(pairs)
    frames = []
    for frame, grid_of in ((kpis, "key"), (cf, "other")):
        if len(frame) == 0:
            continue
        frames.append(_identified(frame, frame[grid_of], ident, ["cohort", "metric", "value"]))
    matched, balance = _matched(store, done, ident)
    if len(matched):
        frames.append(matched)
    ts = store.timeseries(list(ident))
    series = (
        _identified(ts, ts["key"], ident, ["day", "series", "value"])
        if len(ts)
        else pd.DataFrame(columns=TIMESERIES_COLUMNS + ["draw", "_order"])
    )
    kpi_frame = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KPI_COLUMNS + ["draw", "_order"])
    )
    ys = store.yearly(list(ident))
    yearly = (
        _identified(ys, ys["key"], ident, ["year", "cohort", "metric", "value"])
        if len(ys)
        else pd.DataFrame(columns=YEARLY_COLUMNS + ["draw", "_order"])
    )
    with_draw = exp.posterior is not None
    return {
        "kpis": _ordered(kpi_frame, columns(KPI_COLUMNS, with_draw)),
        "timeseries": _ordered(series, columns(TIMESERIES_COLUMNS, with_draw)),
        "balance": _ordered(balance, columns(BALANCE_COLUMNS, with_draw)),
        "yearly": _ordered(yearly, columns(YEARLY_COLUMNS, with_draw)),
    }


def _matched(store: Store, done: list, ident: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort ``matched:X`` rows of the finished comparators (``_order`` included) and their balance.

    A comparator's rows take the partner's grid point, draw and replication; the reference's side is
    named as the reference (the comparator's own variant), the scenario's side as the partner.
    """
    ok = store.comparator_status()
    comparators = [t.comparator for t in done if t.comparator is not None and ok.get(t.comparator.key) == "ok"]
    pairs = [(c.key, d) for c in comparators for d in c.deps if d in ident]
    own = {c.key: (c.variant.name, c.order) for c in comparators}
    # a comparator's key stands for the reference at its partner's grid point, draw and replication
    as_ref = {(c, d): (own[c][0], *ident[d][1:3], own[c][1], ident[d][4]) for c, d in pairs}

    def named(frame: pd.DataFrame, values: list[str]) -> pd.DataFrame:
        ref = (frame["side"] == "reference").to_numpy() if "side" in frame else np.ones(len(frame), bool)
        who = [as_ref[(k, o)] if r else ident[o] for k, o, r in zip(frame["key"], frame["other"], ref)]
        names = ["scenario", "grid", "replication", "_order", "draw"]
        out = pd.DataFrame(who, columns=names) if who else pd.DataFrame(columns=names)
        out = out[["scenario", "grid", "draw", "replication", "_order"]]
        return pd.concat([out, frame[values].reset_index(drop=True)], axis=1)

    balance = named(store.balance(pairs).assign(side="scenario"), BALANCE_COLUMNS[3:])
    return named(store.matched(pairs), ["cohort", "metric", "value"]), balance


def columns(base: list[str], with_draw: bool) -> list[str]:
    """A table's columns, with ``draw`` after ``grid`` for runs over posterior draws."""
    return base[:2] + ["draw"] + base[2:] if with_draw else base


def _ordered(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows by the variant's place in the experiment (scenario, grid, draw), then replication."""
    order = np.lexsort((frame["replication"].to_numpy(dtype=int), frame["_order"].to_numpy(dtype=int)))
    out = frame.iloc[order].reset_index(drop=True)[columns]
    out["grid"] = out["grid"].astype(float)
    if "draw" in out.columns:
        out["draw"] = out["draw"].astype(int)
    return out


def _no_grid(grid) -> object:
    """A grid point as a dictionary key: None where there is none (NaN never equals itself)."""
    return None if grid is None or (isinstance(grid, float) and math.isnan(grid)) else grid


def summary(
    kpis: pd.DataFrame, exp: Experiment, paired: dict[str, bool], timeseries: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean and 95% interval of each metric, and its change against the reference (section 8 columns).

    ``unstable``: whether this scenario's runs (at this grid point) or its reference's have a queue growing
    through the window (:mod:`sim.analysis.stability`, from ``timeseries``; NA without it).

    Over posterior draws (a ``draw`` column), means, changes and intervals are over draws x
    replications (:mod:`sim.analysis.uncertainty`), and the parts of each variance follow at the end.
    Per-cent intervals are for the ratio of the means (never below -100%); a share's difference keeps
    within [-1, 1] (:func:`sim.analysis.stats.change`).
    """
    ref_gridded = exp.grid is not None and exp.reference in exp.grid.scenarios
    k = kpis[kpis["metric"].isin(exp.metrics)]
    over_draws = "draw" in kpis.columns
    level: Callable[..., Mapping[str, float | str]] = _plain_level
    compare: Callable[..., Mapping[str, float | str]] = compare_values
    table: Callable[[pd.DataFrame], Any] = by_replication
    extra: list[str] = []
    if over_draws:
        from sim.analysis.uncertainty import DIFF_PARTS, PARTS, difference_over_draws, draw_table, level_over_draws

        level, compare, table, extra = level_over_draws, difference_over_draws, draw_table, PARTS + DIFF_PARTS
    groups = {
        (s, _no_grid(g), c, m): table(v)
        for (s, g, c, m), v in k.groupby(["scenario", "grid", "cohort", "metric"], sort=False, dropna=False)
    }

    flags = None if timeseries is None else unstable_by_scenario(check(timeseries))

    def unstable(scenario: str, grid) -> object:
        if flags is None:
            return pd.NA
        ref_grid = grid if ref_gridded else None
        return is_unstable(flags, scenario, grid) or is_unstable(flags, exp.reference, ref_grid)

    def reference(scenario: str, grid, cohort: str, metric: str):
        if cohort == "mdt":  # the same people in the reference run, measured at this scenario's grid point
            return groups.get((exp.reference, grid, MDT_PREFIX + scenario, metric))
        if cohort.startswith(MATCHED_PREFIX):  # the evaluation's counterfactual, at this scenario's grid point
            return groups.get((exp.reference, grid, cohort, metric))
        return groups.get((exp.reference, grid if ref_gridded else None, cohort, metric))

    rows = []
    for (scenario, grid, cohort, metric), values in groups.items():
        row = {
            "scenario": scenario,
            "grid": _grid(grid),
            "cohort": cohort,
            "metric": metric,
            **level(values),
            "paired": bool(paired.get(scenario, True)),
            registry.UNSTABLE: unstable(scenario, grid),
        }
        ref = None if scenario == exp.reference else reference(scenario, grid, cohort, metric)
        if ref is not None:
            stats = compare(ref, values, row["paired"], share=registry.is_share(metric))
            row.update({k: stats[k] for k in SUMMARY_COLUMNS + extra if k in stats})
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS + extra)


def ledger(summary: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """``ledger.csv``: who pays and who saves, from the summary's cohort ``all`` (:mod:`sim.analysis.ledger`).

    One row per scenario (and grid point), view and organisation, the reference's own rows aside; with a grid,
    ``grid`` follows ``scenario``.  ``reference_mean`` is the reference's mean at the same grid point where the
    reference is gridded, else its one mean.
    """
    ref_gridded = exp.grid is not None and exp.reference in exp.grid.scenarios
    ref = summary[summary["scenario"] == exp.reference]
    means = {(_no_grid(g), c, m): v for g, c, m, v in zip(ref["grid"], ref["cohort"], ref["metric"], ref["mean"])}
    rows = summary[(summary["scenario"] != exp.reference) & (summary["cohort"] == "all")]
    keys = zip(rows["grid"], rows["cohort"], rows["metric"])
    rows = rows.assign(
        scenario_mean=rows["mean"],
        reference_mean=[means.get((_no_grid(g) if ref_gridded else None, c, m), math.nan) for g, c, m in keys],
    )
    parts = []
    for (_, grid), part in rows.groupby(["scenario", "grid"], sort=False, dropna=False):
        table = ledger_table(part)
        if exp.grid is not None:
            table.insert(1, "grid", float(grid))
        parts.append(table)
    columns = LEDGER_COLUMNS[:1] + ["grid"] + LEDGER_COLUMNS[1:] if exp.grid is not None else LEDGER_COLUMNS
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _plain_level(values: pd.Series) -> dict[str, float]:
    n, mean, _, lo, hi = mean_ci(values.to_numpy())
    return {"n": n, "mean": mean, "ci_low": lo, "ci_high": hi}


def warmup_check(timeseries: pd.DataFrame, exp: Experiment, series: str = WARMUP_SERIES) -> pd.DataFrame:
    """MSER-5 on each scenario's mean weekly occupancy in the window: does the window start in steady state?

    On a stationary series MSER-5 often drops a batch or two by chance, so only a truncation beyond
    the first tenth of the window is flagged.
    """
    rows = []
    horizons = {s.name: s.params.time.horizon_days for s in exp.scenarios}
    ts = timeseries[timeseries["series"] == series]
    for (scenario, grid), g in ts.groupby(["scenario", "grid"], sort=False, dropna=False):
        mean = g.groupby("day")["value"].mean()
        days = mean.index.to_numpy(dtype=float)
        window = horizons[scenario]
        try:
            cut = mser(mean.to_numpy())
        except ValueError as e:
            rows.append((scenario, grid, series, math.nan, window, f"not checked: {e}"))
            continue
        cut_days = float(days[cut] - days[0]) if cut < len(days) else window
        if cut_days <= NOISE_SHARE * window:
            verdict = (
                f"ok: MSER-5 truncates {cut_days:g} days, within the first tenth of the window "
                "(no sign of an initial transient)"
            )
        else:
            verdict = (
                f"check: MSER-5 would discard the first {cut_days:g} days of the window; a longer warm-up may be needed"
            )
        rows.append((scenario, grid, series, cut_days, window, verdict))
    return pd.DataFrame(rows, columns=WARMUP_COLUMNS)


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV whole: to a temporary name first, then renamed over the target."""
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path
