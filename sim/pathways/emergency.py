"""A crisis, the A&E visit that may follow it, and the emergency admission that may follow that.

crisis -> rapid response at home (if offered and the team has room), GP (if a
same-day slot is free) or A&E -> some hours in A&E until the decision ->
sent home, or admitted (with a probability set by frailty) -> wait in A&E for
a bed if none is free (a trolley wait) -> acute stay -> medically fit (or
death in hospital) -> discharge pathway.

Emergencies are never refused: an admitted person takes a general core bed,
else an escalation bed, else waits in A&E for whichever frees first
(``sim.core.hospital``).  The hospital responds to pressure: when the core
beds' occupancy of the moment passes a threshold, A&E admits fewer of the
people it could send home (``routing.admit_pressure_*``) and stays to
medically fit are shorter (``acute.los_pressure_*``), both growing in a
straight line to their size when every core bed is taken.

A rapid response keeps the person at home with a probability that depends on
how severe the crisis is: ``community.rapid_response_resolves_severe`` for a
crisis A&E would admit (its own ``admit`` uniform below the chance of
admission, pressure aside), ``community.rapid_response_resolves_minor`` for
the rest.  Severity is the crisis's own draw, so scenarios keep common random
numbers, and equal shares give back the single share of earlier versions.

A co-ordinator who knows an enrolled person sends a share of the crises the
GP would manage at home to A&E (``mdt.ae_referral_share``,
``sim.pathways.mdt_risk.sends_to_ae``): A&E decides on them as on any crisis,
with the crisis's own ``admit`` uniform against the ordinary chance by
frailty, and an admission of one is shorter
(``mdt.ae_referral_los_multiplier`` on the days to medically fit).

Every crisis draws the same uniforms from the same streams whatever route it
takes (the time to the decision from a stream of its own, ``ae_decision``),
and every admission likewise, so scenarios keep common random numbers; the
responses to pressure compare the same uniforms with adjusted thresholds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from librt.vecs import append

from sim.core.calendar import Process, Steps
from sim.core.hospital import pressure_response
from sim.core.inverse import lognormal_ppf
from sim.pathways import discharge, home, mdt_risk
from sim.vocabulary import AeExit, Care, Ev, Place

if TYPE_CHECKING:
    from sim.core.model import Model

SENT_HOME: Final = AeExit.SENT_HOME
ADMITTED: Final = AeExit.ADMITTED
SENT_HOME_UNDER_PRESSURE: Final = AeExit.SENT_HOME_UNDER_PRESSURE
DIED_WAITING: Final = AeExit.DIED_WAITING
FIT_WITHOUT_BED: Final = AeExit.FIT_WITHOUT_BED
# read at every crisis and admission, as module names (much quicker to read than enum attributes) and Final
# (read as C values by the compiled build); events and places as their plain values, as the records and the
# population's columns hold them
CRISIS: Final = Ev.CRISIS.value
RAPID_RESPONSE: Final = Ev.RAPID_RESPONSE.value
GP_CONTACT: Final = Ev.GP_CONTACT.value
AE_ATTENDANCE: Final = Ev.AE_ATTENDANCE.value
AE_DEPARTURE: Final = Ev.AE_DEPARTURE.value
BED_WAIT: Final = Ev.BED_WAIT.value
EMERGENCY_ADMISSION: Final = Ev.EMERGENCY_ADMISSION.value
READMISSION_30D: Final = Ev.READMISSION_30D.value
MEDICALLY_FIT: Final = Ev.MEDICALLY_FIT.value
IN_AE: Final = Place.AE.value
IN_ACUTE: Final = Place.ACUTE.value


def on_crisis(m: Model, pid: int) -> None:
    """Calendar handler: a crisis at home or in a care home."""
    now = m.now
    pop = m.pop
    c = m.crises  # the parameters a crisis reads (routing, community), at hand (Model._derive)
    m.rec.event(now, pid, CRISIS)
    u_route, u_gp, u_admit = m.u("route", pid), m.u("gp_outcome", pid), m.u("admit", pid)
    u_rr, u_rr_outcome = m.u("rapid_response", pid), m.u("rapid_response_outcome", pid)
    m.home_spell_close(pid)  # every route below ends in arrive_home or leave_home
    pop.last_crisis[pid] = now
    admit = c.admit_from_ae_by_frailty[pop.frailty[pid]]
    los_factor = 1.0  # multiplier on the days to medically fit if admitted
    if u_rr < c.rapid_response_share and m.rapid_response.try_take():  # (with a single point of access, its own)
        m.after(c.rapid_response_visit_days, m.rapid_response.give_back)
        severe = u_admit < admit  # a crisis A&E would admit
        resolved = u_rr_outcome < (c.rapid_response_resolves_severe if severe else c.rapid_response_resolves_minor)
        m.rec.event(now, pid, RAPID_RESPONSE, 1, int(resolved))
        if resolved:
            home.arrive_home(m, pid, pop.place[pid])  # crisis resolved at home
            return
    elif u_route < c.gp_first and m.gp_slots.take(now):
        m.rec.event(now, pid, GP_CONTACT)
        if u_gp >= c.gp_refers_to_ae:
            if not mdt_risk.sends_to_ae(m, pid):
                home.arrive_home(m, pid, pop.place[pid])  # managed at home
                return
            los_factor = m.p.mdt.ae_referral_los_multiplier  # the co-ordinator sends a crisis the GP would keep at home
    m.rec.event(now, pid, AE_ATTENDANCE)
    m.ae_pids, m.ae_times = append(m.ae_pids, pid), append(m.ae_times, now)
    m.start(ae_visit(m, pid, admit, u_admit, m.u("ae_decision", pid), los_factor))


def admit_probability(m: Model, admit: float) -> float:
    """The chance of admission once the hospital's pressure is taken into account: lower when beds are short."""
    c = m.crises
    return admit * (1.0 - pressure_response(m.beds.pressure, c.admit_pressure_threshold, c.admit_pressure_reduction))


