"""How enrolment on an MDT caseload changes a person's crisis risk and where their crises go.

Life at home (:mod:`sim.pathways.home`) reads :func:`crisis_multiplier` when it draws the next crisis,
and a crisis (:mod:`sim.pathways.emergency`) asks :func:`sends_to_ae`; the MDT pathway
(:mod:`sim.pathways.mdt`) enrols and discharges people (why they leave: ``sim.vocabulary.MdtExit``),
keeps each discipline's share of the full effect (``Teams.effect``: the dose from the caseload times
the ramp-up since the launch) and asks home to redraw when it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from sim.core.model import Model

# co-ordinators' disciplines, in the order of ``mdt.coordinators_per_100k``
NURSE: Final = 0
SOCIAL_WORKER: Final = 1
MENTAL_HEALTH: Final = 2
OCCUPATIONAL_THERAPIST: Final = 3


def dose(reference_caseload: float, per_coordinator: float, cap: float) -> float:
    """Co-ordination a person receives, relative to a co-ordinator's time shared by ``reference_caseload`` people.

    A co-ordinator's time is shared by the ``per_coordinator`` people on their caseload, so the dose is
    the reference caseload over it: 1 on a full caseload of the reference size, less on a larger one.
    More time than the reference gives counts up to ``cap`` times the reference effect (1: no more).
    """
    if per_coordinator <= 0:
        return cap
    return min(cap, reference_caseload / per_coordinator)


def discipline_reduction(m: Model, pid: int) -> float:
    """The fall in crisis risk that what the person's co-ordinator can do brings, at full dose and effect.

    A nurse's anticipatory care (``mdt.crisis_reduction``) reaches every need, a share of it
    (``mdt.mismatch_effect_share``) for a need another discipline fits; a mental health professional's
    (``mdt.mental_health_crisis_reduction``) reaches the needs that discipline fits (dementia, mental
    health), an occupational therapist's (``mdt.falls_crisis_reduction``) a physical disability's falls. A
    social worker acts through assessment, packages and unmet need (:mod:`sim.pathways.discharge`,
    :mod:`sim.pathways.social_care`), not on crisis risk directly.
    """
    d = m.mdt[pid]
    p = m.p.mdt
    fits = int(p.fitting_discipline[m.pop.need[pid]]) == d
    if d == NURSE:
        return p.crisis_reduction * (1.0 if fits else p.mismatch_effect_share)
    if d == MENTAL_HEALTH and fits:
        return p.mental_health_crisis_reduction
    if d == OCCUPATIONAL_THERAPIST and fits:
        return p.falls_crisis_reduction
    return 0.0


def crisis_multiplier(m: Model, pid: int) -> float:
    """How enrolment changes a person's crisis risk.

    Care planning and anticipatory care lower it by what the co-ordinator's discipline can do for the
    person's need (:func:`discipline_reduction`, the effect at the reference caseload once the team works
    at full strength) times the share the discipline's co-ordinators give now (``Teams.effect``: dose
    times ramp-up), scaled by ``mdt.social_care_effect_multiplier`` with social care in the team;
    sign-posting to community support multiplies what is left.
    """
    d = m.mdt[pid]
    if d < 0:
        return 1.0
    p = m.p.mdt
    team = p.social_care_effect_multiplier if p.social_care_in_team else 1.0
    return max(0.0, 1.0 - discipline_reduction(m, pid) * m.teams.effect[d] * team) * p.signposting_crisis_hr


def sends_to_ae(m: Model, pid: int) -> bool:
    """Whether the co-ordinator sends to A&E a crisis of an enrolled person that the GP would manage at home.

    A co-ordinator who knows the person has a lower threshold for A&E (``mdt.ae_referral_share``); the
    uniform comes from a stream of its own, drawn only for such crises of enrolled people.
    """
    return m.mdt[pid] >= 0 and m.u("mdt_ae_referral", pid) < m.p.mdt.ae_referral_share
