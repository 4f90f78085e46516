"""Does a scenario's population follow its projection?  Each band's count at each year's end against it.

Each band's count at the end of each year of the window is set against the projection's (time 0's
count times the projection's growth, ``sim.core.projection.growth``) in Poisson standard errors; with
``k`` counts, a run follows its projection within sampling error when every ``|z|`` is below the
Bonferroni bound ``Phi^-1(1 - 0.01 / (2k))`` (any of them fails by chance alone with chance at most
1%).  This is a check of the whole model over years, not only of the demographic plan: people waiting
in A&E, in a bed or for a care home die as they would elsewhere, or the count runs above the
projection where capacity is pinned (docs/overload.md)::

    python -m sim.calibration.projection_check scenarios/demographic_projection.toml --reps 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from sim.core.population import BAND_EDGES, DAYS_PER_YEAR, cohort_sizes
from sim.core.projection import growth
from sim.outcomes.rundata import RunData
from sim.replication.single import single_run
from sim.scenarios.scenario import RunSettings, load

FAMILY = 0.01  # the chance that any of the counts misses its bound by chance alone
BANDS = ("under65_complex", "65_74", "75_84", "85plus")


def band_counts(data: RunData, times: list[float]) -> npt.NDArray[np.float64]:
    """People of the cohort in the place at each of ``times`` (rows), by band (columns)."""
    ppl = data.people
    out = []
    for t in times:
        present = (ppl["entered"] <= t) & (np.isnan(ppl["died"]) | (ppl["died"] > t))
        band = np.searchsorted(BAND_EDGES, ppl["age0"] + t / DAYS_PER_YEAR, side="right")
        out.append(np.bincount(band[present], minlength=len(BANDS)))
    return np.array(out, dtype=float)


def bound(counts: int) -> float:
    """The Bonferroni bound on ``|z|`` for ``counts`` comparisons (:data:`FAMILY`)."""
    return float(stats.norm.ppf(1 - FAMILY / (2 * counts)))


def check(path: Path, reps: int, seed: int, population: int | None = None) -> pd.DataFrame:
    """``replication, year, band, count, expected, z`` for each whole year of the window's ends."""
    scenario = load(path, RunSettings(population=population))
    p = scenario.params
    start = cohort_sizes(p).astype(float)
    years = int(p.time.horizon_days // DAYS_PER_YEAR)
    rows = []
    for rep in range(reps):
        data = single_run(p, seed=seed, replication=rep, prelaunch=scenario.prelaunch).data
        times = [data.window_start + y * DAYS_PER_YEAR for y in range(1, years + 1)]
        counts = band_counts(data, times)
        for y in range(1, years + 1):
            expected = start * growth(p.projection, float(y))
            for b, name in enumerate(BANDS):
                z = (counts[y - 1, b] - expected[b]) / np.sqrt(expected[b])
                rows.append((rep, y, name, int(counts[y - 1, b]), float(expected[b]), float(z)))
    return pd.DataFrame(rows, columns=["replication", "year", "band", "count", "expected", "z"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.calibration.projection_check", description=__doc__.split("\n")[0])
    ap.add_argument("scenario", type=Path, help="scenario file with a projection, e.g. demographic_projection.toml")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--population", type=int, default=None, help="registered people (default: the scenario's)")
    args = ap.parse_args(argv)
    table = check(args.scenario, args.reps, args.seed, args.population)
    for rep, one in table.groupby("replication"):
        z = one.pivot(index="year", columns="band", values="z")[list(BANDS)]
        limit = bound(z.size)
        print(f"replication {rep}: z by year's end and band (Bonferroni bound {limit:.2f} over {z.size} counts)")
        print(z.round(2).to_string())
        worst = float(z.abs().to_numpy().max())
        print(f"largest |z| {worst:.2f}: {'within' if worst <= limit else 'beyond'} sampling error\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
