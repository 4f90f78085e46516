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
import os
import sqlite3
import sys
import time
from pathlib import Path

from .cli import RunFailed, UsageError


def add_runner_flags(cmd, reps_help: str, out_help: str, min_population: int = 1) -> None:
    """The flags of every command that runs through the experiment runner."""
    from .cli import _whole

    cmd.add_argument("--workers", type=_whole(1), metavar="N", help="worker processes; 1 runs serially (default: all cores)")
    cmd.add_argument("--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster")
    cmd.add_argument("--resume", action="store_true", help="continue an existing results folder, computing only what is missing")
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--reps", type=_whole(1), metavar="N", help=reps_help)
    cmd.add_argument("--population", type=_whole(min_population), metavar="P", help="registered people (overrides the file)")
    cmd.add_argument("--out", metavar="DIR", help=out_help)


def add_commands(commands) -> None:
    """The ``experiment`` and ``report`` sub-commands."""

    exp = commands.add_parser(
        "experiment", help="run an experiment file: scenarios x grid x replications, resumable, in parallel",
        description="Run every (scenario x grid point x replication) of an experiment file, serially, on a local "
                    "process pool (default: all cores) or on a Dask cluster, with identical numbers. Each finished "
                    "replication is committed at once to the results store (results.sqlite in the output folder), "
                    "so an interrupted experiment resumes with --resume. Writes kpis.csv, timeseries.csv, "
                    "summary.csv, warmup.csv, metadata.json, charts (PNG and SVG) and report.html.")
    exp.add_argument("experiment", metavar="FILE", help="experiment file (see experiments/)")
    add_runner_flags(exp, "replications (overrides the file)", "results folder (overrides the file's 'out')")
    rep = commands.add_parser(
        "report", help="write report.html for an experiment's or a comparison's results folder",
        description="Build one self-contained HTML report (charts embedded, headline table, metadata and a "
                    "STRESS-DES section) from an experiment's results folder or a 'caresim compare --out' folder.")
    rep.add_argument("folder", metavar="DIR", help="results folder")


def open_runner(out: Path, args: argparse.Namespace):
    """Check the results folder, start the executor and open the store: ``(executor, store)``.

    Every problem is one line (``UsageError``) and nothing is started that is not closed again.
    """
    from .executors import ExecutorError, make_executor
    from .store import Store

    _check_out(out, args.resume)
    if args.dask and args.workers == 1:
        raise UsageError("--workers: 1 runs serially in this process; it cannot be combined with --dask")
    try:
        executor = make_executor(args.workers, args.dask)
    except ExecutorError as e:
        raise UsageError(str(e)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        return executor, Store(out)
    except OSError as e:
        executor.close()
        raise UsageError(f"--out: cannot create '{out}': {e.strerror or e}") from None


def _check_out(out: Path, resume: bool) -> None:
    """The output folder must be new (or empty), or an earlier run of this experiment with --resume."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: '{out}' exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not resume:
        raise UsageError(f"--out: the results folder '{out}' already exists; add --resume to continue it, "
                         "or choose another folder")
    if out.is_dir() and resume and any(out.iterdir()) and not (out / "results.sqlite").is_file():
        raise UsageError(f"--out: '{out}' is not a results folder (no results.sqlite); choose another folder")
    parent = next((p for p in [out, *out.parents] if p.exists()), Path("."))
    if not parent.is_dir():
        raise UsageError(f"--out: cannot create '{out}': '{parent}' is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out: cannot create '{out}': '{parent}' is not writable")


class _Bar:
    """A tqdm progress bar over the runs (none with --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.failed = 0

    def plan(self, tasks, reps: int, done: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=len(tasks), initial=done, unit="run", file=sys.stderr, dynamic_ncols=True,
                            desc="caresim", smoothing=0.1)
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
    from .experiment import ExperimentError, load_experiment

    try:
        exp = load_experiment(args.experiment, reps=args.reps, population=args.population, out=args.out)
    except ExperimentError as e:
        raise UsageError(str(e)) from None
    out = exp.out
    executor, store = open_runner(out, args)
    from .batch import run_experiment
    from .metadata import git_commit

    commit = git_commit()
    bar = _Bar(args.quiet)
    t0 = time.perf_counter()
    try:
        status = store.status()
        outcome = run_experiment(
            exp, store, executor, commit, progress=bar.step,
            on_plan=lambda tasks, reps: bar.plan(tasks, reps, sum(status.get(t.key) == "ok" for t in tasks)))
    except (OSError, sqlite3.Error) as e:
        executor.close()
        store.close()
        raise RunFailed(f"{out / 'results.sqlite'}: cannot store results: {e}") from None
    except KeyboardInterrupt:
        bar.close()
        stored = sum(1 for s in store.status().values() if s == "ok")
        print(f"caresim: error: interrupted; {stored} finished runs are kept in {out / 'results.sqlite'}; "
              f"run the same command with --resume to compute the rest", file=sys.stderr)
        executor.close()
        store.close()
        return 130
    finally:
        bar.close()
    executor.close()
    seconds = time.perf_counter() - t0
    try:
        from .batch_outputs import write_all
        written = write_all(exp, store, outcome, commit, seconds, executor.description)
    except OSError as e:
        raise RunFailed(f"--out: cannot write to '{out}': {e.strerror or e}") from None
    finally:
        store.close()
    print(_summary_text(exp, outcome, seconds, executor.description, written))
    if outcome.failed:
        for key, error in outcome.failed.items():
            t = next(t for t in outcome.tasks if t.key == key)
            where = f"'{t.variant.name}'" + (f" at {exp.grid.parameter} = {t.variant.grid:g}" if t.variant.grid is not None else "")
            print(f"caresim: error: {where}, replication {t.replication}: {error}", file=sys.stderr)
        print(f"caresim: error: {len(outcome.failed)} of {len(outcome.tasks)} runs failed; the others are in the "
              f"results; --resume retries the failed ones", file=sys.stderr)
        return 1
    return 0


def _summary_text(exp, outcome, seconds: float, where: str, written: list[Path]) -> str:
    n = len(outcome.tasks)
    draws = len(exp.draws)
    variants = len(exp.variants) // draws if draws else len(exp.variants)
    lines = [f"caresim: experiment '{exp.name}': {n} runs ({variants} scenario variants x "
             + (f"{draws} posterior draws x " if draws else "")
             + f"{outcome.replications} replications), {outcome.ran} run now {where}, {outcome.reused} already "
             f"stored; {seconds:.1f} s."]
    if outcome.assessment is not None:
        a = outcome.assessment
        reached = int(a["reached"].sum())
        lines.append(f"  Precision: {reached} of {len(a)} (scenario, metric) pairs reached a 95% half-width of "
                     f"{exp.precision.half_width_pct:g}% of the mean with {outcome.replications} replications "
                     "(replications.csv).")
    lines.append(f"Wrote {', '.join(p.name for p in written)} to {exp.out}")
    return "\n".join(lines)


def report(args: argparse.Namespace) -> int:
    from .report import ReportError, build_report

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{args.folder}: no such results folder")
    try:
        path = build_report(folder)
    except ReportError as e:
        raise UsageError(str(e)) from None
    print(f"Wrote {path}")
    return 0
