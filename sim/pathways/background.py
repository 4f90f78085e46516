"""Background load: admissions of people outside the simulated cohort (mostly under 65), occupying acute beds.

They are not tracked as people: two Poisson streams of stays, emergency and
planned (``acute.background_elective_share`` of the admissions), each taking
a bed and leaving after a log-normal stay.  Emergencies take a bed as the
cohort's do (a general core bed, else an escalation bed, else a wait in A&E;
their stays shorten under pressure like the cohort's, ``acute.los_pressure_*``).
Planned admissions come on their booked day and take a ring-fenced or general
core bed if one is free and no emergency waits for it; otherwise the date is
cancelled, at most once per booking, and a bed is tried again every
``elective.rebook_days`` (the cancellations are recorded as place-wide events,
pid -1).  Both kinds share the same stay length, so the split leaves the
background's bed days as they were.

Emergencies follow the same calendar as the cohort's crises (``sim.core.seasons``:
winters, and a scenario's growth in demand beyond demography), drawn by thinning;
planned admissions are booked evenly through the year.  Neither follows a
population projection: the background stands for the under-65s outside the
cohort, whose numbers grow far more slowly than the older bands' (0.17% a year in
the ONS principal projection, ``sim.core.projection``).

Each stream draws from a generator of its own, and every draw of an arrival
(the gap to the next, the stay's uniform) is made when it arrives, so the
numbers drawn do not depend on how full the hospital is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.core.distributions import LogNormal
from sim.core.hospital import pressure_response
from sim.core.inverse import lognormal_ppf
from sim.core.records import BACKGROUND, OpenStay
from sim.vocabulary import Ev

if TYPE_CHECKING:
    from sim.core.model import Model
    from sim.core.seasons import CrisisCalendar


class BackgroundLoad:
    def __init__(self, m: Model) -> None:
        self.m = m
        a = m.p.acute
        per_100k = a.background_admissions_per_100k_per_year
        rate = per_100k * m.p.place.registered_population / 100_000 / 365.25
        self.rate_per_day = rate
        self.emergency_per_day = rate * (1.0 - a.background_elective_share)
        self.elective_per_day = rate * a.background_elective_share
        self.los = LogNormal(a.background_los_mean_days, a.background_los_mean_days * a.los_cv)
        self.los_mu, self.los_sigma = self.los.mu, self.los.sigma  # its quantile: lognormal_ppf, read natively
        self.rng = m.streams.generator("background")
        self.rng_elective = m.streams.generator("background_elective")
        self.rng_season = m.streams.generator("background_season")  # thinning's acceptances (a calendar)

    def start(self) -> None:
        """Patients already in at time 0 (stays in progress, length-biased), then arrivals."""
        m, rng = self.m, self.rng
        n0 = min(int(rng.poisson(self.rate_per_day * self.los.mean)), m.beds.free)
        residual = self.los.length_biased().sample(rng, n0) * rng.random(n0)
        for r in residual:
            key = m.beds.background_key()
            m.beds.preload(1, key)
            self._leave_after(float(r), m.rec.stay_open(BACKGROUND, True, 0.0, 0.0), key)
        if self.emergency_per_day > 0:
            self._next_emergency()
        if self.elective_per_day > 0:
            self._next_elective()

    # --- emergencies ----------------------------------------------------------------
    def _next_emergency(self) -> None:
        m = self.m
        if m.demand is None:
            gap = self.rng.exponential(1.0 / self.emergency_per_day)
        else:
            gap = self._calendar_gap(m.demand) - m.now
        m.after(gap, self._emergency)

    def _calendar_gap(self, demand: CrisisCalendar) -> float:
        """The next emergency's time when the calendar multiplies the rate (winters, growth), by thinning.

        Candidates come at the rate raised to the calendar's bound; one at ``t`` is kept with chance
        ``c(t) / bound`` (``sim.core.seasons``), as the cohort's crises are drawn (``home.calendar_crisis_time``).
        The acceptances draw from a generator of their own, so a calendar of ones gives the arrivals drawn
        without one, number for number.
        """
        rng, t = self.rng, self.m.now
        while True:
            bound, until = demand.bound(t)
            candidate = t + rng.exponential(1.0 / (self.emergency_per_day * bound))
            if candidate >= until:
                t = until  # none under this bound: start again under the next (the arrivals are memoryless)
            elif self.rng_season.random() * bound < demand.multiplier(candidate):
                return candidate
            else:
                t = candidate

    def _emergency(self) -> None:
        m = self.m
        arrived, u_los, key = m.now, float(self.rng.random()), m.beds.background_key()
        m.beds.join_queue(key).callbacks.append(lambda _e: self._admitted(arrived, u_los, key))
        self._next_emergency()

    def _admitted(self, arrived: float, u_los: float, key: int) -> None:
        m, c = self.m, self.m.crises  # (acute.los_pressure_*, at hand: Model._derive)
        row = m.rec.stay_open(BACKGROUND, True, arrived, m.now)
        shorter = pressure_response(m.beds.pressure, c.los_pressure_threshold, c.los_pressure_reduction)
        self._leave_after(lognormal_ppf(self.los_mu, self.los_sigma, u_los) * (1.0 - shorter), row, key)

    # --- planned admissions -----------------------------------------------------------
    def _next_elective(self) -> None:
        gap = self.rng_elective.exponential(1.0 / self.elective_per_day)
        self.m.after(gap, self._elective)

    def _elective(self) -> None:
        self.planned_day(float(self.rng_elective.random()), self.m.beds.background_key(), cancelled=False)
        self._next_elective()

    def planned_day(self, u_los: float, key: int, cancelled: bool) -> None:
        """The booked day (or a later try): admitted if a ring-fenced or free core bed allows, else cancelled."""
        m = self.m
        now = m.now
        if m.beds.take_planned(key):
            stay = lognormal_ppf(self.los_mu, self.los_sigma, u_los)
            self._leave_after(stay, m.rec.stay_open(BACKGROUND, False, now, now), key)
            return
        if not cancelled:
            m.rec.event(now, BACKGROUND, Ev.ELECTIVE_CANCELLATION)
        m.after(m.p.elective.rebook_days, lambda: self.planned_day(u_los, key, cancelled=True))

    def _leave_after(self, days: float, row: OpenStay, key: int) -> None:
        def leave() -> None:
            row.fit = row.left = self.m.now
            self.m.beds.give_back(key)

        self.m.after(days, leave)
