"""Costs: unit prices in one price year, and a cohort's costs by sector from a run's records.

The price base and the uplift rate are parameters (``Params.costs``); the
source year of each unit cost is kept here beside the names, from the sources
cited in ``sim/parameters/params.py``.  Capacity-funded services cost their capacity held
(a sub-cohort pays its share of use); services bought per use cost what is used.
"""

from __future__ import annotations

import numpy as np

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.rundata import Cohort, RunData, lower_bound, overlap
from sim.parameters.params import Costs
from sim.vocabulary import Ev, Reason, Spell

# financial year (starting) of each unit cost's source, as cited in params.Costs
SOURCE_YEAR = {
    "acute_bed_day": 2016,  # NHS Reference Costs 2016/17
    "emergency_admission": 2016,
    "ae_attendance": 2016,
    "gp_contact": 2013,  # PSSRU Unit Costs 2013
    "social_worker_year": 2013,  # PSSRU 2014 (2013/14 prices)
    "home_care_hour": 2018,  # UKHCA 2019
    "reablement_place_year": 2010,  # Glendinning et al. 2010
    "intermediate_care_bed_day": 2016,
    "care_home_week": 2018,  # LaingBuisson 2018/19
    "outpatient_attendance": 2016,
    "elective_admission": 2016,
    "day_case": 2016,
    "district_nurse_visit": 2010,  # PSSRU Unit Costs 2010
    "rapid_response_team_year": 2013,
    "coordinator_year": 2013,
    "escalation_bed_day": 2016,  # priced as an excess bed day, NHS Reference Costs 2016/17
}


def unit_costs(c: Costs) -> dict[str, float]:
    """Every unit cost in the price year, GBP."""
    base = c.price_year
    return {name: getattr(c, name) * (1 + c.uplift_per_year) ** (base - year) for name, year in SOURCE_YEAR.items()}


def cohort_costs(data: RunData, c: Cohort, lo: np.ndarray, k: dict[str, float]) -> dict[str, float]:
    """Capacity costs (held, used or not) and activity costs (per use), by sector, GBP in the price year."""
    p = data.params
    uc = unit_costs(p.costs)
    years = (data.window_end - data.window_start) / DAYS_PER_YEAR
    sp = data.spells
    spell_days = overlap(sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy(), lo, data.window_end)
    kind, funded = sp["kind"].to_numpy(), sp["funded"].to_numpy()

    def days_of(s: Spell, only_funded: bool = False) -> float:
        mask = kind == s
        if only_funded:
            mask &= funded == 1
        return float(spell_days[mask].sum())

    everyone = c.start is None and c.min_age is None

    def share(used: float, total: float) -> float:
        """The cohort's share of a capacity: all of it for the whole cohort, else its share of use."""
        if everyone:
            return 1.0
        return used / total if total > 0 else 0.0

    cap = data.capacity
    whole = Cohort("all")
    lo_all = lower_bound(data, whole) if not everyone else lo
    all_spell_days = overlap(
        sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy(), lo_all, data.window_end
    )

    def total_days(s: Spell) -> float:
        return float(all_spell_days[kind == s].sum())

    k = dict(k)
    k["mdt_person_days"] = days_of(Spell.MDT)
    k["mdt_person_days_all"] = total_days(Spell.MDT)
    ev = data.events
    t_all = ev["time"].to_numpy()
    pid_all = ev["pid"].to_numpy()
    rr = (ev["event"].to_numpy() == Ev.RAPID_RESPONSE) & (pid_all >= 0)
    k["rapid_responses_all"] = float(
        (rr & (t_all < data.window_end) & (t_all >= lo_all[np.where(rr, pid_all, 0)])).sum()
    )

    bed_share = share(k["bed_days"], data.bed_days_all)
    bed_capacity = cap["acute_beds"] * years * DAYS_PER_YEAR * uc["acute_bed_day"] * bed_share  # core beds held
    escalation = k["escalation_bed_days_all"] * uc["escalation_bed_day"] * bed_share  # escalation beds, per day used
    ic_capacity = (
        cap["intermediate_care"]
        * years
        * DAYS_PER_YEAR
        * uc["intermediate_care_bed_day"]
        * share(days_of(Spell.INTERMEDIATE_CARE), total_days(Spell.INTERMEDIATE_CARE))
    )
    reab_capacity = (
        cap["reablement"]
        * years
        * uc["reablement_place_year"]
        * share(days_of(Spell.REABLEMENT), total_days(Spell.REABLEMENT))
    )
    de = data.delays
    assess = de["reason"].to_numpy() == Reason.ASSESSMENT
    all_assess = float(
        overlap(de["pid"].to_numpy(), de["start"].to_numpy(), de["end"].to_numpy(), lo_all, data.window_end)[
            assess
        ].sum()
    )
    sw_capacity = (
        cap["social_workers"]
        * years
        * uc["social_worker_year"]
        * share(k["delayed_days_awaiting_assessment"], all_assess)
    )

    gp = k["gp_contacts"] * uc["gp_contact"]
    day_cases = k["elective_day_cases"]
    hospital_activity = (
        k["ae_attendances"] * uc["ae_attendance"]
        + k["emergency_admissions"] * uc["emergency_admission"]
        + k["outpatient_attendances"] * uc["outpatient_attendance"]
        + (k["elective_admissions"] - day_cases) * uc["elective_admission"]
        + day_cases * uc["day_case"]
        + escalation
    )
    nursing = k["community_nursing_visits"] * uc["district_nurse_visit"]
    coordinators = (
        cap["mdt_coordinators"] * years * uc["coordinator_year"] * share(k["mdt_person_days"], k["mdt_person_days_all"])
    )
    rapid_response = (
        cap["rapid_response"]
        * years
        * uc["rapid_response_team_year"]
        * share(k["rapid_responses"], k["rapid_responses_all"])
    )
    home_care = days_of(Spell.HOME_CARE) * p.costs.home_care_hours_per_week / 7 * uc["home_care_hour"]
    care_home = days_of(Spell.CARE_HOME, only_funded=True) / 7 * uc["care_home_week"]

    out = {
        "cost_primary_care_gbp": gp,
        "cost_community_gbp": ic_capacity + coordinators + rapid_response + nursing,
        "cost_hospital_gbp": bed_capacity + hospital_activity,
        "cost_social_care_gbp": sw_capacity + reab_capacity + home_care + care_home,
        "cost_capacity_gbp": bed_capacity + ic_capacity + reab_capacity + sw_capacity + coordinators + rapid_response,
        "cost_activity_gbp": gp + hospital_activity + home_care + care_home + nursing,
    }
    out["cost_health_gbp"] = out["cost_primary_care_gbp"] + out["cost_community_gbp"] + out["cost_hospital_gbp"]
    out["cost_total_gbp"] = out["cost_health_gbp"] + out["cost_social_care_gbp"]
    return out
