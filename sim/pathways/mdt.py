"""Community multidisciplinary teams: case finding, named co-ordinators, reviews and exits.

Case finding ranks people by a risk score built only from what a GP can see
(age, frailty, emergency admissions and A&E visits in the last 12 months) and
enrols the highest-ranked while co-ordinators have room on their caseloads.
A co-ordinator of the discipline that fits the person's main need is used when
one is free.  The teams start at the launch (the start of the statistics
window), like a pilot.  What enrolment changes (crisis risk, referrals, follow-ups,
discharge in-reach, a named contact) is applied where those things happen, by
asking ``enrolled`` here and ``crisis_multiplier`` in :mod:`sim.pathways.mdt_risk`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sim.core.calendar import Process
from sim.core.records import OpenSpell
from sim.parameters.params import capacity_basis, per_place
from sim.pathways.home import schedule_next
from sim.vocabulary import Ev, Kind, MdtExit, Place, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

LOOKBACK_DAYS = 365.0

# weights of the GP-visible risk score (log scale); an assumption, checked by its AUC (tests/test_mdt.py)
SCORE_AGE_PER_YEAR = 0.03
SCORE_PER_FRAILTY_LEVEL = 0.45
SCORE_PER_ADMISSION = 0.55
SCORE_PER_AE_VISIT = 0.25


def recent(times: list[float], now: float) -> int:
    """Events in the last year; drops older ones from the list as it goes."""
    while times and times[0] < now - LOOKBACK_DAYS:
        times.pop(0)
    return len(times)


def risk_scores(m: Model, pids: npt.NDArray[np.int_], now: float) -> npt.NDArray[np.float64]:
    """The GP-visible risk score of each person in ``pids`` at time ``now``."""
    pop = m.pop
    age = np.array([pop.age(i, now) for i in pids])
    frailty = np.array([pop.frailty[i] for i in pids])
    adm = np.array([recent(m.recent_admissions[i], now) for i in pids])
    ae = np.array([recent(m.recent_ae[i], now) for i in pids])
    return (
        SCORE_AGE_PER_YEAR * np.clip(age - 65.0, 0, None)
        + SCORE_PER_FRAILTY_LEVEL * frailty
        + SCORE_PER_ADMISSION * adm
        + SCORE_PER_AE_VISIT * ae
    )


class Teams:
    """Co-ordinators by discipline, their free caseload places, and who is enrolled."""

    def __init__(self, m: Model) -> None:
        self.m = m
        p = m.p.mdt
        n = capacity_basis(m.p)
        self.coordinators = tuple(per_place(c, n) for c in p.coordinators_per_100k)
        self.free = [c * p.caseload for c in self.coordinators]
        self.capacity = sum(self.free)
        self.enrolled = 0
        self.max_enrolled = 0
        self.spells: dict[int, OpenSpell] = {}  # person -> their open spell on a caseload
        self.rounds = 0

    def start(self) -> None:
        """Start case finding now (the launch) if the teams have any places."""
        if self.capacity > 0:
            self.m.env.process(self._case_finding())

    def _case_finding(self) -> Process:
        env = self.m.env
        while True:
            self.stratify()
            yield env.timeout(self.m.p.mdt.restratify_every_days)

    def stratify(self) -> None:
        """Rank the cohort living at home by risk and enrol the top while places are free."""
        m, pop, now = self.m, self.m.pop, self.m.env.now
        self.rounds += 1
        alive_home = np.array([i for i in range(len(pop)) if pop.place[i] == Place.HOME], dtype=int)
        if not len(alive_home) or not any(self.free):
            return
        scores = risk_scores(m, alive_home, now)
        eligible = int(math.floor(m.p.mdt.enrol_top_share * len(alive_home)))
        order = alive_home[np.argsort(-scores, kind="stable")][:eligible]
        preferred = m.p.mdt.preferred_discipline
        for pid in order:
            if not any(self.free):
                break
            if m.mdt[pid] >= 0:
                continue
            want = int(preferred[pop.need[pid]])
            d = want if self.free[want] > 0 else max(range(len(self.free)), key=lambda k: self.free[k])
            self.enrol(int(pid), d)

    def enrol(self, pid: int, discipline: int) -> None:
        m = self.m
        now = m.env.now
        self.free[discipline] -= 1
        self.enrolled += 1
        self.max_enrolled = max(self.max_enrolled, self.enrolled)
        m.mdt[pid] = discipline
        self.spells[pid] = m.rec.spell_open(pid, Spell.MDT, now, 1)
        m.rec.event(now, pid, Ev.MDT_ENROLMENT, 1, discipline)
        m.calendar.add(now + m.p.mdt.review_every_days, pid, Kind.MDT_REVIEW.value, -1)
        if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME):
            schedule_next(m, pid)  # the crisis hazard changes

    def leave(self, pid: int, why: MdtExit) -> None:
        m = self.m
        d = m.mdt[pid]
        if d < 0:
            return
        self.free[d] += 1
        self.enrolled -= 1
        m.mdt[pid] = -1
        row = self.spells.pop(pid, None)
        if row is not None:
            row.end = m.env.now
        m.rec.event(m.env.now, pid, Ev.MDT_EXIT, 1, why)


def on_review(m: Model, pid: int) -> None:
    """A scheduled review: counted; people with no crisis since the last review may leave the caseload."""
    if m.mdt[pid] < 0 or m.pop.place[pid] == Place.DEAD:
        return
    now = m.env.now
    p = m.p.mdt
    m.rec.event(now, pid, Ev.MDT_REVIEW)
    stable = m.pop.last_crisis[pid] < now - p.review_every_days
    if m.u("mdt_exit", pid) < p.exit_stable_per_review and stable:
        m.teams.leave(pid, MdtExit.STABLE)
        if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME):
            schedule_next(m, pid)
        return
    m.calendar.add(now + p.review_every_days, pid, Kind.MDT_REVIEW.value, -1)
