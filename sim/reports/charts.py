"""Charts of a comparison (matplotlib): each function returns a Figure; the caller saves it.

- :func:`forest_plot`: percent change of the main metrics against the reference, with 95% intervals,
  for everyone (cohort ``all``) and the people enrolled in an MDT (cohort ``mdt``, against the same people);
  its axis covers the bulk of the changes (:func:`bulk_range`), so one scenario far out does not flatten the
  others: what lies beyond is an arrowhead at the edge with its value written; clear changes are filled,
  by the text's rule (:func:`change_kind`);
- :func:`costs_by_sector`: mean cost per scenario, stacked by sector;
- :func:`over_time`: a weekly series (delayed patients, acute beds occupied), mean over replications
  with its 95% confidence band, kept inside the series' range (never below 0, never above the beds there
  are: :func:`beds_chart`, whose dashed core-bed lines are named in the legend);
- :func:`comparison_charts` adds the ledger, who pays and who saves (:mod:`sim.reports.charts_ledger`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "caresim"  # the SVG's element ids from a fixed salt: the same run, the same file
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats as sps  # noqa: E402

from sim.outcomes import registry  # noqa: E402
from sim.reports.text import SAME, flagged, is_clear, same_every_time  # noqa: E402

FOREST_METRICS = registry.FOREST_MAIN
# each compared cohort's title, wrapped for a panel
COHORT_TITLES = {c: textwrap.fill(registry.cohort(c).compared, 48) for c in registry.COMPARED_COHORTS}
# tab10's ten colours, then five dark shades of tab20b, so that up to 15 scenarios differ (RGBA)
COLOURS = tuple(plt.get_cmap("tab10")(i) for i in range(10)) + tuple(plt.get_cmap("tab20b")(i) for i in range(0, 20, 4))
# how the forest plot marks a change of each kind (see :func:`change_kind`): marker, filled, words for the legend
KINDS = {
    "clear": ("o", True, "filled: a clear change (95% interval excludes no change)"),
    "unclear": ("o", False, "hollow: no clear change"),
    "same": ("D", True, f"diamond: {SAME} (no spread, so no interval)"),
}
FENCE = 1.5  # Tukey's fence: how many spreads of the bulk beyond it a value may lie and still set the axis
BULK = (5.0, 95.0)  # the percentiles that bound the bulk of a forest plot's estimates and interval ends


def colour(i: int):
    return COLOURS[i % len(COLOURS)]


def change_kind(row: dict) -> str:
    """``same`` (identical in every replication: no interval), ``clear`` or ``unclear``: a change as the text calls it.

    The rules are :func:`sim.reports.text.same_every_time` and :func:`sim.reports.text.is_clear` (clear when the
    95% interval excludes no change, never with one replication or where either run is overloaded), so a chart
    and the words beside it never disagree.
    """
    r = SimpleNamespace(**row)
    if same_every_time(r):
        return "same"
    return "clear" if is_clear(r) else "unclear"


def bulk_range(values) -> tuple[float, float]:
    """The axis of the bulk of ``values`` (no change, 0, always inside), padded a little.

    Values beyond Tukey's fences (:data:`FENCE` times the spread between the 5th and 95th percentiles,
    beyond them) do not set it: percentiles rather than quartiles, as most measures hardly move and
    the quartiles would hide the ones that do; one scenario far out (a grown population, say) then no
    longer flattens the others.  The caller marks what lies beyond.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return -1.0, 1.0
    low, high = np.percentile(v, BULK)
    spread = high - low
    inside = v[(v >= low - FENCE * spread) & (v <= high + FENCE * spread)]
    lo, hi = min(float(inside.min()), 0.0), max(float(inside.max()), 0.0)
    pad = 0.06 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def _pct(v: float) -> str:
    return f"{v:+,.0f}%" if abs(v) >= 10 else f"{v:+.1f}%"


def _change(ax, x: float, y: float, lo: float, hi: float, kind: str, rgba, gid: str) -> set[str]:
    """One change and its interval on a forest plot's panel, clipped to the axis; returns what was clipped.

    A point beyond the axis becomes an arrowhead at its edge with its value written beside it
    (``point``); an interval beyond the axis ends in an arrowhead at the edge instead of a cap (``interval``).
    """
    clipped = set()
    left, right = ax.get_xlim()
    inset = 0.012 * (right - left)
    lo_edge, hi_edge = left + inset, right - inset

    def clip(v: float) -> float:
        return min(max(v, lo_edge), hi_edge)

    if kind != "same" and math.isfinite(lo) and math.isfinite(hi):
        ax.plot([clip(lo), clip(hi)], [y, y], color=rgba, lw=1.3, zorder=2)
        for end, beyond, head in ((lo, lo < lo_edge, "<"), (hi, hi > hi_edge, ">")):
            ax.plot(clip(end), y, head if beyond else "|", color=rgba, ms=5 if beyond else 6, zorder=2)
            clipped |= {"interval"} if beyond else set()
    marker, filled, _ = KINDS[kind]
    face = rgba if filled else "white"
    if lo_edge <= x <= hi_edge:
        (point,) = ax.plot(x, y, marker, mfc=face, mec=rgba, mew=1.4, ms=5.5, ls="", zorder=3)
    else:
        clipped.add("point")
        right_side = x > hi_edge
        (point,) = ax.plot(clip(x), y, ">" if right_side else "<", mfc=face, mec=rgba, mew=1.4, ms=8, ls="", zorder=3)
        ax.annotate(
            _pct(x),
            (clip(x), y),
            xytext=(-7 if right_side else 7, 2),
            textcoords="offset points",
            ha="right" if right_side else "left",
            va="bottom",
            fontsize=7.5,
            color=rgba,
            fontweight="bold",
        )
    point.set_gid(gid)
    return clipped


