"""Population projections, and the plan that makes the simulated cohort follow one.

The cohort changes as people join it (adults under 65 with new complex needs, people turning 65),
die, and cross an age band's edge (65, 75, 85).  With ``place.hold_age_structure`` each band's
count follows a path: held at time 0's (``projection.name = "none"``: a stationary baseline) or a
projection's, from the start of the statistics window.

**Why holding needs more than entrants.**  Today's bands are not those of a stationary population
with today's death rates: the older bands are the smaller cohorts born before the Second World War,
who lived through higher death rates, and the 65-74s the larger ones born from the war on (House of
Lords, Ready for Ageing?, 2013: the baby boom after the war, and people living longer).  Fed only by
people turning 65, the model's bands drift towards their own equilibrium, in which the 75-84 and 85+
bands are larger than today's: in ten years the 75-84 count rises by about a fifth and the 85+ by
about a sixth (version 0.5, whose ages were spread evenly within bands, which sped the drift up;
``hold_age_structure = false`` still runs it).  No stream of entrants can hold today's shares: the
ratio of people aged 65-74 to 75-84 that entrants at 65 and today's death rates can sustain is
below today's.  So the plan balances: at a band's edge a share of the people crossing it leaves the
place (in the baseline about one in six reaching 75 and one in twenty reaching 85, some 140 people
a year per 100,000 registered), and a band short of its path takes people in at ages within it.
These balancing flows are calibration, not evidence about migration: they stand for what today's
age structure carries that a stationary population with today's death rates cannot; the outputs
report them (``moved_in``, ``moved_away``).

**The plan** (:func:`make_plan`) is a cohort-component projection of the expected cohort by month
of age and frailty level, a month at a time: deaths at the expected rate of each band and frailty
level (``place.expected_deaths_*``, measured in the baseline: frailty drives who dies, so the
oldest of a band, frailer, die sooner) times the projection's mortality improvement; frailty's steps;
ageing; then, band by band from the youngest, joiners make up a shortfall
against the path (new complex needs at ages 18-65, people turning 65, people moving in at ages within
75-84 or 85+ drawn as :func:`sim.core.population.band_age` draws them), or a share of the people who
crossed into the band leaves to take off a surplus.  The plan reads the parameters only, never the
run (open loop): a what-if that changes deaths changes the population, and scenarios of the same place
share the plan, so the same people join them.

**Mortality improvement and healthy ageing.**  While a projection runs, every death hazard and the
chance of dying in an acute stay fall by ``projection.mortality_improvement_per_year`` a year
(``improved``), stepped at each anniversary of the window's start.  With ``projection.healthy_ageing``
the onset of frailty (fit to mild) slows by the factor (:func:`onset_factor`) that makes the stated
share of the life-years gained at 65 fit, in the model's chain of frailty and death by band.

**The ONS principal projection** (:data:`ONS_PRINCIPAL_RATES`) is a yearly growth rate per band,
derived from the published figures below; the quoted points are averages over 10 to 25 years, so
the rates are constant (an assumption: the published path between them is not used).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import linalg, optimize

from sim.core.population import (
    BAND_EDGES,
    DAYS_PER_YEAR,
    YOUNGEST,
    band_age_cdf,
    band_death_rates,
    cohort_sizes,
    expected_deaths,
    frailty_by_band,
)
from sim.parameters.params import AGE_BANDS, Params, Place, Projection
from sim.parameters.tree import ParameterError

# --- the ONS principal projection: the figures quoted, and the yearly growth per band derived from them -----
UK_85PLUS_2018, UK_85PLUS_2043 = 1.6e6, 3.0e6
"""People aged 85+ in the UK, mid-2018 and mid-2043: ONS, National population projections: 2018-based (2019)."""
UK_75PLUS_2020, UK_75PLUS_2045 = 5.8e6, 9.7e6
"""People aged 75+ in the UK, mid-2020 and mid-2045: ONS, National population projections: 2020-based interim
(2022), as reported by the PA news agency on the day of release."""
UK_85PLUS_2020, UK_85PLUS_2045 = 1.7e6, 3.1e6
"""People aged 85+ in the UK, mid-2020 and mid-2045: ONS, National population projections: 2020-based interim
(2022), main points."""
ENGLAND_2028, ENGLAND_GROWTH_2018_2028 = 58.752e6, 2.775e6
"""England's population in mid-2028 and its growth from mid-2018: ONS, Subnational population projections for
England: 2018-based (2020)."""
ENGLAND_65PLUS_SHARE_2018, ENGLAND_65PLUS_SHARE_2028 = 0.182, 0.207
"""The share of England's population aged 65+, mid-2018 and mid-2028: the same bulletin."""
ONS_PRINCIPAL_YEARS = 20
"""Years the table covers; after them each band is held at its last count."""


