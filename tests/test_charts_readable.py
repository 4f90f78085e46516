"""Charts a reader can read: an outlier does not flatten the forest plot, clear changes are marked, the
ledger's panels name their scenario, view and unit, bands stay inside their quantity's range, capacity is in the legend.

Each test draws a chart from a small synthetic table and inspects the matplotlib objects.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from sim.outcomes import registry
from sim.reports.charts import CORE_BEDS, KINDS, beds_chart, bulk_range, colour, forest_plot, over_time
from sim.reports.charts_experiment import ledger, save_all

METRICS = ("emergency_admissions", "bed_days", "delayed_discharge_days", "deaths")
REFERENCE_MEAN = 1000.0


def change(scenario: str, metric: str, pct: float, half: float, cohort: str = "all", **extra) -> dict:
    """One row of comparison.csv: a change of ``pct`` per cent, its interval ``pct`` +/- ``half``."""
    diff = REFERENCE_MEAN * pct / 100
    return {
        "scenario": scenario,
        "cohort": cohort,
        "metric": metric,
        "reference_mean": REFERENCE_MEAN,
        "scenario_mean": REFERENCE_MEAN + diff,
        "diff_mean": diff,
        "diff_ci_low": diff - REFERENCE_MEAN * half / 100,
        "diff_ci_high": diff + REFERENCE_MEAN * half / 100,
        "pct_change": pct,
        "pct_ci_low": pct - half,
        "pct_ci_high": pct + half,
        "paired": True,
        registry.UNSTABLE: False,
        **extra,
    }


def points(fig) -> dict[str, plt.Line2D]:
    """The forest plot's points by gid ('<scenario>|<metric>|<cohort>')."""
    return {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}


def test_an_outlier_does_not_set_the_forest_plots_axis_but_is_marked_with_its_value():
    rng = np.random.default_rng(5)
    rows = [change(f"s{i}", m, float(rng.uniform(-5, 5)), float(rng.uniform(1, 3))) for i in range(9) for m in METRICS]
    rows += [change("growth", m, 4.0, 2.0) for m in METRICS[:-1]]
    rows.append(change("growth", "delayed_discharge_days", 600.0, 150.0))
    fig = forest_plot(pd.DataFrame(rows), "baseline")
    (ax,) = fig.axes
    left, right = ax.get_xlim()
    bulk = [r for r in rows if r["pct_change"] != 600.0]
    # every other change and interval fits, and they fill the axis rather than a sliver of it
    assert left <= min(r["pct_ci_low"] for r in bulk) and right >= max(r["pct_ci_high"] for r in bulk)
    assert right < 450.0 and right - left < 40.0
    # the outlier: an arrowhead at the right edge, with its value written beside it
    outlier = points(fig)["growth|delayed_discharge_days|all"]
    assert outlier.get_marker() == ">" and left < outlier.get_xdata()[0] <= right
    assert [t.get_text() for t in ax.texts] == ["+600%"]
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any("beyond the axis" in t for t in legend)
    plt.close(fig)


def test_bulk_range_keeps_a_spread_of_real_changes_and_drops_a_far_one():
    spread = np.linspace(-80, 40, 50)  # changes of every size, none far from the rest
    lo, hi = bulk_range(spread)
    assert lo <= -80 and hi >= 40
    lo, hi = bulk_range(np.append(spread, 900.0))
    assert lo <= -80 and 40 <= hi < 900


def test_clear_changes_are_filled_unclear_hollow_and_same_every_time_diamonds():
    rows = [
        change("a", "emergency_admissions", -6.0, 2.0),  # interval -8 to -4: clear
        change("a", "bed_days", -2.0, 3.0),  # interval -5 to +1: not clear
        change("a", "delayed_discharge_days", 5.0, 0.0),  # the same in every replication
        change("b", "emergency_admissions", 9.0, 2.0, **{registry.UNSTABLE: True}),  # overloaded: never clear
        change("b", "bed_days", 3.0, 1.0),  # clear
    ]
    fig = forest_plot(pd.DataFrame(rows), "baseline")
    got = points(fig)
    a, b = to_rgba(colour(0)), to_rgba(colour(1))
    faces = {gid: to_rgba(ln.get_markerfacecolor()) for gid, ln in got.items()}
    assert faces["a|emergency_admissions|all"] == a and faces["b|bed_days|all"] == b
    assert faces["a|bed_days|all"] == to_rgba("white")
    assert faces["b|emergency_admissions|all"] == to_rgba("white")
    assert got["a|delayed_discharge_days|all"].get_marker() == "D"
    assert {got[g].get_marker() for g in got if "delayed" not in g} == {"o"}
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert {KINDS[k][2] for k in KINDS} <= set(legend)
    assert "overloaded" in fig.texts[0].get_text() and "b" in fig.texts[0].get_text()
    plt.close(fig)


LEDGER_METRICS = (*registry.COST_PROVIDERS, *registry.COST_PAYERS)


