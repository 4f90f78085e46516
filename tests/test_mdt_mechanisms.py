"""The MDT's effects as mechanisms: ramp-up, dose from the caseload, A&E threshold, unmet need found,
clinician referral, broad enrolment, trusted assessment and priority for packages.

Each mechanism is checked for its neutral value (nothing changes, under common random numbers) and
its direction, with the other effects of enrolment switched off so that it acts alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from smallplace import UNLIMITED, merge, small

from sim.core.ramp import Ramp
from sim.outcomes.metrics import cohort_kpis, mdt_cohorts
from sim.parameters.params import Params
from sim.pathways import social_care
from sim.pathways.mdt import risk_scores
from sim.pathways.mdt_risk import crisis_multiplier, dose
from sim.replication.single import build, single_run
from sim.vocabulary import Ev, Need, Place

NURSES = {"coordinators_per_100k": [10.0, 0.0, 0.0, 0.0], "caseload": 50}
# case finding by the risk score alone: no places go to people clinicians refer
SCORE_ONLY = {**NURSES, "clinician_referral_share": 0.0}
# every effect of enrolment off: the team finds and enrols people, and nothing else changes
NEUTRAL = {
    **NURSES,
    "crisis_reduction": 0.0,
    "signposting_crisis_hr": 1.0,
    "follow_up_substitution": 0.0,
    "unmet_need_referral_hr": 1.0,
    "unmet_need_found_share": 0.0,
    "ae_referral_share": 0.0,
    "inreach_assessment_share": 1.0,
    "trusted_assessment_share": 1.0,
    "priority_package_access": False,
    "clinician_referral_share": 0.0,
    "knows_contact": Params().discharge.knows_whom_to_contact,  # no named contact beyond what everyone has
}
MDT_EVENTS = (Ev.MDT_ENROLMENT, Ev.MDT_REVIEW, Ev.MDT_EXIT)


def _events(res, pids=None) -> pd.DataFrame:
    ev = res.data.events
    ev = ev[(ev["pid"] >= 0) & ~ev["event"].isin(MDT_EVENTS)]
    if pids is not None:
        ev = ev[ev["pid"].isin(pids)]
    return ev.sort_values(["pid", "time", "event", "detail"]).reset_index(drop=True)


def _enrolled(res) -> set[int]:
    ev = res.data.events
    return set(ev[ev["event"] == Ev.MDT_ENROLMENT]["pid"])


def _cohort(metric: str, a, b, reps: int = 2, seed: int = 5) -> tuple[float, float]:
    """Sum over replications of ``metric`` for the people enrolled in ``b``, in the run of ``a`` and of ``b``."""
    va = vb = 0.0
    for r in range(reps):
        ra, rb = single_run(a, seed=seed, replication=r), single_run(b, seed=seed, replication=r)
        c = mdt_cohorts(ra.data, rb.data)[0]
        va += cohort_kpis(ra.data, c)[metric]
        vb += cohort_kpis(rb.data, c)[metric]
    return va, vb


# --- the ramp-up, a general mechanism -------------------------------------------------------------


def test_no_ramp_is_full_effect_at_once():
    r = Ramp(0.0)
    assert r.changes() == []
    assert all(r.share(t) == 1.0 for t in (-5.0, 0.0, 0.5, 100.0, 1e6))


def test_ramp_rises_in_steps_to_full_effect_with_the_lines_total():
    r = Ramp(200.0, step_days=30.0)
    shares = [r.share(t) for t in np.arange(0.0, 260.0, 0.5)]
    assert all(b >= a for a, b in zip(shares, shares[1:]))
    assert 0 < r.share(0.0) < r.share(100.0) < 1.0 == r.share(200.0) == r.share(900.0)
    assert r.changes()[-1] == 200.0 and len(r.changes()) == math.ceil(200 / 30)
    # the steps hold the straight line's mean over the ramp: half the full effect
    assert np.mean([r.share(t) for t in np.arange(0.0, 200.0, 0.05)]) == pytest.approx(0.5, abs=1e-3)
    # the share moves only at the listed changes
    for a, b in zip([0.0, *r.changes()], r.changes()):
        assert r.share(a) == r.share((a + b) / 2) == r.share(b - 1e-9) < r.share(b)


# --- dose from the caseload, times the ramp-up -----------------------------------------------------


def test_dose_is_the_reference_caseload_over_the_people_per_coordinator_capped():
    assert dose(50, 50, 1.0) == 1.0
    assert dose(50, 80, 1.0) == pytest.approx(50 / 80)
    assert dose(50, 40, 1.0) == 1.0  # more time than the reference gives no more effect by default
    assert dose(50, 40, 1.5) == pytest.approx(1.25)
    assert dose(50, 20, 1.5) == 1.5
    assert dose(50, 0, 1.2) == 1.2


def _launched(mdt: dict, population: int = 20_000, after: float = 1e-6):
    p = small(population=population, horizon=200.0, warmup=60.0, mdt=mdt)
    m = build(p, seed=3, replication=0)
    m.env.run(until=m.window_start + after)
    return m


def test_a_full_reference_caseload_with_no_ramp_gives_the_whole_effect():
    """The neutral dose and ramp: the crisis multiplier is the one of the team before either existed."""
    m = _launched({**NURSES, "ramp_up_days": 0.0, "crisis_reduction": 0.3})
    p = m.p.mdt
    assert m.teams.free == [0, 0, 0, 0]  # the caseloads are full
    assert m.teams.effect[0] == 1.0
    enrolled = [i for i, d in enumerate(m.mdt) if d >= 0]
    for pid in enrolled:
        fit = 1.0 if int(p.fitting_discipline[m.pop.need[pid]]) == 0 else p.mismatch_effect_share
        assert crisis_multiplier(m, pid) == max(0.0, 1.0 - p.crisis_reduction * fit) * p.signposting_crisis_hr


def test_a_larger_caseload_dilutes_the_effect_and_the_ramp_builds_it_up():
    full = _launched({**NURSES, "ramp_up_days": 0.0, "caseload": 80})
    assert full.teams.free[0] == 0
    assert full.teams.effect[0] == pytest.approx(50 / 80)
    early = _launched({**NURSES, "ramp_up_days": 180.0, "crisis_reduction": 0.3})
    later = _launched({**NURSES, "ramp_up_days": 180.0, "crisis_reduction": 0.3}, after=100.0)
    assert 0 < early.teams.effect[0] < later.teams.effect[0] < 1.0
    assert early.teams.effect[0] == pytest.approx(Ramp(180.0).share(0.0))
    # the people enrolled at the launch and still on the caseload carry the ramp's effect now
    pid = next(i for i, d in enumerate(later.mdt) if d >= 0 and later.pop.place[i] == Place.HOME)
    assert crisis_multiplier(later, pid) > 1.0 - later.p.mdt.crisis_reduction


def test_the_ramp_up_leaves_fewer_crises_prevented_early():
    on = {**NEUTRAL, "crisis_reduction": 0.4}
    at_once, ramped = _cohort(
        "crises",
        small(population=20_000, mdt={**on, "ramp_up_days": 0.0}),
        small(population=20_000, mdt={**on, "ramp_up_days": 365.0}),
    )
    assert ramped > at_once


# --- every mechanism at its neutral value changes nothing -----------------------------------------


def test_with_every_effect_neutral_the_enrolled_live_the_baselines_lives():
    """Ramp and dose on, nothing else: no redraw, so every history is the baseline's, bit for bit."""
    off = small(population=15_000, horizon=300.0, warmup=60.0)
    on = small(population=15_000, horizon=300.0, warmup=60.0, mdt={**NEUTRAL, "ramp_up_days": 200.0, "caseload": 70})
    a, b = single_run(off, seed=8, replication=0), single_run(on, seed=8, replication=0)
    assert _enrolled(b)
    pd.testing.assert_frame_equal(_events(a), _events(b))


