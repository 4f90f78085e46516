"""Everything an experiment writes into its results folder, from its store, at the end of a run.

``kpis.csv``, ``timeseries.csv``, ``summary.csv``, ``ledger.csv`` (who pays and who saves), ``warmup.csv``,
``replications.csv`` (with a precision target), ``uncertainty.csv`` (over
posterior draws), ``matching_balance.csv`` (with an emulated evaluation), ``metadata.json``,
the charts (PNG and SVG) and ``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    from sim.reports.report import build_report

    written.append(build_report(out))
    return written
