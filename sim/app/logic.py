"""Checking a what-if by resolving it, and the scenario library, without the page.

:func:`build` checks the levers control by control (:mod:`sim.app.levers`) and then by resolving
the scenario file with :func:`sim.scenarios.scenario.load`, so every rule of the model's own checks applies,
and explains each problem next to the control it concerns; :func:`library` lists the ready-made
scenarios.  Nothing here adds model logic.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.analysis import evaluation_view
from sim.app.levers import (
    GENERAL,
    LIBRARY,
    PLACE,
    Levers,
    Settings,
    check_levers,
    check_settings,
    money,
    scenario_toml,
    sentence,
)
from sim.core import capacity_check
from sim.outcomes.costs import unit_costs
from sim.parameters.params import Params, capacity_basis, per_place
from sim.scenarios.scenario import BASELINE, RunSettings, Scenario, ScenarioError, load
from sim.scenarios.shifts import SERVICES

# --- checking by resolving ----------------------------------------------------------------------

# where a message of the model's own checks belongs on the page
_CONTROL_OF = (
    (r"shift\[\d+\]\.to", "shares"),
    (r"shift\[\d+\]", "shift_gbp"),
    (r"intervention\.mdt\.coordinators_per_100k", "mdt_extra_per_100k"),
    (r"intervention\.mdt\.caseload", "caseload"),
    (r"intervention\.mdt\.enrol_top_share", "enrol_top_percent"),
    (r"intervention\.rapid_response", "rapid_response_per_100k"),
    (r"intervention\.information_sharing", "assessment_time_change_percent"),
    (r"intervention\.community_support", "community_support_percent"),
    (r"intervention\.demography\.growth_65_74", "growth_65_74_percent"),
    (r"intervention\.demography\.growth_75_84", "growth_75_84_percent"),
    (r"intervention\.demography\.growth_85plus", "growth_85plus_percent"),
    (r"intervention\.demography|place\.", "growth_registered_percent"),
    (r"'name'", "name"),
)


def control_of(message: str) -> str:
    """The control a model error belongs to (``GENERAL`` when none)."""
    for pattern, key in _CONTROL_OF:
        if re.search(pattern, message):
            return key
    return GENERAL


def _explain(message: str) -> str:
    """A model error without the temporary file's name and the key it names (the page shows it next to the control)."""
    text = message.split(": ", 1)[1] if ": " in message else message
    return sentence(re.sub(r"^(?:[\w.\[\]]+: )+", "", text))


@dataclass
class Built:
    """A resolved what-if: the file, the scenario at the run's population (None with errors), problems."""

    toml: str
    scenario: Scenario | None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    at_place: Scenario | None = None  # the same file at its own population (250,000)
    no_mdt: str = ""  # why an MDT the levers ask for has no co-ordinator at the run's size ('' when it has one)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.errors


def load_text(text: str, settings: RunSettings | None = None, file_name: str = "what_if.toml") -> Scenario:
    """Resolve scenario text through :func:`sim.scenarios.scenario.load` (a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="caresim-app-") as d:
        path = Path(d) / file_name
        path.write_text(text, encoding="utf-8")
        s = load(path, settings)
    return replace(s, path=None)


def build(lv: Levers, settings: Settings, reference: str = BASELINE) -> Built:
    """Check the levers, write the file and resolve it at the place's own size and at the run's.

    ``reference`` is the name of the scenario compared against.
    """
    errors = check_levers(lv, reference)
    if errors:
        try:
            text = scenario_toml(lv, settings)
        except (TypeError, ValueError):
            text = ""
        return Built(text, None, errors)
    text = scenario_toml(lv, settings)
    built = Built(text, None)
    try:
        built.at_place = load_text(text)
        if not check_settings(settings):
            built.scenario = load_text(text, settings.run_settings())
    except ScenarioError as e:
        built.errors[control_of(str(e))] = _explain(str(e))
        built.scenario = None
        return built
    if built.scenario is not None:
        built.warnings = capacity_warnings(built.scenario)
        built.no_mdt = no_mdt(built.scenario)
    return built


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Levers that buy nothing at the run's population (small places round capacities to whole units).

    An MDT with no co-ordinator is said by :func:`no_mdt`, not here.
    """
    out = []
    p = scenario.params
    n = capacity_basis(p)
    for report in scenario.shifts:
        if report.source.units_moved == 0 and report.requested_gbp > 0:
            out.append(
                f"At {p.place.registered_population:,} people the amount scales to GBP "
                f"{report.source.allotted_gbp:,.0f} a year, less than one acute bed: nothing moves. "
                "Run a larger place or move more money."
            )
            continue
        idle = [
            SERVICES[t.service].units
            for t in report.targets
            if t.share > 0 and t.units_moved == 0 and not t.service.startswith(MDT_SERVICE)
        ]
        if idle:
            out.append(
                f"At {n:,} people the money buys no {', no '.join(idle)}: its share is less than one "
                "unit's price; the rest is left unspent."
            )
    return out