def days_to_fit(m: Model, pid: int, u_los: float) -> tuple[float, float]:
    """Days from admission to medically fit, and the days taken off them because beds are short.

    Clinicians discharge sooner when the hospital is full.
    """
    c = m.crises
    shorter = pressure_response(m.beds.pressure, c.los_pressure_threshold, c.los_pressure_reduction)
    los = m.los(pid)
    full = lognormal_ppf(los.mu, los.sigma, u_los)  # los.ppf(u_los), by the compiled quantile (no Python frame)
    return full * (1.0 - shorter), full * shorter


def ae_visit(m: Model, pid: int, admit: float, u_admit: float, u_decision: float, los_factor: float = 1.0) -> Steps:
    """A pathway (``Model.start``): in A&E until the decision, then sent home, or admitted (waiting for a bed
    if none is free).

    ``los_factor`` multiplies the days to medically fit of the admission (shorter for a less severe crisis).
    """
    pop = m.pop
    lives_in = pop.place[pid]
    pop.place[pid] = IN_AE
    m.beds.ae_arrival()
    decision = m.ae_decision  # days in A&E to the decision (Model._derive), by the compiled quantile
    yield m.wait(lognormal_ppf(decision.mu, decision.sigma, u_decision))
    m.beds.ae_decided()
    if u_admit >= admit_probability(m, admit):
        m.rec.event(m.now, pid, AE_DEPARTURE, 1, SENT_HOME_UNDER_PRESSURE if u_admit < admit else SENT_HOME)
        home.arrive_home(m, pid, lives_in)  # sent home from A&E
        return
    home.leave_home(m, pid)
    yield from emergency_stay(m, pid, arrived=m.now, los_factor=los_factor)


