"""The commissioners' what-if commands: ``caresim validate`` and ``caresim compare``.

``validate`` resolves a scenario and prints, in plain words, every parameter
that differs from the built-in baseline (baseline value, scenario value,
unit, and whole units of capacity where the parameter is one) and what each
shift moves.  ``compare`` runs scenarios with common random numbers, prints
the main changes against the first with 95% intervals and, with ``--out``,
writes ``kpis.csv``, ``timeseries.csv``, ``yearly.csv`` (by year), ``comparison.csv``, ``ledger.csv`` (who pays
and who saves), ``npv.csv`` (money over time), PNG charts, ``metadata.json`` and ``report.html``.  With
``--posterior K`` it runs K posterior draws x the replications (:mod:`sim.analysis.posterior`); the intervals
then carry calibration uncertainty as well as randomness, the printed table
says which dominates, and ``uncertainty.csv`` holds the split.  Like ``run``, ``compare`` warns before
its table which services a small place holds fewer than two units of.  Where a run's queue grows through the window
(:mod:`sim.analysis.stability`), it names the service and calls no change clear (``unstable`` in
``comparison.csv``).  Scenarios are loaded and compared by :mod:`sim.api`; this module prints and writes.
"""

from __future__ import annotations

import argparse
import sys

import sim.api as api
from sim.cli.common import UsageError, api_errors, make_out, prepare_out, progress, settings_keywords
from sim.cli.run import warn_capacities, warn_few_replications, warn_late_changes
from sim.parameters.retired import RETIRED
from sim.reports.text import compare_text, validate_text


def validate(args: argparse.Namespace) -> int:
    print(validate_text(api.load_scenario(args.scenario)))
    return 0


# --- compare ----------------------------------------------------------------------------------


def compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise UsageError(
            "command line: compare needs at least two scenarios, the first being the reference; "
            f"got {len(args.scenarios)}"
        )
    out = prepare_out(args.out, args.force) if args.out is not None else None
    with api_errors():
        result = api.compare(
            args.scenarios,
            reps=args.reps,
            seed=args.seed,
            **settings_keywords(args),
            events=args.events,
            posterior=args.posterior,
            posterior_file=args.posterior_file,
            progress=progress,
        )
    from sim.analysis.compare import COMPARISON_COLUMNS

    scenarios, table, draws, names = list(result.scenarios), result.comparison, result.draws, result.names
    warn_capacities(result.capacity_warnings)
    warn_late_changes([(s.name, s.params) for s in scenarios])
    if draws:
        from sim.analysis.posterior import retired_columns

        for name in retired_columns(args.posterior_file):
            print(f"caresim: warning: --posterior: column '{name}' left out: {RETIRED[name]}", file=sys.stderr)
    warn_few_replications(args.reps)
    print(compare_text(scenarios, table, args.reps, args.seed, len(draws), result.overloads))
    print("\n" + "\n".join(money_text(result)))
    over_time = npv_text(result)
    if over_time:
        print("\n" + "\n".join(over_time))
    runs = f"{len(draws)} draws x " if draws else ""
    print(
        f"\nRan {len(scenarios)} x {runs}{args.reps} replication{'s' if args.reps != 1 else ''} "
        f"in {result.seconds:.1f} s."
    )
    if out is not None:
        from sim.replication.runner import write_outputs
        from sim.reports import metadata
        from sim.reports.charts import comparison_charts, save
        from sim.reports.report import build_report

        frames = result.tables()
        try:
            make_out(out, args.force)
            written = write_outputs(out, frames)
            path = out / "comparison.csv"
            table[COMPARISON_COLUMNS].to_csv(path, index=False)
            written.append(path)
            if result.ledger is not None:
                path = out / "ledger.csv"
                result.ledger.to_csv(path, index=False)
                written.append(path)
            if result.uncertainty is not None:
                path = out / "uncertainty.csv"
                result.uncertainty.to_csv(path, index=False)
                written.append(path)
            if result.npv is not None:
                path = out / "npv.csv"
                result.npv.to_csv(path, index=False)
                written.append(path)
            window = scenarios[0].params.time.horizon_days
            written += save(comparison_charts(frames, table, names, window), out)
            from sim.reports.charts_yearly import yearly_charts

            charts = yearly_charts(result.yearly, names, window)
            written += save({f"{stem}.png": fig for stem, fig in charts.items()}, out)
            meta = metadata.base_metadata(
                "compare", "comparison", scenarios, result.paired, names[0], args.reps, args.seed
            )
            metadata.timed(meta, result.seconds)
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


def npv_text(result) -> list[str]:
    """Each scenario's change in total cost as a net present value, and in days at home, discounted
    (``npv.csv``, docs/costs.md); nothing when the window has no whole year."""
    from sim.analysis.discounting import npv_text as words

    return [] if result.npv is None else words(result.npv, result.scenarios[0].params.discounting)


def money_text(result) -> list[str]:
    """Who pays and who saves, and what each scenario's change of total cost is made of (docs/costs.md)."""
    from sim.core.population import DAYS_PER_YEAR
    from sim.reports.ledger_words import any_unstable, cost_split_lines, ledger_lines, rows_of

    out: list[str] = []
    for s in result.scenarios[1:]:
        years = s.params.time.horizon_days / DAYS_PER_YEAR
        remainder = sum(r.remainder_gbp for r in s.shifts)
        out += cost_split_lines(result.comparison, s.name, years, remainder)
        if result.ledger is not None:
            out += ledger_lines(result.ledger, s.name, years, any_unstable(rows_of(result.comparison, s.name)))
    return out
