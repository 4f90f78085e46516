"""Everything an experiment writes into its results folder, from its store, at the end of a run.

``kpis.csv``, ``timeseries.csv``, ``summary.csv``, ``ledger.csv`` (who pays and who saves), ``warmup.csv``,
``replications.csv`` (with a precision target), ``uncertainty.csv`` (over
posterior draws), ``matching_balance.csv`` (with an emulated evaluation), ``yearly.csv`` (KPIs year by year) and
``npv.csv`` (money over time, with a whole year or more), ``metadata.json``, the charts (PNG and SVG; by year with
two whole years or more) and ``report.html``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.batch import Outcome, Planned, paired_with_reference
from sim.experiments.experiment import Experiment
from sim.experiments.exports import SUMMARY_COLUMNS, collect, ledger, summary, warmup_check, write_table
from sim.experiments.store import Store
from sim.provenance import file_sha256
from sim.reports import metadata


def experiment_metadata(exp: Experiment, outcome: Outcome, commit: str | None, seconds: float, where: str) -> dict:
    paired = paired_with_reference(exp)
    meta = metadata.base_metadata(
        "experiment", exp.name, exp.scenarios, paired, exp.reference, outcome.replications, exp.seed
    )
    for entry, file in zip(meta["scenarios"], exp.files):
        entry.update({"file": file.as_posix() if file else None, "file_sha256": file_sha256(file)})
    grid = None
    if exp.grid is not None:
        g = exp.grid
        grid = {"parameter": g.parameter, "values": list(g.values), "scenarios": list(g.scenarios), "label": g.label}
    by_key = {t.key: t for t in outcome.tasks}
    meta.update(
        {
            "git_commit": commit,
            "description": " ".join(exp.description.split()),
            "experiment_file": exp.path.as_posix() if exp.path else None,
            "experiment_sha256": exp.sha256,
            "executor": where,
            "runs": len(outcome.tasks),
            "grid": grid,
            "metrics": list(exp.metrics),
            "charts": list(exp.charts),
            "failed": [_failure(by_key[k], e) for k, e in outcome.failed.items()],
            "comparator_runs": _comparators(outcome),
            "precision": None,
        }
    )
    if exp.posterior is not None:
        from sim.analysis.posterior import posterior_metadata

        meta["posterior"] = posterior_metadata(exp.posterior.file, exp.draws)
    if exp.precision is not None:
        p = exp.precision
        meta["precision"] = {
            "metrics": list(p.metrics),
            "cohort": p.cohort,
            "half_width_pct": p.half_width_pct,
            "max_replications": p.max_replications,
            "look_ahead": p.look_ahead,
        }
    # what this invocation ran, as against what a resumed run reused, is timing, not a property of the results
    return metadata.timed(
        meta,
        seconds,
        runs_now=outcome.ran,
        runs_reused=outcome.reused,
        comparator_runs_now=len(outcome.comparators_run),
    )


def npv(yearly: pd.DataFrame, summary: pd.DataFrame, exp: Experiment) -> pd.DataFrame | None:
    """``npv.csv``: each scenario (at each grid point) against the reference, as the summary pairs them
    (:func:`sim.analysis.discounting.npv_table`); None when the window has no whole year."""
    from sim.analysis.discounting import npv_table, rates_of
    from sim.outcomes import registry
    from sim.outcomes.yearly import whole_years

    ref = next(s for s in exp.scenarios if s.name == exp.reference)
    if whole_years(ref.params.time.horizon_days) < 1:
        return None
    ref_gridded = exp.grid is not None and exp.reference in exp.grid.scenarios
    paired = paired_with_reference(exp)
    runs = dict.fromkeys(zip(yearly["scenario"], (_key(g) for g in yearly["grid"])))
    compared = [
        ((name, grid), (exp.reference, grid if ref_gridded else None), paired.get(name, True))
        for name, grid in runs
        if name != exp.reference
    ]
    flags = {(s, _key(g)): f for s, g, f in zip(summary["scenario"], summary["grid"], summary[registry.UNSTABLE])}
    return npv_table(yearly, compared, rates_of(ref.params.discounting), key=("scenario", "grid"), unstable=flags)


def yearly_chart(yearly: pd.DataFrame, exp: Experiment, meta: dict) -> dict:
    """The chart by year (:mod:`sim.reports.charts_yearly`) at the grid point the other charts show, stamped."""
    from sim.reports.charts_experiment import at_grid_point, grid_value_text, shown_grid_value, stamp
    from sim.reports.charts_yearly import yearly_charts

    grid, value = meta.get("grid"), shown_grid_value(meta)
    shown = at_grid_point(yearly, value, grid)
    names = list(dict.fromkeys(shown["scenario"]))
    note = ""
    if grid:
        note = f"grid point shown: {grid.get('label') or grid['parameter']} = {grid_value_text(value, grid)}"
    window = next(s for s in exp.scenarios if s.name == exp.reference).params.time.horizon_days
    return {stem: stamp(fig, meta) for stem, fig in yearly_charts(shown, names, window, note).items()}


def _key(grid: Any) -> Any:
    """A grid point as a key: None where there is none (NaN never equals itself)."""
    return None if grid is None or (isinstance(grid, float) and math.isnan(grid)) else grid


def _comparators(outcome: Outcome) -> dict[str, Any]:
    """The emulated evaluations' comparator runs (not counted among the runs): how many, and any failures
    (how many this invocation ran is with the timing fields)."""
    by_key = {t.key: t for t in outcome.comparators}
    return {
        "planned": len(by_key),
        "failed": [_failure(by_key[k], e) for k, e in outcome.comparators_failed.items() if k in by_key],
    }


def _failure(task: Planned, error: str) -> dict[str, Any]:
    """A failed run as ``metadata.json`` lists it: which run, and its error."""
    v = task.variant
    return {
        "scenario": v.name,
        "grid": v.grid,
        "replication": task.replication,
        "error": error,
        **({"draw": v.draw.index} if v.draw is not None else {}),
    }


def write_all(
    exp: Experiment, store: Store, outcome: Outcome, commit: str | None, seconds: float, where: str
) -> list[Path]:
    """Write every output of the experiment; return the paths written."""
    out = exp.out
    frames = collect(store, outcome.tasks, exp)
    table = summary(frames["kpis"], exp, paired_with_reference(exp), frames["timeseries"])
    frames["summary"] = table[SUMMARY_COLUMNS]
    warm = warmup_check(frames["timeseries"], exp)
    written = [write_table(frames[k], out / f"{k}.csv") for k in ("kpis", "timeseries", "summary")]
    if len(frames["balance"]):  # the emulated evaluations' matching (cohort matched:X), as compare writes it
        written.append(write_table(frames["balance"], out / "matching_balance.csv"))
    if len(frames["yearly"]):
        written.append(write_table(frames["yearly"], out / "yearly.csv"))
        over_time = npv(frames["yearly"], table, exp)
        if over_time is not None and len(over_time):
            written.append(write_table(over_time, out / "npv.csv"))
    money = ledger(table, exp)
    if len(money):  # none without a scenario compared, or without the organisations' costs among the metrics
        written.append(write_table(money, out / "ledger.csv"))
    if exp.posterior is not None:
        from sim.analysis.uncertainty import uncertainty_table

        written.append(
            write_table(uncertainty_table(table, ["scenario", "grid", "cohort", "metric"]), out / "uncertainty.csv")
        )
    written.append(write_table(warm, out / "warmup.csv"))
    meta = experiment_metadata(exp, outcome, commit, seconds, where)
    meta["warmup_check"] = warm.to_dict(orient="records")
    if outcome.assessment is not None:
        written.append(write_table(outcome.assessment, out / "replications.csv"))
        meta["precision"]["assessment"] = outcome.assessment.to_dict(orient="records")
    written.append(metadata.write(out, meta))
    if len(frames["kpis"]):
        from sim.reports.charts_experiment import experiment_charts, save_all

        written += save_all(experiment_charts(frames, meta, list(exp.charts)), out)
        written += save_all(yearly_chart(frames["yearly"], exp, meta), out)
    from sim.reports.report import build_report

    written.append(build_report(out))
    return written