@pytest.mark.parametrize(
    ("off", "settings"),
    [
        ({"ae_referral_share": 0.0}, {"ae_referral_los_multiplier": 0.25}),  # nobody is sent to A&E
        ({"social_care_in_team": False}, {"trusted_assessment_share": 0.0}),  # no social worker in the team
        ({"clinician_referral_share": 0.0}, {"clinician_sees": 1.0, "clinician_noise_sd": 2.0}),  # no referrals
    ],
)
def test_a_mechanism_switched_off_ignores_its_settings(off, settings):
    team = {**NURSES, "crisis_reduction": 0.3, **off}
    base = small(population=10_000, horizon=200.0, warmup=30.0, mdt=team)
    other = small(population=10_000, horizon=200.0, warmup=30.0, mdt={**team, **settings})
    a, b = single_run(base, seed=4, replication=0), single_run(other, seed=4, replication=0)
    pd.testing.assert_frame_equal(_events(a), _events(b))


# --- the A&E threshold ---------------------------------------------------------------------------


def test_a_coordinator_sends_more_crises_to_ae_with_short_stays_and_no_one_else_changes():
    off = small(population=20_000, mdt=NEUTRAL)
    on = small(population=20_000, mdt={**NEUTRAL, "ae_referral_share": 0.5, "ae_referral_los_multiplier": 0.3})
    a_ae, b_ae = _cohort("ae_attendances", off, on)
    a_adm, b_adm = _cohort("emergency_admissions", off, on)
    a_los, b_los = _cohort("mean_los_days", off, on)
    assert b_ae > a_ae * 1.02
    assert b_adm > a_adm
    assert b_los < a_los


