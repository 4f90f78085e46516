"""What an evaluation would have seen: its estimate beside the true effect, and the bias between them.

A comparison writes, for each MDT scenario X, cohort ``mdt`` (the true effect: the people enrolled in X
against the same people without the team) and cohort ``matched:X`` (the estimate an evaluation of the
enrolled people against matched controls would report; :mod:`sim.outcomes.evaluation`).
:func:`evaluation_table` puts them side by side for the evaluated measures, with the bias (the estimate
less the true effect, in percentage points) and the worst standardised difference of the matching
(:func:`balance_table`, from ``matching_balance.csv``).  ``docs/evaluation.md`` explains the design.

The bias's interval needs the replications: from ``kpis.csv``, each replication's two per-cent changes
are linearised (delta method, as the per-cent intervals of :mod:`sim.analysis.compare`) and their
difference paired by replication gives a t interval around the bias.  Without ``kpis`` (or with one
replication) the bias has no interval.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.stats import mean_ci
from sim.outcomes import registry
from sim.outcomes.evaluation import EVALUATED

METRICS = tuple(EVALUATED)  # the measures the evaluations reported, in their order
VIEW_COLUMNS = [
    "scenario",
    "metric",
    "true_effect",
    "true_ci_low",
    "true_ci_high",
    "estimate",
    "estimate_ci_low",
    "estimate_ci_high",
    "bias",
    "bias_ci_low",
    "bias_ci_high",
    "worst_smd",
]
BALANCE_VIEW_COLUMNS = ["scenario", "design", "variable", "smd", "balanced"]
BALANCED_BELOW = 0.1  # the usual bar: an absolute standardised difference under 0.1 is balanced
# the matched variables (sim.outcomes.matching.VISIBLE) in plain words
VARIABLES = {
    "age": "age",
    "age_band": "age band",
    "frailty": "frailty",
    "emergency_admissions_12m": "emergency admissions in the year before",
    "emergency_admissions_6m": "emergency admissions in the six months before",
    "ae_attendances_12m": "A&E attendances in the year before",
    "risk_score": "risk score",
}
HEAD = ["Measure", "True effect [95% interval]", "Evaluation's estimate [95% interval]", "Bias [95% interval]"]
READING = (
    "The true effect is what the team does to the same people (the people enrolled, with and without the "
    "team, from their enrolment to the window's end); the evaluation's estimate is what an evaluation of "
    "the enrolled people against matched controls would report (over its own window after enrolment); the "
    "bias is the estimate less the true effect, in percentage points (pp), from regression to the mean and "
    "from what matching cannot see (docs/evaluation.md)."
)


def matched_scenarios(comparison: pd.DataFrame) -> list[str]:
    """The scenarios of a comparison with rows of their own cohort ``matched:X``, in the table's order."""
    rows = comparison[comparison["cohort"] == registry.MATCHED_PREFIX + comparison["scenario"]]
    return list(dict.fromkeys(rows["scenario"]))


def balance_table(balance: pd.DataFrame | None) -> pd.DataFrame:
    """Per scenario and matched variable, the worst standardised difference over the replications (its
    sign kept) and whether it is under :data:`BALANCED_BELOW` (columns :data:`BALANCE_VIEW_COLUMNS`)."""
    if balance is None or balance.empty:
        return pd.DataFrame(columns=BALANCE_VIEW_COLUMNS)
    b = balance.assign(size=balance["smd"].abs()).dropna(subset=["size"])
    worst = b.loc[b.groupby(["scenario", "variable"], sort=False)["size"].idxmax().to_numpy()]
    out = worst.assign(balanced=worst["size"] < BALANCED_BELOW)
    return out[BALANCE_VIEW_COLUMNS].reset_index(drop=True)


def _linearised(kpis: pd.DataFrame, ref: str, ref_cohort: str, scenario: str, cohort: str, metric: str) -> pd.Series:
    """Each replication's contribution to a per-cent change of the means (delta method), in per cent."""
    keys = [c for c in ("draw", "replication") if c in kpis.columns]

    def values(name: str, c: str) -> pd.Series:
        rows = kpis[(kpis["scenario"] == name) & (kpis["cohort"] == c) & (kpis["metric"] == metric)]
        return rows.set_index(keys)["value"].astype(float)

    both = pd.concat([values(ref, ref_cohort).rename("r"), values(scenario, cohort).rename("s")], axis=1).dropna()
    r_mean, s_mean = both["r"].mean(), both["s"].mean()
    if not (len(both) and r_mean > 0):
        return pd.Series(dtype=float)
    return 100 * (both["s"] - s_mean / r_mean * both["r"]) / r_mean


