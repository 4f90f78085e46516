"""The ledger in every output: ``caresim experiment`` writes ``ledger.csv``, the chart shows each organisation in
each view, the report and the page say who pays and who saves."""

from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from sim.analysis.ledger import LEDGER_COLUMNS
from sim.api.experiments import run_experiment
from sim.app import logic
from sim.cli.main import main
from sim.outcomes import registry
from sim.outcomes.costs import VIEWS, metric_of
from sim.reports.charts_experiment import experiment_charts, ledger
from sim.reports.charts_ledger import VIEW_COLOURS
from sim.reports.text import is_clear, window_years
from sim.scenarios.scenario import RunSettings, load

ROOT = Path(__file__).resolve().parents[1]
SHIFT = ROOT / "scenarios" / "resource_shift.toml"
HORIZON, WARMUP = 120, 30
GRID = (10_000_000, 30_000_000)  # GBP a year at 250,000 people: at 5,000 people, 1 and 2 beds and more
NAMES = registry.ORGANISATION_NAMES


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """The baseline and the resource shift over a two-point grid: 5,000 people, 2 replications, a short window."""
    folder = tmp_path_factory.mktemp("experiment")
    path = folder / "tiny.toml"
    path.write_text(
        f"""
name = "tiny_ledger"
description = "The resource shift against the baseline, for the ledger's tests."
scenarios = ["{(ROOT / "scenarios" / "baseline.toml").as_posix()}", "{SHIFT.as_posix()}"]
reference = "baseline"
replications = 2
seed = 3
population = 5000
horizon_days = {HORIZON}
warmup_days = {WARMUP}
[grid]
parameter = "shift[1].amount_gbp_per_year"
values = [{GRID[0]}, {GRID[1]}]
scenarios = ["resource_shift"]
""",
        encoding="utf-8",
    )
    return run_experiment(path, workers=1, out=folder / "out", progress=False)


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    """``caresim compare`` of the baseline and the resource shift at 20,000 people (one bed moves)."""
    out = tmp_path_factory.mktemp("compare") / "out"
    argv = ["compare", "baseline", str(SHIFT), "--population", "20000", "--reps", "2"]
    argv += ["--horizon-days", str(HORIZON), "--warmup-days", str(WARMUP), "--out", str(out)]
    assert main(argv) == 0
    return out


def test_experiment_writes_the_ledger_once_per_organisation_view_and_grid_point(experiment):
    path = experiment.folder / "ledger.csv"
    assert path in experiment.written
    table = pd.read_csv(path)
    assert list(table.columns) == LEDGER_COLUMNS[:1] + ["grid"] + LEDGER_COLUMNS[1:]
    pd.testing.assert_frame_equal(experiment.ledger, table)  # the API's result holds the file
    assert set(table["scenario"]) == {"resource_shift"}  # never the reference against itself
    assert sorted(table["grid"].unique()) == list(map(float, GRID))
    for (_, _, view), rows in table.groupby(["scenario", "grid", "view"]):
        assert list(rows["organisation"]) == list(VIEWS[view])
    # each row is the summary's change for that organisation, and the reference's mean
    summary = experiment.summary
    everyone = summary[summary["cohort"] == "all"].set_index(["scenario", "grid", "metric"])
    for r in table.itertuples():
        metric = metric_of(r.view, r.organisation)
        mine = everyone.loc[("resource_shift", r.grid, metric)]
        ref = summary[(summary["scenario"] == "baseline") & (summary["cohort"] == "all")]
        ref_mean = ref.loc[ref["metric"] == metric, "mean"].item()
        assert (r.diff_mean, r.diff_ci_low, r.diff_ci_high) == pytest.approx(
            (mine["diff_mean"], mine["diff_ci_low"], mine["diff_ci_high"]), rel=1e-9
        )
        assert (r.scenario_mean, r.reference_mean) == pytest.approx((mine["mean"], ref_mean), rel=1e-9)
    # the more money the shift moves, the more the community provider's cost rises
    community = table[table["organisation"] == "community_services"].set_index("grid")["diff_mean"]
    assert community[float(GRID[1])] > community[float(GRID[0])] > 0
    assert (experiment.folder / "ledger.png").is_file() and (experiment.folder / "ledger.svg").is_file()


