"""``caresim compare`` and ``caresim validate``: the scenario library, contract files, statistics, directions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis.compare import (
    COMPARISON_COLUMNS,
    compare_values,
    comparison_table,
    pairing,
    run_comparison,
    welch_interval,
)
from sim.cli.main import main
from sim.outcomes.metrics import METRICS
from sim.parameters.tree import apply_overrides
from sim.scenarios.scenario import RunSettings, Scenario, baseline, load

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
TINY = ["--population", "10000", "--horizon-days", "60", "--warmup-days", "30", "--reps", "1"]
SMALL = RunSettings(population=10_000, horizon_days=120, warmup_days=60)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def compared(scenarios: list[Scenario], reps: int, seed: int = 1) -> tuple[dict, pd.DataFrame]:
    frames = run_comparison(scenarios, reps, seed)
    return frames, comparison_table(frames["kpis"], [s.name for s in scenarios], pairing(scenarios))


def row(table: pd.DataFrame, scenario: str, metric: str, cohort: str = "all") -> pd.Series:
    r = table[(table["scenario"] == scenario) & (table["cohort"] == cohort) & (table["metric"] == metric)]
    assert len(r) == 1, (scenario, cohort, metric)
    return r.iloc[0]


# --- the scenario library -----------------------------------------------------------------------


def test_the_library_is_complete_and_documented():
    names = {p.stem for p in SCENARIOS}
    assert {
        "baseline",
        "integrated_care_pilot",
        "case_management",
        "pioneer",
        "social_care_led_mdt",
        "nurse_led_mdt",
        "resource_shift",
        "rapid_response",
        "information_sharing",
        "community_support_cuts",
        "demographic_growth",
    } <= names
    readme = (ROOT / "scenarios" / "README.md").read_text()
    for path in SCENARIOS:
        s = load(path)
        assert s.name == path.stem
        assert f"({path.name})" in readme, path.name
        if s.name != "baseline":
            assert "seed 00" in s.description, f"{path.name}: the description should cite its seed file"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_validates(capsys, path):
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 0 and err == ""
    assert "is a valid scenario" in out
    if path.stem == "baseline":
        assert "No differences from the built-in baseline" in out
    else:
        assert "Differences from the built-in baseline" in out


def test_validate_reports_the_shift_in_pounds_and_units(capsys):
    code, out, _ = cli(capsys, "validate", str(ROOT / "scenarios" / "resource_shift.toml"))
    assert code == 0
    assert "shift 1: GBP 2,000,000 a year from acute beds, at 250,000 people" in out
    assert "acute beds now, 450 before" in out
    assert "remainder left unallocated: GBP" in out
    assert "acute.beds_per_100k" in out and "(450 -> " in out


def test_every_scenario_runs_in_one_comparison(capsys, tmp_path):
    """All shipped scenarios at a small place, one replication: files, columns, mdt:X rows, pairing."""
    out_dir = tmp_path / "all"
    code, out, err = cli(capsys, "compare", *map(str, SCENARIOS), *TINY, "--out", str(out_dir))
    assert code == 0, err
    assert "n=1" in out
    names = [load(p).name for p in SCENARIOS]
    kpis = pd.read_csv(out_dir / "kpis.csv")
    assert list(kpis.columns) == ["scenario", "replication", "cohort", "metric", "value"]
    assert list(dict.fromkeys(kpis["scenario"])) == names
    comparison = pd.read_csv(out_dir / "comparison.csv")
    assert list(comparison.columns) == COMPARISON_COLUMNS
    assert set(comparison["scenario"]) == set(names) - {"baseline"}
    for name in set(names) - {"baseline"}:
        rows = comparison[(comparison["scenario"] == name) & (comparison["cohort"] == "all")]
        assert set(METRICS) <= set(rows["metric"]), name
    # the MDT cohort of a scenario, measured in the reference's run as the same people
    ref = kpis[kpis["scenario"] == "baseline"]
    assert "mdt:integrated_care_pilot" in set(ref["cohort"])
    assert set(ref.loc[ref["cohort"] == "mdt:integrated_care_pilot", "metric"]) == set(METRICS)
    assert not kpis.loc[kpis["scenario"] != "baseline", "cohort"].str.startswith("mdt:").any()
    assert len(row(comparison, "integrated_care_pilot", "crises", "mdt")) > 0
    # a different population: unpaired, and no same-people comparison
    growth = comparison[comparison["scenario"] == "demographic_growth"]
    assert not growth["paired"].any() and comparison.loc[comparison["scenario"] != "demographic_growth", "paired"].all()
    assert "mdt:demographic_growth" not in set(ref["cohort"])
    assert "Unpaired: 'demographic_growth'" in out
    for png in ("forest_plot.png", "costs_by_sector.png", "delayed_discharges.png", "acute_beds_occupied.png"):
        assert (out_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # what the report is built from, and the report itself
    meta = json.loads((out_dir / "metadata.json").read_text())
    assert meta["kind"] == "compare" and meta["reference"] == "baseline" and meta["replications"] == 1
    assert [s["name"] for s in meta["scenarios"]] == names
    assert {s["name"]: s["paired"] for s in meta["scenarios"]}["demographic_growth"] is False
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    for png in ("forest_plot", "costs_by_sector", "delayed_discharges", "acute_beds_occupied"):
        assert png in html
    assert all(s["file_sha256"] in html for s in meta["scenarios"])


# --- zero difference, pairing, statistics -----------------------------------------------------------


def test_a_scenario_identical_to_baseline_gives_exactly_zero(tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text('name = "same_as_baseline"\nextends = "baseline"\n[acute]\nbeds_per_100k = 180\n')
    settings = RunSettings(population=10_000, horizon_days=60, warmup_days=30)
    scenarios = [load(ROOT / "scenarios" / "baseline.toml", settings), load(copy, settings)]
    frames, table = compared(scenarios, reps=2)
    assert table["paired"].all()
    assert len(table) >= len(METRICS)
    defined = table["reference_mean"].notna()
    assert (table.loc[defined, "diff_mean"] == 0).all()
    assert (table.loc[defined, ["diff_ci_low", "diff_ci_high"]] == 0).all().all()
    assert (table.loc[defined, "scenario_mean"] == table.loc[defined, "reference_mean"]).all()
    assert table.loc[~defined, "scenario_mean"].isna().all()  # undefined in both (e.g. no reablement check yet)


def test_duplicate_names_and_single_files_are_errors(capsys, tmp_path):
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text('name = "same"\n')
    b.write_text('name = "same"\n')
    code, out, err = cli(capsys, "compare", str(a), str(b), *TINY)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"caresim: error: {b.as_posix()}: name 'same' is also the name of {a.as_posix()}")
    code, _, err = cli(capsys, "compare", str(a), *TINY)
    assert code == 2 and "compare needs at least two scenarios" in err
    code, _, err = cli(capsys, "compare", "baseline", str(tmp_path / "missing.toml"), *TINY)
    assert code == 2 and "missing.toml: no such file" in err
    code, _, err = cli(capsys, "compare", "baseline", str(ROOT / "tests" / "broken" / "shift_to_unknown_service.toml"))
    assert code == 2 and "did you mean 'reablement_places'?" in err


def test_paired_interval_is_the_t_interval_of_the_differences():
    ref = pd.Series([10.0, 12.0, 11.0, 15.0])
    sc = pd.Series([9.0, 11.5, 9.0, 13.0])
    r = compare_values(ref, sc, paired=True)
    d = (sc - ref).to_numpy()
    half = sps.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert r["diff_mean"] == pytest.approx(d.mean())
    assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert r["pct_change"] == pytest.approx(100 * d.mean() / ref.mean())
    # the per-cent interval is the ratio's, on the log scale (tests/test_intervals.py checks its formula)
    assert r["pct_ci_low"] < r["pct_change"] < r["pct_ci_high"]
    # replications missing on one side are left out of the pairs
    r2 = compare_values(pd.Series([1.0, np.nan, 3.0]), pd.Series([2.0, 5.0, 4.0]), paired=True)
    assert (r2["reference_mean"], r2["scenario_mean"], r2["diff_mean"]) == (2.0, 3.0, 1.0)


def test_unpaired_interval_is_welch():
    rng = np.random.default_rng(7)
    x, y = rng.normal(10, 1, 6), rng.normal(12, 3, 9)
    lo, hi = welch_interval(y, x)
    ci = sps.ttest_ind(y, x, equal_var=False).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))
    r = compare_values(pd.Series(x), pd.Series(y), paired=False)
    assert r["diff_mean"] == pytest.approx(y.mean() - x.mean())


def test_one_replication_has_no_interval():
    r = compare_values(pd.Series([4.0]), pd.Series([5.0]), paired=True)
    assert r["diff_mean"] == 1.0 and math.isnan(r["diff_ci_low"]) and r["pct_change"] == 25.0
    r = compare_values(pd.Series([4.0]), pd.Series([5.0]), paired=False)
    assert r["diff_mean"] == 1.0 and math.isnan(r["diff_ci_high"])


# --- direction checks (paired means, common random numbers, a small place) ------------------------


def test_more_home_care_gives_fewer_delayed_discharge_days():
    b = baseline(SMALL)
    more = Scenario(
        "more_home_care", "", None, apply_overrides(b.params, {"social_care": {"home_care_packages_per_100k": 1300}})
    )
    frames, table = compared([b, more], reps=4)
    assert row(table, "more_home_care", "delayed_discharge_days")["diff_mean"] < 0
    k = frames["kpis"]
    wait = k[(k["cohort"] == "all") & (k["metric"] == "delayed_days_awaiting_home_care")].pivot(
        index="replication", columns="scenario", values="value"
    )
    assert (wait["more_home_care"] <= wait["baseline"]).all() and (wait["more_home_care"] < wait["baseline"]).any()


def test_community_support_cuts_give_more_crises_and_emergency_admissions():
    cuts = load(ROOT / "scenarios" / "community_support_cuts.toml", SMALL)
    _, table = compared([baseline(SMALL), cuts], reps=4)
    for metric in ("crises", "emergency_admissions"):
        r = row(table, "community_support_cuts", metric)
        assert r["paired"] and r["diff_ci_low"] > 0, metric


def test_demographic_growth_gives_more_admissions_and_bed_days():
    growth = load(ROOT / "scenarios" / "demographic_growth.toml", SMALL)
    frames, table = compared([baseline(SMALL), growth], reps=4)
    for metric in ("emergency_admissions", "bed_days"):
        r = row(table, "demographic_growth", metric)
        assert not r["paired"] and r["diff_mean"] > 0, metric
    assert row(table, "demographic_growth", "bed_days")["diff_ci_low"] > 0
    assert row(table, "demographic_growth", "acute_beds")["diff_mean"] == 0  # the same beds meet more people


def test_help_of_validate_and_compare(capsys):
    code, out, _ = cli(capsys, "compare", "--help")
    assert code == 0
    for flag in ("--reps", "--seed", "--population", "--horizon-days", "--warmup-days", "--out", "--events"):
        assert flag in out
    code, out, _ = cli(capsys, "validate", "--help")
    assert code == 0 and "FILE" in out
