"""Deaths while waiting: the course of an admission runs in A&E while no bed is free, and a person
medically fit who waits to leave a bed is exposed to their own death hazard.

Without these, a hospital whose queues grow year after year held its waiting patients out of reach of
death, and a ten-year projection with pinned capacity kept too many people alive.  Each test makes the
waits long on purpose and checks the deaths against the risk the mechanism states, with a tolerance from
sampling error (two-sided, chance of a false alarm 0.001), and that the old behaviour (no deaths while
waiting) would fail it.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from helpers import check_places
from scipy import stats
from smallplace import small

from sim.core.hospital import Beds
from sim.core.records import Records
from sim.core.services import CapacityPool
from sim.replication.single import build, single_run
from sim.vocabulary import AeExit, Ev, Place, Spell

ALPHA = 0.001
DAYS_PER_YEAR = 365.25


def run_to_end(p, seed: int, checks: int = 4):
    m = build(p, seed=seed, replication=0)
    for t in np.linspace(m.window_end / checks, m.window_end, checks):
        m.env.run(until=float(t))
        check_places(m)
    return m


def events(m) -> np.ndarray:
    """The run's events as rows of (time, pid, event, detail)."""
    return m.rec.event_frame()[["time", "pid", "event", "detail"]].to_numpy(dtype=float)


# --- the queue for a bed -----------------------------------------------------------------------------
def test_with_no_bed_every_course_ends_in_ae_and_deaths_follow_the_in_hospital_risk():
    risk = 0.2
    p = small(
        population=10_000,
        horizon=365.0,
        warmup=0.0,
        acute={"beds_per_100k": 0.0, "escalation_beds_per_100k": 0.0, "ring_fenced_beds_per_100k": 0.0},
        mortality={"in_hospital_by_frailty": [risk] * 4},
    )
    m = run_to_end(p, seed=5)
    ev = events(m)
    person = ev[:, 1] >= 0
    left = ev[person & (ev[:, 2] == Ev.AE_DEPARTURE)]
    died = int((left[:, 3] == AeExit.DIED_WAITING).sum())
    fit = int((left[:, 3] == AeExit.FIT_WITHOUT_BED).sum())
    assert not (person & (ev[:, 2] == Ev.EMERGENCY_ADMISSION)).any()  # no bed, no admission
    assert died + fit > 200
    assert stats.binomtest(died, died + fit, risk).pvalue > ALPHA
    # the deaths are the people's own: each one's death is recorded in A&E at the moment they left it
    deaths = ev[person & (ev[:, 2] == Ev.DEATH) & (ev[:, 3] == Place.AE)]
    assert len(deaths) == died
    # nobody waits longer than a course: the queue holds only recent decisions to admit (the place's
    # background patients, outside the cohort, wait on)
    waiting = sum(1 for _, holder in m.beds.queue if holder >= 0)
    assert waiting < (died + fit) / 10


def test_waits_that_end_without_a_bed_count_in_the_trolley_hours_and_their_own_metrics():
    p = small(
        population=5_000,
        horizon=180.0,
        warmup=30.0,
        acute={"beds_per_100k": 0.0, "escalation_beds_per_100k": 0.0, "ring_fenced_beds_per_100k": 0.0},
    )
    res = single_run(p, seed=3)
    k = res.kpis[res.kpis["cohort"] == "all"].set_index("metric")["value"]
    assert k["emergency_admissions"] == 0
    ended = k["deaths_waiting_for_a_bed"] + k["fit_without_a_bed"]
    assert ended > 20
    # each wait ran from its decision to admit to the end of its course: days, not minutes
    assert k["trolley_wait_hours"] / ended > 24.0
    ev = res.data.events
    waits = ev[(ev["event"] == Ev.BED_WAIT) & (ev["pid"] >= 0)]
    assert len(waits) >= ended  # every wait began with its event


def test_beds_withdraw_takes_the_waiting_person_out_of_the_queue():
    env = simpy.Environment()
    beds = Beds(env, Records(), core=1, ring_fenced=0, escalation=0)
    assert beds.request(1) is None
    second, third = beds.request(2), beds.request(3)
    beds.withdraw(2)
    assert beds.queued == 1
    beds.give_back(1)
    assert third.triggered and not second.triggered
    assert beds.kind == {3: 0}


