"""The evaluations' bias alone: the placebo MDT evaluated under both published designs.

``python -m sim.calibration.evaluation_bias [--population P] [--reps N] [--seed S]`` runs the
baseline and ``scenarios/placebo_mdt.toml`` (the pilot's team enrolling the same people, with no
effect) with common random numbers, and for each design of ``calibration/evaluation_designs.toml``
prints the same people's true effect (cohort ``mdt`` against ``mdt:placebo_mdt``: zero) and the
evaluation's estimate against matched controls (its bias), in per cent, with 95% intervals over
replications.  ``docs/evaluation.md`` records the figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.analysis.compare import COMPARATOR, counterfactual_kpis
from sim.analysis.stats import mean_ci
from sim.outcomes.evaluation import EVALUATED, emulate, load_designs
from sim.outcomes.metrics import kpi_table, mdt_cohorts
from sim.replication.single import single_run
from sim.scenarios.scenario import RunSettings, Scenario, load

ROOT = Path(__file__).resolve().parents[2]
PLACEBO = ROOT / "scenarios" / "placebo_mdt.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"


def placebo_bias(reference: Scenario, placebo: Scenario, reps: int, seed: int) -> pd.DataFrame:
    """Per design and metric: the true effect and the evaluation's estimate (per cent, mean and 95% interval
    over replications), and the bias (estimate less true effect, percentage points)."""
    designs, _ = load_designs()
    rows = []
    for rep in range(reps):
        ref = single_run(reference.params, seed, rep, prelaunch=reference.prelaunch)
        sc = single_run(placebo.params, seed, rep, prelaunch=placebo.prelaunch)
        pool = single_run(reference.params, seed, COMPARATOR + rep, prelaunch=reference.prelaunch)
        same = counterfactual_kpis(ref.data, sc.data, placebo.name).set_index("metric")["value"]
        own = kpi_table(sc.data, mdt_cohorts(sc.data)).set_index("metric")["value"]
        for d in designs.values():
            em = emulate(pool.data, sc.data, d)
            if em is None:
                continue
            est = em.estimate.set_index("metric")["pct_change"]
            for m in EVALUATED:
                true = 100.0 * (own[m] - same[m]) / same[m] if same[m] else float("nan")
                rows.append((d.name, m, rep, true, float(est[m]), int(em.pairs["case"].nunique())))
    raw = pd.DataFrame(rows, columns=["design", "metric", "replication", "true", "estimate", "cases"])
    out = []
    for (design, metric), g in raw.groupby(["design", "metric"], sort=False):
        _, true, _, _, _ = mean_ci(g["true"])
        _, est, _, lo, hi = mean_ci(g["estimate"])
        _, bias, _, blo, bhi = mean_ci(g["estimate"] - g["true"])
        out.append((design, metric, true, est, lo, hi, bias, blo, bhi, float(g["cases"].mean())))
    columns = ["design", "metric", "true_pct", "estimate_pct", "estimate_ci_low", "estimate_ci_high"]
    return pd.DataFrame(out, columns=[*columns, "bias_pp", "bias_ci_low", "bias_ci_high", "matched_cases"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calibration.evaluation_bias", description=__doc__)
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.population < 1000 or args.reps < 1:
        print("caresim: error: command line: --population must be at least 1000 and --reps at least 1", file=sys.stderr)
        return 2
    settings = RunSettings(population=args.population)
    reference, placebo = load(BASELINE, settings), load(PLACEBO, settings)
    table = placebo_bias(reference, placebo, args.reps, args.seed)
    print(
        f"The placebo MDT's evaluation bias ({args.population:,} people, {args.reps} replications, seed {args.seed}):"
    )
    print(table.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
