"""Capacities at a small place: the services held in fewer than two whole units, and those raised to one.

Capacities are given per 100,000 registered people and become whole units at the place's size
(:func:`sim.parameters.params.per_place`: the nearest whole number, at least one for a positive rate).
Below 100,000 people some services are then a single bed, post or team: whenever that one unit is
busy the next person waits, so the service queues unlike the same service at a larger place, and
figures that rest on it do not scale with the place.  A positive rate that would round to no unit at
all keeps one, and the output says so at any size.

:func:`small_capacities` lists these services and :func:`capacity_warnings` says so in plain words,
one line each, so that ``caresim run`` and ``compare``, the what-if page and anything else that runs
a place say the same.  Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.parameters.params import Params, capacity_basis, per_place

SMALL_PLACE = 100_000  # people capacities are scaled to: below this, services with fewer than two units are named


@dataclass(frozen=True)
class Service:
    """A capacity given per 100,000 people: its name in ``sim.core.model.capacities``, its units in words."""

    name: str
    words: str  # the units, plural: "acute beds"
    rates: Callable[[Params], tuple[float, ...]]  # units per 100,000, one per part (each part rounds alone)


SERVICES = (
    Service("core_beds", "acute beds", lambda p: (p.acute.beds_per_100k,)),
    Service("ring_fenced_beds", "ring-fenced elective beds", lambda p: (p.acute.ring_fenced_beds_per_100k,)),
    Service("escalation_beds", "escalation beds", lambda p: (p.acute.escalation_beds_per_100k,)),
    Service(
        "social_workers", "social workers (assessments at a time)", lambda p: (p.social_care.social_workers_per_100k,)
    ),
    Service("home_care", "home care packages", lambda p: (p.social_care.home_care_packages_per_100k,)),
    Service("reablement", "reablement places", lambda p: (p.social_care.reablement_places_per_100k,)),
    Service("intermediate_care", "intermediate care beds", lambda p: (p.social_care.intermediate_care_beds_per_100k,)),
    Service("care_homes", "care home places", lambda p: (p.social_care.care_home_places_per_100k,)),
    Service("rapid_response", "rapid response visits at a time", lambda p: (p.community.rapid_response_per_100k,)),
    Service("gp_slots", "urgent GP slots a day", lambda p: (p.routing.gp_urgent_slots_per_100k_per_day,)),
    Service("outpatient_slots", "outpatient slots a day", lambda p: (p.elective.outpatient_slots_per_100k_per_day,)),
    Service(
        "mdt_coordinators",
        "MDT co-ordinators (each discipline rounded alone)",
        lambda p: tuple(p.mdt.coordinators_per_100k),
    ),
)


@dataclass(frozen=True)
class Units:
    """One service at one place: its rate, the units that rate gives before and after rounding."""

    service: str
    words: str
    per_100k: float
    exact: float  # units the rate gives at the place, before rounding
    units: int  # whole units held (as the model builds them)
    raised: bool  # a positive rate that rounds to no unit, given one

    def line(self) -> str:
        """'rapid response visits at a time: 1 (0.5 from 1 per 100,000; raised from zero to one)'."""
        raised = "; raised from zero to one" if self.raised else ""
        return f"{self.words}: {self.units:,} ({self.exact:.2g} from {self.per_100k:g} per 100,000{raised})"


def place_units(p: Params) -> list[Units]:
    """Every service's units at the population capacities are scaled to."""
    n = capacity_basis(p)
    out = []
    for s in SERVICES:
        rates = s.rates(p)
        out.append(
            Units(
                s.name,
                s.words,
                float(sum(rates)),
                sum(r * n / 100_000 for r in rates),
                sum(per_place(r, n) for r in rates),
                any(r > 0 and round(r * n / 100_000) == 0 for r in rates),
            )
        )
    return out


def small_capacities(p: Params) -> list[Units]:
    """Services the place holds in fewer than two units (below 100,000 people), or raised from zero to one.

    A service switched off (a rate of 0) is not named: it is meant to hold nothing.
    """
    small = capacity_basis(p) < SMALL_PLACE
    return [u for u in place_units(p) if u.per_100k > 0 and (u.raised or (small and u.units < 2))]


def capacity_warnings(p: Params) -> list[str]:
    """The warning in plain words, one line per message: what is small and why it matters (none: ``[]``)."""
    few = small_capacities(p)
    if not few:
        return []
    n = capacity_basis(p)
    where = f"at {n:,} registered people" if n == p.place.registered_population else f"with capacities for {n:,} people"
    count = f"{len(few)} service{'s' if len(few) != 1 else ''}"
    if n < SMALL_PLACE:
        head = (
            f"{where} {count} {'has' if len(few) == 1 else 'have'} fewer than two units; a single busy unit makes "
            f"the next person wait, so {'it behaves' if len(few) == 1 else 'they behave'} unlike at a larger place "
            f"(run {SMALL_PLACE:,} people or more for figures that do not depend on the place's size)"
        )
    else:
        head = f"{where} {count} would round to no unit and {'keeps' if len(few) == 1 else 'keep'} one"
    return [head] + [u.line() for u in few]


def combined_warnings(named: Sequence[tuple[str, Params]]) -> list[str]:
    """The warnings of several scenarios run together: once when they all say the same, else each with its name."""
    each = [(name, capacity_warnings(p)) for name, p in named]
    if all(lines == each[0][1] for _, lines in each):
        return each[0][1] if each else []
    return [f"scenario '{name}': {line}" for name, lines in each for line in lines]
