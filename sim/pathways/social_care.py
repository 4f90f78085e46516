"""Social care outside hospital: requests from the community, reablement, intermediate care, care homes.

Hospital discharges have priority 0 for a unit of care; requests from the
community (and people finishing reablement) queue behind them at priority 1,
so a full service shows first as delayed discharges.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.core.calendar import Process
from sim.core.distributions import Exponential, categorical
from sim.core.services import CapacityPool
from sim.parameters.params import per_place
from sim.pathways import home
from sim.vocabulary import Care, Ev, MdtExit, Place, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

COMMUNITY = 1


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
    m.rec.event(m.env.now, pid, Ev.CARE_HOME_ADMISSION, 1, funded)
    home.arrive_home(m, pid, Place.CARE_HOME)


def _waiting_list_full(m: Model, pool: CapacityPool) -> bool:
    limit = per_place(m.p.social_care.community_waiting_list_per_100k, m.p.place.registered_population)
    return len(pool.queues[COMMUNITY]) >= limit


def request_home_care(m: Model, pid: int) -> None:
    """Ask for a home care package from the community; it starts when a package is free.

    When the council's waiting list is full the request goes unmet (no wait is recorded).
    """
    if _waiting_list_full(m, m.home_care):
        return
    m.pop.pending[pid] = True
    m.home_care.join_queue(COMMUNITY).callbacks.append(lambda _e: _home_care_granted(m, pid))


def _home_care_granted(m: Model, pid: int) -> None:
    pop = m.pop
    pop.pending[pid] = False
    if pop.place[pid] == Place.HOME and pop.care[pid] == Care.NONE:
        pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)
        home.schedule_next(m, pid)
    else:
        m.home_care.give_back()
        if pop.place[pid] == Place.HOME:
            home.schedule_next(m, pid)


def request_care_home(m: Model, pid: int) -> None:
    """A care home from the community; the person stays home until a place is free (if the list has room)."""
    if _waiting_list_full(m, m.care_homes):
        return
    m.pop.pending[pid] = True
    m.care_homes.join_queue(COMMUNITY).callbacks.append(lambda _e: _care_home_granted(m, pid))


def _care_home_granted(m: Model, pid: int) -> None:
    pop = m.pop
    pop.pending[pid] = False
    if pop.place[pid] == Place.HOME:
        enter_care_home(m, pid)
    else:
        m.care_homes.give_back()


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
    outcome = categorical(m.u("reablement_outcome", pid), m.p.social_care.reablement_outcome)
    m.release(pid)
    if outcome == 1:
        request_home_care(m, pid)
    elif outcome == 2:
        request_care_home(m, pid)
    home.schedule_next(m, pid)


def intermediate_care_stay(m: Model, pid: int) -> Process:
    """SimPy process: a bed-based intermediate care stay; onward care is awaited in the bed."""
    env, sc = m.env, m.p.social_care
    u_len, u_death, u_out = m.u("ic_length", pid), m.u("ic_death", pid), m.u("ic_outcome", pid)
    m.pop.place[pid] = Place.INTERMEDIATE_CARE
    length = Exponential(sc.intermediate_care_days).ppf(u_len)
    rate = m.death_rate(pid)
    death_after = -math.log1p(-u_death) / rate if rate > 0 else math.inf
    if death_after < length:
        yield env.timeout(death_after)
        home.die(m, pid, Place.INTERMEDIATE_CARE)
        return
    yield env.timeout(length)
    outcome = categorical(u_out, sc.intermediate_care_outcome)
    if outcome == 0:
        m.release(pid)
        home.arrive_home(m, pid)
    elif outcome == 1:
        yield from m.home_care.take()
        m.release(pid)
        m.pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)
        home.arrive_home(m, pid)
    else:
        yield from m.care_homes.take()
        m.release(pid)
        enter_care_home(m, pid)
