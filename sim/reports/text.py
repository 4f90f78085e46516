"""The plain-words text of a scenario and of a comparison, shared by the terminal, the page and the report.

:func:`validate_text` says how a scenario differs from the built-in baseline (``caresim validate``);
:func:`compare_text` prints a comparison's main changes with their intervals (``caresim compare``);
:func:`cells` and :func:`number` format one row of ``comparison.csv`` for any of them;
:func:`overload_lines` says which queue of an overloaded run grew (:mod:`sim.analysis.stability`), and where
a comparison is ``unstable`` no change is called clear: it reflects the gridlock, not an effect.  A change identical
in every replication (:func:`same_every_time`) has no interval to speak of and is called "the same in every
replication", never clear.
:func:`is_clear` is the one rule for a clear change and :func:`clear_sentences` the one list of them, shared by
``caresim compare`` and the report's "What changed".

Counts, days, hours and costs are totals over the statistics window: :func:`period_words` says so with the
window's length and :func:`a_year` divides a total by the window's years, for reading beside annual statistics.
Money is shown in whole pounds with thousands separators (:func:`number`), never in rounded millions.
"""

from __future__ import annotations

import math
import textwrap
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sim import __version__
from sim.analysis import evaluation_view
from sim.analysis.stability import GRIDLOCK_WORDS, overload_sentence
from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import registry
from sim.parameters.params import NEEDS, Params, capacity_basis, per_place
from sim.parameters.timeline import after_the_window, change_lines
from sim.parameters.tree import walk
from sim.reports.stress_des import described
from sim.scenarios.interventions import DISCIPLINES
from sim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

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
    out = [
        f"Shifts (GBP a year at {year}/{(year + 1) % 100:02d} prices). Beds, places, posts and teams cost what they "
        "hold, used or not, so a shift between them changes the capacity cost only by its remainder. Released "
        "is not saved: acute beds are cashed only in whole wards, a share of their cost, after a lag; what is not "
        "cashed stays a cost of the acute trust (cost_stranded_gbp, docs/costs.md)."
    ]
    if any(t.service == "home_care_packages" and t.units_moved for r in scenario.shifts for t in r.targets):
        out.append(
            "Home care is paid per hour used: money moved into home care packages leaves the capacity cost "
            "and shows up in the activity cost as far as the packages are used."
        )
    return out


def validate_text(scenario: Scenario) -> str:
    """What ``caresim validate`` prints."""
    p = scenario.params
    where = scenario.path.as_posix() if scenario.path else "the built-in baseline"
    out = [f"caresim {__version__}: {where} is a valid scenario: '{scenario.name}'."]
    if scenario.description:
        out += textwrap.wrap(" ".join(scenario.description.split()), 100, initial_indent="  ", subsequent_indent="  ")
    out.append(
        f"  {p.place.registered_population:,} registered people; capacities per 100,000 are applied to "
        f"{capacity_basis(p):,}{' (pinned)' if p.place.capacity_population else ''}."
    )
    if scenario.interventions:
        out.append(f"  Interventions: {', '.join(scenario.interventions)} (see sim/scenarios/interventions.py).")
    rows = differences(Params(), p)
    out.append("")
    if not rows:
        out.append("No differences from the built-in baseline: this scenario runs as the baseline.")
    else:
        out.append(f"Differences from the built-in baseline ({len(rows)}):")
        out += [
            "  " + line
            for line in _columns(
                ["parameter", "baseline", "this scenario", "unit"], [list(r) for r in rows], right=(1, 2)
            )
        ]
    timed = change_lines(p)
    if timed:
        out += ["", f"Changes over time ({len(timed)}; the table above holds them in full effect, docs/time.md):"]
        out += ["  " + line for line in timed]
        out += ["  note: " + line for line in after_the_window(p)]
    if scenario.shifts:
        out += [""] + shift_notes(scenario)
        for report in scenario.shifts:
            out += ["  " + line for line in report.lines()]
    return "\n".join(out)


# --- compare ----------------------------------------------------------------------------------


def number(v: float, cost: bool = False, sign: bool = False) -> str:
    """A figure with three significant digits or more; a cost in whole pounds ('29,318,512', not '29.32m')."""
    if not math.isfinite(v):
        return "n/a"
    plus = "+" if sign and v > 0 else ""
    a = abs(v)
    if cost:
        return f"{plus}{v:,.0f}" if round(v) else "0"
    decimals = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    if a == 0:
        decimals = 0
    return f"{plus}{v:,.{decimals}f}"


