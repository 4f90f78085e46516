"""Results year by year (sim/outcomes/yearly.py, yearly.csv): the years of a window, totals that add up to the
window's, bulk counts split at each year's end without changing any figure of kpis.csv, and yearly.csv where
kpis.csv is written, surviving a resumed experiment."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS
from smallplace import small

from sim.cli.main import main
from sim.outcomes import registry
from sim.outcomes import yearly as Y
from sim.outcomes.costs import stranded_cost
from sim.outcomes.metrics import cohort_kpis, standard_cohorts
from sim.parameters.tree import apply_overrides
from sim.replication import single
from sim.replication.runner import YEARLY_COLUMNS
from sim.replication.single import single_run
from sim.vocabulary import Ev

YEAR = 365.25
TWO_YEARS = small(population=8_000, horizon=730.0, warmup=60.0)  # the default window's length


@pytest.fixture(scope="module")
def run():
    return single_run(TWO_YEARS, seed=3, replication=0)


@pytest.fixture(scope="module")
def table(run):
    return run.yearly()


# --- the years of a window ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "count", "whole"),
    [
        (730.0, 2, 2),  # the default: two years, the second half a day short
        (2 * YEAR, 2, 2),
        (YEAR, 1, 1),
        (360.0, 1, 1),  # within a week of a year
        (500.0, 2, 1),  # a year and a part year
        (180.0, 1, 0),  # only a part year
        (10 * YEAR, 10, 10),
        (3650.0, 10, 10),  # ten years of 365 days
        (20 * YEAR, 20, 20),
    ],
)
def test_a_window_has_its_whole_years_and_a_last_part_year_only_when_it_ends_in_one(days, count, whole):
    years = Y.years_of(100.0, 100.0 + days)
    assert len(years) == count
    assert Y.whole_years(days) == whole
    assert [y.number for y in years] == list(range(1, count + 1))
    assert years[0].start == 100.0 and years[-1].end == 100.0 + days
    assert all(a.end == b.start for a, b in zip(years, years[1:]))  # no gap, no overlap
    assert all(y.whole for y in years[:whole]) and all(not y.whole for y in years[whole:])
    assert all(y.start == 100.0 + (y.number - 1) * YEAR for y in years)  # each year starts 365.25 days on


def test_the_words_name_a_part_year():
    assert Y.year_words(Y.years_of(0.0, 730.0)) == "2 years"
    assert "part year of 0.37 years" in Y.year_words(Y.years_of(0.0, 500.0))


def test_a_default_run_gives_two_years_and_its_table_has_every_cohort_metric_of_kpis(run, table):
    assert sorted(table["year"].unique()) == [1, 2]
    assert list(table.columns) == ["year", "cohort", "metric", "value"]
    kpis = run.kpis
    cohort_rows = kpis[~kpis["metric"].isin(registry.PLACE_METRICS)]
    for year, rows in table.groupby("year"):
        assert set(zip(rows["cohort"], rows["metric"])) == set(zip(cohort_rows["cohort"], cohort_rows["metric"]))


# --- totals add up, levels are each year's own ------------------------------------------------------------


def test_each_total_adds_up_over_the_years_to_the_windows_figure(run, table):
    """For every default cohort; a cohort other than all pays its share of each capacity's use in each year, so
    its costs add up only where that share is steady (sim/outcomes/yearly.py): those are left out."""
    window = run.kpis.set_index(["cohort", "metric"])["value"]
    summed = table.groupby(["cohort", "metric"])["value"].sum()
    checked = 0
    for (cohort, metric), value in summed.items():
        m = registry.BY_NAME.get(metric)
        if cohort == registry.IMD_GAP or m is None or m.aggregate != "total":
            continue
        if cohort != "all" and m.kind == "gbp":
            continue
        assert value == pytest.approx(window[(cohort, metric)], rel=1e-9, abs=1e-6), (cohort, metric)
        checked += 1
    assert checked > 100
    everyone = table[table["cohort"] == "all"].set_index(["metric", "year"])["value"]
    assert everyone[("gp_contacts", 1)] > 0 and everyone[("gp_contacts", 2)] > 0  # both years have their share


def test_levels_are_each_years_own(run, table):
    everyone = table[table["cohort"] == "all"].pivot(index="year", columns="metric", values="value")
    years = run.marks.years
    days = np.array([y.end - y.start for y in years])
    assert everyone["mean_occupied_beds"].to_numpy() == pytest.approx(everyone["bed_days"].to_numpy() / days)
    for share in ("knows_whom_to_contact", "rapid_response_kept_home_share"):
        v = everyone[share].dropna()
        assert ((v >= 0) & (v <= 1)).all()


def test_a_part_year_is_given_and_its_totals_cover_only_its_part():
    res = single_run(small(population=6_000, horizon=500.0, warmup=60.0), seed=2, replication=0)
    t = res.yearly()
    assert sorted(t["year"].unique()) == [1, 2]
    py = t[(t["cohort"] == "all") & (t["metric"] == "person_years")].set_index("year")["value"]
    assert py[2] / py[1] == pytest.approx((500.0 - YEAR) / YEAR, rel=0.1)  # a part year of 0.37 years
    assert py.sum() == pytest.approx(res.kpis.set_index(["cohort", "metric"]).loc[("all", "person_years"), "value"])


def test_a_one_year_window_is_one_year_equal_to_the_window():
    res = single_run(small(population=5_000, horizon=YEAR, warmup=60.0), seed=4, replication=0)
    t = res.yearly()
    assert list(t["year"].unique()) == [1]
    assert len(res.marks.crossings) == 0  # no year ends inside the window
    window = res.kpis.set_index(["cohort", "metric"])["value"]
    everyone = t[t["cohort"] == "all"].set_index("metric")["value"]
    for metric in ("gp_contacts", "emergency_admissions", "bed_days", "days_at_home", "cost_total_gbp"):
        assert everyone[metric] == pytest.approx(window[("all", metric)], rel=1e-12)


# --- bulk counts split at a year's end --------------------------------------------------------------


def test_recording_the_years_ends_leaves_every_figure_of_kpis_as_it_was(run, monkeypatch):
    """The split draws from new streams only: the same run without the year ends' process has the same KPIs,
    bit for bit, the bulk-counted GP contacts and nursing visits included."""

    def nothing(m, ends, crossings):
        return
        yield

    monkeypatch.setattr(single, "_year_ends", nothing)
    plain = single_run(TWO_YEARS, seed=3, replication=0)
    assert len(plain.marks.crossings) == 0 and len(run.marks.crossings) > 0
    pd.testing.assert_frame_equal(plain.kpis, run.kpis)
    pd.testing.assert_frame_equal(plain.data.events, run.data.events)


def test_a_spells_parts_add_up_to_its_count_and_every_part_lies_in_one_year(run):
    split = Y.split_bulk(run.data.events, run.marks.crossings)
    ev = run.data.events
    for code in (Ev.GP_CONTACT, Ev.COMMUNITY_NURSING):
        before = ev[(ev["event"] == code) & (ev["detail"] == 1) & (ev["pid"] >= 0)]
        after = split[(split["event"] == code) & (split["detail"] == 1) & (split["pid"] >= 0)]
        assert after.groupby("pid")["count"].sum().equals(before.groupby("pid")["count"].sum())
        assert (after["count"] > 0).all()
    edge = run.marks.years[0].end
    assert (split["time"] == edge).any()  # parts stamped at the year's end


def test_a_spells_count_is_shared_binomially_by_the_time_in_each_part():
    """A spell of 10 contacts cut at 30% of its length gives its first part 3 on average; cuts at a quarter,
    a half and three quarters of a spell of 8 give each part 2; every spell's parts add up to its count."""
    rng = np.random.default_rng(11)
    n = 20_000
    cut = pd.DataFrame({"row": np.arange(n), "start": 0.0, "at": 0.3, "end": 1.0, "count": 10, "u_gp": rng.random(n)})
    parts, left = Y.share_counts(cut, "u_gp")
    assert parts.mean() == pytest.approx(3.0, abs=0.05)  # sd of the mean 0.01
    assert parts.var() == pytest.approx(10 * 0.3 * 0.7, rel=0.05)
    assert (parts + left == 10).all()
    rows = np.repeat(np.arange(n), 3)
    cut = pd.DataFrame(
        {
            "row": rows,
            "start": 0.0,
            "at": np.tile([0.25, 0.5, 0.75], n),
            "end": 1.0,
            "count": 8,
            "u_gp": rng.random(3 * n),
        }
    )
    parts, left = Y.share_counts(cut, "u_gp")
    by_part = parts.reshape(n, 3)
    assert by_part.mean(axis=0) == pytest.approx([2.0, 2.0, 2.0], abs=0.05)
    assert left.mean() == pytest.approx(2.0, abs=0.05)
    assert (by_part.sum(axis=1) + left == 8).all()


