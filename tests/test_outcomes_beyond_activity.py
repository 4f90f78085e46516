"""Outcomes besides activity: days at home, days in a new care home, workforce and continuity of co-ordination."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from smallplace import small

from sim.core.population import DAYS_PER_YEAR
from sim.core.records import EVENT_COLUMNS, SPELL_COLUMNS, STAY_COLUMNS
from sim.outcomes.continuity import continuity_share, enrolments
from sim.outcomes.days_at_home import COLUMNS, days_at_home_kpis, home_days
from sim.outcomes.metrics import ae_visits, mdt_cohorts, standard_cohorts
from sim.outcomes.rundata import Cohort, RunData, lower_bound
from sim.outcomes.workforce import community_nursing_visits, home_care_packages_in_use, workforce
from sim.parameters.params import Params, capacity_basis, per_place
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
from sim.vocabulary import Ev, Spell

MDT_ON = {"coordinators_per_100k": (8.0, 2.0, 2.0, 1.0)}


@pytest.fixture(scope="module")
def run():
    """A small run with MDTs, so that every cohort and every new metric is measured."""
    return single_run(small(10_000, horizon=240.0, warmup=60.0, mdt=MDT_ON), seed=3)


def cohorts(data: RunData) -> tuple[Cohort, ...]:
    return standard_cohorts() + mdt_cohorts(data)


def kpi(run, cohort: str, metric: str) -> float:
    k = run.kpis
    return float(k[(k["cohort"] == cohort) & (k["metric"] == metric)]["value"].iloc[0])


# --- a synthetic place: a window of 100 days, people alive throughout -------------------------------

W, E = 0.0, 100.0


def synthetic(
    n: int,
    stays: list[tuple] = (),
    spells: list[tuple] = (),
    events: list[tuple] = (),
    died: dict[int, float] | None = None,
) -> RunData:
    """A RunData of ``n`` people present from before the window; stays ``(pid, arrived, admitted, left)``,
    spells ``(pid, kind, start, end)``, events ``(time, pid, Ev)``."""
    dead = np.full(n, np.nan)
    for pid, t in (died or {}).items():
        dead[pid] = t
    people = {"age0": np.full(n, 80.0), "entered": np.full(n, -500.0), "died": dead}
    stay_rows = [(pid, True, a, b, b, left, False, 0.0) for pid, a, b, left in stays]
    spell_rows = [(pid, kind, start, end, 1) for pid, kind, start, end in spells]
    event_rows = [(t, pid, int(ev), 1, -1) for t, pid, ev in events]
    return RunData(
        params=Params(),
        events=pd.DataFrame(event_rows, columns=list(EVENT_COLUMNS)).astype({"time": float, "pid": int, "event": int}),
        stays=pd.DataFrame(stay_rows, columns=list(STAY_COLUMNS)),
        delays=pd.DataFrame([], columns=["pid", "start", "end", "reason", "category", "responsible"]),
        spells=pd.DataFrame(spell_rows, columns=list(SPELL_COLUMNS)),
        people=people,
        window_start=W,
        window_end=E,
        capacity={},
        bed_days_all=0.0,
        core_beds=0,
    )


def days_table(data: RunData, c: Cohort | None = None) -> pd.DataFrame:
    return home_days(data, lower_bound(data, c or Cohort("all")), ae_visits(data)).set_index("pid")


# --- days at home ---------------------------------------------------------------------------------


def test_days_at_home_stay_within_the_person_days_and_the_parts_add_up(run):
    data = run.data
    for c in cohorts(data):
        person_days = kpi(run, c.name, "person_years") * DAYS_PER_YEAR
        home, new_home = kpi(run, c.name, "days_at_home"), kpi(run, c.name, "days_in_new_care_home")
        assert 0 < home <= person_days and new_home >= 0, c.name
        t = home_days(data, lower_bound(data, c), ae_visits(data))
        assert list(t.columns) == list(COLUMNS)
        # everything counted: home + hospital + new care home = days alive = person-years x 365.25
        assert t["alive_days"].sum() == pytest.approx(person_days, rel=1e-12)
        parts = t["home_days"] + t["hospital_days"] + t["new_care_home_days"]
        np.testing.assert_allclose(parts, t["alive_days"], atol=1e-9)
        assert (t[["hospital_days", "new_care_home_days"]] >= 0).all().all()
        assert (t["home_days"] >= -1e-9).all()
        assert home + new_home + t["hospital_days"].sum() == pytest.approx(person_days, rel=1e-12)
        # hospital settings hold the acute bed days and more (A&E, intermediate care)
        assert t["hospital_days"].sum() >= kpi(run, c.name, "bed_days") - 1e-6, c.name


def test_n_days_in_hospital_are_n_fewer_days_at_home(run):
    data = run.data
    before = days_table(data)
    alive = np.isnan(data.people["died"][before.index.to_numpy()])
    whole = alive & (data.people["entered"][before.index.to_numpy()] <= data.window_start)
    quiet = before[whole & (before["hospital_days"] == 0) & (before["new_care_home_days"] == 0)]
    pid = int(quiet.index[0])
    W0 = data.window_start
    n_days = 6.5
    extra = pd.DataFrame(
        [(pid, True, W0 + 20, W0 + 20.5, W0 + 24, W0 + 20 + n_days, False, 0.0)], columns=list(STAY_COLUMNS)
    )
    after = days_table(dataclasses.replace(data, stays=pd.concat([data.stays, extra], ignore_index=True)))
    assert after.loc[pid, "home_days"] == pytest.approx(before.loc[pid, "home_days"] - n_days)
    assert after.loc[pid, "hospital_days"] == pytest.approx(n_days)
    others = before.index != pid
    pd.testing.assert_frame_equal(after[others], before[others])


def test_overlapping_hospital_records_count_once_and_death_ends_the_count():
    data = synthetic(
        3,
        stays=[(0, 10.0, 10.5, 17.0), (1, 30.0, 30.0, 40.0)],
        spells=[(1, Spell.INTERMEDIATE_CARE, 40.0, 61.0), (2, Spell.INTERMEDIATE_CARE, 90.0, np.nan)],
        events=[(10.0, 0, Ev.AE_ATTENDANCE), (10.5, 0, Ev.AE_DEPARTURE), (70.0, 2, Ev.AE_ATTENDANCE)],
        died={2: 95.0},
    )
    t = days_table(data)
    assert t.loc[0, "hospital_days"] == pytest.approx(7.0)  # A&E inside the stay's arrival: once
    assert t.loc[0, "home_days"] == pytest.approx(93.0)
    assert t.loc[1, "hospital_days"] == pytest.approx(31.0)  # an acute stay, then intermediate care
    # person 2: in A&E from day 70 (no departure recorded: still there) until death on day 95
    assert t.loc[2, "alive_days"] == pytest.approx(95.0)
    assert t.loc[2, "hospital_days"] == pytest.approx(25.0)
    assert t.loc[2, "home_days"] == pytest.approx(70.0)


def test_days_in_a_new_care_home_count_only_placements_begun_after_the_cohort_s_start():
    data = synthetic(
        4,
        stays=[(0, 20.0, 20.0, 25.0), (1, 60.0, 60.0, 64.0)],
        spells=[
            (0, Spell.CARE_HOME, -50.0, np.nan),  # lived in a care home before the window: home
            (1, Spell.CARE_HOME, 40.0, np.nan),  # moved in during the window: new, the hospital stay apart
            (2, Spell.CARE_HOME, 40.0, 70.0),  # moved in, then died there
            (3, Spell.HOME_CARE, 10.0, np.nan),  # home care is home
        ],
        died={2: 70.0},
    )
    t = days_table(data)
    assert t["new_care_home_days"].tolist() == pytest.approx([0.0, 56.0, 30.0, 0.0])
    assert t["home_days"].tolist() == pytest.approx([95.0, 40.0, 40.0, 100.0])
    lo = lower_bound(data, Cohort("all"))
    k = days_at_home_kpis(data, lo, ae_visits(data))
    assert k == {"days_at_home": pytest.approx(275.0), "days_in_new_care_home": pytest.approx(86.0)}
    # counted from day 50 (an enrolment, say), person 1 already lived in the care home: it is home
    late = days_table(data, Cohort("late", start=np.full(4, 50.0)))
    assert late.loc[1, "new_care_home_days"] == 0.0 and late.loc[1, "home_days"] == pytest.approx(46.0)


def test_a_run_s_new_care_home_days_come_from_placements_begun_in_the_window(run):
    data = run.data
    lo = lower_bound(data, Cohort("all"))
    t = home_days(data, lo, ae_visits(data))
    sp = data.spells[data.spells["kind"] == Spell.CARE_HOME]
    began = sp[(sp["start"] > lo[sp["pid"].to_numpy()]) & (sp["start"] < data.window_end)]
    with_days = set(t.loc[t["new_care_home_days"] > 0, "pid"])
    assert with_days and with_days <= set(began["pid"])


# --- workforce ------------------------------------------------------------------------------------


def test_workforce_is_the_capacity_times_the_stated_factors(run):
    data = run.data
    p = data.params
    n = capacity_basis(p)
    w = workforce(data)
    assert w["wte_coordinators"] == sum(per_place(c, n) for c in p.mdt.coordinators_per_100k) > 0
    social_work = per_place(p.social_care.social_workers_per_100k, n)
    assert w["wte_social_workers"] == social_work * p.social_care.social_worker_wte_per_assessment > 0
    years = (data.window_end - data.window_start) / DAYS_PER_YEAR
    visits = community_nursing_visits(data)
    assert visits > 0
    rapid = per_place(p.community.rapid_response_per_100k, n) * p.community.rapid_response_wte_per_visit
    a_year = p.community.nurse_hours_per_year
    nursing = visits / years * p.community.nursing_visit_hours / a_year
    assert w["wte_community_nurses"] == pytest.approx(rapid + nursing)
    packages = home_care_packages_in_use(data)
    assert 0 < packages <= data.capacity["home_care"]
    assert w["home_care_hours_per_week"] == pytest.approx(packages * p.costs.home_care_hours_per_week)
    # the factors are parameters: changing them scales each figure and nothing else
    q = apply_overrides(
        p,
        {
            "social_care": {"social_worker_wte_per_assessment": 1.5},
            "community": {"rapid_response_wte_per_visit": 4.0, "nursing_visit_hours": 0.5},
            "costs": {"home_care_hours_per_week": 2 * p.costs.home_care_hours_per_week},
        },
    )
    v = workforce(dataclasses.replace(data, params=q))
    assert v["wte_coordinators"] == w["wte_coordinators"]
    assert v["wte_social_workers"] == pytest.approx(1.5 * social_work)
    rapid_q = per_place(p.community.rapid_response_per_100k, n) * 4.0
    assert v["wte_community_nurses"] == pytest.approx(rapid_q + visits / years * 0.5 / a_year)
    assert v["home_care_hours_per_week"] == pytest.approx(2 * w["home_care_hours_per_week"])


def test_workforce_metrics_are_place_wide(run):
    k = run.kpis
    names = ["wte_coordinators", "wte_social_workers", "wte_community_nurses", "home_care_hours_per_week"]
    rows = k[k["metric"].isin(names)]
    assert sorted(rows["metric"]) == sorted(names) and set(rows["cohort"]) == {"all"}
    assert rows.set_index("metric")["value"].to_dict() == pytest.approx(workforce(run.data))


# --- continuity -----------------------------------------------------------------------------------


def test_continuity_is_1_when_nobody_changes_co_ordinator_and_drops_when_someone_does():
    one_each = [(pid, Spell.MDT, 5.0 + pid, np.nan) for pid in range(3)]
    data = synthetic(4, spells=one_each)
    lo = lower_bound(data, Cohort("all"))
    assert continuity_share(data, lo) == 1.0
    again = synthetic(4, spells=[*one_each[:2], (2, Spell.MDT, 7.0, 30.0), (2, Spell.MDT, 60.0, np.nan)])
    assert continuity_share(again, lo) == pytest.approx(2 / 3)
    assert enrolments(again, lo).set_index("pid")["spells"].to_dict() == {0: 1, 1: 1, 2: 2}
    # an enrolment over before the person counts is not in it; nobody enrolled: no share
    late = Cohort("late", start=np.full(4, 40.0))
    assert continuity_share(again, lower_bound(again, late)) == 1.0
    assert np.isnan(continuity_share(synthetic(4), lo))


def test_a_run_s_continuity_matches_its_enrolments(run):
    data = run.data
    for name in ("all", "mdt"):
        c = next(c for c in cohorts(data) if c.name == name)
        e = enrolments(data, lower_bound(data, c))
        share = kpi(run, name, "mdt_continuity_share")
        assert 0 < share <= 1
        assert share == pytest.approx((e["spells"] == 1).mean())
    # every enrolment is an MDT_ENROLMENT event: people enrolled more than once have more than one
    en = data.events[data.events["event"] == Ev.MDT_ENROLMENT].groupby("pid").size()
    e = enrolments(data, lower_bound(data, Cohort("all"))).set_index("pid")["spells"]
    assert (en.reindex(e.index) >= e).all()
