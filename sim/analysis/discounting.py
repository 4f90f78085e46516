"""Money over time: each what-if's change in cost as a net present value, and its discounted change in days at home.

**Constant prices.**  Every cost is already in one price year (``costs.price_year``: each unit cost is brought
to it with ``costs.cost_index``, :func:`sim.outcomes.costs.unit_costs`), so a year's cost in ``yearly.csv`` is
at constant prices and no inflation is added here.

**Discounting.**  Later years weigh less, at the HM Treasury Green Book's rates (``params.discounting``, Green
Book 2022, Annex A6): 3.5% a year for costs and 1.5% a year for health outcomes, here days at home.  Year 1 of
the statistics window is not discounted and year t is weighted ``1 / (1 + r) ** (t - 1)`` (the design brief,
section 2: "discounting at the Green Book rate beyond the first year"), a last part year by its number like a
whole one (:func:`discount_factors`).

**The change.**  For each replication, the discounted sum over the years of a measure (:data:`MEASURES`: the
total cost of each view, and days at home) in cohort ``all``, the place; then the scenario's against the
reference's as every comparison does it (:func:`sim.analysis.compare.compare_values`): the mean of the paired
differences over replications with a t interval, a Welch interval where the populations differ, and over
posterior draws both sources of variance (:func:`sim.analysis.uncertainty.difference_over_draws`).  Each
measure is given undiscounted too (``rate`` 0), the sum of its years: the window's total of ``comparison.csv``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.compare import compare_values
from sim.analysis.stats import by_replication
from sim.outcomes import registry
from sim.parameters.params import Discounting

# what is discounted, and at which of the Green Book's rates (Discounting's fields)
MEASURES = {
    "cost_total_gbp": "costs_per_year",  # the provider view's total
    "cost_payment_total_gbp": "costs_per_year",  # the commissioner view's total
    "days_at_home": "health_per_year",
}
COHORT = "all"  # the place: it holds every capacity in full
CHANGE = ("reference_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high")  # of a comparison's row
NPV_COLUMNS = [
    "scenario",
    "cohort",
    "measure",
    "rate",
    "years",
    "reference_mean",
    "scenario_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "paired",
    registry.UNSTABLE,
]


def discount_factors(years: int, rate: float) -> np.ndarray:
    """The weights of years 1..``years``: ``1 / (1 + rate) ** (t - 1)``, year 1 undiscounted."""
    if rate <= -1 or not math.isfinite(rate):
        raise ValueError(f"a discount rate must be a finite number above -1, got {rate!r}")
    return (1.0 + rate) ** -np.arange(years, dtype=float)


def rates_of(d: Discounting) -> dict[str, float]:
    """Each measure's discount rate a year (:data:`MEASURES`)."""
    return {measure: float(getattr(d, field)) for measure, field in MEASURES.items()}


