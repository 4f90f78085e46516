"""Intervals that can be: per-cent changes from a ratio interval (never below -100%), shares within
+/-100 percentage points, changes identical in every replication said as such, and a warning below 3
replications."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis.compare import compare_values, comparison_table
from sim.analysis.uncertainty import difference_over_draws
from sim.cli.main import main
from sim.outcomes import registry
from sim.reports.text import cells, compare_text, same_every_time
from sim.scenarios.scenario import Scenario, baseline

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--population", "3000", "--horizon-days", "30", "--warmup-days", "10"]
SHARE = registry.SHARES[0]
COUNT = "emergency_admissions"
WARNING = "caresim: warning: replications:"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def old_percent_low(ref: pd.Series, sc: pd.Series) -> float:
    """The former per-cent lower bound: the paired difference's t interval over the reference mean."""
    d = (sc - ref).to_numpy()
    half = sps.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return 100 * (d.mean() - half) / ref.mean()


# --- (a) per-cent changes from an interval for the ratio of means -----------------------------------


def test_a_large_fall_at_two_replications_stays_above_minus_100_per_cent():
    ref, sc = pd.Series([10.0, 30.0]), pd.Series([1.0, 12.0])
    assert old_percent_low(ref, sc) < -100  # the data that gave an impossible interval before
    for paired in (True, False):
        r = compare_values(ref, sc, paired=paired)
        assert r["pct_change"] == pytest.approx(-67.5)
        assert -100 <= r["pct_ci_low"] < r["pct_change"] < r["pct_ci_high"]


def test_the_ratio_interval_is_the_delta_method_on_the_log_of_the_ratio_of_means():
    rng = np.random.default_rng(3)
    ref = pd.Series(rng.gamma(4.0, 25.0, 6))
    sc = pd.Series(0.8 * ref.to_numpy() + rng.normal(0, 10, 6))
    r = compare_values(ref, sc, paired=True)
    # the same interval from the covariance of the two means and the gradient of log(s/r)
    s_bar, r_bar = sc.mean(), ref.mean()
    cov = np.cov(np.vstack([sc, ref])) / len(ref)
    grad = np.array([1 / s_bar, -1 / r_bar])
    half = sps.t.ppf(0.975, len(ref) - 1) * math.sqrt(grad @ cov @ grad)
    ratio = s_bar / r_bar
    assert r["pct_ci_low"] == pytest.approx(100 * (ratio * math.exp(-half) - 1))
    assert r["pct_ci_high"] == pytest.approx(100 * (ratio * math.exp(half) - 1))


def test_no_per_cent_interval_below_minus_100_on_random_small_samples():
    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(2, 5))
        ref = pd.Series(rng.poisson(rng.uniform(0.5, 20), n).astype(float))
        sc = pd.Series(rng.poisson(rng.uniform(0.0, 20), n).astype(float))
        for paired in (True, False):
            r = compare_values(ref, sc, paired=paired)
            if math.isfinite(r["pct_ci_low"]):
                assert r["pct_ci_low"] >= -100, (ref.tolist(), sc.tolist(), paired)
                assert r["pct_ci_low"] <= r["pct_change"] <= r["pct_ci_high"]


def test_a_fall_to_zero_is_minus_100_per_cent_with_an_interval_floored_there():
    r = compare_values(pd.Series([3.0, 1.0]), pd.Series([0.0, 0.0]), paired=True)
    assert r["pct_change"] == -100 and r["pct_ci_low"] == -100 and r["pct_ci_high"] > 0


def test_the_ratio_interval_covers_the_true_ratio_about_95_per_cent_of_the_time():
    rng = np.random.default_rng(5)
    true_ratio, hits, trials = 0.7, 0, 600
    for _ in range(trials):
        base = rng.lognormal(4.0, 0.3, 8)
        ref = pd.Series(base * rng.lognormal(0, 0.1, 8))
        sc = pd.Series(true_ratio * base * rng.lognormal(0, 0.1, 8))
        r = compare_values(ref, sc, paired=True)
        # lognormal noise: the means' ratio is true_ratio exactly (same sigma on both sides)
        hits += r["pct_ci_low"] <= 100 * (true_ratio - 1) <= r["pct_ci_high"]
    assert 0.91 <= hits / trials <= 0.99


def test_over_posterior_draws_the_per_cent_interval_also_stays_above_minus_100():
    ref = pd.DataFrame([[10.0, 30.0], [12.0, 28.0]], index=[0, 1], columns=[0, 1])
    sc = pd.DataFrame([[1.0, 12.0], [0.5, 14.0]], index=[0, 1], columns=[0, 1])
    for paired in (True, False):
        r = difference_over_draws(ref, sc, paired)
        assert math.isfinite(r["pct_ci_low"])
        assert 100 * r["diff_ci_low"] / r["reference_mean"] < -100  # the old per-cent bound
        assert -100 <= r["pct_ci_low"] < r["pct_change"] < r["pct_ci_high"]


# --- shares: within +/-100 percentage points ------------------------------------------------------


def share_kpis(ref: list[float], sc: list[float]) -> pd.DataFrame:
    rows = [("a", i, "all", SHARE, v) for i, v in enumerate(ref)] + [
        ("b", i, "all", SHARE, v) for i, v in enumerate(sc)
    ]
    rows += [("a", i, "all", COUNT, 5.0 * v) for i, v in enumerate(ref)]
    rows += [("b", i, "all", COUNT, 5.0 * v) for i, v in enumerate(sc)]
    return pd.DataFrame(rows, columns=["scenario", "replication", "cohort", "metric", "value"])


