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
    """Draw the person's competing event times and file the earliest in the calendar.

    Each hazard draws from its own stream, so changing one rate (say referrals
    for people on an MDT caseload) leaves the person's other event times alone.
    """
    pop = m.pop
    now = m.env.now
    token = pop.token[pid] = pop.token[pid] + 1
    band = pop.band(pid, now)
    frailty = pop.frailty[pid]
    care = pop.care[pid]
    u = m.u
    log1p = math.log1p

    best, kind = pop.next_band_time(pid, now), kinds.BAND_CHANGE

    c = m.p.crisis
    tau = c.transient_half_life_days / LN2
    boost = c.transient_boost * math.exp(-(now - pop.last_crisis[pid]) / tau)
    rate = m.crisis_rate(pid) * mdt.crisis_multiplier(m, pid)
    t = now + crisis_delay(rate, boost, tau, -log1p(-u("crisis", pid)))
    if t < best:
        best, kind = t, kinds.CRISIS

    rate = m.death_rate(pid)
    if rate > 0:
        t = now - log1p(-u("death", pid)) / rate
        if t < best:
            best, kind = t, kinds.DEATH
    if frailty < 3:
        rate = m.frailty_up[band]
        if rate > 0:
            t = now - log1p(-u("frailty", pid)) / rate
            if t < best:
                best, kind = t, kinds.FRAILTY_STEP
    if frailty > 0:
        rate = m.frailty_down[band]
        if rate > 0:
            t = now - log1p(-u("frailty_recovery", pid)) / rate
            if t < best:
                best, kind = t, kinds.FRAILTY_RECOVERY
    if not m.op_active[pid]:  # a GP referral to an outpatient clinic (the elective route)
        rate = m.referral[band][frailty]
        if m.mdt[pid] >= 0:
            rate *= m.p.mdt.unmet_need_referral_hr
        if rate > 0:
            t = now - log1p(-u("referral", pid)) / rate
            if t < best:
                best, kind = t, kinds.REFERRAL
    if pop.place[pid] != Place.CARE_HOME and not pop.pending[pid]:
        if care == Care.NONE:
            rate = m.home_care_request[frailty]
            if rate > 0:
                t = now - log1p(-u("home_care_request", pid)) / rate
                if t < best:
                    best, kind = t, kinds.HOME_CARE_REQUEST
        if care == Care.NONE or care == Care.HOME_CARE:
            rate = m.care_home_request[frailty]
            if rate > 0:
                t = now - log1p(-u("care_home_request", pid)) / rate
                if t < best:
                    best, kind = t, kinds.CARE_HOME_REQUEST
        if care == Care.HOME_CARE:
            rate = m.home_care_end
            if rate > 0:
                t = now - log1p(-u("home_care_end", pid)) / rate
                if t < best:
                    best, kind = t, kinds.HOME_CARE_ENDS
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
