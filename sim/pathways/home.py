"""Life at home or in a care home: the next state change from competing hazards.

Each person living in the community has exactly one live calendar entry: the
earliest of a crisis, death, a step up in frailty, crossing an age band, a
request for social care, or the end of the care they hold.  Every hazard draws
from its own stream, so one person's times never depend on anyone else's.
Crisis risk has a persistent part and a transient part that jumps after a
crisis or a discharge and then fades with a half-life.
"""

from __future__ import annotations

import math

from ..population import Care
from ..records import Ev, Place
from . import kinds, mdt

LN2 = math.log(2.0)


def crisis_delay(base: float, boost: float, tau: float, e: float) -> float:
    """Days until the cumulative hazard base*(x + boost*tau*(1-exp(-x/tau))) reaches ``e``.

    Newton's method from the left converges monotonically because the
    cumulative hazard is concave (the transient part only fades).
    """
    if base <= 0:
        return math.inf
    if boost < 1e-9:
        return e / base
    x = e / (base * (1.0 + boost))
    for _ in range(60):
        decay = math.exp(-x / tau)
        f = base * (x + boost * tau * (1.0 - decay)) - e
        if f > -1e-10 * e:
            break
        x -= f / (base * (1.0 + boost * decay))
    return x


def schedule_next(m, pid: int) -> None:
    """Draw the person's competing event times and file the earliest in the calendar."""
    pop = m.pop
    now = m.env.now
    pop.token[pid] += 1
    token = pop.token[pid]
    in_care_home = pop.place[pid] == Place.CARE_HOME
    care = pop.care[pid]
    c = m.p.crisis

    best, kind = pop.next_band_time(pid, now), kinds.BAND_CHANGE

    tau = c.transient_half_life_days / LN2
    boost = c.transient_boost * math.exp(-(now - pop.last_crisis[pid]) / tau)
    rate = m.crisis_rate(pid) * mdt.crisis_multiplier(m, pid)
    t = now + crisis_delay(rate, boost, tau, -math.log1p(-m.u("crisis", pid)))
    if t < best:
        best, kind = t, kinds.CRISIS

    def compete(rate: float, stream: str, k: int) -> None:
        nonlocal best, kind
        if rate > 0:
            t = now - math.log1p(-m.u(stream, pid)) / rate
            if t < best:
                best, kind = t, k

    compete(m.death_rate(pid), "death", kinds.DEATH)
    if pop.frailty[pid] < 3:
        compete(m.p.people.frailty_step_per_year[m.band(pid)] / 365.25, "frailty", kinds.FRAILTY_STEP)
    if pop.frailty[pid] > 0:
        compete(m.p.people.frailty_recovery_per_year[m.band(pid)] / 365.25, "frailty_recovery", kinds.FRAILTY_RECOVERY)
    if not m.op_active[pid]:  # a GP referral to an outpatient clinic (the elective route)
        e = m.p.elective
        referral = e.referral_per_year[m.band(pid)] * e.frailty_referral_multiplier[pop.frailty[pid]] / 365.25
        if m.mdt[pid] >= 0:
            referral *= m.p.mdt.unmet_need_referral_hr
        compete(referral, "referral", kinds.REFERRAL)
    if not in_care_home and not pop.pending[pid]:
        sc = m.p.social_care
        f = pop.frailty[pid]
        if care == Care.NONE:
            compete(sc.community_home_care_by_frailty[f] / 365.25, "home_care_request", kinds.HOME_CARE_REQUEST)
        if care in (Care.NONE, Care.HOME_CARE):
            compete(sc.community_care_home_by_frailty[f] / 365.25, "care_home_request", kinds.CARE_HOME_REQUEST)
        if care == Care.HOME_CARE:
            compete(sc.home_care_end_per_year / 365.25, "home_care_end", kinds.HOME_CARE_ENDS)
    if care == Care.REABLEMENT and m.reablement_end[pid] < best:
        best, kind = m.reablement_end[pid], kinds.REABLEMENT_ENDS

    if best < m.window_end:
        m.calendar.add(best, pid, kind, token)


def arrive_home(m, pid: int, place: Place = Place.HOME) -> None:
    """The person is (back) in the community: start counting GP contacts, schedule what comes next."""
    m.pop.place[pid] = place
    m.home_spell_open(pid)
    schedule_next(m, pid)


def leave_home(m, pid: int) -> None:
    """The person leaves the community for a while (hospital): their scheduled events go stale.

    A reablement episode ends (its place is freed for somebody else); home care
    packages and care home places are kept for the person's return.
    """
    m.pop.token[pid] += 1
    m.home_spell_close(pid)
    if m.pop.care[pid] == Care.REABLEMENT:
        m.release(pid)


def die(m, pid: int, where: Place) -> None:
    """Death anywhere: every unit the person held in the community is freed."""
    pop = m.pop
    m.home_spell_close(pid)
    m.release(pid)
    pop.place[pid] = Place.DEAD
    pop.care[pid] = Care.NONE
    pop.died[pid] = m.env.now
    pop.token[pid] += 1
    m.teams.leave(pid, mdt.EXIT_DEATH)
    m.rec.event(m.env.now, pid, Ev.DEATH, 1, int(where))


def on_death(m, pid: int) -> None:
    die(m, pid, Place(m.pop.place[pid]))


def _frailty_change(m, pid: int, step: int) -> None:
    m.home_spell_close(pid)
    m.pop.frailty[pid] += step
    m.rec.event(m.env.now, pid, Ev.FRAILTY_STEP, 1, step)
    arrive_home(m, pid, Place(m.pop.place[pid]))


def on_frailty_step(m, pid: int) -> None:
    _frailty_change(m, pid, +1)


def on_frailty_recovery(m, pid: int) -> None:
    _frailty_change(m, pid, -1)


def on_band_change(m, pid: int) -> None:
    m.home_spell_close(pid)
    arrive_home(m, pid, Place(m.pop.place[pid]))


def on_check_91d(m, pid: int) -> None:
    """Still at home 91 days after discharge into reablement? (deaths count as not at home)."""
    m.rec.event(m.env.now, pid, Ev.AT_HOME_91D, 1, int(m.pop.place[pid] == Place.HOME))
