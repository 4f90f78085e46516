"""Population projections (sim/core/projection.py, sim/pathways/demography.py): a stationary baseline, a
projection followed, mortality improvement, healthy ageing, the flows reported, and errors.

Tolerances come from sampling error: a band's count at a time is about Poisson (people join and leave
one by one, independently), so it misses its expected value by more than ``z * sqrt(expected)`` with
chance about ``2 * (1 - Phi(z))``; with ``k`` such comparisons in a test, ``z`` is chosen so that any
of them fails by chance alone with chance at most ``FAMILY`` (Bonferroni).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import check_places
from scipy import integrate, stats
from smallplace import small

from sim.calibration import frailty_fit, projection_check
from sim.calibration.frailty_fit import frailty_counts
from sim.cli.main import main
from sim.core.population import BAND_EDGES, DAYS_PER_YEAR, cohort_sizes, frailty_by_band
from sim.core.projection import (
    ENGLAND_65PLUS_SHARE_2018,
    ENGLAND_65PLUS_SHARE_2028,
    ENGLAND_2028,
    ENGLAND_GROWTH_2018_2028,
    ONS_PRINCIPAL_RATES,
    UK_85PLUS_2018,
    UK_85PLUS_2043,
    growth,
    life_years,
    make_plan,
    onset_factor,
)
from sim.parameters.params import AGE_BANDS, Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import build, single_run
from sim.vocabulary import Ev, Place

YEARS = 10
FAMILY = 0.01  # the chance that any comparison of a test fails by chance alone
# A small place's services are a few units each (one intermediate care bed at 20,000 people), and a queue
# that grows for years gridlocks its hospital, which changes who dies where and when (tests/test_waiting_deaths.py
# tests the deaths of people waiting).  Tests of the plan itself give the hospital room so that demography
# alone is tested (the baseline's own test runs at 50,000 people).
ROOM = {"acute": {"beds_per_100k": 400.0}, "social_care": {"intermediate_care_beds_per_100k": 100.0}}
PEOPLE_COLUMNS = ("people_under65_complex", "people_65_74", "people_75_84", "people_85plus")


def z_for(comparisons: int) -> float:
    return float(stats.norm.ppf(1 - FAMILY / (2 * comparisons)))


def band_counts(res, times) -> np.ndarray:
    """People of the cohort in the place at each time, by band (rows: times), from the people table."""
    return projection_check.band_counts(res.data, times)


def year_ends(res) -> list[float]:
    return [res.data.window_start + y * DAYS_PER_YEAR for y in range(1, YEARS + 1)]


def ten_years(population: int, **groups) -> Params:
    return small(population=population, horizon=YEARS * DAYS_PER_YEAR, warmup=30.0, **groups)


def drifted(res, p: Params) -> np.ndarray:
    """How far each band's count at each year's end is from time 0's, in units of the tolerance."""
    start = cohort_sizes(p).astype(float)
    counts = band_counts(res, year_ends(res))
    return np.abs(counts - start) / (z_for(counts.size) * np.sqrt(start))


# --- the stationary baseline ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baseline_ten_years():
    p = ten_years(50_000)
    return p, single_run(p, seed=1)


def test_baseline_band_counts_stay_at_time_0_s_for_ten_years(baseline_ten_years):
    p, res = baseline_ten_years
    assert (drifted(res, p) <= 1).all(), drifted(res, p).round(2)


def frailty_drift(res, p: Params) -> np.ndarray:
    """How far each band's frailty shares at each year's end are from time 0's, in units of the tolerance.

    At one time, people's levels are independent draws (each from their own streams) from the band's mix,
    so a share misses it by about a binomial standard error; one comparison per year, band and level.
    """
    counts = frailty_counts(res.data, year_ends(res))
    people = counts.sum(axis=2, keepdims=True)
    share = frailty_by_band(p)[None]
    return np.abs(counts / people - share) / (z_for(counts.size) * np.sqrt(share * (1 - share) / people))


