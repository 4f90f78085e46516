"""The ledger: who pays and who saves, each organisation once per view, written by caresim compare."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from sim.analysis.compare import comparison_table, pairing, run_comparison
from sim.analysis.ledger import LEDGER_COLUMNS, ledger_table
from sim.outcomes.costs import VIEWS
from sim.scenarios.scenario import load


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s")
    body = 'name = "{n}"\n[place]\nregistered_population = 6000\n[time]\nhorizon_days = 60\nwarmup_days = 30\n{x}'
    move = '[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 300_000\nto = { reablement_places = 1.0 }\n'
    (folder / "a.toml").write_text(body.format(n="a", x=""))
    (folder / "b.toml").write_text(body.format(n="b", x=move))
    scenarios = [load(folder / "a.toml"), load(folder / "b.toml")]
    frames = run_comparison(scenarios, 2, seed=1)
    table = comparison_table(frames["kpis"], ["a", "b"], pairing(scenarios))
    return table, ledger_table(table)


def test_columns_and_each_organisation_once_per_view(compared):
    table, ledger = compared
    assert list(ledger.columns) == LEDGER_COLUMNS
    for view, organisations in VIEWS.items():
        part = ledger[ledger["view"] == view]
        assert sorted(part["organisation"]) == sorted(organisations)
    assert not ledger.duplicated(["scenario", "organisation", "view"]).any()
    assert set(ledger["organisation"][ledger["view"] == "provider"]).isdisjoint(
        ledger["organisation"][ledger["view"] == "commissioner"]
    )


def test_the_ledger_adds_up_to_the_comparison(compared):
    """Within a view the organisations' changes sum to the view's total change: no pound twice."""
    table, ledger = compared
    rows = table[table["cohort"] == "all"].set_index("metric")
    for view, total in (("provider", "cost_total_gbp"), ("commissioner", "cost_payment_total_gbp")):
        part = ledger[ledger["view"] == view]
        for column in ("reference_mean", "scenario_mean", "diff_mean"):
            assert part[column].sum() == pytest.approx(rows.loc[total, column], rel=1e-9)
    low = ledger["diff_ci_low"].to_numpy()
    assert (low <= ledger["diff_mean"].to_numpy() + 1e-6).all()


def test_compare_writes_the_ledger_and_says_who_pays(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "compare", "scenarios/baseline.toml", "scenarios/resource_shift.toml"]
    cmd += ["--population", "20000", "--reps", "2", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    ledger = pd.read_csv(out / "ledger.csv")
    assert list(ledger.columns) == LEDGER_COLUMNS
    assert set(ledger["scenario"]) == {"resource_shift"}
    assert "Who pays and who saves" in done.stdout and "Acute trust" in done.stdout and "ICB" in done.stdout
    assert "cashable: GBP" in done.stdout and "not cashable: GBP" in done.stdout
    assert "closed beds not yet or never cashed" in done.stdout