MDT_SERVICE = "mdt_"  # the prefix of the shift services that buy co-ordinators (sim.scenarios.shifts.SERVICES)


def wants_mdt(scenario: Scenario) -> bool:
    """The scenario asks for an MDT: the ``mdt`` intervention, or a shift that buys co-ordinators."""
    shifted = any(t.service.startswith(MDT_SERVICE) and t.share > 0 for r in scenario.shifts for t in r.targets)
    return "mdt" in scenario.interventions or shifted


def coordinators(scenario: Scenario) -> int:
    """Whole co-ordinators the MDT has at the run's size, as the model builds the team."""
    p = scenario.params
    return sum(per_place(c, capacity_basis(p)) for c in p.mdt.coordinators_per_100k)


def no_mdt(scenario: Scenario | None) -> str:
    """Why a scenario that asks for an MDT has none at this size and amount ('' when it has one or asks for none).

    A rate per 100,000 keeps at least one co-ordinator (:func:`sim.parameters.params.per_place`), so a team
    of none comes from a shift whose share for co-ordinators buys no whole post at the run's size
    (:mod:`sim.scenarios.shifts`): nobody is enrolled and the MDT's results would be empty.
    """
    if scenario is None or not wants_mdt(scenario) or coordinators(scenario) > 0:
        return ""
    n = capacity_basis(scenario.params)
    head = f"There is no MDT at {n:,} people with this amount of money: "
    lines = [t for r in scenario.shifts for t in r.targets if t.service.startswith(MDT_SERVICE) and t.share > 0]
    if lines:
        report = next(r for r in scenario.shifts if any(t in lines for t in r.targets))
        share = sum(t.share for r in scenario.shifts for t in r.targets if t in lines)
        moved = report.source.units_moved != 0  # the source's units given up are negative
        asked = sum(t.allotted_gbp for t in lines) if moved else report.requested_gbp * report.scale * share
        price = min(t.unit_price_gbp for t in lines)
        head += (
            f"the MDT's share of the money, {money(asked)} a year at this size"
            f"{', split by discipline,' if len(lines) > 1 else ','} buys no whole co-ordinator post at "
            f"{money(price)} a year each, so the team has no co-ordinator. "
        )
    else:
        head += "the team has no co-ordinator. "
    return (
        head + "Nobody is enrolled and there are no MDT results. Move more money into co-ordinators, "
        "pay for co-ordinators with new money, or run a larger place."
    )


def amount_in_words(gbp: float, scenario: Scenario | None = None) -> str:
    """The amount moved, with thousands separators, and what it scales to at the run's size (from the shift)."""
    text = f"That is {money(gbp)} a year for a place of {PLACE:,} people"
    report = scenario.shifts[0] if scenario is not None and scenario.shifts else None
    if report is not None and report.scale != 1:
        text += f"; {money(report.requested_gbp * report.scale)} a year at this run's {report.population:,} people"
    return text + "."


def acute_bed_year(p: Params | None = None) -> float:
    """What one acute bed costs a year (GBP in the price year): the price a shift takes beds out at."""
    p = p or Params()
    return SERVICES["acute_beds"].price(unit_costs(p.costs), p)


def small_place_warning(scenario: Scenario | None) -> str:
    """What ``caresim run`` and ``compare`` warn about a small place, as one message ('' when nothing is small)."""
    lines = capacity_check.capacity_warnings(scenario.params) if scenario is not None else []
    if not lines:
        return ""
    return sentence(lines[0]) + "\n" + "".join(f"\n- {line}" for line in lines[1:])


def _signed(x: float) -> str:
    """A whole number with its sign; no sign on zero."""
    x = round(x)
    return f"{x:+,}" if x else "0"


def capacity_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """What each shift moves, one row per service: whole units before and after and pounds a year, as text."""
    rows = []
    for report in scenario.shifts:
        for line in (report.source, *report.targets):
            svc = SERVICES[line.service]
            rows.append(
                {
                    "Service": svc.units[:1].upper() + svc.units[1:],
                    "Before": f"{line.units_before:,}",
                    "After": f"{line.units_before + line.units_moved:,}",
                    "Change": _signed(line.units_moved),
                    "GBP a year": _signed(line.gbp_per_year),
                }
            )
        for what, gbp in (
            (f"Cashable after {report.lag_months:g} months ({report.wards_closed:,} whole wards)", report.cashable_gbp),
            ("Not cashable (part wards, fixed overheads)", report.non_cashable_gbp),
        ):
            rows.append({"Service": what, "Before": "", "After": "", "Change": "", "GBP a year": f"{gbp:,.0f}"})
        rows.append(
            {
                "Service": "Left unspent (the remainder)",
                "Before": "",
                "After": "",
                "Change": "",
                "GBP a year": f"{report.remainder_gbp:,.0f}",
            }
        )
    return rows


