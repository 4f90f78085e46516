"""How enrolment on an MDT caseload changes a person's crisis risk.

Life at home (:mod:`sim.pathways.home`) reads the multiplier when it draws the next crisis; the MDT
pathway (:mod:`sim.pathways.mdt`) enrols and discharges people (why they leave: ``sim.vocabulary.MdtExit``)
and then asks home to redraw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.core.model import Model


def crisis_multiplier(m: Model, pid: int) -> float:
    """How enrolment changes a person's crisis risk: discipline fit, social care in the team, sign-posting."""
    d = m.mdt[pid]
    if d < 0:
        return 1.0
    p = m.p.mdt
    fit = 1.0 if d == int(p.fitting_discipline[m.pop.need[pid]]) else p.mismatch_effect_share
    team = p.social_care_effect_multiplier if p.social_care_in_team else 1.0
    return max(0.0, 1.0 - p.crisis_reduction * fit * team) * p.signposting_crisis_hr
