"""Conservation and Little's law in full model runs (brief sections 4 and 9)."""

from __future__ import annotations

import math

import numpy as np
from helpers import check_places
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smallplace import small

from sim.replication.single import build, single_run
from sim.vocabulary import Ev


def test_every_person_is_somewhere_throughout_a_run():
    m = build(small(population=15_000), seed=3, replication=0)
    for t in np.linspace(1, m.window_end - 1, 12):
        m.env.run(until=float(t))
        check_places(m)


def bed_ledger(res):
    """Beds at the window's start + admissions = discharges + deaths in hospital + beds at its end."""
    st_ = res.data.stays
    W, E = res.data.window_start, res.data.window_end
    left = st_["left"].fillna(math.inf)
    occupied_start = int(((st_["admitted"] < W) & (left >= W)).sum())
    occupied_end = int(((st_["admitted"] < E) & (left >= E)).sum())
    admissions = int(((st_["admitted"] >= W) & (st_["admitted"] < E)).sum())
    ended = (left >= W) & (left < E)
    deaths = int((ended & st_["died"]).sum())
    discharges = int((ended & ~st_["died"]).sum())
    return occupied_start, admissions, discharges, deaths, occupied_end


def check_run(res) -> None:
    start, admissions, discharges, deaths, end = bed_ledger(res)
    assert start + admissions == discharges + deaths + end
    ts = res.timeseries
    beds = ts[ts["series"] == "acute_beds_occupied"]
    assert beds["value"].iloc[0] == start  # the pool's own count agrees with the records
    # Little's law in sample-path form: the pool's own time-integral of beds in use (L x T) equals the
    # sum over stays of their time inside the window (lambda x T x W), computed from the records
    W, E = res.data.window_start, res.data.window_end
    s = res.data.stays
    overlap = (np.minimum(s["left"].fillna(E), E) - np.maximum(s["admitted"], W)).clip(lower=0).sum()
    assert math.isclose(res.data.bed_days_all, overlap, rel_tol=1e-9, abs_tol=1e-6)
    # every cohort admission ends in a discharge, a death, or a bed still occupied at the end
    ev = res.data.events
    cohort = s[(s["pid"] >= 0) & (s["admitted"] > 0)]  # stays in progress at time 0 have no admission event
    assert (ev["event"] == Ev.EMERGENCY_ADMISSION).sum() == cohort["emergency"].sum()
    assert (ev["event"] == Ev.ELECTIVE_ADMISSION).sum() == (~cohort["emergency"].astype(bool)).sum()


def test_conservation_and_littles_law_default_parameters():
    check_run(single_run(small(population=20_000), seed=1, replication=0))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    beds=st.floats(60, 400),
    crisis_scale=st.floats(0.3, 3.0),
    home_care=st.floats(100, 1500),
    care_homes=st.floats(100, 900),
    social_workers=st.floats(0.5, 20),
    boost=st.floats(0, 8),
    seasons=st.floats(0, 20),
    seed=st.integers(0, 2**31),
)
def test_conservation_over_random_parameters(
    beds, crisis_scale, home_care, care_homes, social_workers, boost, seasons, seed
):
    fit = tuple(crisis_scale * x for x in (0.15, 0.135, 0.20, 0.32))
    p = small(
        population=8_000,
        horizon=120.0,
        warmup=30.0,
        acute={"beds_per_100k": beds},
        crisis={"fit_per_year": fit, "transient_boost": boost},
        demand={"seasonal_amplitude": seasons},
        social_care={
            "home_care_packages_per_100k": home_care,
            "care_home_places_per_100k": care_homes,
            "social_workers_per_100k": social_workers,
        },
    )
    m = build(p, seed=seed, replication=0)
    m.env.run(until=60.0)
    check_places(m)
    check_run(single_run(p, seed=seed, replication=0))
