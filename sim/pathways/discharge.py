"""Leaving the acute bed: from medically fit, through the assessments and waits England's returns name, to discharge.

Every day between medically fit and leaving is a delayed discharge day.  Each
wait is recorded with its category in the national delayed transfers of care
returns (``sim.vocabulary.Delay``) and whom the returns attributed it to
(``Responsible``), by category and by who pays for the care (``Funding``):

- people going home with no new support, and care home residents going back
  to their home, leave when fit;
- everyone else, when the hospital assesses before discharge (the baseline,
  as in the 2016-18 returns): the hospital team's assessment (NHS); then a
  social worker's assessment for social care (social care; a social worker
  must be free), or the NHS Continuing Healthcare decision for people it
  funds (NHS); the council's funding decision for council-supported places
  (social care); the choice of a care home (by funding); a dispute between
  organisations (both);
- people going home with support wait for the council's brokerage to find
  a provider for their package (care package in own home, by funding), and
  may wait for equipment or adaptations (both; for a person an MDT's
  occupational therapist co-ordinates, ``mdt.ot_equipment_wait_share`` of the
  wait) and for housing (by funding);
- people going to a care home wait for a home with a vacancy that suits
  them and accepts their funding (care home placement, by funding), with or
  without discharge to assess;
- last, a unit of the service they go to: home care or reablement (care
  package in own home, by funding), bed-based intermediate care or community
  hospital (further non-acute NHS care, NHS), a care home place (by funding);
  a full destination is waited for, or, when the scenario says so
  (``discharge.step_down_when_full``), swapped for the next service on its
  ladder with room (``STEPS``; recorded as ``Ev.DESTINATION_STEP``).  The
  person leaves as soon as the unit is theirs.

With discharge to assess (``discharge.assess_after_discharge``) people leave
as soon as their pathway's service has room (and equipment and housing
allow); the assessments happen after discharge, and the social worker's
still takes a social worker's time.

Attribution by funding follows the returns: a delay is social care's when
the council is responsible for the person's care, the NHS's when the NHS
funds it or the person pays for themselves.

Every discharge draws the same uniforms whatever its destination, so scenarios
keep common random numbers.  A wait that happens to a share of people uses one
uniform for both whether and how long: below the share, ``u / share`` is again
uniform.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Final

import simpy

from sim.core.calendar import Process, Steps
from sim.core.distributions import Exponential
from sim.core.inverse import exponential_ppf
from sim.core.records import OpenStay
from sim.core.services import CapacityPool
from sim.pathways import home, social_care
from sim.pathways.mdt_risk import OCCUPATIONAL_THERAPIST
from sim.vocabulary import Care, Delay, Dest, Ev, Funding, Kind, Need, Place, Reason, Responsible, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

NHS: Final = Responsible.NHS
SOCIAL_CARE: Final = Responsible.SOCIAL_CARE
BOTH: Final = Responsible.BOTH
# where a person goes when their destination is full and the scenario steps people on (first with room)
STEPS = {
    Dest.CARE_HOME: (Dest.INTERMEDIATE_CARE,),  # an interim bed while a home is found
    Dest.HOME_CARE: (Dest.REABLEMENT, Dest.INTERMEDIATE_CARE),
    Dest.REABLEMENT: (Dest.HOME_CARE, Dest.INTERMEDIATE_CARE),
    Dest.INTERMEDIATE_CARE: (Dest.REABLEMENT,),
}
PLACE_WAIT = {  # the national category of waiting for a unit of each service
    Dest.HOME_CARE: Delay.HOME_CARE,
    Dest.REABLEMENT: Delay.HOME_CARE,
    Dest.INTERMEDIATE_CARE: Delay.NON_ACUTE_NHS,
    Dest.CARE_HOME: Delay.CARE_HOME,
}
REASON = {  # the service awaited (``delayed_days_awaiting_<name>``)
    Dest.HOME_CARE: Reason.HOME_CARE,
    Dest.REABLEMENT: Reason.REABLEMENT,
    Dest.INTERMEDIATE_CARE: Reason.INTERMEDIATE_CARE,
    Dest.CARE_HOME: Reason.CARE_HOME,
}
SOCIAL_CARE_DESTS = (Dest.HOME_CARE, Dest.REABLEMENT, Dest.CARE_HOME)  # a social worker assesses for these
FUNDED_DESTS = (Dest.HOME_CARE, Dest.CARE_HOME)  # paid for by the council, the person or the NHS
HOME_WITH_SUPPORT = (Dest.HOME_CARE, Dest.REABLEMENT)


def choose_destination(m: Model, pid: int, u: float) -> Dest:
    """Where the person needs to go, from frailty, need, carer and the care they already have."""
    pop, d = m.pop, m.p.discharge
    f = pop.frailty[pid]
    support = d.lives_alone_support_hr if pop.alone[pid] else 1.0
    dementia = d.dementia_care_home_hr if pop.need[pid] == Need.DEMENTIA else 1.0
    care_home = d.care_home_by_frailty[f] * support * dementia * m.care_home_age_hr[m.band(pid)]
    if not social_care.may_enter_care_home(m, pid):
        care_home = 0.0  # an under-65: older people's care homes are not theirs (social_care.care_homes_65_plus)
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


def funding(m: Model, dest: Dest, u: float) -> Funding:
    """Who pays for the care at ``dest``: the NHS (Continuing Healthcare), the person, or the council.

    Reablement and intermediate care are free at the point of use (the council's and the NHS's own);
    self-funding applies to care homes (``social_care.self_funder_share``).
    """
    d = m.p.discharge
    if dest not in FUNDED_DESTS:
        return Funding.COUNCIL if dest == Dest.REABLEMENT else Funding.NHS
    if u < d.nhs_funded_share:
        return Funding.NHS
    if dest == Dest.CARE_HOME and u < d.nhs_funded_share + (1 - d.nhs_funded_share) * m.p.social_care.self_funder_share:
        return Funding.SELF
    return Funding.COUNCIL


def by_funding(payer: Funding) -> Responsible:
    """The returns' rule: social care's when the council is responsible for the care, else the NHS's."""
    return SOCIAL_CARE if payer == Funding.COUNCIL else NHS