def forest_plot(
    comparison: pd.DataFrame,
    reference: str,
    metrics: Sequence[str] = FOREST_METRICS,
    cohorts: Sequence[str] = ("all", "mdt"),
    note: str = "",
) -> Figure:
    """Percent change against ``reference`` with 95% intervals; one panel per cohort present.

    Each panel's axis covers the bulk of its changes (:func:`bulk_range`); a change beyond it is an
    arrowhead at the edge with its value written.  Filled markers are clear changes, hollow ones are not,
    diamonds changed the same in every replication (:func:`change_kind`).  Each point's gid is
    ``<scenario>|<metric>|<cohort>``.  ``note`` adds a line to the title.
    """
    present = [c for c in cohorts if (comparison["cohort"] == c).any()]
    present = present or ["all"]
    names = list(dict.fromkeys(comparison["scenario"]))
    metrics = [m for m in metrics if (comparison["metric"] == m).any()]
    kinds: set[str] = set()
    clipped: set[str] = set()
    width = 5.2 * len(present) + 2.2
    fig, axes = plt.subplots(
        1,
        len(present),
        figsize=(width, 0.42 * len(metrics) * max(1, len(names)) ** 0.5 + 1.8),
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(metrics))[::-1].astype(float)
    step = 0.7 / max(len(names), 1)
    for ax, cohort in zip(axes[0], present):
        rows = comparison[(comparison["cohort"] == cohort) & comparison["metric"].isin(metrics)]
        rows = rows[np.isfinite(rows["pct_change"].astype(float))]
        ax.set_xlim(*bulk_range(rows[["pct_change", "pct_ci_low", "pct_ci_high"]].to_numpy(dtype=float).ravel()))
        ax.axvline(0, color="0.4", lw=0.8)
        where = {m: yy for yy, m in zip(y, metrics)}
        order = {n: i for i, n in enumerate(names)}
        for r in rows.to_dict("records"):
            i = order[r["scenario"]]
            kind = change_kind(r)
            kinds.add(kind)
            clipped |= _change(
                ax,
                float(r["pct_change"]),
                where[r["metric"]] - (i - (len(names) - 1) / 2) * step,
                float(r["pct_ci_low"]),
                float(r["pct_ci_high"]),
                kind,
                colour(i),
                f"{r['scenario']}|{r['metric']}|{cohort}",
            )
        ax.set_title(COHORT_TITLES.get(cohort, cohort), fontsize=10)
        ax.set_xlabel(f"% change against '{reference}' (95% interval)")
        ax.grid(axis="x", color="0.9")
        ax.set_axisbelow(True)
    axes[0][0].set_yticks(y)
    axes[0][0].set_yticklabels([registry.label(m) for m in metrics])
    axes[0][0].set_ylim(y.min() - 0.6, y.max() + 0.6)
    handles = [plt.Line2D([], [], marker="o", ls="", color=colour(i), label=n) for i, n in enumerate(names)]
    keys = [k for k in KINDS if k in kinds or k != "same"]
    handles += [
        plt.Line2D(
            [], [], marker=KINDS[k][0], ls="", mec="0.2", mfc="0.2" if KINDS[k][1] else "white", label=KINDS[k][2]
        )
        for k in keys
    ]
    if "point" in clipped:
        handles.append(
            plt.Line2D([], [], marker=">", ls="", color="0.2", label="change beyond the axis: value written")
        )
    if "interval" in clipped:
        handles.append(plt.Line2D([], [], marker=">", ls="-", ms=5, color="0.2", label="interval runs beyond the axis"))
    ncol = min(len(handles), 2 if width < 9 else 4)
    legend_rows = math.ceil(len(handles) / ncol)
    fig.legend(handles=handles, loc="lower center", ncol=ncol, frameon=False, fontsize=8.5, bbox_to_anchor=(0.5, 0.0))
    paired = comparison["paired"].astype(bool)
    pairs = "paired 95% intervals over replications, common random numbers"
    if (~paired).any():
        pairs = "paired 95% intervals, except unpaired (Welch) for " + ", ".join(
            dict.fromkeys(comparison.loc[~paired, "scenario"])
        )
    overloaded = []
    if registry.UNSTABLE in comparison:
        overloaded = list(dict.fromkeys(comparison.loc[comparison[registry.UNSTABLE].map(flagged), "scenario"]))
    lines = [f"Change against '{reference}': {pairs}"]
    if overloaded:
        lines.append(f"overloaded, so no change called clear: {', '.join(overloaded)}")
    if note:
        lines.append(note)
    fig.suptitle("\n".join(lines), fontsize=10)
    height = fig.get_size_inches()[1]
    bottom = min(0.4, (0.22 * legend_rows + 0.15) / height)
    fig.tight_layout(rect=(0, bottom, 1, 1 - (0.16 * len(lines) + 0.1) / height))
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
    ceilings: dict[str, float] | None = None,
) -> Figure:
    """One weekly series per scenario: mean over replications and its 95% confidence band.

    The series are counts, so a band never runs below 0, nor above a scenario's ``ceilings`` (the most
    the series can be, e.g. the beds that can be occupied).  ``levels`` draws a dashed line per scenario
    (e.g. the beds it has), named ``level_label`` in the legend.
    """
    fig, ax = plt.subplots(figsize=(10.5, 4.4))
    ts = timeseries[timeseries["series"] == series]
    for i, name in enumerate(names):
        g = ts[ts["scenario"] == name].groupby("day")["value"]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        ax.plot(mean.index, mean.to_numpy(), color=colour(i), lw=1.6, label=name)
        if (n > 1).all() and len(n):
            half = sps.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
            top = (ceilings or {}).get(name, math.inf)
            low, high = (np.clip(b.to_numpy(), 0, top) for b in (mean - half, mean + half))
            ax.fill_between(mean.index, low, high, color=colour(i), alpha=0.18, lw=0)
    drawn = False
    for i, name in enumerate(names):
        if levels and name in levels and math.isfinite(levels[name]):
            ax.axhline(levels[name], color=colour(i), ls="--", lw=1.0)
            drawn = True
    handles, _ = ax.get_legend_handles_labels()
    if drawn:
        handles.append(plt.Line2D([], [], color="0.3", ls="--", lw=1.0, label=f"{level_label}, dashed"))
    reps = ts.groupby("scenario")["replication"].nunique().max() if len(ts) else 0
    draws = ts.groupby("scenario")["draw"].nunique().max() if "draw" in ts and len(ts) else 0
    band = " (band: 95% CI of the mean)" if reps and reps > 1 else " (one replication: no band)"
    runs = f"{draws} posterior draws x " if draws else ""
    ax.set_title(f"{title}\nmean of {runs}{reps} replication{'s' if reps != 1 else ''}, weekly{band}", fontsize=10)
    ax.set_xlabel("day of the statistics window")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(color="0.92")
    ax.legend(handles=handles, frameon=False, fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def place_level(kpis: pd.DataFrame, metric: str) -> dict[str, float]:
    k = kpis[(kpis["cohort"] == "all") & (kpis["metric"] == metric)]
    return k.groupby("scenario")["value"].mean().to_dict()


CORE_BEDS = "core beds (capacity)"  # the beds chart's dashed lines, in its legend


def bed_ceilings(kpis: pd.DataFrame, timeseries: pd.DataFrame) -> dict[str, float]:
    """The most beds each scenario can have occupied: its core beds and the escalation beds it opened.

    Escalation beds open only when every core bed is full, up to a cap; the most seen in use (the
    ``escalation_beds_in_use`` series) stands for that cap, which the outputs do not record.
    """
    core = place_level(kpis, "acute_beds")
    escalation = timeseries[timeseries["series"] == "escalation_beds_in_use"].groupby("scenario")["value"].max()
    return {name: beds + float(escalation.get(name, 0.0)) for name, beds in core.items()}


def beds_chart(kpis: pd.DataFrame, timeseries: pd.DataFrame, names: Sequence[str], note: str = "") -> Figure:
    """Acute beds occupied by all patients, week by week, with each scenario's core beds dashed."""
    return over_time(
        timeseries,
        "acute_beds_occupied",
        names,
        "Acute beds occupied, all patients (escalation beds open above the core beds)" + note,
        "beds occupied",
        place_level(kpis, "acute_beds"),
        CORE_BEDS,
        bed_ceilings(kpis, timeseries),
    )


def comparison_charts(
    frames: dict[str, pd.DataFrame], comparison: pd.DataFrame, names: Sequence[str], window_days: float | None = None
) -> dict[str, Figure]:
    """Every chart of a comparison, by file name; ``window_days``, the statistics window, for the ledger's label."""
    from sim.analysis.ledger import ledger_table
    from sim.reports.charts_ledger import ledger_chart

    money = ledger_table(comparison)
    flags = comparison[registry.UNSTABLE] if registry.UNSTABLE in comparison else pd.Series(False, comparison.index)
    overloaded = {s for s, f in zip(comparison["scenario"], flags) if flagged(f)}
    ledger = {"ledger.png": ledger_chart(money, names[0], window_days, overloaded)} if len(money) else {}
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
        "acute_beds_occupied.png": beds_chart(frames["kpis"], frames["timeseries"], names),
        **ledger,
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
