"""Costs in two views, each counting every pound once (docs/costs.md): what providers spend, what payers pay.

**Provider view** (``cost_provider_<organisation>_gbp``): what it costs each provider to run what it
runs.  Capacity held costs what it holds, used or not (beds, places, posts, teams); the acute trust's
ward time is its core beds held at the ward cost of a bed day, so an admission adds only the non-ward
part of its price (no bed day is paid twice); a closed bed keeps costing until it is cashed, in whole
wards, after a lag (:func:`stranded_cost`).  **Commissioner view** (``cost_paid_<payer>_gbp``): the
ICB pays the acute trust national prices per activity (an admission's price covers its stay up to a
trim point, longer stays an excess bed day price), community services on a block contract and GP
practices by capitation (both at their cost); the council pays social work and the care it funds;
self-funders pay their own care home weeks.  The views differ only at the acute trust: its cost
beyond its activity income (``cost_provider_minus_payment_gbp``).

Scope: cohort ``all`` stands for the place, so it holds every capacity in full, the shift's closed beds
and the background patients' hospital episodes; any other cohort pays per use: its share of each
capacity's use, its own activity, no closed beds and no background.  Unit costs are brought to the
price year with the published index ``Costs.cost_index`` (:func:`unit_costs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from sim.core import schedule
from sim.core.model import capacities
from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.rundata import Cohort, RunData, lower_bound, overlap
from sim.parameters.params import Costs, Params, capacity_basis, per_place
from sim.parameters.timeline import changes_of
from sim.vocabulary import Ev, Reason, Spell

INDEX_FIRST_YEAR = 2010  # Costs.cost_index starts with 2010/11
# financial year (starting) of each unit cost's source, as cited in params.Costs
SOURCE_YEAR = {
    "acute_bed_day": 2016,  # NHS Reference Costs 2016/17
    "emergency_admission": 2016,
    "ae_attendance": 2016,
    "gp_contact": 2013,  # PSSRU Unit Costs 2013
    "social_worker_year": 2013,  # PSSRU 2014 (2013/14 prices)
    "home_care_hour": 2018,  # UKHCA 2019
    "reablement_place_year": 2010,  # Glendinning et al. 2010
    "intermediate_care_bed_day": 2018,
    "care_home_week": 2018,  # LaingBuisson 2018/19
    "outpatient_attendance": 2016,
    "elective_admission": 2016,
    "day_case": 2016,
    "elective_cancellation": 2018,
    "district_nurse_visit": 2010,  # PSSRU Unit Costs 2010
    "rapid_response_team_year": 2013,
    "coordinator_year": 2013,
    "escalation_bed_day": 2016,  # priced as an excess bed day, NHS Reference Costs 2016/17
    "navigator_year": 2018,
    "gp_hour": 2018,  # PSSRU Unit Costs 2019
    "consultant_hour": 2018,
    "social_worker_hour": 2018,
}
# the organisations of each view, in the order tables show them
PROVIDERS = ("acute_trust", "community_services", "gp_practices", "council_social_work", "care_providers")
PAYERS = ("icb", "council", "self_funders")
VIEWS = {"provider": PROVIDERS, "commissioner": PAYERS}
VIEW_PREFIX = {"provider": "cost_provider_", "commissioner": "cost_paid_"}


def metric_of(view: str, organisation: str) -> str:
    """The KPI of one organisation in one view: ``cost_provider_acute_trust_gbp``, ``cost_paid_icb_gbp``."""
    return f"{VIEW_PREFIX[view]}{organisation}_gbp"


def index_factor(c: Costs, year: int) -> float:
    """The factor bringing a cost of financial year ``year`` to the price year, from ``cost_index``."""
    idx = c.cost_index

    def at(y: int) -> float:
        i = y - INDEX_FIRST_YEAR
        if not 0 <= i < len(idx):
            last = INDEX_FIRST_YEAR + len(idx) - 1
            raise ValueError(
                f"costs.cost_index covers {INDEX_FIRST_YEAR}/{INDEX_FIRST_YEAR % 100 + 1:02d} to {last}, not {y}"
            )
        return idx[i]

    return at(c.price_year) / at(year)


def unit_costs(c: Costs) -> dict[str, float]:
    """Every unit cost in the price year, GBP."""
    return {name: getattr(c, name) * index_factor(c, year) for name, year in SOURCE_YEAR.items()}


def cashable_per_year(p: Params) -> tuple[int, int, float, float]:
    """A shift's closed acute beds: (beds, whole wards, GBP a year held before, GBP a year cashable after the lag)."""
    c = p.costs
    beds = per_place(c.shift_closed_acute_beds_per_100k, capacity_basis(p))
    wards = beds // c.ward_beds
    bed_year = unit_costs(c)["acute_bed_day"] * DAYS_PER_YEAR
    return beds, wards, beds * bed_year, wards * c.ward_beds * bed_year * c.cashable_share


