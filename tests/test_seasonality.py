"""Winter seasonality of crises and growth in demand beyond demography (sim/core/seasons.py).

The run tests compare counts of crises with the calendar's multiplier, with tolerances from Poisson
error: a count N has a log with standard error about 1/sqrt(N), and two runs with the same seed share
random numbers, which only narrows their difference, so treating them as independent is conservative.
They set ``crisis.transient_boost`` to 0: the transient part makes crises beget crises within days,
which deepens the seasonal contrast of the counts beyond the multiplier itself.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from smallplace import small

from sim.core import seasons
from sim.core.population import DAYS_PER_YEAR
from sim.core.seasons import CrisisCalendar, month_of, seasonal_factors
from sim.parameters.params import MONTH_DAYS, Params
from sim.parameters.tree import ParameterError, apply_overrides
from sim.replication.single import build, single_run
from sim.scenarios.interventions import translate
from sim.vocabulary import Ev

Z = stats.norm.ppf(1 - 0.0005)  # two-sided 0.1%: a fixed seed passes by chance with 99.9% probability
WINTER, SUMMER = (12, 1, 2), (6, 7, 8)


def crisis_times(res) -> np.ndarray:
    """Days of the statistics window's crises, from day 0 of the run."""
    ev = res.data.events
    ev = ev[(ev["event"] == Ev.CRISIS) & (ev["time"] >= res.data.window_start) & (ev["time"] < res.data.window_end)]
    return ev["time"].to_numpy()


def by_month(times: np.ndarray, start_month: int) -> pd.Series:
    months = pd.Series([month_of(t, start_month) for t in times])
    return months.value_counts().reindex(range(1, 13), fill_value=0)


# --- the multiplier --------------------------------------------------------------------------


@pytest.mark.parametrize("amplitude", [0.0, 1.0, 3.0, 20.0])
def test_seasonal_factors_average_one_over_a_year(amplitude):
    f = seasonal_factors(Params().demand.monthly_pattern, amplitude)
    assert math.isclose(sum(x * d for x, d in zip(f, MONTH_DAYS)) / DAYS_PER_YEAR, 1.0, rel_tol=1e-12)
    if amplitude == 0:
        assert f == (1.0,) * 12


def test_the_published_pattern_peaks_in_winter():
    f = seasonal_factors(Params().demand.monthly_pattern, 1.0)
    winter = np.mean([f[m - 1] for m in WINTER])
    summer = np.mean([f[m - 1] for m in SUMMER])
    assert winter > 1.0 > summer
    assert f.index(max(f)) + 1 in (11, 12, 1)


def test_day_zero_is_the_first_of_the_start_month_and_the_calendar_follows_the_months():
    p = apply_overrides(Params(), {"demand": {"seasonal_amplitude": 5.0}})
    for start in (1, 4, 10):
        cal = CrisisCalendar(seasonal_factors(p.demand.monthly_pattern, 5.0), start, 0.0, 365.0)
        assert month_of(0.0, start) == start
        assert month_of(MONTH_DAYS[start - 1] - 1e-9, start) == start
        assert month_of(MONTH_DAYS[start - 1] + 1e-9, start) == start % 12 + 1
        for t in np.linspace(0.0, 3 * DAYS_PER_YEAR, 500):
            assert cal.season(t) == cal.factors[month_of(t, start) - 1]


def test_the_seasonal_factor_integrates_to_a_year_from_any_day():
    p = apply_overrides(Params(), {"demand": {"seasonal_amplitude": 10.0}})
    cal = CrisisCalendar.from_params(p, 365.0)
    for start in (0.0, 17.3, 200.0, 400.9):
        grid = start + (np.arange(365_250) + 0.5) / 1000.0  # midpoints of thousandths of a day over a year
        assert math.isclose(np.mean([cal.season(t) for t in grid[::7]]), 1.0, abs_tol=2e-4)


@pytest.mark.parametrize("growth", [0.1, -0.2])
def test_growth_compounds_from_the_window_start_and_the_bound_covers_its_interval(growth):
    p = apply_overrides(Params(), {"demand": {"seasonal_amplitude": 2.0, "growth_per_year": growth}})
    cal = CrisisCalendar.from_params(p, 365.0)
    assert cal.growth(100.0) == 1.0
    assert math.isclose(cal.growth(365.0 + DAYS_PER_YEAR), 1 + growth, rel_tol=1e-12)
    assert math.isclose(cal.growth(365.0 + 2 * DAYS_PER_YEAR), (1 + growth) ** 2, rel_tol=1e-12)
    for t in np.linspace(0.0, 365.0 + 3 * DAYS_PER_YEAR, 200):
        bound, until = cal.bound(t)
        assert until > t
        for s in np.linspace(t, min(until, t + 2 * DAYS_PER_YEAR), 400, endpoint=False):
            assert cal.multiplier(s) <= bound * (1 + 1e-12)


