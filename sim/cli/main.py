"""The ``caresim`` command.

``caresim run [SCENARIO.toml]`` (``sim/cli/run.py``) runs replications of a scenario (the built-in
baseline without a file), prints a summary table and, with ``--out``, writes
``kpis.csv``, ``timeseries.csv`` and (with ``--events``) ``events.csv``.

``caresim validate FILE`` resolves a scenario and prints how it differs from
the built-in baseline, in plain words, with what its shifts move.

``caresim experiment FILE`` runs an experiment file (scenarios x grid x
replications) on a process pool or Dask, resumably, and ``caresim report
DIR`` writes its HTML report: both in ``sim/cli/batch.py``.

``caresim sweep FILE`` and ``caresim calibrate FILE`` sweep and fit a
calibration study (``sim/cli/calibrate.py``).

``caresim app`` starts the what-if page for commissioners (``sim/app/``).

``caresim compile`` builds the optional compiled build of the model (``sim/cli/compile.py``).

``caresim validation`` prints the baseline beside the validation rows of EVIDENCE.md and writes
``docs/validation.md`` (``sim/cli/validation.py``).

``caresim compare A.toml B.toml ...`` runs the scenarios with common random
numbers, prints the main changes against the first with 95% intervals and,
with ``--out``, writes ``kpis.csv``, ``timeseries.csv``, ``comparison.csv``
and charts (PNG).  Both live in ``sim/cli/whatif.py``.

Bad input ends with one line on stderr, ``caresim: error: <where>: <what>``,
and exit status 2; a replication that fails gives exit status 1.
"""

from __future__ import annotations

import os
import sys

from sim import __version__
from sim.cli.common import Parser, RunFailed, UsageError, run_flags, whole
from sim.parameters.filecheck import MAX_REPLICATIONS
from sim.scenarios.scenario import ScenarioError

# Each command's module (and with it the model, pandas and scipy) is imported when the command
# runs, so that help and bad input are answered at once.


def build_parser() -> Parser:
    parser = Parser(prog="caresim", description="A discrete-event simulator of integrated health and social care.")
    parser.add_argument("-V", "--version", action="version", version=f"caresim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command", parser_class=Parser)
    parser.commands = commands.choices
    run = commands.add_parser(
        "run",
        help="run replications of one scenario and print a summary",
        description="Run replications of one scenario (the built-in baseline without a file) and print the mean "
        "and 95% confidence interval of every metric by cohort.",
    )
    run.add_argument(
        "scenario", nargs="?", metavar="SCENARIO.toml", help="scenario file (default: the built-in baseline)"
    )
    run_flags(run, "write kpis.csv and timeseries.csv (and events.csv) to DIR")
    validate = commands.add_parser(
        "validate",
        help="check a scenario file and print how it differs from the baseline",
        description="Resolve a scenario file (extends chain, overrides, interventions, shifts) and print every "
        "parameter that differs from the built-in baseline, and what each shift moves, in pounds and units.",
    )
    validate.add_argument("scenario", metavar="FILE", help="scenario file")
    compare = commands.add_parser(
        "compare",
        help="run scenarios with common random numbers and compare them with the first",
        description="Run every scenario with the same seed and replications (common random numbers) and report "
        "every metric as a change against the first scenario with a 95% confidence interval: paired "
        "over replications, or unpaired (Welch) where the populations differ. The MDT cohort of a "
        "scenario is compared with the same people in the first scenario's runs.",
    )
    compare.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO.toml",
        help="scenario files; the first is the reference (the word 'baseline' for the built-in one)",
    )
    run_flags(
        compare, "write kpis.csv, timeseries.csv, comparison.csv, charts (PNG), metadata.json and report.html to DIR"
    )
    compare.add_argument(
        "--posterior",
        type=whole(2, MAX_REPLICATIONS),
        metavar="K",
        help="run K posterior draws of the calibrated parameters x the replications; intervals then "
        "carry calibration uncertainty and randomness, and uncertainty.csv says which dominates",
    )
    compare.add_argument(
        "--posterior-file",
        metavar="CSV",
        help="the posterior sample (default: calibration/fitted/pilots/posterior.csv, written by "
        "caresim calibrate calibration/pilots.toml)",
    )
    from sim.app.command import add_app_command
    from sim.cli import (
        batch as cli_batch,
    )
    from sim.cli import (
        calibrate as cli_calibrate,
    )
    from sim.cli import (
        compile as cli_compile,
    )
    from sim.cli import (
        sensitivity as cli_sensitivity,
    )
    from sim.cli import (
        sites as cli_sites,
    )
    from sim.cli import (
        validation as cli_validation,
    )

    cli_batch.add_commands(commands)
    cli_calibrate.add_commands(commands)
    cli_compile.add_commands(commands)
    cli_sensitivity.add_commands(commands)
    cli_sites.add_commands(commands)
    cli_validation.add_commands(commands)
    add_app_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``caresim`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse(argv)
        if args.command is None:
            raise UsageError(
                "command line: choose a command: run, validate, compare, experiment, report, sweep, "
                "calibrate, sensitivity, sites, validation, app or compile "
                "(see caresim --help)"
            )
        if args.command == "validate":
            from sim.cli.whatif import validate

            return validate(args)
        if args.command == "compare":
            from sim.cli.whatif import compare

            return compare(args)
        if args.command in ("experiment", "report"):
            from sim.cli import batch as cli_batch

            return getattr(cli_batch, args.command)(args)
        if args.command in ("sweep", "calibrate"):
            from sim.cli import calibrate as cli_calibrate

            return getattr(cli_calibrate, args.command)(args)
        if args.command == "sites":
            from sim.cli.sites import sites

            return sites(args)
        if args.command == "validation":
            from sim.cli.validation import validation

            return validation(args)
        if args.command == "sensitivity":
            from sim.cli.sensitivity import sensitivity

            return sensitivity(args)
        if args.command == "app":
            from sim.app.command import app

            return app(args)
        if args.command == "compile":
            from sim.cli.compile import compile_command

            return compile_command(args)
        from sim.cli.run import run

        return run(args)
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
