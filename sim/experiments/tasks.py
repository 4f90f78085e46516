"""One task of an experiment: one replication of one scenario at one grid point.

:func:`run_task` is what a worker (this process, a process pool or a Dask
worker) executes.  It never raises: an error comes back in the result, so
one failing replication cannot take the others down.  Besides its own KPIs
and time series, a task returns whom it enrolled in an MDT; the reference
scenario's task is given those enrolments and measures the same people in
its own run (cohort ``mdt:<scenario>``), their counterfactual.  A task whose
MDT enrolled anyone also returns its cases' part of the emulated evaluation
(:func:`sim.outcomes.evaluation.case_summary`), which the replication's
comparator task (:mod:`sim.experiments.comparator`) matches controls for.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.analysis.compare import MDT_PREFIX
from sim.analysis.kept_runs import KeptRuns
from sim.outcomes.evaluation import case_summary, design_for
from sim.outcomes.metrics import cohort_kpis, enrolment_starts, mdt_cohort
from sim.outcomes.rundata import RunData
from sim.parameters.params import Params
from sim.provenance import code_identity


def task_key(scenario_hash_: str, grid: Any, seed: int, replication: int, draw: Any = None) -> str:
    """The results store's key: scenario hash, grid point, seed, replication, version and the code that runs
    (:func:`sim.provenance.code_identity`: a commit that leaves the package's code alone keeps every finished
    run), and a posterior draw's number and values where there is one."""
    parts = [scenario_hash_, grid, seed, replication, __version__, code_identity()]
    parts += [draw] if draw is not None else []
    text = json.dumps(parts, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Enrolled:
    """People enrolled in an MDT in another run, each with the time of their first enrolment."""

    key: str  # that run's task key
    scenario: str
    grid: Any
    pids: np.ndarray
    times: np.ndarray


@dataclass(frozen=True)
class TaskSpec:
    """Everything a worker needs: picklable, no open files."""

    key: str
    scenario: str
    grid: Any
    replication: int
    seed: int
    params: Params
    prelaunch: Params
    counterfactuals: tuple[Enrolled, ...] = ()
    by_year: bool = True  # also the KPIs year by year (sim.outcomes.yearly)


@dataclass
class TaskResult:
    key: str
    seconds: float = 0.0
    error: str | None = None
    kpis: pd.DataFrame | None = None  # cohort, metric, value
    timeseries: pd.DataFrame | None = None  # day, series, value
    yearly: pd.DataFrame | None = None  # year, cohort, metric, value (sim.outcomes.yearly)
    enrolled: tuple[np.ndarray, np.ndarray] | None = None  # pids, times
    counterfactuals: dict[str, pd.DataFrame] = field(default_factory=dict)  # other key -> cohort, metric, value
    events: int = 0
    cases: Cases | None = None  # the enrolled people's part of the emulated evaluation (None: nobody enrolled)


@dataclass(frozen=True)
class Cases:
    """A run's case summary for the emulated evaluation (:func:`sim.outcomes.evaluation.case_summary`),
    made with the named design (:func:`sim.outcomes.evaluation.design_for` of the run's scenario)."""

    design: str
    frame: pd.DataFrame


def counterfactual(data: RunData, enrolled: Enrolled) -> pd.DataFrame:
    """``data``'s run measured over people enrolled elsewhere, each from their enrolment."""
    if len(enrolled.pids) == 0:
        return pd.DataFrame({"cohort": [], "metric": [], "value": []})
    kpis = cohort_kpis(data, mdt_cohort(data, enrolled.pids, enrolled.times))
    return pd.DataFrame({"cohort": MDT_PREFIX + enrolled.scenario, "metric": list(kpis), "value": list(kpis.values())})


# reference runs a worker keeps: a calibration's sets share their reference's replications, up to four
REFERENCES = KeptRuns(4)


def run_task(spec: TaskSpec) -> TaskResult:
    """Run one replication; never raises (the error is returned with its last frames).  A reference's run
    (a task that measures other runs' enrolled people) is kept for the next set of a calibration."""
    from sim.replication.single import single_run

    t0 = time.perf_counter()
    try:
        if spec.counterfactuals:
            res = REFERENCES.run(spec.params, spec.prelaunch, spec.seed, spec.replication)
        else:
            res = single_run(spec.params, seed=spec.seed, replication=spec.replication, prelaunch=spec.prelaunch)
        enrolled = enrolment_starts(res.data)
        out = TaskResult(
            spec.key,
            kpis=res.kpis.copy(),  # a kept run's tables stay as they were for its next use
            timeseries=res.timeseries.copy(),
            yearly=res.yearly() if spec.by_year else None,
            enrolled=enrolled,
            events=int(res.stats.get("events", 0)),
        )
        if len(enrolled[0]):
            design = design_for(spec.scenario)
            out.cases = Cases(design.name, case_summary(res.data, design))
        for other in spec.counterfactuals:
            out.counterfactuals[other.key] = counterfactual(res.data, other)
    except Exception as e:  # reported with the task, the others go on
        frames = traceback.extract_tb(e.__traceback__)[-2:]
        where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
        out = TaskResult(spec.key, error=f"{type(e).__name__}: {' '.join(str(e).split())} (at {where})")
    out.seconds = time.perf_counter() - t0
    return out
