"""Intervals over posterior draws x replications: calibration uncertainty and randomness together.

Runs over K posterior draws (:mod:`sim.analysis.posterior`) and R replications give,
for each scenario, cohort and metric, a K x R table ``x[k, r]``; for a change
against the reference, the paired differences scenario - reference of the
same draw and replication.  Replication r of every draw uses the same random
numbers, so the table is a two-way layout::

    x[k, r] = mu + a[k] (the draw: calibration) + b[r] (the replication: randomness) + e[k, r]

By the law of total variance, Var(answer) = Var over the posterior of the
answer's expectation (calibration) + the expected variance within a draw
(randomness).  Estimated here as:

- the point estimate is the grand mean (the draws are an equally weighted
  sample of the posterior);
- calibration: the spread of the answer over the posterior,
  ``s2 = max(var(draw means) - MS_resid / R, 0)``, where ``MS_resid`` is the
  draw x replication mean square, the replication noise the draw means still
  carry (the random-effects ANOVA estimator); times ``1 + 1/K``, since the
  posterior's mean is itself estimated from K draws:
  ``var_calibration = s2 (1 + 1/K)``;
- randomness: the variance of the grand mean over replications,
  ``var(replication means) / R``, each replication's mean taken over the
  draws first: common random numbers make the draws of one replication
  alike, so the K R runs are not counted as independent;
- the interval is the grand mean +/- t sqrt(var_calibration +
  var_randomness), with Satterthwaite's degrees of freedom from K - 1 and
  R - 1, but never more than the randomness part's own R - 1: with few
  draws and replications, Satterthwaite's figure for a sum of two rough
  variance estimates can exceed either's, so that adding calibration
  uncertainty would narrow an interval.  Capped, the combined interval
  always contains the interval of the randomness alone.

With identical draws the calibration part is 0 and the interval is the
ordinary t interval over replications.  Where the two scenarios simulate
different populations (unpaired), each table is split on its own, the
randomness parts are added (Welch) and calibration is the spread of the
draws' differences net of both tables' noise.  Draws without any value and
replications missing a value in some draw are left out.  Percent changes are
the difference over the reference mean; their intervals come from the same
combined interval of the linearised ratio ``s - R r`` (R the ratio of the
means), on the log scale, as in :mod:`sim.analysis.compare`.

``calibration_share`` is var_calibration / (var_calibration +
var_randomness); ``dominant`` names the larger part: ``calibration`` (better
evidence would narrow the interval, more replications would not),
``randomness`` (more replications would), or ``none`` when both are 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats as sps

from sim.analysis.stats import change, ratio

PARTS = ["var_calibration", "var_randomness", "calibration_share", "dominant"]
DIFF_PARTS = ["diff_" + c for c in PARTS]
QUANTITIES = {"mean": "", "diff": "diff_"}  # quantity -> prefix of its columns in a summary or comparison table


@dataclass(frozen=True, eq=False)
class Split:
    """A K x R table's grand mean and what its variance is made of (see the module's docstring)."""

    mean: float
    n: int  # values used
    draw_means: pd.Series  # by draw
    noise: float  # MS_resid / R: replication noise left in a draw's mean
    var_randomness: float
    df_randomness: float


@dataclass(frozen=True)
class Interval:
    """A combined interval and the parts of its variance (see the module's docstring)."""

    low: float
    high: float
    var_calibration: float
    var_randomness: float
    calibration_share: float
    dominant: str  # calibration, randomness, none (both parts 0), or empty when there is no interval

    def parts(self) -> dict[str, float | str]:
        """The :data:`PARTS` by name."""
        return {
            "var_calibration": self.var_calibration,
            "var_randomness": self.var_randomness,
            "calibration_share": self.calibration_share,
            "dominant": self.dominant,
        }


def draw_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Tidy rows with ``draw``, ``replication`` and ``value`` as a draws x replications table."""
    return frame.pivot_table(index="draw", columns="replication", values="value", aggfunc="first", dropna=False)


def complete(table: pd.DataFrame) -> pd.DataFrame:
    """Draws with any value, and the replications with a value in each of them."""
    t = table.astype(float).dropna(how="all")
    return t.loc[:, t.notna().all(axis=0)]


def split(table: pd.DataFrame) -> Split:
    """Split a complete draws x replications table (:func:`complete`)."""
    x = table.to_numpy(dtype=float)
    k, r = x.shape
    if x.size == 0:
        return Split(math.nan, 0, pd.Series(dtype=float), math.nan, math.nan, 0.0)
    rows, cols, grand = x.mean(axis=1), x.mean(axis=0), float(x.mean())
    noise = math.nan
    if k > 1 and r > 1:
        resid = x - rows[:, None] - cols[None, :] + grand
        noise = float((resid**2).sum()) / ((k - 1) * (r - 1)) / r
    var_r = float(cols.var(ddof=1)) / r if r > 1 else math.nan
    return Split(grand, int(x.size), pd.Series(rows, index=table.index), noise, var_r, float(r - 1))


def interval(
    mean: float, draw_means: pd.Series, noise: float, var_randomness: float, df_randomness: float, level: float = 0.95
) -> Interval:
    """The combined interval and the parts of its variance."""
    k = len(draw_means)
    if k < 2 or not (math.isfinite(noise) and math.isfinite(var_randomness)):
        return Interval(math.nan, math.nan, math.nan, var_randomness, math.nan, "")
    spread = max(float(draw_means.var(ddof=1)) - noise, 0.0)
    var_c = spread * (1 + 1 / k)
    total = var_c + var_randomness
    if total == 0:
        return Interval(mean, mean, 0.0, 0.0, math.nan, "none")
    df = min(total**2 / (var_c**2 / (k - 1) + var_randomness**2 / df_randomness), df_randomness)
    half = float(sps.t.ppf(0.5 + level / 2, df)) * math.sqrt(total)
    share = var_c / total
    dominant = "calibration" if share > 0.5 else "randomness"
    return Interval(mean - half, mean + half, var_c, var_randomness, share, dominant)


def level_over_draws(table: pd.DataFrame, level: float = 0.95) -> dict[str, float | str]:
    """``n``, ``mean``, ``ci_low``, ``ci_high`` and :data:`PARTS` of one metric's draws x replications."""
    s = split(complete(table))
    ci = interval(s.mean, s.draw_means, s.noise, s.var_randomness, s.df_randomness, level)
    return {"n": s.n, "mean": s.mean, "ci_low": ci.low, "ci_high": ci.high, **ci.parts()}


def _over_draws(
    r: pd.DataFrame, s: pd.DataFrame, paired: bool, level: float, c: float = 1.0
) -> tuple[float, float, float, Interval]:
    """The means of ``r`` and ``s``, and the mean and interval of ``s - c r``, over draws x replications.

    ``c`` = 1 gives the difference; ``c`` = the ratio of the means gives the linearised ratio.
    """
    if paired:
        d = complete(s - c * r)
        ref_mean = float(r.loc[d.index, d.columns].to_numpy().mean()) if d.size else math.nan
        sc_mean = float(s.loc[d.index, d.columns].to_numpy().mean()) if d.size else math.nan
        p = split(d)
        return (
            ref_mean,
            sc_mean,
            p.mean,
            interval(p.mean, p.draw_means, p.noise, p.var_randomness, p.df_randomness, level),
        )
    pr, ps = split(complete(c * r)), split(complete(s))
    v1, v2 = ps.var_randomness, pr.var_randomness
    df = (v1 + v2) ** 2 / (v1**2 / ps.df_randomness + v2**2 / pr.df_randomness) if v1 + v2 > 0 else math.inf
    diff = ps.mean - pr.mean
    parts = interval(diff, (ps.draw_means - pr.draw_means).dropna(), ps.noise + pr.noise, v1 + v2, df, level)
    return pr.mean / c, ps.mean, diff, parts


def difference_over_draws(
    reference: pd.DataFrame, scenario: pd.DataFrame, paired: bool, level: float = 0.95, share: bool = False
) -> dict[str, float | str]:
    """As :func:`sim.analysis.compare.compare_values`, over draws x replications, with :data:`DIFF_PARTS`."""
    draws = reference.index.union(scenario.index)
    reps = reference.columns.union(scenario.columns)
    r, s = (t.reindex(index=draws, columns=reps).astype(float) for t in (reference, scenario))
    ref_mean, sc_mean, diff, parts = _over_draws(r, s, paired, level)
    ratio_half = math.nan
    if math.isfinite(q := ratio(ref_mean, sc_mean)):
        linear = _over_draws(r, s, paired, level, q)[3]
        ratio_half = (linear.high - linear.low) / 2
    return {
        **change(ref_mean, sc_mean, diff, parts.low, parts.high, ratio_half, share),
        **{"diff_" + k: v for k, v in parts.parts().items()},
    }


def uncertainty_table(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``uncertainty.csv``: ``keys``, ``quantity`` (``mean`` or ``diff``) and :data:`PARTS`, row by row of a
    table that carries the parts of its means and/or of its changes (those prefixed ``diff_``)."""
    t = table.reset_index(drop=True)
    frames = []
    for quantity, prefix in QUANTITIES.items():
        columns = [prefix + c for c in PARTS]
        if columns[0] not in t.columns:
            continue
        rows = t[t[columns[-1]].notna()]  # the reference's rows have no change, so no parts of one
        part = rows[keys + columns].rename(columns=dict(zip(columns, PARTS)))
        part.insert(len(keys), "quantity", quantity)
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=keys + ["quantity"] + PARTS)
    return pd.concat(frames).sort_index(kind="stable").reset_index(drop=True)  # each row's mean, then its change