def ledger_summary(scenarios=("shift", "mdt")) -> pd.DataFrame:
    """A summary with a change in every organisation's cost for each scenario."""
    rows = []
    for k, scenario in enumerate(("baseline", *scenarios)):
        for j, metric in enumerate(LEDGER_METRICS):
            size = 1e6
            row = change(scenario, metric, 2.0 * (k + 1) * (-1) ** j, 1.0)
            row.update({"grid": math.nan, "n": 3, "mean": size, "ci_low": size, "ci_high": size})
            row.update({c: row[c] * size / REFERENCE_MEAN for c in ("diff_mean", "diff_ci_low", "diff_ci_high")})
            rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(registry.SUMMARY_COLUMNS))


@pytest.mark.parametrize("window_days, period", [(730.0, "over the 730-day window"), (None, "statistics window")])
def test_every_ledger_panel_names_its_scenario_and_its_unit(window_days, period):
    fig = ledger(ledger_summary(), "baseline", window_days=window_days)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert len(panels) == 4  # a provider and a commissioner panel per scenario
    for scenario in ("shift", "mdt"):
        mine = [ax for ax in panels if ax.get_title(loc="left").startswith(f"{scenario}:")]
        assert len(mine) == 2
        providers, payers = mine
        assert "provider view" in providers.get_title(loc="left")
        assert "commissioner view" in payers.get_title(loc="left")
        for ax in mine:
            assert "GBP" in ax.get_ylabel() and period in ax.get_ylabel()
    # the organisations by their names in words, never their code names
    ticks = [t.get_text().replace("\n", " ") for ax in panels for t in ax.get_xticklabels() if t.get_text()]
    names = list(registry.ORGANISATION_NAMES.values())
    assert ticks == 2 * names
    shown = " ".join([*ticks, *(ax.get_title(loc="left") for ax in panels), *(t.get_text() for t in fig.texts)])
    assert not any(m in shown for m in LEDGER_METRICS)
    assert not any(code in shown for code in registry.ORGANISATION_NAMES if "_" in code)
    plt.close(fig)


def series(values_by_rep: list[list[float]], name: str, scenario: str = "baseline") -> pd.DataFrame:
    """A weekly series, one list of values per replication."""
    return pd.DataFrame(
        [
            (scenario, rep, 7 * day, name, value)
            for rep, values in enumerate(values_by_rep)
            for day, value in enumerate(values)
        ],
        columns=["scenario", "replication", "day", "series", "value"],
    )


def band(fig) -> np.ndarray:
    """The y values of the band's outline."""
    (ax,) = fig.axes
    return np.concatenate([p.vertices[:, 1] for c in ax.collections for p in c.get_paths()])


def test_a_band_never_runs_below_zero():
    ts = series([[0, 0, 6], [0, 1, 0], [4, 0, 0]], "delayed_patients")
    g = ts.groupby("day")["value"]
    assert ((g.mean() - 4.303 * g.std() / np.sqrt(3)) < 0).any()  # an unclipped band would go below 0
    fig = over_time(ts, "delayed_patients", ["baseline"], "Delayed", "patients")
    y = band(fig)
    assert len(y) and y.min() >= 0.0
    plt.close(fig)


@pytest.mark.parametrize("escalation", [0, 2])
def test_the_beds_band_stays_under_the_beds_and_the_dashed_line_is_in_the_legend(escalation):
    core = 10.0
    full = core + escalation
    ts = pd.concat(
        [
            series([[full, 8, full], [full, full, 5], [6, full, full]], "acute_beds_occupied"),
            series([[escalation, 0, 0], [0, 0, 0], [0, 0, escalation]], "escalation_beds_in_use"),
        ]
    )
    kpis = pd.DataFrame(
        [("baseline", r, "all", "acute_beds", core) for r in range(3)],
        columns=["scenario", "replication", "cohort", "metric", "value"],
    )
    g = ts[ts["series"] == "acute_beds_occupied"].groupby("day")["value"]
    assert ((g.mean() + 4.303 * g.std() / np.sqrt(3)) > full).any()  # an unclipped band would exceed the beds
    fig = beds_chart(kpis, ts, ["baseline"])
    y = band(fig)
    assert len(y) and y.min() >= 0.0 and y.max() <= full + 1e-9
    assert y.max() == pytest.approx(full)  # clipped at the beds that exist, escalation beds included
    (ax,) = fig.axes
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(CORE_BEDS in t for t in legend) and "baseline" in legend
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert [ln.get_ydata()[0] for ln in dashed] == [core]
    plt.close(fig)


def test_fifteen_scenarios_get_fifteen_colours():
    assert len({to_rgba(colour(i)) for i in range(15)}) == 15


def test_the_same_inputs_draw_the_same_files(tmp_path):
    rows = [change("s", m, 3.0, 1.0) for m in METRICS] + [change("far", "deaths", 700.0, 50.0)]
    rows += [change("far", m, -2.0, 4.0) for m in METRICS[:-1]]
    files = []
    for run in ("a", "b"):
        out = tmp_path / run
        out.mkdir()
        figures = {
            "forest_plot": forest_plot(pd.DataFrame(rows), "baseline"),
            "ledger": ledger(ledger_summary(), "baseline"),
        }
        files.append({p.name: p.read_bytes() for p in save_all(figures, out)})
    assert files[0].keys() == {"forest_plot.png", "forest_plot.svg", "ledger.png", "ledger.svg"}
    assert files[0] == files[1]