def test_baseline_frailty_mix_stays_at_time_0_s_for_ten_years(baseline_ten_years):
    p, res = baseline_ten_years
    assert (frailty_drift(res, p) <= 1).all(), frailty_drift(res, p).max(axis=0).round(2)


def test_one_step_down_per_band_as_before_0_8_drifts_beyond_that_tolerance():
    """The test above can fail: with 0.7.0's steps down (one rate per band) the mix drifts, 85+ towards severe."""
    before = {f"frailty_recovery_{band}": [r] * 3 for band, r in zip(AGE_BANDS, (0.30, 0.36, 0.22, 0.20))}
    p = ten_years(20_000, people=before)
    assert (frailty_drift(single_run(p, seed=1), p) > 1).any()


def test_the_plan_keeps_each_band_s_frailty_mix_and_the_fit_solves_for_any_mix():
    p = Params()
    target = frailty_by_band(p)
    assert np.abs(frailty_fit.mix_after(p, 40.0) - target).max() < 1e-3  # the place's rates, rounded to four places
    assert frailty_fit.drift(p, 20.0) < 0.02  # on the way, a point or so while ages within a band settle
    other = {"frailty_75_84": [0.38, 0.41, 0.16, 0.05], "frailty_85plus": [0.20, 0.44, 0.25, 0.11]}  # a frailer place
    q = apply_overrides(p, {"people": other})
    assert np.abs(frailty_fit.mix_after(q, 40.0) - frailty_by_band(q)).max() > 0.02  # the place's rates do not hold it
    rates, miss = frailty_fit.fit(q)
    assert miss < 1e-8
    held = frailty_fit.mix_after(frailty_fit.with_recovery(q, rates), 40.0)
    np.testing.assert_allclose(held, frailty_by_band(q), atol=1e-8)


def test_the_entrants_of_version_0_5_drift_beyond_that_tolerance():
    """The test above can fail: with entrants alone the older bands drift up by more than sampling error."""
    p = ten_years(20_000, place={"hold_age_structure": False})
    assert (drifted(single_run(p, seed=1), p) > 1).any()


def test_the_plan_holds_its_own_bands_and_flows_are_feasible():
    for projection in ({}, {"name": "ons_principal"}):
        p = apply_overrides(Params(), {"place": {"registered_population": 50_000}, "projection": projection})
        plan = make_plan(p, 365.0, 365.0 + YEARS * DAYS_PER_YEAR)
        np.testing.assert_allclose(plan.counts, plan.targets, rtol=1e-9)
        assert (plan.joiners >= 0).all() and ((plan.leave_share >= 0) & (plan.leave_share <= 1)).all()
        assert plan.joiners[:, 1].sum() > 0  # people turning 65 keep coming


# --- the ONS principal projection ------------------------------------------------------------------------
def test_the_ons_table_reproduces_the_figures_it_is_derived_from():
    r_young, r65, r75, r85 = ONS_PRINCIPAL_RATES
    assert (1 + r85) ** 25 == pytest.approx(UK_85PLUS_2043 / UK_85PLUS_2018)
    shares = np.array([Params().place.share_65_74, Params().place.share_75_84, Params().place.share_85plus])
    grown = shares @ (1 + np.array([r65, r75, r85])) ** 10 / shares.sum()
    england_2018 = ENGLAND_2028 - ENGLAND_GROWTH_2018_2028
    assert grown == pytest.approx(ENGLAND_65PLUS_SHARE_2028 * ENGLAND_2028 / (ENGLAND_65PLUS_SHARE_2018 * england_2018))
    assert 0 < r_young < r65 < r75 < r85  # the older the band, the faster it grows


