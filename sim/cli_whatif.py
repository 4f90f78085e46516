"""The commissioners' what-if commands: ``caresim validate`` and ``caresim compare``.

``validate`` resolves a scenario and prints, in plain words, every parameter
that differs from the built-in baseline (baseline value, scenario value,
unit, and whole units of capacity where the parameter is one) and what each
shift moves.  ``compare`` runs scenarios with common random numbers, prints
the main changes against the first with 95% intervals and, with ``--out``,
writes ``kpis.csv``, ``timeseries.csv``, ``comparison.csv``, PNG charts,
``metadata.json`` and ``report.html``.  With ``--posterior K`` it runs K
posterior draws x the replications (:mod:`sim.posterior`); the intervals
then carry calibration uncertainty as well as randomness, the printed table
says which dominates, and ``uncertainty.csv`` holds the split.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from . import __version__
from .cli import RunFailed, UsageError, _prepare_out, _progress, run_settings
from .interventions import DISCIPLINES
from .params import NEEDS, Params, capacity_basis, per_place
from .paramtree import walk
from .scenario import BASELINE, RunSettings, Scenario, baseline, check_names, load

# tuple parameters shown element by element, with labels and the unit of one element
ELEMENTS = {
    "mdt.coordinators_per_100k": (DISCIPLINES, "co-ordinators per 100,000 registered"),
    "mdt.preferred_discipline": (NEEDS, "discipline of the co-ordinator preferred for this main need"),
}


# --- validate ---------------------------------------------------------------------------------

def _plain(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key == "mdt.preferred_discipline":
        return DISCIPLINES[int(value)]
    if isinstance(value, tuple):
        return ", ".join(_plain("", v) for v in value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def differences(base: Params, params: Params) -> list[tuple[str, str, str, str]]:
    """(parameter, baseline value, scenario value, unit) for every leaf that differs."""
    n0, n1 = capacity_basis(base), capacity_basis(params)
    rows = []
    for (key, v0, meta), (_, v1, _) in zip(walk(base), walk(params)):
        if v0 == v1:
            continue
        if key in ELEMENTS:
            labels, unit = ELEMENTS[key]
            for label, a, b in zip(labels, v0, v1):
                if a != b:
                    u = unit
                    if key == "mdt.coordinators_per_100k":
                        u += f" ({per_place(a, n0):,} -> {per_place(b, n1):,} at this place)"
                    rows.append((f"{key}[{label}]", _plain(key, a), _plain(key, b), u))
            continue
        unit = meta.get("unit", "")
        if key.endswith("_per_100k") and not isinstance(v0, tuple):
            unit += f" ({per_place(v0, n0):,} -> {per_place(v1, n1):,} at this place)"
        rows.append((key, _plain(key, v0), _plain(key, v1), unit))
    return rows


def _columns(head: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    """Rows in aligned columns; the last column is left free."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]

    def line(r: list[str]) -> str:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        return "  ".join(cells + [r[-1]]).rstrip()
    return [line(head), line(["-" * w for w in widths] + ["-" * len(head[-1])])] + [line(r) for r in rows]


def shift_notes(scenario: Scenario) -> list[str]:
    """How to read the shift reports of a scenario."""
    year = scenario.params.costs.price_year
    out = [f"Shifts (GBP a year at {year}/{(year + 1) % 100:02d} prices). Beds, places, posts and teams cost what they "
           "hold, used or not, so a shift between them changes the capacity cost only by its remainder."]
    if any(t.service == "home_care_packages" and t.units_moved for r in scenario.shifts for t in r.targets):
        out.append("Home care is paid per hour used: money moved into home care packages leaves the capacity cost "
                   "and shows up in the activity cost as far as the packages are used.")
    return out


def validate_text(scenario: Scenario) -> str:
    """What ``caresim validate`` prints."""
    p = scenario.params
    where = scenario.path.as_posix() if scenario.path else "the built-in baseline"
    out = [f"caresim {__version__}: {where} is a valid scenario: '{scenario.name}'."]
    if scenario.description:
        out += textwrap.wrap(" ".join(scenario.description.split()), 100, initial_indent="  ", subsequent_indent="  ")
    out.append(f"  {p.place.registered_population:,} registered people; capacities per 100,000 are applied to "
               f"{capacity_basis(p):,}{' (pinned)' if p.place.capacity_population else ''}.")
    if scenario.interventions:
        out.append(f"  Interventions: {', '.join(scenario.interventions)} (see sim/interventions.py).")
    rows = differences(Params(), p)
    out.append("")
    if not rows:
        out.append("No differences from the built-in baseline: this scenario runs as the baseline.")
    else:
        out.append(f"Differences from the built-in baseline ({len(rows)}):")
        out += ["  " + line for line in _columns(["parameter", "baseline", "this scenario", "unit"], [list(r) for r in rows], right=(1, 2))]
    if scenario.shifts:
        out += [""] + shift_notes(scenario)
        for report in scenario.shifts:
            out += ["  " + line for line in report.lines()]
    return "\n".join(out)


