"""When an intervention or a shift takes effect: a ramp-up after the launch, and a decay when funding stops.

Every ``[intervention.X]`` table and every ``[[shift]]`` entry may say::

    ramp_up_months = 6        # months from the launch to full effect (default 0: full effect at once)
    funding_stops_year = 4    # funding stops at the start of the window's 4th year (default: never)
    decay_months = 12         # months from then back to the values before (default 0: at once)

The change's numbers then move from the values before it to the scenario's over the ramp-up, in
monthly steps (``sim/core/schedule.py``), and back over the decay; a capacity moves in whole units, a
flag (a single point of access, care navigators) switches when the change is half in effect.  The
model takes each step up as a new launch with the parameters in force (``sim.core.model.Model.launch``).
Without these keys, or with ``ramp_up_months = 0`` and no ``funding_stops_year``, nothing is recorded
and the scenario runs exactly as before.

Two kinds of setting are not moved in steps.  The MDT's teams are set up at the launch: its
``ramp_up_months`` sets its own ramp-up of the crisis effect, ``mdt.ramp_up_days`` (in days of a
twelfth of a year), and it cannot stop during a run; a shift's money moved into MDT co-ordinators
buys posts in post from the launch.  A demographic intervention changes who lives in the place, which
is fixed when a run is built: it takes no timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.core.population import DAYS_PER_YEAR
from sim.core.schedule import MONTH_DAYS
from sim.parameters.params import Params
from sim.parameters.timeline import Change, changes_of, with_changes
from sim.parameters.tree import ParameterError, walk

TIMING_KEYS = ("ramp_up_months", "funding_stops_year", "decay_months")
MAX_MONTHS = 120.0
"""A ramp-up or decay of at most ten years: the longest what-if this tool is asked (ten-year plans)."""
MAX_YEAR = 100
"""The window's hundredth year at most: a horizon is at most 36,500 days (``time.horizon_days``)."""
# who lives in the place (and how it is projected to change) and how long a run is: fixed when a run is built
FIXED_AT_BUILD = ("place", "time", "people", "projection", "deprivation")
OWN_RAMP = ("mdt",)  # groups with a ramp-up of their own (the MDT's teams: mdt.ramp_up_days)


@dataclass(frozen=True)
class Timing:
    """A change's timing: ramp-up, the year funding stops (None: never) and the decay after it."""

    ramp_up_months: float = 0.0
    funding_stops_year: int | None = None
    decay_months: float = 0.0
    start_year: int = 1  # the window's year the change starts in (a capacity plan's year; 1: at the launch)

    @property
    def at_once(self) -> bool:
        """Full effect from the start, for good: the change needs no record over time."""
        return self.start_year == 1 and self.ramp_up_months == 0 and self.funding_stops_year is None

    def change(self, label: str, values: tuple[tuple[str, Any, Any], ...]) -> Change:
        start = (self.start_year - 1) * DAYS_PER_YEAR
        stop = None if self.funding_stops_year is None else (self.funding_stops_year - 1) * DAYS_PER_YEAR
        return Change(label, values, start, self.ramp_up_months * MONTH_DAYS, stop, self.decay_months * MONTH_DAYS)


def months(value: Any, where: str) -> float:
    """A number of months from 0 to :data:`MAX_MONTHS`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{where}: expected a number of months, got {value!r}")
    if not 0 <= value <= MAX_MONTHS:
        raise ParameterError(f"{where}: must be from 0 to {MAX_MONTHS:g} months (ten years), got {value!r}")
    return float(value)


def year(value: Any, where: str, first: int = 1) -> int:
    """A year of the statistics window, ``first`` to :data:`MAX_YEAR` (1 is the window's first year)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(
            f"{where}: expected a whole number of a year of the window (1 is the first), got {value!r}"
        )
    if not first <= value <= MAX_YEAR:
        raise ParameterError(f"{where}: must be a year of the window from {first} to {MAX_YEAR}, got {value!r}")
    return value


def read(table: dict[str, Any], where: str) -> Timing:
    """The timing keys of an intervention's table or a shift's entry (the rest is not looked at)."""
    ramp = months(table.get("ramp_up_months", 0), f"{where}.ramp_up_months")
    decay = months(table.get("decay_months", 0), f"{where}.decay_months")
    stop = None
    if "funding_stops_year" in table:
        stop = year(table["funding_stops_year"], f"{where}.funding_stops_year", first=2)
        if (stop - 1) * DAYS_PER_YEAR < ramp * MONTH_DAYS:
            raise ParameterError(
                f"{where}.funding_stops_year: funding stops at the start of year {stop}, before the "
                f"{ramp:g}-month ramp-up ends; stop later or ramp up faster"
            )
    elif "decay_months" in table:
        raise ParameterError(f"{where}.decay_months: needs funding_stops_year (the year the decay starts)")
    return Timing(ramp, stop, decay)


def for_intervention(name: str, table: dict[str, Any], overrides: dict[str, Any]) -> tuple[dict[str, Any], Timing]:
    """An intervention's overrides and timing; the MDT's ramp-up becomes its own ``mdt.ramp_up_days``."""
    where = f"intervention.{name}"
    given = [k for k in TIMING_KEYS if k in table]
    if name == "demography" and given:
        raise ParameterError(
            f"{where}.{given[0]}: a population does not ramp up or stop; who lives in the place is fixed "
            "when a run is built"
        )
    when = read(table, where)
    if name == "mdt":
        if when.funding_stops_year is not None:
            raise ParameterError(
                f"{where}.funding_stops_year: the MDT's teams are set up at the launch and cannot stop during "
                "a run; compare a shorter horizon instead"
            )
        if "ramp_up_months" in table:
            overrides = {
                **overrides,
                "mdt": {**overrides.get("mdt", {}), "ramp_up_days": when.ramp_up_months * MONTH_DAYS},
            }
        return overrides, Timing()
    return overrides, when


def _movable(key: str, value: Any) -> bool:
    group = key.split(".", 1)[0]
    return group not in FIXED_AT_BUILD + OWN_RAMP and isinstance(value, (int, float))


def record(before: Params, after: Params, when: Timing, label: str) -> Params:
    """``after`` (``before`` with a change applied), with the change recorded over time where it takes time.

    A change at once for good is recorded only for parameters an earlier change already moves over
    time, so that their values in force stay exact (``sim/core/schedule.py``); anything else it sets is
    in force from the launch, as without timing.
    """
    earlier = changes_of(before)
    timed = {key for c in earlier for key, _, _ in c.values}
    moved = tuple(
        (key, v0, v1)
        for (key, v0, _), (_, v1, _) in zip(walk(before), walk(after))
        if v0 != v1 and key != "changes" and _movable(key, v1) and (not when.at_once or key in timed)
    )
    if not moved:
        return after
    return with_changes(after, changes_of(after) + (when.change(label, moved),))


def keep_set(params: Params, own: dict[str, Any]) -> Params:
    """A file's own parameter values hold from the warm-up: no change inherited from its parent moves them."""
    earlier = changes_of(params)
    if not earlier:
        return params
    mine = {f"{group}.{key}" for group, table in own.items() if isinstance(table, dict) for key in table}
    kept = []
    for c in earlier:
        values = tuple(v for v in c.values if v[0] not in mine)
        if values:
            kept.append(Change(c.label, values, c.start_days, c.ramp_days, c.stop_days, c.decay_days))
    return with_changes(params, tuple(kept))
