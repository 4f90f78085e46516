"""The ``caresim`` command.

``caresim run [SCENARIO.toml]`` runs replications of a scenario (the built-in
baseline without a file), prints a summary table and, with ``--out``, writes
``kpis.csv``, ``timeseries.csv`` and (with ``--events``) ``events.csv``.

``caresim validate FILE`` resolves a scenario and prints how it differs from
the built-in baseline, in plain words, with what its shifts move.

``caresim experiment FILE`` runs an experiment file (scenarios x grid x
replications) on a process pool or Dask, resumably, and ``caresim report
DIR`` writes its HTML report: both in ``sim/cli_batch.py``.

``caresim sweep FILE`` and ``caresim calibrate FILE`` sweep and fit a
calibration study (``sim/cli_calibrate.py``).

``caresim app`` starts the what-if page for commissioners (``sim/app/``).

``caresim compare A.toml B.toml ...`` runs the scenarios with common random
numbers, prints the main changes against the first with 95% intervals and,
with ``--out``, writes ``kpis.csv``, ``timeseries.csv``, ``comparison.csv``
and charts (PNG).  Both live in ``sim/cli_whatif.py``.

Bad input ends with one line on stderr, ``caresim: error: <where>: <what>``,
and exit status 2; a replication that fails gives exit status 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
import time
from pathlib import Path

from typing import TYPE_CHECKING

from . import __version__
from .params import Params
from .paramtree import ParameterError, apply_overrides
from .scenario import RunSettings, Scenario, ScenarioError, baseline, load

if TYPE_CHECKING:
    import pandas as pd
# The model, pandas and scipy are imported when a run starts, so that help and
# bad input are answered at once.

MAIN_METRICS = (
    "person_years", "emergency_admissions", "ae_attendances", "readmissions_30d", "bed_days", "mean_los_days",
    "delayed_discharge_days", "trolley_wait_hours", "care_home_admissions", "deaths", "cost_total_gbp",
    "acute_occupancy",
)
SHARE_METRICS = ("at_home_91d_after_reablement", "knows_whom_to_contact", "acute_occupancy")
FLAG_KEYS = {  # flag -> (attribute, parameter group, parameter)
    "--population": ("population", "place", "registered_population"),
    "--horizon-days": ("horizon_days", "time", "horizon_days"),
    "--warmup-days": ("warmup_days", "time", "warmup_days"),
}


class UsageError(Exception):
    """Bad input: the message is ``<where>: <what>``."""


class RunFailed(Exception):
    """A replication raised: the message is ``<where>: <what>``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        message = " ".join(message.split())
        if message.startswith("argument "):
            raise UsageError(message[len("argument "):])
        raise UsageError(f"command line: {message}")