SAME = "the same in every replication"


def window_years(horizon_days: float) -> float:
    """The statistics window's length in years (of 365.25 days, as person-years are counted)."""
    return horizon_days / DAYS_PER_YEAR


def period_words(horizon_days: float) -> str:
    """The period of a table's totals: 'totals over the 2-year statistics window (730 days)'."""
    return f"totals over the {window_years(horizon_days):.3g}-year statistics window ({horizon_days:,.0f} days)"


def period_note(horizon_days: float, a_year: str = "'a year'") -> str:
    """What a table's figures cover, and how its column ``a_year`` is made from them."""
    return (
        f"Counts, days, hours and costs are {period_words(horizon_days)}; means and shares are over the same "
        f"window; {a_year} is a total divided by the window's {window_years(horizon_days):.3g} years, to read "
        "beside annual statistics."
    )


def a_year(metric: str, total: float, horizon_days: float, sign: bool = False) -> str:
    """A total over the window as a rate a year ('' for a level, which has no rate)."""
    if not registry.per_year(metric) or not horizon_days > 0:
        return ""
    return number(total / window_years(horizon_days), registry.is_cost(metric), sign)


def same_every_time(r) -> bool:
    """Whether a change (a row with ``diff_ci_low``, ``diff_ci_high``) was identical in every replication.

    Its interval then has zero width: chance played no part (a capacity moved by a shift, say), so the
    change is called the same in every replication rather than clear.
    """
    lo, hi = r.diff_ci_low, r.diff_ci_high
    return math.isfinite(lo) and math.isfinite(hi) and lo == hi


def cells(metric: str, r) -> tuple[str, str, str, str]:
    """Reference, scenario, change [CI] and % change [CI], in words and figures.

    A change identical in every replication shows no interval but says so.
    """
    if not (math.isfinite(r.reference_mean) and math.isfinite(r.scenario_mean)):
        return (number(r.reference_mean), number(r.scenario_mean), "n/a", "n/a")
    same = same_every_time(r)
    if registry.is_share(metric):
        ref, sc = f"{100 * r.reference_mean:.1f}%", f"{100 * r.scenario_mean:.1f}%"
        d, lo, hi = (100 * x for x in (r.diff_mean, r.diff_ci_low, r.diff_ci_high))
        change = f"{d:+.1f} pp" + (f" [{lo:+.1f}, {hi:+.1f}]" if math.isfinite(lo) and not same else "")
    else:
        cost = registry.is_cost(metric)
        ref, sc = number(r.reference_mean, cost), number(r.scenario_mean, cost)
        change = number(r.diff_mean, cost, True)
        if math.isfinite(r.diff_ci_low) and not same:
            change += f" [{number(r.diff_ci_low, cost, True)}, {number(r.diff_ci_high, cost, True)}]"
    if same:
        change += f" ({SAME.removeprefix('the ')})"
    if math.isfinite(r.pct_change):
        pct = f"{r.pct_change:+.1f}%"
        if math.isfinite(r.pct_ci_low) and r.pct_ci_low != r.pct_ci_high:
            pct += f" [{r.pct_ci_low:+.1f}, {r.pct_ci_high:+.1f}]"
    else:
        pct = "n/a"
    return ref, sc, change, pct


CLEAR_TITLE = "Clear changes (the 95% interval excludes no change)"


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def is_clear(r) -> bool:
    """Whether a change is clear: its 95% interval excludes no change.

    Not where the interval is undefined (one replication), has no width (:func:`same_every_time`), or either
    run is overloaded (``unstable``: the change then reflects the gridlock).  The terminal's list of clear
    changes and the report's "What changed" both use this rule.
    """
    if flagged(getattr(r, registry.UNSTABLE, False)):
        return False
    if not (_finite(r.diff_mean) and _finite(r.diff_ci_low) and _finite(r.diff_ci_high)) or same_every_time(r):
        return False
    return r.diff_ci_low > 0 or r.diff_ci_high < 0


def main_changes(by_metric: dict) -> list:
    """The rows of the main measures (:data:`registry.COMPARISON_MAIN`, in its order) among ``by_metric``
    (metric -> row): the measures whose clear changes ``caresim compare`` and the report list."""
    return [by_metric[m] for m in registry.COMPARISON_MAIN if m in by_metric]


