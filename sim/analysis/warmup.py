"""Warm-up length by MSER-5 (White 1997; Hoad, Robinson & Davies 2010).

Batch the output series in means of 5, then truncate where the marginal
standard error of the remaining batches is smallest.  Written here in a few
lines of numpy because the packaged implementation (pymser) pulls in torch and
statsmodels, far more than this rule needs.
"""

from __future__ import annotations

import numpy as np


def mser(series, batch: int = 5, max_share: float = 0.5) -> int:
    """Observations to discard from the start of ``series`` (a multiple of ``batch``).

    Only truncation points in the first ``max_share`` of the series are
    considered, as the rule is unreliable when little data remains.
    """
    x = np.asarray(series, dtype=float)
    n = len(x) // batch
    if n < 4:
        raise ValueError(f"MSER-{batch} needs at least {4 * batch} observations, got {len(x)}")
    b = x[: n * batch].reshape(n, batch).mean(axis=1)
    # statistic for truncating d batches: var(b[d:]) * (n-d) / (n-d)^2 = sum of squares / (n-d)^2
    tail_sum = np.cumsum(b[::-1])[::-1]
    tail_sq = np.cumsum((b * b)[::-1])[::-1]
    k = np.arange(n, 0, -1, dtype=float)  # batches remaining after truncating d
    ss = tail_sq - tail_sum**2 / k
    stat = ss / k**2
    last = max(1, int(n * max_share))
    return int(np.argmin(stat[:last])) * batch


def analyse(population: int = 100_000, reps: int = 5, days: float = 1095.0, seed: int = 1) -> dict[str, int]:
    """Run the baseline from time 0 with no warm-up; MSER-5 on each daily series averaged over replications."""
    from sim.parameters.params import Params
    from sim.parameters.tree import apply_overrides
    from sim.replication.single import single_run

    p = apply_overrides(
        Params(),
        {
            "place": {"registered_population": population},
            "time": {"warmup_days": 0.0, "horizon_days": days, "timeseries_step_days": 1.0},
        },
    )
    frames = [single_run(p, seed=seed, replication=r).timeseries for r in range(reps)]
    mean = sum(f.pivot(index="day", columns="series", values="value") for f in frames) / reps
    return {name: mser(mean[name].to_numpy()) for name in mean.columns}


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(
        description="MSER-5 warm-up analysis of the baseline (daily series, replication means)"
    )
    ap.add_argument("--population", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--days", type=float, default=1095.0)
    a = ap.parse_args()
    for name, d in sorted(analyse(a.population, a.reps, a.days).items()):
        print(f"{name:28s} truncate {d:5d} days")


if __name__ == "__main__":
    main()