def _ons_principal_rates() -> tuple[float, float, float, float]:
    """Yearly growth per band (under 65, 65-74, 75-84, 85+), derived from the quoted figures.

    - 85+: the UK's 2018-based growth over 25 years (England's assumed alike).
    - 75-84: the UK's 2020-based growth of 75+ less 85+ over 25 years.
    - 65-74: what England's growth of 65+ over 2018-2028 leaves, given the 75-84 and 85+ rates and the
      place's default shares of the three bands (``place.share_*``).
    - Under 65 (younger adults with complex needs): England's population under 65, 2018-2028.
    """
    r85 = (UK_85PLUS_2043 / UK_85PLUS_2018) ** (1 / 25) - 1
    r75 = ((UK_75PLUS_2045 - UK_85PLUS_2045) / (UK_75PLUS_2020 - UK_85PLUS_2020)) ** (1 / 25) - 1
    england_2018 = ENGLAND_2028 - ENGLAND_GROWTH_2018_2028
    old_2018, old_2028 = ENGLAND_65PLUS_SHARE_2018 * england_2018, ENGLAND_65PLUS_SHARE_2028 * ENGLAND_2028
    pl = Place()
    shares = (pl.share_65_74, pl.share_75_84, pl.share_85plus)
    g75, g85 = (1 + r75) ** 10, (1 + r85) ** 10
    g65 = (sum(shares) * old_2028 / old_2018 - shares[1] * g75 - shares[2] * g85) / shares[0]
    r_young = ((ENGLAND_2028 - old_2028) / (england_2018 - old_2018)) ** (1 / 10) - 1
    return r_young, g65 ** (1 / 10) - 1, r75, r85


ONS_PRINCIPAL_RATES = _ons_principal_rates()
"""Yearly growth by band (``AGE_BANDS`` order) of the ONS principal projection for England, as derived."""


def yearly_factors(pr: Projection) -> tuple[tuple[float, ...], ...]:
    """Each band's count at the end of years 1, 2, ... of the window over its count at the start."""
    if pr.name == "ons_principal":
        return tuple(tuple((1 + r) ** y for y in range(1, ONS_PRINCIPAL_YEARS + 1)) for r in ONS_PRINCIPAL_RATES)
    if pr.name == "own":
        return (pr.factors_under65_complex, pr.factors_65_74, pr.factors_75_84, pr.factors_85plus)
    return ((), (), (), ())


def growth(pr: Projection, years: float) -> npt.NDArray[np.float64]:
    """Each band's path at ``years`` into the window, relative to its start: geometric between year ends."""
    out = np.ones(len(AGE_BANDS))
    if years <= 0:
        return out
    for b, factors in enumerate(yearly_factors(pr)):
        f = (1.0, *factors)
        y = int(years)
        if y >= len(f) - 1:
            out[b] = f[-1]
        else:
            out[b] = f[y] * (f[y + 1] / f[y]) ** (years - y)
    return out


def ons_principal_table() -> pd.DataFrame:
    """The ONS principal projection as used: each band's factor on year 0 (``python -m sim.core.projection``)."""
    pr = Projection(name="ons_principal")
    rows = [[y, *growth(pr, float(y))] for y in range(ONS_PRINCIPAL_YEARS + 1)]
    return pd.DataFrame(rows, columns=["year", *AGE_BANDS])


# --- mortality improvement and healthy ageing ------------------------------------------------------------------
def mortality_factor(pr: Projection, year: int) -> float:
    """The multiplier of death rates in year ``year`` of the window (0 the first): 1 without a projection."""
    if pr.name == "none" or year <= 0:
        return 1.0
    return float((1.0 - pr.mortality_improvement_per_year) ** year)


def improved(p: Params, factor: float) -> Params:
    """``p`` with every death hazard and the chance of dying in an acute stay multiplied by ``factor``."""
    if factor == 1.0:
        return p
    mo = p.mortality
    mo = dataclasses.replace(
        mo,
        at_home_fit_per_year=tuple(x * factor for x in mo.at_home_fit_per_year),
        in_hospital_by_frailty=tuple(min(1.0, x * factor) for x in mo.in_hospital_by_frailty),
    )
    return dataclasses.replace(p, mortality=mo)


