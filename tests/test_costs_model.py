"""The cost model's two views (docs/costs.md): each sector rebuilt from a run's activity and capacity."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import registry
from sim.outcomes.costs import PAYERS, PROVIDERS, index_factor, metric_of, unit_costs
from sim.parameters.params import Params, per_place
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
from sim.vocabulary import Ev, Spell
from tests.smallplace import small

ON = {
    "community": {"care_navigators": True, "single_point_of_access": True},
    "mdt": {"coordinators_per_100k": [4.0, 2.0, 0.0, 0.0]},
}


@pytest.fixture(scope="module")
def run():
    return single_run(small(population=8_000, horizon=120.0, warmup=40.0, **ON), seed=4, replication=0)


def kpis(res, cohort="all"):
    k = res.kpis
    return k[k["cohort"] == cohort].set_index("metric")["value"]


def test_unit_costs_follow_the_published_index():
    """A 2016/17 price reaches 2018/19 by the index's ratio, not a flat uplift; 2018/19 prices stay put."""
    c = Params().costs
    uc = unit_costs(c)
    assert uc["acute_bed_day"] == pytest.approx(c.acute_bed_day * c.cost_index[8] / c.cost_index[6])
    assert uc["home_care_hour"] == c.home_care_hour
    assert index_factor(c, 2010) > index_factor(c, 2013) > 1


def test_each_view_sums_to_its_total_and_the_views_differ_only_at_the_acute_trust(run):
    for cohort in ("all", "65plus", "mdt"):
        k = kpis(run, cohort)
        providers = sum(k[metric_of("provider", o)] for o in PROVIDERS)
        payers = sum(k[metric_of("commissioner", o)] for o in PAYERS)
        assert providers == pytest.approx(k["cost_total_gbp"], rel=1e-12)
        assert payers == pytest.approx(k["cost_payment_total_gbp"], rel=1e-12)
        sectors = sum(k[m] for m in registry.COST_SECTORS)
        assert sectors == pytest.approx(k["cost_total_gbp"], rel=1e-12)
        parts = k["cost_capacity_gbp"] + k["cost_stranded_gbp"] + k["cost_activity_gbp"]
        assert parts == pytest.approx(k["cost_total_gbp"], rel=1e-12)
        # what the views differ by: the acute trust's cost less the ICB's payments for acute activity
        icb_acute = (
            k["cost_paid_icb_gbp"] - k["cost_provider_community_services_gbp"] - k["cost_provider_gp_practices_gbp"]
        )
        gap = k["cost_provider_acute_trust_gbp"] - icb_acute
        assert k["cost_provider_minus_payment_gbp"] == pytest.approx(gap, rel=1e-9, abs=1e-6)
        assert k["cost_paid_council_gbp"] + k["cost_paid_self_funders_gbp"] == pytest.approx(
            k["cost_provider_council_social_work_gbp"] + k["cost_provider_care_providers_gbp"], rel=1e-12
        )


