"""The evaluation's estimate beside the true effect (issue 19): the table, the report, the terminal and the page."""

from __future__ import annotations

import contextlib
import io
import math
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis import evaluation_view as ev
from sim.app import logic
from sim.cli.main import main
from sim.outcomes import registry
from sim.outcomes.matching import VISIBLE

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def synthetic_comparison(seed: int = 5) -> pd.DataFrame:
    """Rows of cohorts ``mdt`` and ``matched:x`` for scenario x, and an MDT scenario y with no evaluation."""
    rng = np.random.default_rng(seed)
    rows = []
    for scenario, cohorts in (("x", ["all", "mdt", "matched:x"]), ("y", ["all", "mdt"])):
        for cohort in cohorts:
            for metric in (*ev.METRICS, "bed_days"):
                pct = float(rng.normal(0, 20))
                rows.append((scenario, cohort, metric, pct, pct - rng.uniform(1, 9), pct + rng.uniform(1, 9)))
    return pd.DataFrame(rows, columns=["scenario", "cohort", "metric", "pct_change", "pct_ci_low", "pct_ci_high"])


def test_the_table_puts_the_estimate_beside_the_true_effect_and_their_difference():
    comparison = synthetic_comparison()
    table = ev.evaluation_table(comparison)
    assert list(table.columns) == ev.VIEW_COLUMNS
    assert list(table["scenario"].unique()) == ["x"] and list(table["metric"]) == list(ev.METRICS)
    for r in table.itertuples(index=False):
        own = comparison[(comparison["scenario"] == "x") & (comparison["metric"] == r.metric)]
        true = own[own["cohort"] == "mdt"].iloc[0]
        est = own[own["cohort"] == "matched:x"].iloc[0]
        assert (r.true_effect, r.true_ci_low, r.true_ci_high) == tuple(
            true[["pct_change", "pct_ci_low", "pct_ci_high"]]
        )
        assert (r.estimate, r.estimate_ci_low, r.estimate_ci_high) == tuple(
            est[["pct_change", "pct_ci_low", "pct_ci_high"]]
        )
        assert r.bias == pytest.approx(est["pct_change"] - true["pct_change"])
        assert math.isnan(r.bias_ci_low) and math.isnan(r.worst_smd)  # no kpis, no balance given
    words = ev.rows_in_words(table, "x")
    assert [w[0] for w in words] == [registry.label(m) for m in ev.METRICS]
    assert words[0][3] == f"{table['bias'].iloc[0]:+.1f} pp"
    assert ev.rows_in_words(table, "y") == []


def kpis_for(true_pct: np.ndarray, estimate_pct: np.ndarray, reference: float = 200.0) -> pd.DataFrame:
    """kpis rows of one metric whose per-replication per-cent changes are the given ones (reference constant)."""
    rows = []
    for rep, (t, e) in enumerate(zip(true_pct, estimate_pct)):
        rows += [
            ("ref", rep, "mdt:x", "emergency_admissions", reference),
            ("x", rep, "mdt", "emergency_admissions", reference * (1 + t / 100)),
            ("ref", rep, "matched:x", "emergency_admissions", reference),
            ("x", rep, "matched:x", "emergency_admissions", reference * (1 + e / 100)),
        ]
    return pd.DataFrame(rows, columns=["scenario", "replication", "cohort", "metric", "value"])


def test_the_bias_interval_pairs_the_replications():
    rng = np.random.default_rng(11)
    true, estimate = rng.normal(-5, 3, 4), rng.normal(-20, 8, 4)
    half = ev.bias_half_width(kpis_for(true, estimate), "x", "emergency_admissions")
    differences = estimate - true  # with a constant reference, each replication's bias in pp
    expected = sps.t.ppf(0.975, 3) * differences.std(ddof=1) / math.sqrt(4)
    assert half == pytest.approx(expected)
    one = ev.bias_half_width(kpis_for(true[:1], estimate[:1]), "x", "emergency_admissions")
    assert math.isnan(one)


def test_the_balance_names_the_variables_over_the_bar():
    assert set(ev.VARIABLES) == set(VISIBLE)
    balance = pd.DataFrame(
        [
            ("x", 0, "age", 0.02),
            ("x", 1, "age", -0.15),
            ("x", 0, "risk_score", 0.05),
            ("x", 1, "risk_score", 0.01),
            ("z", 0, "age", 0.03),
        ],
        columns=["scenario", "replication", "variable", "smd"],
    ).assign(design="integrated_care_pilot")
    worst = ev.balance_table(balance)
    age = worst[(worst["scenario"] == "x") & (worst["variable"] == "age")].iloc[0]
    assert age["smd"] == -0.15 and not age["balanced"]
    said = ev.balance_sentence(worst, "x")
    assert ev.VARIABLES["age"] in said and "-0.15" in said and ev.VARIABLES["risk_score"] not in said
    assert "all standardised differences under 0.1" in ev.balance_sentence(worst, "z")
    table = ev.evaluation_table(synthetic_comparison(), balance=balance)
    assert (table["worst_smd"] == 0.15).all()


def test_the_page_shows_the_three_numbers_or_nothing():
    comparison = synthetic_comparison()
    text = logic.evaluation_markdown(comparison, "x")
    lines = text.splitlines()
    assert "True effect" in lines[0] and "Evaluation's estimate" in lines[0] and "Bias" in lines[0]
    table = ev.evaluation_table(comparison)
    first = table.iloc[0]
    assert lines[2].startswith(f"| {registry.label(first['metric'])} | {first['true_effect']:+.1f}%")
    assert logic.evaluation_markdown(comparison, "y") == ""


@pytest.fixture(scope="module")
def placebo(tmp_path_factory):
    out = tmp_path_factory.mktemp("placebo") / "out"
    argv = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "placebo_mdt.toml")]
    printed, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(err):
        code = main(["compare", *argv, "--population", "20000", "--reps", "2", "--out", str(out)])
    assert code == 0, err.getvalue()
    return out, printed.getvalue()


def test_a_placebo_comparison_shows_the_evaluation_in_the_report_and_the_terminal(placebo):
    out, printed = placebo
    comparison = pd.read_csv(out / "comparison.csv")
    table = ev.evaluation_table(comparison, pd.read_csv(out / "kpis.csv"), pd.read_csv(out / "matching_balance.csv"))
    assert list(table["scenario"].unique()) == ["placebo_mdt"] and len(table) == len(ev.METRICS)
    assert (table["true_effect"] == 0).all()  # enrolment changes nothing: the true effect is exactly zero
    assert (table["bias"] == table["estimate"]).all()
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index("<h2>What an evaluation would have seen</h2>") : html.index("<h2>Charts</h2>")]
    heads = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", section)]
    assert heads == ev.HEAD
    cells = [unescape(c) for c in re.findall(r"<td>(.*?)</td>", section)]
    for row in ev.rows_in_words(table, "placebo_mdt"):
        assert " ".join(row) in " ".join(cells)
    assert "docs/evaluation.md" in section and "standardised difference" in section
    # the terminal: after the main tables, the same three numbers (the bias without its interval)
    terminal = printed[printed.index("placebo_mdt: what an evaluation") :]
    for row in ev.rows_in_words(ev.evaluation_table(comparison), "placebo_mdt"):
        assert re.search(r"\s+".join(re.escape(c) for c in row), terminal), row
