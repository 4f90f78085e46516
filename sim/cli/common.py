"""What every ``caresim`` command shares: the error types, the parser, the flags and the results folder.

Bad input raises :class:`UsageError` (``<where>: <what>``), which :func:`sim.cli.main.main` prints as one
line and exit status 2; a failed replication raises :class:`RunFailed` (exit status 1).
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

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
    """argparse's parser with one-line errors, and a guess at the flag meant when one is misspelt."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: Mapping[str, argparse.ArgumentParser] = {}  # the top-level parser's sub-commands

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())
        if message.startswith("argument "):
            raise UsageError(message[len("argument ") :])
        raise UsageError(f"command line: {message}")

    def parse(self, args: Sequence[str] | None = None) -> argparse.Namespace:
        """``parse_args``, with a guess at the flag meant where one is not known."""
        parsed, extras = self.parse_known_args(args)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._guess(parsed, extras)}")
        return parsed

    def _guess(self, parsed: argparse.Namespace, extras: list[str]) -> str:
        """'; did you mean '--reps'?' for the first unknown flag close to a flag of the command given."""
        name = getattr(parsed, "command", None)
        command = self.commands.get(name or "", self)
        flags = [
            flag for action in command._actions for flag in action.option_strings
        ]  # argparse lists them nowhere else
        for word in extras:
            if word.startswith("--") and (close := closest_flag(word.split("=")[0], flags)):
                return f"; did you mean '{close}'? (see caresim {name + ' ' if name else ''}--help)"
        return ""


def closest_flag(word: str, flags: list[str]) -> str | None:
    """The flag sharing the longest start with ``word`` (three letters or more), else the closest by spelling."""

    def shared(flag: str) -> int:
        a, b = word.lstrip("-"), flag.lstrip("-")
        return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))

    best = max(flags, key=shared, default=None)
    if best is not None and shared(best) >= 3:
        return best
    close = difflib.get_close_matches(word, flags, n=1, cutoff=0.75)
    return close[0] if close else None


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
    cmd.add_argument(
        "--population",
        type=integer,
        metavar="P",
        help="registered people in the place (default: the scenario's, 250000 in the baseline)",
    )
    cmd.add_argument(
        "--horizon-days",
        type=days,
        metavar="D",
        help="length of the statistics window in days (default: the scenario's, 730 in the baseline)",
    )
    cmd.add_argument(
        "--warmup-days",
        type=days,
        metavar="W",
        help="warm-up before the window, discarded (default: the scenario's parameter)",
    )
    cmd.add_argument("--out", type=folder, metavar="DIR", help=out_help)
    cmd.add_argument("--force", action="store_true", help=FORCE_HELP)
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


FORCE_HELP = "replace the results already in the folder --out names (caresim's files in it are removed first)"
RESULT_FILES = (
    "*.csv",
    "*.png",
    "*.svg",
    "*.html",
    "*.json",
    "results.sqlite",
    "results.sqlite-wal",
    "results.sqlite-shm",
)  # what --force removes from a results folder: caresim's kinds of file, no folders


