"""Runs a worker keeps for reuse (sim.analysis.kept_runs): the same run for the same identity.

A calibration's parameter sets change the MDT's parameters in the reference scenario too, where no team
has co-ordinators; its runs are kept across sets on the claim that nothing reads those parameters then.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
from smallplace import small

from sim.analysis.kept_runs import KeptRuns, run_identity
from sim.replication.single import single_run

# every MDT parameter a calibration or sensitivity study varies, far from its default
FAR = {
    "crisis_reduction": 0.5,
    "unmet_need_referral_hr": 2.0,
    "ae_referral_share": 1.0,
    "unmet_need_found_share": 0.4,
    "follow_up_substitution": 0.8,
    "clinician_referral_share": 0.5,
    "inreach_assessment_share": 0.3,
    "trusted_assessment_share": 0.0,
    "knows_contact": 1.0,
    "enrol_broad_share": 1.0,
    "ramp_up_days": 0.0,
}


def test_without_coordinators_the_mdts_parameters_change_nothing():
    plain = small(population=10_000, horizon=200.0, warmup=60.0)
    moved = small(population=10_000, horizon=200.0, warmup=60.0, mdt=FAR)
    a, b = single_run(plain, seed=6, replication=0), single_run(moved, seed=6, replication=0)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert run_identity(plain, None) == run_identity(moved, None)


def test_with_coordinators_the_mdts_parameters_are_part_of_the_identity():
    team = {"coordinators_per_100k": [10.0, 0.0, 0.0, 0.0]}
    plain = small(population=10_000, mdt=team)
    moved = small(population=10_000, mdt={**team, "crisis_reduction": 0.5})
    assert run_identity(plain, None) != run_identity(moved, None)
    assert run_identity(small(population=10_000), plain) != run_identity(small(population=10_000), None)


def test_a_kept_run_is_handed_out_again_and_an_old_one_let_go():
    kept = KeptRuns(1)
    p = small(population=3_000, horizon=60.0, warmup=30.0)
    first = kept.run(p, None, seed=2, replication=0)
    same = kept.run(dataclasses.replace(p, mdt=small(mdt=FAR).mdt), None, seed=2, replication=0)
    assert same is first and len(kept) == 1
    assert kept.run(p, None, seed=2, replication=1) is not first
    assert kept.run(p, None, seed=2, replication=0) is not first  # let go when the other came
