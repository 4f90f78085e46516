"""``caresim run [SCENARIO.toml]``: replications of one scenario and a summary table.

Prints the main metrics first, then all others, then admission rates, each as the mean over the
replications with the half-width of its 95% interval, under its plain label from :mod:`sim.outcomes.registry`
(``docs/metrics.md`` maps labels to the names in ``kpis.csv``).  The tables say their period: counts, days,
hours and costs are totals over the statistics window, with a column of each total a year for everyone, and
costs are in whole pounds; a line reads the acute beds together (occupied of the core beds, and how many by the
simulated cohort).  Above the tables it names any queue that
grows through the window (:mod:`sim.analysis.stability`); with ``--out`` writes ``kpis.csv``,
``timeseries.csv``, ``yearly.csv`` (the same metrics year by year, :mod:`sim.outcomes.yearly`; with two years or
more, their chart) and (with ``--events``) ``events.csv``.  Below 100,000 people it warns, on stderr
before the table, which services the place holds fewer than two units of (:mod:`sim.core.capacity_check`);
a run that fails says only why.  The scenario is loaded and run by :mod:`sim.api`; this module prints and writes.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sim.api as api
from sim import __version__
from sim.cli.common import api_errors, make_out, prepare_out, progress, resolve
from sim.outcomes import registry
from sim.parameters.params import Params
from sim.parameters.timeline import after_the_window
from sim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
# The model, pandas and scipy are imported when a run starts, so that help and
# bad input are answered at once.


def _pair(mean: float, half: float, share: bool, cost: bool = False) -> str:
    """A value and its half-width with the same scale and decimals, in ASCII; costs in whole pounds."""
    if not math.isfinite(mean):
        return "n/a"
    if share:
        text, half_text = f"{100 * mean:.1f}%", f"{100 * half:.1f}"
        return text if not math.isfinite(half) else f"{text} +/- {half_text}"
    if mean == 0 and (half == 0 or not math.isfinite(half)):
        return "0"
    size = max(abs(mean), abs(half) if math.isfinite(half) else 0.0)
    decimals = 0 if cost or size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    text = f"{mean:,.{decimals}f}"
    return text if not math.isfinite(half) else f"{text} +/- {half:,.{decimals}f}"


YEARLY = "all, a year"  # the column of each total of cohort ``all`` divided by the window's years


def _table(
    summary: pd.DataFrame,
    order: list[str],
    reps: int,
    labels: dict[str, str] | None = None,
    horizon_days: float | None = None,
) -> list[str]:
    """Rows: each metric's plain label (``labels``, else the registry's) and its values by cohort.

    With ``horizon_days``, a last column holds each total of cohort ``all`` a year (levels have none).
    """
    from sim.reports.text import a_year

    labels = labels or {}
    cohorts = list(dict.fromkeys(summary["cohort"]))
    cells = {(r.metric, r.cohort): r for r in summary.itertuples(index=False)}
    rows = []
    for metric in order:
        row = [labels.get(metric, registry.long_label(metric))]
        for cohort in cohorts:
            r = cells.get((metric, cohort))
            if r is None:
                row.append("")
                continue
            cell = _pair(r.mean, (r.ci_high - r.ci_low) / 2, registry.is_share(metric), registry.is_cost(metric))
            if r.n != reps and r.n > 0:
                cell += f" (n={r.n})"
            row.append(cell)
        if horizon_days:
            everyone = cells.get((metric, "all"))
            row.append(a_year(metric, everyone.mean, horizon_days) if everyone is not None else "")
        rows.append(row)
    head = ["measure"] + cohorts + ([YEARLY] if horizon_days else [])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    left = (0,)  # the label; the numbers are right-aligned

    def line(cols: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths))).rstrip()

    return [line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def beds_line(summary: pd.DataFrame) -> str:
    """The acute beds read together: mean occupied by all patients of the core beds, with the occupancy, and
    how many of them the simulated cohort filled ('' when the run lacks a figure)."""
    means = {r.metric: r.mean for r in summary[summary["cohort"] == "all"].itertuples(index=False)}
    beds, occupancy, cohort = (means.get(m) for m in ("acute_beds", "acute_occupancy", "mean_occupied_beds"))
    if beds is None or occupancy is None or not (math.isfinite(beds) and math.isfinite(occupancy)):
        return ""
    text = f"Acute beds: on average {occupancy * beds:,.1f} of {beds:,.0f} core beds occupied ({100 * occupancy:.1f}%)"
    if cohort is not None and math.isfinite(cohort):
        text += f", {cohort:,.1f} of them by the simulated cohort and the rest by the background load"
    return text + " (escalation beds are on top of the core beds)."


def summary_text(scenario: Scenario, frames: dict[str, pd.DataFrame], reps: int, seed: int) -> str:
    """The printed summary: the main metrics first, then all others, then admission rates.

    Each row shows the metric's plain label; the tables state their period and show each total a year.
    """
    from sim.analysis.stability import check
    from sim.analysis.stats import RATE_METRICS, rates_per_1000_py, summarise
    from sim.outcomes.deprivation import fifth_rates
    from sim.reports.stress_des import described
    from sim.reports.text import overload_lines, period_note, period_words

    everyone = frames["kpis"]
    kpis = everyone[~everyone["cohort"].isin((*registry.IMD_COHORTS, registry.IMD_GAP))]  # the fifths: below
    summary = summarise(kpis)
    metrics = list(dict.fromkeys(summary["metric"]))
    main = [m for m in registry.RUN_MAIN if m in metrics]
    rest = [m for m in metrics if m not in main]
    p = scenario.params
    out = [f"caresim {__version__}: scenario '{scenario.name}'"]
    if scenario.description:
        words = described(scenario.description, p.place.registered_population)
        out += textwrap.wrap(words, 100, initial_indent="  ", subsequent_indent="  ")
    for report in scenario.shifts:
        out += ["  " + line for line in report.lines()]
    out.append(
        f"  {reps} replication{'s' if reps != 1 else ''}, seed {seed}, {p.place.registered_population:,} registered "
        f"people, {p.time.horizon_days:g} days after a {p.time.warmup_days:g}-day warm-up"
    )
    if reps == 1:
        out.append("  n=1: one replication, so values are shown without confidence intervals.")
    else:
        out.append(
            f"  Mean +/- half-width of the 95% confidence interval (t distribution, n={reps}); "
            "shares in per cent, costs in GBP."
        )
    horizon = p.time.horizon_days
    out += textwrap.wrap(period_note(horizon, f"'{YEARLY}'"), 100, initial_indent="  ", subsequent_indent="  ")
    overload = overload_lines(check(frames["timeseries"]), scenario.name)
    out += [""] + overload if overload else []
    period = period_words(horizon)
    out += ["", f"Main results, {period}"] + _table(summary, main, reps, horizon_days=horizon)
    beds = beds_line(summary)
    out += [""] + textwrap.wrap(beds, 100) if beds else []
    out += ["", f"All other metrics, {period}"] + _table(summary, rest, reps, horizon_days=horizon)
    rates = summarise(rates_per_1000_py(kpis))
    if len(rates):
        labels = {f"{m}_per_1000_py": registry.label(m) for m in RATE_METRICS}
        out += ["", "Admissions per 1,000 person-years (over the statistics window)"] + _table(
            rates, list(dict.fromkeys(rates["metric"])), reps, labels
        )
    fifths = summarise(fifth_rates(everyone))
    if len(fifths):
        out += [
            "",
            "By fifth of the Index of Multiple Deprivation (imd1 the most deprived), per 1,000 person-years; "
            "imd_gap is imd1 minus imd5",
        ] + _table(fifths, list(dict.fromkeys(fifths["metric"])), reps)
    return "\n".join(out)


def warn_capacities(lines: Iterable[str]) -> None:
    """Name the services a small place holds fewer than two units of (``sim.core.capacity_check``), on stderr."""
    for line in lines:
        print(f"caresim: warning: capacities: {line}", file=sys.stderr)


def warn_late_changes(named: Iterable[tuple[str, Params]]) -> None:
    """Name the changes over time that start after the window ends (``sim.parameters.timeline``), on stderr."""
    for name, params in named:
        for line in after_the_window(params):
            print(f"caresim: warning: timing: scenario '{name}': {line}", file=sys.stderr)


FEW_REPLICATIONS = 3  # below this, 95% intervals are undefined (1) or very wide (2: t = 12.7 on one degree of freedom)


def warn_few_replications(reps: int) -> None:
    """One line on stderr when there are fewer than :data:`FEW_REPLICATIONS` replications."""
    if reps >= FEW_REPLICATIONS:
        return
    what = "undefined" if reps < 2 else "very wide (the t factor is 12.7 with 2, against 4.3 with 3)"
    print(
        f"caresim: warning: replications: with {reps} replication{'s' if reps != 1 else ''}, 95% intervals are "
        f"{what}; use {FEW_REPLICATIONS} or more (--reps) to judge changes",
        file=sys.stderr,
    )


def run(args: argparse.Namespace) -> int:
    scenario = resolve(args)
    out = prepare_out(args.out, args.force) if args.out is not None else None
    with api_errors():
        result = api.run(scenario, reps=args.reps, seed=args.seed, events=args.events, progress=progress)
    warn_capacities(result.capacity_warnings)
    warn_late_changes([(result.scenario.name, result.scenario.params)])
    warn_few_replications(args.reps)
    frames = result.tables()
    print(summary_text(scenario, frames, args.reps, args.seed))
    print(f"\nRan {args.reps} replication{'s' if args.reps != 1 else ''} in {result.seconds:.1f} s.")
    if out is not None:
        from sim.replication.runner import write_outputs
        from sim.reports.charts import save
        from sim.reports.charts_yearly import yearly_charts

        window = scenario.params.time.horizon_days
        try:
            make_out(out, args.force)
            written = write_outputs(out, frames)
            charts = yearly_charts(result.yearly, [scenario.name], window)
            written += save({f"{stem}.png": fig for stem, fig in charts.items()}, out)
        except OSError as e:
            print(f"caresim: error: --out: cannot write to '{args.out}': {e.strerror or e}", file=sys.stderr)
            return 1
        print(f"Wrote {', '.join(p.name for p in written)} to {args.out}")
        print(yearly_note(window))
    return 0


def yearly_note(window_days: float) -> str:
    """What ``yearly.csv`` holds: how many years, and a last part year if the window ends in one."""
    from sim.outcomes.yearly import year_words, years_of

    years = years_of(0.0, window_days)
    note = f"yearly.csv holds each year of the window ({year_words(years)})"
    return note + ("; a part year's totals cover only its part." if not years[-1].whole else ".")
