"""The ledger chart: who pays and who saves, by organisation in each cost view, with 95% intervals.

One row of two panels per scenario, each titled with the scenario: the providers' costs (provider view) and
the payers' payments (commissioner view), one bar per organisation, named in words
(:data:`sim.outcomes.registry.ORGANISATION_NAMES`): its change against the reference, a total over the
statistics window as in ``ledger.csv``, with its 95% interval.  A bar is filled when the change is clear
(:func:`sim.reports.text.is_clear`: the interval excludes no change, and neither run is overloaded) and hollow
when it is not.  The input is a ledger table (:func:`sim.analysis.ledger.ledger_table`); ``caresim compare``
(:func:`sim.reports.charts.comparison_charts`) and ``caresim experiment``
(:func:`sim.reports.charts_experiment.ledger`) draw it.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "caresim"  # the SVG's element ids from a fixed salt: the same run, the same file
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.outcomes import registry  # noqa: E402
from sim.outcomes.costs import VIEWS  # noqa: E402
from sim.reports.text import is_clear  # noqa: E402

VIEW_TITLES = {"provider": "providers' costs (provider view)", "commissioner": "payers' payments (commissioner view)"}
VIEW_COLOURS = {"provider": plt.get_cmap("tab10")(0), "commissioner": plt.get_cmap("tab10")(1)}
CLEAR = "filled: a clear change (its 95% interval excludes no change)"
UNCLEAR = "hollow: no clear change"
INTERVAL = "line: 95% interval"


def window_words(window_days: float | None) -> str:
    """The period a total covers: the statistics window, with its length when known."""
    return f"over the {window_days:,.0f}-day window" if window_days else "over the statistics window"


def money_unit(values) -> tuple[float, str]:
    """The divisor and unit that show ``values`` (GBP) in a few digits: GBP, GBP thousand or GBP million."""
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    if top >= 1e6:
        return 1e6, "GBP million"
    if top >= 1e4:
        return 1e3, "GBP thousand"
    return 1.0, "GBP"


def _panel(ax, rows: pd.DataFrame, name: str, view: str, scale: float, overloaded: bool) -> None:
    """One scenario's bars in one view: one per organisation, filled when clear, with its 95% interval."""
    orgs = [o for o in VIEWS[view] if o in set(rows["organisation"])]
    rows = rows.set_index("organisation").reindex(orgs)
    x = np.arange(len(orgs), dtype=float)
    colour = VIEW_COLOURS[view]
    for xi, (org, r) in zip(x, rows.iterrows()):
        d, lo, hi = (float(r[c]) for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
        if not math.isfinite(d):
            continue
        clear = is_clear(SimpleNamespace(diff_mean=d, diff_ci_low=lo, diff_ci_high=hi, unstable=overloaded))
        (bar,) = ax.bar(
            [xi], [d / scale], 0.6, color=colour if clear else "white", edgecolor=colour, linewidth=1.4
        ).patches
        bar.set_gid(f"{name}|{view}|{org}")
        top = d
        if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
            ax.errorbar(
                [xi],
                [d / scale],
                yerr=[[d / scale - lo / scale], [hi / scale - d / scale]],
                fmt="none",
                ecolor="0.15",
                capsize=3,
                lw=1,
            )
            top = hi if d >= 0 else lo
        ax.annotate(
            f"{d / scale:+,.1f}",
            (xi, top / scale),
            xytext=(0, 2 if d >= 0 else -2),
            textcoords="offset points",
            ha="center",
            va="bottom" if d >= 0 else "top",
            fontsize=7,
            color="0.2",
        )
    ax.axhline(0, color="0.4", lw=0.8)
    ax.grid(axis="y", color="0.92")
    ax.set_axisbelow(True)
    ax.margins(x=0.08, y=0.2)
    ax.set_xticks(x)
    ax.set_xticklabels([textwrap.fill(registry.ORGANISATION_NAMES[o], 14) for o in orgs], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)


def ledger_chart(
    ledger: pd.DataFrame,
    reference: str,
    window_days: float | None = None,
    unstable: Collection[str] = (),
    note: str = "",
) -> Figure:
    """Who pays and who saves in each scenario of ``ledger`` against ``reference``, two panels per scenario.

    ``ledger``: ``ledger.csv``'s columns (one scenario label per row: a gridded experiment's rows at one grid point);
    its changes are totals over the statistics window of ``window_days``.  In the scenarios named in ``unstable``
    (a run overloaded) no change is clear.  ``note`` adds a line to the title.
    """
    names = list(dict.fromkeys(ledger["scenario"]))
    scale, unit = money_unit(ledger[["diff_mean", "diff_ci_low", "diff_ci_high"]].to_numpy(dtype=float))
    n = max(len(names), 1)
    fig, axes = plt.subplots(
        n, 2, figsize=(11.5, 2.7 * n + 1.7), squeeze=False, sharey="row", gridspec_kw={"width_ratios": (5, 3.4)}
    )
    for row, name in enumerate(names):
        mine = ledger[ledger["scenario"] == name]
        for col, view in enumerate(VIEWS):
            ax = axes[row, col]
            _panel(ax, mine[mine["view"] == view], name, view, scale, name in set(unstable))
            ax.set_title(f"{name}:\n{VIEW_TITLES[view]}", fontsize=9, loc="left")
            ax.set_ylabel(f"change, {unit}\n{window_words(window_days)}", fontsize=8.5)
            ax.yaxis.set_tick_params(labelleft=True)
    if not names:
        for ax in axes.flat:
            ax.set_visible(False)
    handles = [
        plt.Rectangle((0, 0), 1, 1, facecolor="0.45", edgecolor="0.45", label=CLEAR),
        plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="0.45", lw=1.4, label=UNCLEAR),
        plt.Line2D([], [], color="0.15", lw=1, label=INTERVAL),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=8.5, bbox_to_anchor=(0.5, 0.0))
    single = not np.isfinite(ledger[["diff_ci_low", "diff_ci_high"]].to_numpy(dtype=float)).any() and len(ledger)
    fig.suptitle(
        f"Who pays and who saves: each organisation's change against '{reference}', cohort 'all', {unit} "
        f"{window_words(window_days)}" + (" (n=1: no intervals)" if single else "") + (f"\n{note}" if note else ""),
        fontsize=10,
    )
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0.4 / height, 1, 1))  # the suptitle is made room for by tight_layout
    return fig
