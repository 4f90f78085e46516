"""Budget-neutral shifts: pounds a year moved from one service's capacity into others.

A scenario moves money with ``[[shift]]`` entries::

    [[shift]]
    from = "acute_beds"
    amount_gbp_per_year = 2_000_000
    to = { mdt_social_worker = 0.3, reablement_places = 0.4, intermediate_care_beds = 0.3 }

Money becomes whole units of capacity through each service's annual unit price
in the price year (``sim.outcomes.costs.unit_costs``), at the population capacities are
scaled to (``params.capacity_basis``):

1. the source gives up ``floor(amount / price)`` whole units; the money this
   releases is ``units x price`` (a bed is given up whole, so the release can
   be a little less than the amount asked);
2. each target gets its share of the money released and buys as many whole
   units as that pays for; the money left over then buys further whole
   units, the target with the largest unspent part of its share first, while
   it pays for one;
3. what is still left is the **remainder**, reported and left unallocated,
   so that released = bought + remainder, to the pound.

The result is parameter overrides (capacities per 100,000) and a
:class:`ShiftReport`.  Because capacity-funded services cost their capacity
held whether used or not (``cost_capacity_gbp`` in ``sim/outcomes/metrics.py``), a
shift between them leaves the capacity cost unchanged but for the remainder.
Home care is bought per hour used (``cost_activity_gbp``), not as capacity:
money moved into ``home_care_packages`` leaves ``cost_capacity_gbp`` and
shows up as activity cost only as far as the extra packages are used.

Money released is not money saved (docs/costs.md): acute beds are cashed only in whole wards
(``costs.ward_beds``), a ward's ``costs.cashable_share`` of its cost (the rest is fixed overhead), from
``costs.cashable_lag_months`` after the shift.  A shift from acute beds records the beds it closed
(``costs.shift_closed_acute_beds_per_100k``), so the acute trust's cost keeps what is not cashed
(``cost_stranded_gbp``); the report gives the cashable part, the non-cashable part and the remainder.
Other services (posts, places, teams) are released whole and at once.  This changes money only: the
capacities moved are the same whatever the cashable share.

A shift may take time like an intervention (``ramp_up_months``, ``funding_stops_year``,
``decay_months``: sim/scenarios/timing.py): its services move in whole units month by month, and so do
the beds it records as closed; co-ordinator posts it buys are in post from the launch.

When a run's population is scaled from the scenario's (``caresim run
--population``), the amount is scaled with it, like every capacity per
100,000, and converted into whole units at the population run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.costs import cashable_per_year, unit_costs
from sim.parameters.params import Params, capacity_basis, per_place
from sim.parameters.tree import ParameterError, apply_overrides, closest
from sim.scenarios import timing
from sim.scenarios.timing import TIMING_KEYS

WEEKS_PER_YEAR = DAYS_PER_YEAR / 7  # 52.18


@dataclass(frozen=True)
class Service:
    """A capacity that money can buy: where it lives in the tree and what a unit costs a year."""

    name: str
    unit: str  # one unit, in words
    units: str  # plural
    group: str
    key: str
    index: int | None  # position in a per-discipline tuple, else None
    price: Callable[[dict[str, float], Params], float]  # GBP per unit-year in the price year
    priced_as: str  # how the unit-year price is built, in words

    def count(self, k: int) -> str:
        """``k`` units in words: '1 acute bed', '16 acute beds'."""
        return f"{k:,} {self.unit if k == 1 else self.units}"

    def per_100k(self, p: Params) -> float:
        value = getattr(getattr(p, self.group), self.key)
        return value[self.index] if self.index is not None else value

    def held(self, p: Params) -> int:
        """Whole units the place holds (as the model builds it)."""
        return per_place(self.per_100k(p), capacity_basis(p))

    def override(self, p: Params, units: int) -> dict[str, Any]:
        """Overrides that make the place hold ``units`` whole units."""
        value = units * 100_000 / capacity_basis(p)
        if self.index is None:
            return {self.group: {self.key: value}}
        per_discipline = list(getattr(getattr(p, self.group), self.key))
        per_discipline[self.index] = value
        return {self.group: {self.key: per_discipline}}


def _bed_year(name: str) -> Callable[[dict[str, float], Params], float]:
    return lambda uc, p: uc[name] * DAYS_PER_YEAR


def _year(name: str) -> Callable[[dict[str, float], Params], float]:
    return lambda uc, p: uc[name]


def _package_year(uc: dict[str, float], p: Params) -> float:
    return p.costs.home_care_hours_per_week * WEEKS_PER_YEAR * uc["home_care_hour"]


_COORDINATOR = "a co-ordinator-year (costs.coordinator_year)"
SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "acute_beds",
            "acute bed",
            "acute beds",
            "acute",
            "beds_per_100k",
            None,
            _bed_year("acute_bed_day"),
            "a bed-year: 365.25 bed-days at costs.acute_bed_day",
        ),
        Service(
            "intermediate_care_beds",
            "intermediate care bed",
            "intermediate care beds",
            "social_care",
            "intermediate_care_beds_per_100k",
            None,
            _bed_year("intermediate_care_bed_day"),
            "a bed-year: 365.25 bed-days at costs.intermediate_care_bed_day",
        ),
        Service(
            "reablement_places",
            "reablement place",
            "reablement places",
            "social_care",
            "reablement_places_per_100k",
            None,
            _year("reablement_place_year"),
            "a place-year (costs.reablement_place_year)",
        ),
        Service(
            "social_workers",
            "social worker",
            "social workers",
            "social_care",
            "social_workers_per_100k",
            None,
            _year("social_worker_year"),
            "a social worker-year (costs.social_worker_year)",
        ),
        Service(
            "mdt_nurse",
            "nurse co-ordinator",
            "nurse co-ordinators",
            "mdt",
            "coordinators_per_100k",
            0,
            _year("coordinator_year"),
            _COORDINATOR,
        ),
        Service(
            "mdt_social_worker",
            "social worker co-ordinator",
            "social worker co-ordinators",
            "mdt",
            "coordinators_per_100k",
            1,
            _year("coordinator_year"),
            _COORDINATOR,
        ),
        Service(
            "mdt_mental_health",
            "mental health co-ordinator",
            "mental health co-ordinators",
            "mdt",
            "coordinators_per_100k",
            2,
            _year("coordinator_year"),
            _COORDINATOR,
        ),
        Service(
            "mdt_occupational_therapist",
            "occupational therapist co-ordinator",
            "occupational therapist co-ordinators",
            "mdt",
            "coordinators_per_100k",
            3,
            _year("coordinator_year"),
            _COORDINATOR,
        ),
        Service(
            "rapid_response",
            "rapid response team",
            "rapid response teams",
            "community",
            "rapid_response_per_100k",
            None,
            _year("rapid_response_team_year"),
            "a team-year (costs.rapid_response_team_year)",
        ),
        Service(
            "home_care_packages",
            "home care package",
            "home care packages",
            "social_care",
            "home_care_packages_per_100k",
            None,
            _package_year,
            "a package-year: costs.home_care_hours_per_week x 52.18 weeks x costs.home_care_hour",
        ),
    )
}

SHIFT_KEYS = ("from", "amount_gbp_per_year", "to")
SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Line:
    """One service's part in a shift: units before, units moved (negative out), money (negative out)."""

    service: str
    share: float  # of the money released; 1 for the source
    unit_price_gbp: float
    units_before: int
    units_moved: int
    gbp_per_year: float  # units_moved x unit_price_gbp
    allotted_gbp: float  # money this line had to spend (targets) or was asked to release (source)