def present_values(yearly: pd.DataFrame, rates: dict[str, float], cohort: str = COHORT) -> pd.DataFrame:
    """Each run's discounted sum over the years of each measure in ``rates``, at its rate and undiscounted.

    ``yearly``: ``yearly.csv``'s rows (``year, cohort, metric, value`` with the columns that name a run:
    ``scenario`` and ``replication``, and ``grid`` and ``draw`` where they apply).  Returns those naming columns,
    ``measure``, ``rate``, ``years`` (how many years were summed) and ``value``.
    """
    runs = [c for c in yearly.columns if c not in ("year", "cohort", "metric", "value")]
    rows = yearly[(yearly["cohort"] == cohort) & yearly["metric"].isin(list(rates))]
    parts = []
    for measure, rate in rates.items():
        own = rows[rows["metric"] == measure]
        if own.empty:
            continue
        years = int(own["year"].max())
        for r in dict.fromkeys((0.0, rate)):
            weight = own["year"].map(dict(enumerate(discount_factors(years, r), start=1)))
            value = (own["value"] * weight).groupby([own[c] for c in runs], sort=False, dropna=False).sum()
            frame = value.rename("value").reset_index()
            parts.append(frame.assign(measure=measure, rate=r, years=years))
    columns = [*runs, "measure", "rate", "years", "value"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def npv_table(
    yearly: pd.DataFrame,
    compared: Sequence[tuple[Any, Any, bool]],
    rates: dict[str, float],
    key: Sequence[str] = ("scenario",),
    unstable: dict[Any, Any] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """``npv.csv``: for each compared run set against its reference, each measure's discounted (and undiscounted)
    change with its interval.

    ``compared``: (scenario's key, reference's key, paired) triples, a key being the values of the ``key``
    columns (a scenario's name, or its name and grid point); ``unstable``: by scenario key, whether either run
    was overloaded (NA where not known).  Columns :data:`NPV_COLUMNS`, with ``key``'s other columns after
    ``scenario``.
    """
    pv = present_values(yearly, rates)
    compare: Callable[..., Mapping[str, Any]] = compare_values
    table: Callable[[pd.DataFrame], Any] = by_replication
    if "draw" in pv.columns:  # over posterior draws: both sources of variance
        from sim.analysis.uncertainty import difference_over_draws, draw_table

        compare, table = difference_over_draws, draw_table
    key = list(key)

    def values(k: Any) -> dict[tuple[str, float], tuple[Any, int]]:
        k = k if isinstance(k, tuple) else (k,)
        mask = np.ones(len(pv), bool)
        for column, v in zip(key, k):
            mask &= (pv[column] == v).to_numpy() | (pv[column].isna().to_numpy() & _missing(v))
        own = pv[mask]
        groups = own.groupby(["measure", "rate"], sort=False)  # in MEASURES' order, undiscounted first
        return {(m, r): (table(g), int(g["years"].iloc[0])) for (m, r), g in groups}

    rows = []
    for scenario, reference, paired in compared:
        mine, theirs = values(scenario), values(reference)
        for (measure, rate), (sc, years) in mine.items():
            if (measure, rate) not in theirs:
                continue
            stats = compare(theirs[(measure, rate)][0], sc, paired, level)
            named = dict(zip(key, scenario if isinstance(scenario, tuple) else (scenario,)))
            rows.append(
                {
                    **named,
                    "cohort": COHORT,
                    "measure": measure,
                    "rate": rate,
                    "years": years,
                    **{c: stats[c] for c in CHANGE},
                    "paired": bool(paired),
                    registry.UNSTABLE: (unstable or {}).get(scenario, pd.NA),
                }
            )
    columns = NPV_COLUMNS[:1] + key[1:] + NPV_COLUMNS[1:]
    return pd.DataFrame(rows, columns=columns)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# --- in words --------------------------------------------------------------------------------------

WORDS = {  # how each measure's line names it, and how its values are written
    "cost_total_gbp": ("total cost (provider view)", "GBP {:+,.0f}"),
    "days_at_home": ("days at home", "{:+,.0f} days"),
}


def npv_text(npv: pd.DataFrame, d: Discounting, width: int = 100) -> list[str]:
    """``npv.csv`` in words, scenario by scenario (and grid point): a heading with the rates, then
    :func:`npv_lines`, wrapped to ``width``; nothing for an empty table."""
    if npv is None or npv.empty:
        return []
    out = textwrap.wrap(
        f"Over time (npv.csv): year 1 undiscounted, later years at {100 * d.costs_per_year:g}% a year for costs "
        f"and {100 * d.health_per_year:g}% for days at home (Green Book 2022); against the reference:",
        width,
    )
    grids = npv["grid"] if "grid" in npv else pd.Series(math.nan, index=npv.index)
    for scenario, grid in dict.fromkeys(zip(npv["scenario"], (None if _missing(g) else g for g in grids))):
        own = npv[(npv["scenario"] == scenario) & (grids.isna() if grid is None else grids == grid)]
        lines = npv_lines(own, scenario)
        title = scenario if grid is None else f"{scenario} at grid value {grid:g}"
        out += [f"{title}:"] + [w for line in lines for w in textwrap.wrap(line, width, subsequent_indent="    ")]
    return out


def npv_lines(npv: pd.DataFrame, scenario: str) -> list[str]:
    """The scenario's net present value of its change in total cost and its discounted change in days at home,
    each with its 95% interval and its undiscounted value, in words (``caresim compare``)."""
    own = npv[(npv["scenario"] == scenario) & (npv["cohort"] == COHORT)]
    out = []
    for measure, (name, form) in WORDS.items():
        rows = own[own["measure"] == measure].sort_values("rate")
        if rows.empty:
            continue
        plain, r = rows.iloc[0], rows.iloc[-1]
        low, high = r["diff_ci_low"], r["diff_ci_high"]
        interval = (
            f"95% CI {form.format(low)} to {form.format(high)}"
            if math.isfinite(low) and math.isfinite(high)
            else "n=1, no interval"
        )
        what = "net present value of the change" if registry.is_cost(measure) else "change, discounted"
        out.append(
            f"  {name}, {what} over {int(r['years'])} year{'s' if r['years'] != 1 else ''} at {100 * r['rate']:g}% a "
            f"year: {form.format(r['diff_mean'])} ({interval}; undiscounted {form.format(plain['diff_mean'])})"
        )
    if out and own[registry.UNSTABLE].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")).any():
        out.append("  (a run was overloaded: these reflect the gridlock, not an effect)")
    return out
