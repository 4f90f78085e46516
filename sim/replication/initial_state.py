"""The state at time 0, drawn to match baseline prevalence, and the stream of new entrants.

Who is in a care home, on home care, or in hospital at the start is chosen by
weighted sampling without replacement (Efraimidis-Spirakis keys from each
person's own stream), so the choice of one person never moves another's draws.
Entrants (turning 65, new complex needs) arrive as an exogenous Poisson stream
whose rate is calibrated so that the baseline cohort stays stable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import simpy

from sim.parameters.params import per_place
from sim.pathways import emergency, home
from sim.vocabulary import Care, Ev, Need, Place, Spell

if TYPE_CHECKING:
    from sim.core.model import Model

# relative chance of being in a care home / on home care at the start, by frailty and by band
CARE_HOME_WEIGHT_FRAILTY = (0.1, 1.0, 4.0, 10.0)  # assumption: care home residents are mostly frail
# and mostly old (no under-65s): 85+ about 59% of residents 65+ at the start, as in the 2011 census (ONS, Changes in
# the older resident care home population between 2001 and 2011, 2014: 59.2%); 65-74 against 75-84: assumption
CARE_HOME_WEIGHT_BAND = (0.0, 1.0, 3.0, 10.0)
HOME_CARE_WEIGHT_FRAILTY = (0.2, 1.0, 3.0, 6.0)  # assumption
HOME_CARE_WEIGHT_BAND = (0.5, 0.7, 1.5, 3.0)  # assumption
CARE_HOME_WEIGHT_DEMENTIA = 3.0  # assumption: dementia makes a care home three times as likely
HOME: Final = Place.HOME.value  # places as the population's column holds them
CARE_HOME: Final = Place.CARE_HOME.value


def _choose(m: Model, stream: str, weights: npt.NDArray[np.float64], k: int) -> list[int]:
    """k people, weighted, without replacement; one draw per person from ``stream``."""
    s = m.streams.person(stream)
    u = np.array([s.next(i) for i in range(len(weights))])
    with np.errstate(divide="ignore"):
        keys = np.where(weights > 0, np.log(u) / np.where(weights > 0, weights, 1.0), -np.inf)
    k = min(k, int((weights > 0).sum()))
    if k <= 0:
        return []
    idx = np.argpartition(-keys, k - 1)[:k]
    return sorted(int(i) for i in idx)


def admission_rate(m: Model, pid: int) -> float:
    """Expected emergency admissions per day of a person at home now (routing with free GP slots)."""
    r = m.p.routing
    to_ae = 1.0 - r.gp_first * (1.0 - r.gp_refers_to_ae)
    return m.crisis_rate(pid) * to_ae * r.admit_from_ae_by_frailty[m.pop.frailty[pid]]


def populate(m: Model) -> None:
    """Draw who is in a care home, on home care and in hospital at time 0, and start everyone's hazards."""
    pop = m.pop
    pop.initial()
    m.new_person_slots()
    n = len(pop)
    band = np.array([pop.band(i, 0.0) for i in range(n)])
    frail = np.array(pop.frailty)
    need = np.array(pop.need)

    dementia = np.where(need == Need.DEMENTIA, CARE_HOME_WEIGHT_DEMENTIA, 1.0)
    w = np.take(CARE_HOME_WEIGHT_FRAILTY, frail) * np.take(CARE_HOME_WEIGHT_BAND, band) * dementia
    size = m.p.place.registered_population
    n_ch = min(per_place(m.p.social_care.initial_care_home_per_100k, size), m.care_homes.capacity)
    for pid in _choose(m, "init_care_home", w, n_ch):
        m.care_homes.preload(1)
        pop.place[pid] = Place.CARE_HOME
        pop.care[pid] = Care.CARE_HOME
        funded = int(m.u("self_funder", pid) >= m.p.social_care.self_funder_share)
        m.hold(pid, m.care_homes, Spell.CARE_HOME, funded)

    at_home = np.array([pl == Place.HOME for pl in pop.place])
    w = np.take(HOME_CARE_WEIGHT_FRAILTY, frail) * np.take(HOME_CARE_WEIGHT_BAND, band) * at_home
    n_hc = min(per_place(m.p.social_care.initial_home_care_per_100k, size), m.home_care.capacity)
    for pid in _choose(m, "init_home_care", w, n_hc):
        m.home_care.preload(1)
        pop.care[pid] = Care.HOME_CARE
        m.hold(pid, m.home_care, Spell.HOME_CARE)

    # in hospital: occupancy share of each person is admission rate x mean stay (stationary M/G/inf)
    rate = np.array([admission_rate(m, i) for i in range(n)])
    los_mean = np.array([m.los(i).mean_value for i in range(n)])  # (LogNormal.mean: a field, read directly)
    occupancy = rate * los_mean
    n_in = min(int(round(occupancy.sum())), m.beds.capacity)
    for pid in _choose(m, "init_hospital", occupancy, n_in):
        elapsed = m.los(pid).length_biased().ppf(m.u("init_stay", pid)) * m.u("init_stay", pid)
        m.beds.preload(1)
        home.leave_home(m, pid)
        pop.place[pid] = Place.ACUTE
        m.start(emergency.emergency_stay(m, pid, arrived=0.0, elapsed=elapsed))

    for pid in range(n):
        place = pop.place[pid]
        if place == HOME or place == CARE_HOME:
            home.arrive_home(m, pid, place)


class Entrants:
    """People joining the cohort: an exogenous Poisson stream (turning 65, new complex needs)."""

    def __init__(self, m: Model) -> None:
        self.m = m
        pl = m.p.place
        self.rate_per_day = pl.entrants_per_100k_per_year * pl.registered_population / 100_000 / 365.25
        self.young_share = pl.entrant_share_under65_complex
        self.rng = m.streams.generator("entrants")

    def start(self) -> None:
        if self.rate_per_day > 0:
            self._next()

    def _next(self) -> None:
        self.m.env.timeout(self.rng.exponential(1.0 / self.rate_per_day)).callbacks.append(self._arrive)

    def _arrive(self, _e: simpy.Event) -> None:
        m = self.m
        young = bool(self.rng.random() < self.young_share)
        pid = m.pop.entrant(m.env.now, young)
        m.new_person_slots()
        m.rec.event(m.env.now, pid, Ev.ENTRY)
        home.arrive_home(m, pid)
        self._next()
