"""What every ``caresim`` command shares: the error types, the parser, the flags and the results folder.

Bad input raises :class:`UsageError` (``<where>: <what>``), which :func:`sim.cli.main.main` prints as one
line and exit status 2; a failed replication raises :class:`RunFailed` (exit status 1).  The commands call
the Python API (:mod:`sim.api`), whose errors :func:`api_errors` turns into these; ``run`` and ``compare``
check their results folders with the API's code (:mod:`sim.api.folders`).
"""

from __future__ import annotations

import argparse
import difflib
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from sim.parameters.filecheck import MAX_POPULATION, MAX_REPLICATIONS, MAX_SEED

if TYPE_CHECKING:
    from sim.scenarios.scenario import Scenario

MAX_WORKERS = 1024
"""Worker processes: one a core, and no machine caresim runs on has more than 1,024 cores (a pool starts
its workers at once, so ten thousand would exhaust the machine)."""


class UsageError(Exception):
    """Bad input: the message is ``<where>: <what>``."""


class RunFailed(Exception):
    """A replication raised: the message is ``<where>: <what>``."""


@contextmanager
def api_errors() -> Iterator[None]:
    """The Python API's errors as the command's: bad input exits 2, runs that cannot be made or kept exit 1.

    The API's message is already the command's line (``<flag>: <what>``).
    """
    import sim.api as api

    try:
        yield
    except (
        api.ScenarioError,
        api.ExperimentError,
        api.StudyError,
        api.SitesError,
        api.ValidationError,
        api.SettingsError,
        api.ResultsError,
    ) as e:
        raise UsageError(str(e)) from None
    except (api.ReplicationFailed, api.RunError) as e:
        raise RunFailed(str(e)) from None


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


def whole(lo: int, hi: int = MAX_SEED):
    """The type of a whole-number flag from ``lo`` to ``hi`` (by default, any that a 64-bit integer holds)."""

    def parse(text: str) -> int:
        value = integer(text)
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {value}")
        if value > hi:
            raise argparse.ArgumentTypeError(f"must be at most {hi:,}, got {_cut(text)}")
        return value

    return parse


def _cut(text: str) -> str:
    """A flag's text for a one-line message: a long one is cut, with its length."""
    return text if len(text) <= 30 else f"{text[:20]}... ({len(text):,} characters)"


def days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got '{_cut(text)}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of days, got '{_cut(text)}'")
    return value


def integer(text: str) -> int:
    """A whole number; one of more than 19 digits is refused before Python converts it (past 4,300 it cannot)."""
    digits = text.strip().lstrip("+-").replace("_", "")
    if digits.isdigit() and len(digits.lstrip("0")) > len(str(MAX_SEED)):
        raise argparse.ArgumentTypeError(
            f"{_cut(text)} is too large: whole numbers on the command line are below 2**63 (19 digits)"
        )
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{_cut(text)}'") from None


def run_flags(cmd: argparse.ArgumentParser, out_help: str) -> None:
    cmd.add_argument(
        "--reps", type=whole(1, MAX_REPLICATIONS), default=5, metavar="N", help="replications (default: 5)"
    )
    cmd.add_argument(
        "--seed", type=whole(0, MAX_SEED), default=1, metavar="S", help="master random seed (default: 1; below 2**63)"
    )
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


def settings_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The run flags (``--population``, ``--horizon-days``, ``--warmup-days``) as the API's keywords."""
    return {"population": args.population, "horizon_days": args.horizon_days, "warmup_days": args.warmup_days}


def resolve(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line with the run flags applied to its parameters."""
    import sim.api as api

    with api_errors():
        scenario = api.load_scenario(args.scenario, **settings_keywords(args))
    return scenario


FORCE_HELP = "replace the results already in the folder --out names (caresim's files in it are removed first)"


def folder(text: str) -> str:
    """The type of ``--out``: a folder name, not an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder name, not an empty one")
    return text


def prepare_out(out: str, force: bool = False) -> Path:
    """The results folder of ``run`` or ``compare``, checked before the runs: new or empty, or ``--force``.

    Nothing is made or removed yet: :func:`make_out` does that once the runs have succeeded, so a run
    that fails leaves no empty folder behind and, with ``--force``, loses none of the earlier results.
    """
    from sim.api.folders import check_out

    path = Path(out)
    with api_errors():
        check_out(path, resume=False, force=force, resumable=False)
    return path


def make_out(path: Path, force: bool) -> None:
    """Make the folder :func:`prepare_out` checked (emptied of earlier results with ``--force``)."""
    from sim.api.folders import clear_results

    if force and path.is_dir():
        clear_results(path)
    path.mkdir(parents=True, exist_ok=True)


def progress(done: int, total: int, seconds: float) -> None:
    if sys.stderr.isatty():
        print(f"caresim: replication {done}/{total} done in {seconds:.1f} s", file=sys.stderr, flush=True)


def add_runner_flags(cmd, reps_help: str, out_help: str, min_population: int = 1) -> None:
    """The flags of every command that runs through the experiment runner."""
    cmd.add_argument(
        "--workers",
        type=whole(1, MAX_WORKERS),
        metavar="N",
        help="worker processes; 1 runs serially (default: all cores)",
    )
    cmd.add_argument(
        "--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster"
    )
    add_folder_flags(cmd, out_help)
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--reps", type=whole(1, MAX_REPLICATIONS), metavar="N", help=reps_help)
    cmd.add_argument(
        "--population",
        type=whole(min_population, MAX_POPULATION),
        metavar="P",
        help="registered people (overrides the file)",
    )


def runner_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The flags of :func:`add_runner_flags` as the API's keywords, all but ``--quiet`` (each command makes its
    own ``progress`` of it)."""
    names = ("workers", "dask", "reps", "population", "out", "resume", "force")
    return {name: getattr(args, name) for name in names}


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