def test_the_ae_threshold_changes_only_the_enrolled_peoples_histories_when_nothing_is_short():
    unlimited = merge(UNLIMITED, {"community": {"rapid_response_per_100k": 5_000.0}})
    once = {**NEUTRAL, "restratify_every_days": 1_000.0}  # one round of case finding: the same people enrolled
    a, b = (
        single_run(small(population=10_000, horizon=200.0, warmup=30.0, **merge(unlimited, {"mdt": mdt})), 12, 0)
        for mdt in (once, {**once, "ae_referral_share": 1.0})
    )
    enrolled = _enrolled(b)
    assert enrolled == _enrolled(a)
    others = set(range(len(b.data.people))) - enrolled
    pd.testing.assert_frame_equal(_events(a, others), _events(b, others))
    ae = lambda res: int((_events(res, enrolled)["event"] == Ev.AE_ATTENDANCE).sum())  # noqa: E731
    assert ae(b) > ae(a)


# --- unmet need found at enrolment ----------------------------------------------------------------


def test_the_first_assessment_brings_a_referral_at_enrolment_and_more_outpatient_activity():
    found = _launched({**NEUTRAL, "unmet_need_found_share": 1.0})
    none = _launched(NEUTRAL)
    enrolled = [i for i, d in enumerate(found.mdt) if d >= 0]
    assert enrolled == [i for i, d in enumerate(none.mdt) if d >= 0]
    # everyone enrolled is now in an outpatient episode: referred at enrolment, or in one already
    assert all(found.op_active[i] for i in enrolled)
    assert not all(none.op_active[i] for i in enrolled)
    referred = found.rec.frames()["events"]
    at_launch = referred[(referred["event"] == Ev.OUTPATIENT_REFERRAL) & (referred["time"] == found.window_start)]
    assert set(at_launch["pid"]) == {i for i in enrolled if not none.op_active[i]}
    off = small(population=20_000, mdt=NEUTRAL)
    on = small(population=20_000, mdt={**NEUTRAL, "unmet_need_found_share": 1.0})
    a_op, b_op = _cohort("outpatient_attendances", off, on)
    assert b_op > a_op


# --- clinician referral ---------------------------------------------------------------------------


def _enrolled_risk(mdt: dict) -> tuple[float, int]:
    p = small(population=20_000, horizon=200.0, warmup=60.0, mdt=mdt, people={"persistent_risk_sd": 1.0})
    m = build(p, seed=3, replication=0)  # a place where much of the risk is the person's own and hidden
    m.env.run(until=m.window_start + 1e-6)
    enrolled = [i for i, d in enumerate(m.mdt) if d >= 0]
    return float(np.mean([m.pop.risk[i] for i in enrolled])), len(enrolled)


def test_clinicians_who_see_hidden_risk_refer_people_of_higher_risk():
    score_only, n0 = _enrolled_risk(SCORE_ONLY)
    referred, n1 = _enrolled_risk(
        {**NURSES, "clinician_referral_share": 0.5, "clinician_sees": 1.0, "clinician_noise_sd": 0.0}
    )
    assert n0 == n1
    assert referred > score_only


# --- broad enrolment (the pilots' own lists) ------------------------------------------------------


def _enrolled_scores(mdt: dict) -> tuple[np.ndarray, np.ndarray]:
    """Risk scores at the launch of the people enrolled, and of the eligible group (the top share)."""
    m = _launched(mdt)
    at_home = np.array([i for i in range(len(m.pop)) if m.pop.place[i] == Place.HOME], dtype=int)
    scores = risk_scores(m, at_home, m.env.now)
    eligible = np.sort(scores)[::-1][: int(math.floor(m.p.mdt.enrol_top_share * len(at_home)))]
    enrolled = np.array([s for i, s in zip(at_home, scores) if m.mdt[i] >= 0])
    return enrolled, eligible


def test_broad_enrolment_fills_places_from_the_whole_eligible_group():
    """Highest risk first enrols the top of the ranking; a broad share enrols people further down the
    eligible group, never beyond it, into the same number of places.  Case finding by the score alone,
    as clinicians' referrals (tested above) take people by what the score cannot see."""
    ranked, eligible = _enrolled_scores(SCORE_ONLY)
    broad, _ = _enrolled_scores({**SCORE_ONLY, "enrol_broad_share": 1.0})
    assert len(ranked) == len(broad) < len(eligible)
    assert ranked.min() >= np.sort(eligible)[::-1][len(ranked) - 1]  # the top of the ranking
    assert broad.mean() < ranked.mean()
    assert broad.min() >= eligible.min()  # nobody outside the eligible group
    half, _ = _enrolled_scores({**SCORE_ONLY, "enrol_broad_share": 0.5})
    assert broad.mean() < half.mean() < ranked.mean()


