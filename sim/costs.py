"""Prices in one price year: each unit cost is uplifted from the year of its source.

The price base and the uplift rate are parameters (``Params.costs``); the
source year of each unit cost is kept here beside the names, from the sources
cited in ``sim/params.py``.
"""

from __future__ import annotations

from .params import Costs

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
}


def unit_costs(c: Costs) -> dict[str, float]:
    """Every unit cost in the price year, GBP."""
    base = c.price_year
    return {name: getattr(c, name) * (1 + c.uplift_per_year) ** (base - year) for name, year in SOURCE_YEAR.items()}
