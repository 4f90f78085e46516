"""Wall time of a 1,000-run sweep at a 50,000-person place, through the experiment runner on all cores.

    python benchmarks/sweep.py [--runs N] [--population P] [--sample K] [--workers W] [--json FILE]

The sweep is an experiment of ``N`` independent runs of the baseline (its
replications 0 .. N-1) at ``P`` registered people, run by the experiment
runner on a process pool into a fresh results store, as ``caresim experiment``
runs it: pool start (a first tiny run on each worker), every run, KPIs and
store writes included.
A run's cost does not depend on its parameters' values enough to matter here
(the MDT scenarios of a calibration sweep cost about the same), so these runs
stand for the sweep's.

``--sample K`` runs only the first ``K`` runs and scales their wall time to
``N`` (runs are independent and equally costly on average, so time is linear
in their number), adding the pool's start once; the output then says it is an
extrapolation.  Give ``K`` a multiple of the workers, so none idles at the end.  Without it
all ``N`` runs are made.  The target (performance issue) is 30 minutes for
1,000 runs at 50,000 people on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from parallel import experiment_file, started, timed_run  # noqa: E402  (benchmarks/parallel.py, beside this file)

from sim.experiments.executors import Pool  # noqa: E402

TARGET_MINUTES = 30.0  # 1,000 runs at 50,000 people on 2 cores (performance issue)
TARGET_RUNS = 1000
TARGET_POPULATION = 50_000


def sweep_seconds(runs: int, population: int, workers: int, folder: Path) -> tuple[float, float]:
    """Seconds to start the pool (a first tiny run on each worker), and seconds for ``runs`` baseline runs."""
    pool, start = started(lambda: Pool(workers), workers, folder / "pool")
    try:
        return start, timed_run(experiment_file(folder, "sweep", runs, population), pool, folder / "sweep")
    finally:
        pool.close()


def figures(runs: int, population: int, sample: int | None, workers: int, start: float, seconds: float) -> dict:
    made = sample or runs
    minutes = (start + seconds * runs / made) / 60
    applies = runs == TARGET_RUNS and population == TARGET_POPULATION
    return {
        "runs": runs,
        "population": population,
        "workers": workers,
        "runs_made": made,
        "pool_start_seconds": start,
        "wall_seconds_made": seconds,
        "seconds_per_run_per_worker": seconds * workers / made,
        "sweep_minutes": minutes,
        "extrapolated": made < runs,
        "target_minutes": TARGET_MINUTES,
        "target_applies": applies,
        "target_met": minutes <= TARGET_MINUTES,
    }


def report(f: dict) -> str:
    how = (
        f"pool start {f['pool_start_seconds']:.1f} s + {f['runs_made']:,} runs made in "
        f"{f['wall_seconds_made']:.1f} s, scaled to {f['runs']:,}"
        if f["extrapolated"]
        else f"all runs made, pool start {f['pool_start_seconds']:.1f} s included"
    )
    if f["target_applies"]:
        verdict = f"target {f['target_minutes']:g} min: {'met' if f['target_met'] else 'NOT met'}"
    else:
        verdict = f"the target ({TARGET_RUNS:,} runs at {TARGET_POPULATION:,} people) does not apply"
    return "\n".join(
        [
            f"caresim sweep: {f['runs']:,} runs of the baseline at {f['population']:,} people, "
            f"experiment runner on {f['workers']} worker processes",
            f"  wall time                 {f['sweep_minutes']:9.1f} min   ({how}; {verdict})",
            f"  per run, per worker       {f['seconds_per_run_per_worker']:9.2f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=TARGET_RUNS, help="runs in the sweep (default 1,000)")
    ap.add_argument("--population", type=int, default=TARGET_POPULATION, help="registered people (default 50,000)")
    ap.add_argument("--sample", type=int, default=None, help="make only this many runs and scale the time to --runs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.workers < 1 or (a.sample is not None and not 1 <= a.sample <= a.runs):
        ap.error("--runs and --workers must be at least 1, and --sample between 1 and --runs")
    with tempfile.TemporaryDirectory() as tmp:
        start, seconds = sweep_seconds(a.sample or a.runs, a.population, a.workers, Path(tmp))
    f = figures(a.runs, a.population, a.sample, a.workers, start, seconds)
    print(report(f))
    if a.json:
        Path(a.json).write_text(json.dumps(f, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