def test_no_seasons_and_no_growth_is_no_calendar():
    p = apply_overrides(Params(), {"demand": {"seasonal_amplitude": 0.0}})
    assert CrisisCalendar.from_params(p, 365.0) is None
    assert CrisisCalendar.from_params(apply_overrides(p, {"demand": {"growth_per_year": 0.01}}), 365.0) is not None


def test_an_amplitude_that_makes_a_month_negative_is_refused_naming_the_key():
    with pytest.raises(ParameterError, match=r"^demand.seasonal_amplitude: 40 makes the crisis risk .* at most 28.57 "):
        apply_overrides(Params(), {"demand": {"seasonal_amplitude": 40.0}})


def test_the_demand_growth_intervention_sets_the_rate():
    p = apply_overrides(Params(), translate("demand_growth", {"rate_per_year": 0.017}, Params()))
    assert p.demand.growth_per_year == 0.017
    with pytest.raises(ParameterError, match=r"^intervention.demand_growth.rate_per_year: 2.0 is above"):
        translate("demand_growth", {"rate_per_year": 2.0}, Params())


# --- off is the old code path, bit for bit ------------------------------------------------------


def flat(p: Params, window_start: float) -> CrisisCalendar:
    """A calendar that multiplies by 1 everywhere, yet sends every crisis time through thinning."""
    return CrisisCalendar((1.0,) * 12, p.time.start_month, 0.0, window_start)


def test_without_seasons_or_growth_the_crisis_times_are_drawn_as_before(monkeypatch):
    """Amplitude 0 takes the old path (no calendar, no draw from ``crisis_season``); and thinning under a
    calendar of ones gives exactly the old path's numbers, so the thinning adds nothing of its own."""
    p = small(population=20_000, horizon=240.0, warmup=120.0, demand={"seasonal_amplitude": 0.0})
    m = build(p, seed=5, replication=0)
    assert m.demand is None
    m.env.run(until=m.window_end)
    season = m.streams.person("crisis_season")
    assert all(season.draws_used(pid) == 0 for pid in range(len(m.pop)))
    old = single_run(p, seed=5)

    monkeypatch.setattr(seasons.CrisisCalendar, "from_params", classmethod(lambda cls, p, w: flat(p, w)))
    m = build(p, seed=5, replication=0)
    assert m.demand is not None
    m.env.run(until=m.window_end)
    assert sum(m.streams.person("crisis_season").draws_used(pid) for pid in range(len(m.pop))) > 0
    thinned = single_run(p, seed=5)
    pd.testing.assert_frame_equal(thinned.kpis, old.kpis)
    pd.testing.assert_frame_equal(thinned.data.events, old.data.events)


def test_a_relaunch_that_keeps_the_calendar_redraws_no_one():
    """``Model.launch`` redraws everyone's hazards only when a rate they depend on changed."""
    p = small(population=5_000, horizon=30.0, warmup=10.0)
    m = build(p, seed=1, replication=0)
    assert m.demand is not None
    assert m.launch(p) is False
    assert m.launch(apply_overrides(p, {"demand": {"growth_per_year": 0.02}})) is True


# --- runs ---------------------------------------------------------------------------------------

AMPLITUDE = 10.0  # ten times the published pattern: December to February about 20% above June to August


@pytest.fixture(scope="module")
def seasonal_runs():
    def run(amplitude: float):
        p = small(
            population=100_000,
            horizon=2 * DAYS_PER_YEAR,
            warmup=DAYS_PER_YEAR,
            crisis={"transient_boost": 0.0},
            demand={"seasonal_amplitude": amplitude},
        )
        return p, single_run(p, seed=11)

    return run(AMPLITUDE), run(0.0)


MONTHS = pd.Series(MONTH_DAYS, index=range(1, 13))  # days of each calendar month
threshold = stats.chi2.ppf(0.999, 11)  # a chi-square of 12 months' counts, their total fixed