@dataclass(frozen=True)
class ShiftReport:
    """What a shift did, in pounds a year and whole units, at ``population`` registered people."""

    number: int  # 1-based position among the file's [[shift]] entries
    source: Line
    targets: tuple[Line, ...]
    requested_gbp: float  # as written in the file
    scale: float  # amount scaled with the population run (1 at the scenario's own population)
    population: int  # capacities are scaled to this population
    released_gbp: float
    bought_gbp: float
    remainder_gbp: float
    wards_closed: int = 0  # whole wards among the beds closed (acute beds only)
    cashable_gbp: float = 0.0  # a year, from lag_months on: what is really saved
    lag_months: float = 0.0

    @property
    def non_cashable_gbp(self) -> float:
        """Released on paper but not saved, a year after the lag: part wards and fixed overheads."""
        return self.released_gbp - self.cashable_gbp

    def lines(self) -> list[str]:
        """The shift in plain words, one line per service."""
        s = self.source
        svc = SERVICES[s.service]
        asked = f"GBP {self.requested_gbp:,.0f} a year"
        if self.scale != 1:
            asked += f" (scaled by {self.scale:.4g} with the population: GBP {s.allotted_gbp:,.0f})"
        out = [
            f"shift {self.number}: {asked} from {svc.units}, at {self.population:,} people",
            f"  out: {svc.count(-s.units_moved)} at GBP {s.unit_price_gbp:,.0f} "
            f"each = GBP {-s.gbp_per_year:,.0f} released; {svc.count(s.units_before + s.units_moved)} now, "
            f"{s.units_before:,} before",
        ]
        if s.units_moved == 0 and self.requested_gbp > 0:
            out.append(f"  (the amount is less than one {svc.unit} a year at this population, so nothing moves)")
        for t in self.targets:
            tsvc = SERVICES[t.service]
            out.append(
                f"  in:  {tsvc.count(t.units_moved)} at GBP "
                f"{t.unit_price_gbp:,.0f} each = GBP {t.gbp_per_year:,.0f} (share {100 * t.share:g}%: "
                f"GBP {t.allotted_gbp:,.0f}); {tsvc.count(t.units_before + t.units_moved)} now, "
                f"{t.units_before:,} before"
            )
        out.append(
            f"  remainder left unallocated: GBP {self.remainder_gbp:,.0f} a year "
            f"(released GBP {self.released_gbp:,.0f} = bought GBP {self.bought_gbp:,.0f} + remainder)"
        )
        out.append(
            f"  cashable: GBP {self.cashable_gbp:,.0f} a year from {self.lag_months:g} months on"
            + (f" ({self.wards_closed:,} whole wards closed)" if s.service == "acute_beds" else " (released whole)")
            + f"; not cashable: GBP {self.non_cashable_gbp:,.0f} a year (part wards and fixed overheads"
            + (", all of it before the lag)" if self.lag_months > 0 else ")")
        )
        return out


