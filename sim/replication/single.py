"""One replication: build the model, run warm-up and window, and return tidy results.

``single_run`` is a plain function of (parameters, seed, replication) that
returns DataFrames; it writes no files and prints nothing.
"""

from __future__ import annotations

import dataclasses
import gc
import time
import tracemalloc
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.core import schedule
from sim.core.calendar import Process
from sim.core.distributions import poisson_counts
from sim.core.model import Model
from sim.core.streams import MAX_WIDTH
from sim.outcomes.metrics import kpi_table, mdt_cohorts, standard_cohorts
from sim.outcomes.rundata import RunData
from sim.outcomes.yearly import SPLIT_STREAMS, YearMarks, year_marks, yearly_table, years_of
from sim.parameters.params import Params
from sim.pathways import demography, elective, entries, home, mdt
from sim.pathways.background import BackgroundLoad
from sim.replication.initial_state import Entrants, populate
from sim.vocabulary import Ev, Place

GC_OBJECTS = 100_000  # new container objects between passes of the cycle collector during a run (Python's: 700)


@dataclass
class RunResult:
    kpis: pd.DataFrame  # cohort, metric, value
    timeseries: pd.DataFrame  # day, series, value
    data: RunData  # records and people, for other cohorts (e.g. the mdt cohort of another run)
    stats: dict[str, float] = field(default_factory=dict)  # events, wall seconds, person-years simulated
    marks: YearMarks | None = None  # the window's years and the home spells open at their ends

    def events(self) -> pd.DataFrame:
        """The statistics window's point events, in order, with names (``events.csv``)."""
        return event_log(self.data)

    def yearly(self) -> pd.DataFrame:
        """The standard cohorts' KPIs year by year of the window: ``year, cohort, metric, value`` (``yearly.csv``)."""
        if self.marks is None:
            raise ValueError("no year marks: yearly results come from single_run")
        return yearly_table(self.data, self.marks)


def before_launch(params: Params, prelaunch: Params | None) -> Params:
    """The parameters of the warm-up: ``prelaunch`` services with the scenario's own place and people."""
    if prelaunch is None:
        return params
    return dataclasses.replace(prelaunch, place=params.place, people=params.people, time=params.time)


def build(params: Params, seed: int, replication: int, prelaunch: Params | None = None) -> Model:
    """A model at time 0, initial state drawn, processes started (not yet run).

    The warm-up runs with ``prelaunch`` services (default: the scenario's own);
    the scenario's services switch on at the start of the statistics window.
    """
    m = Model(before_launch(params, prelaunch), seed, replication)
    m.teams = mdt.Teams(m)
    entries.register(m)
    populate(m)
    if params.place.hold_age_structure:  # each band on its path (sim.core.projection)
        demography.start(m, params)
    else:  # version 0.5's constant stream of entrants
        Entrants(m).start()
    BackgroundLoad(m).start()
    m.calendar.start()
    m.env.process(_launch(m, params))
    return m


def _launch(m: Model, params: Params) -> Process:
    """At the window's start: split GP spells at the edge, switch services on, everyone's hazards redrawn.

    A scenario with changes over time (ramp-ups, funding stops, capacity plans) launches with the
    parameters in force at the start, and one process takes up the rest of its steps (:func:`_steps`).
    """
    yield m.env.timeout(m.window_start)
    _split_home_spells(m)
    m.launch(schedule.params_at(params, 0.0))
    m.teams = mdt.Teams(m)
    m.teams.start()
    for pid in range(len(m.pop)):
        if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME):
            home.schedule_next(m, pid)
    steps = schedule.step_times(params, 0.0, m.window_end - m.window_start)
    if steps:  # none without changes over time: no process, so the run is the one without them, event by event
        m.env.process(_steps(m, params, steps))