def wait_days(u: float, share: float, mean_days: float) -> float:
    """A wait that happens to ``share`` of people, exponential with ``mean_days``: 0 when ``u >= share``."""
    if u >= share or mean_days <= 0:
        return 0.0
    return exponential_ppf(mean_days, u / share)  # Exponential(mean_days).ppf, read at every wait


def pool_for(m: Model, dest: Dest) -> CapacityPool:
    """The service whose unit a person going to ``dest`` takes (not for ``Dest.HOME``)."""
    return {
        Dest.HOME_CARE: m.home_care,
        Dest.REABLEMENT: m.reablement,
        Dest.INTERMEDIATE_CARE: m.intermediate_care,
        Dest.CARE_HOME: m.care_homes,
    }[dest]


def leave_acute_bed(m: Model, pid: int, stay: OpenStay) -> Process:
    """SimPy generator, from medically fit to discharge, or to a death in the bed while waiting to leave.

    A person medically fit who waits to leave is exposed to their own death
    hazard (``Model.death_rate``: age band, frailty, deprivation), drawn from
    a stream of its own (``delayed_death``): waiting does not stop the clock
    of a life.  In the baseline's short delays this is rare; where capacity
    is pinned against an ageing population and delays last months, it keeps
    the people waiting within reach of death as they would be at home.
    """
    env, pop = m.env, m.pop
    draws = tuple(m.u(name, pid) for name in DISCHARGE_DRAWS)
    u_dest, u_know, u_fund = draws[0], draws[2], draws[3]
    returning_resident = pop.care[pid] == Care.CARE_HOME
    dest = Dest.HOME if returning_resident else choose_destination(m, pid, u_dest)
    payer = funding(m, dest, u_fund)
    if dest != Dest.HOME:
        m.delayed_now += 1
        waits = env.process(awaiting_discharge(m, pid, dest, payer, draws))
        rate = m.death_rate(pid)
        if dest == Dest.CARE_HOME and m.need_carries_care_home_hr:
            rate *= m.death_care_home_hr[m.band(pid)]  # the need for a care home carries its risk (care_home_hr)
        if rate > 0:
            yield waits | env.timeout(-math.log1p(-m.u("delayed_death", pid)) / rate)
        else:
            yield waits
        m.delayed_now -= 1
        if not waits.triggered:  # died in the bed, medically fit, before the way out was ready
            waits.interrupt()  # its waits end now: a unit it waited for goes to the next in line
            home.die(m, pid, Place.ACUTE)
            stay.left, stay.died = m.now, True
            m.beds.give_back(pid)
            return
        taken: Dest | None = waits.value
        if taken is None:
            raise RuntimeError(f"person {pid}: the waits to leave hospital ended without a destination")
        dest = taken
    m.beds.give_back(pid)
    stay.left = m.now
    m.rec.event(m.now, pid, Ev.DISCHARGE, 1, int(dest))
    m.rec.event(m.now, pid, Ev.KNOWS_CONTACT, 1, int(u_know < knows_contact_share(m, pid)))
    m.last_discharge[pid] = m.now
    pop.last_crisis[pid] = m.now  # the transient risk restarts: readmissions
    go_to(m, pid, dest, returning_resident, payer)


