"""``caresim experiment FILE`` and ``caresim report DIR``.

``experiment`` checks the experiment file, every scenario in it, the output
folder and the executor before anything runs or is written; then runs the
tasks the results store lacks (serially, on a process pool or on Dask),
committing each as it finishes, and writes the tables, the charts and the
HTML report; its printed headline changes name any overloaded queue
(:mod:`sim.analysis.stability`).  Ctrl-C or a kill loses only the runs in
flight: ``--resume`` computes the rest.  The experiment is run by
:func:`sim.api.run_experiment` and the report written by :func:`sim.api.report`; this module parses and
prints.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from sim.cli.common import add_runner_flags, api_errors, runner_keywords

if TYPE_CHECKING:
    from sim.api import ExperimentResult


def add_commands(commands) -> None:
    """The ``experiment`` and ``report`` sub-commands."""

    exp = commands.add_parser(
        "experiment",
        help="run an experiment file: scenarios x grid x replications, resumable, in parallel",
        description="Run every (scenario x grid point x replication) of an experiment file, serially, on a local "
        "process pool (default: all cores) or on a Dask cluster, with identical numbers. Each finished "
        "replication is committed at once to the results store (results.sqlite in the output folder), "
        "so an interrupted experiment resumes with --resume. Writes kpis.csv, timeseries.csv, "
        "summary.csv, warmup.csv, metadata.json, charts (PNG and SVG) and report.html.",
    )
    exp.add_argument("experiment", metavar="FILE", help="experiment file (see experiments/)")
    add_runner_flags(exp, "replications (overrides the file)", "results folder (overrides the file's 'out')")
    rep = commands.add_parser(
        "report",
        help="write report.html for an experiment's or a comparison's results folder",
        description="Build one self-contained HTML report (charts embedded, headline table, metadata and a "
        "STRESS-DES section) from an experiment's results folder or a 'caresim compare --out' folder.",
    )
    rep.add_argument("folder", metavar="DIR", help="results folder")


def experiment(args: argparse.Namespace) -> int:
    import sim.api as api

    try:
        with api_errors():
            result = api.run_experiment(args.experiment, **runner_keywords(args), progress=not args.quiet)
    except api.Interrupted as e:
        print(f"caresim: error: {e}; run the same command with --resume to compute the rest", file=sys.stderr)
        return 130
    exp = result.experiment
    from sim.cli.run import warn_few_replications, warn_late_changes

    warn_late_changes([(s.name, s.params) for s in exp.scenarios])
    warn_few_replications(result.replications)
    print(_summary_text(result))
    if result.summary is not None:
        from sim.analysis.stability import check
        from sim.reports.text import experiment_text

        overloads = check(result.timeseries)
        ref = next((s for s in exp.scenarios if s.name == exp.reference), None)
        horizon = ref.params.time.horizon_days if ref is not None else None
        print("\n" + experiment_text(result.summary, exp.reference, result.replications, overloads, horizon))
        if ref is not None and result.results.npv is not None:
            from sim.analysis.discounting import npv_text

            over_time = npv_text(result.results.npv, ref.params.discounting)
            if over_time:
                print("\n" + "\n".join(over_time))
    if len(result.failed):
        for r in result.failed.itertuples(index=False):
            where = f"'{r.scenario}'"
            if exp.grid is not None and r.grid is not None and not (isinstance(r.grid, float) and math.isnan(r.grid)):
                where += f" at {exp.grid.parameter} = {r.grid:g}"
            print(f"caresim: error: {where}, replication {r.replication}: {r.error}", file=sys.stderr)
        print(
            f"caresim: error: {len(result.failed)} of {result.runs} runs failed; the others are in the "
            f"results; --resume retries the failed ones",
            file=sys.stderr,
        )
        return 1
    return 0


def _summary_text(result: ExperimentResult) -> str:
    exp = result.experiment
    draws = len(exp.draws)
    variants = len(exp.variants) // draws if draws else len(exp.variants)
    lines = [
        f"caresim: experiment '{exp.name}': {result.runs} runs ({variants} scenario variants x "
        + (f"{draws} posterior draws x " if draws else "")
        + f"{result.replications} replications), {result.runs_now} run now {result.executor}, "
        f"{result.runs - result.runs_now} already stored; {result.seconds:.1f} s."
    ]
    if result.assessment is not None and exp.precision is not None:
        a = result.assessment
        reached = int(a["reached"].sum())
        lines.append(
            f"  Precision: {reached} of {len(a)} (scenario, metric) pairs reached a 95% half-width of "
            f"{exp.precision.half_width_pct:g}% of the mean with {result.replications} replications "
            "(replications.csv)."
        )
    lines.append(f"Wrote {', '.join(p.name for p in result.written)} to {exp.out}")
    return "\n".join(lines)


def report(args: argparse.Namespace) -> int:
    import sim.api as api

    with api_errors():
        path = api.report(args.folder)
    print(f"Wrote {path}")
    return 0