def _steps(m: Model, params: Params, steps: list[float]) -> Process:
    """Each step of a scenario's changes over time: a launch with the parameters then in force.

    Capacities follow at once (a cut as units are released); rates read when something happens (the
    assessment time, where a crisis is routed) from the next event on; where a rate that hazards already
    drawn depend on changes (community support's funding changes crisis risk), everyone living at home has
    their next events redrawn, as at the launch, so the new rate holds from the step exactly.
    """
    for t in steps:
        yield m.env.timeout(m.window_start + t - m.env.now)
        if m.launch(schedule.params_at(params, t)):
            for pid in range(len(m.pop)):
                if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME):
                    home.schedule_next(m, pid)


def _split_home_spells(m: Model) -> None:
    """Close and reopen every open GP-contact spell so none straddles a window edge."""
    for pid in range(len(m.pop)):
        if m.home_since[pid] == m.home_since[pid]:
            m.home_spell_close(pid)
            m.home_spell_open(pid)


def _monitor(m: Model, rows: list[tuple[float, str, int]], snap: dict[str, float]) -> Process:
    """Weekly time series over the window; snapshots of pool integrals at its start."""
    env = m.env
    yield env.timeout(m.window_start)
    for pool in m.pools:
        pool.tick()
    snap["beds_area"] = m.beds.area_in_use
    snap["beds_in_use"] = m.beds.in_use
    step = m.p.time.timeseries_step_days
    while env.now < m.window_end:
        day = env.now - m.window_start
        rows.append((day, "acute_beds_occupied", m.beds.in_use))
        rows.append((day, "delayed_patients", m.delayed_now))
        rows.append((day, "trolley_queue", m.beds.queued))  # waiting in A&E for a bed
        rows.append((day, "escalation_beds_in_use", m.beds.escalation.in_use))
        rows.append((day, "elective_waiting_list", elective.waiting_list_size(m)))
        for pool in m.pools:
            rows.append((day, f"{pool.name}_in_use", pool.in_use))
            rows.append((day, f"{pool.name}_queue", pool.waiting))
        rows.append((day, "cohort_alive", len(m.pop) - m.pop.deaths))
        yield env.timeout(step)


def _year_ends(m: Model, ends: tuple[float, ...], crossings: array[float]) -> Process:
    """At each year's end inside the window, every home spell open then, five doubles each: the person, the spell's
    start, the time, and a uniform of each of ``SPLIT_STREAMS``, to share the spell's bulk counts between the
    years (``sim.outcomes.yearly``).  New streams, read nowhere else: nothing the model does changes."""
    if not ends:
        return
    # a person draws once a year's end at most: every draw at hand (the numbers do not depend on it)
    u_gp, u_nursing = (s.next for s in m.streams.group(SPLIT_STREAMS, min(len(ends), MAX_WIDTH)))
    for at in ends:
        yield m.env.timeout(at - m.env.now)
        for pid, since in enumerate(m.home_since):
            if since < at:  # nan (not at home) compares false
                crossings.extend((pid, since, at, u_gp(pid), u_nursing(pid)))