@pytest.mark.parametrize("point", GRID)
def test_the_chart_shows_each_organisation_in_each_view_per_scenario(experiment, point):
    fig = ledger(experiment.summary, "baseline", grid_value=point, window_days=HORIZON)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")]
    table = experiment.ledger
    label = f"resource_shift @ {point:,.0f}"  # the grid point shown, in the scenario's title
    mine = [ax for ax in panels if ax.get_title(loc="left").startswith(label + ":")]
    assert len(mine) == len(panels) == 2  # one scenario compared: its two views
    summary = experiment.summary
    shown = summary[(summary["grid"] == point) | (summary["scenario"] == "baseline")]
    overloaded = shown[registry.UNSTABLE].astype(str).str.lower().eq("true").any()  # then nothing is clear
    for ax, view in zip(mine, VIEWS):
        assert f"{view} view" in ax.get_title(loc="left")
        unit = ax.get_ylabel()
        assert "GBP" in unit and f"over the {HORIZON}-day window" in unit
        ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
        assert ticks == [NAMES[o] for o in VIEWS[view]]
        bars = {p.get_gid(): p for p in ax.patches if p.get_gid()}
        assert sorted(bars) == sorted(f"{label}|{view}|{o}" for o in VIEWS[view])
        rows = table[(table["grid"] == point) & (table["view"] == view)].set_index("organisation")
        for org in VIEWS[view]:
            bar, r = bars[f"{label}|{view}|{org}"], rows.loc[org]
            assert bar.get_height() * r["diff_mean"] >= 0  # the change's sign
            filled = to_rgba(bar.get_facecolor()) == to_rgba(VIEW_COLOURS[view])
            assert filled == (is_clear(r) and not overloaded), (label, org)
    plt.close(fig)


def test_the_report_of_a_compare_folder_says_who_pays_and_who_saves(compared):
    assert (compared / "ledger.csv").is_file() and (compared / "ledger.png").is_file()
    page = html.unescape((compared / "report.html").read_text(encoding="utf-8"))
    start = page.index("<h2>Who pays and who saves</h2>")
    section = page[start : page.index("<h2>", start + 1)]
    for name in NAMES.values():
        assert f"<td>{name}</td>" in section, name
    assert "Providers' costs (provider view)" in section and "Payers' payments (commissioner view)" in section
    assert "Who pays and who saves (resource_shift, GBP a year, against the reference):" in section
    # the change of total cost split, with the shift's unspent remainder at this place
    shift = load(SHIFT, RunSettings(population=20_000)).shifts[0]
    assert shift.source.units_moved < 0 and shift.remainder_gbp > 0
    assert "Of it:" in section and "capacity held" in section and "activity" in section
    assert f"the shift's unspent remainder: GBP {shift.remainder_gbp:,.0f} a year" in section
    # the ledger's chart is embedded with its caption
    assert "Ledger. Who pays and who saves" in page


def test_the_page_panel_has_one_row_per_organisation_a_year(compared):
    comparison = pd.read_csv(compared / "comparison.csv")
    table = pd.read_csv(compared / "ledger.csv")
    panel = logic.who_pays(compared, comparison, "resource_shift")
    assert [r["Organisation"] for r in panel.rows] == [NAMES[o] for view in VIEWS for o in VIEWS[view]]
    years = window_years(HORIZON)
    for row, r in zip(panel.rows, table.itertuples()):
        assert int(row["GBP a year"].replace(",", "")) == round(r.diff_mean / years)
        assert row["Who"] == ("saves" if r.diff_mean < 0 else "pays more" if r.diff_mean > 0 else "no change")
    assert panel.split[0].startswith("Total cost ") and len(panel.split) >= 4
    assert panel.words[0].startswith("Who pays and who saves (resource_shift")
    markdown = panel.markdown()
    assert all(name in markdown for name in NAMES.values())
    assert re.search(r"^\| Organisation \| View \|", markdown)
    # without a ledger (a scenario not in it), no panel
    empty = logic.who_pays(compared, comparison, "not_run")
    assert (empty.rows, empty.split, empty.words) == ([], [], [])
    assert np.isfinite(table["diff_mean"]).all()


def test_the_ledger_chart_needs_the_organisations_costs(experiment):
    frames = {"kpis": experiment.kpis, "timeseries": experiment.timeseries, "summary": experiment.summary}
    meta = experiment.results.metadata
    assert set(experiment_charts(frames, meta, ["ledger"])) == {"ledger"}
    organisations = [metric_of(view, o) for view in VIEWS for o in VIEWS[view]]
    without = experiment.summary[~experiment.summary["metric"].isin(organisations)]
    assert experiment_charts({**frames, "summary": without}, meta, ["ledger"]) == {}
    plt.close("all")
