"""Who joins the place's cohort and who leaves it alive, month by month, so each age band follows its path.

The plan (``sim.core.projection.make_plan``, from the parameters alone) says, for each month, how
many people are expected to join each band and what share of the people crossing into a band (at 65,
75 or 85) leave.  This module carries it out:

- **joining**: each month, a Poisson number of people per band, at times spread evenly over the
  month, each band from a generator of its own (``joiners_<band>``): adults under 65 with new
  complex needs (aged 18-65), people turning 65, and people moving in at ages within 75-84 or 85+
  (``Population.arrival``); each then lives at home like everyone else.
- **leaving at a band's edge**: a person crossing into a band at home or in a care home leaves with
  the month's share, by one draw from their own stream ``moving`` at every crossing, so a person who
  crosses alive in two scenarios of the place leaves in both or in neither.  Leaving is clean
  (``home.gone``): their care, caseload and unmet need end, their scheduled events go stale and the
  place sees them no more (``Place.DEAD``, with ``moved_away`` set and no death recorded).  A person
  in hospital at their crossing keeps their place.
- **each year of a projection**: death rates fall by the mortality improvement and frailty's onset
  slows under healthy ageing (``Model.set_year``); everyone living at home or in a care home then
  has their next events redrawn, so the new rates hold from that day exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.core.calendar import Process
from sim.core.projection import Plan, make_plan
from sim.parameters.params import AGE_BANDS
from sim.pathways import home
from sim.vocabulary import Ev, Kind, Place

if TYPE_CHECKING:
    from sim.core.model import Model
    from sim.parameters.params import Params

PAST_EDGE = 1e-6  # days: a crossing's new band is read this long after it (the crossing is at the edge exactly)


class Demography:
    """A run's demographic plan, carried out: people joining, people leaving at a band's edge, the years."""

    def __init__(self, m: Model, params: Params) -> None:
        self.m = m
        self.plan: Plan = make_plan(params, m.window_start, m.window_end)
        self.rngs = tuple(m.streams.generator(f"joiners_{band}") for band in AGE_BANDS)
        self.u_moving = m.stream("moving")

    def start(self) -> None:
        """Start the joiners and the projection's years, and take over the calendar's band changes."""
        m = self.m
        m.on(Kind.BAND_CHANGE, self.on_band_change)
        m.env.process(self._joiners())
        if self.plan.years:
            m.env.process(self._years())

    # --- joining -----------------------------------------------------------------------------------------
    def _joiners(self) -> Process:
        m, plan = self.m, self.plan
        env = m.env
        for k in range(plan.steps):
            start = k * plan.step_days
            arrivals = []
            for band, rng in enumerate(self.rngs):
                n = int(rng.poisson(plan.joiners[k, band]))
                arrivals += [(start + plan.step_days * float(u), band) for u in rng.random(n)]
            for t, band in sorted(arrivals):
                if t >= m.window_end:
                    break
                yield env.timeout(t - env.now)
                self.join(band)
            end = min(start + plan.step_days, m.window_end)
            if end > env.now:
                yield env.timeout(end - env.now)

    def join(self, band: int) -> int:
        """Somebody joins ``band`` now: new complex needs (0), turning 65 (1), or moving in (2, 3)."""
        m = self.m
        now = m.now
        pid = m.pop.entrant(now, young=band == 0) if band < 2 else m.pop.arrival(now, band)
        m.new_person_slots()
        m.rec.event(now, pid, Ev.ENTRY, 1, band)
        home.arrive_home(m, pid)
        return pid

    # --- leaving at a band's edge ------------------------------------------------------------------------
    def on_band_change(self, m: Model, pid: int) -> None:
        """A person at home or in a care home crosses into the next band: they leave with the month's share."""
        now = m.now
        band = m.pop.band(pid, now + PAST_EDGE)
        if self.u_moving(pid) < self.plan.leave_share[self.plan.step(now), band]:
            move_away(m, pid)
        else:
            home.on_band_change(m, pid)

    # --- the years of a projection -----------------------------------------------------------------------
    def _years(self) -> Process:
        m = self.m
        for t, mortality, onset in self.plan.years:
            yield m.env.timeout(t - m.now)
            m.set_year(mortality, onset)
            for pid in range(len(m.pop)):
                if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME):
                    home.schedule_next(m, pid)


def move_away(m: Model, pid: int) -> None:
    """The person leaves the place alive (a balancing flow of the plan): gone, but no death is recorded."""
    home.gone(m, pid)
    m.pop.moved_away[pid] = True


def start(m: Model, params: Params) -> Demography:
    """Carry out the demographic plan of ``params`` (the statistics window's parameters) in ``m``."""
    d = Demography(m, params)
    d.start()
    return d