def test_a_year_measured_on_its_records_alone_gives_what_all_the_records_give(run):
    """year_slice keeps only the records that can touch the year: every figure must be the same."""
    data = run.data
    split = dataclasses.replace(data, events=Y.split_bulk(data.events, run.marks.crossings))
    for year in run.marks.years:
        part = Y.year_slice(split, year)
        whole = dataclasses.replace(
            split, window_start=year.start, window_end=year.end, bed_days_all=part.bed_days_all, params=part.params
        )
        assert len(part.events) < len(whole.events)
        for c in standard_cohorts():
            a, b = cohort_kpis(part, c), cohort_kpis(whole, c)
            for metric in a:
                if math.isnan(b[metric]):
                    assert math.isnan(a[metric]), (year.number, c.name, metric)
                else:
                    assert a[metric] == pytest.approx(b[metric], rel=1e-9, abs=1e-9), (year.number, c.name, metric)


def test_the_stranded_beds_cashing_lag_runs_from_the_windows_start_whatever_the_year():
    closed = {"shift_closed_acute_beds_per_100k": 700.0, "cashable_lag_months": 18.0}  # 56 beds at 8,000: 2 wards
    p = apply_overrides(TWO_YEARS, {"costs": closed})
    years = Y.years_of(0.0, 4 * YEAR)
    by_year = [stranded_cost(Y.lag_left(p, y.start / YEAR), y.years) for y in years]
    assert sum(by_year) == pytest.approx(stranded_cost(p, 4.0))
    assert by_year[0] > by_year[1] > by_year[2] == pytest.approx(by_year[3])  # cashed from the 18th month on