def emergency_stay(m: Model, pid: int, arrived: float, elapsed: float | None = None, los_factor: float = 1.0) -> Steps:
    """A pathway (``Model.start``, or within an A&E visit): one emergency admission, from the decision to
    admit to leaving the acute bed.

    ``arrived`` is when the person began to wait for a bed (the decision to
    admit); the trolley wait runs from it to taking the bed.  The course of
    the admission (the days to medically fit, or to a death in hospital)
    runs from the decision to admit, in A&E while no bed is free: a wait for
    a bed does not pause an illness, and whoever is still waiting when the
    course ends dies in A&E or leaves it fit without a bed
    (:func:`course_ends_in_ae`).  So a queue for beds can never hold a person
    for longer than their course: without this, a hospital whose queue grows
    year after year (capacity pinned against an ageing population) would
    hold its waiting patients out of reach of death.  ``elapsed``
    starts a stay already in progress at time 0 (the initial state, whose bed
    was preloaded without a holder): the remaining time to medically fit is
    ``elapsed``.  ``los_factor`` multiplies the days to medically fit.
    """
    env, pop = m.env, m.pop
    u_los, u_death, u_when = m.u("los", pid), m.u("hospital_death", pid), m.u("death_time", pid)
    dies = u_death < m.crises.in_hospital_by_frailty[pop.frailty[pid]]
    if elapsed is None:
        pop.place[pid] = IN_AE
        bed = m.beds.request(pid)
        if bed is None:  # a bed at once: the course starts in it
            course = None
        else:  # a trolley wait: the course starts now, in A&E
            m.rec.event(m.now, pid, BED_WAIT)
            course = days_to_fit(m, pid, u_los)
            ends = course[0] * los_factor * (u_when if dies else 1.0)
            yield bed | env.timeout(ends)
            if not bed.triggered:  # the course ended before a bed was free
                yield from course_ends_in_ae(m, pid, dies)
                return
        admitted = m.now
        m.rec.event(admitted, pid, AE_DEPARTURE, 1, ADMITTED)
        m.rec.event(admitted, pid, EMERGENCY_ADMISSION, 1, -1)
        m.admission_pids, m.admission_times = append(m.admission_pids, pid), append(m.admission_times, admitted)
        if admitted - m.last_discharge[pid] <= 30.0:
            m.rec.event(admitted, pid, READMISSION_30D)
        to_fit, shortened = days_to_fit(m, pid, u_los) if course is None else course
        to_fit *= los_factor
    else:
        m.beds.claim(pid)
        admitted = 0.0
        to_fit, shortened = elapsed, 0.0
    waited = admitted - arrived if elapsed is None else 0.0  # days of the course already run in A&E
    pop.place[pid] = IN_ACUTE
    stay = m.rec.stay_open(pid, True, arrived, admitted)
    stay.shortened = shortened

    if dies:
        yield m.wait(max(to_fit * u_when - waited, 0.0))
        home.die(m, pid, IN_ACUTE)
        stay.left, stay.died = m.now, True
        m.beds.give_back(pid)
        return

    yield m.wait(max(to_fit - waited, 0.0))
    stay.fit = m.now
    m.rec.event(m.now, pid, MEDICALLY_FIT)
    yield from discharge.leave_acute_bed(m, pid, stay)


def course_ends_in_ae(m: Model, pid: int, dies: bool) -> Process:
    """The admission's course ran its length on a trolley, before any bed was free (corridor care).

    The person leaves the queue for a bed: they die in A&E, or, medically fit,
    go back where they live (their care needs after it are left to the
    community's routes, a request for social care from home).  Neither is an
    admission: there was no bed.  Only a hospital whose queue outlasts a whole
    course of care gets here (none in the baseline).
    """
    m.beds.withdraw(pid)
    if dies:
        m.rec.event(m.now, pid, Ev.AE_DEPARTURE, 1, DIED_WAITING)
        home.die(m, pid, Place.AE)
    else:
        m.rec.event(m.now, pid, Ev.AE_DEPARTURE, 1, FIT_WITHOUT_BED)
        m.last_discharge[pid] = m.now
        m.pop.last_crisis[pid] = m.now  # the transient risk restarts, as after a discharge
        home.arrive_home(m, pid, Place.CARE_HOME if m.pop.care[pid] == Care.CARE_HOME else Place.HOME)
    return
    yield  # a generator: ``yield from`` it