def stranded_cost(p: Params, years: float) -> float:
    """What closed beds still cost over ``years`` from the shift: all until the lag, then all but the cashable part.

    Beds are cashed only in whole wards (``costs.ward_beds``), a ward's ``costs.cashable_share`` of its cost,
    from ``costs.cashable_lag_months`` after the shift (taken to start with the statistics window).
    """
    _, _, held, cashable = cashable_per_year(p)
    after_lag = max(0.0, years - p.costs.cashable_lag_months / 12.0)
    return held * years - cashable * after_lag


# --- capacity held when a scenario's changes over time move it (sim/core/schedule.py) ---
HELD_AS = {  # RunData.capacity's names and the units of sim.core.model.capacities each is
    "acute_beds": "core_beds",
    "escalation_beds": "escalation_beds",
    "social_workers": "social_workers",
    "home_care": "home_care",
    "reablement": "reablement",
    "intermediate_care": "intermediate_care",
    "care_homes": "care_homes",
    "rapid_response": "rapid_response",
}


def _periods(data: RunData) -> list[tuple[float, float, Params]]:
    """The window in periods of constant parameters: (start, end, parameters), days from the launch."""
    launch = data.params.time.warmup_days  # the window's start in a run: the scenario's launch
    return schedule.periods(data.params, data.window_start - launch, data.window_end - launch)


def capacity_held(data: RunData) -> Mapping[str, float]:
    """Units held of each capacity: the run's, or, where a scenario's changes over time move them, the mean over
    the window of the units in force, so that capacity costs what it holds for as long as it holds it."""
    if not changes_of(data.params):
        return data.capacity
    spans = [(b - a, capacities(q)) for a, b, q in _periods(data)]
    days = math.fsum(d for d, _ in spans)
    held: dict[str, float] = dict(data.capacity)
    for name, units in HELD_AS.items():
        if name in held and days > 0 and len({u[units] for _, u in spans}) > 1:  # else held as the run held it
            held[name] = math.fsum(d * u[units] for d, u in spans) / days
    return held


def unit_years(data: RunData, years: float, units: Callable[[Params], int]) -> float:
    """Unit-years held over the window: ``units`` of the parameters in force, for as long as they were in force."""
    if not changes_of(data.params):
        return units(data.params) * years
    return math.fsum(units(q) * (b - a) for a, b, q in _periods(data)) / DAYS_PER_YEAR


def stranded_over_window(data: RunData, years: float) -> float:
    """:func:`stranded_cost` over the window, where a shift's beds close over a ramp-up (or reopen as it decays).

    The closed beds cost what they held while closed; each is cashed the lag after it closed: at time ``t`` the
    cashable part is that of the beds closed by ``t`` less the lag.  The lag is the parameter's, counted from the
    window's start (as in :func:`stranded_cost`, so a part of the window carries the lag left at its start).
    """
    if not changes_of(data.params):
        return stranded_cost(data.params, years)
    p = data.params
    launch = p.time.warmup_days
    lag = p.costs.cashable_lag_months / 12.0 * DAYS_PER_YEAR + (data.window_start - launch)  # days, from the launch
    lo, hi = data.window_start - launch, data.window_end - launch
    held = math.fsum(cashable_per_year(q)[2] * (b - a) for a, b, q in schedule.periods(p, lo, hi))
    start, end = max(lo - lag, 0.0), max(hi - lag, 0.0)  # no bed closes before the launch
    cashed = math.fsum(cashable_per_year(q)[3] * (b - a) for a, b, q in schedule.periods(p, start, end))
    return (held - cashed) / DAYS_PER_YEAR


def _navigators(p: Params) -> int:
    return per_place(p.costs.navigator_posts_per_100k, capacity_basis(p)) if p.community.care_navigators else 0


def _spa_posts(p: Params) -> int:
    return per_place(p.costs.spa_posts_per_100k, capacity_basis(p)) if p.community.single_point_of_access else 0