# --- yearly.csv where kpis.csv is written ------------------------------------------------------------


TINY = ["--population", "5000", "--horizon-days", "730", "--warmup-days", "30", "--reps", "2"]


def test_caresim_run_writes_yearly_csv_with_the_contract_columns_and_its_chart(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    yearly = pd.read_csv(out / "yearly.csv")
    assert list(yearly.columns) == YEARLY_COLUMNS == ["scenario", "replication", "year", "cohort", "metric", "value"]
    assert sorted(yearly["year"].unique()) == [1, 2] and sorted(yearly["replication"].unique()) == [0, 1]
    assert set(yearly["cohort"]) >= set(registry.STANDARD_COHORTS) - {registry.IMD_GAP}
    assert (out / "results_by_year.png").is_file()
    assert "yearly.csv holds each year of the window (2 years)" in capsys.readouterr().out


def test_yearly_rows_survive_a_resumed_experiment(tmp_path):
    exp = tmp_path / "two_years.toml"
    exp.write_text(
        f"""
name = "two_years"
description = "Two scenarios over two years, resumed."
scenarios = ["{(SCENARIOS / "baseline.toml").as_posix()}", "{(SCENARIOS / "rapid_response.toml").as_posix()}"]
replications = 2
population = 5000
horizon_days = 730
warmup_days = 30
seed = 5
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    first = pd.read_csv(out / "yearly.csv")
    assert sorted(first["replication"].unique()) == [0, 1]
    assert (
        main(["experiment", str(exp), "--workers", "1", "--quiet", "--resume", "--reps", "3", "--out", str(out)]) == 0
    )
    resumed = pd.read_csv(out / "yearly.csv")
    assert sorted(resumed["replication"].unique()) == [0, 1, 2]
    for (scenario, rep), rows in resumed.groupby(["scenario", "replication"]):
        assert sorted(rows["year"].unique()) == [1, 2], (scenario, rep)
    kept = resumed[resumed["replication"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first)  # the stored runs' rows, read back from the store
    assert (out / "npv.csv").is_file() and (out / "results_by_year.png").is_file()


def test_a_twenty_year_run_works_end_to_end(tmp_path):
    out = tmp_path / "twenty"
    argv = ["run", "--population", "3000", "--horizon-days", "7305", "--warmup-days", "30", "--reps", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    yearly = pd.read_csv(out / "yearly.csv")
    assert sorted(yearly["year"].unique()) == list(range(1, 21))
    kpis = pd.read_csv(out / "kpis.csv").set_index(["cohort", "metric"])["value"]
    summed = yearly[yearly["cohort"] == "all"].groupby("metric")["value"].sum()
    for metric in ("person_years", "gp_contacts", "emergency_admissions", "bed_days", "days_at_home", "cost_total_gbp"):
        assert summed[metric] == pytest.approx(kpis[("all", metric)], rel=1e-9)
