"""Deprivation: each person's IMD fifth, its gradients, the cohorts imd1 to imd5 and the gap imd_gap.

The fifths follow the place's profile; the gradients are normalised over it; a flat gradient gives
exactly the numbers of a run without deprivation (the fifth comes from a stream of its own); at baseline
the most deprived fifth has more crises, admissions and deaths per person-year than the least; the
cohorts and the gap reach ``kpis.csv`` and comparisons.  Places of 20,000 to 60,000 registered people.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare
from smallplace import small

import sim.api as api
from sim.cli.main import main
from sim.core.deprivation import FIFTHS, frailty_shares, gradients, normalised, own_sigma
from sim.core.model import Model
from sim.outcomes import deprivation, registry
from sim.outcomes.metrics import kpi_table
from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides
from sim.replication.single import single_run

FLAT = {"frailty_or": [1.0] * 5, "crisis_hr": [1.0] * 5, "death_hr": [1.0] * 5}
PROFILE = [0.1, 0.15, 0.2, 0.25, 0.3]  # a place with fewer people in the most deprived fifths


def _people(p: Params, n: int) -> dict[str, np.ndarray]:
    """``n`` people drawn as entrants turning 65 (the initial cohort's draw is the same ``_add``)."""
    m = Model(p, seed=5, replication=0)
    for _ in range(n):
        m.pop.entrant(0.0, young=False)
    return m.pop.table()


# --- the fifths and the normalisation ---------------------------------------------------------------


@pytest.mark.parametrize("profile", [[0.2] * 5, PROFILE])
def test_the_fifths_follow_the_place_s_profile(profile):
    imd = _people(small(deprivation={"shares": profile}), 20_000)["imd"]
    counts = np.bincount(imd, minlength=FIFTHS + 1)
    assert counts[0] == 0 and counts.sum() == 20_000  # everyone has a fifth, 1 to 5
    # within sampling error: a chi-square test at the 0.1% level (the seed is fixed, so this cannot flake)
    assert chisquare(counts[1:], 20_000 * np.array(profile)).pvalue > 0.001


def test_with_deprivation_off_nobody_has_a_fifth_and_the_imd_cohorts_are_empty():
    p = small(population=20_000, horizon=120.0, warmup=30.0, deprivation={"enabled": False})
    res = single_run(p, seed=2)
    assert not res.data.people["imd"].any()
    k = res.kpis.set_index(["cohort", "metric"])["value"]
    assert all(k[c, "person_years"] == 0 for c in registry.IMD_COHORTS)
    assert math.isnan(k[registry.IMD_GAP, "emergency_admissions"])


@settings(max_examples=50, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5).filter(lambda w: sum(w) > 0.05),
    ratios=st.lists(st.floats(0.2, 5.0), min_size=5, max_size=5),
)
def test_every_gradient_averages_to_1_over_the_profile(weights, ratios):
    profile = [w / sum(weights) for w in weights]
    assert sum(w * m for w, m in zip(profile, normalised(ratios, profile))) == pytest.approx(1.0, rel=1e-12)
    band = (0.42, 0.40, 0.14, 0.04)
    by_fifth = frailty_shares(band, ratios, profile)
    for shares in by_fifth:
        assert min(shares) >= 0 and sum(shares) == pytest.approx(1.0, abs=1e-12)
    mix = [sum(w * s[k] for w, s in zip(profile, by_fifth)) for k in range(len(band))]
    assert mix == pytest.approx(band, abs=1e-9)  # the band's frailty over the profile is kept


def test_the_default_gradients_are_normalised_and_run_from_most_to_least_deprived():
    g = gradients(Params())
    assert g is not None
    for name in ("crisis", "death", "frailty_up", "frailty_down"):
        m = getattr(g, name)
        assert sum(w * x for w, x in zip(g.profile, m)) == pytest.approx(1.0, rel=1e-12), name
    assert list(g.crisis) == sorted(g.crisis, reverse=True) and g.crisis[0] > g.crisis[-1]
    assert list(g.death) == sorted(g.death, reverse=True) and g.death[0] > g.death[-1]
    assert g.frailty_up[0] > 1 > g.frailty_up[-1] and g.frailty_down[0] < 1 < g.frailty_down[-1]
    fit = [shares[0] for shares in g.frailty[2]]  # 75-84: the most deprived are less often fit
    assert fit == sorted(fit)


