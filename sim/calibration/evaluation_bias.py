"""The evaluations' bias alone: a placebo MDT evaluated under each published design.

``python -m sim.calibration.evaluation_bias [--population P] [--reps N] [--seed S] [--designs FILE]``
runs the baseline and, for each design of ``calibration/evaluation_designs.toml`` (or ``FILE``), the
placebo of the scenario it evaluates (:data:`PLACEBOS`: that scenario's team enrolling the same people,
with no effect) with common random numbers, and prints the same people's true effect (cohort ``mdt``
against ``mdt:<placebo>``: zero) and the evaluation's estimate against matched controls (its bias), in
per cent, with 95% intervals over replications.  ``docs/evaluation.md`` records the figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.analysis.compare import COMPARATOR, counterfactual_kpis
from sim.analysis.kept_runs import pool_run
from sim.analysis.stats import mean_ci
from sim.outcomes.evaluation import DESIGNS_FILE, EVALUATED, Design, emulate, load_designs
from sim.outcomes.metrics import kpi_table, mdt_cohorts
from sim.replication.single import single_run
from sim.scenarios.scenario import RunSettings, Scenario, load

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
PLACEBO = SCENARIOS / "placebo_mdt.toml"
# the placebo of each evaluated scenario: its team's case finding, enrolment changing nothing
PLACEBOS = {"case_management": SCENARIOS / "placebo_case_management.toml"}
BASELINE = SCENARIOS / "baseline.toml"


def placebo_for(design: Design) -> Path:
    """The placebo of the scenario ``design`` evaluates (the pilots' placebo for any other)."""
    return next((PLACEBOS[s] for s in design.scenarios if s in PLACEBOS), PLACEBO)


def placebo_bias(
    reference: Scenario, placebos: dict[str, Scenario], reps: int, seed: int, designs: dict[str, Design]
) -> pd.DataFrame:
    """Per design (``placebos`` maps each design's name to its placebo) and metric: the true effect and the
    evaluation's estimate (per cent, mean and 95% interval over replications), and the bias (estimate
    less true effect, percentage points)."""
    rows = []
    for rep in range(reps):
        ref = single_run(reference.params, seed, rep, prelaunch=reference.prelaunch)
        pool = pool_run(reference.params, reference.prelaunch, seed, COMPARATOR + rep)
        for d in designs.values():
            placebo = placebos[d.name]
            sc = single_run(placebo.params, seed, rep, prelaunch=placebo.prelaunch)
            same = counterfactual_kpis(ref.data, sc.data, placebo.name).set_index("metric")["value"]
            own = kpi_table(sc.data, mdt_cohorts(sc.data)).set_index("metric")["value"]
            em = emulate(pool, sc.data, d)
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
    parser.add_argument("--designs", type=Path, default=DESIGNS_FILE, help="the designs file (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.population < 1000 or args.reps < 1:
        print("caresim: error: command line: --population must be at least 1000 and --reps at least 1", file=sys.stderr)
        return 2
    settings = RunSettings(population=args.population)
    try:
        designs, _ = load_designs(args.designs)
    except (OSError, ValueError) as e:
        print(f"caresim: error: {args.designs}: {e}", file=sys.stderr)
        return 2
    placebos = {name: load(placebo_for(d), settings) for name, d in designs.items()}
    table = placebo_bias(load(BASELINE, settings), placebos, args.reps, args.seed, designs)
    print(
        f"The placebo MDTs' evaluation bias ({args.population:,} people, {args.reps} replications, seed {args.seed}):"
    )
    print(table.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
