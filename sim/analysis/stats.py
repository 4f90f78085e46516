"""Summaries of replications: means and 95% t confidence intervals, and rates.

Plain functions from tidy KPI tables (``scenario, replication, cohort, metric,
value``) to DataFrames.  With one replication an interval is not defined and
is NaN; values identical in every replication have a zero-width interval.

A change's per-cent interval (:func:`change`) is an interval for the ratio of
the two means, on the log scale, so it never reaches below -100%; a share's
change in percentage points stays within its possible range.
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
    if np.ptp(x) == 0:  # the same in every replication: no spread (not a rounding error's worth of one)
        return n, mean, 0.0, mean, mean
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


def ratio(ref_mean: float, sc_mean: float) -> float:
    """The ratio of the scenario's mean to the reference's, where both are positive (else NaN).

    Where it is defined, :func:`change` takes the per-cent interval from the ratio's interval on the log
    scale; its callers need it to linearise the ratio (the values ``s - ratio * r``).
    """
    ok = math.isfinite(ref_mean) and math.isfinite(sc_mean) and ref_mean > 0 and sc_mean > 0
    return sc_mean / ref_mean if ok else math.nan


def percent(diff: float, lo: float, hi: float, ref_mean: float, sc_mean: float, ratio_half: float = math.nan):
    """A change in per cent of the reference mean, with an interval for the ratio of means that respects its range.

    The interval is a delta-method interval for log(scenario mean / reference mean): with R the ratio, the
    log of the ratio of means moves by ``(mean(s) - R mean(r)) / mean(s)`` to first order, so its half-width
    is ``ratio_half / sc_mean``, where ``ratio_half`` is the half-width of the interval (paired t, Welch, or
    over draws, as for the difference) of the mean of the linearised values ``s - R r``.  Back on the ratio
    scale the interval is ``R exp(+/- ratio_half / sc_mean)``: never below 0, so the per-cent change never
    below -100%, and wider upwards, as a ratio's uncertainty is.  Why not the log of each replication's
    ratio: it is undefined where a replication counts 0 (small cohorts do).  Why not Fieller's interval:
    with two or three replications and a noisy reference mean its set is often unbounded or two disjoint
    rays, which a table cannot show.  The reference mean's own uncertainty is included (unlike dividing
    the difference's interval by the reference mean).

    Where the ratio is not positive (a mean of 0) or ``ratio_half`` is unknown, the interval is the
    difference's over the reference mean, floored at -100% where neither mean is negative.  NaN where the
    reference mean is 0 or unknown; (pct, NaN, NaN) where the difference has no interval.
    """
    if not (math.isfinite(ref_mean) and ref_mean != 0):
        return math.nan, math.nan, math.nan
    pct = 100.0 * diff / ref_mean
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return pct, math.nan, math.nan
    r = ratio(ref_mean, sc_mean)
    if math.isfinite(r) and math.isfinite(ratio_half):
        with np.errstate(over="ignore"):  # R exp(+/-h) - 1, as pct + R (exp(+/-h) - 1): exactly pct when h = 0
            low, high = (pct + 100.0 * r * np.expm1(np.array([-1.0, 1.0]) * ratio_half / sc_mean)).tolist()
        return pct, max(min(low, pct), -100.0), max(high, pct)
    a, b = sorted(100.0 * v / ref_mean for v in (lo, hi))
    if ref_mean > 0 and sc_mean >= 0:
        a = max(a, -100.0)
    return pct, a, max(b, a)


def change(
    ref_mean: float,
    sc_mean: float,
    diff: float,
    lo: float,
    hi: float,
    ratio_half: float = math.nan,
    share: bool = False,
) -> dict[str, float]:
    """A comparison row's fields: both means, the difference with its interval, and the change in per cent.

    ``ratio_half``: the half-width of the interval of the mean of ``s - ratio(ref_mean, sc_mean) * r``, for the
    per-cent interval (:func:`percent`).  ``share``: the metric is a share (0-1), so the difference of two
    shares lies within [-1, 1] and its interval is clipped to that range (a t interval from two or three
    replications can reach beyond it; clipping keeps its coverage, as no true value lies outside).
    """
    if share and math.isfinite(lo) and math.isfinite(hi):
        lo, hi = min(max(lo, -1.0), 1.0), max(min(hi, 1.0), -1.0)
    pct, pct_lo, pct_hi = percent(diff, lo, hi, ref_mean, sc_mean, ratio_half)
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