def clear_sentences(rows) -> list[str]:
    """The clear changes (:func:`is_clear`) among ``rows`` (rows of ``comparison.csv``), one sentence each."""
    out = []
    for r in rows:
        if not is_clear(r):
            continue
        verb = "rose" if r.diff_mean > 0 else "fell"
        label = registry.label(r.metric)
        if registry.is_share(r.metric):
            size = (
                f"{abs(100 * r.diff_mean):.1f} percentage points "
                f"(95% interval {100 * r.diff_ci_low:+.1f} to {100 * r.diff_ci_high:+.1f})"
            )
        elif _finite(r.pct_change) and (r.pct_ci_low > 0 or r.pct_ci_high < 0):  # the per cent interval agrees
            size = f"{abs(r.pct_change):.1f}% (95% interval {r.pct_ci_low:+.1f}% to {r.pct_ci_high:+.1f}%)"
        else:
            cost = registry.is_cost(r.metric)
            size = (
                f"{number(abs(r.diff_mean), cost)} (95% interval {number(r.diff_ci_low, cost, True)} to "
                f"{number(r.diff_ci_high, cost, True)})"
            )
        out.append(f"{label} {verb} by {size}.")
    return out


def same_sentences(rows) -> list[str]:
    """The changes identical in every replication (and not zero), in words: never called clear."""
    out = []
    for r in rows:
        if not same_every_time(r) or r.diff_mean == 0:
            continue
        verb = "rose" if r.diff_mean > 0 else "fell"
        label = registry.label(r.metric)
        if registry.is_share(r.metric):
            size = f"{abs(100 * r.diff_mean):.1f} percentage points"
        else:
            size = number(abs(r.diff_mean), registry.is_cost(r.metric))
            if math.isfinite(r.pct_change):
                size += f" ({abs(r.pct_change):.1f}%)"
        out.append(f"{label} {verb} by {size}, {SAME}.")
    return out


def flagged(value) -> bool:
    """An ``unstable`` cell as read back: true for True, 'true' or 1; false for False, NA or a missing cell."""
    return str(value).strip().lower() in ("true", "1", "1.0")


def unstable(rows: pd.DataFrame) -> bool:
    """Whether any of these rows of ``comparison.csv`` or ``summary.csv`` is marked ``unstable``."""
    return registry.UNSTABLE in rows.columns and any(flagged(v) for v in rows[registry.UNSTABLE])


def overload_lines(overloads: pd.DataFrame | None, scenario: str, grid=None, indent: str = "  ") -> list[str]:
    """An overloaded scenario's queues in words, wrapped for the terminal; none when it is stable."""
    text = "" if overloads is None else overload_sentence(overloads, scenario, grid)
    return textwrap.wrap("Warning: " + text, 100, initial_indent=indent, subsequent_indent=indent) if text else []


def gridlock_lines(indent: str) -> list[str]:
    """Why no change of an overloaded comparison is called clear, wrapped for the terminal."""
    text = f"No change is called clear: {GRIDLOCK_WORDS}."
    return textwrap.wrap(text, 100, initial_indent=indent, subsequent_indent=indent)


def _dominant(r) -> str:
    """Which part of a change's variance is the larger, with its share (runs over posterior draws)."""
    share = r.diff_calibration_share
    if r.diff_dominant == "none":
        return "none"
    if not math.isfinite(share):
        return "n/a"
    return (
        f"calibration {100 * share:.0f}%"
        if r.diff_dominant == "calibration"
        else f"randomness {100 * (1 - share):.0f}%"
    )


