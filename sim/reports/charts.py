"""Charts of a comparison (matplotlib): each function returns a Figure; the caller saves it.

- :func:`forest_plot`: percent change of the main metrics against the reference, with 95% intervals,
  for everyone (cohort ``all``) and the people enrolled in an MDT (cohort ``mdt``, against the same people);
- :func:`costs_by_sector`: mean cost per scenario, stacked by sector;
- :func:`over_time`: a weekly series (delayed patients, acute beds occupied), mean over replications
  with its 95% confidence band.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "caresim"  # the SVG's element ids from a fixed salt: the same run, the same file
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats as sps  # noqa: E402

from sim.outcomes import registry  # noqa: E402

FOREST_METRICS = registry.FOREST_MAIN
# each compared cohort's title, wrapped for a panel
COHORT_TITLES = {c: textwrap.fill(registry.cohort(c).compared, 48) for c in registry.COMPARED_COHORTS}
COLOURS = tuple(plt.get_cmap("tab10")(i) for i in range(10))  # tab10's ten colours (RGBA)


def colour(i: int):
    return COLOURS[i % len(COLOURS)]


def forest_plot(
    comparison: pd.DataFrame,
    reference: str,
    metrics: Sequence[str] = FOREST_METRICS,
    cohorts: Sequence[str] = ("all", "mdt"),
    note: str = "",
) -> Figure:
    """Percent change against ``reference`` with 95% intervals; one panel per cohort present.

    ``note`` adds a second line to the title.
    """
    present = [c for c in cohorts if (comparison["cohort"] == c).any()]
    present = present or ["all"]
    names = list(dict.fromkeys(comparison["scenario"]))
    metrics = [m for m in metrics if (comparison["metric"] == m).any()]
    fig, axes = plt.subplots(
        1,
        len(present),
        figsize=(5.2 * len(present) + 2.2, 0.42 * len(metrics) * max(1, len(names)) ** 0.5 + 1.8),
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(metrics))[::-1].astype(float)
    step = 0.7 / max(len(names), 1)
    for ax, cohort in zip(axes[0], present):
        ax.axvline(0, color="0.4", lw=0.8)
        for i, name in enumerate(names):
            rows = comparison[(comparison["scenario"] == name) & (comparison["cohort"] == cohort)].set_index("metric")
            offset = (i - (len(names) - 1) / 2) * step
            for yy, m in zip(y, metrics):
                if m not in rows.index:
                    continue
                r = rows.loc[m]
                if not math.isfinite(r["pct_change"]):
                    continue
                lo, hi = r["pct_ci_low"], r["pct_ci_high"]
                if math.isfinite(lo):
                    ax.errorbar(
                        r["pct_change"],
                        yy - offset,
                        xerr=[[r["pct_change"] - lo], [hi - r["pct_change"]]],
                        fmt="o",
                        color=colour(i),
                        ms=5,
                        capsize=3,
                        lw=1.4,
                    )
                else:
                    ax.plot(r["pct_change"], yy - offset, "o", color=colour(i), ms=5)
        ax.set_title(COHORT_TITLES.get(cohort, cohort), fontsize=10)
        ax.set_xlabel(f"% change against '{reference}' (95% interval)")
        ax.grid(axis="x", color="0.9")
        ax.set_axisbelow(True)
    axes[0][0].set_yticks(y)
    axes[0][0].set_yticklabels([registry.label(m) for m in metrics])
    handles = [plt.Line2D([], [], marker="o", ls="", color=colour(i), label=n) for i, n in enumerate(names)]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(names), 4), frameon=False, bbox_to_anchor=(0.5, 0.0))
    paired = comparison["paired"].astype(bool)
    pairs = "paired 95% intervals over replications, common random numbers"
    if (~paired).any():
        pairs = "paired 95% intervals, except unpaired (Welch) for " + ", ".join(
            dict.fromkeys(comparison.loc[~paired, "scenario"])
        )
    fig.suptitle(f"Change against '{reference}': {pairs}" + (f"\n{note}" if note else ""), fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.94 if note else 0.97))
    return fig


def costs_by_sector(kpis: pd.DataFrame, names: Sequence[str], cohort: str = "all", note: str = "") -> Figure:
    """Mean cost over replications by sector, stacked, one bar per scenario (GBP million).

    ``note`` adds a second line to the title.
    """
    sectors = list(registry.COST_SECTORS)
    k = kpis[(kpis["cohort"] == cohort) & kpis["metric"].isin(sectors)]
    means = k.groupby(["scenario", "metric"])["value"].mean().unstack("metric")
    means = means.reindex(index=list(names), columns=sectors).fillna(0.0) / 1e6
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(names) + 3), 4.6))
    bottom = np.zeros(len(names))
    x = np.arange(len(names))
    for i, metric in enumerate(sectors):
        vals = means[metric].to_numpy()
        ax.bar(x, vals, 0.6, bottom=bottom, label=registry.sector_title(metric), color=colour(i))
        bottom += vals
    for xi, total in zip(x, bottom):
        ax.text(
            float(xi),
            total,
            f"{total:,.1f}m" if bottom.max() >= 10 else f"{total:,.2f}m",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=15 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center")
    ax.set_ylabel("GBP million over the statistics window")
    ax.set_title(
        f"Costs by sector (cohort '{cohort}', mean over replications)" + (f"\n{note}" if note else ""), fontsize=10
    )
    ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_ylim(0, bottom.max() * 1.12 if bottom.max() > 0 else 1)
    fig.tight_layout()
    return fig


def over_time(
    timeseries: pd.DataFrame,
    series: str,
    names: Sequence[str],
    title: str,
    ylabel: str,
    levels: dict[str, float] | None = None,
    level_label: str = "",
) -> Figure:
    """One weekly series per scenario: mean over replications and its 95% confidence band.

    ``levels`` draws a dashed line per scenario (e.g. the beds it has).
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ts = timeseries[timeseries["series"] == series]
    for i, name in enumerate(names):
        g = ts[ts["scenario"] == name].groupby("day")["value"]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        ax.plot(mean.index, mean.to_numpy(), color=colour(i), lw=1.6, label=name)
        if (n > 1).all() and len(n):
            half = sps.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
            low = np.clip((mean - half).to_numpy(), 0, None)  # the series are counts
            ax.fill_between(mean.index, low, (mean + half).to_numpy(), color=colour(i), alpha=0.18, lw=0)
    for i, name in enumerate(names):
        if levels and name in levels and math.isfinite(levels[name]):
            ax.axhline(levels[name], color=colour(i), ls="--", lw=1.0)
    reps = ts.groupby("scenario")["replication"].nunique().max() if len(ts) else 0
    draws = ts.groupby("scenario")["draw"].nunique().max() if "draw" in ts and len(ts) else 0
    band = " (band: 95% CI of the mean)" if reps and reps > 1 else " (one replication: no band)"
    dashed = f"; dashed: {level_label}" if levels else ""
    runs = f"{draws} posterior draws x " if draws else ""
    ax.set_title(
        f"{title}\nmean of {runs}{reps} replication{'s' if reps != 1 else ''}, weekly{band}{dashed}", fontsize=10
    )
    ax.set_xlabel("day of the statistics window")
    ax.set_ylabel(ylabel)
    ax.grid(color="0.92")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def place_level(kpis: pd.DataFrame, metric: str) -> dict[str, float]:
    k = kpis[(kpis["cohort"] == "all") & (kpis["metric"] == metric)]
    return k.groupby("scenario")["value"].mean().to_dict()


def comparison_charts(
    frames: dict[str, pd.DataFrame], comparison: pd.DataFrame, names: Sequence[str]
) -> dict[str, Figure]:
    """Every chart of a comparison, by file name."""
    return {
        "forest_plot.png": forest_plot(comparison, names[0]),
        "costs_by_sector.png": costs_by_sector(frames["kpis"], names),
        "delayed_discharges.png": over_time(
            frames["timeseries"],
            "delayed_patients",
            names,
            "Patients in hospital awaiting discharge",
            "patients delayed",
        ),
        "acute_beds_occupied.png": over_time(
            frames["timeseries"],
            "acute_beds_occupied",
            names,
            "Acute beds occupied, all patients",
            "beds occupied",
            place_level(frames["kpis"], "acute_beds"),
            "beds (escalation beds aside)",
        ),
    }


def save(figures: dict[str, Figure], out_dir) -> list:
    """Write each figure as a PNG into ``out_dir``; return the paths (used by the CLI)."""
    from pathlib import Path

    paths = []
    for filename, fig in figures.items():
        path = Path(out_dir) / filename
        fig.savefig(path, dpi=130)
        plt.close(fig)
        paths.append(path)
    return paths
