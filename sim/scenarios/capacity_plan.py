"""Capacity plans by year: a service grows or shrinks from the start of a year of the statistics window.

A scenario plans capacity with ``[[capacity_plan]]`` entries::

    [[capacity_plan]]
    year = 3                 # from the start of the window's 3rd year (1 is the first: at the launch)
    service = "home_care"    # a capacitated service: the keys of sim.core.model.capacities
    change = 0.20            # 20% more than the scenario has without its plan (-0.1: 10% fewer)
    ramp_up_months = 6       # optional: months to reach it, in monthly steps (default 0: at once)

``change`` is relative to the service's level in the scenario without any plan (after its
interventions and shifts, in full effect), so a plan reads the same whatever the place's size, and
changes of several entries for one service add up (+10% in year 3 and +10% in year 5 are +20% of
today's level from year 5).  The level is per 100,000 registered people, like every capacity; the
model holds it in whole units, and a ramp-up moves it a whole unit at a time as the model builds it
(``sim/core/schedule.py``).  A cut takes effect as units are released.

Each service is one parameter of the tree (:data:`SERVICES`); a plan sets it to the level it reaches
(so the scenario's parameters hold the plan in full effect) and records the change over time
(:mod:`sim.parameters.timeline`), so years before the plan run exactly as the scenario without it.
Capacity-funded services cost what they hold for as long as they hold it (``sim/outcomes/costs.py``);
home care and care homes are paid per use.
"""

from __future__ import annotations

import math
from typing import Any

from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides, closest
from sim.scenarios import timing

PLAN_KEYS = ("year", "service", "change", "ramp_up_months")
REQUIRED = ("year", "service", "change")
SERVICES: dict[str, str] = {
    "core_beds": "acute.beds_per_100k",
    "ring_fenced_beds": "acute.ring_fenced_beds_per_100k",
    "escalation_beds": "acute.escalation_beds_per_100k",
    "social_workers": "social_care.social_workers_per_100k",
    "home_care": "social_care.home_care_packages_per_100k",
    "reablement": "social_care.reablement_places_per_100k",
    "intermediate_care": "social_care.intermediate_care_beds_per_100k",
    "care_homes": "social_care.care_home_places_per_100k",
    "rapid_response": "community.rapid_response_per_100k",
    "gp_slots": "routing.gp_urgent_slots_per_100k_per_day",
    "outpatient_slots": "elective.outpatient_slots_per_100k_per_day",
}
"""The capacitated services a plan may change (the keys of ``sim.core.model.capacities``) and the parameter
that sets each, per 100,000 registered people."""
MAX_CHANGE = 100.0
"""A plan at most multiplies a service by 101 (``change`` 100); the parameter's own bound refuses more."""


def _get(p: Params, key: str) -> float:
    group, name = key.split(".")
    return float(getattr(getattr(p, group), name))


def _service(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{where}: expected a service name in quotes ({', '.join(SERVICES)}), got {value!r}")
    if value in SERVICES:
        return value
    guess = closest(value, list(SERVICES))
    hint = f"did you mean '{guess}'?" if guess else f"services: {', '.join(SERVICES)}"
    raise ParameterError(f"{where}: unknown service '{value}'; {hint}")


def _change(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{where}: expected a relative change such as 0.2 (20% more) or -0.1, got {value!r}")
    if not -1 <= value <= MAX_CHANGE:
        raise ParameterError(f"{where}: must be from -1 (the whole service closed) to {MAX_CHANGE:g}, got {value!r}")
    return float(value)


def parse(entry: Any, number: int) -> tuple[str, timing.Timing, float]:
    """Check one ``[[capacity_plan]]`` entry (``number`` counts from 1): its service, timing and change."""
    where = f"capacity_plan[{number}]"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a table with year, service and change, got {entry!r}")
    for key in entry:
        if key not in PLAN_KEYS:
            guess = closest(key, list(PLAN_KEYS))
            hint = f"did you mean '{where}.{guess}'?" if guess else f"valid keys: {', '.join(PLAN_KEYS)}"
            raise ParameterError(f"unknown key '{where}.{key}'; {hint}")
    for key in REQUIRED:
        if key not in entry:
            raise ParameterError(f"{where}: missing '{key}' (a capacity plan needs year, service and change)")
    year = timing.year(entry["year"], f"{where}.year")
    service = _service(entry["service"], f"{where}.service")
    change = _change(entry["change"], f"{where}.change")
    ramp = timing.months(entry.get("ramp_up_months", 0), f"{where}.ramp_up_months")
    return service, timing.Timing(ramp_up_months=ramp, start_year=year), change


def apply(entries: Any, params: Params) -> tuple[Params, dict[str, Any]]:
    """Apply a scenario's ``[[capacity_plan]]`` entries, earliest year first; return parameters and overrides."""
    if isinstance(entries, dict):
        entries = [entries]  # a single [capacity_plan] table
    if not isinstance(entries, list):
        raise ParameterError(f"capacity_plan: expected [[capacity_plan]] entries, got {entries!r}")
    plans = [(i, *parse(entry, i)) for i, entry in enumerate(entries, start=1)]
    levels = {service: _get(params, SERVICES[service]) for _, service, _, _ in plans}  # before any plan
    overrides: dict[str, Any] = {}
    for i, service, when, change in sorted(plans, key=lambda plan: plan[2].start_year):
        where = f"capacity_plan[{i}]"
        key = SERVICES[service]
        if levels[service] == 0 and change != 0:
            raise ParameterError(
                f"{where}.change: {service} is 0 in this scenario ({key}), so a relative change adds nothing; "
                f"set [{key.split('.')[0]}] {key.split('.')[1]} instead"
            )
        group, name = key.split(".")
        value = _get(params, key) + levels[service] * change
        if -1e-9 * levels[service] < value < 0:
            value = 0.0  # cuts that close the whole service, not a rounding error below it
        ov = {group: {name: value}}
        try:
            after = apply_overrides(params, ov)
        except ParameterError as e:
            raise ParameterError(f"{where}: {e}") from None
        params = timing.record(params, after, when, where)
        overrides.setdefault(group, {})[name] = ov[group][name]
    return params, overrides
