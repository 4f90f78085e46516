"""Social care outside hospital: requests from the community, reablement, intermediate care, care homes.

Hospital discharges have priority 0 for a unit of care; requests from the
community (and people finishing reablement) queue behind them at priority 1,
so a full service shows first as delayed discharges.  People on the caseload
of an MDT with social care in the team queue with the discharges
(``mdt.priority_package_access``): the team's social worker speeds their
request, and the council's waiting list does not turn it away.  A home care
package is kept while its holder is in hospital (``home.leave_home``), so it
restarts on discharge with no new brokerage wait.

Care homes here are older people's: only people aged 65 or over take a place
(``social_care.care_homes_65_plus``, as the figures they are calibrated to count);
an under-65 with complex needs who needs more than a package gets home care.

Social care that prevents.  A request that waits on the council's list, or
is refused because the list is full (``Ev.SOCIAL_CARE_REFUSED``), leaves the
person with unmet need: until a unit is theirs or they take up care on
leaving hospital, or, after a refusal, for ``social_care.unmet_need_refused_days``
(people find help elsewhere or ask again).  While it lasts their crisis
hazard is multiplied by ``social_care.unmet_need_crisis_hr`` (``home.schedule_next``),
and it is recorded as a spell (``Spell.UNMET_NEED``).  Reablement that ends
with the person independent lowers their hazard of asking for home care by
``social_care.reablement_request_hr`` for ``social_care.reablement_effect_days``.
Neither draws a random number, so with the hazard ratios at 1 every run is
what it was without them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from sim.core.calendar import Steps
from sim.core.distributions import Exponential
from sim.core.inverse import categorical
from sim.core.services import CapacityPool
from sim.parameters.params import per_place
from sim.pathways import home
from sim.vocabulary import Care, Ev, MdtExit, Place, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

DISCHARGE: Final = 0  # queue priorities for a unit of care
COMMUNITY: Final = 1


def priority(m: Model, pid: int) -> int:
    """A community request's place in the queue: behind discharges, unless the person's MDT has social care
    in the team, whose social worker gets enrolled people's requests the discharges' priority."""
    p = m.p.mdt
    if m.mdt[pid] >= 0 and p.social_care_in_team and p.priority_package_access:
        return DISCHARGE
    return COMMUNITY


def may_enter_care_home(m: Model, pid: int) -> bool:
    """Whether the person may take a care home place: 65 or over (``social_care.care_homes_65_plus``)."""
    return not m.care_homes_65_plus or m.band(pid) > 0


def enter_care_home(m: Model, pid: int, funded: int | None = None) -> None:
    """Move into a care home place already taken for this person (permanent admission).

    ``funded``: 1 council-supported, 0 not (self-funded or NHS-funded); drawn when not known.
    """
    m.home_spell_close(pid)
    m.release(pid)  # a home care package ends
    if funded is None:
        funded = int(m.u("self_funder", pid) >= m.p.social_care.self_funder_share)
    m.pop.care[pid] = Care.CARE_HOME
    m.hold(pid, m.care_homes, Spell.CARE_HOME, funded)
    m.teams.leave(pid, MdtExit.CARE_HOME)
    m.rec.event(m.now, pid, Ev.CARE_HOME_ADMISSION, 1, funded)
    home.arrive_home(m, pid, Place.CARE_HOME)


def _waiting_list_full(m: Model, pool: CapacityPool) -> bool:
    limit = per_place(m.p.social_care.community_waiting_list_per_100k, m.p.place.registered_population)
    return len(pool.queues[COMMUNITY]) >= limit


def unmet_need(m: Model, pid: int, until: float) -> None:
    """The person's need for care goes unmet until ``until`` (inf: while their request waits), or longer."""
    pop = m.pop
    if until <= pop.unmet_until[pid]:
        return
    pop.unmet_until[pid] = until
    row = m.unmet_spell[pid]
    if row is None or row.end <= m.now:  # none open (a refusal's may have lapsed)
        row = m.unmet_spell[pid] = m.rec.spell_open(pid, Spell.UNMET_NEED, m.now)
    row.end = math.nan if until == math.inf else until


def refused(m: Model, pid: int, care_home: bool) -> None:
    """A request turned away as the council's waiting list is full: recorded, and the need goes unmet for a while."""
    m.rec.event(m.now, pid, Ev.SOCIAL_CARE_REFUSED, 1, int(care_home))
    until = m.now + m.p.social_care.unmet_need_refused_days
    unmet_need(m, pid, until)
    if care_home:
        needs_care_home(m, pid, until)