def evaluation_markdown(comparison, name: str) -> str:
    """The MDT's true effect, an evaluation's estimate and its bias, as a Markdown table ('' when the run
    emulated no evaluation of ``name``): :mod:`sim.analysis.evaluation_view`."""
    rows = evaluation_view.rows_in_words(evaluation_view.evaluation_table(comparison), name)
    if not rows:
        return ""
    head = evaluation_view.HEAD[:-1] + ["Bias"]
    lines = [head, ["---"] + ["---:"] * (len(head) - 1), *rows]
    return "\n".join("| " + " | ".join(r) + " |" for r in lines)


@dataclass(frozen=True)
class WhoPays:
    """The panel "Who pays and who saves": what the change of total cost is made of, each organisation's change a
    year in a small table, and the words ``caresim compare`` prints (empty when the run has no ledger)."""

    split: list[str]
    rows: list[dict[str, str]]
    words: list[str]

    def markdown(self) -> str:
        """The table as Markdown (the figures right-aligned), as the page shows it."""
        if not self.rows:
            return ""
        head = list(self.rows[0])
        align = ["---:" if h in ("GBP a year", "95% interval") else "---" for h in head]
        lines = [head, align, *([r[h] for h in head] for r in self.rows)]
        return "\n".join("| " + " | ".join(r) + " |" for r in lines)


def who_pays(folder: Path, comparison, name: str) -> WhoPays:
    """The panel for scenario ``name`` of a results folder: from its ``ledger.csv`` (else from ``comparison``), its
    window and its shifts' unspent remainder in ``metadata.json`` (:mod:`sim.reports.ledger_words`)."""
    import numpy as np
    import pandas as pd

    from sim.analysis.ledger import ledger_table
    from sim.outcomes.registry import ORGANISATION_NAMES
    from sim.reports import metadata
    from sim.reports.ledger_words import any_unstable, cost_split_lines, ledger_lines, rows_of
    from sim.reports.sections import LEDGER_VIEWS, shift_remainder
    from sim.reports.text import is_clear, same_every_time, window_years

    path = Path(folder) / "ledger.csv"
    ledger = pd.read_csv(path) if path.is_file() else ledger_table(comparison)
    ledger = ledger[ledger["scenario"] == name]
    meta = metadata.read(Path(folder)) or {}
    days = meta.get("horizon_days")
    if not len(ledger) or not isinstance(days, (int, float)) or isinstance(days, bool) or days <= 0:
        return WhoPays([], [], [])
    years = window_years(float(days))
    entry = next((s for s in meta.get("scenarios") or [] if isinstance(s, dict) and s.get("name") == name), {})
    overloaded = any_unstable(rows_of(comparison, name))
    rows = []
    for r in ledger.itertuples(index=False):
        d, lo, hi = (x / years for x in (r.diff_mean, r.diff_ci_low, r.diff_ci_high))
        clear = "yes" if is_clear(r) and not overloaded else "no"
        if same_every_time(r):
            clear = "the same in every replication"
        rows.append(
            {
                "Organisation": ORGANISATION_NAMES.get(r.organisation, r.organisation),
                "View": LEDGER_VIEWS.get(r.view, r.view),
                "Who": "saves" if d < 0 else "pays more" if d > 0 else "no change",
                "GBP a year": _signed(d),
                "95% interval": f"{_signed(lo)} to {_signed(hi)}" if np.isfinite([lo, hi]).all() else "n=1: none",
                "Clear change": clear,
            }
        )
    split = cost_split_lines(comparison, name, years, shift_remainder(entry))
    return WhoPays(split, rows, ledger_lines(ledger, name, years, overloaded))


# --- the scenario library -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    description: str


def library(folder: Path | None = None) -> list[Entry]:
    """The scenario files of the library (the built-in baseline's file aside), by name."""
    folder = Path(folder or os.environ.get("CARESIM_APP_SCENARIOS") or LIBRARY)
    out = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            s = load(path)
        except ScenarioError:
            continue
        if s.name == BASELINE:
            continue
        out.append(Entry(s.name, path, " ".join(s.description.split())))
    return out
