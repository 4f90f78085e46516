"""The elective route: referrals, outpatient slots, planned admissions sharing acute beds, MDT substitution.

The baseline levels (outpatient attendances, elective admissions) are checked
with the other plausibility ranges in tests/test_model_baseline.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from smallplace import small

from sim.core.records import BACKGROUND
from sim.outcomes.metrics import kpi_table, mdt_cohorts
from sim.parameters.params import per_place
from sim.pathways.elective import follow_ups
from sim.replication.single import build, single_run
from sim.vocabulary import Ev, Place


def _value(kpis: pd.DataFrame, metric: str, cohort: str = "65plus") -> float:
    return float(kpis[(kpis["cohort"] == cohort) & (kpis["metric"] == metric)]["value"].iloc[0])


def _interval(diffs: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t interval of paired differences."""
    d = np.asarray(diffs, dtype=float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _paired(metric: str, a, b, reps: int, cohort: str = "65plus", seed: int = 5) -> tuple[float, float, float]:
    """Paired difference b - a of a KPI over replications 0..reps-1 with common random numbers."""
    diffs = []
    for r in range(reps):
        kb, ka = single_run(b, seed, r).kpis, single_run(a, seed, r).kpis
        diffs.append(_value(kb, metric, cohort) - _value(ka, metric, cohort))
    return _interval(diffs)


def test_follow_ups_draw_has_the_stated_mean():
    u = (np.arange(200_000) + 0.5) / 200_000
    for mean in (0.5, 2.0, 3.5):
        assert abs(np.mean([follow_ups(mean, x) for x in u]) - mean) < 0.01 * mean
    assert follow_ups(0.0, 0.99) == 0


def test_elective_admissions_occupy_acute_beds_and_appear_as_planned_stays():
    p = small(population=15_000, horizon=365.0, warmup=90.0)
    m = build(p, seed=2, replication=0)
    seen = 0
    for t in np.linspace(120.0, m.window_end - 1.0, 12):
        m.env.run(until=float(t))
        in_bed = [s for s in m.rec.stays if s.pid != BACKGROUND and not s.emergency and math.isnan(s.left)]
        assert all(m.pop.place[s.pid] == Place.ACUTE for s in in_bed)
        background = sum(
            1 for s in m.rec.stays if s.pid == BACKGROUND and s.admitted <= m.env.now and math.isnan(s.left)
        )
        assert sum(1 for pl in m.pop.place if pl == Place.ACUTE) + background == m.beds.in_use
        seen += len(in_bed)
    assert seen > 0

    res = single_run(p, seed=2, replication=0)
    ev, st = res.data.events, res.data.stays
    planned = st[(st["pid"] >= 0) & ~st["emergency"].astype(bool)]
    admissions = ev[ev["event"] == Ev.ELECTIVE_ADMISSION]
    assert len(admissions) > 50 and len(planned) == len(admissions)
    assert (planned["arrived"] == planned["admitted"]).all()  # no trolley wait for planned stays
    both = planned.merge(admissions, left_on=["pid", "admitted"], right_on=["pid", "time"], validate="one_to_one")
    assert len(both) == len(planned)
    ended = both[both["left"].notna()]
    day_cases = ended[ended["detail"] == 1]
    assert len(day_cases) > 0 and np.allclose(day_cases["left"] - day_cases["admitted"], p.elective.day_case_bed_days)
    assert (ended["died"] == False).all()  # noqa: E712
    assert _value(res.kpis, "elective_admissions", "all") > 0 and _value(res.kpis, "bed_days", "all") > 0


def _attendances_per_day(res) -> np.ndarray:
    ev = res.data.events
    att = ev[ev["event"] == Ev.OUTPATIENT_ATTENDANCE]
    return np.bincount(np.floor(att["time"]).astype(int), weights=att["count"], minlength=int(res.data.window_end))


def test_outpatient_slots_are_never_exceeded_and_bind_only_when_scarce():
    base = small(population=20_000, horizon=365.0, warmup=180.0)
    scarce = small(
        population=20_000, horizon=365.0, warmup=180.0, elective={"outpatient_slots_per_100k_per_day": 120.0}
    )
    n = base.place.registered_population
    window = slice(int(base.time.warmup_days), None)
    per_day = {}
    for name, p in (("base", base), ("scarce", scarce)):
        res = single_run(p, seed=3, replication=0)
        cap = per_place(p.elective.outpatient_slots_per_100k_per_day, n)
        counts = _attendances_per_day(res)
        assert counts.max() <= cap, name  # on every day, warm-up included
        per_day[name] = (counts[window], cap, _value(res.kpis, "outpatient_attendances", "all"))
    counts, cap, base_total = per_day["base"]
    assert np.mean(counts >= cap) < 0.05  # at baseline the slots rarely run out
    counts, cap, scarce_total = per_day["scarce"]
    assert np.mean(counts >= cap) > 0.5 and scarce_total < base_total  # lowered, they are a real limit


def test_fewer_beds_give_more_elective_cancellations():
    few = small(population=20_000, horizon=365.0, warmup=120.0, acute={"beds_per_100k": 160.0})
    many = small(population=20_000, horizon=365.0, warmup=120.0, acute={"beds_per_100k": 200.0})
    mean, lo, hi = _paired("elective_cancellations", many, few, reps=5, cohort="all")
    assert lo > 0, (mean, lo, hi)


def test_fewer_follow_ups_give_fewer_outpatient_attendances():
    usual = small(population=12_000, horizon=365.0, warmup=180.0)
    fewer = small(population=12_000, horizon=365.0, warmup=180.0, elective={"follow_ups_mean": 1.0})
    mean, lo, hi = _paired("outpatient_attendances", usual, fewer, reps=4, cohort="all")
    assert hi < 0, (mean, lo, hi)


def test_mdt_follow_up_substitution_lowers_outpatient_attendances_of_enrolled_people():
    """The people enrolled in the run with substitution, against the same people in the run without it."""
    team = {"coordinators_per_100k": [20.0, 0.0, 0.0, 0.0]}
    none = small(population=12_000, horizon=365.0, warmup=180.0, mdt={**team, "follow_up_substitution": 0.0})
    most = small(population=12_000, horizon=365.0, warmup=180.0, mdt={**team, "follow_up_substitution": 0.9})
    diffs = []
    for r in range(3):
        a, b = single_run(none, 8, r), single_run(most, 8, r)
        cohort = mdt_cohorts(a.data, enrolled_in=b.data)
        assert cohort, "nobody was enrolled"
        counterfactual = kpi_table(a.data, cohort)
        with_substitution = _value(b.kpis, "outpatient_attendances", "mdt")
        diffs.append(with_substitution - _value(counterfactual, "outpatient_attendances", "mdt"))
    mean, lo, hi = _interval(diffs)
    assert hi < 0, (mean, lo, hi)
