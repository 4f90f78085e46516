"""Parameter sets per hour per core of a calibration study, for ABC-SMC alone and for the emulator route.

    python benchmarks/calibration.py [--study calibration/pilots.toml] [--population 100000] [--sets 3]
                                     [--fit calibration/fitted/pilots] [--json FILE]

A parameter set costs the same runs by either route: each of the study's scenarios x its replications,
with the comparator tasks of its emulated evaluations.  ``--sets`` sets from a Latin hypercube over the
priors are evaluated one at a time on one core (one worker), through the study's evaluator into a fresh
results store, as ``caresim calibrate`` evaluates them.  The first set also makes the runs every set
shares (the reference, and the place the controls come from), which a worker keeps; the later sets do
not, so their median is the figure of a set in a fit of many.

The emulator route also fits Gaussian-process emulators after each wave and runs ABC-SMC on them.  That
work is timed by replaying the committed fit in ``--fit`` (its waves and its posterior, from its own runs,
as ``caresim calibrate --sd-sensitivity`` does at the factor 1, which reproduces the fit), and spread over
the sets the fit ran: the route's sets per hour per core counts it.  ABC-SMC alone adds nothing
measurable to its runs (a proposal kernel per generation).

These are measurements, not tests: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sim.api.studies import _study_runner  # noqa: E402  (the evaluator caresim calibrate uses)
from sim.calibration import sd_sensitivity  # noqa: E402
from sim.calibration.calibrate import latin_hypercube  # noqa: E402
from sim.calibration.study import load_study  # noqa: E402


def set_seconds(study_file: Path, population: int, sets: int, folder: Path) -> list[float]:
    """Wall seconds of each of ``sets`` parameter sets evaluated one at a time on one worker."""
    study = load_study(study_file, population=population)
    thetas = latin_hypercube(study, sets)
    seconds = []
    with _study_runner(study, folder, False, False, 1, None, "fit", False) as (evaluate, _):
        for theta in thetas:
            t0 = time.perf_counter()
            evaluate(theta[None, :])
            seconds.append(time.perf_counter() - t0)
    return seconds


def emulator_seconds(study_file: Path, fit: Path) -> tuple[float, int]:
    """Seconds of the emulator route's own work (emulators of every wave, ABC-SMC on them) in the fit in
    ``fit``, replayed on its runs, and the number of sets that fit ran in the model."""
    study = load_study(study_file)
    runs = sd_sensitivity.fit_runs(study, fit)
    t0 = time.perf_counter()
    sd_sensitivity.refit(study, runs, sd_sensitivity.scaled_sd(study, 1.0))
    return time.perf_counter() - t0, len(runs.lookup)


def figures(seconds: list[float], emulator: float | None, fit_sets: int | None, population: int) -> dict:
    warm = float(np.median(seconds[1:])) if len(seconds) > 1 else seconds[0]
    out: dict = {
        "population": population,
        "sets_timed": len(seconds),
        "first_set_seconds": seconds[0],
        "set_seconds": warm,
        "abc_sets_per_hour_per_core": 3600.0 / warm,
    }
    if emulator is not None and fit_sets:
        out.update(
            {
                "emulator_work_seconds": emulator,
                "fit_sets": fit_sets,
                "emulator_sets_per_hour_per_core": 3600.0 * fit_sets / (fit_sets * warm + emulator),
                "fit_hours_one_core": (seconds[0] + (fit_sets - 1) * warm + emulator) / 3600.0,
            }
        )
    return out


def report(f: dict) -> str:
    lines = [
        f"Calibration at {f['population']:,} people, one core ({f['sets_timed']} sets timed):",
        f"  first set (with the runs every set shares): {f['first_set_seconds']:.1f} s",
        f"  a set after it (median): {f['set_seconds']:.1f} s",
        f"  ABC-SMC alone: {f['abc_sets_per_hour_per_core']:.0f} parameter sets per hour per core",
    ]
    if "emulator_sets_per_hour_per_core" in f:
        lines += [
            f"  emulator route: its emulators and ABC-SMC on them took {f['emulator_work_seconds']:.1f} s for the "
            f"committed fit's {f['fit_sets']} sets: {f['emulator_sets_per_hour_per_core']:.0f} parameter sets per "
            f"hour per core; that fit would take {f['fit_hours_one_core']:.2f} h on one core",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=ROOT / "calibration" / "pilots.toml")
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--sets", type=int, default=3, help="parameter sets timed (the first makes the shared runs)")
    parser.add_argument("--fit", type=Path, default=ROOT / "calibration" / "fitted" / "pilots")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.sets < 1:
        parser.error("--sets must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        seconds = set_seconds(args.study, args.population, args.sets, Path(tmp) / "fit")
    emulator, fit_sets = (None, None)
    if (args.fit / "waves.csv").is_file():
        emulator, fit_sets = emulator_seconds(args.study, args.fit)
    f = figures(seconds, emulator, fit_sets, args.population)
    print(report(f))
    if args.json:
        args.json.write_text(json.dumps(f, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