def bias_half_width(kpis: pd.DataFrame, scenario: str, metric: str, level: float = 0.95) -> float:
    """Half the width of the bias's interval for ``scenario`` and ``metric``, paired by replication (NaN
    with fewer than two replications or without the rows)."""
    mdt = kpis[kpis["cohort"] == registry.MDT_PREFIX + scenario]
    if mdt.empty:
        return math.nan
    ref = str(mdt["scenario"].iloc[0])  # the reference carries cohort mdt:X
    true = _linearised(kpis, ref, registry.MDT_PREFIX + scenario, scenario, "mdt", metric)
    estimate = _linearised(
        kpis, ref, registry.MATCHED_PREFIX + scenario, scenario, registry.MATCHED_PREFIX + scenario, metric
    )
    both = pd.concat([true.rename("t"), estimate.rename("e")], axis=1).dropna()
    _, _, _, low, high = mean_ci((both["e"] - both["t"]).to_numpy(), level)
    return (high - low) / 2


def evaluation_table(
    comparison: pd.DataFrame,
    kpis: pd.DataFrame | None = None,
    balance: pd.DataFrame | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per MDT scenario with matched rows and evaluated measure (columns :data:`VIEW_COLUMNS`).

    ``comparison``: rows of ``comparison.csv``; ``kpis``: its ``kpis.csv``, for the bias's interval;
    ``balance``: its ``matching_balance.csv``, for ``worst_smd`` (the largest absolute standardised
    difference of any matched variable in any replication; NaN without it).
    """
    worst = balance_table(balance)
    rows = []
    for name in matched_scenarios(comparison):
        own = comparison[comparison["scenario"] == name]
        smd = worst.loc[worst["scenario"] == name, "smd"].abs()
        for metric in METRICS:
            true = own[(own["cohort"] == "mdt") & (own["metric"] == metric)]
            est = own[(own["cohort"] == registry.MATCHED_PREFIX + name) & (own["metric"] == metric)]
            if true.empty or est.empty:
                continue
            t, e = true.iloc[0], est.iloc[0]
            bias = float(e["pct_change"]) - float(t["pct_change"])
            half = math.nan if kpis is None else bias_half_width(kpis, name, metric, level)
            rows.append(
                [
                    name,
                    metric,
                    *(float(t[c]) for c in ("pct_change", "pct_ci_low", "pct_ci_high")),
                    *(float(e[c]) for c in ("pct_change", "pct_ci_low", "pct_ci_high")),
                    bias,
                    bias - half,
                    bias + half,
                    float(smd.max()) if len(smd) else math.nan,
                ]
            )
    return pd.DataFrame(rows, columns=VIEW_COLUMNS)


def _cell(v: float, low: float, high: float, unit: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    text = f"{v:+,.1f}{unit}"
    if math.isfinite(low) and math.isfinite(high) and low != high:
        text += f" [{low:+,.1f}, {high:+,.1f}]"
    return text


def rows_in_words(table: pd.DataFrame, scenario: str) -> list[list[str]]:
    """The rows of :data:`HEAD` for one scenario: the measure's label, then the three figures as text."""
    out = []
    for r in table[table["scenario"] == scenario].itertuples(index=False):
        out.append(
            [
                registry.label(r.metric),
                _cell(r.true_effect, r.true_ci_low, r.true_ci_high, "%"),
                _cell(r.estimate, r.estimate_ci_low, r.estimate_ci_high, "%"),
                _cell(r.bias, r.bias_ci_low, r.bias_ci_high, " pp"),
            ]
        )
    return out


def balance_sentence(balance: pd.DataFrame, scenario: str) -> str:
    """The matching's balance for one scenario in words ('' when it was not recorded)."""
    b = balance[balance["scenario"] == scenario]
    if b.empty:
        return ""
    if b["balanced"].all():
        return f"Matching balanced the cases and their controls: all standardised differences under {BALANCED_BELOW:g}."
    off = [f"{VARIABLES.get(r.variable, r.variable)} ({r.smd:+.2f})" for r in b.itertuples() if not r.balanced]
    return (
        f"Matching left {'these' if len(off) > 1 else 'this'} standardised difference{'s' if len(off) > 1 else ''} "
        f"at {BALANCED_BELOW:g} or more (worst replication): {', '.join(off)}; the rest are under {BALANCED_BELOW:g}."
    )