def _whole(lo: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {value}")
        return value
    return parse


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of days, got '{text}'")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None


def _run_flags(cmd: argparse.ArgumentParser, out_help: str) -> None:
    cmd.add_argument("--reps", type=_whole(1), default=5, metavar="N", help="replications (default: 5)")
    cmd.add_argument("--seed", type=_whole(0), default=1, metavar="S", help="master random seed (default: 1)")
    cmd.add_argument("--population", type=_int, metavar="P",
                     help="registered people in the place (default: the scenario's, 250000 in the baseline)")
    cmd.add_argument("--horizon-days", type=_days, metavar="D",
                     help="length of the statistics window in days (default: the scenario's, 730 in the baseline)")
    cmd.add_argument("--warmup-days", type=_days, metavar="W",
                     help="warm-up before the window, discarded (default: the scenario's parameter)")
    cmd.add_argument("--out", metavar="DIR", help=out_help)
    cmd.add_argument("--events", action="store_true", help="also record the window's events (events.csv)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="caresim", description="A discrete-event simulator of integrated health and social care.")
    parser.add_argument("--version", action="version", version=f"caresim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    run = commands.add_parser(
        "run", help="run replications of one scenario and print a summary",
        description="Run replications of one scenario (the built-in baseline without a file) and print the mean "
                    "and 95% confidence interval of every metric by cohort.")
    run.add_argument("scenario", nargs="?", metavar="SCENARIO.toml", help="scenario file (default: the built-in baseline)")
    _run_flags(run, "write kpis.csv and timeseries.csv (and events.csv) to DIR")
    validate = commands.add_parser(
        "validate", help="check a scenario file and print how it differs from the baseline",
        description="Resolve a scenario file (extends chain, overrides, interventions, shifts) and print every "
                    "parameter that differs from the built-in baseline, and what each shift moves, in pounds and units.")
    validate.add_argument("scenario", metavar="FILE", help="scenario file")
    compare = commands.add_parser(
        "compare", help="run scenarios with common random numbers and compare them with the first",
        description="Run every scenario with the same seed and replications (common random numbers) and report "
                    "every metric as a change against the first scenario with a 95% confidence interval: paired "
                    "over replications, or unpaired (Welch) where the populations differ. The MDT cohort of a "
                    "scenario is compared with the same people in the first scenario's runs.")
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml",
                         help="scenario files; the first is the reference (the word 'baseline' for the built-in one)")
    _run_flags(compare, "write kpis.csv, timeseries.csv, comparison.csv, charts (PNG), metadata.json and report.html to DIR")
    compare.add_argument("--posterior", type=_whole(2), metavar="K",
                         help="run K posterior draws of the calibrated parameters x the replications; intervals then "
                              "carry calibration uncertainty and randomness, and uncertainty.csv says which dominates")
    compare.add_argument("--posterior-file", metavar="CSV",
                         help="the posterior sample (default: calibration/fitted/pilots/posterior.csv, written by "
                              "caresim calibrate calibration/pilots.toml)")
    from . import cli_batch, cli_calibrate, cli_sensitivity, cli_sites
    from .app.command import add_app_command

    cli_batch.add_commands(commands)
    cli_calibrate.add_commands(commands)
    cli_sensitivity.add_commands(commands)
    cli_sites.add_commands(commands)
    add_app_command(commands)
    return parser


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


def _prepare_out(out: str) -> Path:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: '{out}' exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out: cannot create '{out}': {e.strerror or e}") from None
    return path


def _pair(mean: float, half: float, share: bool) -> str:
    """A value and its half-width with the same scale and decimals, in ASCII."""
    if not math.isfinite(mean):
        return "n/a"
    if share:
        text, half_text = f"{100 * mean:.1f}%", f"{100 * half:.1f}"
        return text if not math.isfinite(half) else f"{text} +/- {half_text}"
    if mean == 0 and (half == 0 or not math.isfinite(half)):
        return "0"
    size = max(abs(mean), abs(half) if math.isfinite(half) else 0.0)
    scale, suffix, decimals = (1e6, "m", 2) if size >= 1e6 else (1.0, "", 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3)
    text = f"{mean / scale:,.{decimals}f}{suffix}"
    return text if not math.isfinite(half) else f"{text} +/- {half / scale:,.{decimals}f}{suffix}"


def _table(summary: pd.DataFrame, order: list[str], reps: int) -> list[str]:
    cohorts = list(dict.fromkeys(summary["cohort"]))
    cells = {(r.metric, r.cohort): r for r in summary.itertuples(index=False)}
    rows = []
    for metric in order:
        row = [metric]
        for cohort in cohorts:
            r = cells.get((metric, cohort))
            if r is None:
                row.append("")
                continue
            cell = _pair(r.mean, (r.ci_high - r.ci_low) / 2, metric in SHARE_METRICS or metric.endswith("_share"))
            if r.n != reps and r.n > 0:
                cell += f" (n={r.n})"
            row.append(cell)
        rows.append(row)
    head = ["metric"] + cohorts
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cols: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))
    return [line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def summary_text(scenario: Scenario, frames: dict[str, pd.DataFrame], reps: int, seed: int) -> str:
    """The printed summary: the main metrics first, then all others, then admission rates."""
    from .stats import rates_per_1000_py, summarise

    kpis = frames["kpis"]
    summary = summarise(kpis)
    metrics = list(dict.fromkeys(summary["metric"]))
    main = [m for m in MAIN_METRICS if m in metrics]
    rest = [m for m in metrics if m not in main]
    p = scenario.params
    out = [f"caresim {__version__}: scenario '{scenario.name}'"]
    if scenario.description:
        out += textwrap.wrap(scenario.description, 100, initial_indent="  ", subsequent_indent="  ")
    for report in scenario.shifts:
        out += ["  " + line for line in report.lines()]
    out.append(f"  {reps} replication{'s' if reps != 1 else ''}, seed {seed}, {p.place.registered_population:,} registered "
               f"people, {p.time.horizon_days:g} days after a {p.time.warmup_days:g}-day warm-up")
    if reps == 1:
        out.append("  n=1: one replication, so values are shown without confidence intervals.")
    else:
        out.append(f"  Mean +/- half-width of the 95% confidence interval (t distribution, n={reps}); "
                   "shares in per cent, costs in GBP (m = million).")
    out += ["", "Main results"] + _table(summary, main, reps)
    out += ["", "All other metrics"] + _table(summary, rest, reps)
    rates = summarise(rates_per_1000_py(kpis))
    if len(rates):
        out += ["", "Admissions per 1,000 person-years"] + _table(rates, list(dict.fromkeys(rates["metric"])), reps)
    return "\n".join(out)


def _progress(done: int, total: int, seconds: float) -> None:
    if sys.stderr.isatty():
        print(f"caresim: replication {done}/{total} done in {seconds:.1f} s", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    scenario = resolve(args)
    out = _prepare_out(args.out) if args.out else None
    from .runner import ReplicationFailed, multiple_replications, write_outputs

    t0 = time.perf_counter()
    try:
        frames = multiple_replications(scenario.params, scenario.name, args.reps, args.seed, prelaunch=scenario.prelaunch,
                                       log_events=args.events, progress=_progress)
    except ReplicationFailed as e:
        raise RunFailed(str(e)) from None
    seconds = time.perf_counter() - t0
    print(summary_text(scenario, frames, args.reps, args.seed))
    print(f"\nRan {args.reps} replication{'s' if args.reps != 1 else ''} in {seconds:.1f} s.")
    if out is not None:
        try:
            written = write_outputs(out, frames)
        except OSError as e:
            print(f"caresim: error: --out: cannot write to '{args.out}': {e.strerror or e}", file=sys.stderr)
            return 1
        print(f"Wrote {', '.join(p.name for p in written)} to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``caresim`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError("command line: choose a command: run, validate, compare, experiment, report, sweep, "
                             "calibrate, sensitivity, sites or app "
                             "(see caresim --help)")
        if args.command == "validate":
            from .cli_whatif import validate
            return validate(args)
        if args.command == "compare":
            from .cli_whatif import compare
            return compare(args)
        if args.command in ("experiment", "report"):
            from . import cli_batch
            return getattr(cli_batch, args.command)(args)
        if args.command in ("sweep", "calibrate"):
            from . import cli_calibrate
            return getattr(cli_calibrate, args.command)(args)
        if args.command == "sites":
            from .cli_sites import sites
            return sites(args)
        if args.command == "sensitivity":
            from .cli_sensitivity import sensitivity
            return sensitivity(args)
        if args.command == "app":
            from .app.command import app
            return app(args)
        return _run(args)
    except SystemExit as e:  # --help and --version
        return e.code if isinstance(e.code, int) else 0
    except (UsageError, ScenarioError) as e:
        print(f"caresim: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except RunFailed as e:
        print(f"caresim: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (e.g. ``| head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("caresim: error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
