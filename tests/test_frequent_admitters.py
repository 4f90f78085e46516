"""Frequent emergency admitters followed as Roland et al. (BMJ 2005) followed them: hand-made records, known shares."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from smallplace import small

from sim.outcomes.frequent_admitters import COLUMNS, YEAR_DAYS, follow_up
from sim.outcomes.rundata import RunData
from sim.parameters.params import Params
from sim.replication.single import single_run
from sim.vocabulary import Ev

W = 100.0  # the window's start


def _data(admissions: list[tuple[int, float]], age0: list[float], died: list[float], years: int = 2) -> RunData:
    """Records with only emergency admissions: (person, days from the window's start)."""
    events = pd.DataFrame(
        [(W + t, pid, int(Ev.EMERGENCY_ADMISSION), 1, -1) for pid, t in admissions],
        columns=["time", "pid", "event", "count", "detail"],
    )
    people = {
        "age0": np.array(age0, dtype=float),
        "died": np.array(died, dtype=float),
        "entered": np.zeros(len(age0)),
    }
    empty = pd.DataFrame()
    return RunData(Params(), events, empty, empty, empty, people, W, W + years * YEAR_DAYS, {}, 0.0, 0)


def test_the_group_is_fixed_in_the_index_year_and_measured_against_every_admission_of_people_65_and_over():
    old = 70.0 - W / 365.25  # aged 70 at the window's start
    young = 40.0
    admissions = [
        (0, 10.0), (0, 200.0), (0, 300.0),  # person 0: three in the index year -> in the group
        (1, 50.0), (1, 60.0),  # person 1: two -> in the group, dies in year 2 with no more admissions
        (2, 20.0),  # person 2: one -> not in the group
        (3, 30.0), (3, 40.0),  # person 3: under 65 -> neither group nor denominator
        (0, 400.0),  # year 2: the group's one admission
        (2, 500.0), (2, 600.0), (4, 700.0),  # year 2: others
    ]  # fmt: skip
    data = _data(admissions, [old, old, old, young, old], [math.nan, W + 380.0, math.nan, math.nan, math.nan])
    f = follow_up(data)
    assert tuple(f.columns) == COLUMNS and f["year"].tolist() == [0, 1]
    assert f["admissions_65plus"].tolist() == [6, 4] and f["by_group"].tolist() == [5, 1]
    assert f["share"].tolist() == pytest.approx([5 / 6, 1 / 4])
    assert f["group_size"].tolist() == [2, 2] and f["group_dead_share"].tolist() == [0.0, 0.5]


def test_admissions_before_65_do_not_count_and_a_short_window_has_no_whole_year():
    turns_65 = 65.0 - (W + 180.0) / 365.25  # turns 65 half-way through the index year
    data = _data([(0, 100.0), (0, 150.0), (0, 200.0), (0, 250.0)], [turns_65], [math.nan])
    assert follow_up(data)["by_group"].tolist() == [2, 0]  # only the two admissions at 65+
    assert follow_up(_data([], [70.0], [math.nan], years=0)).empty


def test_in_a_run_the_group_falls_back_towards_the_average_the_next_year():
    res = single_run(small(population=30_000, horizon=730.0), seed=2, replication=0)
    f = follow_up(res.data)
    assert len(f) == 2 and f["group_size"].iloc[0] > 20
    assert f["share"].iloc[1] < f["share"].iloc[0]  # regression to the mean, and deaths
    assert 0 < f["group_dead_share"].iloc[0] <= f["group_dead_share"].iloc[1] < 1
