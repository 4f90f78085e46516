"""The commissioners' what-if commands: ``caresim validate`` and ``caresim compare``.

``validate`` resolves a scenario and prints, in plain words, every parameter
that differs from the built-in baseline (baseline value, scenario value,
unit, and whole units of capacity where the parameter is one) and what each
shift moves.  ``compare`` runs scenarios with common random numbers, prints
the main changes against the first with 95% intervals and, with ``--out``,
writes ``kpis.csv``, ``timeseries.csv``, ``comparison.csv``, PNG charts,
``metadata.json`` and ``report.html``.  With ``--posterior K`` it runs K
posterior draws x the replications (:mod:`sim.analysis.posterior`); the intervals
then carry calibration uncertainty as well as randomness, the printed table
says which dominates, and ``uncertainty.csv`` holds the split.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.cli.common import RunFailed, UsageError, make_out, prepare_out, progress, run_settings
from sim.reports.text import compare_text, validate_text
from sim.scenarios.scenario import BASELINE, RunSettings, Scenario, baseline, check_names, load


def validate(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    print(validate_text(scenario))
    return 0


# --- compare ----------------------------------------------------------------------------------


def _load_all(paths: list[str], settings: RunSettings) -> list[Scenario]:
    scenarios = []
    for path in paths:
        if path == BASELINE and not Path(path).exists():
            scenarios.append(baseline(settings))
        else:
            scenarios.append(load(path, settings))
    return scenarios


def compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise UsageError(
            "command line: compare needs at least two scenarios, the first being the reference; "
            f"got {len(args.scenarios)}"
        )
    settings = run_settings(args)
    scenarios = _load_all(args.scenarios, settings)
    check_names(scenarios)
    draws = posterior_draws(args)
    scenario_sets = [_load_all(args.scenarios, d.settings(settings)) for d in draws]
    out = prepare_out(args.out, args.force) if args.out is not None else None
    from sim.analysis.compare import COMPARISON_COLUMNS, comparison_table, pairing, run_comparison
    from sim.analysis.posterior import run_over_draws
    from sim.replication.runner import ReplicationFailed, write_outputs

    t0 = time.perf_counter()
    try:
        if draws:
            frames = run_over_draws(scenario_sets, draws, args.reps, args.seed, args.events, progress=progress)
        else:
            frames = run_comparison(scenarios, args.reps, args.seed, log_events=args.events, progress=progress)
    except ReplicationFailed as e:
        raise RunFailed(str(e)) from None
    seconds = time.perf_counter() - t0
    names = [s.name for s in scenarios]
    table = comparison_table(frames["kpis"], names, pairing(scenarios))
    print(compare_text(scenarios, table, args.reps, args.seed, len(draws)))
    runs = f"{len(draws)} draws x " if draws else ""
    print(f"\nRan {len(scenarios)} x {runs}{args.reps} replication{'s' if args.reps != 1 else ''} in {seconds:.1f} s.")
    if out is not None:
        from sim.reports import metadata
        from sim.reports.charts import comparison_charts, save
        from sim.reports.report import build_report

        try:
            make_out(out, args.force)
            written = write_outputs(out, frames)
            path = out / "comparison.csv"
            table[COMPARISON_COLUMNS].to_csv(path, index=False)
            written.append(path)
            if draws:
                from sim.analysis.uncertainty import uncertainty_table

                path = out / "uncertainty.csv"
                uncertainty_table(table, ["scenario", "cohort", "metric"]).to_csv(path, index=False)
                written.append(path)
            written += save(comparison_charts(frames, table, names), out)
            meta = metadata.base_metadata(
                "compare", "comparison", scenarios, pairing(scenarios), names[0], args.reps, args.seed
            )
            metadata.timed(meta, seconds)
            if draws:
                from sim.analysis.posterior import posterior_metadata

                meta["posterior"] = posterior_metadata(args.posterior_file, draws)
            written.append(metadata.write(out, meta))
            written.append(build_report(out))
        except OSError as e:
            print(f"caresim: error: --out: cannot write to '{args.out}': {e.strerror or e}", file=sys.stderr)
            return 1
        print(f"Wrote {', '.join(p.name for p in written)} to {args.out}")
    return 0


def posterior_draws(args: argparse.Namespace) -> tuple:
    """The posterior draws asked for with ``--posterior K`` (none without it); bad input is a :class:`UsageError`."""
    if args.posterior is None:
        if args.posterior_file is not None:
            raise UsageError("--posterior-file: give the number of draws too (--posterior K)")
        return ()
    if args.reps < 2:
        raise UsageError(
            f"--posterior: needs at least 2 replications (--reps) to tell calibration uncertainty "
            f"from randomness, got {args.reps}"
        )
    from sim.analysis.posterior import PosteriorError, load_posterior

    flag = "--posterior-file" if args.posterior_file is not None else "--posterior"
    try:
        return load_posterior(args.posterior_file).draws(args.posterior, args.seed)
    except PosteriorError as e:
        raise UsageError(f"{flag}: {e}") from None
