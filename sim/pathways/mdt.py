"""Community multidisciplinary teams: case finding, named co-ordinators, reviews and exits.

Case finding ranks people by a risk score built only from what a GP can see
(age, frailty, emergency admissions and A&E visits in the last 12 months) and
enrols the highest-ranked while co-ordinators have room on their caseloads.
A share of each round's places (``mdt.clinician_referral_share``) goes first
to people clinicians refer: clinicians rank by the score plus part of what it
cannot see (``mdt.clinician_sees`` times the log of the person's hidden
persistent risk) and an error of their own (``mdt.clinician_noise_sd``, from
the stream ``mdt_clinician``).
A share of the rest (``mdt.enrol_broad_share``) is filled from the whole
eligible group in an order of the team's own (its registers and lists, which
the model does not see: a uniform per person from the stream
``mdt_enrol_order``, kept for the run), not highest risk first: a broad
high-risk population, as most of the Integrated Care Pilots enrolled.
A co-ordinator of the discipline that fits the person's main need is used when
one is free.  The teams start at the launch (the start of the statistics
window), like a pilot.

What enrolment changes is applied where those things happen, by asking
``m.mdt`` and :mod:`sim.pathways.mdt_risk`: crisis risk (the dose of
co-ordination from the caseload times the ramp-up since the launch, kept per
discipline in ``Teams.effect`` and refreshed at each case-finding round and
each step of the ramp), crises sent to A&E, referrals, follow-ups, discharge
in-reach and trusted assessment, priority for care packages, a named contact.
At enrolment the co-ordinator's first assessment finds, with probability
``mdt.unmet_need_found_share`` (stream ``mdt_unmet_need``), a need the GP
refers to an outpatient clinic at once: a one-off referral through the usual
elective route, where ``mdt.unmet_need_referral_hr`` changes the rate of the
referrals that follow for as long as the person is enrolled.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
from librt.vecs import vec
from mypy_extensions import i64

from sim.core.calendar import Process
from sim.core.ramp import Ramp
from sim.core.records import OpenSpell
from sim.parameters.params import capacity_basis, per_place
from sim.pathways import elective
from sim.pathways.home import schedule_next
from sim.pathways.mdt_risk import crisis_multiplier, dose
from sim.vocabulary import Ev, Kind, MdtExit, Place, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

LOOKBACK_DAYS: Final = 365.0

# weights of the GP-visible risk score (log scale); an assumption, checked by its AUC (tests/test_mdt.py)
SCORE_AGE_PER_YEAR: Final = 0.03
SCORE_PER_FRAILTY_LEVEL: Final = 0.45
SCORE_PER_ADMISSION: Final = 0.55
SCORE_PER_AE_VISIT: Final = 0.25
_NORMAL = NormalDist()
AT_HOME = (Place.HOME.value, Place.CARE_HOME.value)


def recent_counts(who: vec[i64], times: vec[float], people: int, now: float) -> npt.NDArray[np.int64]:
    """Events of each of ``people`` persons in the last year (at or after ``now - LOOKBACK_DAYS``), from a log
    of who and when (``Model.admission_pids`` and ``admission_times``, ``ae_pids`` and ``ae_times``)."""
    if not len(times):
        return np.zeros(people, dtype=np.int64)
    pids = np.frombuffer(memoryview(who), dtype=np.int64)
    last_year = np.frombuffer(memoryview(times), dtype=np.float64) >= now - LOOKBACK_DAYS
    counts: npt.NDArray[np.int64] = np.bincount(pids[last_year], minlength=people)
    return counts


def risk_scores(m: Model, pids: npt.NDArray[np.int_], now: float) -> npt.NDArray[np.float64]:
    """The GP-visible risk score of each person in ``pids`` at time ``now``."""
    pop, people = m.pop, pids.tolist()  # Python ints, as the typed code (and its compiled build) takes them
    age = np.array([pop.age(i, now) for i in people])
    frailty = np.array([pop.frailty[i] for i in people])
    rows = np.asarray(pids, dtype=np.int64)  # (an empty list of people may come as floats)
    adm = recent_counts(m.admission_pids, m.admission_times, len(pop), now)[rows]
    ae = recent_counts(m.ae_pids, m.ae_times, len(pop), now)[rows]
    scores: npt.NDArray[np.float64] = (
        SCORE_AGE_PER_YEAR * np.clip(age - 65.0, 0, None)
        + SCORE_PER_FRAILTY_LEVEL * frailty
        + SCORE_PER_ADMISSION * adm
        + SCORE_PER_AE_VISIT * ae
    )
    return scores


def clinician_views(m: Model, pids: npt.NDArray[np.int_], scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """How clinicians rank ``pids`` for referral: the score, part of the hidden persistent risk, and an error."""
    p, people = m.p.mdt, pids.tolist()
    risk = np.log(np.array([m.pop.risk[i] for i in people], dtype=float))
    z = np.array([_NORMAL.inv_cdf(min(max(m.u("mdt_clinician", i), 1e-12), 1 - 1e-12)) for i in people], dtype=float)
    views: npt.NDArray[np.float64] = scores + p.clinician_sees * risk + p.clinician_noise_sd * z
    return views


def changes_hazards(m: Model, pid: int) -> bool:
    """Whether being on a caseload changes the person's crisis or referral hazard; if not (a placebo team),
    enrolment and exit redraw nothing, so the person's path is exactly the one they have without the team."""
    return crisis_multiplier(m, pid) != 1.0 or m.mdt_referral_hr != 1.0


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
        self.order_keys: dict[int, float] = {}  # person -> their place in the team's own order (broad enrolment)
        self.ramp = Ramp(p.ramp_up_days)
        self.ramp_share = self.ramp.share(0.0)  # the ramp-up's share now (moved on by _ramp_up at its steps)
        self.launch = 0.0
        # share of the full crisis effect each discipline's co-ordinators give now (dose x ramp-up)
        self.effect = [1.0] * len(self.coordinators)

    def start(self) -> None:
        """Start case finding now (the launch) if the teams have any places, and the ramp-up of their effect."""
        if self.capacity > 0:
            self.launch = self.m.now
            self.effect = self.effects()
            self.m.env.process(self._case_finding())
            if self.ramp.changes():
                self.m.env.process(self._ramp_up())

    def _case_finding(self) -> Process:
        env = self.m.env
        while True:
            self.stratify()
            self.refresh()
            yield env.timeout(self.m.p.mdt.restratify_every_days)

    def _ramp_up(self) -> Process:
        env = self.m.env
        for t in self.ramp.changes():
            yield env.timeout(self.launch + t - env.now)
            self.ramp_share = self.ramp.share(t)
            self.refresh()

    def effects(self) -> list[float]:
        """Share of the full crisis effect per discipline now: the dose from its caseloads times the ramp-up."""
        p = self.m.p.mdt
        ramp = self.ramp_share
        out = []
        for c, free in zip(self.coordinators, self.free):
            per_coordinator = (c * p.caseload - free) / c if c > 0 else 0.0
            out.append(dose(p.reference_caseload, per_coordinator, p.dose_cap) * ramp)
        return out

    def refresh(self) -> None:
        """Take up the current dose and ramp-up: redraw the crises of enrolled people whose risk they change."""
        m = self.m
        new = self.effects()
        changed = {d for d, (a, b) in enumerate(zip(self.effect, new)) if a != b}
        if not changed:
            return
        people = [pid for pid in self.spells if m.mdt[pid] in changed and m.pop.place[pid] in AT_HOME]
        before = [crisis_multiplier(m, pid) for pid in people]
        self.effect = new
        for pid, old in zip(people, before):
            if crisis_multiplier(m, pid) != old:
                schedule_next(m, pid)

    def stratify(self) -> None:
        """Rank the cohort living at home by risk and enrol the top while places are free."""
        m, pop, now = self.m, self.m.pop, self.m.now
        self.rounds += 1
        alive_home = np.array([i for i in range(len(pop)) if pop.place[i] == Place.HOME], dtype=int)
        if not len(alive_home) or not any(self.free):
            return
        scores = risk_scores(m, alive_home, now)
        referred = int(round(m.p.mdt.clinician_referral_share * sum(self.free)))
        if referred > 0:  # clinicians' referrals first, then the score's ranking
            views = clinician_views(m, alive_home, scores)
            self.enrol_in_order(alive_home[np.argsort(-views, kind="stable")], referred)
        eligible = int(math.floor(m.p.mdt.enrol_top_share * len(alive_home)))
        ranked = alive_home[np.argsort(-scores, kind="stable")][:eligible]
        broad = int(round(m.p.mdt.enrol_broad_share * sum(self.free)))
        if broad > 0:  # the team's own order within the eligible group, then the score's ranking
            keys = np.array([self.order_key(pid) for pid in ranked.tolist()], dtype=float)
            self.enrol_in_order(ranked[np.argsort(keys, kind="stable")], broad)
        self.enrol_in_order(ranked, len(alive_home))

    def order_key(self, pid: int) -> float:
        """Person ``pid``'s place in the team's own order of the eligible group: drawn once, kept for the run."""
        key = self.order_keys.get(pid)
        if key is None:
            key = self.order_keys[pid] = self.m.u("mdt_enrol_order", pid)
        return key

    def enrol_in_order(self, order: npt.NDArray[np.int_], places: int) -> None:
        """Enrol people not yet enrolled, in ``order``, into at most ``places`` free places."""
        m, pop = self.m, self.m.pop
        preferred = m.p.mdt.preferred_discipline
        for pid in order.tolist():
            if not any(self.free) or places <= 0:
                break
            if m.mdt[pid] >= 0:
                continue
            want = int(preferred[pop.need[pid]])
            d = want if self.free[want] > 0 else max(range(len(self.free)), key=lambda k: self.free[k])
            self.enrol(pid, d)
            places -= 1

    def enrol(self, pid: int, discipline: int) -> None:
        m = self.m
        now = m.now
        self.free[discipline] -= 1
        self.enrolled += 1
        self.max_enrolled = max(self.max_enrolled, self.enrolled)
        m.mdt[pid] = discipline
        self.spells[pid] = m.rec.spell_open(pid, Spell.MDT, now, 1)
        m.rec.event(now, pid, Ev.MDT_ENROLMENT, 1, discipline)
        m.calendar.add(now + m.p.mdt.review_every_days, pid, Kind.MDT_REVIEW.value, -1)
        found = m.u("mdt_unmet_need", pid) < m.p.mdt.unmet_need_found_share
        if found and not m.op_active[pid] and m.pop.place[pid] in AT_HOME:
            m.pop.referral_token[pid] += 1  # the referral filed on the person's own clock is replaced
            elective.on_referral(m, pid)  # the GP refers the need the first assessment found
        if m.pop.place[pid] in AT_HOME and changes_hazards(m, pid):
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
            row.end = m.now
        m.rec.event(m.now, pid, Ev.MDT_EXIT, 1, why)


def on_review(m: Model, pid: int) -> None:
    """A scheduled review: counted; people with no crisis since the last review may leave the caseload."""
    if m.mdt[pid] < 0 or m.pop.place[pid] == Place.DEAD:
        return
    now = m.now
    p = m.p.mdt
    m.rec.event(now, pid, Ev.MDT_REVIEW)
    stable = m.pop.last_crisis[pid] < now - p.review_every_days
    if m.u("mdt_exit", pid) < p.exit_stable_per_review and stable:
        changed = changes_hazards(m, pid)
        m.teams.leave(pid, MdtExit.STABLE)
        if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME) and changed:
            schedule_next(m, pid)
        return
    m.calendar.add(now + p.review_every_days, pid, Kind.MDT_REVIEW.value, -1)
