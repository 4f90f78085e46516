"""Crisis demand over the calendar: winter seasonality and growth beyond demography.

The crisis hazard of life at home (``sim.pathways.home``) is multiplied by

    c(t) = s(t) * G(t)

where ``s`` is a seasonal factor by calendar month with a mean of 1 over a year (so a year's
crises keep their expected number) and ``G(t) = (1 + g) ** (years since the start of the
statistics window)`` is growth in demand beyond demography (1 during the warm-up).  Day 0 of a run
is the first day of ``time.start_month``; a model year is ``DAYS_PER_YEAR`` days and its months
keep their calendar lengths in that proportion (February 28.25 days), so ``s`` has a period of
exactly one model year and its integral over any year is one year.

Crisis times with a varying hazard are drawn by thinning (Lewis and Shedler, Naval Research
Logistics Quarterly 1979): candidates come from the hazard raised to an upper bound of ``c`` over
an interval (:meth:`CrisisCalendar.bound`), and a candidate at ``t`` is a crisis with probability
``c(t) / bound``.  With no seasonality and no growth there is no calendar (``from_params`` returns
None) and the crisis hazard is drawn as before, number for number.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

from sim.core.population import DAYS_PER_YEAR
from sim.parameters.params import MONTH_DAYS, Params

_STARTS = (0.0, *accumulate(MONTH_DAYS[:-1]))  # day of the model year on which each month starts


def seasonal_factors(pattern: tuple[float, ...], amplitude: float) -> tuple[float, ...]:
    """The crisis multiplier of each calendar month, January to December: mean 1 over a year, weighted by days.

    ``pattern`` holds relative levels per day (any scale); ``amplitude`` multiplies their departures
    from their mean (0: every month 1; 1: the pattern as given; 2: twice as deep).
    """
    mean = sum(f * d for f, d in zip(pattern, MONTH_DAYS, strict=True)) / DAYS_PER_YEAR
    return tuple(1.0 + amplitude * (f / mean - 1.0) for f in pattern)


def month_of(day: float, start_month: int) -> int:
    """The calendar month (1-12) of simulation day ``day``, day 0 being the first of ``start_month``."""
    x = (day + _STARTS[start_month - 1]) % DAYS_PER_YEAR
    return bisect_right(_STARTS, x)


class CrisisCalendar:
    """The crisis hazard's multiplier ``c(t)`` over simulation time, and upper bounds of it for thinning."""

    __slots__ = ("factors", "peak", "edges", "by_edge", "growth_log", "window_start")

    def __init__(self, factors: tuple[float, ...], start_month: int, growth_per_year: float, window_start: float):
        """``factors`` by calendar month, January to December (:func:`seasonal_factors`)."""
        self.factors = factors
        self.peak = max(factors)
        # month edges in days from day 0 over one model year, and the factor of the month each one opens
        order = [(start_month - 1 + k) % 12 for k in range(12)]
        self.edges = tuple(accumulate((MONTH_DAYS[i] for i in order[:-1]), initial=0.0))
        self.by_edge = tuple(factors[i] for i in order)
        self.growth_log = math.log1p(growth_per_year)
        self.window_start = window_start

    @classmethod
    def from_params(cls, p: Params, window_start: float) -> CrisisCalendar | None:
        """The calendar of ``p.demand``, or None when crisis risk does not vary with it (the old path)."""
        d = p.demand
        if d.seasonal_amplitude == 0 and d.growth_per_year == 0:
            return None
        factors = seasonal_factors(d.monthly_pattern, d.seasonal_amplitude)
        return cls(factors, p.time.start_month, d.growth_per_year, window_start)

    def __eq__(self, other: object) -> bool:
        """The same multiplier at every time (a relaunch that keeps it redraws no one: ``Model.launch``)."""
        if not isinstance(other, CrisisCalendar):
            return NotImplemented
        mine = (self.edges, self.by_edge, self.growth_log, self.window_start)
        return mine == (other.edges, other.by_edge, other.growth_log, other.window_start)

    def __hash__(self) -> int:
        return hash((self.edges, self.by_edge, self.growth_log, self.window_start))

    def season(self, t: float) -> float:
        """The seasonal factor ``s(t)`` at simulation day ``t``."""
        return self.by_edge[bisect_right(self.edges, t % DAYS_PER_YEAR) - 1]

    def growth(self, t: float) -> float:
        """Growth beyond demography ``G(t)``: 1 until the window starts, then ``(1 + g)`` a year, compounded."""
        if t <= self.window_start or self.growth_log == 0.0:
            return 1.0
        return math.exp(self.growth_log * (t - self.window_start) / DAYS_PER_YEAR)

    def multiplier(self, t: float) -> float:
        """``c(t) = s(t) * G(t)``."""
        return self.season(t) * self.growth(t)

    def bound(self, t: float) -> tuple[float, float]:
        """An upper bound of ``c`` on ``[t, until)``, and ``until``: the next year's edge of growth (inf: none).

        Growth is bounded one year of the window at a time (before the window: up to its start);
        the seasonal factor by its largest month.
        """
        if self.growth_log == 0.0:
            return self.peak, math.inf
        w = self.window_start
        if t < w:
            return self.peak, w
        until = w + (math.floor((t - w) / DAYS_PER_YEAR) + 1) * DAYS_PER_YEAR
        if until <= t:  # rounding at an edge: the next one
            until += DAYS_PER_YEAR
        return self.peak * max(self.growth(t), self.growth(until)), until