def test_a_projection_is_followed_for_ten_years():
    p = ten_years(20_000, projection={"name": "ons_principal"}, **ROOM)
    res = single_run(p, seed=1)
    start = cohort_sizes(p).astype(float)
    years = np.arange(1, YEARS + 1)
    expected = np.array([start * growth(p.projection, float(y)) for y in years])
    counts = band_counts(res, year_ends(res))
    z = z_for(counts.size)
    misses = (counts - expected) / np.sqrt(expected)  # in standard errors
    assert (np.abs(misses) <= z).all(), misses.round(2)
    # the 85+ count ends near the projection's, and far from today's (the test could fail)
    assert abs(counts[-1, 3] - start[3]) > z * math.sqrt(start[3])


# --- mortality improvement and healthy ageing, at the level of hazards --------------------------------------
# A place where people only age, change frailty and die at home: no crises, referrals, care or deprivation,
# frailty only worsens.  Then each death and each onset of frailty can be set against its hazard.
STILL = {
    "crisis": {"fit_per_year": [0.0, 0.0, 0.0, 0.0]},
    "elective": {"referral_per_year": [0.0, 0.0, 0.0, 0.0]},
    "social_care": {
        "community_home_care_by_frailty": [0.0] * 4,
        "community_care_home_by_frailty": [0.0] * 4,
        "initial_care_home_per_100k": 0.0,
        "initial_home_care_per_100k": 0.0,
    },
    "people": {f"frailty_recovery_{band}": [0.0] * 3 for band in AGE_BANDS},
    "deprivation": {"enabled": False},
}
IMPROVEMENT, SHARE, STILL_YEARS = 0.1, 1.0, 6


@pytest.fixture(scope="module")
def still():
    """A held place (``own`` factors of 1) whose death rates fall 10% a year, all the years gained spent fit."""
    projection = {
        "name": "own",
        "factors_85plus": [1.0],
        "mortality_improvement_per_year": IMPROVEMENT,
        "healthy_ageing": True,
        "healthy_ageing_share": SHARE,
    }
    p = small(population=20_000, horizon=STILL_YEARS * DAYS_PER_YEAR, warmup=0.0, projection=projection, **STILL)
    return p, single_run(p, seed=2)


def segments(res) -> pd.DataFrame:
    """Each person's spans of one frailty level: pid, start, end, frailty (frailty only rises here)."""
    ppl, ev = res.data.people, res.data.events
    steps = ev[(ev["event"] == Ev.FRAILTY_STEP) & (ev["pid"] >= 0)].sort_values(["pid", "time"])
    n = len(ppl["age0"])
    ups = np.bincount(steps["pid"], minlength=n)
    level0 = ppl["frailty"] - ups
    end = np.where(np.isnan(ppl["died"]), res.data.window_end, ppl["died"])
    rows = {"pid": [], "start": [], "end": [], "frailty": []}
    times = steps.groupby("pid")["time"].apply(list).to_dict()
    for pid in range(n):
        edges = [ppl["entered"][pid], *times.get(pid, []), end[pid]]
        for k in range(len(edges) - 1):
            rows["pid"].append(pid)
            rows["start"].append(edges[k])
            rows["end"].append(edges[k + 1])
            rows["frailty"].append(level0[pid] + k)
    return pd.DataFrame(rows)


def exposure(res, seg: pd.DataFrame, lo: float, hi: float) -> np.ndarray:
    """Person-years in ``[lo, hi)`` by band (rows) and frailty level (columns)."""
    age0 = res.data.people["age0"][seg["pid"].to_numpy()]
    limits = (-np.inf, *BAND_EDGES, np.inf)
    out = np.zeros((4, 4))
    for b in range(4):
        a = np.maximum.reduce([seg["start"].to_numpy(), np.full(len(seg), lo), (limits[b] - age0) * DAYS_PER_YEAR])
        z = np.minimum.reduce([seg["end"].to_numpy(), np.full(len(seg), hi), (limits[b + 1] - age0) * DAYS_PER_YEAR])
        years = np.clip(z - a, 0, None) / DAYS_PER_YEAR
        out[b] = np.bincount(seg["frailty"].to_numpy(), weights=years, minlength=4)
    return out