def cohort_costs(data: RunData, c: Cohort, lo: np.ndarray, k: dict[str, float]) -> dict[str, float]:
    """Both views by organisation, the legacy sectors, and the split into capacity, stranded and activity (GBP)."""
    p = data.params
    uc = unit_costs(p.costs)
    cs = p.costs
    E = data.window_end
    years = (E - data.window_start) / DAYS_PER_YEAR
    sp = data.spells
    s_pid, s_start, s_end = sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy()
    spell_days = overlap(s_pid, s_start, s_end, lo, E)
    kind, funded = sp["kind"].to_numpy(), sp["funded"].to_numpy()
    everyone = c.start is None and c.min_age is None and c.imd is None
    lo_all = lo if everyone else lower_bound(data, Cohort("all"))
    all_spell_days = spell_days if everyone else overlap(s_pid, s_start, s_end, lo_all, E)

    def days_of(s: Spell, f: int | None = None) -> float:
        mask = kind == s if f is None else (kind == s) & (funded == f)
        return float(spell_days[mask].sum())

    def share(used: float, total: float) -> float:
        """The cohort's share of a capacity: all of it for the whole cohort, else its share of use."""
        if everyone:
            return 1.0
        return used / total if total > 0 else 0.0

    ev = data.events
    t_all, pid_all, code = ev["time"].to_numpy(), ev["pid"].to_numpy(), ev["event"].to_numpy()
    person = pid_all >= 0
    in_all = person & (t_all < E) & (t_all >= np.nan_to_num(lo_all, nan=np.inf)[np.where(person, pid_all, 0)])

    def count_all(e: Ev) -> float:
        return float((in_all & (code == e)).sum())

    cap = capacity_held(data)
    # --- capacity held (a cohort other than all: its share of use) ---
    held = {
        "beds": cap["acute_beds"]
        * years
        * DAYS_PER_YEAR
        * uc["acute_bed_day"]
        * share(k["bed_days"], data.bed_days_all),
        "intermediate_care": cap["intermediate_care"]
        * years
        * DAYS_PER_YEAR
        * uc["intermediate_care_bed_day"]
        * share(days_of(Spell.INTERMEDIATE_CARE), float(all_spell_days[kind == Spell.INTERMEDIATE_CARE].sum())),
        "reablement": cap["reablement"]
        * years
        * uc["reablement_place_year"]
        * share(days_of(Spell.REABLEMENT), float(all_spell_days[kind == Spell.REABLEMENT].sum())),
        "coordinators": cap["mdt_coordinators"]
        * years
        * uc["coordinator_year"]
        * share(days_of(Spell.MDT), float(all_spell_days[kind == Spell.MDT].sum())),
        "rapid_response": cap["rapid_response"]
        * years
        * uc["rapid_response_team_year"]
        * share(k["rapid_responses"], count_all(Ev.RAPID_RESPONSE)),
    }
    de = data.delays
    assess = de["reason"].to_numpy() == Reason.ASSESSMENT
    all_assess = float(
        overlap(de["pid"].to_numpy(), de["start"].to_numpy(), de["end"].to_numpy(), lo_all, E)[assess].sum()
    )
    held["social_workers"] = (
        cap["social_workers"]
        * years
        * uc["social_worker_year"]
        * share(k["delayed_days_awaiting_assessment"], all_assess)
    )
    navigator_years = unit_years(data, years, _navigators)
    held["navigators"] = (
        navigator_years * uc["navigator_year"] * share(k["emergency_admissions"], count_all(Ev.EMERGENCY_ADMISSION))
    )
    spa_years = unit_years(data, years, _spa_posts)
    held["single_point_of_access"] = spa_years * uc["coordinator_year"] * share(k["crises"], count_all(Ev.CRISIS))
    stranded = stranded_over_window(data, years) if everyone else 0.0

    # --- activity of the cohort ---
    bg = _background(data) if everyone else {"emergency": 0.0, "ordinary": 0.0, "excess_days": 0.0, "cancelled": 0.0}
    emergency = k["emergency_admissions"] + bg["emergency"]
    day_cases = k["elective_day_cases"]
    ordinary = k["elective_admissions"] - day_cases + bg["ordinary"]
    cancelled = k["elective_cancellations"] + bg["cancelled"]
    escalation = k["escalation_bed_days_all"] * uc["escalation_bed_day"] * share(k["bed_days"], data.bed_days_all)
    meeting_hours = k["mdt_reviews"] * cs.mdt_meeting_minutes / 60.0
    day_case_ward = p.elective.day_case_bed_days * uc["acute_bed_day"]
    acute_activity = (
        k["ae_attendances"] * uc["ae_attendance"]
        + emergency * uc["emergency_admission"] * cs.emergency_non_ward_share
        + ordinary * uc["elective_admission"] * cs.elective_non_ward_share
        + day_cases * max(uc["day_case"] - day_case_ward, 0.0)  # a day case's ward time is in the beds held
        + k["outpatient_attendances"] * uc["outpatient_attendance"]
        + cancelled * uc["elective_cancellation"]
        + escalation
        + meeting_hours * uc["consultant_hour"]
    )
    gp = k["gp_contacts"] * uc["gp_contact"] + meeting_hours * uc["gp_hour"]
    nursing = k["community_nursing_visits"] * uc["district_nurse_visit"]
    sw_meetings = meeting_hours * uc["social_worker_hour"]
    week = 7.0
    home_care = days_of(Spell.HOME_CARE) * cs.home_care_hours_per_week / week * uc["home_care_hour"]
    care_home_council = days_of(Spell.CARE_HOME, 1) / week * uc["care_home_week"]
    care_home_self = days_of(Spell.CARE_HOME, 0) / week * uc["care_home_week"]

    provider = {
        "acute_trust": held["beds"] + stranded + acute_activity,
        "community_services": held["intermediate_care"]
        + held["coordinators"]
        + held["rapid_response"]
        + held["navigators"]
        + held["single_point_of_access"]
        + nursing,
        "gp_practices": gp,
        "council_social_work": held["social_workers"] + sw_meetings,
        "care_providers": held["reablement"] + home_care + care_home_council + care_home_self,
    }
    # the ICB pays the trust national prices per activity: the admission's price covers its stay to the trim point
    excess_days = k["emergency_excess_bed_days"] + bg["excess_days"]
    acute_paid = (
        k["ae_attendances"] * uc["ae_attendance"]
        + emergency * uc["emergency_admission"]
        + excess_days * uc["acute_bed_day"]
        + ordinary * uc["elective_admission"]
        + day_cases * uc["day_case"]
        + k["outpatient_attendances"] * uc["outpatient_attendance"]
    )
    paid = {
        "icb": acute_paid + provider["community_services"] + provider["gp_practices"],
        "council": provider["council_social_work"] + held["reablement"] + home_care + care_home_council,
        "self_funders": care_home_self,
    }
    out = {metric_of("provider", o): v for o, v in provider.items()}
    out |= {metric_of("commissioner", o): v for o, v in paid.items()}
    total = sum(provider.values())
    out["cost_payment_total_gbp"] = sum(paid.values())
    out["cost_provider_minus_payment_gbp"] = total - out["cost_payment_total_gbp"]
    out["cost_primary_care_gbp"] = provider["gp_practices"]
    out["cost_community_gbp"] = provider["community_services"]
    out["cost_hospital_gbp"] = provider["acute_trust"]
    out["cost_social_care_gbp"] = provider["council_social_work"] + provider["care_providers"]
    out["cost_health_gbp"] = out["cost_primary_care_gbp"] + out["cost_community_gbp"] + out["cost_hospital_gbp"]
    out["cost_total_gbp"] = total
    out["cost_capacity_gbp"] = sum(held.values())
    out["cost_stranded_gbp"] = stranded
    out["cost_activity_gbp"] = total - out["cost_capacity_gbp"] - stranded
    return out