def month_factors(p: Params) -> pd.Series:
    """The seasonal factor of each calendar month at :data:`AMPLITUDE`."""
    return pd.Series(seasonal_factors(p.demand.monthly_pattern, AMPLITUDE), index=range(1, 13))


def chi2(n: pd.Series, factors: pd.Series) -> float:
    """Counts by month against expectations proportional to each month's factor times its days."""
    expected = factors * MONTHS / (factors * MONTHS).sum() * n.sum()
    return float(((n - expected) ** 2 / expected).sum())


def test_the_monthly_pattern_of_crises_follows_the_calendar_in_amplitude_and_phase(seasonal_runs):
    """Crises by calendar month against the factors: Poisson counts around their expectations, the
    expectations proportional to each month's factor times its days (the cohort at risk stays the same
    size through the year: the same test on the run without seasons finds it flat)."""
    (p, on), (_, off) = seasonal_runs
    start, days, f = p.time.start_month, MONTHS, month_factors(p)
    n_on, n_off = by_month(crisis_times(on), start), by_month(crisis_times(off), start)
    assert chi2(n_on, f) < threshold
    assert chi2(n_off, f * 0 + 1) < threshold
    assert chi2(n_on, f * 0 + 1) > 4 * threshold  # a flat pattern would fail: the test has power
    assert chi2(n_on, f.shift(1, fill_value=f[12])) > threshold  # so would the pattern a month late
    # winter over summer, per day, as the issue reads it
    per_day = lambda n, months: n[list(months)].sum() / days[list(months)].sum()  # noqa: E731
    want = math.log(per_day(f * days, WINTER) / per_day(f * days, SUMMER))
    got = math.log(per_day(n_on, WINTER) / per_day(n_on, SUMMER))
    se = math.sqrt(1 / n_on[list(WINTER)].sum() + 1 / n_on[list(SUMMER)].sum())
    assert abs(got - want) < Z * se
    assert want > 2 * Z * se  # the contrast is well above the noise


def background_arrivals(res) -> np.ndarray:
    """Days the background's emergencies arrived in the statistics window (stays of nobody in the cohort)."""
    st = res.data.stays
    st = st[(st["pid"] < 0) & st["emergency"]]
    t = st["arrived"].to_numpy()
    return t[(t >= res.data.window_start) & (t < res.data.window_end)]


def test_the_background_s_emergencies_follow_the_same_calendar(seasonal_runs):
    """The background's emergencies by month: proportional to each month's factor times its days, flat
    without seasons, and the flat pattern fails on the seasonal run (the test has power)."""
    (p, on), (_, off) = seasonal_runs
    start, f = p.time.start_month, month_factors(p)
    n_on, n_off = by_month(background_arrivals(on), start), by_month(background_arrivals(off), start)
    assert chi2(n_on, f) < threshold
    assert chi2(n_off, f * 0 + 1) < threshold
    assert chi2(n_on, f * 0 + 1) > 2 * threshold
    a, b = n_on.sum(), n_off.sum()  # the year's total unchanged in expectation
    assert abs(math.log(a / b)) < Z * math.sqrt(1 / a + 1 / b)


def test_seasons_leave_the_years_total_of_crises_unchanged_in_expectation(seasonal_runs):
    (_, on), (_, off) = seasonal_runs
    a, b = len(crisis_times(on)), len(crisis_times(off))
    assert abs(math.log(a / b)) < Z * math.sqrt(1 / a + 1 / b)


def test_growth_in_demand_raises_the_second_years_crises_by_the_rate():
    g = 0.2

    def years(growth: float) -> tuple[int, int]:
        p = small(
            population=100_000,
            horizon=2 * DAYS_PER_YEAR,
            warmup=DAYS_PER_YEAR,
            crisis={"transient_boost": 0.0},
            demand={"seasonal_amplitude": 0.0, "growth_per_year": growth},
        )
        t = crisis_times(single_run(p, seed=12)) - p.time.warmup_days
        return int((t < DAYS_PER_YEAR).sum()), int((t >= DAYS_PER_YEAR).sum())

    (a1, a2), (b1, b2) = years(g), years(0.0)
    got = math.log(a2 / a1) - math.log(b2 / b1)
    se = math.sqrt(1 / a1 + 1 / a2 + 1 / b1 + 1 / b2)
    assert abs(got - math.log(1 + g)) < Z * se
    assert math.log(1 + g) > 2 * Z * se  # no growth would fail, and so would half the rate
    assert a1 + a2 > b1 + b2
