"""Speed-up of the experiment runner on all cores, its per-task overhead, and Dask's overhead.

    python benchmarks/parallel.py [--population N] [--reps R] [--tiny-tasks T] [--no-dask] [--json FILE]

1. Speed-up: ``R`` independent replications of the baseline (default: two per
   core) through the runner (store included), serially and on a process pool of
   all cores; the ratio of wall times, against the target of 1.8 on 2 cores.
2. Per-task overhead: ``T`` tiny tasks (1,000 people, 7 days, no warm-up) through
   the runner serially, on the pool and on a local Dask cluster, against the
   same tasks as bare ``single_run`` calls: (runner time - bare time) / T.
3. Start-up: the seconds a process pool and a Dask LocalCluster take to
   start and run a first task on each worker (excluded from the figures above),
   and the speed-up of the big replications on Dask.

Measurements, not tests: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sim.experiments.batch import run_experiment  # noqa: E402
from sim.experiments.executors import Dask, Pool, Serial  # noqa: E402
from sim.experiments.experiment import load_experiment  # noqa: E402
from sim.experiments.store import Store  # noqa: E402
from sim.replication.single import single_run  # noqa: E402

TARGET_SPEEDUP_2_CORES = 1.8


def experiment_file(folder: Path, name: str, reps: int, population: int, extra: str = "") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nscenarios = ["baseline"]\nreplications = {reps}\n'
        f"population = {population}\ncharts = []\n{extra}\n",
        encoding="utf-8",
    )
    return path


def timed_run(path: Path, executor, out: Path) -> float:
    """Wall seconds for the runner to run every task of the experiment into a fresh store."""
    exp = load_experiment(path, out=out)
    out.mkdir(parents=True)
    with Store(out) as store:
        t0 = time.perf_counter()
        outcome = run_experiment(exp, store, executor, None)
        seconds = time.perf_counter() - t0
    if outcome.failed:
        raise RuntimeError(f"runs failed: {outcome.failed}")
    return seconds


def started(make, workers: int, folder: Path):
    """A new executor ``make()``, after a first tiny task on each worker, and the seconds this took."""
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    executor = make()
    timed_run(
        experiment_file(folder, "warm", workers, 1000, "horizon_days = 7\nwarmup_days = 0"), executor, folder / "warm"
    )
    return executor, time.perf_counter() - t0


def speedup(big: Path, pool, folder: Path) -> dict[str, float]:
    """Wall seconds of the experiment ``big`` through the runner serially and on ``pool``, and their ratio."""
    serial = timed_run(big, Serial(), folder / "b_serial")
    parallel = timed_run(big, pool, folder / "b_pool")
    return {"serial_s": serial, "pool_s": parallel, "speedup_pool": serial / parallel}


def pool_speedup(population: int, reps: int, cores: int, folder: Path) -> dict[str, float]:
    """``speedup`` of ``reps`` baseline replications at ``population`` people on a new pool of ``cores``."""
    pool, start = started(lambda: Pool(cores), cores, folder)
    try:
        return {**speedup(experiment_file(folder, "big", reps, population), pool, folder), "pool_start_s": start}
    finally:
        pool.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count() or 1
    ap.add_argument("--population", type=int, default=250_000, help="registered people (default 250,000)")
    ap.add_argument("--reps", type=int, default=2 * cores, help="replications for the speed-up (default: 2 per core)")
    ap.add_argument("--tiny-tasks", type=int, default=40, help="tiny tasks for the overhead (default 40)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurements")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    a = ap.parse_args()
    figures: dict[str, float | int | str] = {"cores": cores, "population": a.population, "reps": a.reps}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = experiment_file(tmp, "big", a.reps, a.population)
        tiny = experiment_file(tmp, "tiny", a.tiny_tasks, 1000, "horizon_days = 7\nwarmup_days = 0")

        # per-task overhead first: the tiny tasks themselves, bare
        exp = load_experiment(tiny)
        params = exp.variants[0].scenario.params
        single_run(params, seed=exp.seed, replication=0)  # imports and caches warm
        t0 = time.perf_counter()
        for r in range(a.tiny_tasks):
            single_run(params, seed=exp.seed, replication=r)
        bare = time.perf_counter() - t0
        figures["tiny_bare_s_per_task"] = bare / a.tiny_tasks
        figures["overhead_serial_s_per_task"] = (timed_run(tiny, Serial(), tmp / "t_serial") - bare) / a.tiny_tasks
        pool, figures["pool_start_s"] = started(lambda: Pool(cores), cores, tmp / "pool")
        try:
            figures["overhead_pool_s_per_task"] = (
                timed_run(tiny, pool, tmp / "t_pool") / a.tiny_tasks * cores - bare / a.tiny_tasks
            )
            figures.update(speedup(big, pool, tmp))
        finally:
            pool.close()
        if not a.no_dask:
            dask, figures["dask_start_s"] = started(lambda: Dask("local", cores), cores, tmp / "dask")
            try:
                figures["overhead_dask_s_per_task"] = (
                    timed_run(tiny, dask, tmp / "t_dask") / a.tiny_tasks * cores - bare / a.tiny_tasks
                )
                figures["dask_s"] = timed_run(big, dask, tmp / "b_dask")
            finally:
                dask.close()
            figures["speedup_dask"] = figures["serial_s"] / figures["dask_s"]
    print(report(figures))
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1) + "\n")


def report(f: dict) -> str:
    met = "met" if f["speedup_pool"] >= TARGET_SPEEDUP_2_CORES else "NOT met"
    lines = [
        f"caresim runner on {f['cores']} cores: {f['reps']} replications of the baseline at {f['population']:,} people",
        f"  serially                      {f['serial_s']:9.1f} s",
        f"  process pool ({f['cores']} workers)      {f['pool_s']:9.1f} s   speed-up {f['speedup_pool']:.2f}x "
        f"(target {TARGET_SPEEDUP_2_CORES}x on 2 cores: {met}; pool start {f['pool_start_s']:.1f} s, not included)",
    ]
    if "dask_s" in f:
        lines.append(
            f"  Dask LocalCluster             {f['dask_s']:9.1f} s   speed-up {f['speedup_dask']:.2f}x "
            f"(cluster start {f['dask_start_s']:.1f} s, not included)"
        )
    lines += [
        "Per-task overhead (tiny tasks: 1,000 people, 7 days; runner time minus the bare single_run time, per task,",
        "per worker):",
        f"  bare single_run               {1000 * f['tiny_bare_s_per_task']:9.1f} ms per task",
        f"  serial runner (store)         {1000 * f['overhead_serial_s_per_task']:9.1f} ms per task",
        f"  process pool                  {1000 * f['overhead_pool_s_per_task']:9.1f} ms per task",
    ]
    if "overhead_dask_s_per_task" in f:
        lines.append(f"  Dask LocalCluster             {1000 * f['overhead_dask_s_per_task']:9.1f} ms per task")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
