"""Speed and memory of one replication of the default place, against bare SimPy measured in the same run.

    python benchmarks/run.py [--population N] [--horizon-days D] [--warmup-days W] [--reps R]
                             [--seed S] [--scaling] [--long] [--all] [--sweep-sample K] [--no-memory] [--json FILE]

Prints a plain table of figures, then every target of the performance issue
with its measured figure and whether it is met (``--all`` measures them all:
the scaling runs, the ten-year run against a two-year one (``--long``), the
process pool's speed-up of ``benchmarks/parallel.py`` and the 1,000-run sweep
of ``benchmarks/sweep.py``); ``--json FILE`` also
writes the figures as JSON.  See ``benchmarks/README.md`` for what each
figure means.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import parallel  # noqa: E402  (benchmarks/parallel.py and sweep.py, beside this file)
import simpy  # noqa: E402
import sweep  # noqa: E402

from sim import compiled  # noqa: E402
from sim.parameters.params import Params  # noqa: E402
from sim.parameters.tree import apply_overrides  # noqa: E402
from sim.replication.runner import FILES, multiple_replications, write_outputs  # noqa: E402
from sim.replication.single import rare_collections, single_run  # noqa: E402

# the performance issue's targets, on the 2-core machine
TARGET_RATIO = 1.5  # model seconds per replication / bare SimPy seconds per 1,000,000 events, at the default place
TARGET_RATIO_FASTER = 3.0  # the same ratio, the faster-answers issue's bar (median of 3, same run)
TARGET_EVENTS_PER_PERSON_YEAR = 10.0
TARGET_SCALING = 1.15  # seconds per person-year when population or horizon doubles / before
TARGET_MEMORY_MIB = 1e9 / 2**20  # peak memory of the default place: 1 GB
TARGET_LONG = 5.0  # the ten-year issue: a 10-year run (its KPIs by year included) costs at most 5 times a 2-year run
LONG_YEARS = (2, 10)  # the windows --long times, in years of 365.25 days
BARE_EVENTS = 1_000_000
BARE_PROCESSES = 2_000


# --- bare SimPy -----------------------------------------------------------------------------------


def bare_simpy(events: int = BARE_EVENTS, processes: int = BARE_PROCESSES, seed: int = 1) -> tuple[float, int]:
    """Seconds bare SimPy needs to process ``events`` events, and the count it processed.

    ``processes`` processes each loop ``yield env.timeout(exponential)``; the
    exponentials come from a numpy Generator in one vectorised call made before
    the clock starts.  Every process start and every timeout is one event; the
    run stops when ``events`` of them have been processed.
    """
    draws = iter(np.random.default_rng(seed).exponential(1.0, events + processes).tolist())
    env = simpy.Environment()
    done = env.event()
    count = [0]

    def loop():
        count[0] += 1  # the process's start (its Initialize event)
        while True:
            yield env.timeout(next(draws))
            count[0] += 1
            if count[0] >= events and not done.triggered:
                done.succeed()

    t0 = time.perf_counter()
    for _ in range(processes):
        env.process(loop())
    env.run(until=done)
    return time.perf_counter() - t0, count[0]


def day_list_seconds(entries: int, days: float, people: int, seed: int = 1) -> float:
    """Seconds for ``sim.core.calendar`` to dispatch ``entries`` day-list entries to an empty handler.

    The entries fall at uniform times over ``days``, for ``people`` ids, with
    nothing else on the heap, and the garbage collector set as in a run.  With
    bare SimPy's cost of the run's events, this is what a replication would
    cost if its care pathways did no work (``dispatch floor`` in the table).
    """
    from librt.vecs import vec
    from mypy_extensions import i64

    from sim.core.calendar import Calendar, Environment

    rng = np.random.default_rng(seed)
    env = Environment()
    cal = Calendar(env, lambda pid, kind, token: None, vec[i64]([0] * people))
    times, pids = rng.uniform(0, days, entries).tolist(), rng.integers(0, people, entries).tolist()
    t0 = time.perf_counter()
    with rare_collections():  # as in a run
        for t, pid in zip(times, pids):
            cal.add(t, pid, 0, -1)
        cal.start()
        env.run(until=days)
    return time.perf_counter() - t0


# --- the model ------------------------------------------------------------------------------------


def params_for(population: int | None, horizon: float | None, warmup: float | None) -> Params:
    over: dict[str, Any] = {}
    if population is not None:
        over.setdefault("place", {})["registered_population"] = population
    if horizon is not None:
        over.setdefault("time", {})["horizon_days"] = horizon
    if warmup is not None:
        over.setdefault("time", {})["warmup_days"] = warmup
    return apply_overrides(Params(), over)


def timed_run(params: Params, seed: int, replication: int) -> dict[str, float]:
    return dict(single_run(params, seed, replication).stats)


_CHILD = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
over = json.loads(sys.argv[2])
stats = dict(single_run(apply_overrides(Params(), over), int(sys.argv[3]), 0).stats)
try:  # Linux: this program's own high-water mark
    hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    stats["peak_kib"] = int(hwm[0])
except (OSError, IndexError):  # elsewhere ru_maxrss (bytes on macOS, KiB on others)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats["peak_kib"] = rss / 1024 if sys.platform == "darwin" else rss
print(json.dumps(stats))
"""


