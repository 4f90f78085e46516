"""Frailty's steps down, solved so that each age band keeps its frailty mix: re-runnable.

Each band's frailty shares at time 0 (``people.frailty_*``, weighted to the eFI prevalence) are
evidence; so are the steps up (``people.frailty_step_per_year``, EVIDENCE 2).  The steps down are
not measured for the model's four levels, so they are calibration: the three rates of each band
(from mild, moderate and severe) that make the band's long-run shares, in the demographic plan's
cohort (``sim.core.projection.make_plan``: frailty's steps, deaths at ``place.expected_deaths_*``,
ageing, people joining at the bands' shares), equal to its shares at time 0.  Twelve rates for
twelve shares, solved by least squares (``scipy.optimize.least_squares``, on log rates)::

    python -m sim.calibration.frailty_fit

It prints the rates (they go into ``sim/parameters/params.py`` by hand, with "calibrated" in their
source), then the largest gap between a band's shares at time 0 and at any month within ``--years``
years in the plan, with the place's rates and with the ones found: a point or so remains on the way,
while the ages within each band settle (the initial state draws frailty by band, not by age).  The
plan is deterministic, so the fit needs no runs of the model; ``tests/test_projection.py`` checks that
a ten-year run of the baseline keeps every band's shares within sampling error.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize

from sim.calibration.demography_fit import frailty_spans
from sim.core.population import BAND_EDGES, DAYS_PER_YEAR, frailty_by_band
from sim.core.projection import make_plan
from sim.outcomes.rundata import RunData
from sim.parameters.params import AGE_BANDS, Params

LONG_RUN_YEARS = 40.0  # the plan's mix has settled well within this (the slowest band, under 65, by about 20)
RATE_BOUNDS = (0.005, 20.0)  # steps down per person-year searched


def with_recovery(p: Params, rates: npt.NDArray[np.float64]) -> Params:
    """``p`` with each band's steps down (rows: bands; columns: from mild, moderate, severe) set to ``rates``."""
    values: dict[str, Any] = {
        f"frailty_recovery_{band}": tuple(float(x) for x in rates[b]) for b, band in enumerate(AGE_BANDS)
    }
    return dataclasses.replace(p, people=dataclasses.replace(p.people, **values))


def recovery_rates(p: Params) -> npt.NDArray[np.float64]:
    """The place's steps down as a (bands, 3) array."""
    return np.array([p.people.recovery(b) for b in range(len(AGE_BANDS))])


def mix_after(p: Params, years: float) -> npt.NDArray[np.float64]:
    """Each band's frailty shares (bands, levels) in the plan's cohort after ``years`` from time 0."""
    plan = make_plan(p, 0.0, years * DAYS_PER_YEAR)
    out: npt.NDArray[np.float64] = plan.frailty[-1]
    return out


def drift(p: Params, years: float) -> float:
    """The largest gap between a band's frailty share at time 0 and at any month within ``years``, in the plan."""
    plan = make_plan(p, 0.0, years * DAYS_PER_YEAR)
    return float(np.abs(plan.frailty - frailty_by_band(p)[None]).max())


def frailty_counts(data: RunData, times: list[float]) -> npt.NDArray[np.float64]:
    """People of the cohort in the place at each of ``times``, by band and frailty level (times, bands, levels)."""
    spans = frailty_spans(data)
    pid, start, end, level = (spans[c].to_numpy() for c in ("pid", "start", "end", "frailty"))
    age0, entered = data.people["age0"][pid], data.people["entered"][pid]
    out = np.zeros((len(times), len(AGE_BANDS), 4))
    for i, t in enumerate(times):
        here = (start <= t) & ((t < end) | (end >= data.window_end)) & (entered <= t)  # alive at the end: counted
        band = np.searchsorted(BAND_EDGES, age0[here] + t / DAYS_PER_YEAR, side="right")
        np.add.at(out[i], (band, level[here].astype(np.int64)), 1.0)
    return out


def fit(p: Params, years: float = LONG_RUN_YEARS) -> tuple[npt.NDArray[np.float64], float]:
    """The steps down that hold every band's shares, and the largest gap left (shares) after ``years``."""
    target = frailty_by_band(p)[:, :3]  # the fourth share follows

    def misses(log_rates: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        mix = mix_after(with_recovery(p, np.exp(log_rates).reshape(-1, 3)), years)
        out: npt.NDArray[np.float64] = (mix[:, :3] - target).ravel()
        return out

    start = np.log(np.clip(recovery_rates(p), *RATE_BOUNDS)).ravel()
    sol = optimize.least_squares(misses, start, bounds=np.log(RATE_BOUNDS), xtol=1e-12, ftol=1e-12, gtol=1e-12)
    rates = np.exp(sol.x).reshape(-1, 3)
    return rates, float(np.abs(sol.fun).max())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m sim.calibration.frailty_fit", description=__doc__.split("\n")[0])
    ap.add_argument("--years", type=float, default=10.0, help="years over which the drift is reported (default 10)")
    a = ap.parse_args(argv)
    p = Params()
    rates, miss = fit(p)
    print(f"largest miss of the long-run shares after the fit: {miss:.2e}")
    for b, band in enumerate(AGE_BANDS):
        print(f"people.frailty_recovery_{band} = [{', '.join(f'{x:.4f}' for x in rates[b])}]")
    print(
        f"largest drift of a band's share within {a.years:g} years: {drift(p, a.years):.4f} with the place's rates, "
        f"{drift(with_recovery(p, rates), a.years):.4f} with these"
    )


if __name__ == "__main__":
    main()
