"""Charts by year (matplotlib): the main measures of each year of the statistics window, per scenario.

:func:`by_year` draws one panel per measure (:data:`YEARLY_METRICS`: emergency admissions, bed days, delayed
discharge days and total cost, cohort ``all``): each scenario's mean over replications year by year, with its 95%
confidence interval (a t interval, :func:`sim.analysis.stats.mean_ci`) as a band.  Only whole years are drawn: a
last part year holds less than a year's activity and would read as a fall (the title says when one is left out).
:func:`yearly_charts` returns it by file name where the window has two whole years or more, else nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.stats import mean_ci
from sim.outcomes import registry
from sim.outcomes.yearly import whole_years
from sim.reports.charts import colour, plt

YEARLY_METRICS = ("emergency_admissions", "bed_days", "delayed_discharge_days", "cost_total_gbp")
STEM = "results_by_year"  # the chart's file stem
MIN_YEARS = 2  # fewer whole years than this: no chart
LEGEND_COLUMNS = 5  # scenarios named side by side above the panels


def _scaled(metric: str, values: np.ndarray) -> tuple[np.ndarray, str]:
    """Costs in GBP millions (so the axis reads), anything else as it is; with the axis label."""
    if registry.is_cost(metric):
        return values / 1e6, "GBP million a year"
    return values, f"{registry.unit(metric)} a year"


def by_year(
    yearly: pd.DataFrame,
    names: Sequence[str],
    window_days: float,
    metrics: Sequence[str] = YEARLY_METRICS,
    cohort: str = "all",
    note: str = "",
) -> Figure:
    """Each of ``metrics`` year by year for scenarios ``names``: mean over replications (and posterior draws,
    where the rows have them) and its 95% confidence band; whole years only."""
    years = whole_years(window_days)
    rows = yearly[(yearly["cohort"] == cohort) & (yearly["year"] <= years)]
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 7.0), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        own = rows[rows["metric"] == metric]
        for i, name in enumerate(names):
            stats = [mean_ci(g["value"].to_numpy()) for _, g in own[own["scenario"] == name].groupby("year")]
            if not stats:
                continue
            x = np.asarray(sorted(own.loc[own["scenario"] == name, "year"].unique()), dtype=float)
            n, mean, _, low, high = (np.asarray(v, dtype=float) for v in zip(*stats))
            mean, label = _scaled(metric, mean)
            ax.plot(x, mean, color=colour(i), lw=1.6, marker="o", ms=3.5, label=name)
            if (n > 1).all():
                low, _ = _scaled(metric, low)
                high, _ = _scaled(metric, high)
                ax.fill_between(x, np.clip(low, 0, None), np.clip(high, 0, None), color=colour(i), alpha=0.18, lw=0)
            ax.set_ylabel(label)
        ax.set_title(registry.label(metric), fontsize=10)
        ax.set_xlabel("year of the statistics window")
        ax.set_xticks(range(1, years + 1))
        ax.set_ylim(bottom=0)
        ax.grid(color="0.92")
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    reps = int(rows.groupby("scenario")["replication"].nunique().max()) if len(rows) else 0
    draws = int(rows.groupby("scenario")["draw"].nunique().max()) if "draw" in rows and len(rows) else 0
    runs = f"{draws} posterior draws x " if draws else ""
    band = "band: 95% CI of the mean" if reps > 1 else "one replication: no band"
    part = "; the last part year is left out" if len(rows) and yearly["year"].max() > years else ""
    title = f"By year, everyone in the simulated cohort: mean of {runs}{reps} replication{'s' if reps != 1 else ''}"
    fig.suptitle(f"{title} ({band}{part})" + (f"\n{note}" if note else ""), fontsize=10.5)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    rows_of_names = -(-len(labels) // LEGEND_COLUMNS)
    top = 0.94 - (0.03 if note else 0.0) - 0.035 * rows_of_names  # the title, then the scenarios, above the panels
    fig.legend(
        handles,
        labels,
        frameon=False,
        fontsize=8.5,
        loc="upper center",
        ncol=LEGEND_COLUMNS,
        bbox_to_anchor=(0.5, top + 0.035 * rows_of_names),
    )
    fig.tight_layout(rect=(0, 0, 1, top))
    return fig


def yearly_charts(yearly: pd.DataFrame | None, names: Sequence[str], window_days: float, note: str = "") -> dict:
    """``{STEM: figure}`` when the window has :data:`MIN_YEARS` whole years or more and there are yearly rows."""
    if yearly is None or yearly.empty or whole_years(window_days) < MIN_YEARS:
        return {}
    return {STEM: by_year(yearly, names, window_days, note=note)}
