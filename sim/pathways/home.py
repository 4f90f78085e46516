"""Life at home or in a care home: the next state change from competing hazards.

Each person living in the community has one live calendar entry: the
earliest of a crisis, death, a step up or down in frailty, crossing an age
band, a request for social care, or the end of the care they hold.  A GP
referral to an outpatient clinic (the elective route) competes on a clock of
its own, so that a referral, and the end of the outpatient episode it starts,
touch only that clock: nothing about the person's health has changed, and the
entry already filed for it stays good (the hazards are memoryless, and the
crisis hazard's fading part is a fixed function of time).  Any other change
redraws both.  Every hazard draws from its own stream, so one person's times
never depend on anyone else's.  Crisis risk has a persistent part and a
transient part that jumps after a crisis or a discharge and then fades with a
half-life.  Unmet need for care (a request for home care or a care home that
waits, or was refused, ``sim.pathways.social_care``) multiplies the crisis
hazard by ``social_care.unmet_need_crisis_hr`` until it is met or lapses; the
same uniform gives the crisis time, so a hazard ratio of 1 changes nothing.
Reablement that ends with the person independent lowers their hazard of asking
for home care, in the same way, for a stated time.  Where crisis risk follows
the calendar (winters, and growth in demand beyond demography:
``sim.core.seasons``), the crisis time is drawn by thinning
(``calendar_crisis_time``), with a stream of its own for the extra draws; with
neither, the crisis time is drawn as before, number for number.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from sim.core.population import DAYS_PER_YEAR
from sim.pathways import mdt_risk
from sim.vocabulary import Care, Ev, Kind, MdtExit, Place

if TYPE_CHECKING:
    from sim.core.model import Model
    from sim.core.seasons import CrisisCalendar

# what every change of a person's state reads, as module names (much quicker to read than enum attributes) and
# Final (the compiled build reads them as C values, not by name); places, care and calendar kinds as their plain
# values, as the population's columns and the calendar hold them (see sim.core.population, sim.core.calendar)
CARE_HOME: Final = Place.CARE_HOME.value
NO_CARE: Final = Care.NONE.value
HOME_CARE: Final = Care.HOME_CARE.value
REABLEMENT: Final = Care.REABLEMENT.value
CRISIS: Final = Kind.CRISIS.value
DEATH: Final = Kind.DEATH.value
FRAILTY_STEP: Final = Kind.FRAILTY_STEP.value
FRAILTY_RECOVERY: Final = Kind.FRAILTY_RECOVERY.value
BAND_CHANGE: Final = Kind.BAND_CHANGE.value
REFERRAL: Final = Kind.REFERRAL.value
HOME_CARE_REQUEST: Final = Kind.HOME_CARE_REQUEST.value
CARE_HOME_REQUEST: Final = Kind.CARE_HOME_REQUEST.value
HOME_CARE_ENDS: Final = Kind.HOME_CARE_ENDS.value
REABLEMENT_ENDS: Final = Kind.REABLEMENT_ENDS.value
FRAILTY_CHANGED: Final = Ev.FRAILTY_STEP.value  # the event recorded at a step up or down


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


def crisis_delay_stepped(base: float, boost: float, tau: float, e: float, hr: float, days: float) -> float:
    """As :func:`crisis_delay`, with the hazard multiplied by ``hr`` for the first ``days`` days (unmet need).

    One uniform either way: past ``days`` the cumulative hazard goes on at the
    plain rate from where the raised rate left it, with the transient part
    faded by then.
    """
    first = crisis_delay(base * hr, boost, tau, e)
    if first <= days:
        return first
    fade = math.exp(-days / tau)
    spent = base * hr * (days + boost * tau * (1.0 - fade))
    return days + crisis_delay(base, boost * fade, tau, max(e - spent, 0.0))


def calendar_crisis_time(
    m: Model, pid: int, demand: CrisisCalendar, rate: float, e: float, unmet_for: float, horizon: float
) -> float:
    """The time of the person's next crisis when the calendar ``demand`` multiplies crisis risk, by thinning.

    Candidates come from the hazard ``rate`` (transient part and ``unmet_for`` days of unmet need
    included) raised to the calendar's upper bound; a candidate at ``t`` is a crisis with probability
    ``c(t) / bound``.  The first candidate uses ``e``, the crisis stream's draw; acceptance uniforms and
    the later candidates' draws come from the stream ``crisis_season``.  A rejected candidate, or none
    before the bound's interval ends, starts the next from there: nothing else about the person's risk
    changes on the way (the transient part and unmet need are fixed functions of time), so this is
    exact.  None after ``horizon`` (the first other event, or the window's end) can matter: inf.
    """
    season = m.season_stream
    tau, boost0, last = m.crisis_tau, m.crisis_boost, m.pop.last_crisis[pid]
    hr = m.unmet_need_hr
    now = t = m.now
    while True:
        bound, until = demand.bound(t)
        boost = boost0 * math.exp(-(t - last) / tau)
        left = unmet_for - (t - now)
        if left > 0:
            t_next = t + crisis_delay_stepped(rate * bound, boost, tau, e, hr, left)
        elif boost < 1e-9:
            t_next = t + e / (rate * bound)
        else:
            t_next = t + crisis_delay(rate * bound, boost, tau, e)
        if t_next < until:
            if t_next >= horizon:
                return math.inf
            if season.next(pid) * bound < demand.multiplier(t_next):
                return t_next
            t = t_next  # rejected: the next candidate from here
        else:
            t = until  # no candidate under this bound: start again under the next
            if t >= horizon:
                return math.inf
        e = -math.log1p(-season.next(pid))


def step_delay(rate: float, e: float, hr: float, days: float) -> float:
    """Days until a constant hazard ``rate``, multiplied by ``hr`` for the first ``days`` days, reaches ``e``."""
    lowered = rate * hr
    if lowered > 0 and lowered * days >= e:
        return e / lowered
    return days + (e - lowered * days) / rate


def schedule_next(m: Model, pid: int) -> None:
    """Draw the person's competing event times, file the earliest in the calendar, and their next referral.

    Each hazard draws from its own stream, so changing one rate (say referrals
    for people on an MDT caseload) leaves the person's other event times alone.
    This runs at every change of a person's state, so it reads the person's
    attributes and the model's rate tables directly (the same arithmetic as
    ``Model.crisis_rate``, ``Model.death_rate`` and ``Population.band``).
    """
    pop = m.pop
    now = m.now
    token = pop.token[pid] = pop.token[pid] + 1
    age0 = pop.age0[pid]
    age = age0 + now / DAYS_PER_YEAR
    if age < 65:
        band, best = 0, (65.0 - age0) * DAYS_PER_YEAR
    elif age < 75:
        band, best = 1, (75.0 - age0) * DAYS_PER_YEAR
    elif age < 85:
        band, best = 2, (85.0 - age0) * DAYS_PER_YEAR
    else:
        band, best = 3, math.inf
    kind = BAND_CHANGE
    frailty = pop.frailty[pid]
    care = pop.care[pid]
    in_care_home = pop.place[pid] == CARE_HOME
    crisis_s, death_s, frailty_s, recovery_s, _, home_care_s, care_home_s, home_care_end_s = m.hazard_streams
    log1p = math.log1p

    tau = m.crisis_tau
    boost = m.crisis_boost * math.exp(-(now - pop.last_crisis[pid]) / tau)
    rate = m.crisis_fit_hr[band][frailty] * m.crisis_need_hr[pop.need[pid]] * pop.risk[pid]
    if pop.alone[pid]:
        rate *= m.crisis_alone_hr
    if in_care_home:
        rate *= m.crisis_care_home_hr
    rate = rate * m.support_factor / DAYS_PER_YEAR
    if m.mdt[pid] >= 0:  # (the multiplier is 1 off a caseload)
        rate *= mdt_risk.crisis_multiplier(m, pid)
    e = -log1p(-crisis_s.next(pid))
    unmet_for = pop.unmet_until[pid] - now  # days of unmet need to come (a request waiting or refused)
    if rate <= 0:
        t = math.inf
    elif m.demand is not None:  # crisis risk follows the calendar: winters, growth in demand (sim.core.seasons)
        stepped = unmet_for > 0 and m.unmet_need_hr != 1.0 and not in_care_home
        t = calendar_crisis_time(m, pid, m.demand, rate, e, unmet_for if stepped else 0.0, min(best, m.window_end))
    elif unmet_for > 0 and m.unmet_need_hr != 1.0 and not in_care_home:
        t = now + crisis_delay_stepped(rate, boost, tau, e, m.unmet_need_hr, unmet_for)
    elif boost < 1e-9:
        t = now + e / rate
    else:
        t = now + crisis_delay(rate, boost, tau, e)
    if t < best:
        best, kind = t, CRISIS

    rate = m.death_fit_hr[band][frailty] * pop.death_hr[pid]  # the IMD fifth's ratio (1: none)
    if in_care_home:
        rate *= m.death_care_home_hr[band]
    rate = rate / DAYS_PER_YEAR
    if rate > 0:
        e = -log1p(-death_s.next(pid))
        need_for = pop.care_home_need_until[pid] - now  # waiting for a care home place: its death rate meanwhile
        if need_for > 0 and m.need_carries_care_home_hr and not in_care_home:
            t = now + step_delay(rate, e, m.death_care_home_hr[band], need_for)
        else:
            t = now + e / rate
        if t < best:
            best, kind = t, DEATH
    if frailty < 3:
        rate = m.frailty_up[band] * pop.frailty_up_hr[pid]  # the IMD fifth's (1: none)
        if frailty == 0:
            rate *= m.onset_factor  # healthy ageing slows frailty's onset (1: as today; sim.core.projection)
        if rate > 0:
            t = now - log1p(-frailty_s.next(pid)) / rate
            if t < best:
                best, kind = t, FRAILTY_STEP
    if frailty > 0:
        rate = m.frailty_down[band][frailty] * pop.frailty_down_hr[pid]
        if rate > 0:
            t = now - log1p(-recovery_s.next(pid)) / rate
            if t < best:
                best, kind = t, FRAILTY_RECOVERY
    if not in_care_home and not pop.pending[pid]:
        if care == NO_CARE:
            rate = m.home_care_request[frailty]
            if rate > 0:
                e = -log1p(-home_care_s.next(pid))
                reabled_for = pop.reabled_until[pid] - now  # reablement lowers the need for a while
                if reabled_for > 0 and m.reablement_request_hr != 1.0:
                    t = now + step_delay(rate, e, m.reablement_request_hr, reabled_for)
                else:
                    t = now + e / rate
                if t < best:
                    best, kind = t, HOME_CARE_REQUEST
        if (care == NO_CARE or care == HOME_CARE) and (band > 0 or not m.care_homes_65_plus):
            rate = m.care_home_request[band][frailty]
            if rate > 0:
                t = now - log1p(-care_home_s.next(pid)) / rate
                if t < best:
                    best, kind = t, CARE_HOME_REQUEST
        if care == HOME_CARE:
            rate = m.home_care_end
            if rate > 0:
                t = now - log1p(-home_care_end_s.next(pid)) / rate
                if t < best:
                    best, kind = t, HOME_CARE_ENDS
    if care == REABLEMENT and m.reablement_end[pid] < best:
        best, kind = m.reablement_end[pid], REABLEMENT_ENDS

    if best < m.window_end:
        m.calendar.add(best, pid, kind, token)
    schedule_referral(m, pid, band)


def schedule_referral(m: Model, pid: int, band: int | None = None) -> None:
    """File the person's next GP referral to an outpatient clinic, on its own clock; none while in an episode.

    ``band`` is the person's age band now, when the caller knows it.  The
    referral hazard changes at an age band's edge, which ``schedule_next``
    files as a state change of its own.
    """
    pop = m.pop
    token = pop.referral_token[pid] = pop.referral_token[pid] + 1
    if m.op_active[pid]:
        return
    now = m.now
    if band is None:
        band = pop.band(pid, now)
    rate = m.referral[band][pop.frailty[pid]]
    if m.mdt[pid] >= 0:
        rate *= m.mdt_referral_hr
    if rate > 0:
        t = now - math.log1p(-m.referral_stream.next(pid)) / rate
        if t < m.window_end:
            m.calendar.add(t, pid, REFERRAL, token)


def arrive_home(m: Model, pid: int, place: int = Place.HOME) -> None:
    """The person is (back) in the community: start counting GP contacts, schedule what comes next."""
    m.pop.place[pid] = place
    m.home_spell_open(pid)
    schedule_next(m, pid)


def leave_home(m: Model, pid: int) -> None:
    """The person leaves the community for a while (hospital): their scheduled events go stale.

    A reablement episode ends (its place is freed for somebody else); home care
    packages and care home places are kept for the person's return.
    """
    m.pop.token[pid] += 1
    m.pop.referral_token[pid] += 1
    m.home_spell_close(pid)
    if m.pop.care[pid] == REABLEMENT:
        m.release(pid)


def die(m: Model, pid: int, where: int) -> None:
    """Death anywhere: every unit the person held in the community is freed."""
    gone(m, pid)
    m.rec.event(m.now, pid, Ev.DEATH, 1, int(where))


def gone(m: Model, pid: int) -> None:
    """The person leaves the place for good (death, or moving away: ``sim.pathways.demography``).

    Every unit they held is freed, their scheduled events go stale, their unmet need and any caseload
    end, and ``died`` holds the time (the place calls them ``Place.DEAD``: no longer in it).
    """
    pop = m.pop
    m.home_spell_close(pid)
    m.release(pid)
    pop.place[pid] = Place.DEAD
    pop.care[pid] = NO_CARE
    if pop.died[pid] != pop.died[pid]:  # nan: first death (the count of the living follows it)
        pop.deaths += 1
    pop.died[pid] = m.now
    pop.token[pid] += 1
    pop.referral_token[pid] += 1
    m.unmet_need_met(pid)  # its spell ends with the person
    m.teams.leave(pid, MdtExit.DEATH)  # the caseload's code for a person gone for good


def on_death(m: Model, pid: int) -> None:
    die(m, pid, m.pop.place[pid])


def _frailty_change(m: Model, pid: int, step: int) -> None:
    m.home_spell_close(pid)
    m.pop.frailty[pid] += step
    m.rec.event(m.now, pid, FRAILTY_CHANGED, 1, step)
    arrive_home(m, pid, m.pop.place[pid])


def on_frailty_step(m: Model, pid: int) -> None:
    _frailty_change(m, pid, +1)


def on_frailty_recovery(m: Model, pid: int) -> None:
    _frailty_change(m, pid, -1)


def on_band_change(m: Model, pid: int) -> None:
    m.home_spell_close(pid)
    arrive_home(m, pid, m.pop.place[pid])


def on_check_91d(m: Model, pid: int) -> None:
    """Still at home 91 days after discharge into reablement? (deaths count as not at home)."""
    m.rec.event(m.now, pid, Ev.AT_HOME_91D, 1, int(m.pop.place[pid] == Place.HOME))