def test_broad_enrolment_order_is_the_persons_own_under_common_random_numbers():
    """The team's order comes from each person's own stream, so the same person holds the same place in it
    whatever else the run does, and a neutral share draws nothing."""
    a = _launched({**NURSES, "enrol_broad_share": 1.0})
    b = _launched({**NURSES, "enrol_broad_share": 1.0, "crisis_reduction": 0.4})
    shared = set(a.teams.order_keys) & set(b.teams.order_keys)
    assert shared and all(a.teams.order_keys[i] == b.teams.order_keys[i] for i in shared)
    assert _launched(NURSES).teams.order_keys == {}


# --- social care in the team ----------------------------------------------------------------------

TEAM = {**NEUTRAL, "coordinators_per_100k": [5.0, 5.0, 0.0, 0.0], "social_care_in_team": True}


def test_trusted_assessment_shortens_the_enrolled_peoples_assessment_delays():
    slow = small(population=20_000, mdt={**TEAM, "trusted_assessment_share": 1.0})
    fast = small(population=20_000, mdt={**TEAM, "trusted_assessment_share": 0.0})
    a, b = _cohort("delayed_days_assessment", slow, fast)
    assert a > 0 and b < a


def test_priority_access_puts_enrolled_peoples_requests_with_the_discharges():
    m = _launched({**TEAM, "priority_package_access": True})
    enrolled = next(i for i, d in enumerate(m.mdt) if d >= 0)
    other = next(i for i, d in enumerate(m.mdt) if d < 0)
    assert social_care.priority(m, enrolled) == social_care.DISCHARGE
    assert social_care.priority(m, other) == social_care.COMMUNITY
    off = _launched({**TEAM, "priority_package_access": False})
    assert social_care.priority(off, enrolled) == social_care.COMMUNITY
    nurses = _launched({**NURSES, "priority_package_access": True})
    assert social_care.priority(nurses, next(i for i, d in enumerate(nurses.mdt) if d >= 0)) == social_care.COMMUNITY


def test_priority_access_shortens_the_enrolled_peoples_unmet_need_when_packages_are_short():
    short = {"social_care": {"home_care_packages_per_100k": 450.0, "community_waiting_list_per_100k": 200.0}}
    off = small(population=20_000, mdt={**TEAM, "priority_package_access": False}, **short)
    on = small(population=20_000, mdt={**TEAM, "priority_package_access": True}, **short)
    a, b = _cohort("unmet_need_person_days", off, on)
    assert a > 0 and b < a


# --- what each discipline can do ------------------------------------------------------------------

ONE_DISCIPLINE = {**NEUTRAL, "ramp_up_days": 0.0, "crisis_reduction": 0.3}


@pytest.mark.parametrize(
    ("discipline", "reaches"),
    [
        (0, set(Need)),  # a nurse's anticipatory care reaches every need
        (1, set()),  # a social worker acts through assessment, packages and unmet need
        (2, {Need.DEMENTIA, Need.MENTAL_HEALTH}),
        (3, {Need.PHYSICAL_DISABILITY}),
    ],
)
def test_each_discipline_lowers_the_crisis_risk_of_the_needs_it_can_reach(discipline, reaches):
    per_100k = [0.0] * 4
    per_100k[discipline] = 20.0
    m = _launched(
        {
            **ONE_DISCIPLINE,
            "coordinators_per_100k": per_100k,
            "mental_health_crisis_reduction": 0.2,
            "falls_crisis_reduction": 0.25,
            "mismatch_effect_share": 0.5,
        }
    )
    enrolled = [i for i, d in enumerate(m.mdt) if d >= 0]
    needs = {Need(m.pop.need[i]) for i in enrolled}
    assert len(needs) >= 3  # the caseload holds several needs
    for pid in enrolled:
        assert (crisis_multiplier(m, pid) < 1.0) == (Need(m.pop.need[pid]) in reaches)
        if discipline == 0:  # a nurse's, less for a need another discipline fits
            fits = int(m.p.mdt.fitting_discipline[m.pop.need[pid]]) == 0
            assert crisis_multiplier(m, pid) == pytest.approx(1.0 - 0.3 * (1.0 if fits else 0.5))


def test_an_occupational_therapist_removes_the_wait_for_equipment():
    ot = {**NEUTRAL, "coordinators_per_100k": [0.0, 0.0, 0.0, 50.0], "exit_stable_per_review": 0.0}  # all stay on
    every = {"equipment_share": 1.0}  # everyone going home with support waits for equipment, so the waits are many
    keep = small(population=20_000, mdt={**ot, "ot_equipment_wait_share": 1.0}, discharge=every)
    none = small(population=20_000, mdt={**ot, "ot_equipment_wait_share": 0.0}, discharge=every)
    a, b = _cohort("delayed_days_equipment", keep, none)
    assert a > 0 and b == 0
