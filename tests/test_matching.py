"""Risk-set matching (sim.outcomes.matching): controls are never enrolled people, come from the
reference scenario's run alive and at home on the case's index date, and are balanced."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.compare import COMPARATOR
from sim.outcomes.evaluation import design_for, emulate
from sim.outcomes.matching import at_home, visible_at
from sim.outcomes.metrics import enrolment_starts
from sim.replication.single import single_run
from sim.scenarios.scenario import RunSettings, load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runs():
    settings = RunSettings(population=50_000)
    ref = load(ROOT / "scenarios" / "baseline.toml", settings)
    placebo = load(ROOT / "scenarios" / "placebo_mdt.toml", settings)
    sc = single_run(placebo.params, 1, 0, prelaunch=placebo.prelaunch)
    pool = single_run(ref.params, 1, COMPARATOR, prelaunch=ref.prelaunch)
    return sc.data, pool.data


@pytest.fixture(scope="module", params=["integrated_care_pilot", "case_management"])
def emulation(runs, request):
    sc, pool = runs
    return emulate(pool, sc, design_for(request.param))


def test_controls_are_never_enrolled_people(runs, emulation):
    sc, pool = runs
    enrolled = np.union1d(enrolment_starts(sc)[0], enrolment_starts(pool)[0])
    assert len(emulation.pairs) > 0
    assert not np.isin(emulation.pairs["control"].to_numpy(), enrolled).any()
    assert set(emulation.pairs["case"]) <= set(enrolment_starts(sc)[0])


def test_controls_were_alive_at_home_in_the_reference_run_on_the_index_date(runs, emulation):
    sc, pool = runs
    for t, g in emulation.pairs.groupby("index_time"):
        home = at_home(pool, float(t))
        assert home[g["control"].to_numpy()].all()
        died = pool.people["died"][g["control"].to_numpy()]
        assert (np.isnan(died) | (died > t)).all()
    # each case's index date is its first enrolment in the scenario's run
    pids, times = enrolment_starts(sc)
    first = dict(zip(pids, times))
    assert all(first[c] == t for c, t in zip(emulation.pairs["case"], emulation.pairs["index_time"]))


def test_at_home_excludes_people_in_hospital(runs):
    _, pool = runs
    st = pool.stays[(pool.stays["pid"] >= 0) & pool.stays["left"].notna()]
    row = st.iloc[len(st) // 2]
    t = (row["admitted"] + row["left"]) / 2
    assert not at_home(pool, t)[int(row["pid"])]


def test_matched_variables_are_balanced(emulation):
    b = emulation.balance
    design = emulation.design
    assert set(b["variable"]) == set(design.exact) | set(design.nearest)
    assert (b["smd"].abs() < 0.1).all(), b
    assert emulation.pairs["case"].nunique() > 100


def test_visible_risk_score_is_case_finding_s_score():
    """The score matching sees, rebuilt from the records, is the one case finding ranked by: with places
    filled highest score first (no broad enrolment, no clinicians' referrals), the first round's enrolled
    people are the top of the rebuilt ranking."""
    placebo = load(ROOT / "scenarios" / "placebo_case_management.toml", RunSettings(population=50_000))
    ranked_only = {"clinician_referral_share": 0.0, "enrol_broad_share": 0.0}
    params, prelaunch = (
        dataclasses.replace(q, mdt=dataclasses.replace(q.mdt, **ranked_only))
        for q in (placebo.params, placebo.prelaunch)
    )
    sc = single_run(params, 1, 0, prelaunch=prelaunch).data
    pids, times = enrolment_starts(sc)
    t = float(times.min())
    seen = visible_at(sc, t)
    first = pids[times == t]
    # case finding enrolled the highest scores among people at home: nobody left out at home scored more
    # than every one enrolled that round, bar ties
    home = seen["home"].to_numpy()
    others = np.setdiff1d(np.flatnonzero(home), pids)
    assert seen["risk_score"].to_numpy()[first].min() >= seen["risk_score"].to_numpy()[others].max() - 1e-9


def test_recent_admissions_are_the_last_half_year_s_share_of_the_year_s(runs):
    sc, _ = runs
    pids, times = enrolment_starts(sc)
    seen = visible_at(sc, float(np.median(times)))
    recent, year = seen["emergency_admissions_6m"].to_numpy(), seen["emergency_admissions_12m"].to_numpy()
    assert (recent <= year).all()
    assert 0 < recent.sum() < year.sum()  # some of the year's admissions fell in its first half