def compare_text(
    scenarios: list[Scenario], comparison, reps: int, seed: int, draws: int = 0, overloads: pd.DataFrame | None = None
) -> str:
    """What ``caresim compare`` prints: the setting, what each scenario changes, and the main changes.

    ``draws``: the number of posterior draws run (0 without ``--posterior``).  ``overloads``: the
    per-scenario table of :func:`sim.analysis.stability.check`, which names the queues of an overloaded run.
    """
    ref = scenarios[0]
    p = ref.params
    each = f"{draws} posterior draws x " if draws else ""
    out = [
        f"caresim {__version__}: {len(scenarios)} scenarios compared with '{ref.name}'",
        f"  {each}{reps} replication{'s' if reps != 1 else ''} each, seed {seed}, "
        f"{p.place.registered_population:,} registered people in '{ref.name}', "
        f"{p.time.horizon_days:g} days after a {p.time.warmup_days:g}-day warm-up.",
        "  Common random numbers: replication r of every scenario draws the same random numbers, person by person.",
    ]
    if reps == 1:
        out.append("  n=1: one replication, so changes are shown without confidence intervals.")
    elif draws:
        out.append(
            "  Changes are means over posterior draws and replications with [95% intervals] that carry both "
            "calibration uncertainty (between draws) and randomness (between replications); the last column "
            "says which part of the variance is the larger (more replications narrow only the randomness). "
            "pp = percentage points; costs in GBP."
        )
    else:
        out.append(
            "  Changes are means over replications with [95% confidence intervals]; pp = percentage points; "
            "costs in GBP."
        )
    horizon = p.time.horizon_days
    out += textwrap.wrap(period_note(horizon, "'change a year'"), 100, initial_indent="  ", subsequent_indent="  ")
    for s in scenarios[1:]:
        out += ["", f"'{s.name}'" + (f" ({s.path.as_posix()})" if s.path else "")]
        if s.description:
            words = described(s.description, s.params.place.registered_population)
            out += textwrap.wrap(words, 100, initial_indent="  ", subsequent_indent="  ")
        for report in s.shifts:
            out += ["  " + line for line in report.lines()]
        rows = comparison[comparison["scenario"] == s.name]
        gridlock = unstable(rows)
        if gridlock:
            out += overload_lines(overloads, ref.name) + overload_lines(overloads, s.name)
        paired = bool(rows["paired"].iloc[0]) if len(rows) else True
        if not paired:
            out.append(
                f"  Unpaired: '{s.name}' simulates a different population from '{ref.name}' "
                f"({s.params.place.registered_population:,} registered), so its intervals are Welch's "
                "(independent samples), not paired, and there is no same-people MDT comparison."
            )
        for cohort, title in (
            ("all", "everyone in the simulated cohort"),
            (
                "mdt",
                f"the people enrolled in an MDT in '{s.name}', against the same people "
                f"in '{ref.name}' from their enrolment date",
            ),
        ):
            c = {r.metric: r for r in rows[rows["cohort"] == cohort].itertuples(index=False)}
            metrics = [r.metric for r in main_changes(c)]
            if not metrics:
                continue
            out += ["", f"  {s.name} against {ref.name}: {title}"]
            table = []
            for m in metrics:
                ref_cell, sc_cell, change, pct = cells(m, c[m])
                yearly = a_year(m, c[m].diff_mean, horizon, sign=True)
                table.append(
                    [registry.long_label(m), ref_cell, sc_cell, change, yearly, pct]
                    + ([_dominant(c[m])] if draws else [])
                )
            head = [
                "measure",
                ref.name,
                s.name,
                "change [95% CI]" if reps > 1 else "change (n=1)",
                "change a year",
                "% change [95% CI]" if reps > 1 else "% change (n=1)",
            ] + (["dominant part"] if draws else [])
            out += ["    " + line for line in _columns(head + [""], [t + [""] for t in table], right=(1, 2, 3, 4, 5))]
            said, same = clear_sentences([c[m] for m in metrics]), same_sentences([c[m] for m in metrics])
            if gridlock:
                out += gridlock_lines("    ")
            elif reps > 1:
                if said:
                    out += [f"    {CLEAR_TITLE}:"] + ["      " + x for x in said]
                if same:
                    out += [f"    Changes {SAME} (no spread, so no interval):"] + ["      " + x for x in same]
                if not said:
                    other = "other " if same else ""
                    out.append(
                        f"    No {other}main measure changed clearly: every {other}95% interval includes no change."
                    )
            if draws and reps > 1 and (sentence := _dominance_sentence([c[m] for m in metrics])):
                out.append("    " + sentence)
        out += evaluation_lines(comparison, s.name)
    return "\n".join(out)