def frailty_generator(p: Params, band: int, onset: float = 1.0) -> npt.NDArray[np.float64]:
    """The band's frailty steps as a generator matrix (fit, mild, moderate, severe; death apart).

    Steps up at ``people.frailty_step_per_year`` (the first, fit to mild, times ``onset``) and down at
    the band's ``people.frailty_recovery_*`` by level, as ``home.schedule_next`` draws them.
    """
    pe = p.people
    q = np.zeros((4, 4))
    for f in range(4):
        if f < 3:
            q[f, f + 1] = pe.frailty_step_per_year[band] * (onset if f == 0 else 1.0)
        if f > 0:
            q[f, f - 1] = pe.recovery(band)[f - 1]
        q[f, f] = -q[f].sum()
    return q


def life_years(p: Params, mortality: float = 1.0, onset: float = 1.0) -> tuple[float, float]:
    """Expected years lived from 65, and the years of them spent fit, in the model's chain of frailty by band.

    From 65 (frailty drawn as ``people.frailty_65_74``), ten years in 65-74, ten in 75-84, then 85+ until
    death: frailty's steps (:func:`frailty_generator`, its onset times ``onset``), and death at the
    expected rate of each band and frailty level (``place.expected_deaths_*``) times ``mortality``.
    """
    deaths = expected_deaths(p) * mortality
    dist = np.asarray(p.people.frailty_65_74, dtype=np.float64)
    alive = fit = 0.0
    for band in (1, 2, 3):
        q = frailty_generator(p, band, onset) - np.diag(deaths[band])
        if band < 3:  # ten years: the chain's state, and the time spent in each level (Van Loan's block matrix)
            block = np.zeros((8, 8))
            block[:4, :4], block[:4, 4:] = q, np.eye(4)
            e = linalg.expm(block * (BAND_EDGES[band] - BAND_EDGES[band - 1]))
            time, dist = dist @ e[:4, 4:], dist @ e[:4, :4]
        else:  # until death
            time = np.linalg.solve(-q.T, dist)
        alive += float(time.sum())
        fit += float(time[0])
    return alive, fit


def onset_factor(p: Params, mortality: float) -> float:
    """The multiplier of frailty's onset that spends ``projection.healthy_ageing_share`` of the life-years
    gained at 65 fit, when death rates are ``mortality`` times today's (1 without healthy ageing)."""
    pr = p.projection
    if not pr.healthy_ageing or mortality == 1.0:
        return 1.0
    le0, fit0 = life_years(p)

    def gap(log_onset: float) -> float:
        le, fit = life_years(p, mortality, math.exp(log_onset))
        return (fit - fit0) - pr.healthy_ageing_share * (le - le0)

    low, high = -8.0, 8.0
    if gap(low) < 0 or gap(high) > 0:
        raise ParameterError(
            f"projection.healthy_ageing_share: {pr.healthy_ageing_share:g} of the years gained cannot be spent fit "
            "by changing frailty's onset alone"
        )
    return math.exp(optimize.brentq(gap, low, high, xtol=1e-12))


# --- the plan -------------------------------------------------------------------------------------------------
STEP_DAYS = DAYS_PER_YEAR / 12  # the plan's step: a month
_AGE_TOP = 130.0  # the plan's oldest age (its grid ends there; nobody gets near it)