# the uniforms every discharge draws, in order, whatever its destination (common random numbers)
DISCHARGE_DRAWS = (
    "destination",
    "assessment",
    "knows_contact",
    "funding",
    "therapy",
    "funding_wait",
    "choice",
    "dispute",
    "package_start",
    "equipment",
    "housing",
)


def awaiting_discharge(
    m: Model, pid: int, dest: Dest, payer: Funding, draws: tuple[float, ...]
) -> Generator[simpy.Event, object, Dest | None]:
    """SimPy process: the assessments and waits before a medically fit person can leave for ``dest``.

    Returns the destination taken (a step down the ladder may change it); None if interrupted by the
    person's death (each wait records its delayed days up to then).
    """
    d = m.p.discharge
    _, u_assess, _, _, u_therapy, u_fund_wait, u_choice, u_dispute, u_start, u_equipment, u_housing = draws
    try:
        if not d.assess_after_discharge:
            yield from _wait(m, pid, wait_days(u_therapy, 1.0, d.therapy_assessment_days), Delay.ASSESSMENT, NHS)
            if payer == Funding.NHS and dest in FUNDED_DESTS:
                wait = wait_days(u_fund_wait, 1.0, d.nhs_funding_days)
                yield from _wait(m, pid, wait, Delay.PUBLIC_FUNDING, NHS)
            elif dest in SOCIAL_CARE_DESTS:
                yield from social_worker_assessment(m, pid, u_assess)
                if payer == Funding.COUNCIL and dest in FUNDED_DESTS:
                    wait = wait_days(u_fund_wait, 1.0, d.council_funding_days)
                    yield from _wait(m, pid, wait, Delay.PUBLIC_FUNDING, SOCIAL_CARE)
            if dest == Dest.CARE_HOME:
                wait = wait_days(u_choice, d.choice_share, d.choice_days)
                yield from _wait(m, pid, wait, Delay.PATIENT_CHOICE, by_funding(payer))
            yield from _wait(m, pid, wait_days(u_dispute, d.dispute_share, d.dispute_days), Delay.DISPUTES, BOTH)
        elif dest in SOCIAL_CARE_DESTS:
            m.start(assessment_after_discharge(m, u_assess))
        if dest in HOME_WITH_SUPPORT:
            wait = wait_days(u_start, 1.0, d.package_start_days)
            yield from _wait(m, pid, wait, Delay.HOME_CARE, by_funding(payer))
            wait = wait_days(u_equipment, d.equipment_share, d.equipment_days)
            if m.mdt[pid] == OCCUPATIONAL_THERAPIST:  # the co-ordinating OT has ordered it before discharge
                wait *= m.p.mdt.ot_equipment_wait_share
            yield from _wait(m, pid, wait, Delay.EQUIPMENT, BOTH)
            wait = wait_days(u_housing, d.housing_share, d.housing_days)
            yield from _wait(m, pid, wait, Delay.HOUSING, by_funding(payer))
        if dest == Dest.CARE_HOME:
            wait = wait_days(m.u("care_home_search", pid), d.care_home_search_share, d.care_home_search_days)
            yield from _wait(m, pid, wait, Delay.CARE_HOME, by_funding(payer))
        return (yield from take_place(m, pid, dest, payer))  # nothing waits after this: the unit is held
    except simpy.Interrupt:  # the person died waiting
        return None


