"""``caresim sites FILE``: heterogeneous sites running an integration scenario, read as councils would (seed 003).

The sites file is checked, and every site drawn and built, before anything runs.  Each site's
three runs (before, after with integration, after with no effect) go through the experiment runner
into ``calibration/fitted/<name>/results.sqlite`` (or ``--out``), so an interrupted run continues
with ``--resume`` and nothing is run twice.  Writes ``sites.csv``, ``shares.csv``,
``thresholds.csv``, ``shares.png`` and ``metadata.json``, and prints the shares in plain words.

The runner flags are those of ``experiment`` but ``--reps`` and ``--population``: a site has
exactly one "before" and one "after", and each site draws its own population.  ``--sites N``
runs the first N sites of the file (a reduced run; the same sites as in the full one).  The sites are
run by :func:`sim.api.sites`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sim.cli.common import MAX_WORKERS, add_folder_flags, api_errors, whole

if TYPE_CHECKING:
    from sim.api import SitesResult


def add_commands(commands) -> None:
    text = "run heterogeneous sites and count those that would report an improvement (seed 003)"
    cmd = commands.add_parser(
        "sites",
        help=text,
        description="Draw a population of sites that differ in size, baseline and four factors of seed 001 "
        "(organisational complexity, information sharing, social care involvement, staff engagement); "
        "run each before and after integration, and after no change at all (the noise floor), with "
        "independent random numbers, as a council compares two periods; report the share of sites "
        "whose figures improved by more than a minimal amount, beside seed 003's shares. Every run is "
        "committed to results.sqlite as it finishes, so --resume continues an interrupted run. Writes "
        "sites.csv, shares.csv, thresholds.csv, shares.png and metadata.json.",
    )
    cmd.add_argument("file", metavar="FILE", help="sites file (calibration/sites.toml)")
    cmd.add_argument(
        "--workers",
        type=whole(1, MAX_WORKERS),
        metavar="N",
        help="worker processes; 1 runs serially (default: all cores)",
    )
    cmd.add_argument(
        "--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster"
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--sites", type=whole(2), metavar="N", help="run the file's first N sites (overrides 'sites')")
    add_folder_flags(cmd, "results folder (default: fitted/<name> next to the file)")


def sites(args: argparse.Namespace) -> int:
    import sim.api as api

    try:
        with api_errors():
            result = api.sites(
                args.file,
                workers=args.workers,
                dask=args.dask,
                sites=args.sites,
                out=args.out,
                resume=args.resume,
                force=args.force,
                progress=not args.quiet,
            )
    except api.Interrupted as e:
        print(f"caresim: error: {e}; run the same command with --resume to compute the rest", file=sys.stderr)
        return 130
    _print_summary(result)
    if result.failed:
        print(
            f"caresim: error: {len(result.failed)} of {result.runs} runs failed; their sites are left out of "
            "the shares; --resume retries them",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_summary(result: SitesResult) -> None:
    from sim.calibration.sites_run import summary_text

    study = result.study
    low, high = study.population
    cuts = sorted({m.minimal_change for m in study.metrics})
    cut = f"{cuts[0]:.0%}" if len(cuts) == 1 else "each metric's minimal_change"
    print(
        f"caresim: sites '{study.name}': {len(study.sites)} sites x 3 runs = {result.runs} runs, "
        f"{result.runs_now} run now {result.executor}, {result.metadata['reused']} already stored; "
        f"{result.seconds:.1f} s."
    )
    print(
        f"  Integration: {study.integration.name} at sites of {low:,} to {high:,} people, against the site "
        f"without it. A site reports an improvement when its two-year figure after, against the two years before "
        f"(independent random numbers), moved the right way by more than {cut} of the before value."
    )
    for line in summary_text(study, result.shares):
        print(line)
    print(f"Wrote {', '.join(result.written)} to {result.folder}")