def fresh_run(params: Params, seed: int) -> dict[str, float]:
    """``single_run``'s statistics from a fresh Python process, and its peak resident memory (``peak_kib``).

    A fresh process is not slowed or swollen by runs made before it in this
    one.  On Linux the child reads its own high-water mark (``VmHWM``): its
    ``ru_maxrss`` would also count the pages of this process it was forked
    from.
    """
    over = {
        "place": {"registered_population": params.place.registered_population},
        "time": {"horizon_days": params.time.horizon_days, "warmup_days": params.time.warmup_days},
    }
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), json.dumps(over), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


_LONG_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
t0 = time.perf_counter()
res = single_run(apply_overrides(Params(), json.loads(sys.argv[2])), int(sys.argv[3]), 0)
t1 = time.perf_counter()
res.yearly()
t2 = time.perf_counter()
try:  # Linux: this program's own high-water mark (as _CHILD)
    peak = int([line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0])
except (OSError, IndexError):
    peak = None
print(json.dumps({**res.stats, "run_seconds": t1 - t0, "yearly_seconds": t2 - t1, "peak_kib": peak}))
"""


def long_run(params: Params, years: int, seed: int) -> dict[str, float]:
    """One replication with a window of ``years`` years of 365.25 days, and its KPIs by year (as ``caresim run``
    makes them), in a fresh Python process: its statistics, ``run_seconds`` (single_run: build, run, KPIs),
    ``yearly_seconds`` and the process's peak resident memory (``peak_kib``, Linux only)."""
    over = {
        "place": {"registered_population": params.place.registered_population},
        "time": {"horizon_days": years * 365.25, "warmup_days": params.time.warmup_days},
    }
    out = subprocess.run(
        [sys.executable, "-c", _LONG_CHILD, str(ROOT), json.dumps(over), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def long_figures(params: Params, seed: int) -> dict[str, Any]:
    """``--long``: a ten-year run against a two-year one at the same place and warm-up (:data:`LONG_YEARS`)."""
    short, long = (long_run(params, y, seed) for y in LONG_YEARS)

    def total(s: dict[str, float]) -> float:
        return s["run_seconds"] + s["yearly_seconds"]

    return {
        "years": list(LONG_YEARS),
        "population": params.place.registered_population,
        "warmup_days": params.time.warmup_days,
        **{f"{k}_{y}y": s[k] for y, s in zip(LONG_YEARS, (short, long)) for k in ("run_seconds", "yearly_seconds")},
        **{f"peak_rss_mb_{y}y": (s["peak_kib"] or math.nan) / 2**10 for y, s in zip(LONG_YEARS, (short, long))},
        **{f"events_{y}y": s["events"] for y, s in zip(LONG_YEARS, (short, long))},
        "ratio": total(long) / total(short),
        "ratio_simulation": long["wall_seconds_simulation"] / short["wall_seconds_simulation"],
        "target": TARGET_LONG,
        "target_met": total(long) / total(short) <= TARGET_LONG,
    }


def seconds_per_person_year(params: Params, seed: int) -> float:
    s = fresh_run(params, seed)
    return s["wall_seconds_simulation"] / s["person_years_simulated"]


def event_log_size(params: Params, seed: int, folder: Path) -> dict[str, float]:
    """One replication with the event log on, written as ``caresim run --events`` writes it.

    Returns its size per million events.
    """
    t0 = time.perf_counter()
    frames = multiple_replications(params, "baseline", 1, seed, log_events=True)
    write_outputs(folder, {"events": frames["events"]})
    seconds = time.perf_counter() - t0
    rows = len(frames["events"])
    csv_mb = (folder / FILES["events"]).stat().st_size / 1e6
    table_mb = frames["events"].memory_usage(deep=True).sum() / 1e6
    per_million = 1e6 / rows if rows else math.nan
    return {
        "event_log_rows": rows,
        "event_log_csv_mb": csv_mb,
        "event_log_table_mb": table_mb,
        "event_log_csv_mb_per_million": csv_mb * per_million,
        "event_log_table_mb_per_million": table_mb * per_million,
        "event_log_seconds": seconds,
    }


# --- output ---------------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        a = abs(value)
        if a == 0:
            return "0"
        if a >= 1000:
            return f"{value:,.0f}"
        if a >= 10:
            return f"{value:,.1f}"
        if a >= 0.01:
            return f"{value:.3f}"
        return f"{value:.3g}"
    return str(value)


def print_table(rows: list[tuple[str, Any, str]]) -> None:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(fmt(r[1])) for r in rows)
    for name, value, unit in rows:
        print(f"{name:<{w0}}  {fmt(value):>{w1}}  {unit}".rstrip())


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def target_rows(fig: dict[str, Any], default_place: bool) -> list[tuple[str, Any, str]]:
    """Each target with its measured figure and whether it is met (or how to measure it)."""

    def verdict(met: bool, target: str) -> str:
        return f"target {target}: {'met' if met else 'NOT met'}"

    ratio = fig["ratio_to_bare_simpy_1m"]
    rows: list[tuple[str, Any, str]] = [
        (
            "replication / bare SimPy 1M events",
            ratio,
            verdict(ratio <= TARGET_RATIO, f"<= {TARGET_RATIO}")
            + ("" if default_place else " (the target is for the default place)"),
        ),
        (
            "  the faster-answers issue's bar",
            ratio,
            verdict(ratio <= TARGET_RATIO_FASTER, f"<= {TARGET_RATIO_FASTER}")
            + ("" if default_place else " (the bar is for the default place)"),
        ),
        (
            "events per person-year",
            fig["events_per_person_year"],
            verdict(
                fig["events_per_person_year"] <= TARGET_EVENTS_PER_PERSON_YEAR, f"<= {TARGET_EVENTS_PER_PERSON_YEAR:g}"
            ),
        ),
    ]
    if "scaling" in fig:
        sc = fig["scaling"]
        for what in ("population", "horizon"):
            x = sc[f"seconds_per_person_year_{what}_x2"] / sc["seconds_per_person_year_base"]
            rows.append(
                (f"s per person-year, {what} doubled", x, verdict(x <= TARGET_SCALING, f"<= x{TARGET_SCALING}"))
            )
    else:
        rows.append(("s per person-year, population and horizon doubled", "-", "not measured (--scaling or --all)"))
    if "long" in fig:
        lg = fig["long"]
        rows.append(
            (
                f"{LONG_YEARS[1]}-year run / {LONG_YEARS[0]}-year run",
                lg["ratio"],
                f"x (KPIs by year included; simulation alone x{lg['ratio_simulation']:.2f}), "
                + verdict(lg["target_met"], f"<= x{TARGET_LONG:g}"),
            )
        )
    else:
        rows.append((f"{LONG_YEARS[1]}-year run / {LONG_YEARS[0]}-year run", "-", "not measured (--long or --all)"))
    if "peak_rss_mb_subprocess" in fig:
        rss = fig["peak_rss_mb_subprocess"]
        rows += [
            (
                "peak memory (RSS, whole process)",
                rss,
                "MiB, "
                + verdict(rss <= TARGET_MEMORY_MIB, "<= 1 GB (954 MiB)")
                + ("" if default_place else " (the target is for the default place)"),
            ),
            (
                "event log size per million events",
                fig["event_log_csv_mb_per_million"],
                f"MB as events.csv ({fig['event_log_table_mb_per_million']:.1f} MB as a table in memory): stated",
            ),
        ]
    else:
        rows.append(("peak memory, event log size", "-", "not measured (without --no-memory)"))
    if "sweep" in fig:
        sw = fig["sweep"]
        rows.append(
            (
                f"{sw['runs']:,}-run sweep at {sw['population']:,} people",
                sw["sweep_minutes"],
                f"min on {sw['workers']} workers"
                + (f" ({sw['runs_made']} runs made, scaled)" if sw["extrapolated"] else "")
                + ", "
                + verdict(sw["target_met"], f"<= {sweep.TARGET_MINUTES:g} min"),
            )
        )
        par = fig["parallel"]
        rows.append(
            (
                f"process pool speed-up, {par['cores']} cores",
                par["speedup_pool"],
                f"x ({par['reps']} replications), "
                + verdict(
                    par["speedup_pool"] >= parallel.TARGET_SPEEDUP_2_CORES,
                    f">= {parallel.TARGET_SPEEDUP_2_CORES}x on 2 cores",
                ),
            )
        )
    else:
        rows.append(("1,000-run sweep, process pool speed-up", "-", "not measured (--all)"))
    return rows


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time one replication of the default place against bare SimPy.")
    ap.add_argument("--population", type=int, default=None, help="registered people (default: Params())")
    ap.add_argument("--horizon-days", type=float, default=None, help="statistics window in days (default: Params())")
    ap.add_argument("--warmup-days", type=float, default=None, help="warm-up in days (default: Params())")
    ap.add_argument("--reps", type=int, default=1, help="replications timed; figures are their median (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bare-repeats", type=int, default=3, help="bare SimPy measurements; their median is used")
    ap.add_argument("--scaling", action="store_true", help="also time population P and 2P, horizon H and 2H")
    ap.add_argument(
        "--long",
        action="store_true",
        help="also time a 10-year run against a 2-year run at the place, each with its KPIs by year (minutes)",
    )
    ap.add_argument(
        "--all",
        action="store_true",
        help="measure every target: --scaling, --long, the process pool's speed-up and the 1,000-run sweep",
    )
    ap.add_argument(
        "--sweep-sample",
        type=int,
        default=40,
        help="with --all: runs of the sweep made, their time scaled to 1,000 (default 40)",
    )
    ap.add_argument("--no-memory", action="store_true", help="skip the two memory runs and the event-log run")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if args.reps < 1 or args.bare_repeats < 1:
        ap.error("--reps and --bare-repeats must be at least 1")
    if not 1 <= args.sweep_sample <= sweep.TARGET_RUNS:
        ap.error(f"--sweep-sample must be between 1 and {sweep.TARGET_RUNS:,}")
    args.scaling = args.scaling or args.all
    args.long = args.long or args.all

    try:
        params = params_for(args.population, args.horizon_days, args.warmup_days)
    except ValueError as e:
        print(f"benchmarks: error: {e}", file=sys.stderr)
        return 2
    pop = params.place.registered_population
    default_pop = Params().place.registered_population
    default_place = pop == default_pop
    horizon = params.time.horizon_days
    warmup = params.time.warmup_days

    # bare SimPy, in this process, before and after the model (median of all measurements)
    bare_times: list[float] = []
    half = (args.bare_repeats + 1) // 2
    for i in range(half):
        t, n = bare_simpy(seed=i + 1)
        bare_times.append(t * BARE_EVENTS / n)

    runs = [timed_run(params, args.seed, r) for r in range(args.reps)]

    for i in range(half, args.bare_repeats):
        t, n = bare_simpy(seed=i + 1)
        bare_times.append(t * BARE_EVENTS / n)
    bare = statistics.median(bare_times)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    wall = med("wall_seconds_simulation")
    wall_total = med("wall_seconds_total")
    events = med("events")
    py = med("person_years_simulated")
    ratio = wall / bare
    day_lists = day_list_seconds(
        int(med("calendar_entries_dispatched")), warmup + horizon, int(med("people")), args.seed
    )
    fig: dict[str, Any] = {
        "build": compiled.build_name(),  # "python", or "mypyc" with the compiled build (caresim compile)
        "registered_population": pop,
        "cohort_people_simulated": med("people") if "people" in runs[0] else None,
        "horizon_days": horizon,
        "warmup_days": warmup,
        "replications_timed": args.reps,
        "wall_seconds_simulation": wall,
        "wall_seconds_total": wall_total,
        "events": events,
        "events_per_second": events / wall,
        "events_per_person_year": events / py,
        "person_years_simulated": py,
        "person_years_per_second": py / wall,
        "seconds_per_person_year": wall / py,
        "bare_simpy_seconds_per_1m_events": bare,
        "bare_simpy_events_per_second": BARE_EVENTS / bare,
        "ratio_to_bare_simpy_1m": ratio,
        "ratio_target": TARGET_RATIO,
        "ratio_target_met": ratio <= TARGET_RATIO,
        "ratio_target_faster": TARGET_RATIO_FASTER,
        "ratio_target_faster_met": ratio <= TARGET_RATIO_FASTER,
        "ratio_target_applies": default_place,  # the target is stated for the default place
        "day_list_seconds_empty_handlers": day_lists,
        "dispatch_floor_ratio_to_bare_simpy_1m": (day_lists + events / BARE_EVENTS * bare) / bare,
    }

    if not args.no_memory:
        mem = single_run(params, args.seed, 0, measure_memory=True).stats
        fig["peak_memory_mb_tracemalloc"] = mem["peak_memory_mb"]
        fig["peak_rss_mb_subprocess"] = fresh_run(params, args.seed)["peak_kib"] / 2**10
        with tempfile.TemporaryDirectory() as tmp:
            fig.update(event_log_size(params, args.seed, Path(tmp)))

    if args.scaling:
        p2 = params_for(2 * pop, horizon, warmup)
        h2 = params_for(pop, 2 * horizon, warmup)
        fig["scaling"] = {  # each run in a fresh process
            "population": pop,
            "population_x2": 2 * pop,
            "horizon_days": horizon,
            "horizon_days_x2": 2 * horizon,
            "seconds_per_person_year_base": seconds_per_person_year(params, args.seed),
            "seconds_per_person_year_population_x2": seconds_per_person_year(p2, args.seed),
            "seconds_per_person_year_horizon_x2": seconds_per_person_year(h2, args.seed),
        }

    if args.long:
        fig["long"] = long_figures(params, args.seed)

    if args.all:
        cores = os.cpu_count() or 1
        with tempfile.TemporaryDirectory() as tmp:
            fig["parallel"] = {
                "cores": cores,
                "population": pop,
                "reps": 2 * cores,
                **parallel.pool_speedup(pop, 2 * cores, cores, Path(tmp) / "speedup"),
            }
            start, seconds = sweep.sweep_seconds(args.sweep_sample, sweep.TARGET_POPULATION, cores, Path(tmp) / "sweep")
        fig["sweep"] = sweep.figures(
            sweep.TARGET_RUNS, sweep.TARGET_POPULATION, args.sweep_sample, cores, start, seconds
        )

    rows: list[tuple[str, Any, str]] = [
        ("build", fig["build"], "pure Python, or mypyc: the compiled build (caresim compile)"),
        ("registered population", pop, "people"),
        ("cohort simulated", int(fig["cohort_people_simulated"] or 0), "people (person-level, incl. entrants)"),
        ("warm-up + horizon", f"{warmup:g} + {horizon:g}", "days"),
        ("replications timed", args.reps, "(median reported)"),
        ("wall time, simulation", wall, "s (build + run, no KPIs)"),
        ("wall time, total", wall_total, "s (with KPIs)"),
        ("SimPy events", int(events), "scheduled"),
        ("events per second", fig["events_per_second"], "events/s"),
        ("events per person-year", fig["events_per_person_year"], "events"),
        ("person-years simulated", py, "person-years (warm-up included)"),
        ("person-years per second", fig["person_years_per_second"], "person-years/s"),
        ("seconds per person-year", fig["seconds_per_person_year"], "s"),
    ]
    if "peak_memory_mb_tracemalloc" in fig:
        rows += [
            ("peak memory (tracemalloc)", fig["peak_memory_mb_tracemalloc"], "MiB allocated by Python, separate run"),
            ("peak RSS (subprocess)", fig["peak_rss_mb_subprocess"], "MiB, whole process, separate run"),
            (
                "event log (events.csv)",
                fig["event_log_rows"],
                f"rows, {fig['event_log_csv_mb']:.1f} MB on disk, "
                f"{fig['event_log_table_mb']:.1f} MB as a table, separate run",
            ),
        ]
    rows += [
        ("bare SimPy, 1M events", bare, f"s (median of {args.bare_repeats}; {BARE_PROCESSES:,} processes)"),
        ("bare SimPy events per second", fig["bare_simpy_events_per_second"], "events/s"),
        (
            "ratio model / bare SimPy 1M",
            ratio,
            f"target <= {TARGET_RATIO}: {'met' if fig['ratio_target_met'] else 'not met'}; "
            f"<= {TARGET_RATIO_FASTER}: {'met' if ratio <= TARGET_RATIO_FASTER else 'not met'}"
            + ("" if default_place else f" (the target is for the default place of {default_pop:,})"),
        ),
        (
            "dispatch floor / bare SimPy 1M",
            fig["dispatch_floor_ratio_to_bare_simpy_1m"],
            f"(the run's {int(med('calendar_entries_dispatched')):,} day-list entries to empty handlers, "
            f"{day_lists:.2f} s, "
            "plus its SimPy events at bare SimPy's cost)",
        ),
    ]
    if args.scaling:
        sc = fig["scaling"]
        rows += [
            (f"s per person-year, population {pop:,}", sc["seconds_per_person_year_base"], "s"),
            (
                f"s per person-year, population {2 * pop:,}",
                sc["seconds_per_person_year_population_x2"],
                f"s (x{sc['seconds_per_person_year_population_x2'] / sc['seconds_per_person_year_base']:.2f})",
            ),
            (f"s per person-year, horizon {horizon:g} d", sc["seconds_per_person_year_base"], "s"),
            (
                f"s per person-year, horizon {2 * horizon:g} d",
                sc["seconds_per_person_year_horizon_x2"],
                f"s (x{sc['seconds_per_person_year_horizon_x2'] / sc['seconds_per_person_year_base']:.2f})",
            ),
        ]
    if args.long:
        lg = fig["long"]
        for y in LONG_YEARS:
            rows.append(
                (
                    f"{y}-year run, fresh process",
                    lg[f"run_seconds_{y}y"] + lg[f"yearly_seconds_{y}y"],
                    f"s ({lg[f'run_seconds_{y}y']:.1f} run and KPIs, {lg[f'yearly_seconds_{y}y']:.1f} KPIs by year; "
                    f"{lg[f'events_{y}y']:,.0f} events; peak RSS {lg[f'peak_rss_mb_{y}y']:,.0f} MiB)",
                )
            )
    print_table(rows)
    print()
    print("Targets (performance issue):")
    print_table(target_rows(fig, default_place))

    if args.json:
        meta = {
            "python": platform.python_version(),
            "simpy": simpy.__version__,
            "numpy": np.__version__,
            "machine": platform.machine(),
            "system": platform.system(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
            "git_commit": git_commit(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "per_replication": runs,
            "bare_simpy_seconds_per_1m_events_all": bare_times,
        }
        Path(args.json).write_text(json.dumps({"figures": fig, "meta": meta}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