@dataclass(frozen=True)
class ShiftSpec:
    """A checked ``[[shift]]`` entry."""

    number: int
    source: str
    amount_gbp: float
    shares: dict[str, float]


def _service(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise ParameterError(f"{where}: expected a service name in quotes, got {name!r}")
    if name in SERVICES:
        return name
    guess = closest(name, list(SERVICES))
    hint = f"did you mean '{guess}'?" if guess else f"services: {', '.join(SERVICES)}"
    raise ParameterError(f"{where}: unknown service '{name}'; {hint}")


def parse(entry: Any, number: int) -> ShiftSpec:
    """Check one ``[[shift]]`` entry (``number`` counts from 1)."""
    where = f"shift[{number}]"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a table with from, amount_gbp_per_year and to, got {entry!r}")
    valid = SHIFT_KEYS + TIMING_KEYS  # a shift may take time, like an intervention (sim/scenarios/timing.py)
    for key in entry:
        if key not in valid:
            guess = next((k for k in valid if k.startswith(str(key))), None) or closest(key, list(valid))
            hint = f"did you mean '{where}.{guess}'?" if guess else f"valid keys: {', '.join(valid)}"
            raise ParameterError(f"unknown key '{where}.{key}'; {hint}")
    for key in SHIFT_KEYS:
        if key not in entry:
            raise ParameterError(f"{where}: missing '{key}' (a shift needs from, amount_gbp_per_year and to)")
    source = _service(entry["from"], f"{where}.from")
    amount = entry["amount_gbp_per_year"]
    w = f"{where}.amount_gbp_per_year"
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise ParameterError(f"{w}: expected a number of pounds, got {amount!r}")
    if not math.isfinite(amount):
        raise ParameterError(f"{w}: must be finite, got {amount!r}")
    if amount < 0:
        raise ParameterError(
            f"{w}: must not be negative, got {amount!r} (to move money the other way, swap from and to)"
        )
    to = entry["to"]
    if not isinstance(to, dict) or not to:
        raise ParameterError(
            f"{where}.to: expected a table of services and shares like "
            f"{{reablement_places = 0.5, intermediate_care_beds = 0.5}}, got {to!r}"
        )
    shares: dict[str, float] = {}
    for name, share in to.items():
        target = _service(name, f"{where}.to")
        if target == source:
            raise ParameterError(f"{where}.to.{name}: the service the money comes from cannot also receive it")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share):
            raise ParameterError(f"{where}.to.{name}: expected a share between 0 and 1, got {share!r}")
        if share < 0 or share > 1:
            raise ParameterError(f"{where}.to.{name}: a share must be between 0 and 1, got {share!r}")
        shares[target] = float(share)
    total = math.fsum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ParameterError(f"{where}.to: shares must sum to 1, they sum to {total:.10g}")
    return ShiftSpec(number, source, float(amount), shares)


