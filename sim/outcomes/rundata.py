"""What KPIs are computed from: one run's records and people, and cohorts of people over time.

A cohort is a set of people, each counted from a start time (the window's
start, or their enrolment) to the end of the window, optionally only while
aged over a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.parameters.params import Params


@dataclass(frozen=True)
class RunData:
    """Everything KPIs are computed from: records, people, window and capacities."""

    params: Params
    events: pd.DataFrame
    stays: pd.DataFrame
    delays: pd.DataFrame
    spells: pd.DataFrame
    people: dict[str, np.ndarray]
    window_start: float
    window_end: float
    capacity: dict[str, int]  # units held: acute_beds, core_beds, social_workers, reablement, intermediate_care
    bed_days_all: float  # all patients, background included, from the bed pool
    core_beds: int


@dataclass(frozen=True)
class Cohort:
    """People counted from ``start[pid]`` (default: the window start), optionally only at ``min_age``+ and only
    those of IMD fifth ``imd`` (1 the most deprived)."""

    name: str
    min_age: float | None = None
    start: np.ndarray | None = None  # per pid; nan: not in the cohort
    imd: int | None = None  # the people of this IMD fifth only (people["imd"]; none where a run has no fifths)


def lower_bound(data: RunData, c: Cohort) -> np.ndarray:
    """Per pid, the earliest time the person counts (nan if never)."""
    lo = np.maximum(data.people["entered"], data.window_start)
    if c.start is not None:
        start = np.full(lo.shape, np.nan)
        n = min(len(start), len(c.start))
        start[:n] = c.start[:n]
        lo = np.maximum(lo, start)
    if c.min_age is not None:
        lo = np.maximum(lo, (c.min_age - data.people["age0"]) * DAYS_PER_YEAR)
    if c.imd is not None:
        imd = data.people.get("imd")
        lo = np.where(imd == c.imd, lo, np.nan) if imd is not None else np.full(lo.shape, np.nan)
    return lo


def overlap(pid: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: float) -> np.ndarray:
    """Days of [start, end) inside [lo[pid], hi); open ends (nan) run to hi."""
    if len(pid) == 0:
        return np.zeros(0)
    end = np.where(np.isnan(end), hi, end)
    a = np.maximum(start, lo[pid])
    b = np.minimum(end, hi)
    d = b - a
    return np.where(np.isnan(d) | (d < 0), 0.0, d)
