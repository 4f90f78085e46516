"""How many replications: the sequential rule of Hoad, Robinson and Davies (2010).

For each named metric, the 95% confidence interval's half-width as a share
of the mean is followed as replications are added; the number required is
the first ``n`` from which the half-width stays within the target for the
next ``look_ahead`` replications (``look_ahead * n / 100`` beyond 100).
Replication ``r`` always draws the same random numbers, so adding
replications in batches (to keep every worker busy) finds the same ``n`` as
adding them one at a time; it may only run a few more.

sim-tools implements this algorithm, but it drives the model itself, one
replication after another, and pulls in plotly, rich and scikit-learn; here
the replications come from the parallel, resumable runner, so the rule is
applied to the stored results instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.experiments.experiment import Precision

COLUMNS = [
    "scenario",
    "grid",
    "cohort",
    "metric",
    "target_half_width_pct",
    "replications_run",
    "n_required",
    "half_width_pct",
    "reached",
]


def relative_half_widths(values: np.ndarray) -> np.ndarray:
    """For k = 1..n, the 95% half-width of the mean of the first k values, in % of that mean (nan for k=1)."""
    x = np.asarray(values, dtype=float)
    n = np.arange(1, len(x) + 1)
    mean = np.cumsum(x) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (np.cumsum(x * x) - n * mean**2) / (n - 1)
        half = sps.t.ppf(0.975, n - 1) * np.sqrt(np.clip(var, 0, None)) / np.sqrt(n)
        out = np.where(half == 0, 0.0, 100.0 * half / np.abs(mean))
    out[0] = math.nan
    return out


def look_ahead(n: int, k: int) -> int:
    return k if n <= 100 else math.floor(k * n / 100)


def required(values: np.ndarray, target_pct: float, k: int) -> int | None:
    """The first n whose precision holds through n + look-ahead, within the values seen; None if none yet."""
    d = relative_half_widths(values)
    ok = d <= target_pct
    for n in range(2, len(values) + 1):
        last = n + look_ahead(n, k)
        if last > len(values):
            return None
        if ok[n - 1 : last].all():
            return n
    return None


def assess(kpis: pd.DataFrame, spec: Precision) -> pd.DataFrame:
    """One row per (scenario, grid, metric) named: replications needed, or not yet reached."""
    k = kpis[(kpis["cohort"] == spec.cohort) & kpis["metric"].isin(spec.metrics)]
    rows = []
    for (scenario, grid, metric), g in k.groupby(["scenario", "grid", "metric"], sort=False, dropna=False):
        values = g.sort_values("replication")["value"].to_numpy(dtype=float)
        n = required(values, spec.half_width_pct, spec.look_ahead)
        rows.append(
            (
                scenario,
                grid,
                spec.cohort,
                metric,
                spec.half_width_pct,
                len(values),
                n if n is not None else math.nan,
                float(relative_half_widths(values)[-1]),
                n is not None,
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def next_replications(assessment: pd.DataFrame, spec: Precision, run: int, step: int) -> int:
    """How many replications to have next (``run`` if all are reached or the maximum is hit).

    Jumps towards the estimate ``run * (half-width / target)^2`` plus the look-ahead, by at least
    ``step`` and at most doubling, since estimates from few replications are rough.
    """
    if assessment["reached"].all() or run >= spec.max_replications:
        return run
    behind = assessment[~assessment["reached"]]
    ratio = np.nan_to_num(behind["half_width_pct"].to_numpy() / spec.half_width_pct, nan=1.0)
    estimate = math.ceil(run * max(1.0, float(ratio.max())) ** 2) + look_ahead(run, spec.look_ahead)
    return min(spec.max_replications, max(run + step, min(estimate, 2 * run)))