def test_a_share_change_stays_within_100_percentage_points():
    ref, sc = [0.1, 0.9], [0.8, 0.95]
    unclipped = compare_values(pd.Series(ref), pd.Series(sc), paired=True)
    assert unclipped["diff_ci_low"] < -1 and unclipped["diff_ci_high"] > 1  # +/-150 pp and beyond
    table = comparison_table(share_kpis(ref, sc), ["a", "b"], {"a": True, "b": True})
    share = SimpleNamespace(**table[table["metric"] == SHARE].iloc[0].to_dict())  # a row, as the text reads it
    assert -1 <= share.diff_ci_low <= share.diff_mean <= share.diff_ci_high <= 1
    count = table[table["metric"] == COUNT].iloc[0]  # not a share: not clipped
    assert count["diff_ci_low"] == pytest.approx(5 * unclipped["diff_ci_low"])
    text = cells(SHARE, share)[2]
    assert "pp" in text and all(abs(float(x)) <= 100 for x in text.split("[")[1].rstrip("]").split(","))
    draws = difference_over_draws(pd.DataFrame([ref, ref]), pd.DataFrame([sc, [0.7, 0.99]]), True, share=True)
    assert -1 <= draws["diff_ci_low"] and draws["diff_ci_high"] <= 1


# --- (b) a change identical in every replication ---------------------------------------------------


def test_identical_changes_are_the_same_in_every_replication_never_clear():
    ref, sc = pd.Series([100.0, 110.0, 125.0]), pd.Series([90.0, 100.0, 115.0])
    r = SimpleNamespace(**compare_values(ref, sc, paired=True))
    assert r.diff_ci_low == r.diff_ci_high == -10.0 and same_every_time(r)
    change, pct = cells(COUNT, r)[2:]
    assert change == "-10.0 (same in every replication)" and "[" not in change
    assert r.pct_ci_low < r.pct_change < r.pct_ci_high  # the reference mean still varies
    varied = SimpleNamespace(**compare_values(ref, pd.Series([90.0, 101.0, 113.0]), paired=True))
    assert not same_every_time(varied)

    kpis = pd.concat(
        [
            pd.DataFrame({"scenario": name, "replication": range(3), "cohort": "all", "metric": m, "value": v})
            for name, values in (("baseline", (ref, [1.0, 2.0, 3.0])), ("other", (sc, [1.0, 2.0, 3.5])))
            for m, v in zip(("emergency_admissions", "deaths"), values)
        ]
    )
    scenarios = [baseline(), Scenario(**{**baseline().__dict__, "name": "other"})]
    table = comparison_table(kpis, ["baseline", "other"], {"other": True})
    text = compare_text(scenarios, table, reps=3, seed=1)
    pct = f"{100 * 10 / ref.mean():.1f}%"
    assert f"Emergency admissions fell by 10.0 ({pct}), the same in every replication." in text
    assert "Emergency admissions fell clearly" not in text and f"Emergency admissions fell by {pct}" not in text
    assert "No other main measure changed clearly" in text


def test_a_capacity_cost_moved_by_a_scenario_is_the_same_in_every_replication(capsys, tmp_path):
    more_beds = tmp_path / "more_beds.toml"
    more_beds.write_text('name = "more_beds"\nextends = "baseline"\n[acute]\nbeds_per_100k = 300\n')
    code, out, _ = cli(capsys, "compare", "baseline", str(more_beds), *TINY, "--reps", "3")
    assert code == 0
    label = registry.label("cost_capacity_gbp")
    sentence = next(x for x in out.splitlines() if x.strip().startswith(f"{label} rose by"))
    assert sentence.endswith("the same in every replication.") and f"{label} rose clearly" not in out
    line = next(x for x in out.splitlines() if x.strip().startswith(registry.long_label("cost_capacity_gbp")))
    assert "(same in every replication)" in line


# --- (c) a warning below 3 replications ------------------------------------------------------------


@pytest.mark.parametrize("reps", [2, 3])
def test_run_and_compare_warn_below_three_replications(capsys, reps):
    for argv in (["run"], ["compare", "baseline", str(ROOT / "scenarios" / "rapid_response.toml")]):
        code, out, err = cli(capsys, *argv, *TINY, "--reps", str(reps))
        assert code == 0, err
        warnings = [x for x in err.splitlines() if x.startswith(WARNING)]
        if reps < 3:
            assert len(warnings) == 1 and "very wide" in warnings[0] and "3 or more" in warnings[0]
        else:
            assert warnings == []


def test_one_replication_warns_that_intervals_are_undefined(capsys):
    code, _, err = cli(capsys, "run", *TINY, "--reps", "1")
    assert code == 0 and [x for x in err.splitlines() if x.startswith(WARNING)] == [
        f"{WARNING} with 1 replication, 95% intervals are undefined; use 3 or more (--reps) to judge changes"
    ]


def test_experiment_warns_below_three_replications(capsys, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(
        f'name = "tiny"\nscenarios = ["{(ROOT / "scenarios" / "baseline.toml").as_posix()}", '
        f'"{(ROOT / "scenarios" / "rapid_response.toml").as_posix()}"]\n'
        "replications = 2\npopulation = 3000\nhorizon_days = 30\nwarmup_days = 10\nseed = 1\n"
        'charts = ["forest"]\n',
        encoding="utf-8",
    )
    for reps, folder in ((2, "two"), (3, "three")):
        code, _, err = cli(
            capsys,
            "experiment",
            str(path),
            "--workers",
            "1",
            "--quiet",
            "--reps",
            str(reps),
            "--out",
            str(tmp_path / folder),
        )
        assert code == 0, err
        warnings = [x for x in err.splitlines() if x.startswith(WARNING)]
        assert len(warnings) == (1 if reps < 3 else 0), err
