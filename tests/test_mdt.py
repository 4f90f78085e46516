"""MDTs and case finding, rapid response and community support: capacity, ranking, accuracy, effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from smallplace import UNLIMITED, merge, small

from sim.outcomes.metrics import cohort_kpis, mdt_cohorts
from sim.pathways.mdt import risk_scores
from sim.replication.single import build, single_run
from sim.vocabulary import Ev, Place, Spell

NURSES = {"coordinators_per_100k": [10.0, 0.0, 0.0, 0.0], "caseload": 40}
PURE_CRISIS_EFFECT = {
    **NURSES,
    "crisis_reduction": 0.3,
    "unmet_need_referral_hr": 1.0,
    "ae_referral_share": 0.0,
    "unmet_need_found_share": 0.0,
    "signposting_crisis_hr": 1.0,
    "follow_up_substitution": 0.0,
    "inreach_assessment_share": 1.0,
}


def _open_spells_max(spells: pd.DataFrame, end: float) -> int:
    s = spells[spells["kind"] == Spell.MDT]
    times = np.r_[s["start"].to_numpy(), s["end"].fillna(end).to_numpy()]
    steps = np.r_[np.ones(len(s)), -np.ones(len(s))]
    order = np.lexsort((steps, times))  # at equal times, leave before join
    return int(np.cumsum(steps[order]).max()) if len(s) else 0


def test_caseload_capacity_is_respected_and_places_are_reused():
    p = small(population=30_000, horizon=540.0, warmup=60.0, mdt={**NURSES, "exit_stable_per_review": 0.3})
    m = build(p, seed=2, replication=0)
    m.env.run(until=m.window_end)
    teams = m.teams
    capacity = teams.capacity
    assert capacity == 3 * 40  # 10 per 100,000 at 30,000 people, 40 each
    spells = m.rec.frames()["spells"]
    assert teams.max_enrolled <= capacity
    assert _open_spells_max(spells, m.window_end) <= capacity
    mdt = spells[spells["kind"] == Spell.MDT].sort_values(["pid", "start"])
    # nobody is on two caseloads at once
    prev_end = mdt.groupby("pid")["end"].shift()
    assert ((prev_end.isna()) | (mdt["start"] >= prev_end)).all()
    # places freed by leaving are used again: more enrolments than places, and the books balance
    assert len(mdt) > capacity
    assert sum(teams.free) + teams.enrolled == capacity
    assert teams.enrolled == int(sum(1 for d in m.mdt if d >= 0))
    assert all(m.pop.place[pid] != Place.DEAD for pid, d in enumerate(m.mdt) if d >= 0)


def test_enrolment_follows_the_ranking():
    p = small(population=30_000, horizon=200.0, warmup=100.0, mdt=NURSES)
    m = build(p, seed=4, replication=0)
    m.env.run(until=m.window_start - 1e-6)
    at_home = np.array([i for i in range(len(m.pop)) if m.pop.place[i] == Place.HOME])
    scores = risk_scores(m, at_home, m.window_start)
    m.env.run(until=m.window_start + 1e-6)
    enrolled = np.array([m.mdt[i] >= 0 for i in at_home])
    assert enrolled.sum() == m.teams.capacity
    assert scores[enrolled].min() >= scores[~enrolled].max()


def test_case_finding_score_has_realistic_accuracy():
    """AUC of the GP-visible score against emergency admission in the next year (EVIDENCE 3: about 0.7)."""
    p = small(population=60_000, horizon=400.0, warmup=365.0)
    m = build(p, seed=6, replication=0)
    m.env.run(until=m.window_start)
    at_home = np.array([i for i in range(len(m.pop)) if m.pop.place[i] == Place.HOME])
    scores = risk_scores(m, at_home, m.env.now)
    t0 = m.env.now
    m.env.run(until=t0 + 365.0)
    ev = m.rec.frames()["events"]
    adm = ev[(ev["event"] == Ev.EMERGENCY_ADMISSION) & (ev["time"] > t0)]
    label = np.isin(at_home, adm["pid"].unique())
    u = stats.mannwhitneyu(scores[label], scores[~label]).statistic
    auc = u / (label.sum() * (~label).sum())
    print(f"case-finding AUC {auc:.3f} over {len(at_home)} people, {label.mean():.1%} admitted in the next year")
    assert 0.6 <= auc <= 0.8


def _paired(metric, a, b, reps=5, cohort="all", same_people=False):
    diffs = []
    for r in range(reps):
        ra, rb = single_run(a, seed=9, replication=r), single_run(b, seed=9, replication=r)
        if same_people:  # the people enrolled in b, measured from their enrolment in both runs
            c = mdt_cohorts(ra.data, rb.data)[0]
            va, vb = cohort_kpis(ra.data, c)[metric], cohort_kpis(rb.data, c)[metric]
        else:
            pick = lambda k: float(k[(k["cohort"] == cohort) & (k["metric"] == metric)]["value"].iloc[0])  # noqa: E731
            va, vb = pick(ra.kpis), pick(rb.kpis)
        diffs.append(vb - va)
    d = np.array(diffs)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def test_mdt_crisis_effect_lowers_enrolled_peoples_crises():
    # here and below: small()'s default window, a year after a 90-day warm-up
    off = small(population=30_000)
    on = small(population=30_000, mdt=PURE_CRISIS_EFFECT)
    mean, lo, hi = _paired("crises", off, on, same_people=True)
    assert hi < 0, (mean, lo, hi)


def test_rapid_response_lowers_ae_attendances():
    few = small(population=30_000)
    more = small(population=30_000, community={"rapid_response_per_100k": 20.0, "single_point_of_access": True})
    mean, lo, hi = _paired("ae_attendances", few, more)
    assert hi < 0, (mean, lo, hi)


def test_cutting_community_support_raises_crises():
    funded = small(population=30_000)
    cut = small(population=30_000, community={"support_funding": 0.5})
    mean, lo, hi = _paired("crises", funded, cut)
    assert lo > 0, (mean, lo, hi)


def test_mdt_changes_nothing_for_people_never_enrolled_when_capacity_is_unlimited():
    unlimited = merge(UNLIMITED, {"community": {"rapid_response_per_100k": 5_000.0}})
    off = small(population=10_000, horizon=200.0, warmup=30.0, **unlimited)
    on = small(population=10_000, horizon=200.0, warmup=30.0, **merge(unlimited, {"mdt": NURSES}))
    a, b = single_run(off, seed=12, replication=0), single_run(on, seed=12, replication=0)
    enrolled = set(b.data.events[b.data.events["event"] == Ev.MDT_ENROLMENT]["pid"])
    assert enrolled

    def others(res):
        ev = res.data.events
        ev = ev[(ev["pid"] >= 0) & ~ev["pid"].isin(enrolled)]
        return ev.sort_values(["pid", "time", "event"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(others(a), others(b))
    # while the enrolled people's own histories did change
    mine = lambda res: res.data.events[res.data.events["pid"].isin(enrolled)]  # noqa: E731
    assert len(mine(a)) != len(mine(b)) or not np.array_equal(mine(a)["time"].to_numpy(), mine(b)["time"].to_numpy())