def _wait(m: Model, pid: int, days: float, category: Delay, responsible: Responsible) -> Process:
    """Wait ``days`` in the bed, recorded as delayed days of ``category`` (up to a death that ends it)."""
    if days > 0:
        start = m.now
        try:
            yield m.env.timeout(days)
        finally:
            m.delay(pid, start, category, responsible)


def social_worker_assessment(m: Model, pid: int, u: float) -> Process:
    """Wait for a social worker, then the assessment.

    For a person on an MDT caseload it is shorter: the co-ordinator reaches into hospital, and with social
    care in the team the team's social worker is trusted to assess (``mdt.trusted_assessment_share`` of
    the time left; 0: none).
    """
    start = m.now
    try:
        yield from m.social_workers.take()
        assessment = Exponential(m.p.discharge.assessment_days).ppf(u)
        if m.mdt[pid] >= 0:
            assessment *= m.p.mdt.inreach_assessment_share  # the co-ordinator reaches into hospital
            if m.p.mdt.social_care_in_team:
                assessment *= m.p.mdt.trusted_assessment_share  # trusted assessment by the team's social worker
        try:
            yield m.env.timeout(assessment)
        finally:
            m.social_workers.give_back()
    finally:
        m.delay(pid, start, Delay.ASSESSMENT, SOCIAL_CARE, Reason.ASSESSMENT)


def assessment_after_discharge(m: Model, u: float) -> Steps:
    """Discharge to assess: the social worker's assessment, at the person's destination (no bed is held)."""
    yield from m.social_workers.take()
    yield m.wait(Exponential(m.p.discharge.assessment_days).ppf(u))
    m.social_workers.give_back()


def take_place(m: Model, pid: int, dest: Dest, payer: Funding) -> Generator[simpy.Event, object, Dest]:
    """A unit of the service at ``dest``: at once, from the next service on the ladder, or after a wait.

    Returns the destination taken.
    """
    pool = pool_for(m, dest)
    if pool.try_take():
        return dest
    if m.p.discharge.step_down_when_full:
        for other in STEPS[dest]:
            if pool_for(m, other).try_take():
                m.rec.event(m.now, pid, Ev.DESTINATION_STEP, 1, 10 * int(dest) + int(other))
                return other
    start = m.now
    responsible = NHS if dest == Dest.INTERMEDIATE_CARE else by_funding(payer)
    try:
        yield from pool.take()
    finally:
        m.delay(pid, start, PLACE_WAIT[dest], responsible, REASON[dest])
    return dest


def knows_contact_share(m: Model, pid: int) -> float:
    """Chance a person leaving hospital knows whom to contact: a named co-ordinator, a navigator, or neither."""
    if m.mdt[pid] >= 0:
        return m.p.mdt.knows_contact
    if m.p.community.care_navigators:
        return m.p.community.navigator_knows_contact
    return m.p.discharge.knows_whom_to_contact


def go_to(m: Model, pid: int, dest: Dest, returning_resident: bool = False, payer: Funding = Funding.COUNCIL) -> None:
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
        m.reablement_end[pid] = m.now + m.p.social_care.reablement_days
        m.calendar.add(m.now + 91.0, pid, Kind.CHECK_91D.value, -1)
        home.arrive_home(m, pid)
    elif dest == Dest.INTERMEDIATE_CARE:
        m.release(pid)
        m.hold(pid, m.intermediate_care, Spell.INTERMEDIATE_CARE)
        m.start(social_care.intermediate_care_stay(m, pid))
    else:
        social_care.enter_care_home(m, pid, int(payer == Funding.COUNCIL))
