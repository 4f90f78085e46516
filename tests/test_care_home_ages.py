"""Care homes are older people's: nobody under 65 takes a place (``social_care.care_homes_65_plus``), and
entries below 85 are scaled by ``social_care.care_home_age_step_hr``.

The care home figures the model is calibrated to count people 65+, and the initial state places no
under-65 in a care home; before version 0.7.0 under-65s with complex needs entered the homes on
discharge or from the community and, dying at under-65 rates, filled a growing share of the places
over a long run.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from smallplace import small

from sim.core.population import DAYS_PER_YEAR
from sim.replication.single import build
from sim.vocabulary import Care, Place

# frequent care home needs, so that under-65 entries would show within a short run
EAGER = {
    "community_care_home_by_frailty": [0.05, 0.05, 0.05, 0.05],
    "care_home_places_per_100k": 2_000.0,
}


def under_65_residents(on: bool) -> list[int]:
    p = small(
        population=20_000, horizon=2 * DAYS_PER_YEAR, warmup=90.0, social_care={**EAGER, "care_homes_65_plus": on}
    )
    m = build(p, seed=4, replication=0)
    counts = []
    for t in np.linspace(90.0, m.window_end - 1.0, 6):
        m.env.run(until=float(t))
        age = np.asarray(m.pop.age0) + m.env.now / DAYS_PER_YEAR
        counts.append(int(((np.asarray(m.pop.place) == Place.CARE_HOME) & (age < 65)).sum()))
    return counts


@pytest.mark.parametrize("on", [True, False])
def test_only_people_65_and_over_live_in_care_homes(on):
    counts = under_65_residents(on)
    if on:
        assert counts == [0] * len(counts)
    else:
        assert counts[-1] > 10  # the rule is what keeps them out: without it they enter


def new_residents_under_85(step: float) -> int:
    """People who entered a care home within the run and are under 85 at its end (residents at time 0 apart)."""
    # reablement's and intermediate care's outcomes keep their shares at every age: none ends in a care home here
    ends = {"reablement_outcome": [0.5, 0.5, 0.0], "intermediate_care_outcome": [0.5, 0.5, 0.0]}
    p = small(
        population=20_000,
        horizon=DAYS_PER_YEAR,
        warmup=30.0,
        social_care={**EAGER, **ends, "care_home_age_step_hr": step},
    )
    m = build(p, seed=4, replication=0)
    m.env.run(until=1e-9)
    first = {pid for pid, care in enumerate(m.pop.care) if care == Care.CARE_HOME}  # residents, some in hospital
    m.env.run(until=m.window_end)
    age = np.asarray(m.pop.age0) + m.env.now / DAYS_PER_YEAR
    return sum(
        1 for pid, place in enumerate(m.pop.place) if place == Place.CARE_HOME and pid not in first and age[pid] < 85
    )


def test_entries_below_85_scale_with_the_age_step():
    """With ``care_home_age_step_hr`` 0 only people of 85+ enter a care home; with 1, age alone makes no difference."""
    assert new_residents_under_85(0.0) == 0
    assert new_residents_under_85(1.0) > 20


# --- care home residents' mortality by age ------------------------------------------------------------------
ALPHA = 0.001  # each Poisson comparison's false-alarm rate
RATE, HR, STEP = 0.3, 2.0, 1.5  # deaths per person-year outside a care home; the ratio at 85+; its step a band


def residents_deaths_and_exposure(step: float) -> tuple[np.ndarray, np.ndarray]:
    """Deaths and person-years of the initial care home residents by band (65-74, 75-84, 85+), in a place where
    residents only age and die (no crises, no entries)."""
    p = small(
        population=20_000,
        horizon=730.0,
        warmup=0.0,
        mortality={
            "at_home_fit_per_year": [RATE] * 4,
            "frailty_hr": [1.0] * 4,
            "care_home_hr": HR,
            "care_home_hr_age_step": step,
        },
        deprivation={"enabled": False},
        crisis={"fit_per_year": [0.0] * 4},
        elective={"referral_per_year": [0.0] * 4},
        social_care={
            "community_home_care_by_frailty": [0.0] * 4,
            "community_care_home_by_frailty": [0.0] * 4,
            "care_home_places_per_100k": 2_000.0,
            "initial_care_home_per_100k": 2_000.0,
            "initial_home_care_per_100k": 0.0,
        },
    )
    m = build(p, seed=5, replication=0)
    m.env.run(until=1e-9)
    residents = np.array([pid for pid, place in enumerate(m.pop.place) if place == Place.CARE_HOME])
    m.env.run(until=m.window_end)
    age0 = np.asarray(m.pop.age0)[residents]
    died = np.asarray(m.pop.died)[residents]
    end = np.where(np.isnan(died), m.env.now, died)
    edges = (65.0, 75.0, 85.0, np.inf)
    exposure = (
        np.array(
            [
                np.clip(
                    np.minimum(end, (edges[b + 1] - age0) * DAYS_PER_YEAR)
                    - np.maximum(0.0, (edges[b] - age0) * DAYS_PER_YEAR),
                    0,
                    None,
                ).sum()
                for b in range(3)
            ]
        )
        / DAYS_PER_YEAR
    )
    band_at_death = np.searchsorted(edges[1:3], age0 + end / DAYS_PER_YEAR, side="right")
    deaths = np.bincount(band_at_death[~np.isnan(died)], minlength=3)
    return deaths, exposure


def test_residents_excess_mortality_steps_up_below_85():
    """Residents die at ``care_home_hr`` times their own rate at 85+, times the step at 75-84, its square at 65-74."""
    deaths, exposure = residents_deaths_and_exposure(STEP)
    expected = RATE * HR * STEP ** np.array([2, 1, 0]) * exposure
    flat = RATE * HR * exposure
    assert (expected > 30).all()
    for d, e in zip(deaths, expected):
        assert stats.poisson.cdf(d, e) > ALPHA / 2 and stats.poisson.sf(d - 1, e) > ALPHA / 2
    # one ratio at every age would fail at 65-74: the test tells the two apart
    assert min(stats.poisson.cdf(deaths[0], flat[0]), stats.poisson.sf(deaths[0] - 1, flat[0])) < ALPHA / 2
