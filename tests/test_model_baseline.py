"""Baseline levels against the evidence ranges, and model-logic checks on paired means.

Ranges (cohort 65plus, EVIDENCE sections 3 and 4) live in sim/calibration/plausibility.py;
the parameters fitted to them are listed in calibration/baseline.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from smallplace import small

from sim.calibration.plausibility import CHECKS, run_table
from sim.replication.single import single_run

REPS = 2


@pytest.fixture(scope="module")
def baseline():
    # at the default place, where the levels were fitted: waits for places depend on the place's size
    p = small(population=250_000, horizon=730.0, warmup=365.0)
    return [run_table(single_run(p, seed=1, replication=r)) for r in range(REPS)]


def _mean(tables, fn):
    return float(np.mean([fn(t) for t in tables]))


# A known miss, stated in calibration/baseline.md and the CHANGELOG: with 0.8.0's held frailty mix and refitted
# care home flows, 30-day readmissions of people 65+ sit just under the range's 12% (11.8% at seed 1, 2 replications
# at the default place); the risk structure, which they were fitted with, was not refitted for 0.8.0. strict: the day
# it passes, this mark must go. (0.6.0's known miss, the frequent admitters' next-year share on "under 10%", passes
# with 0.8.0, so its mark went.)
KNOWN_MISSES = {"30-day readmissions, share of emergency admissions": "0.8.0: just under 12% (calibration/baseline.md)"}


def _marked(c):
    reason = KNOWN_MISSES.get(c.name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(c, id=c.name, marks=marks)


@pytest.mark.parametrize("check", [_marked(c) for c in CHECKS if c.fitted])
def test_baseline_level_in_evidence_range(baseline, check):
    value = _mean(baseline, check.level)
    assert check.low <= value <= check.high, (
        f"{check.name}: {value:.4g} outside {check.low}-{check.high} ({check.source})"
    )


def _paired(metric: str, a_params, b_params, reps: int = 6, cohort: str = "65plus", transform=lambda x: x):
    """Mean and 95% interval of the paired difference b - a over replications with common random numbers."""
    diffs = []
    for r in range(reps):
        a = single_run(a_params, seed=7, replication=r).kpis
        b = single_run(b_params, seed=7, replication=r).kpis
        pick = lambda k: float(k[(k["cohort"] == cohort) & (k["metric"] == metric)]["value"].iloc[0])  # noqa: E731
        diffs.append(transform(pick(b)) - transform(pick(a)))
    d = np.array(diffs)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def test_more_home_care_gives_fewer_delayed_days():
    scarce = small(population=30_000, horizon=365.0, warmup=90.0, social_care={"home_care_packages_per_100k": 560.0})
    more = small(population=30_000, horizon=365.0, warmup=90.0, social_care={"home_care_packages_per_100k": 760.0})
    mean, lo, hi = _paired("delayed_days_awaiting_home_care", scarce, more)
    assert hi < 0, (mean, lo, hi)
    mean, lo, hi = _paired("delayed_discharge_days", scarce, more)
    assert hi < 0, (mean, lo, hi)


def test_more_beds_give_shorter_trolley_waits():
    few = small(population=30_000, horizon=365.0, warmup=90.0, acute={"beds_per_100k": 165.0})
    many = small(population=30_000, horizon=365.0, warmup=90.0, acute={"beds_per_100k": 200.0})
    # trolley waits are heavy-tailed (a bad winter dominates a replication): compare log hours
    mean, lo, hi = _paired("trolley_wait_hours", few, many, cohort="all", transform=np.log1p)
    assert hi < 0, (mean, lo, hi)


def test_extreme_values():
    """No crises and no referrals: no A&E, no admissions, no cohort bed days; people still live, age and die."""
    none = single_run(
        small(
            population=8_000,
            horizon=120.0,
            warmup=30.0,
            crisis={"fit_per_year": [0, 0, 0, 0]},
            elective={"referral_per_year": [0, 0, 0, 0]},
        ),
        1,
        0,
    ).kpis
    get = lambda k, m: float(k[(k["cohort"] == "all") & (k["metric"] == m)]["value"].iloc[0])  # noqa: E731
    assert get(none, "crises") == 0 and get(none, "emergency_admissions") == 0 and get(none, "ae_attendances") == 0
    assert get(none, "bed_days") == 0 and get(none, "person_years") > 0 and get(none, "deaths") > 0
    assert get(none, "elective_admissions") == 0 and get(none, "outpatient_attendances") == 0