def needs_care_home(m: Model, pid: int, until: float) -> None:
    """The person needs a care home place they do not have until ``until`` (inf: while on the list).

    With ``mortality.need_carries_care_home_hr`` their death hazard is the care home rate meanwhile
    (``home.schedule_next``); the need ends with their unmet need (``Model.unmet_need_met``).
    """
    pop = m.pop
    pop.care_home_need_until[pid] = max(pop.care_home_need_until[pid], until)


def request_home_care(m: Model, pid: int) -> None:
    """Ask for a home care package from the community; it starts when a package is free.

    When the council's waiting list is full the request is refused (no wait is recorded).
    """
    queue = priority(m, pid)
    if queue == COMMUNITY and _waiting_list_full(m, m.home_care):
        refused(m, pid, care_home=False)
        return
    m.pop.pending[pid] = True
    unmet_need(m, pid, math.inf)
    m.home_care.join_queue(queue).callbacks.append(lambda _e: _home_care_granted(m, pid))


def _home_care_granted(m: Model, pid: int) -> None:
    pop = m.pop
    pop.pending[pid] = False
    if pop.place[pid] == Place.HOME and pop.care[pid] == Care.NONE:
        pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)
        home.schedule_next(m, pid)
    else:
        m.home_care.give_back()
        m.unmet_need_met(pid)  # the request is over: care came another way, or the person is away
        if pop.place[pid] == Place.HOME:
            home.schedule_next(m, pid)


def request_care_home(m: Model, pid: int) -> None:
    """A care home from the community; the person stays home until a place is free (if the list has room)."""
    queue = priority(m, pid)
    if queue == COMMUNITY and _waiting_list_full(m, m.care_homes):
        refused(m, pid, care_home=True)
        return
    m.pop.pending[pid] = True
    unmet_need(m, pid, math.inf)
    needs_care_home(m, pid, math.inf)
    m.care_homes.join_queue(queue).callbacks.append(lambda _e: _care_home_granted(m, pid))


def _care_home_granted(m: Model, pid: int) -> None:
    pop = m.pop
    pop.pending[pid] = False
    if pop.place[pid] == Place.HOME:
        enter_care_home(m, pid)
    else:
        m.care_homes.give_back()
        m.unmet_need_met(pid)


def on_home_care_request(m: Model, pid: int) -> None:
    request_home_care(m, pid)
    home.schedule_next(m, pid)


def on_care_home_request(m: Model, pid: int) -> None:
    request_care_home(m, pid)
    home.schedule_next(m, pid)


def on_home_care_ends(m: Model, pid: int) -> None:
    m.release(pid)
    home.schedule_next(m, pid)


def on_reablement_ends(m: Model, pid: int) -> None:
    """Reablement ends with the person independent, on long-term home care, or needing a care home."""
    sc = m.p.social_care
    outcome = categorical(m.u("reablement_outcome", pid), sc.reablement_outcome)
    m.release(pid)
    if outcome == 0:  # independent: less likely to need a package for a while (Glendinning et al. 2010)
        m.pop.reabled_until[pid] = m.now + sc.reablement_effect_days
    elif outcome == 1:
        request_home_care(m, pid)
    elif outcome == 2 and may_enter_care_home(m, pid):
        request_care_home(m, pid)
    elif outcome == 2:  # an under-65 who needs more than a package: home care, the only long-term care here
        request_home_care(m, pid)
    home.schedule_next(m, pid)


def intermediate_care_stay(m: Model, pid: int) -> Steps:
    """A pathway (``Model.start``): a bed-based intermediate care stay; onward care is awaited in the bed."""
    sc = m.p.social_care
    u_len, u_death, u_out = m.u("ic_length", pid), m.u("ic_death", pid), m.u("ic_outcome", pid)
    m.pop.place[pid] = Place.INTERMEDIATE_CARE
    length = Exponential(sc.intermediate_care_days).ppf(u_len)
    rate = m.death_rate(pid)
    death_after = -math.log1p(-u_death) / rate if rate > 0 else math.inf
    if death_after < length:
        yield m.wait(death_after)
        home.die(m, pid, Place.INTERMEDIATE_CARE)
        return
    yield m.wait(length)
    outcome = categorical(u_out, sc.intermediate_care_outcome)
    if outcome == 0:
        m.release(pid)
        home.arrive_home(m, pid)
    elif outcome == 1 or not may_enter_care_home(m, pid):  # (an under-65: home care, not a care home)
        yield from m.home_care.take()
        m.release(pid)
        m.pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)
        home.arrive_home(m, pid)
    else:
        yield from m.care_homes.take()
        m.release(pid)
        enter_care_home(m, pid)