@dataclass(frozen=True)
class Plan:
    """What a run's demography does, step by step (a month each) from time 0 to the window's end."""

    step_days: float
    joiners: npt.NDArray[np.float64]  # (steps, bands): expected people joining each band in each step
    leave_share: npt.NDArray[np.float64]  # (steps, bands): share of the people crossing into a band who leave
    counts: npt.NDArray[np.float64]  # (steps + 1, bands): the plan's expected band counts at each step's edge
    targets: npt.NDArray[np.float64]  # (steps + 1, bands): the path
    frailty: npt.NDArray[np.float64]  # (steps + 1, bands, levels): each band's expected frailty shares
    years: tuple[tuple[float, float, float], ...]  # (time, mortality factor, onset factor) from each year on

    @property
    def steps(self) -> int:
        return len(self.joiners)

    def step(self, t: float) -> int:
        """The step holding time ``t``."""
        return min(max(int(t // self.step_days), 0), self.steps - 1)


def make_plan(p: Params, window_start: float, window_end: float) -> Plan:
    """The plan of the place ``p`` (the statistics window's parameters) from time 0 to ``window_end``.

    The expected cohort is held by month of age and frailty level: each month, deaths at
    ``place.expected_deaths_*`` (times the year's mortality factor), frailty's steps (with the year's
    onset factor), ageing, then the joiners and leavers that keep each band on its path.  Joiners
    enter at the band's frailty shares, as ``Population`` draws them; leavers are any of the crossers.
    """
    pr = p.projection
    dt = STEP_DAYS / DAYS_PER_YEAR
    steps = max(1, math.ceil(window_end / STEP_DAYS - 1e-9))
    bins = math.ceil((_AGE_TOP - YOUNGEST) / dt)
    lower = YOUNGEST + dt * np.arange(bins + 1)  # bin edges
    edge = [int(round((e - YOUNGEST) / dt)) for e in BAND_EDGES]  # the first bin of bands 1-3
    cuts = [0, *edge, bins]
    bands = range(len(AGE_BANDS))
    band_of = np.repeat(np.arange(len(AGE_BANDS)), np.diff(cuts))
    deaths = expected_deaths(p)[band_of]  # (bins, frailty)
    frail = frailty_by_band(p)
    rates = band_death_rates(p)
    shape = np.array([np.diff(band_age_cdf(b, lower, float(rates[b]))) for b in bands])  # by month of age
    turning_65 = np.zeros(bins)
    turning_65[edge[0]] = 1.0
    join = [np.outer(where, frail[b]) for b, where in enumerate((shape[0], turning_65, shape[2], shape[3]))]
    start = cohort_sizes(p).astype(np.float64)
    n = sum(np.outer(shape[b], frail[b]) * start[b] for b in bands)  # (bins, frailty)

    def counts() -> npt.NDArray[np.float64]:
        return np.add.reduceat(n.sum(axis=1), cuts[:-1])

    def shares() -> npt.NDArray[np.float64]:
        by_band: npt.NDArray[np.float64] = np.add.reduceat(n, cuts[:-1], axis=0)
        out: npt.NDArray[np.float64] = by_band / np.maximum(by_band.sum(axis=1, keepdims=True), 1e-300)
        return out

    years: list[tuple[float, float, float]] = []
    if pr.name != "none":
        y = 1
        while window_start + y * DAYS_PER_YEAR < window_end:
            f = mortality_factor(pr, y)
            years.append((window_start + y * DAYS_PER_YEAR, f, onset_factor(p, f)))
            y += 1
    moves: dict[float, list[npt.NDArray[np.float64]]] = {}  # onset factor -> each band's month of frailty steps

    def month_of_steps(onset: float) -> list[npt.NDArray[np.float64]]:
        if onset not in moves:
            moves[onset] = [linalg.expm(frailty_generator(p, b, onset) * dt) for b in bands]
        return moves[onset]

    joiners = np.zeros((steps, len(AGE_BANDS)))
    leave = np.zeros((steps, len(AGE_BANDS)))
    planned = np.zeros((steps + 1, len(AGE_BANDS)))
    targets = np.zeros((steps + 1, len(AGE_BANDS)))
    mix = np.zeros((steps + 1, len(AGE_BANDS), 4))
    planned[0], targets[0], mix[0] = counts(), start, shares()
    for k in range(steps):
        mid = (k + 0.5) * STEP_DAYS - window_start
        year = int(mid // DAYS_PER_YEAR) if mid >= 0 else 0
        onset = years[year - 1][2] if 0 < year <= len(years) else 1.0
        n *= np.exp(-deaths * mortality_factor(pr, year) * dt)
        for b, move in enumerate(month_of_steps(onset)):
            n[cuts[b] : cuts[b + 1]] = n[cuts[b] : cuts[b + 1]] @ move
        crossers = n[[e - 1 for e in edge]].copy()  # (edges, frailty)
        n[1:] = n[:-1].copy()
        n[0] = 0.0
        targets[k + 1] = target = start * growth(pr, ((k + 1) * STEP_DAYS - window_start) / DAYS_PER_YEAR)
        now = counts()
        for b in bands:
            gap = target[b] - now[b]
            crossed = crossers[b - 1].sum() if b > 0 else 0.0
            if gap > 0:
                joiners[k, b] = gap
                n += gap * join[b]
            elif crossed > 0:
                share = min(1.0, -gap / crossed)
                leave[k, b] = share
                n[edge[b - 1]] *= 1.0 - share
        planned[k + 1], mix[k + 1] = counts(), shares()
    changing = tuple(row for row in years if row[1:] != (1.0, 1.0))
    return Plan(STEP_DAYS, joiners, leave, planned, targets, mix, changing)


if __name__ == "__main__":
    print(ons_principal_table().round(4).to_string(index=False))
