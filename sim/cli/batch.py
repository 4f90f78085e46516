"""``caresim experiment FILE`` and ``caresim report DIR``.

``experiment`` checks the experiment file, every scenario in it, the output
folder and the executor before anything runs or is written; then runs the
tasks the results store lacks (serially, on a process pool or on Dask),
committing each as it finishes, and writes the tables, the charts and the
HTML report.  Ctrl-C or a kill loses only the runs in flight: ``--resume``
computes the rest.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import RunFailed, UsageError, add_runner_flags, open_runner

if TYPE_CHECKING:
    from tqdm import tqdm


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


class _Bar:
    """A tqdm progress bar over the runs (none with --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: tqdm | None = None
        self.failed = 0

    def plan(self, tasks, reps: int, done: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=len(tasks),
                initial=done,
                unit="run",
                file=sys.stderr,
                dynamic_ncols=True,
                desc="caresim",
                smoothing=0.1,
            )
        else:  # more replications for precision
            self.bar.total = len(tasks)
            self.bar.refresh()
        self.bar.set_postfix_str(f"{reps} replications")

    def step(self, task, error) -> None:
        if error:
            self.failed += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.failed:
                self.bar.set_postfix_str(f"{self.failed} failed")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def experiment(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import ExperimentError, load_experiment

    try:
        exp = load_experiment(args.experiment, reps=args.reps, population=args.population, out=args.out)
    except ExperimentError as e:
        raise UsageError(str(e)) from None
    out = exp.out
    executor, store = open_runner(out, args, ("experiment", exp.name))
    from sim.experiments.batch import run_experiment
    from sim.provenance import git_commit

    commit = git_commit()
    bar = _Bar(args.quiet)
    t0 = time.perf_counter()
    try:
        status = store.status()
        outcome = run_experiment(
            exp,
            store,
            executor,
            commit,
            progress=bar.step,
            on_plan=lambda tasks, reps: bar.plan(tasks, reps, sum(status.get(t.key) == "ok" for t in tasks)),
        )
    except (OSError, sqlite3.Error) as e:
        executor.close()
        store.close()
        raise RunFailed(f"{out / 'results.sqlite'}: cannot store results: {e}") from None
    except KeyboardInterrupt:
        bar.close()
        stored = sum(1 for s in store.status().values() if s == "ok")
        print(
            f"caresim: error: interrupted; {stored} finished runs are kept in {out / 'results.sqlite'}; "
            f"run the same command with --resume to compute the rest",
            file=sys.stderr,
        )
        executor.close()
        store.close()
        return 130
    finally:
        bar.close()
    executor.close()
    seconds = time.perf_counter() - t0
    try:
        from sim.experiments.outputs import write_all

        written = write_all(exp, store, outcome, commit, seconds, executor.description)
    except OSError as e:
        raise RunFailed(f"--out: cannot write to '{out}': {e.strerror or e}") from None
    finally:
        store.close()
    print(_summary_text(exp, outcome, seconds, executor.description, written))
    summary_csv = exp.out / "summary.csv"
    if summary_csv.is_file():
        import pandas as pd

        from sim.reports.text import experiment_text

        print("\n" + experiment_text(pd.read_csv(summary_csv), exp.reference, outcome.replications))
    if outcome.failed:
        for key, error in outcome.failed.items():
            t = next(t for t in outcome.tasks if t.key == key)
            where = f"'{t.variant.name}'"
            if exp.grid is not None and t.variant.grid is not None:
                where += f" at {exp.grid.parameter} = {t.variant.grid:g}"
            print(f"caresim: error: {where}, replication {t.replication}: {error}", file=sys.stderr)
        print(
            f"caresim: error: {len(outcome.failed)} of {len(outcome.tasks)} runs failed; the others are in the "
            f"results; --resume retries the failed ones",
            file=sys.stderr,
        )
        return 1
    return 0


def _summary_text(exp, outcome, seconds: float, where: str, written: list[Path]) -> str:
    n = len(outcome.tasks)
    draws = len(exp.draws)
    variants = len(exp.variants) // draws if draws else len(exp.variants)
    lines = [
        f"caresim: experiment '{exp.name}': {n} runs ({variants} scenario variants x "
        + (f"{draws} posterior draws x " if draws else "")
        + f"{outcome.replications} replications), {outcome.ran} run now {where}, {outcome.reused} already "
        f"stored; {seconds:.1f} s."
    ]
    if outcome.assessment is not None:
        a = outcome.assessment
        reached = int(a["reached"].sum())
        lines.append(
            f"  Precision: {reached} of {len(a)} (scenario, metric) pairs reached a 95% half-width of "
            f"{exp.precision.half_width_pct:g}% of the mean with {outcome.replications} replications "
            "(replications.csv)."
        )
    lines.append(f"Wrote {', '.join(p.name for p in written)} to {exp.out}")
    return "\n".join(lines)


def report(args: argparse.Namespace) -> int:
    from sim.reports.report import ReportError, build_report

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{args.folder}: no such results folder")
    try:
        path = build_report(folder)
    except ReportError as e:
        raise UsageError(str(e)) from None
    print(f"Wrote {path}")
    return 0