def test_persistent_risk_keeps_its_calibrated_spread_over_the_profile():
    """The fifth's crisis multiplier is persistent risk too: the person's own part narrows to make room."""
    sigma = math.sqrt(math.log1p(Params().people.persistent_risk_sd ** 2))
    g = gradients(Params())
    assert g is not None
    logs = np.log(g.crisis)
    spread = float(np.sum(np.array(g.profile) * (logs - np.sum(np.array(g.profile) * logs)) ** 2))
    assert 0 < own_sigma(sigma, g) < sigma
    assert own_sigma(sigma, g) ** 2 + spread == pytest.approx(sigma**2, rel=1e-12)
    assert own_sigma(sigma, None) == sigma
    steep = gradients(small(deprivation={"crisis_hr": [3.0, 2.0, 1.5, 1.2, 1.0]}))
    assert own_sigma(sigma, steep) == 0.0  # a gradient wider than the calibrated spread leaves no own part


def test_a_flat_gradient_at_any_level_is_exactly_no_gradient():
    for level in (1.0, 2.5):
        g = gradients(small(deprivation={k: [level] * 5 for k in FLAT}))
        assert g is not None
        assert g.crisis == g.death == g.frailty_up == g.frailty_down == (1.0,) * 5
        pe = Params().people
        assert g.frailty[1] == (pe.frailty_65_74,) * 5  # the band's own shares, unchanged
        assert own_sigma(0.1, g) == 0.1


# --- bit for bit without a gradient -----------------------------------------------------------------


def test_a_flat_gradient_gives_every_number_of_a_run_without_deprivation():
    """The fifth is drawn from its own stream, and multipliers of exactly 1 change no hazard: every kpi but the
    fifths' own cohorts, every weekly series and every event are the same, bit for bit."""
    runs = {}
    for name, dep in (("off", {"enabled": False}), ("flat", FLAT), ("flat_2", {k: [2.0] * 5 for k in FLAT})):
        runs[name] = single_run(small(population=20_000, horizon=240.0, warmup=60.0, deprivation=dep), seed=3)
    off = runs["off"]
    fifths = (*registry.IMD_COHORTS, registry.IMD_GAP)
    base = off.kpis[~off.kpis["cohort"].isin(fifths)].reset_index(drop=True)
    for name in ("flat", "flat_2"):
        res = runs[name]
        assert res.data.people["imd"].min() == 1  # the fifths are drawn
        kpis = res.kpis[~res.kpis["cohort"].isin(fifths)].reset_index(drop=True)
        pd.testing.assert_frame_equal(kpis, base, check_exact=True)
        pd.testing.assert_frame_equal(res.timeseries, off.timeseries, check_exact=True)
        pd.testing.assert_frame_equal(res.events(), off.events(), check_exact=True)
        assert res.data.people["risk"].tolist() == off.data.people["risk"].tolist()
    # and the gradients do change the numbers
    graded = single_run(small(population=20_000, horizon=240.0, warmup=60.0), seed=3)
    everyone = graded.kpis[graded.kpis["cohort"] == "all"]["value"].to_numpy()
    assert not np.array_equal(everyone, base[base["cohort"] == "all"]["value"].to_numpy(), equal_nan=True)


# --- the gradients at baseline ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_runs():
    """Two replications of a 60,000-person place, two years after a half-year warm-up."""
    p = small(population=60_000, horizon=730.0, warmup=180.0)
    return [single_run(p, seed=1, replication=r) for r in range(2)]


def test_the_most_deprived_fifth_has_more_crises_admissions_and_deaths_per_person_year(baseline_runs):
    """Pooled over the replications (400 to 500 deaths in each fifth compared): clear of chance."""
    k = pd.concat([res.kpis for res in baseline_runs]).groupby(["cohort", "metric"])["value"].sum()
    for metric in ("crises", "emergency_admissions", "deaths"):
        most = k["imd1", metric] / k["imd1", "person_years"]
        least = k["imd5", metric] / k["imd5", "person_years"]
        assert most > least, metric
        assert k[registry.IMD_GAP, metric] > 0, metric  # the gap says the same (summed over replications)
    for res in baseline_runs:
        assert deprivation.frailty_odds_ratio(res.data, res.data.window_start) > 1