def folder(text: str) -> str:
    """The type of ``--out``: a folder name, not an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder name, not an empty one")
    return text


def clear_results(out: Path) -> None:
    """``--force``: remove the files caresim writes from ``out`` (its top level only; other files stay)."""
    for pattern in RESULT_FILES:
        for path in out.glob(pattern):
            if path.is_file():
                path.unlink()


def prepare_out(out: str, force: bool = False) -> Path:
    """The results folder of ``run`` or ``compare``, checked before the runs: new or empty, or ``--force``.

    Nothing is made or removed yet: :func:`make_out` does that once the runs have succeeded, so a run
    that fails leaves no empty folder behind and, with ``--force``, loses none of the earlier results.
    """
    path = Path(out)
    check_out(path, resume=False, force=force, resumable=False)
    return path


def make_out(path: Path, force: bool) -> None:
    """Make the folder :func:`prepare_out` checked (emptied of earlier results with ``--force``)."""
    if force and path.is_dir():
        clear_results(path)
    path.mkdir(parents=True, exist_ok=True)


def progress(done: int, total: int, seconds: float) -> None:
    if sys.stderr.isatty():
        print(f"caresim: replication {done}/{total} done in {seconds:.1f} s", file=sys.stderr, flush=True)


def add_runner_flags(cmd, reps_help: str, out_help: str, min_population: int = 1) -> None:
    """The flags of every command that runs through the experiment runner."""
    cmd.add_argument(
        "--workers", type=whole(1), metavar="N", help="worker processes; 1 runs serially (default: all cores)"
    )
    cmd.add_argument(
        "--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster"
    )
    add_folder_flags(cmd, out_help)
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--reps", type=whole(1), metavar="N", help=reps_help)
    cmd.add_argument(
        "--population", type=whole(min_population), metavar="P", help="registered people (overrides the file)"
    )


def add_study_flags(cmd, study_help: str, reps_from: str, out_under: str = "") -> None:
    """A calibration study's command: the study file, then the runner's flags (at least 1,000 people).

    ``reps_from`` names what ``--reps`` overrides; ``out_under``, the results' subfolder of the study's fit folder.
    """
    cmd.add_argument("study", metavar="FILE", help=study_help)
    reps_help = f"replications per parameter set (overrides {reps_from})"
    add_runner_flags(cmd, reps_help, f"results folder (default: calibration/fitted/<study>{out_under})", 1000)


def add_folder_flags(cmd: argparse.ArgumentParser, out_help: str) -> None:
    """``--out``, ``--resume`` and ``--force``: the results folder of a command that keeps a results store."""
    cmd.add_argument("--out", type=folder, metavar="DIR", help=out_help)
    cmd.add_argument(
        "--resume", action="store_true", help="continue this job's results folder, computing only what is missing"
    )
    cmd.add_argument("--force", action="store_true", help=FORCE_HELP)


def open_runner(out: Path, args: argparse.Namespace, job: tuple[str, str]):
    """Check the results folder, start the executor and open the store: ``(executor, store)``.

    ``job`` is (kind, name), for example ``("experiment", "headline")``: a store that holds another job's
    results is refused, with or without ``--resume``.  Every problem is one line (``UsageError``) and
    nothing is started that is not closed again.
    """
    from sim.experiments.executors import ExecutorError, make_executor
    from sim.experiments.store import Store, StoreError

    check_out(out, args.resume, args.force)
    if args.force and out.is_dir():
        clear_results(out)
    if args.dask and args.workers == 1:
        raise UsageError("--workers: 1 runs serially in this process; it cannot be combined with --dask")
    try:
        executor = make_executor(args.workers, args.dask)
    except ExecutorError as e:
        raise UsageError(str(e)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        store = Store(out)
    except (OSError, StoreError) as e:
        executor.close()
        raise UsageError(
            f"--out: cannot create '{out}': {e.strerror or e}" if isinstance(e, OSError) else f"--out: {e}"
        ) from None
    held = store.claim(*job)
    if held != job:
        store.close()
        executor.close()
        raise UsageError(
            f"--out: '{out}' holds the results of {held[0]} '{held[1]}', not of {job[0]} '{job[1]}'; "
            "choose another folder, or add --force to replace them"
        )
    return executor, store


def check_out(out: Path, resume: bool, force: bool = False, resumable: bool = True) -> None:
    """The results folder must be new or empty, or this job's with ``--resume``, or is replaced with ``--force``."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: '{out}' exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        if not resume:
            again = (
                "add --resume to continue it, --force to replace it, " if resumable else "add --force to replace it "
            )
            raise UsageError(f"--out: the results folder '{out}' already exists; {again}or choose another folder")
        if not (out / "results.sqlite").is_file():
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
