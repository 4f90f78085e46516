"""The ledger: for each what-if, who pays and who saves, by organisation, in each cost view (docs/costs.md).

Its rows come from the comparison (:func:`sim.analysis.compare.comparison_table`), cohort ``all``: the
same paired (or Welch, or over-draws) intervals, no new statistics.  Providers appear in the provider
view and payers in the commissioner view, each once, so that no pound appears twice within a view
(``ledger.csv``: :data:`LEDGER_COLUMNS`).  The words are in :mod:`sim.reports.ledger_words`.
"""

from __future__ import annotations

import pandas as pd

from sim.outcomes.costs import VIEWS, metric_of

LEDGER_COLUMNS = [
    "scenario",
    "organisation",
    "view",
    "reference_mean",
    "scenario_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
]
ORGANISATIONS = {metric_of(view, org): (org, view) for view, orgs in VIEWS.items() for org in orgs}
# the parts a change of total cost splits into, in the provider view (their sum is the change of cost_total_gbp)
COST_PARTS = {
    "cost_capacity_gbp": "capacity held (what a shift moves between services nets out; its unspent remainder does not)",
    "cost_stranded_gbp": "closed beds not yet or never cashed",
    "cost_activity_gbp": "activity",
}


def ledger_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario, view and organisation, from the comparison's cohort ``all`` (:data:`LEDGER_COLUMNS`)."""
    rows = comparison[(comparison["cohort"] == "all") & comparison["metric"].isin(list(ORGANISATIONS))]
    org = rows["metric"].map(lambda m: ORGANISATIONS[m][0])
    view = rows["metric"].map(lambda m: ORGANISATIONS[m][1])
    out = rows.assign(organisation=org, view=view)
    scenarios = {s: i for i, s in enumerate(dict.fromkeys(comparison["scenario"]))}
    order = {m: i for i, m in enumerate(ORGANISATIONS)}
    key = out["scenario"].map(scenarios) * len(order) + out["metric"].map(order)
    return out.iloc[key.to_numpy().argsort(kind="stable")][LEDGER_COLUMNS].reset_index(drop=True)