def test_the_gap_is_the_fifths_rates_minus_each_other(baseline_runs):
    res = baseline_runs[0]
    k = res.kpis.set_index(["cohort", "metric"])["value"]
    days = res.data.window_end - res.data.window_start

    def rate(cohort: str, metric: str) -> float:
        return 1000.0 * k[cohort, metric] / k[cohort, "person_years"]

    for metric in ("emergency_admissions", "bed_days", "cost_total_gbp"):  # totals: per 1,000 person-years
        assert k["imd_gap", metric] == pytest.approx(rate("imd1", metric) - rate("imd5", metric), rel=1e-12)
    for metric in ("mean_los_days", "at_home_91d_after_reablement"):  # levels: the difference
        assert k["imd_gap", metric] == pytest.approx(k["imd1", metric] - k["imd5", metric], rel=1e-12)
    people = {c: k[c, "person_years"] / (days / 365.25) for c in ("imd1", "imd5")}
    beds = {c: 1000.0 * k[c, "mean_occupied_beds"] / people[c] for c in people}  # per 1,000 people
    assert k["imd_gap", "mean_occupied_beds"] == pytest.approx(beds["imd1"] - beds["imd5"], rel=1e-12)
    assert ("imd_gap", "person_years") not in k  # a gap in person-years means nothing: no row
    # every cohort metric is there, for every fifth, and for the gap all but person_years, as in kpi_table
    table = kpi_table(res.data)
    for cohort in registry.IMD_COHORTS:
        assert sorted(table[table["cohort"] == cohort]["metric"]) == sorted(registry.COHORT_METRICS), cohort
    gap = sorted(table[table["cohort"] == registry.IMD_GAP]["metric"])
    assert gap == sorted(m for m in registry.COHORT_METRICS if m != "person_years")


# --- comparisons and scenario files -------------------------------------------------------------------


def test_a_comparison_says_whether_a_what_if_narrows_the_gap(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('name = "base"\n', encoding="utf-8")
    flatter = tmp_path / "flatter.toml"
    flatter.write_text(
        'name = "flatter"\ndescription = "Crisis risk as in the least deprived fifth everywhere."\n'
        "[deprivation]\ncrisis_hr = [1.0, 1.0, 1.0, 1.0, 1.0]\n",
        encoding="utf-8",
    )
    result = api.compare([base, flatter], reps=2, population=30_000, horizon_days=365, warmup_days=90, progress=False)
    c = result.comparison
    assert set(registry.IMD_COHORTS) | {registry.IMD_GAP} <= set(c["cohort"])
    crises = c[(c["cohort"] == registry.IMD_GAP) & (c["metric"] == "crises")].iloc[0]
    assert crises["reference_mean"] > crises["scenario_mean"] and crises["diff_mean"] < 0  # narrower


def test_a_misspelt_deprivation_key_is_one_line_naming_the_closest(tmp_path, capsys):
    path = tmp_path / "typo.toml"
    path.write_text('name = "typo"\n[deprivation]\ncrisis_hrs = [1.2, 1.15, 1.1, 1.05, 1.0]\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ")
    assert "did you mean 'deprivation.crisis_hr'" in err


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ({"shares": [0.5, 0.5, 0.5, 0.0, 0.0]}, "shares: shares must sum to 1"),
        ({"shares": [0.2] * 4}, "shares: expected 5 values"),
        ({"crisis_hr": [0.0] * 5}, "crisis_hr: every fifth with people has a ratio of 0"),
        ({"frailty_or": [0.0] * 5}, "frailty_or: 0.0 is below the smallest possible value"),
    ],
)
def test_bad_deprivation_parameters_name_their_key(group, message):
    with pytest.raises(ParameterError, match=message) as info:
        apply_overrides(Params(), {"deprivation": group})
    assert "deprivation." in str(info.value) and "\n" not in str(info.value)