def apply_shift(spec: ShiftSpec, params: Params, scale: float = 1.0) -> tuple[Params, dict[str, Any], ShiftReport]:
    """Apply a checked shift to ``params``; ``scale`` multiplies the amount (population scaling)."""
    where = f"shift[{spec.number}]"
    uc = unit_costs(params.costs)
    n = capacity_basis(params)
    amount = spec.amount_gbp * scale
    src = SERVICES[spec.source]
    price = src.price(uc, params)
    held = src.held(params)
    if price <= 0:
        raise ParameterError(
            f"{where}.from: {src.units} have no price ({src.priced_as} is 0), so money cannot be taken from them"
        )
    if amount > held * price * (1 + 1e-12):
        raise ParameterError(
            f"{where}: GBP {amount:,.0f} a year from {src.units} is {amount / price:,.1f} {src.units} "
            f"at GBP {price:,.0f} each, more than the {held:,} the place holds "
            f"(at {n:,} people, GBP {held * price:,.0f} a year)"
        )
    units_out = min(held, int(math.floor(amount / price + 1e-9)))
    released = units_out * price
    overrides: dict[str, Any] = {}
    new = params
    if units_out:  # a service left as it was keeps its value per 100,000 exactly
        ov = src.override(params, held - units_out)
        new = apply_overrides(new, ov)
        _merge_into(overrides, ov)
    source_line = Line(src.name, 1.0, price, held, -units_out, -released, amount)
    cashable, wards, lag = released, 0, 0.0  # posts, places and teams: released whole and at once
    if src.name == "acute_beds" and units_out:
        closed = params.costs.shift_closed_acute_beds_per_100k + units_out * 100_000 / n
        ov = {"costs": {"shift_closed_acute_beds_per_100k": closed}}
        new = apply_overrides(new, ov)
        _merge_into(overrides, ov)
        alone = apply_overrides(params, {"costs": {"shift_closed_acute_beds_per_100k": units_out * 100_000 / n}})
        _, wards, _, cashable = cashable_per_year(alone)
        lag = params.costs.cashable_lag_months
    # whole units for each share, then the money left over buys further whole units, the largest
    # unspent share first, while it pays for one
    uc_new = unit_costs(new.costs)
    prices = {name: SERVICES[name].price(uc_new, new) for name in spec.shares}
    for name, tprice in prices.items():
        if tprice <= 0:
            raise ParameterError(
                f"{where}.to.{name}: {SERVICES[name].units} have no price ({SERVICES[name].priced_as} is 0)"
            )
    allotted = {name: released * share for name, share in spec.shares.items()}
    units = {name: int(math.floor(allotted[name] / prices[name] + 1e-9)) for name in spec.shares}
    for name in units:
        while units[name] > 0 and units[name] * prices[name] > allotted[name]:
            units[name] -= 1  # the tolerance above must never overspend
    left = released - math.fsum(units[k] * prices[k] for k in units)
    while True:
        affordable = [k for k in units if prices[k] <= left]
        if not affordable:
            break
        best = max(affordable, key=lambda k: ((allotted[k] - units[k] * prices[k]) / prices[k], -list(units).index(k)))
        units[best] += 1
        left -= prices[best]
    targets = []
    for name, share in spec.shares.items():
        svc = SERVICES[name]
        before = svc.held(new)
        if units[name]:
            ov = svc.override(new, before + units[name])
            new = apply_overrides(new, ov)
            _merge_into(overrides, ov)
        targets.append(Line(name, share, prices[name], before, units[name], units[name] * prices[name], allotted[name]))
    bought = math.fsum(t.gbp_per_year for t in targets)
    report = ShiftReport(
        spec.number,
        source_line,
        tuple(targets),
        spec.amount_gbp,
        scale,
        n,
        released,
        bought,
        released - bought,
        wards,
        cashable,
        lag,
    )
    return new, overrides, report


def apply(shifts: Any, params: Params, scale: float = 1.0) -> tuple[Params, dict[str, Any], tuple[ShiftReport, ...]]:
    """Apply a scenario's ``[[shift]]`` entries in order; return parameters, merged overrides and reports."""
    if isinstance(shifts, dict):
        shifts = [shifts]  # a single [shift] table
    if not isinstance(shifts, list):
        raise ParameterError(f"shift: expected [[shift]] entries, got {shifts!r}")
    overrides: dict[str, Any] = {}
    reports = []
    for i, entry in enumerate(shifts, start=1):
        spec = parse(entry, i)
        when = timing.read(entry, f"shift[{i}]")
        before = params
        params, ov, report = apply_shift(spec, params, scale)
        params = timing.record(before, params, when, f"shift[{i}]")
        _merge_into(overrides, ov)
        reports.append(report)
    return params, overrides, tuple(reports)


def _merge_into(base: dict[str, Any], over: dict[str, Any]) -> None:
    for k, v in over.items():
        if isinstance(v, dict):
            _merge_into(base.setdefault(k, {}), v)
        else:
            base[k] = v