@contextmanager
def rare_collections(objects: int = GC_OBJECTS):
    """Python's cycle collector passes once per ``objects`` new container objects instead of 700.

    A run makes millions of short-lived tuples, events and generators that
    reference counting frees at once; at the default threshold the collector
    walks the model's live objects over and over, about a tenth of a run's
    time.  The numbers drawn do not change; cycles are still collected.
    """
    old = gc.get_threshold()
    gc.set_threshold(objects, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def single_run(
    params: Params, seed: int = 1, replication: int = 0, measure_memory: bool = False, prelaunch: Params | None = None
) -> RunResult:
    """Run one replication and return its KPIs, weekly time series and records.

    ``prelaunch``: the services before the scenario's launch (its interventions
    and shifts stripped), used for the warm-up; ``None`` runs ``params`` throughout.
    """
    if measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    with rare_collections():
        m = build(params, seed, replication, prelaunch)
        rows: list[tuple[float, str, int]] = []
        snap: dict[str, float] = {}
        m.env.process(_monitor(m, rows, snap))
        years = years_of(m.window_start, m.window_end)
        crossings = array("d")
        m.env.process(_year_ends(m, tuple(y.end for y in years[:-1]), crossings))
        m.env.run(until=m.window_end)
    wall = time.perf_counter() - t0
    # SimPy's event counter (events scheduled so far), less the numbers the calendar's waits took without an event
    events_processed = next(m.env._eid) - m.calendar.waits
    for pool in m.pools:
        pool.tick()
    for pid in range(len(m.pop)):
        m.home_spell_close(pid)
    with rare_collections():  # the records made into tables: hundreds of thousands of new rows in a long run
        data = _run_data(m, snap)
        res = RunResult(
            kpi_table(data, standard_cohorts() + mdt_cohorts(data)),
            pd.DataFrame(rows, columns=["day", "series", "value"]),
            data,
        )
    spells = _home_spells(m)
    res.marks = year_marks(years, np.frombuffer(crossings).reshape(-1, 5), spells[:, 0], spells[:, 1])
    py = data.people
    alive_to = np.where(np.isnan(py["died"]), m.window_end, py["died"])
    res.stats = {
        "wall_seconds_simulation": wall,
        "wall_seconds_total": time.perf_counter() - t0,
        "events": float(events_processed),
        "person_years_simulated": float(np.clip(alive_to - py["entered"], 0, None).sum() / 365.25),
        "calendar_entries_dispatched": float(m.calendar.dispatched),
        "people": float(len(m.pop)),
    }
    if measure_memory:
        res.stats["peak_memory_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return res


def _home_spells(m: Model) -> npt.NDArray[np.float64]:
    """The run's home spells, a row each: end, pid, expected GP contacts, uniform, expected nursing visits,
    uniform (``Model.gp_spells``, read in place)."""
    return np.frombuffer(memoryview(m.gp_spells), dtype=np.float64).reshape(-1, 6)


def _run_data(m: Model, snap: dict[str, float]) -> RunData:
    frames = m.rec.frames()
    if len(m.gp_spells):
        end, pid, mu_gp, u_gp, mu_nurse, u_nurse = _home_spells(m).T.copy()
        bulk = [frames["events"]]
        for ev, mu, u in ((Ev.GP_CONTACT, mu_gp, u_gp), (Ev.COMMUNITY_NURSING, mu_nurse, u_nurse)):
            counts = poisson_counts(u, mu)
            keep = counts > 0
            bulk.append(
                pd.DataFrame(
                    {
                        "time": end[keep],
                        "pid": pid[keep].astype(int),
                        "event": int(ev),
                        "count": counts[keep],
                        "detail": 1,  # a bulk count over a spell at home: counted in (start, end]
                    }
                )
            )
        frames["events"] = pd.concat(bulk, ignore_index=True).sort_values("time", kind="stable", ignore_index=True)
    return RunData(
        params=m.p,
        events=frames["events"],
        stays=frames["stays"],
        delays=frames["delays"],
        spells=frames["spells"],
        people=m.pop.table(),
        window_start=m.window_start,
        window_end=m.window_end,
        capacity={
            **{pool.name: pool.capacity for pool in m.pools},
            "acute_beds": m.beds.core,  # core beds, ring-fenced included; escalation beds are priced per day used
            "escalation_beds": m.beds.escalation.capacity,
            "mdt_coordinators": sum(m.teams.coordinators),
        },
        bed_days_all=m.beds.area_in_use - snap.get("beds_area", 0.0),
        core_beds=m.core_beds,
    )


EVENT_NAMES = {e.value: e.name.lower() for e in Ev}


def event_log(data: RunData) -> pd.DataFrame:
    """Point events of the statistics window, ``time_days`` from the window's start."""
    ev = data.events
    ev = ev[(ev["time"] >= data.window_start) & (ev["time"] < data.window_end) & (ev["pid"] >= 0)]
    ev = ev[~ev["event"].isin([Ev.FRAILTY_STEP, Ev.ENTRY])]
    return pd.DataFrame(
        {
            "person_id": ev["pid"].to_numpy(),
            "time_days": ev["time"].to_numpy() - data.window_start,
            "event": ev["event"].map(EVENT_NAMES).to_numpy(),
            "count": ev["count"].to_numpy(),
            "detail": ev["detail"].to_numpy(),
        }
    )
