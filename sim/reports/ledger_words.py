"""Who pays and who saves, and what a change of total cost is made of, in words (``caresim compare``, report, page).

A change is called clear only when its interval excludes no change (:func:`sim.reports.text.is_clear`).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd

from sim.analysis.ledger import COST_PARTS
from sim.outcomes import registry
from sim.outcomes.costs import metric_of
from sim.reports.text import is_clear, same_every_time
from sim.reports.text import unstable as any_unstable


def _gbp(x: float) -> str:
    return f"GBP {abs(x):,.0f}"


def _interval(r) -> str:
    if not (math.isfinite(r.diff_ci_low) and math.isfinite(r.diff_ci_high)):
        return "n=1, no interval"
    return f"95% CI {r.diff_ci_low:+,.0f} to {r.diff_ci_high:+,.0f}"


def ledger_lines(ledger: pd.DataFrame, scenario: str, years: float, unstable: bool = False) -> list[str]:
    """Who pays more and who saves, a year, in each view, with intervals; 'clear' only when the interval excludes 0."""
    out = [f"Who pays and who saves ({scenario}, GBP a year, against the reference):"]
    titles = {"provider": "providers' costs", "commissioner": "payers' payments"}
    part = ledger[ledger["scenario"] == scenario]
    for view, title in titles.items():
        out.append(f"  {title}:")
        for r in part[part["view"] == view].itertuples():
            d = r.diff_mean / years
            word = "saves" if d < 0 else "pays more" if d > 0 else "no change"
            sure = "clear" if is_clear(r) and not unstable else "not clear"
            if same_every_time(r):
                sure = "the same in every replication"
            scaled = r._replace(diff_ci_low=r.diff_ci_low / years, diff_ci_high=r.diff_ci_high / years)
            name = registry.label(metric_of(view, r.organisation)).split(" (")[0]
            out.append(f"    {name:<26} {word:<10} {_gbp(d):>14}  ({_interval(scaled)}; {sure})")
    return out


def cost_split_lines(comparison: pd.DataFrame, scenario: str, years: float, remainder_gbp: float = 0.0) -> list[str]:
    """How much of the change of total cost is capacity held (the shift's remainder), closed beds not cashed, activity.

    ``remainder_gbp``: the shift's unspent remainder a year (0 without a shift).
    """
    rows = comparison[(comparison["scenario"] == scenario) & (comparison["cohort"] == "all")].set_index("metric")
    if "cost_total_gbp" not in rows.index:
        return []
    total = rows.loc["cost_total_gbp"]
    if any_unstable(rows_of(comparison, scenario)):  # as the scenario's other words: a gridlock is no saving
        sure = ". No change is called clear: a run was overloaded, so it reflects the gridlock, not an effect"
    elif is_clear(SimpleNamespace(**total.to_dict())):
        sure = ": a clear change"
    else:
        sure = ": not a clear change (its interval includes no change)"
    out = [f"Total cost {total.diff_mean / years:+,.0f} GBP a year{sure}. Of it:"]
    for metric, what in COST_PARTS.items():
        if metric in rows.index:
            d = rows.loc[metric].diff_mean / years
            out.append(f"  {d:+,.0f} {what}")
    if remainder_gbp:
        out.append(f"  (the shift's unspent remainder: GBP {remainder_gbp:,.0f} a year, in capacity held)")
    return out


def rows_of(comparison: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """A scenario's rows of the comparison."""
    return comparison[comparison["scenario"] == scenario]


__all__ = ["any_unstable", "cost_split_lines", "ledger_lines", "rows_of"]
