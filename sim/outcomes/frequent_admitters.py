"""Frequent emergency admitters and what happens to them later: regression to the mean, measured as in England.

Roland, Dusheiko, Gravelle and Parker (BMJ 2005;330:289; EVIDENCE 3) followed
people aged 65 and over with two or more emergency admissions in one year
(the index year) through hospital episode statistics.  They held about 38% of
that year's emergency admissions of people 65+, under 10% of the next year's
and about 3% five years on.  The study measured:

- the group fixed in the index year: people aged 65+ at an admission, with two
  or more emergency admissions that year;
- the denominator: every emergency admission of a person aged 65+ in the year;
- people who die stay in the group with no further admissions (the study took
  no account of deaths, so part of the fall is mortality; the share of the
  group dead by each year's end is reported alongside).

Here the index year is the first 365 days of the statistics window, and the
later years are the window's further whole years of 365 days (the default
730-day window gives two; a run of six years or more gives the five-year
figure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.rundata import RunData
from sim.vocabulary import Ev

YEAR_DAYS = 365.0  # a year of the follow-up (so that the default 730-day window holds two)
COLUMNS = ("year", "admissions_65plus", "by_group", "share", "group_size", "group_dead_share")


def admissions_65plus(data: RunData) -> pd.DataFrame:
    """Emergency admissions of people aged 65+ in the window: pid and the whole year of the window (0 = index)."""
    ev = data.events
    e = ev[(ev["event"] == Ev.EMERGENCY_ADMISSION) & (ev["pid"] >= 0)]
    t = e["time"].to_numpy()
    pid = e["pid"].to_numpy().astype(np.int64)
    age = data.people["age0"][pid] + t / DAYS_PER_YEAR
    keep = (age >= 65.0) & (t >= data.window_start) & (t < data.window_end)
    year = np.floor((t[keep] - data.window_start) / YEAR_DAYS).astype(int)
    return pd.DataFrame({"pid": pid[keep], "year": year})


def follow_up(data: RunData) -> pd.DataFrame:
    """Per whole year of the window: the index-year group's share of that year's emergency admissions of 65+.

    Columns ``COLUMNS``; year 0 is the index year.  Empty when the window is
    shorter than one year.
    """
    years = int((data.window_end - data.window_start) // YEAR_DAYS)
    adm = admissions_65plus(data)
    adm = adm[adm["year"] < years]
    index = adm[adm["year"] == 0]["pid"].value_counts()
    group = index[index >= 2].index.to_numpy()
    died = data.people["died"][group] if len(group) else np.zeros(0)
    in_group = adm["pid"].isin(group)
    rows = []
    for y in range(years):
        this = (adm["year"] == y).to_numpy()
        total = int(this.sum())
        by_group = int((this & in_group.to_numpy()).sum())
        year_end = data.window_start + (y + 1) * YEAR_DAYS
        dead = float(np.mean(died < year_end)) if len(group) else float("nan")
        share = by_group / total if total else float("nan")
        rows.append((y, total, by_group, share, len(group), dead))
    return pd.DataFrame(rows, columns=list(COLUMNS))
