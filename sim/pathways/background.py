"""Background load: admissions of people outside the simulated cohort, occupying acute beds.

They are not tracked as people: a Poisson stream of stays that take a bed
(waiting in A&E like anybody else when the hospital is full) and leave after a
log-normal stay.  Two events per stay, no process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from sim.core.distributions import LogNormal
from sim.core.records import BACKGROUND, OpenStay

if TYPE_CHECKING:
    from sim.core.model import Model


class BackgroundLoad:
    def __init__(self, m: Model) -> None:
        self.m = m
        a = m.p.acute
        per_100k = a.background_admissions_per_100k_per_year
        self.rate_per_day = per_100k * m.p.place.registered_population / 100_000 / 365.25
        self.los = LogNormal(a.background_los_mean_days, a.background_los_mean_days * a.los_cv)
        self.rng = m.streams.generator("background")

    def start(self) -> None:
        """Patients already in at time 0 (stays in progress, length-biased), then arrivals."""
        m, rng = self.m, self.rng
        n0 = min(int(rng.poisson(self.rate_per_day * self.los.mean)), m.beds.free)
        residual = self.los.length_biased().sample(rng, n0) * rng.random(n0)
        for r in residual:
            m.beds.preload(1)
            self._leave_after(float(r), m.rec.stay_open(BACKGROUND, True, 0.0, 0.0))
        if self.rate_per_day > 0:
            self._next_arrival()

    def _next_arrival(self) -> None:
        gap = self.rng.exponential(1.0 / self.rate_per_day)
        self.m.env.timeout(gap).callbacks.append(self._arrive)

    def _arrive(self, _event: simpy.Event) -> None:
        m = self.m
        arrived = m.env.now
        m.beds.join_queue().callbacks.append(lambda _e: self._admitted(arrived))
        self._next_arrival()

    def _admitted(self, arrived: float) -> None:
        m = self.m
        row = m.rec.stay_open(BACKGROUND, True, arrived, m.env.now)
        self._leave_after(self.los.ppf(self.rng.random()), row)

    def _leave_after(self, days: float, row: OpenStay) -> None:
        def leave(_e: simpy.Event) -> None:
            row.fit = row.left = self.m.env.now
            self.m.beds.give_back()

        self.m.env.timeout(days).callbacks.append(leave)
