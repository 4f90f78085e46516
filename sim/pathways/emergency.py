"""A crisis and the emergency admission that may follow it.

crisis -> rapid response at home (if offered and the team has room), GP (if a
same-day slot is free) or A&E -> admitted with a probability
set by frailty -> wait for a bed in A&E if the hospital is full (trolley wait)
-> acute stay -> medically fit (or death in hospital) -> discharge pathway.

Every crisis draws the same uniforms from the same streams whatever route it
takes, and every admission likewise, so scenarios keep common random numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.core.calendar import Process
from sim.pathways import discharge, home
from sim.vocabulary import Ev, Place

if TYPE_CHECKING:
    from sim.core.model import Model


def on_crisis(m: Model, pid: int) -> None:
    """Calendar handler: a crisis at home or in a care home."""
    now = m.env.now
    pop = m.pop
    r = m.p.routing
    cm = m.p.community
    m.rec.event(now, pid, Ev.CRISIS)
    u_route, u_gp, u_admit = m.u("route", pid), m.u("gp_outcome", pid), m.u("admit", pid)
    u_rr, u_rr_outcome = m.u("rapid_response", pid), m.u("rapid_response_outcome", pid)
    m.home_spell_close(pid)  # every route below ends in arrive_home or leave_home
    pop.last_crisis[pid] = now
    rr_share = cm.spa_rapid_response_share if cm.single_point_of_access else cm.rapid_response_share
    if u_rr < rr_share and m.rapid_response.try_take():
        m.rec.event(now, pid, Ev.RAPID_RESPONSE)
        m.env.timeout(cm.rapid_response_visit_days).callbacks.append(lambda _e: m.rapid_response.give_back())
        if u_rr_outcome < cm.rapid_response_resolves:
            home.arrive_home(m, pid, pop.place[pid])  # crisis resolved at home
            return
    elif u_route < r.gp_first and m.gp_slots.take(now):
        m.rec.event(now, pid, Ev.GP_CONTACT)
        if u_gp >= r.gp_refers_to_ae:
            home.arrive_home(m, pid, pop.place[pid])  # managed at home
            return
    m.rec.event(now, pid, Ev.AE_ATTENDANCE)
    m.recent_ae[pid].append(now)
    admit = r.admit_from_ae_by_frailty[pop.frailty[pid]]
    if m.mdt[pid] >= 0:
        admit = min(1.0, admit * m.p.mdt.unmet_need_admission_hr)  # unmet need found by the co-ordinator
    if u_admit >= admit:
        home.arrive_home(m, pid, pop.place[pid])  # sent home from A&E
        return
    home.leave_home(m, pid)
    m.env.process(emergency_stay(m, pid, arrived=now))


def emergency_stay(m: Model, pid: int, arrived: float, elapsed: float | None = None) -> Process:
    """SimPy process: one emergency admission, from the A&E trolley to leaving the acute bed.

    ``elapsed`` starts a stay already in progress at time 0 (the initial state):
    the remaining time to medically fit is ``elapsed``.
    """
    env, pop = m.env, m.pop
    u_los, u_death, u_when = m.u("los", pid), m.u("hospital_death", pid), m.u("death_time", pid)
    if elapsed is None:
        pop.place[pid] = Place.AE
        yield from m.beds.take()
        admitted = env.now
        m.rec.event(admitted, pid, Ev.EMERGENCY_ADMISSION, 1, -1)
        m.recent_admissions[pid].append(admitted)
        if admitted - m.last_discharge[pid] <= 30.0:
            m.rec.event(admitted, pid, Ev.READMISSION_30D)
        to_fit = m.los(pid).ppf(u_los)
    else:  # in a bed already at time 0 (the caller counted it in the pool)
        admitted = 0.0
        to_fit = elapsed
    pop.place[pid] = Place.ACUTE
    stay = m.rec.stay_open(pid, True, arrived, admitted)

    if u_death < m.p.mortality.in_hospital_by_frailty[pop.frailty[pid]]:
        yield env.timeout(to_fit * u_when)
        home.die(m, pid, Place.ACUTE)
        stay.left, stay.died = env.now, True
        m.beds.give_back()
        return

    yield env.timeout(to_fit)
    stay.fit = env.now
    m.rec.event(env.now, pid, Ev.MEDICALLY_FIT)
    yield from discharge.leave_acute_bed(m, pid, stay)
