"""Charts of an experiment (matplotlib): the comparison charts of :mod:`sim.reports.charts` and two of its own.

- :func:`ledger`: who pays and who saves in each scenario against the reference, by organisation in each cost
  view, with 95% intervals (:mod:`sim.reports.charts_ledger`);
- :func:`response_curve`: for a gridded experiment, the percent change of a few metrics against
  the swept parameter, with 95% bands;
- :func:`experiment_charts`: the charts asked for, by file stem, each stamped by :func:`stamp`;
  :func:`save_all` writes them as PNG and SVG.

The inputs are the runner's tidy frames (``kpis``, ``timeseries``, ``summary``, each with a ``grid``
column, NaN for un-gridded rows) and its ``meta`` dict.  In a gridded experiment the forest plot, the
time series, the costs by sector and the ledger show one grid point: ``meta["grid"]["show"]`` if given,
else the largest grid value; each gridded scenario X is labelled ``X @ <value>`` and the title says
which point is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.ledger import ledger_table
from sim.outcomes import registry
from sim.reports.charts import beds_chart, colour, costs_by_sector, forest_plot, over_time, plt
from sim.reports.charts_ledger import ledger_chart
from sim.reports.text import unstable

CHARTS = ("forest", "timeseries", "costs", "ledger", "response")
needs_grid = {"response"}
RESPONSE_METRICS = ("emergency_admissions", "bed_days", "delayed_discharge_days", "cost_total_gbp")
STAMP_INCHES = 0.22
ORGANISATION_METRICS = (*registry.COST_PROVIDERS, *registry.COST_PAYERS)  # the ledger's rows
GBP_PER_YEAR = "_gbp_per_year"


# --- the stamp -------------------------------------------------------------------------------------


def _grow_bottom(fig: Figure, inches: float) -> None:
    """Add an empty strip ``inches`` high under the figure, keeping everything already drawn in place."""
    w, h = fig.get_size_inches()
    new_h = h + inches

    def up(y: float) -> float:
        return (y * h + inches) / new_h

    anchors = [(leg, leg.get_bbox_to_anchor().transformed(fig.transFigure.inverted())) for leg in fig.legends]
    fig.set_size_inches(w, new_h)
    for ax in fig.axes:
        b = ax.get_position()
        ax.set_position((b.x0, up(b.y0), b.width, b.height * h / new_h))
    for text in fig.texts:
        if text.get_transform() == fig.transFigure:
            text.set_y(up(text.get_position()[1]))
    for leg, b in anchors:
        leg.set_bbox_to_anchor((b.x0, up(b.y0), b.width, b.height * h / new_h), transform=fig.transFigure)


def stamp(fig: Figure, meta: dict) -> Figure:
    """Add ``caresim <version> · seed <seed> · experiment <name>`` in small grey text at the bottom right."""
    _grow_bottom(fig, STAMP_INCHES)
    version, seed, name = (meta.get(k, "?") for k in ("caresim_version", "seed", "name"))
    text = f"caresim {version} · seed {seed} · experiment {name}"
    y = 0.3 * STAMP_INCHES / fig.get_size_inches()[1]
    fig.text(0.995, y, text, ha="right", va="bottom", fontsize=7, color="0.5")
    return fig


# --- grid points -----------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def grid_value_text(value: float | None, grid: dict | None = None) -> str:
    """A grid value in words: GBP million a year for a ``..._gbp_per_year`` parameter ('' for no grid point)."""
    if value is None:
        return ""
    if grid and str(grid.get("parameter", "")).endswith(GBP_PER_YEAR):
        return f"GBP {value / 1e6:g}m a year"
    return _number(value)


def grid_axis(grid: dict) -> tuple[str, float]:
    """The axis label of a grid and the divisor of its values."""
    label = grid.get("label") or grid["parameter"]
    if grid["parameter"].endswith(GBP_PER_YEAR):
        return f"{label} (GBP million a year)", 1e6
    return label, 1.0


def shown_grid_value(meta: dict) -> float | None:
    """The grid point the single-point charts show: ``grid["show"]`` if given, else the largest value."""
    grid = meta.get("grid")
    if not grid:
        return None
    return float(grid["show"]) if grid.get("show") is not None else float(max(grid["values"]))


def at_grid_point(frame: pd.DataFrame, value: float | None = None, grid: dict | None = None) -> pd.DataFrame:
    """Un-gridded rows, plus gridded rows at grid ``value`` (default: each scenario's largest value).

    Gridded scenarios are relabelled ``X @ <value>`` and their ``grid`` set to NaN, so this is idempotent.
    """
    if "grid" not in frame or frame["grid"].isna().all():
        return frame
    grid_col = frame["grid"].astype(float)
    target = (
        grid_col.groupby(frame["scenario"]).transform("max") if value is None else pd.Series(value, index=frame.index)
    )
    gridded = grid_col.notna()
    keep = ~gridded | np.isclose(grid_col, target.astype(float), rtol=1e-9, atol=0.0)
    out = frame[keep].copy()
    labels = [grid_value_text(v, grid) for v in out.loc[gridded[keep], "grid"]]
    out.loc[gridded[keep], "scenario"] = [f"{s} @ {t}" for s, t in zip(out.loc[gridded[keep], "scenario"], labels)]
    out["grid"] = math.nan
    return out


def _n1(table: pd.DataFrame) -> bool:
    return bool((table["n"] <= 1).any()) if "n" in table and len(table) else False


# --- ledger ----------------------------------------------------------------------------------------


def ledger(
    summary: pd.DataFrame,
    reference: str,
    grid_value: float | None = None,
    note: str = "",
    window_days: float | None = None,
) -> Figure:
    """Who pays and who saves in each scenario against ``reference``: :func:`sim.reports.charts_ledger.ledger_chart`.

    From the summary's cohort ``all`` (the rows ``ledger.csv`` holds); a gridded scenario is shown at
    ``grid_value`` (default: its largest grid value; see :func:`at_grid_point`).  The changes are totals over the
    statistics window of ``window_days``; ``note`` adds a line to the title.
    """
    table = at_grid_point(summary[summary["cohort"] == "all"], grid_value)
    table = table[table["scenario"] != reference]
    overloaded = {s for s, rows in table.groupby("scenario", sort=False) if unstable(rows)}
    rows = ledger_table(table.assign(scenario_mean=table["mean"], reference_mean=table["mean"] - table["diff_mean"]))
    return ledger_chart(rows, reference, window_days, overloaded, note)


# --- response curves -------------------------------------------------------------------------------


def response_curve(
    summary: pd.DataFrame, meta: dict, metrics: Sequence[str] = RESPONSE_METRICS, cohort: str = "all"
) -> Figure:
    """Percent change against the reference by grid value, one panel per metric, a 95% band per gridded scenario."""
    grid = meta.get("grid")
    if not grid:
        raise ValueError("response curves need a grid")
    xlabel, scale = grid_axis(grid)
    table = summary[
        (summary["cohort"] == cohort) & summary["grid"].notna() & (summary["scenario"] != meta["reference"])
    ]
    table = table.sort_values("grid", kind="stable")
    names = list(dict.fromkeys(table["scenario"]))
    metrics = [m for m in metrics if (table["metric"] == m).any()]
    ncols = min(len(metrics), 2) or 1
    nrows = math.ceil(len(metrics) / ncols) or 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.4 * nrows + 0.9), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        ax.axhline(0, color="0.4", lw=0.8)
        for i, name in enumerate(names):
            rows = table[(table["scenario"] == name) & (table["metric"] == metric)]
            x = rows["grid"].to_numpy(dtype=float) / scale
            ax.plot(x, rows["pct_change"].to_numpy(dtype=float), "o-", color=colour(i), ms=4, lw=1.6, label=name)
            ax.fill_between(
                x,
                np.clip(rows["pct_ci_low"].to_numpy(dtype=float), -100, None),  # nothing falls by more than all of it
                rows["pct_ci_high"].to_numpy(dtype=float),
                color=colour(i),
                alpha=0.18,
                lw=0,
            )
        ax.set_title(registry.label(metric), fontsize=10)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(f"% change against '{meta['reference']}'", fontsize=9)
        ax.grid(color="0.92")
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], marker="o", color=colour(i), label=n) for i, n in enumerate(names)]
    fig.legend(
        handles=handles, loc="lower center", ncol=min(len(names), 4) or 1, frameon=False, bbox_to_anchor=(0.5, 0.0)
    )
    band = "no bands (n=1)" if _n1(table) else "band: 95% interval"
    fig.suptitle(f"Response to {grid.get('label') or grid['parameter']}, cohort '{cohort}' ({band})", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return fig


# --- all charts ------------------------------------------------------------------------------------


def _label(name: str, meta: dict, value: float | None) -> str:
    grid = meta.get("grid")
    return f"{name} @ {grid_value_text(value, grid)}" if grid and name in grid.get("scenarios", ()) else name


def experiment_charts(frames: dict[str, pd.DataFrame], meta: dict, charts: Sequence[str]) -> dict[str, Figure]:
    """The charts named in ``charts`` (from :data:`CHARTS`), stamped, by file stem.

    ``response`` is skipped without a grid, ``forest`` and ``ledger`` without a scenario to compare with the
    reference (``ledger`` also without the organisations' costs among the metrics); the others show one grid
    point (:func:`shown_grid_value`).
    """
    unknown = [c for c in charts if c not in CHARTS]
    if unknown:
        raise ValueError(f"unknown chart(s) {', '.join(unknown)}; known: {', '.join(CHARTS)}")
    grid, value = meta.get("grid"), shown_grid_value(meta)
    shown = {key: at_grid_point(frames[key], value, grid) for key in ("kpis", "timeseries", "summary")}
    reference = _label(meta["reference"], meta, value)
    names = [_label(s["name"], meta, value) for s in meta["scenarios"]]
    names = [reference] + [n for n in names if n != reference]
    note = (
        f"grid point shown: {grid.get('label') or grid['parameter']} = {grid_value_text(value, grid)}" if grid else ""
    )
    title_note = f" ({note})" if note else ""
    comparison = shown["summary"][shown["summary"]["scenario"] != reference]
    compared = not comparison.empty  # no scenario to compare (only the reference, or every other one failed)
    makers = {
        "forest": lambda: {"forest_plot": forest_plot(comparison, reference, note=note)} if compared else {},
        "costs": lambda: {"costs_by_sector": costs_by_sector(shown["kpis"], names, note=note)},
        "timeseries": lambda: {
            "delayed_discharges": over_time(
                shown["timeseries"],
                "delayed_patients",
                names,
                "Patients in hospital awaiting discharge" + title_note,
                "patients delayed",
            ),
            "acute_beds_occupied": beds_chart(shown["kpis"], shown["timeseries"], names, title_note),
        },
        "ledger": lambda: (
            {"ledger": ledger(shown["summary"], reference, note=note, window_days=meta.get("horizon_days"))}
            if compared and comparison["metric"].isin(ORGANISATION_METRICS).any()  # none without their costs
            else {}
        ),
        "response": lambda: {"response_curves": response_curve(frames["summary"], meta)} if grid else {},
    }
    figures = {}
    for chart in dict.fromkeys(charts):
        figures.update(makers[chart]())
    return {stem: stamp(fig, meta) for stem, fig in figures.items()}


# no creation date in a chart, so that the same run always writes the same files (PNG carries none)
DETERMINISTIC: dict[str, dict[str, Any]] = {".png": {}, ".svg": {"Date": None}}


def save_all(figures: dict[str, Figure], out_dir) -> list[Path]:
    """Write each figure as ``<stem>.png`` (dpi 130) and ``<stem>.svg`` into ``out_dir``, close it; return the paths."""
    out = Path(out_dir)
    paths = []
    for stem, fig in figures.items():
        for suffix, dpi in ((".png", 130), (".svg", None)):
            path = out / f"{stem}{suffix}"
            fig.savefig(path, dpi=dpi if dpi is not None else "figure", metadata=DETERMINISTIC[suffix])
            paths.append(path)
        plt.close(fig)
    return paths