# --- waiting to leave a bed ------------------------------------------------------------------------------
def test_a_person_waiting_to_leave_a_bed_dies_at_their_own_rate():
    rate = 0.6  # deaths per person-year, the same for everyone: exposure alone sets the expected count
    p = small(
        population=20_000,
        horizon=730.0,
        warmup=0.0,
        # (those bound for a care home carry its rate: off here, so that everyone's rate is the same)
        mortality={"at_home_fit_per_year": [rate] * 4, "frailty_hr": [1.0] * 4, "need_carries_care_home_hr": False},
        deprivation={"enabled": False},
        acute={"beds_per_100k": 1_000.0},
        social_care={  # nowhere to go but home: everyone else waits in the bed
            "home_care_packages_per_100k": 0.0,
            "reablement_places_per_100k": 0.0,
            "intermediate_care_beds_per_100k": 0.0,
            "care_home_places_per_100k": 0.0,
            "initial_care_home_per_100k": 0.0,
            "initial_home_care_per_100k": 0.0,
        },
    )
    m = run_to_end(p, seed=6)
    stays = m.rec.frames()["stays"]
    waited = stays[stays["pid"].ge(0) & stays["fit"].notna()]  # medically fit in the bed: from then on waiting
    exposure = (waited["left"].fillna(m.env.now) - waited["fit"]).sum()
    in_bed = int(waited["died"].sum())  # died in the bed after medically fit
    expected = rate / DAYS_PER_YEAR * exposure
    assert expected > 30  # so the old behaviour (nobody dies while waiting) fails below
    assert stats.poisson.cdf(in_bed, expected) > ALPHA / 2
    assert stats.poisson.sf(in_bed - 1, expected) > ALPHA / 2


def test_a_pool_waiter_interrupted_leaves_the_queue_and_hands_back_a_unit_given_at_that_instant():
    env = simpy.Environment()
    pool = CapacityPool(env, "places", 1)
    assert pool.try_take()
    outcome = {}

    def waiter(name):
        try:
            yield from pool.take()
            outcome[name] = "took"
        except simpy.Interrupt:
            outcome[name] = "left"

    a, b = env.process(waiter("a")), env.process(waiter("b"))
    env.run(until=1.0)
    assert pool.waiting == 2
    a.interrupt()
    env.run(until=2.0)
    assert outcome == {"a": "left"} and pool.waiting == 1
    pool.give_back()  # b is handed the unit ...
    b.interrupt()  # ... and dies in the same instant: the unit goes back
    env.run(until=3.0)
    assert outcome == {"a": "left", "b": "left"}
    assert pool.in_use == 0 and pool.waiting == 0


# --- waiting for a care home place -------------------------------------------------------------------------
def care_home_wait(carries: bool):
    """A place where people only age, change frailty, ask for a care home and die, and no place is ever free:
    every request waits on the list until the person dies or the run ends."""
    p = small(
        population=20_000,
        horizon=730.0,
        warmup=0.0,
        mortality={
            "at_home_fit_per_year": [0.3] * 4,
            "frailty_hr": [1.0] * 4,
            "need_carries_care_home_hr": carries,
            "care_home_hr_age_step": 1.0,  # one ratio at every age (tests/test_care_home_ages.py tests the step)
        },
        deprivation={"enabled": False},
        crisis={"fit_per_year": [0.0] * 4},
        elective={"referral_per_year": [0.0] * 4},
        social_care={
            "community_home_care_by_frailty": [0.0] * 4,
            "community_care_home_by_frailty": [0.05, 0.1, 0.2, 0.4],
            "care_home_places_per_100k": 0.0,
            "initial_care_home_per_100k": 0.0,
            "initial_home_care_per_100k": 0.0,
            "community_waiting_list_per_100k": 10_000.0,
        },
    )
    m = run_to_end(p, seed=7)
    spells = m.rec.frames()["spells"]
    waits = spells[(spells["kind"] == Spell.UNMET_NEED) & spells["pid"].ge(0)]
    end = waits["end"].fillna(m.env.now)
    exposure = (end - waits["start"]).sum()
    died = np.asarray(m.pop.died)[waits["pid"].to_numpy()]
    deaths = int((died == end.to_numpy()).sum())  # the wait ended with the person's death
    return p, exposure, deaths


@pytest.mark.parametrize("carries", [True, False])
def test_a_person_waiting_for_a_care_home_dies_at_its_rate_or_their_own(carries):
    p, exposure, deaths = care_home_wait(carries)
    hr = p.mortality.care_home_hr if carries else 1.0
    expected = 0.3 * hr / DAYS_PER_YEAR * exposure
    other = 0.3 * (1.0 if carries else p.mortality.care_home_hr) / DAYS_PER_YEAR * exposure
    assert expected > 30 and other > 30
    assert stats.poisson.cdf(deaths, expected) > ALPHA / 2
    assert stats.poisson.sf(deaths - 1, expected) > ALPHA / 2
    # and the other rule's count would fail: the test tells the two apart
    assert min(stats.poisson.cdf(deaths, other), stats.poisson.sf(deaths - 1, other)) < ALPHA / 2
