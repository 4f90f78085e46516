"""Summaries of replications: means and 95% t confidence intervals, and rates.

Plain functions from tidy KPI tables (``scenario, replication, cohort, metric,
value``) to DataFrames.  With one replication an interval is not defined and
is NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

KEYS = ["scenario", "cohort", "metric"]
SUMMARY_COLUMNS = KEYS + ["n", "mean", "sd", "ci_low", "ci_high"]
RATE_METRICS = ("emergency_admissions", "elective_admissions", "care_home_admissions")


def mean_ci(values: np.ndarray | pd.Series, level: float = 0.95) -> tuple[int, float, float, float, float]:
    """(n, mean, sd, ci_low, ci_high) of the finite values, with a t interval (NaN when n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, np.nan, np.nan, np.nan
    sd = float(x.std(ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (scenario, cohort, metric): n, mean, sd and the t interval, in first-seen order."""
    rows = []
    for key, group in kpis.groupby(KEYS, sort=False):
        rows.append((*key, *mean_ci(group["value"].to_numpy(), level)))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out


def rates_per_1000_py(kpis: pd.DataFrame, metrics: tuple[str, ...] = RATE_METRICS) -> pd.DataFrame:
    """Per replication, ``metric / person_years * 1000`` as rows named ``<metric>_per_1000_py``."""
    py = kpis[kpis["metric"] == "person_years"]
    py = py[["scenario", "replication", "cohort", "value"]].rename(columns={"value": "person_years"})
    counts = kpis[kpis["metric"].isin(metrics)]
    merged = counts.merge(py, on=["scenario", "replication", "cohort"], how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(merged["person_years"] > 0, merged["value"] / merged["person_years"] * 1000.0, np.nan)
    return pd.DataFrame(
        {
            "scenario": merged["scenario"].to_numpy(),
            "replication": merged["replication"].to_numpy(),
            "cohort": merged["cohort"].to_numpy(),
            "metric": (merged["metric"] + "_per_1000_py").to_numpy(),
            "value": rate,
        }
    )


def percent(diff: float, lo: float, hi: float, ref_mean: float) -> tuple[float, float, float]:
    """A difference and its interval in per cent of the reference mean (NaN where that is 0 or unknown)."""
    if not (math.isfinite(ref_mean) and ref_mean != 0):
        return math.nan, math.nan, math.nan
    pct, a, b = (100.0 * v / ref_mean for v in (diff, lo, hi))
    return (pct, min(a, b), max(a, b)) if math.isfinite(a) else (pct, math.nan, math.nan)


def change(ref_mean: float, sc_mean: float, diff: float, lo: float, hi: float) -> dict[str, float]:
    """A comparison row's fields: both means, the difference with its interval, and the same in per cent."""
    pct, pct_lo, pct_hi = percent(diff, lo, hi, ref_mean)
    return {
        "reference_mean": ref_mean,
        "scenario_mean": sc_mean,
        "diff_mean": diff,
        "diff_ci_low": lo,
        "diff_ci_high": hi,
        "pct_change": pct,
        "pct_ci_low": pct_lo,
        "pct_ci_high": pct_hi,
    }


def by_replication(frame: pd.DataFrame) -> pd.Series:
    """A ``kpis`` table's values indexed by replication (one scenario, cohort and metric)."""
    return frame.set_index("replication")["value"]
