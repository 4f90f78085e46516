"""Several replications of one scenario, and the files they are written to.

``multiple_replications`` runs replications 0..reps-1 serially with the same
master seed (each replication draws from its own streams) and returns tidy
DataFrames tagged with the scenario's name and the replication.  Only
:func:`write_outputs` writes files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.parameters.params import Params
from sim.replication.single import single_run

KPI_COLUMNS = ["scenario", "replication", "cohort", "metric", "value"]
TIMESERIES_COLUMNS = ["scenario", "replication", "day", "series", "value"]
YEARLY_COLUMNS = ["scenario", "replication", "year", "cohort", "metric", "value"]  # sim.outcomes.yearly
EVENT_COLUMNS = ["scenario", "replication", "person_id", "time_days", "event", "count"]
FILES = {
    "kpis": "kpis.csv",
    "timeseries": "timeseries.csv",
    "yearly": "yearly.csv",
    "events": "events.csv",
    "balance": "matching_balance.csv",  # a comparison with an MDT: the emulated evaluation's balance
}


class ReplicationFailed(RuntimeError):
    """A replication raised; carries the scenario, the replication and the original error."""

    def __init__(self, scenario: str, replication: int, error: BaseException):
        self.scenario = scenario
        self.replication = replication
        self.error = error
        super().__init__(f"scenario '{scenario}', replication {replication}: {type(error).__name__}: {error}")


def _tag(frame: pd.DataFrame, scenario: str, replication: int) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out.insert(0, "replication", replication)
    out.insert(0, "scenario", scenario)
    return out


def multiple_replications(
    params: Params,
    scenario_name: str,
    reps: int,
    seed: int,
    log_events: bool = False,
    *,
    progress: Callable[[int, int, float], None] | None = None,
    prelaunch: Params | None = None,
) -> dict[str, pd.DataFrame]:
    """Run replications 0..reps-1 with ``seed``; return ``kpis``, ``timeseries``, ``yearly`` (the KPIs year by
    year of the window) and (if asked) ``events``.

    ``progress(done, reps, seconds)`` is called after each replication.  A
    replication that raises stops the run with :class:`ReplicationFailed`.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, got {reps!r}")
    kpis, series, yearly, events = [], [], [], []
    for rep in range(reps):
        t0 = time.perf_counter()
        try:
            res = single_run(params, seed=seed, replication=rep, prelaunch=prelaunch)
            if log_events:
                events.append(_tag(res.events(), scenario_name, rep))
            yearly.append(_tag(res.yearly(), scenario_name, rep))
        except Exception as e:  # reported with the replication it came from
            raise ReplicationFailed(scenario_name, rep, e) from e
        kpis.append(_tag(res.kpis, scenario_name, rep))
        series.append(_tag(res.timeseries, scenario_name, rep))
        if progress is not None:
            progress(rep + 1, reps, time.perf_counter() - t0)
    frames = {
        "kpis": pd.concat(kpis, ignore_index=True)[KPI_COLUMNS],
        "timeseries": pd.concat(series, ignore_index=True)[TIMESERIES_COLUMNS],
        "yearly": pd.concat(yearly, ignore_index=True)[YEARLY_COLUMNS],
    }
    if log_events:
        ev = pd.concat(events, ignore_index=True)
        extra = [c for c in ev.columns if c not in EVENT_COLUMNS]
        frames["events"] = ev[EVENT_COLUMNS + extra]
    return frames


def write_outputs(out_dir: str | Path, frames: dict[str, pd.DataFrame]) -> list[Path]:
    """Write ``kpis.csv``, ``timeseries.csv`` and, if present, ``yearly.csv``, ``events.csv`` and
    ``matching_balance.csv``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, filename in FILES.items():
        if key in frames:
            path = out / filename
            frames[key].to_csv(path, index=False)
            written.append(path)
    return written
