"""Parameters at hand (sim.core.at_hand): the values the frequent steps read are the parameters in force."""

from __future__ import annotations

import pytest
from smallplace import small

from sim.core.model import Model
from sim.core.population import DAYS_PER_YEAR
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides

# every parameter kept at hand, by group, under its own name (values a step computes from them aside)
GROUPS = {
    "clinic": ("elective", "mdt"),
    "crises": ("routing", "community", "acute", "mortality"),
}
CHANGED = {  # a scenario that moves every one of them
    "elective": {
        "first_wait_days": 30.0,
        "follow_ups_mean": 3.0,
        "follow_up_interval_days": 40.0,
        "admit_after_outpatients": 0.3,
        "day_case_share": 0.6,
        "wait_to_admission_days": 50.0,
    },
    "mdt": {"follow_up_substitution": 0.4},
    "routing": {
        "gp_first": 0.5,
        "gp_refers_to_ae": 0.25,
        "admit_from_ae_by_frailty": [0.3, 0.4, 0.5, 0.6],
        "admit_pressure_threshold": 0.9,
        "admit_pressure_reduction": 0.2,
    },
    "community": {
        "rapid_response_share": 0.2,
        "rapid_response_visit_days": 0.5,
        "rapid_response_resolves_severe": 0.4,
        "rapid_response_resolves_minor": 0.8,
        "nursing_visits_per_year": [1.0, 3.0, 7.0, 13.0],
    },
    "acute": {"los_pressure_threshold": 0.9, "los_pressure_reduction": 0.2},
    "mortality": {"in_hospital_by_frailty": [0.02, 0.04, 0.07, 0.1]},
    "primary": {"routine_gp_per_year": [7.0, 6.0, 8.0, 10.0], "frailty_gp_multiplier": [1.0, 1.1, 1.3, 1.5]},
}


def held(m: Model, p: Params) -> int:
    """Check every value at hand against ``p``; the number of values checked."""
    checked = 0
    for name, groups in GROUPS.items():
        at_hand = getattr(m, name)
        for field in (f for f in dir(at_hand) if not f.startswith("_")):
            sources = [getattr(p, g) for g in groups if hasattr(getattr(p, g), field)]
            if field == "rapid_response_share":  # with a single point of access, its own share
                c = p.community
                expected = c.spa_rapid_response_share if c.single_point_of_access else c.rapid_response_share
            else:
                assert len(sources) == 1, f"{name}.{field} is no parameter of {groups}"
                expected = getattr(sources[0], field)
            assert getattr(at_hand, field) == (tuple(expected) if isinstance(expected, list) else expected), field
            checked += 1
    pr, c = p.primary, p.community
    spells = m.home_spells
    for b, gp in enumerate(pr.routine_gp_per_year):
        for f, times in enumerate(pr.frailty_gp_multiplier):
            assert spells.gp_per_day[b][f] == gp * times / DAYS_PER_YEAR  # the same operations as before
    assert spells.nursing_per_day == [v / DAYS_PER_YEAR for v in c.nursing_visits_per_year]
    return checked


def test_the_values_at_hand_are_the_parameters_in_force_at_the_build_and_after_a_launch():
    p = small(population=2_000)
    m = Model(p, 1, 0)
    assert held(m, p) >= 19
    changed = apply_overrides(p, CHANGED)
    m.launch(changed)
    assert held(m, changed) >= 19
    assert m.clinic.first_wait_days == 30.0 and m.crises.admit_from_ae_by_frailty == (0.3, 0.4, 0.5, 0.6)
    spa = apply_overrides(changed, {"community": {"single_point_of_access": True, "spa_rapid_response_share": 0.45}})
    m.launch(spa)
    assert m.crises.rapid_response_share == pytest.approx(0.45)
    held(m, spa)