def test_mortality_improvement_lowers_death_rates_by_the_stated_factor(still):
    p, res = still
    seg = segments(res)
    mo = p.mortality
    rate = np.outer(mo.at_home_fit_per_year, mo.frailty_hr)  # deaths per person-year by band and frailty
    ev = res.data.events
    deaths = ev[(ev["event"] == Ev.DEATH) & (ev["pid"] >= 0)]["time"].to_numpy()
    z = z_for(STILL_YEARS)
    for y in range(STILL_YEARS):
        lo, hi = y * DAYS_PER_YEAR, (y + 1) * DAYS_PER_YEAR
        today = float((exposure(res, seg, lo, hi) * rate).sum())
        expected = today * (1 - IMPROVEMENT) ** y
        observed = float(((deaths >= lo) & (deaths < hi)).sum())
        assert abs(observed - expected) <= z * math.sqrt(expected), (y, observed, expected)
    assert today - observed > z * math.sqrt(today)  # by the last year, clearly below today's rates


def test_healthy_ageing_slows_frailty_s_onset_by_its_factor(still):
    p, res = still
    seg = segments(res)
    ev = res.data.events
    steps = ev[(ev["event"] == Ev.FRAILTY_STEP) & (ev["pid"] >= 0)]
    onsets = seg[(seg["frailty"] == 1) & seg["start"].isin(steps["time"])]["start"].to_numpy()
    up = np.asarray(p.people.frailty_step_per_year)
    z = z_for(STILL_YEARS)
    for y in range(STILL_YEARS):
        lo, hi = y * DAYS_PER_YEAR, (y + 1) * DAYS_PER_YEAR
        today = float(exposure(res, seg, lo, hi)[:, 0] @ up)
        expected = today * onset_factor(p, (1 - IMPROVEMENT) ** y)
        observed = float(((onsets >= lo) & (onsets < hi)).sum())
        assert abs(observed - expected) <= z * math.sqrt(expected), (y, observed, expected)
    assert today - observed > z * math.sqrt(today)  # onset clearly slower than today's by the last year


def _chain_years(p: Params, mortality: float, onset: float) -> tuple[float, float]:
    """Life-years and fit years from 65 in the chain of ``life_years``, by integrating its forward equations."""
    pe = p.people
    deaths = [p.place.expected_deaths_65_74, p.place.expected_deaths_75_84, p.place.expected_deaths_85plus]

    def q(band: int) -> np.ndarray:
        m = np.diag(-np.asarray(deaths[band - 1]) * mortality)
        for f in range(4):
            if f < 3:
                rate = pe.frailty_step_per_year[band] * (onset if f == 0 else 1.0)
                m[f, f + 1] += rate
                m[f, f] -= rate
            if f > 0:
                m[f, f - 1] += pe.recovery(band)[f - 1]
                m[f, f] -= pe.recovery(band)[f - 1]
        return m

    def rhs(t: float, x: np.ndarray) -> np.ndarray:
        band = 1 if t < 10 else 2 if t < 20 else 3
        dist = x[:4]
        return np.concatenate([dist @ q(band), dist])  # the state, and the time spent in each level

    x0 = np.concatenate([pe.frailty_65_74, np.zeros(4)])
    sol = integrate.solve_ivp(rhs, (0, 80), x0, rtol=1e-10, atol=1e-12, max_step=0.25)
    spent = sol.y[4:, -1]
    return float(spent.sum()), float(spent[0])