def _background(data: RunData) -> dict[str, float]:
    """The background patients' hospital episodes in the window: cohort ``all`` carries them, as the place does."""
    st = data.stays[data.stays["pid"] < 0]
    E, W = data.window_end, data.window_start
    admitted = st["admitted"].to_numpy()
    inside = (admitted >= W) & (admitted < E)
    emergency = st["emergency"].to_numpy(bool)
    ev = data.events
    cancelled = (ev["pid"] < 0) & (ev["event"] == Ev.ELECTIVE_CANCELLATION) & (ev["time"] >= W) & (ev["time"] < E)
    return {
        "emergency": float((inside & emergency).sum()),
        "ordinary": float((inside & ~emergency).sum()),
        "excess_days": excess_days(st[emergency], np.full(1, W), E, data.params.costs.emergency_trim_days, pid0=True),
        "cancelled": float(cancelled.sum()),
    }


def excess_days(stays, lo: np.ndarray, hi: float, trim: float, pid0: bool = False) -> float:
    """Days of emergency stays beyond ``trim`` days from admission, inside [lo[pid], hi) (``pid0``: all at lo[0])."""
    pid = np.zeros(len(stays), dtype=np.int64) if pid0 else stays["pid"].to_numpy()
    return float(overlap(pid, stays["admitted"].to_numpy() + trim, stays["left"].to_numpy(), lo, hi).sum())