def evaluation_lines(comparison, scenario: str) -> list[str]:
    """The true effect, the evaluation's estimate and the bias of one MDT scenario, for the terminal (none
    without its cohort ``matched:X``); :mod:`sim.analysis.evaluation_view`."""
    rows = evaluation_view.rows_in_words(evaluation_view.evaluation_table(comparison), scenario)
    if not rows:
        return []
    head = [h[:1].lower() + h[1:] for h in evaluation_view.HEAD[:-1]] + ["bias"]
    note = (
        "True effect: the same people with and without the team; estimate: the enrolled people against matched "
        "controls, as an evaluation reports it; bias: the estimate less the true effect (no interval here: "
        "the report gives one). See docs/evaluation.md."
    )
    out = ["", f"  {scenario}: what an evaluation against matched controls would have seen"]
    out += ["    " + line for line in _columns(head + [""], [r + [""] for r in rows], right=(1, 2, 3))]
    return out + textwrap.wrap(note, 100, initial_indent="    ", subsequent_indent="    ")


def _dominance_sentence(rows) -> str:
    """Which source dominates the intervals of these measures, in words ('' when none has any spread)."""
    parts = [r.diff_dominant for r in rows]
    calibration, randomness = parts.count("calibration"), parts.count("randomness")
    if calibration + randomness == 0:
        return ""
    return (
        f"Of these {calibration + randomness} intervals with any spread, calibration uncertainty dominates "
        f"{calibration} (better evidence on the calibrated parameters would narrow them) and randomness "
        f"{randomness} (more replications would)."
    )


def experiment_text(
    summary: pd.DataFrame,
    reference: str,
    reps: int,
    overloads: pd.DataFrame | None = None,
    horizon_days: float | None = None,
) -> str:
    """The headline changes of an experiment against its reference, for everyone in the simulated cohort.

    What ``caresim experiment`` prints at the end, from its ``summary.csv``; the file and ``report.html``
    hold every metric and cohort.  Where a comparison is ``unstable``, the overloaded queues follow its table
    (``overloads``: :func:`sim.analysis.stability.check` of the experiment's time series).  With the
    reference's ``horizon_days`` the table says its period and shows each change a year.
    """
    everyone = summary[(summary["cohort"] == "all") & summary["metric"].isin(registry.HEADLINE)]
    refs = {(r.metric, _grid(r.grid)): r.mean for r in everyone[everyone["scenario"] == reference].itertuples()}
    out = [
        f"Headline changes against '{reference}', everyone in the simulated cohort: means over {reps} "
        f"replication{'s' if reps != 1 else ''}"
        + (" with [95% intervals]" if reps > 1 else " (n=1: no intervals)")
        + "; costs in GBP."
    ]
    if horizon_days:
        out += textwrap.wrap(period_note(horizon_days, "'change a year'"), 100)
    else:
        out.append("Counts, days, hours and costs are totals over the statistics window.")
    for (name, grid), rows in everyone[everyone["scenario"] != reference].groupby(
        ["scenario", "grid"], sort=False, dropna=False
    ):
        by_metric = {r.metric: r for r in rows.itertuples()}
        table = []
        for m in (m for m in registry.HEADLINE if m in by_metric):
            r = by_metric[m]
            ref = refs.get((m, _grid(grid)), refs.get((m, None), math.nan))
            row = SimpleNamespace(
                reference_mean=ref,
                scenario_mean=r.mean,
                diff_mean=r.diff_mean,
                diff_ci_low=r.diff_ci_low,
                diff_ci_high=r.diff_ci_high,
                pct_change=r.pct_change,
                pct_ci_low=r.pct_ci_low,
                pct_ci_high=r.pct_ci_high,
            )
            ref_cell, sc_cell, change, pct = cells(m, row)
            yearly = [a_year(m, r.diff_mean, horizon_days, sign=True)] if horizon_days else []
            table.append([registry.long_label(m), ref_cell, sc_cell, change, *yearly, pct, ""])
        shown = name if _grid(grid) is None else f"{name} at grid value {grid:g}"
        head = [
            "measure",
            reference,
            shown,
            "change [95% CI]" if reps > 1 else "change (n=1)",
            *(["change a year"] if horizon_days else []),
            "% change [95% CI]" if reps > 1 else "% change (n=1)",
            "",
        ]
        out += [""] + ["  " + line for line in _columns(head, table, right=tuple(range(1, len(head) - 1)))]
        if unstable(rows):
            out += overload_lines(overloads, reference, grid) + overload_lines(overloads, name, grid)
            out += gridlock_lines("  ")
    return "\n".join(out)


def _grid(value: float | None) -> float | None:
    """A grid point as a dictionary key: None for no grid (NaN in the tables)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
