"""A crisis and the emergency admission that may follow it.

crisis -> GP (if a same-day slot is free) or A&E -> admitted with a probability
set by frailty -> wait for a bed in A&E if the hospital is full (trolley wait)
-> acute stay -> medically fit (or death in hospital) -> discharge pathway.

Every crisis draws the same uniforms from the same streams whatever route it
takes, and every admission likewise, so scenarios keep common random numbers.
"""

from __future__ import annotations

from ..records import Ev, Place
from . import discharge, home


def on_crisis(m, pid: int) -> None:
    """Calendar handler: a crisis at home or in a care home."""
    now = m.env.now
    pop = m.pop
    r = m.p.routing
    m.rec.event(now, pid, Ev.CRISIS)
    u_route, u_gp, u_admit = m.u("route", pid), m.u("gp_outcome", pid), m.u("admit", pid)
    m.home_spell_close(pid)  # the transient risk changes the GP rate below
    pop.last_crisis[pid] = now
    if u_route < r.gp_first and m.gp_slots.take(now):
        m.rec.event(now, pid, Ev.GP_CONTACT)
        if u_gp >= r.gp_refers_to_ae:
            home.arrive_home(m, pid, Place(pop.place[pid]))  # managed at home
            return
    m.rec.event(now, pid, Ev.AE_ATTENDANCE)
    if u_admit >= r.admit_from_ae_by_frailty[pop.frailty[pid]]:
        home.arrive_home(m, pid, Place(pop.place[pid]))  # sent home from A&E
        return
    home.leave_home(m, pid)
    m.env.process(emergency_stay(m, pid, arrived=now))


def emergency_stay(m, pid: int, arrived: float, elapsed: float | None = None):
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
        stay[5], stay[6] = env.now, True
        m.beds.give_back()
        return

    yield env.timeout(to_fit)
    stay[4] = env.now
    m.rec.event(env.now, pid, Ev.MEDICALLY_FIT)
    yield from discharge.leave_acute_bed(m, pid, stay)
