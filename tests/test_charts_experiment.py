"""Charts of an experiment: every chart asked for, stamped, saved; the ledger and response curves show the summary."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from sim import __version__
from sim.analysis.compare import compare_values
from sim.analysis.stats import mean_ci
from sim.outcomes import registry
from sim.outcomes.costs import VIEWS, metric_of
from sim.reports.charts_experiment import (
    CHARTS,
    RESPONSE_METRICS,
    STAMP_INCHES,
    experiment_charts,
    ledger,
    needs_grid,
    response_curve,
    save_all,
)
from sim.reports.charts_ledger import money_unit

GRID = (0.0, 1_000_000.0, 2_000_000.0)
PARAMETER = "shift.0.amount_gbp_per_year"
BASE = {
    "cost_primary_care_gbp": 3e6,
    "cost_community_gbp": 2e6,
    "cost_hospital_gbp": 9e6,
    "cost_social_care_gbp": 5e6,
    "gp_contacts": 40_000,
    "outpatient_attendances": 9_000,
    "elective_admissions": 1_500,
    "emergency_admissions": 2_000,
    "bed_days": 15_000,
    "care_home_admissions": 120,
    "mdt_reviews": 800,
    "rapid_responses": 300,
    "delayed_discharge_days": 2_500,
    "crises": 3_000,
    "ae_attendances": 4_000,
    "deaths": 900,
    "acute_beds": 90,
    # the ledger's organisations: providers, then payers
    "cost_provider_acute_trust_gbp": 9e6,
    "cost_provider_community_services_gbp": 2e6,
    "cost_provider_gp_practices_gbp": 3e6,
    "cost_provider_council_social_work_gbp": 0.5e6,
    "cost_provider_care_providers_gbp": 4.5e6,
    "cost_paid_icb_gbp": 11e6,
    "cost_paid_council_gbp": 3.5e6,
    "cost_paid_self_funders_gbp": 1.5e6,
}
LEDGER = [(view, org, metric_of(view, org)) for view, orgs in VIEWS.items() for org in orgs]
ALL_STEMS = {"forest_plot", "delayed_discharges", "acute_beds_occupied", "costs_by_sector", "ledger", "response_curves"}


def _effect(scenario: str, grid: float) -> float:
    """A relative change that grows with the grid value, different for each scenario."""
    if scenario == "baseline":
        return 0.0
    return {"shift": -0.04, "mdt_pilot": -0.02, "rapid": 0.01}[scenario] * (1 + (0 if math.isnan(grid) else grid / 1e6))


def make_experiment(gridded: bool = True, reps: int = 3, show: float | None = None):
    """Synthetic frames and meta: a reference, a gridded 'shift' (or 'rapid' without a grid) and 'mdt_pilot'."""
    rng = np.random.default_rng(11)
    points = [("baseline", math.nan), ("mdt_pilot", math.nan)]
    points += [("shift", g) for g in GRID] if gridded else [("rapid", math.nan)]
    kpis, series = [], []
    for scenario, grid in points:
        cohorts = ["all", "65plus"] + (
            ["mdt"] if scenario == "mdt_pilot" else ["mdt:mdt_pilot"] if scenario == "baseline" else []
        )
        for rep in range(reps):
            noise = rng.normal(0, 0.01)
            for cohort in cohorts:
                share = 0.3 if cohort.startswith("mdt") else 1.0
                for metric, base in BASE.items():
                    value = base * share * (1 + _effect(scenario, grid) + noise + rng.normal(0, 0.005))
                    kpis.append((scenario, grid, rep, cohort, metric, value))
                total = sum(v for s, g, r, c, m, v in kpis[-len(BASE) :] if m in registry.COST_SECTORS)
                kpis.append((scenario, grid, rep, cohort, "cost_total_gbp", total))
            for day in range(0, 70, 7):
                for name, level in (("acute_beds_occupied", 85), ("delayed_patients", 12)):
                    series.append(
                        (scenario, grid, rep, day, name, level * (1 + _effect(scenario, grid)) + rng.normal(0, 1))
                    )
    kpis = pd.DataFrame(kpis, columns=["scenario", "grid", "replication", "cohort", "metric", "value"])
    timeseries = pd.DataFrame(series, columns=["scenario", "grid", "replication", "day", "series", "value"])
    grid = {"parameter": PARAMETER, "values": list(GRID), "scenarios": ["shift"]} if gridded else None
    if grid and show is not None:
        grid["show"] = show
    meta = {
        "name": "shift_sweep",
        "caresim_version": __version__,
        "seed": 42,
        "reference": "baseline",
        "scenarios": [{"name": s} for s in dict.fromkeys(p[0] for p in points)],
        "grid": grid,
    }
    return {"kpis": kpis, "timeseries": timeseries, "summary": summarise(kpis)}, meta


def summarise(kpis: pd.DataFrame) -> pd.DataFrame:
    """The runner's summary: paired changes against 'baseline' per (scenario, grid, cohort, metric)."""
    ref = {
        key: g.set_index("replication")["value"]
        for key, g in kpis[kpis["scenario"] == "baseline"].groupby(["cohort", "metric"])
    }
    rows = []
    for (scenario, grid, cohort, metric), g in kpis.groupby(
        ["scenario", "grid", "cohort", "metric"], dropna=False, sort=False
    ):
        n, mean, _, lo, hi = mean_ci(g["value"])
        row = {
            "scenario": scenario,
            "grid": grid,
            "cohort": cohort,
            "metric": metric,
            "n": n,
            "mean": mean,
            "ci_low": lo,
            "ci_high": hi,
            "paired": True,
        }
        if scenario != "baseline":
            ref_cohort = "mdt:" + scenario if cohort == "mdt" else cohort
            row.update(compare_values(ref[(ref_cohort, metric)], g.set_index("replication")["value"], paired=True))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(registry.SUMMARY_COLUMNS))


