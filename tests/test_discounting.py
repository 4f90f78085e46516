"""Money over time (sim/analysis/discounting.py, npv.csv): discount factors against hand-computed ones, present
values, and the net present value of a change with the comparison's intervals."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import sim.api as api
from sim.analysis.compare import compare_values, welch_interval
from sim.analysis.discounting import (
    MEASURES,
    NPV_COLUMNS,
    discount_factors,
    npv_lines,
    npv_table,
    npv_text,
    present_values,
    rates_of,
)
from sim.parameters.params import Params

GREEN_BOOK = {"cost_total_gbp": 0.035, "cost_payment_total_gbp": 0.035, "days_at_home": 0.015}


def yearly(values: dict[tuple[str, int], list[float]], metric: str = "cost_total_gbp") -> pd.DataFrame:
    """``yearly.csv`` rows of cohort all: ``values[(scenario, replication)]`` holds the values of years 1, 2, ..."""
    rows = [(s, r, year, "all", metric, v) for (s, r), vs in values.items() for year, v in enumerate(vs, start=1)]
    return pd.DataFrame(rows, columns=["scenario", "replication", "year", "cohort", "metric", "value"])


def test_year_one_is_undiscounted_and_year_t_is_weighted_one_over_one_plus_r_to_the_t_minus_one():
    f = discount_factors(3, 0.035)
    assert f.tolist() == pytest.approx([1.0, 1 / 1.035, 1 / 1.035**2], rel=1e-15)
    assert f.sum() == pytest.approx(1 + 1 / 1.035 + 1 / 1.035**2, rel=1e-15)  # an annuity of 1 a year over 3 years
    assert discount_factors(20, 0.0).tolist() == [1.0] * 20
    assert discount_factors(10, 0.015)[-1] == pytest.approx(1.015**-9)
    with pytest.raises(ValueError):
        discount_factors(3, math.nan)


def test_the_rates_are_the_green_books_with_their_sources():
    d = Params().discounting
    assert rates_of(d) == GREEN_BOOK
    for name in ("costs_per_year", "health_per_year"):
        meta = {f.name: f.metadata for f in dataclasses.fields(d)}[name]
        assert "Green Book" in meta["source"] and "2022" in meta["source"] and meta["unit"] == "per year"


def test_a_present_value_is_the_discounted_sum_of_a_runs_years():
    pv = present_values(yearly({("a", 0): [1.0, 1.0, 1.0], ("a", 1): [100.0, 0.0, 50.0]}), {"cost_total_gbp": 0.035})
    got = pv.set_index(["replication", "rate"])["value"]
    assert got[(0, 0.0)] == pytest.approx(3.0)
    assert got[(0, 0.035)] == pytest.approx(1 + 1 / 1.035 + 1 / 1.035**2)
    assert got[(1, 0.035)] == pytest.approx(100.0 + 50.0 / 1.035**2)
    assert set(pv["years"]) == {3}


def test_the_npv_of_identical_scenarios_is_zero_with_a_zero_width_interval():
    costs = {("ref", r): [10.0 + r, 12.0 - r, 9.0] for r in range(4)}
    same = {("copy", r): v for (_, r), v in costs.items()}
    table = npv_table(yearly({**costs, **same}), [("copy", "ref", True)], GREEN_BOOK)
    assert list(table.columns) == NPV_COLUMNS
    assert len(table) == 2  # the measure given, undiscounted and at 3.5%
    assert (table["diff_mean"] == 0).all()
    assert (table["diff_ci_low"] == 0).all() and (table["diff_ci_high"] == 0).all()


def test_the_npv_interval_is_the_comparisons_paired_or_welch():
    rng = np.random.default_rng(3)
    ref = {("ref", r): list(rng.normal(100, 5, 4)) for r in range(5)}
    other = {("what_if", r): list(np.array(v) - 3 + rng.normal(0, 1, 4)) for (_, r), v in ref.items()}
    rows = yearly({**ref, **other})
    pv = present_values(rows, {"cost_total_gbp": 0.035})
    at = pv[pv["rate"] == 0.035]

    def series(name: str) -> pd.Series:
        return at[at["scenario"] == name].set_index("replication")["value"]

    for paired in (True, False):
        row = npv_table(rows, [("what_if", "ref", paired)], GREEN_BOOK).query("rate == 0.035").iloc[0]
        expected = compare_values(series("ref"), series("what_if"), paired)
        for column in ("reference_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high"):
            assert row[column] == pytest.approx(expected[column]), (paired, column)
        assert row["paired"] == paired
    low, high = welch_interval(series("what_if").to_numpy(), series("ref").to_numpy())
    unpaired = npv_table(rows, [("what_if", "ref", False)], GREEN_BOOK).query("rate == 0.035").iloc[0]
    assert (unpaired["diff_ci_low"], unpaired["diff_ci_high"]) == pytest.approx((low, high))


def test_the_npv_over_posterior_draws_of_identical_scenarios_is_zero():
    values = {("ref", r): [5.0 + r, 6.0, 7.0 - r] for r in range(3)}
    frames = []
    for draw in range(3):
        for name in ("ref", "copy"):
            f = yearly({(name, r): [x * (1 + draw) for x in v] for (_, r), v in values.items()})
            frames.append(f.assign(draw=draw))
    rows = pd.concat(frames, ignore_index=True)[
        ["scenario", "draw", "replication", "year", "cohort", "metric", "value"]
    ]
    table = npv_table(rows, [("copy", "ref", True)], GREEN_BOOK)
    assert (table["diff_mean"] == 0).all()
    assert ((table["diff_ci_low"] <= 0) & (table["diff_ci_high"] >= 0)).all()


def test_a_comparison_of_the_baseline_with_itself_has_a_zero_npv_and_the_undiscounted_change_of_comparison_csv():
    base = api.load_scenario("baseline", population=6_000, horizon_days=730, warmup_days=30)
    copy = dataclasses.replace(base, name="copy")
    result = api.compare([base, copy], reps=2, seed=4, progress=False)
    npv = result.npv
    assert set(npv["measure"]) == set(MEASURES)
    assert (npv["diff_mean"] == 0).all() and (npv["diff_ci_low"] == 0).all() and (npv["diff_ci_high"] == 0).all()
    assert set(npv["years"]) == {2}
    # undiscounted, each measure is the window's total, as comparison.csv has it
    plain = npv[npv["rate"] == 0].set_index("measure")["reference_mean"]
    window = result.comparison[result.comparison["cohort"] == "all"].set_index("metric")["reference_mean"]
    for measure in MEASURES:
        assert plain[measure] == pytest.approx(window[measure], rel=1e-9)
    discounted = npv[npv["rate"] > 0].set_index("measure")["reference_mean"]
    assert (discounted < plain).all()  # year 2 weighs less
    assert "net present value" in "\n".join(npv_lines(npv, "copy"))


def test_no_npv_without_a_whole_year():
    base = api.load_scenario("baseline", population=5_000, horizon_days=120, warmup_days=30)
    result = api.compare([base, dataclasses.replace(base, name="copy")], reps=1, seed=1, progress=False)
    assert result.npv is None
    assert sorted(result.yearly["year"].unique()) == [1]  # one part year


def test_the_words_name_each_scenario_once_with_its_rates_and_its_undiscounted_change():
    values = {("ref", r): [10.0, 10.0, 10.0] for r in range(3)}
    values |= {("a", r): [9.0, 9.0, 9.0 + r] for r in range(3)}
    values |= {("b", r): [11.0 + r, 11.0, 11.0] for r in range(3)}
    table = npv_table(yearly(values), [("a", "ref", True), ("b", "ref", True)], GREEN_BOOK)
    text = npv_text(table, Params().discounting)
    assert [line for line in text if line in ("a:", "b:", "ref:")] == ["a:", "b:"]
    words = " ".join(text)
    assert "3.5% a year" in words and "1.5% for days at home" in words
    assert "undiscounted GBP -2" in words  # scenario a: -1 -1 +0 on average over three years