def test_healthy_ageing_spends_the_stated_share_of_the_years_gained_fit():
    p = apply_overrides(Params(), {"projection": {"name": "ons_principal", "healthy_ageing": True}})
    mortality = (1 - p.projection.mortality_improvement_per_year) ** 10
    k = onset_factor(p, mortality)
    le0, fit0 = _chain_years(p, 1.0, 1.0)
    le, fit = _chain_years(p, mortality, k)
    assert (fit - fit0) / (le - le0) == pytest.approx(p.projection.healthy_ageing_share, abs=1e-3)
    assert life_years(p) == pytest.approx((le0, fit0), rel=1e-4)  # the two routes to the chain agree
    natural = _chain_years(p, mortality, 1.0)
    assert (natural[1] - fit0) / (natural[0] - le0) < p.projection.healthy_ageing_share  # so k must act
    assert k < 1


# --- the flows reported, and conservation -------------------------------------------------------------------
def test_band_counts_and_flows_add_up_and_everyone_is_somewhere():
    p = small(population=20_000, horizon=2 * DAYS_PER_YEAR, warmup=60.0, projection={"name": "ons_principal"})
    m = build(p, seed=3, replication=0)
    for t in np.linspace(30.0, m.window_end - 1, 6):
        m.env.run(until=float(t))
        check_places(m)
    res = single_run(p, seed=3)
    k = res.kpis[res.kpis["cohort"] == "all"].set_index("metric")["value"]
    at_end = band_counts(res, [res.data.window_end - 1e-9])[0]
    np.testing.assert_array_equal(k[list(PEOPLE_COLUMNS)].to_numpy(), at_end)
    at_start = band_counts(res, [res.data.window_start - 1e-9])[0].sum()
    assert at_end.sum() == at_start + k["entrants"] + k["moved_in"] - k["moved_away"] - k["deaths"]
    assert k["moved_in"] > 0 and k["entrants"] > 0
    ppl = res.data.people
    moved = ppl["moved_away"]
    assert (ppl["place"][moved] == Place.DEAD).all() and not np.isnan(ppl["died"][moved]).any()
    deaths = res.data.events[res.data.events["event"] == Ev.DEATH]["pid"]
    assert not set(np.flatnonzero(moved)) & set(deaths)  # people who moved away did not die


# --- switched off, nothing changes ----------------------------------------------------------------------------
def _kpis(p: Params) -> pd.DataFrame:
    return single_run(p, seed=4).kpis


def test_a_projection_that_holds_every_band_changes_nothing():
    base = small(population=20_000, horizon=365.0, warmup=90.0)
    held = {"name": "own", "factors_85plus": [1.0, 1.0], "mortality_improvement_per_year": 0.0}
    held_and_healthy = {**held, "healthy_ageing": True}  # healthy ageing acts on years gained: none here
    reference = _kpis(base)
    for projection in (held, held_and_healthy):
        pd.testing.assert_frame_equal(_kpis(apply_overrides(base, {"projection": projection})), reference)


# --- errors ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, message",
    [
        (
            '[intervention.demography]\nprojecton = "ons_principal"\n',
            "did you mean 'intervention.demography.projection'?",
        ),
        ('[intervention.demography]\nprojection = "ons_principle"\n', "did you mean 'ons_principal'?"),
        ('[projection]\nnmae = "ons_principal"\n', "did you mean 'projection.name'?"),
        ("[intervention.demography]\nprojection = { 85pluss = [1.1] }\n", "did you mean '85plus'?"),
    ],
)
def test_a_misspelt_projection_gives_one_line_naming_the_closest_key(tmp_path, capsys, table, message):
    path = tmp_path / "s.toml"
    path.write_text(f'name = "s"\nextends = "baseline"\n\n{table}', encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("caresim: error:") and message in err[0], err


def test_the_projection_check_follows_the_scenario_within_sampling_error(capsys):
    from sim.calibration.projection_check import BANDS, bound, main

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "demographic_projection.toml"
    assert main([str(scenario), "--reps", "1", "--population", "20000"]) == 0
    out = capsys.readouterr().out
    assert f"Bonferroni bound {bound(YEARS * len(BANDS)):.2f} over {YEARS * len(BANDS)} counts" in out
    assert "within sampling error" in out  # the whole model, pinned services and all, keeps to the projection