def test_sectors_rebuilt_from_activity_and_capacity(run):
    """Under cohort all, each provider's cost rebuilt by hand from the run's capacity, records and counts."""
    data, k = run.data, kpis(run)
    p, uc = data.params, unit_costs(data.params.costs)
    c = p.costs
    years = (data.window_end - data.window_start) / DAYS_PER_YEAR
    cap = data.capacity
    hours = k["mdt_reviews"] * c.mdt_meeting_minutes / 60
    gp = k["gp_contacts"] * uc["gp_contact"] + hours * uc["gp_hour"]
    assert k["cost_provider_gp_practices_gbp"] == pytest.approx(gp)
    navigators = per_place(c.navigator_posts_per_100k, p.place.registered_population)
    spa = per_place(c.spa_posts_per_100k, p.place.registered_population)
    assert navigators > 0 and spa > 0 and cap["mdt_coordinators"] > 0
    sp = data.spells
    lo = np.maximum(data.people["entered"], data.window_start)
    from sim.outcomes.rundata import overlap

    days = overlap(sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy(), lo, data.window_end)
    kind = sp["kind"].to_numpy()
    community = (
        cap["intermediate_care"] * years * DAYS_PER_YEAR * uc["intermediate_care_bed_day"]
        + cap["mdt_coordinators"] * years * uc["coordinator_year"]
        + cap["rapid_response"] * years * uc["rapid_response_team_year"]
        + navigators * years * uc["navigator_year"]
        + spa * years * uc["coordinator_year"]
    )
    ev = data.events
    t, pid = ev["time"].to_numpy(), ev["pid"].to_numpy()
    # nursing visits are counted in bulk at the end of each spell at home: those in (start, end] are the window's
    inside = (pid >= 0) & (t <= data.window_end) & (t > lo[np.where(pid >= 0, pid, 0)])
    visits = ev["count"].to_numpy()[inside & (ev["event"].to_numpy() == Ev.COMMUNITY_NURSING)].sum()
    nursing = visits * uc["district_nurse_visit"]
    assert k["cost_provider_community_services_gbp"] == pytest.approx(community + nursing)
    council_sw = cap["social_workers"] * years * uc["social_worker_year"] + hours * uc["social_worker_hour"]
    assert k["cost_provider_council_social_work_gbp"] == pytest.approx(council_sw)
    funded = sp["funded"].to_numpy()
    care = (
        cap["reablement"] * years * uc["reablement_place_year"]
        + days[kind == Spell.HOME_CARE].sum() * c.home_care_hours_per_week / 7 * uc["home_care_hour"]
        + days[kind == Spell.CARE_HOME].sum() / 7 * uc["care_home_week"]
    )
    assert k["cost_provider_care_providers_gbp"] == pytest.approx(care)
    self_funded = days[(kind == Spell.CARE_HOME) & (funded == 0)].sum() / 7 * uc["care_home_week"]
    assert k["cost_paid_self_funders_gbp"] == pytest.approx(self_funded) and self_funded > 0
    # the acute trust: the beds held at the ward cost once, and no admission's bed days again
    beds = cap["acute_beds"] * years * DAYS_PER_YEAR * uc["acute_bed_day"]
    episodes = k["emergency_admissions"] * uc["emergency_admission"] + k["elective_admissions"] * uc["day_case"]
    assert beds < k["cost_provider_acute_trust_gbp"] < beds + episodes * 10
    assert k["cost_stranded_gbp"] == 0


def test_a_cohort_other_than_all_pays_only_for_what_it_uses(run):
    """Sub-cohorts get capacity by their share of use, no closed beds, no background: never more than all."""
    a, m = kpis(run), kpis(run, "mdt")
    for metric in (*registry.COST_PROVIDERS, *registry.COST_PAYERS):
        assert 0 <= m[metric] <= a[metric] + 1e-6, metric
    assert m["cost_provider_community_services_gbp"] > 0  # the co-ordinators they use


def test_costs_change_no_event():
    """A price changes money only: every count, day and event is the same."""
    p = small(population=6_000, horizon=60.0, warmup=20.0)
    dear = apply_overrides(p, {"costs": {"intermediate_care_bed_day": 400.0, "emergency_non_ward_share": 0.9}})
    a, b = single_run(p, seed=2, replication=0), single_run(dear, seed=2, replication=0)
    ka, kb = a.kpis.set_index(["cohort", "metric"])["value"], b.kpis.set_index(["cohort", "metric"])["value"]
    counts = [i for i in ka.index if not i[1].startswith("cost_")]
    assert ka[counts].equals(kb[counts])
    assert kb[("all", "cost_total_gbp")] > ka[("all", "cost_total_gbp")]


def test_the_published_cost_checks_compute():
    """The validation rows of the pilots' costs (calibration/validation.toml) compute a ratio for the MDT cohort."""
    from sim.calibration.validation import SCENARIO_FIGURES, load_rows, run_figures

    rows = tuple(r for r in load_rows("calibration/validation.toml").rows if r.scenario is not None)
    assert {r.figure for r in rows} == set(SCENARIO_FIGURES)
    figures = run_figures(rows, small(population=10_000, horizon=150.0, warmup=60.0), 1, 2)
    assert set(figures["figure"]) == set(SCENARIO_FIGURES)
    values = figures["value"].to_numpy()
    assert np.isfinite(values).all() and (values > 0).all() and (values < 2).all()