def stamp_text(meta: dict) -> str:
    return f"caresim {meta['caresim_version']} · seed {meta['seed']} · experiment {meta['name']}"


def at(summary: pd.DataFrame, scenario: str, metric: str, grid: float = math.nan, cohort: str = "all") -> pd.Series:
    same_grid = summary["grid"].isna() if math.isnan(grid) else np.isclose(summary["grid"], grid)
    r = summary[
        (summary["scenario"] == scenario) & same_grid & (summary["cohort"] == cohort) & (summary["metric"] == metric)
    ]
    assert len(r) == 1, (scenario, grid, metric)
    return r.iloc[0]


def bars(fig) -> dict[str, float]:
    """The ledger's bars by gid ('<scenario>|<view>|<organisation>'): their heights."""
    return {p.get_gid(): p.get_height() for ax in fig.axes for p in ax.patches if p.get_gid()}


@pytest.mark.parametrize("gridded, reps", [(True, 3), (False, 3), (True, 1), (False, 1)])
def test_every_chart_comes_back_stamped_and_is_saved(tmp_path, gridded, reps):
    frames, meta = make_experiment(gridded, reps)
    figures = experiment_charts(frames, meta, CHARTS)
    assert set(figures) == (ALL_STEMS if gridded else ALL_STEMS - {"response_curves"})
    for stem, fig in figures.items():
        (mark,) = [t for t in fig.texts if t.get_text() == stamp_text(meta)]
        # inside the figure, at the bottom right, and clear of everything else drawn
        renderer = fig.canvas.get_renderer()
        box = mark.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and fig.bbox.y0 <= box.y0, stem
        assert box.y1 < STAMP_INCHES * fig.dpi and box.x1 > 0.9 * fig.bbox.x1, stem
        others = (
            [ax.get_tightbbox(renderer) for ax in fig.axes]
            + [leg.get_window_extent(renderer) for leg in fig.legends]
            + [t.get_window_extent(renderer) for t in fig.texts if t is not mark]
        )
        assert not any(box.overlaps(o) for o in others), stem
    paths = save_all(figures, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{s}.{ext}" for s in figures for ext in ("png", "svg"))
    for path in paths:
        data = path.read_bytes()
        assert len(data) > 1000, path.name
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data[:2000]
    assert not set(plt.get_fignums()) & {f.number for f in figures.values()}


def test_only_the_charts_asked_for_and_response_needs_a_grid():
    frames, meta = make_experiment(gridded=False)
    assert needs_grid == {"response"}
    assert set(experiment_charts(frames, meta, ["ledger", "response"])) == {"ledger"}
    frames, meta = make_experiment(gridded=True)
    assert set(experiment_charts(frames, meta, ["response"])) == {"response_curves"}
    with pytest.raises(ValueError, match="forest_plot"):
        experiment_charts(frames, meta, ["forest_plot"])
    with pytest.raises(ValueError, match="grid"):
        response_curve(*make_experiment(gridded=False))
    plt.close("all")


@pytest.mark.parametrize("show", [None, 1_000_000.0])
def test_the_ledger_bars_are_the_summary_changes_at_the_grid_point_shown(show):
    frames, meta = make_experiment(gridded=True, show=show)
    fig = experiment_charts(frames, meta, ["ledger"])["ledger"]
    point = 2_000_000.0 if show is None else show  # the largest grid value unless one is named
    label = f"shift @ GBP {point / 1e6:g}m a year"
    assert f"= GBP {point / 1e6:g}m a year" in fig.texts[0].get_text()
    summary, got = frames["summary"], bars(fig)
    rows = {
        f"{scenario}|{view}|{org}": at(summary, scenario.split(" @ ")[0], metric, grid)
        for scenario, grid in ((label, point), ("mdt_pilot", math.nan))
        for view, org, metric in LEDGER
    }
    # one bar per organisation in each view, in the unit the chart's labels name
    scale, unit = money_unit([v for r in rows.values() for v in (r["diff_mean"], r["diff_ci_low"], r["diff_ci_high"])])
    assert set(got) == set(rows)
    for gid, height in got.items():
        assert height == pytest.approx(rows[gid]["diff_mean"] / scale, rel=1e-12), gid
    assert all(unit in ax.get_ylabel() for ax in fig.axes if ax.get_visible() and ax.patches)
    # the error bars are the 95% intervals, in the same unit
    spans = sorted(
        tuple(sorted(seg[:, 1]))
        for ax in fig.axes
        for c in ax.collections
        if isinstance(c, LineCollection)
        for seg in c.get_segments()
        if np.ptp(seg[:, 1]) > 0
    )
    np.testing.assert_allclose(
        spans, sorted((r["diff_ci_low"] / scale, r["diff_ci_high"] / scale) for r in rows.values()), rtol=1e-9
    )
    plt.close(fig)


def test_the_ledger_with_one_replication_draws_bars_without_intervals():
    frames, meta = make_experiment(gridded=False, reps=1)
    fig = ledger(frames["summary"], "baseline")
    assert "n=1" in fig.texts[0].get_text()
    assert not any(isinstance(c, LineCollection) for ax in fig.axes for c in ax.collections)
    got = bars(fig)
    scale, _ = money_unit(frames["summary"]["diff_mean"][frames["summary"]["metric"].isin([m for *_, m in LEDGER])])
    assert got["rapid|provider|acute_trust"] == pytest.approx(
        at(frames["summary"], "rapid", "cost_provider_acute_trust_gbp")["diff_mean"] / scale
    )
    assert len(got) == 2 * len(LEDGER)
    plt.close(fig)


def test_the_response_curves_are_the_percent_changes_in_grid_order():
    frames, meta = make_experiment(gridded=True)
    summary = frames["summary"].sample(frac=1.0, random_state=3)  # the order of the rows must not matter
    fig = response_curve(summary, meta)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [registry.label(m) for m in RESPONSE_METRICS]
    for ax, metric in zip(panels, RESPONSE_METRICS):
        assert ax.get_xlabel() == f"{PARAMETER} (GBP million a year)"
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "shift"]
        np.testing.assert_allclose(line.get_xdata(), np.array(GRID) / 1e6)
        np.testing.assert_allclose(line.get_ydata(), [at(summary, "shift", metric, g)["pct_change"] for g in GRID])
        assert len(ax.collections) == 1  # the 95% band
        band = ax.collections[0].get_paths()[0].vertices[:, 1]
        lows = [at(summary, "shift", metric, g)["pct_ci_low"] for g in GRID]
        assert band.min() == pytest.approx(min(lows))
    # the effect grows with the amount shifted: the synthetic falls deepen along the grid
    assert np.all(np.diff(panels[0].get_lines()[1].get_ydata()) < 0)
    plt.close(fig)


def test_gridded_charts_show_the_grid_point_named_in_meta():
    frames, meta = make_experiment(gridded=True, show=1_000_000.0)
    figures = experiment_charts(frames, meta, ["costs", "forest", "timeseries"])
    ax = figures["costs_by_sector"].axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["baseline", "mdt_pilot", "shift @ GBP 1m a year"]
    assert "GBP 1m a year" in ax.get_title()
    k = frames["kpis"]
    at_point = k[
        (k["scenario"] == "shift")
        & (k["grid"] == 1e6)
        & (k["cohort"] == "all")
        & k["metric"].isin(registry.COST_SECTORS)
    ]
    stacked = sum(p.get_height() for p in ax.patches if abs(p.get_x() + p.get_width() / 2 - 2) < 1e-9)
    assert stacked == pytest.approx(at_point.groupby("metric")["value"].mean().sum() / 1e6)
    assert "GBP 1m a year" in figures["forest_plot"].texts[0].get_text()
    legend = figures["delayed_discharges"].axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == labels
    plt.close("all")
