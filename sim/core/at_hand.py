"""Parameters at hand: what the most frequent steps of a run read, as fields of compiled classes.

An outpatient appointment, a crisis and the end of a spell at home happen
hundreds of thousands of times a run.  Read from the parameter tree, each
value is two lookups by name (``m.p.elective.first_wait_days``); here it is
a field the compiled build reads directly (``m.clinic.first_wait_days``).
The values are the parameters' own, under their own names, copied whenever
the parameters in force change (``Model._derive``: at the build, a launch, a
projection's year), so no number changes.  Values the steps compute from
them (rates per day) are computed as the steps did, operation for operation.
"""

from __future__ import annotations

from sim.core.population import DAYS_PER_YEAR
from sim.parameters.params import Params


class Clinic:
    """What a referral and an outpatient appointment read (``sim.pathways.elective``)."""

    def __init__(self, p: Params) -> None:
        e = p.elective
        self.first_wait_days = e.first_wait_days
        self.follow_ups_mean = e.follow_ups_mean
        self.follow_up_interval_days = e.follow_up_interval_days
        self.admit_after_outpatients = e.admit_after_outpatients
        self.day_case_share = e.day_case_share
        self.wait_to_admission_days = e.wait_to_admission_days
        self.follow_up_substitution = p.mdt.follow_up_substitution


class Crises:
    """What a crisis, its A&E visit and an emergency admission read (``sim.pathways.emergency``)."""

    def __init__(self, p: Params) -> None:
        r, cm, a = p.routing, p.community, p.acute
        self.admit_from_ae_by_frailty = tuple(r.admit_from_ae_by_frailty)
        self.gp_first = r.gp_first
        self.gp_refers_to_ae = r.gp_refers_to_ae
        # the share of crises offered a rapid response (with a single point of access, its own)
        spa = cm.single_point_of_access
        self.rapid_response_share = cm.spa_rapid_response_share if spa else cm.rapid_response_share
        self.rapid_response_visit_days = cm.rapid_response_visit_days
        self.rapid_response_resolves_severe = cm.rapid_response_resolves_severe
        self.rapid_response_resolves_minor = cm.rapid_response_resolves_minor
        self.admit_pressure_threshold = r.admit_pressure_threshold
        self.admit_pressure_reduction = r.admit_pressure_reduction
        self.los_pressure_threshold = a.los_pressure_threshold
        self.los_pressure_reduction = a.los_pressure_reduction
        self.in_hospital_by_frailty = tuple(p.mortality.in_hospital_by_frailty)


class HomeSpells:
    """The rates per day of GP contacts and community nursing visits, counted at the end of a spell at home
    (``Model.home_spell_close``): by age band and frailty, and by frailty."""

    def __init__(self, p: Params) -> None:
        pr = p.primary
        by_band, by_frailty = pr.routine_gp_per_year, pr.frailty_gp_multiplier
        self.gp_per_day = [[gp * f / DAYS_PER_YEAR for f in by_frailty] for gp in by_band]
        self.nursing_per_day = [v / DAYS_PER_YEAR for v in p.community.nursing_visits_per_year]
