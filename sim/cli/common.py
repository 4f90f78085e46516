"""What every ``caresim`` command shares: the error types, the parser, the flags and the results folder.

Bad input raises :class:`UsageError` (``<where>: <what>``), which :func:`sim.cli.main.main` prints as one
line and exit status 2; a failed replication raises :class:`RunFailed` (exit status 1).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from pathlib import Path

from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides
from sim.scenarios.scenario import RunSettings, Scenario, baseline, load

FLAG_KEYS = {  # flag -> (attribute, parameter group, parameter)
    "--population": ("population", "place", "registered_population"),
    "--horizon-days": ("horizon_days", "time", "horizon_days"),
    "--warmup-days": ("warmup_days", "time", "warmup_days"),
}


class UsageError(Exception):
    """Bad input: the message is ``<where>: <what>``."""


class RunFailed(Exception):
    """A replication raised: the message is ``<where>: <what>``."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        message = " ".join(message.split())
        if message.startswith("argument "):
            raise UsageError(message[len("argument "):])
        raise UsageError(f"command line: {message}")


def whole(lo: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {value}")
        return value
    return parse


def days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of days, got '{text}'")
    return value


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None


def run_flags(cmd: argparse.ArgumentParser, out_help: str) -> None:
    cmd.add_argument("--reps", type=whole(1), default=5, metavar="N", help="replications (default: 5)")
    cmd.add_argument("--seed", type=whole(0), default=1, metavar="S", help="master random seed (default: 1)")
    cmd.add_argument("--population", type=integer, metavar="P",
                     help="registered people in the place (default: the scenario's, 250000 in the baseline)")
    cmd.add_argument("--horizon-days", type=days, metavar="D",
                     help="length of the statistics window in days (default: the scenario's, 730 in the baseline)")
    cmd.add_argument("--warmup-days", type=days, metavar="W",
                     help="warm-up before the window, discarded (default: the scenario's parameter)")
    cmd.add_argument("--out", metavar="DIR", help=out_help)
    cmd.add_argument("--events", action="store_true", help="also record the window's events (events.csv)")


def run_settings(args: argparse.Namespace) -> RunSettings:
    """The run flags, each checked against its parameter."""
    values = {}
    for flag, (attr, grp, key) in FLAG_KEYS.items():
        value = getattr(args, attr)
        if value is None:
            continue
        try:
            apply_overrides(Params(), {grp: {key: value}})
        except ParameterError as e:
            message = str(e).removeprefix(f"{grp}.{key}: ")
            raise UsageError(f"{flag}: {message}") from None
        values[attr] = value
    return RunSettings(**values)


def resolve(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line with the run flags applied to its parameters."""
    settings = run_settings(args)
    return load(args.scenario, settings) if args.scenario else baseline(settings)


def prepare_out(out: str) -> Path:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: '{out}' exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out: cannot create '{out}': {e.strerror or e}") from None
    return path


def progress(done: int, total: int, seconds: float) -> None:
    if sys.stderr.isatty():
        print(f"caresim: replication {done}/{total} done in {seconds:.1f} s", file=sys.stderr, flush=True)


def add_runner_flags(cmd, reps_help: str, out_help: str, min_population: int = 1) -> None:
    """The flags of every command that runs through the experiment runner."""
    cmd.add_argument("--workers", type=whole(1), metavar="N", help="worker processes; 1 runs serially (default: all cores)")
    cmd.add_argument("--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster")
    cmd.add_argument("--resume", action="store_true", help="continue an existing results folder, computing only what is missing")
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--reps", type=whole(1), metavar="N", help=reps_help)
    cmd.add_argument("--population", type=whole(min_population), metavar="P", help="registered people (overrides the file)")
    cmd.add_argument("--out", metavar="DIR", help=out_help)


def open_runner(out: Path, args: argparse.Namespace):
    """Check the results folder, start the executor and open the store: ``(executor, store)``.

    Every problem is one line (``UsageError``) and nothing is started that is not closed again.
    """
    from sim.experiments.executors import ExecutorError, make_executor
    from sim.experiments.store import Store

    check_out(out, args.resume)
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


def check_out(out: Path, resume: bool) -> None:
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


def reproduce_command(args: argparse.Namespace) -> str:
    """The command that reproduces the numbers (where it runs does not change them)."""
    words = ["caresim", args.command, args.study]
    for flag in ("reps", "population", "out"):
        if getattr(args, flag) is not None:
            words += [f"--{flag}", str(getattr(args, flag))]
    return " ".join(shlex.quote(w) for w in words)