def validate(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    print(validate_text(scenario))
    return 0


# --- compare ----------------------------------------------------------------------------------

def _number(v: float, cost: bool = False, sign: bool = False) -> str:
    if not math.isfinite(v):
        return "n/a"
    plus = "+" if sign and v > 0 else ""
    a = abs(v)
    if cost and a >= 1e6:
        return f"{plus}{v / 1e6:,.2f}m"
    decimals = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    if a == 0:
        decimals = 0
    return f"{plus}{v:,.{decimals}f}"


def _cells(metric: str, r) -> tuple[str, str, str, str]:
    """Reference, scenario, change [CI] and % change [CI], in words and figures."""
    from .compare import SHARE_METRICS

    if not (math.isfinite(r.reference_mean) and math.isfinite(r.scenario_mean)):
        return (_number(r.reference_mean), _number(r.scenario_mean), "n/a", "n/a")
    if metric in SHARE_METRICS:
        ref, sc = f"{100 * r.reference_mean:.1f}%", f"{100 * r.scenario_mean:.1f}%"
        d, lo, hi = (100 * x for x in (r.diff_mean, r.diff_ci_low, r.diff_ci_high))
        change = f"{d:+.1f} pp" + (f" [{lo:+.1f}, {hi:+.1f}]" if math.isfinite(lo) else "")
    else:
        cost = metric.endswith("_gbp")
        ref, sc = _number(r.reference_mean, cost), _number(r.scenario_mean, cost)
        change = _number(r.diff_mean, cost, True)
        if math.isfinite(r.diff_ci_low):
            change += f" [{_number(r.diff_ci_low, cost, True)}, {_number(r.diff_ci_high, cost, True)}]"
    if math.isfinite(r.pct_change):
        pct = f"{r.pct_change:+.1f}%"
        if math.isfinite(r.pct_ci_low):
            pct += f" [{r.pct_ci_low:+.1f}, {r.pct_ci_high:+.1f}]"
    else:
        pct = "n/a"
    return ref, sc, change, pct


def _sentences(rows) -> list[str]:
    from .compare import MAIN_METRICS, SHARE_METRICS

    out = []
    for r in rows:
        if not (math.isfinite(r.diff_ci_low) and math.isfinite(r.pct_change)):
            continue
        if r.diff_ci_low > 0 or r.diff_ci_high < 0:
            verb = "rose" if r.diff_mean > 0 else "fell"
            label = MAIN_METRICS[r.metric].replace(" (GBP)", "")
            if r.metric in SHARE_METRICS:
                out.append(f"{label} {verb} by {abs(100 * r.diff_mean):.1f} percentage points "
                           f"(95% interval {100 * r.diff_ci_low:+.1f} to {100 * r.diff_ci_high:+.1f}).")
            else:
                out.append(f"{label} {verb} by {abs(r.pct_change):.1f}% (95% interval {r.pct_ci_low:+.1f}% to {r.pct_ci_high:+.1f}%).")
    return out


def _dominant(r) -> str:
    """Which part of a change's variance is the larger, with its share (runs over posterior draws)."""
    share = r.diff_calibration_share
    if r.diff_dominant == "none":
        return "none"
    if not math.isfinite(share):
        return "n/a"
    return f"calibration {100 * share:.0f}%" if r.diff_dominant == "calibration" else f"randomness {100 * (1 - share):.0f}%"


def compare_text(scenarios: list[Scenario], comparison, reps: int, seed: int, draws: int = 0) -> str:
    """What ``caresim compare`` prints: the setting, what each scenario changes, and the main changes.

    ``draws``: the number of posterior draws run (0 without ``--posterior``).
    """
    from .compare import MAIN_METRICS

    ref = scenarios[0]
    p = ref.params
    each = f"{draws} posterior draws x " if draws else ""
    out = [f"caresim {__version__}: {len(scenarios)} scenarios compared with '{ref.name}'",
           f"  {each}{reps} replication{'s' if reps != 1 else ''} each, seed {seed}, {p.place.registered_population:,} registered "
           f"people in '{ref.name}', {p.time.horizon_days:g} days after a {p.time.warmup_days:g}-day warm-up.",
           "  Common random numbers: replication r of every scenario draws the same random numbers, person by person."]
    if reps == 1:
        out.append("  n=1: one replication, so changes are shown without confidence intervals.")
    elif draws:
        out.append("  Changes are means over posterior draws and replications with [95% intervals] that carry both "
                   "calibration uncertainty (between draws) and randomness (between replications); the last column "
                   "says which part of the variance is the larger (more replications narrow only the randomness). "
                   "pp = percentage points; costs in GBP over the window (m = million).")
    else:
        out.append("  Changes are means over replications with [95% confidence intervals]; pp = percentage points; "
                   "costs in GBP over the window (m = million).")
    for s in scenarios[1:]:
        out += ["", f"'{s.name}'" + (f" ({s.path.as_posix()})" if s.path else "")]
        if s.description:
            out += textwrap.wrap(" ".join(s.description.split()), 100, initial_indent="  ", subsequent_indent="  ")
        for report in s.shifts:
            out += ["  " + line for line in report.lines()]
        rows = comparison[comparison["scenario"] == s.name]
        paired = bool(rows["paired"].iloc[0]) if len(rows) else True
        if not paired:
            out.append(f"  Unpaired: '{s.name}' simulates a different population from '{ref.name}' "
                       f"({s.params.place.registered_population:,} registered), so its intervals are Welch's "
                       "(independent samples), not paired, and there is no same-people MDT comparison.")
        for cohort, title in (("all", "everyone in the simulated cohort"),
                              ("mdt", f"the people enrolled in an MDT in '{s.name}', against the same people "
                                      f"in '{ref.name}' from their enrolment date")):
            c = {r.metric: r for r in rows[rows["cohort"] == cohort].itertuples(index=False)}
            metrics = [m for m in MAIN_METRICS if m in c]
            if not metrics:
                continue
            out += ["", f"  {s.name} against {ref.name}: {title}"]
            table = []
            for m in metrics:
                table.append([MAIN_METRICS[m], *_cells(m, c[m])] + ([_dominant(c[m])] if draws else []))
            head = ["measure", ref.name, s.name, "change [95% CI]" if reps > 1 else "change (n=1)",
                    "% change [95% CI]" if reps > 1 else "% change (n=1)"] + (["dominant part"] if draws else [])
            out += ["    " + line for line in _columns(head + [""], [t + [""] for t in table], right=(1, 2, 3, 4))]
            said = _sentences([c[m] for m in metrics])
            if reps > 1:
                if said:
                    out += ["    Clear changes (the 95% interval excludes no change):"] + ["      " + x for x in said]
                else:
                    out.append("    No main measure changed clearly: every 95% interval includes no change.")
            if draws and reps > 1 and (sentence := _dominance_sentence([c[m] for m in metrics])):
                out.append("    " + sentence)
    return "\n".join(out)


def _dominance_sentence(rows) -> str:
    """Which source dominates the intervals of these measures, in words ('' when none has any spread)."""
    parts = [r.diff_dominant for r in rows]
    calibration, randomness = parts.count("calibration"), parts.count("randomness")
    if calibration + randomness == 0:
        return ""
    return (f"Of these {calibration + randomness} intervals with any spread, calibration uncertainty dominates "
            f"{calibration} (better evidence on the calibrated parameters would narrow them) and randomness "
            f"{randomness} (more replications would).")


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
        raise UsageError(f"command line: compare needs at least two scenarios, the first being the reference; got {len(args.scenarios)}")
    settings = run_settings(args)
    scenarios = _load_all(args.scenarios, settings)
    check_names(scenarios)
    draws = posterior_draws(args)
    scenario_sets = [_load_all(args.scenarios, d.settings(settings)) for d in draws]
    out = _prepare_out(args.out) if args.out else None
    from .compare import COMPARISON_COLUMNS, comparison_table, pairing, run_comparison
    from .posterior import run_over_draws
    from .runner import ReplicationFailed, write_outputs

    t0 = time.perf_counter()
    try:
        if draws:
            frames = run_over_draws(scenario_sets, draws, args.reps, args.seed, args.events, progress=_progress)
        else:
            frames = run_comparison(scenarios, args.reps, args.seed, log_events=args.events, progress=_progress)
    except ReplicationFailed as e:
        raise RunFailed(str(e)) from None
    seconds = time.perf_counter() - t0
    names = [s.name for s in scenarios]
    table = comparison_table(frames["kpis"], names, pairing(scenarios))
    print(compare_text(scenarios, table, args.reps, args.seed, len(draws)))
    runs = f"{len(draws)} draws x " if draws else ""
    print(f"\nRan {len(scenarios)} x {runs}{args.reps} replication{'s' if args.reps != 1 else ''} in {seconds:.1f} s.")
    if out is not None:
        from . import metadata
        from .charts import comparison_charts, save
        from .report import build_report

        try:
            written = write_outputs(out, frames)
            path = out / "comparison.csv"
            table[COMPARISON_COLUMNS].to_csv(path, index=False)
            written.append(path)
            if draws:
                from .uncertainty import uncertainty_table

                path = out / "uncertainty.csv"
                uncertainty_table(table, ["scenario", "cohort", "metric"]).to_csv(path, index=False)
                written.append(path)
            written += save(comparison_charts(frames, table, names), out)
            meta = metadata.base_metadata("compare", "comparison", scenarios, pairing(scenarios), names[0],
                                          args.reps, args.seed)
            meta["wall_seconds"] = round(seconds, 3)
            if draws:
                from .posterior import posterior_metadata

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
        raise UsageError(f"--posterior: needs at least 2 replications (--reps) to tell calibration uncertainty "
                         f"from randomness, got {args.reps}")
    from .posterior import PosteriorError, load_posterior

    flag = "--posterior-file" if args.posterior_file is not None else "--posterior"
    try:
        return load_posterior(args.posterior_file).draws(args.posterior, args.seed)
    except PosteriorError as e:
        raise UsageError(f"{flag}: {e}") from None
