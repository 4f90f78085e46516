"""Leaving the acute bed: from medically fit, through assessment and a wait for a destination, to discharge.

Every day between medically fit and leaving is a delayed discharge day,
attributed to what the person is waiting for: first the social worker's
assessment, then the place at their destination (home care, reablement,
intermediate care, care home).  People going home with no new support, and
care home residents going back to their own home, leave when fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.core.calendar import Process
from sim.core.distributions import Exponential
from sim.core.records import OpenStay
from sim.core.services import CapacityPool
from sim.pathways import home, social_care
from sim.vocabulary import Care, Dest, Ev, Kind, Need, Place, Reason, Spell

if TYPE_CHECKING:
    from sim.core.model import Model


def choose_destination(m: Model, pid: int, u: float) -> Dest:
    """Where the person needs to go, from frailty, need, carer and the care they already have."""
    pop, d = m.pop, m.p.discharge
    f = pop.frailty[pid]
    support = d.lives_alone_support_hr if pop.alone[pid] else 1.0
    dementia = d.dementia_care_home_hr if pop.need[pid] == Need.DEMENTIA else 1.0
    care_home = d.care_home_by_frailty[f] * support * dementia
    if pop.care[pid] == Care.HOME_CARE:
        return Dest.CARE_HOME if u < care_home else Dest.HOME
    options = (
        (Dest.HOME_CARE, d.home_care_by_frailty[f] * support),
        (Dest.REABLEMENT, d.reablement_by_frailty[f] * support),
        (Dest.INTERMEDIATE_CARE, d.intermediate_care_by_frailty[f] * support),
        (Dest.CARE_HOME, care_home),
    )
    scale = min(1.0, 0.95 / max(sum(p for _, p in options), 1e-12))
    acc = 0.0
    for dest, prob in options:
        acc += prob * scale
        if u < acc:
            return dest
    return Dest.HOME


def pool_for(m: Model, dest: Dest) -> CapacityPool:
    """The service whose unit a person going to ``dest`` takes (not for ``Dest.HOME``)."""
    return {
        Dest.HOME_CARE: m.home_care,
        Dest.REABLEMENT: m.reablement,
        Dest.INTERMEDIATE_CARE: m.intermediate_care,
        Dest.CARE_HOME: m.care_homes,
    }[dest]


REASON = {
    Dest.HOME_CARE: Reason.HOME_CARE,
    Dest.REABLEMENT: Reason.REABLEMENT,
    Dest.INTERMEDIATE_CARE: Reason.INTERMEDIATE_CARE,
    Dest.CARE_HOME: Reason.CARE_HOME,
}


def leave_acute_bed(m: Model, pid: int, stay: OpenStay) -> Process:
    """SimPy generator, from medically fit to discharge."""
    env, pop = m.env, m.pop
    u_dest, u_assess, u_know = m.u("destination", pid), m.u("assessment", pid), m.u("knows_contact", pid)
    returning_resident = pop.care[pid] == Care.CARE_HOME
    dest = Dest.HOME if returning_resident else choose_destination(m, pid, u_dest)
    if dest != Dest.HOME:
        m.delayed_now += 1
        start = env.now
        yield from m.social_workers.take()
        assessment = Exponential(m.p.discharge.assessment_days).ppf(u_assess)
        if m.mdt[pid] >= 0:
            assessment *= m.p.mdt.inreach_assessment_share  # the co-ordinator reaches into hospital
        yield env.timeout(assessment)
        m.social_workers.give_back()
        m.delay(pid, start, Reason.ASSESSMENT)
        start = env.now
        yield from pool_for(m, dest).take()
        m.delay(pid, start, REASON[dest])
        m.delayed_now -= 1
    m.beds.give_back()
    stay.left = env.now
    m.rec.event(env.now, pid, Ev.DISCHARGE, 1, int(dest))
    m.rec.event(env.now, pid, Ev.KNOWS_CONTACT, 1, int(u_know < knows_contact_share(m, pid)))
    m.last_discharge[pid] = env.now
    pop.last_crisis[pid] = env.now  # the transient risk restarts: readmissions
    go_to(m, pid, dest, returning_resident)


def knows_contact_share(m: Model, pid: int) -> float:
    """Chance a person leaving hospital knows whom to contact: a named co-ordinator, a navigator, or neither."""
    if m.mdt[pid] >= 0:
        return m.p.mdt.knows_contact
    if m.p.community.care_navigators:
        return m.p.community.navigator_knows_contact
    return m.p.discharge.knows_whom_to_contact


def go_to(m: Model, pid: int, dest: Dest, returning_resident: bool = False) -> None:
    """Arrive at the destination; the unit there has already been taken."""
    if returning_resident:
        home.arrive_home(m, pid, Place.CARE_HOME)
    elif dest == Dest.HOME:
        home.arrive_home(m, pid)
    elif dest == Dest.HOME_CARE:
        m.pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)
        home.arrive_home(m, pid)
    elif dest == Dest.REABLEMENT:
        m.release(pid)
        m.pop.care[pid] = Care.REABLEMENT
        m.hold(pid, m.reablement, Spell.REABLEMENT)
        m.reablement_end[pid] = m.env.now + m.p.social_care.reablement_days
        m.calendar.add(m.env.now + 91.0, pid, Kind.CHECK_91D.value, -1)
        home.arrive_home(m, pid)
    elif dest == Dest.INTERMEDIATE_CARE:
        m.release(pid)
        m.hold(pid, m.intermediate_care, Spell.INTERMEDIATE_CARE)
        m.env.process(social_care.intermediate_care_stay(m, pid))
    else:
        social_care.enter_care_home(m, pid)
