"""The baseline's risk structure and discharge delays, fitted to England's figures: re-runnable.

Three fits, each a Nelder-Mead search (``scipy.optimize.minimize``) over a few
parameters, on common random numbers (every evaluation runs the same seed and
replications), minimising the sum of squared standardised misses
``((simulated - target) / sd)^2``:

- ``risk``: the persistent part of crisis risk (the spread of personal risk)
  and the transient part (the boost after a crisis or discharge and its
  half-life), with the level of crisis rates (one factor on
  ``crisis.fit_per_year``, keeping its shape by age band), against the
  frequent-admitter shares of Roland et al. (BMJ 2005), emergency admissions
  of people 65+ and 30-day readmissions;
- ``flows``: care home residents' mortality, placements from hospital, how
  reablement ends, the beds used by under-65s, requests for home care from
  the community, how much less often people under 85 enter a care home and
  how much more their excess mortality as residents is,
  against care home residents, their share aged 85+ and admissions, people
  at home 91 days after reablement, acute occupancy and people on home care
  (``--warmup-days`` longer than a year lets care homes reach their balance
  before the window);
- ``delays``: one factor on the assumed length of the steps after medically
  fit that each organisation is responsible for (the NHS's, social care's,
  and the waits both share), against the level of delayed days and their
  split by responsibility in the 2016-18 returns.  Most discharge planning
  starts before a person is medically fit; what the returns count, and what
  these steps stand for, is the part left after it.

Validation figures (EVIDENCE rows marked validation) are never targets here.
The result is printed and written as a table; the values chosen go into
``sim/parameters/params.py`` by hand, each with "calibrated" in its source,
and ``calibration/baseline.md`` says what was fitted to what::

    python -m sim.calibration.baseline_fit check --population 250000 --reps 3
    python -m sim.calibration.baseline_fit risk --population 100000 --reps 2
    python -m sim.calibration.baseline_fit flows --population 100000 --reps 2 --warmup-days 1461
    python -m sim.calibration.baseline_fit delays --population 100000 --reps 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from sim.calibration.plausibility import run_table
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
from sim.vocabulary import Delay


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    sd: float  # how far a miss counts: one standard deviation of the figure
    source: str
    measure: Callable[[pd.DataFrame], float]  # the figure, from one run's table (plausibility.run_table)


@dataclass(frozen=True)
class Parameter:
    path: str  # group.name, or several joined by "+": then one factor on each of their values
    low: float
    high: float
    reason: str
    # how a tuple parameter is set: "factor" scales it as a whole (its shape kept); "first_share" sets the
    # first of a tuple of shares, the others keeping their ratio to each other
    tuple_mode: str = "factor"


def _delay_share(metric: str) -> Callable[[pd.DataFrame], float]:
    return lambda k: float(k.loc[metric, "all"] / k.loc["delayed_discharge_days", "all"])


ROLAND = "EVIDENCE 3: Roland, Dusheiko, Gravelle, Parker, BMJ 2005;330:289 (HES 1997-2003)"
RETURNS = "EVIDENCE 4: NHS England delayed transfers of care statistics, 2016-18 monthly returns"
TARGETS = {
    "risk": (
        Target(
            "emergency admissions per 1,000 person-years, 65+",
            245.0,
            10.0,
            "EVIDENCE 3: about 245 per 1,000 a year (HES 2010/11, derived)",
            lambda k: 1000 * k.loc["emergency_admissions", "65plus"] / k.loc["person_years", "65plus"],
        ),
        Target(
            "30-day readmissions, share of emergency admissions, 65+",
            0.145,
            0.015,
            "EVIDENCE 3: 13.7% all ages (2017/18), about 1 in 6 at 75+ (no figure for 65+ is published: between "
            "the two, with a wider sd than the frequent admitters' shares, which are figures for 65+ themselves)",
            lambda k: k.loc["readmissions_30d", "65plus"] / k.loc["emergency_admissions", "65plus"],
        ),
        Target(
            "frequent admitters' share of the index year's admissions",
            0.38,
            0.02,
            ROLAND + ": about 38%",
            lambda k: k.loc["frequent_admitters_share_year_0", "65plus"],
        ),
        Target(
            "their share of the next year's admissions",
            0.09,
            0.015,
            ROLAND + ": under 10%",
            lambda k: k.loc["frequent_admitters_share_year_1", "65plus"],
        ),
    ),
    "flows": (
        Target(
            "care home residents per 100,000 registered (mean over the window)",
            490.0,
            15.0,
            "EVIDENCE 4: about 274,000 people 65+ in care homes, about 490 per 100,000 of all ages "
            "(Improvement Analytics Unit, Health Foundation 2019)",
            lambda k: k.loc["care_home_residents_per_100k", "all"],
        ),
        Target(
            "council-supported permanent care home admissions per 100,000 person-years, 65+",
            618.0,
            30.0,
            "EVIDENCE 4: 659 (2014/15) to 578 (2018/19) per 100,000 aged 65+ (ASCOF 2A(2))",
            lambda k: 1e5 * k.loc["care_home_admissions", "65plus"] / k.loc["person_years", "65plus"],
        ),
        Target(
            "at home 91 days after discharge into reablement",
            0.82,
            0.02,
            "EVIDENCE 4: about 82% (ASCOF 2B(1), 2011/12-2019/20)",
            lambda k: k.loc["at_home_91d_after_reablement", "65plus"],
        ),
        Target(
            "care home residents aged 85+, share of residents 65+ (mean over the window)",
            0.592,
            0.03,
            "ONS census 2011: 59.2% (Changes in the older resident care home population between 2001 and 2011, "
            "2014); sd assumed, to cover 2021's 56.4% (a census taken during the pandemic)",
            lambda k: k.loc["care_home_residents_85plus_share", "all"],
        ),
        Target(
            "older people on home care per 100,000 registered (mean over the run)",
            640.0,
            10.0,
            "EVIDENCE 4: more than 350,000 older people on home care, about 640 per 100,000 of all ages "
            "(Wittenberg & Hu 2015); with 650 packages per 100,000 the market runs nearly full",
            lambda k: k.loc["home_care_clients_per_100k", "all"],
        ),
        Target(
            "acute occupancy, core beds, all patients",
            0.885,
            0.015,
            "NHS England KH03 2019/20: general and acute occupancy about 90% (approximate)",
            lambda k: k.loc["acute_occupancy", "all"],
        ),
    ),
    "delays": (
        Target(
            "delayed days, share of acute bed days, 65+",
            0.035,
            0.007,
            "EVIDENCE 4: about 3,800 delayed patients a day in 2010-13 and 6,660 at the peak in February 2017, "
            "about 2/3 of them in acute beds, of about 100,000 general and acute beds (2.5% to 4.4%)",
            lambda k: k.loc["delayed_discharge_days", "65plus"] / k.loc["bed_days", "65plus"],
        ),
        Target(
            "NHS share of delayed days", 0.595, 0.02, RETURNS + ": NHS about 58-61%", _delay_share("delayed_days_nhs")
        ),
        Target("share attributed to both", 0.08, 0.015, RETURNS + ": both about 8%", _delay_share("delayed_days_both")),
    ),
}
PARAMETERS = {
    "risk": (
        Parameter("people.persistent_risk_sd", 0.0, 1.2, "how much of the risk is a person's own and lasting"),
        Parameter("crisis.transient_boost", 0.5, 30.0, "the extra risk just after a crisis or a discharge"),
        Parameter("crisis.transient_half_life_days", 2.0, 90.0, "how fast that extra risk fades"),
        Parameter("crisis.fit_per_year", 0.6, 1.6, "the level of crisis rates (a factor on every age band)"),
    ),
    "flows": (
        Parameter("mortality.care_home_hr", 1.0, 8.0, "care home residents' mortality: places freeing up"),
        Parameter("discharge.care_home_by_frailty", 0.3, 3.0, "care home placements from hospital"),
        Parameter("social_care.reablement_outcome", 0.3, 0.85, "reablement ending independent", "first_share"),
        Parameter("acute.background_admissions_per_100k_per_year", 1500.0, 7000.0, "beds used by under-65s"),
        Parameter("social_care.community_home_care_by_frailty", 0.3, 5.0, "requests for home care from the community"),
        Parameter(
            "social_care.care_home_age_step_hr", 0.05, 1.5, "care home entries below 85 against 85+, same frailty"
        ),
        Parameter(
            "mortality.care_home_hr_age_step", 1.0, 2.0, "residents' excess mortality, a band below 85+ against it"
        ),
    ),
    "delays": (
        Parameter(
            "discharge.therapy_assessment_days+discharge.nhs_funding_days",
            0.05,
            3.0,
            "the NHS's steps after medically fit: the hospital team's assessment, the NHS funding decision",
        ),
        Parameter(
            "discharge.assessment_days+discharge.council_funding_days+discharge.package_start_days"
            "+discharge.care_home_search_days",
            0.1,  # the social worker's assessment stays above its smallest value (0.01 days)
            3.0,
            "social care's steps after medically fit: the social worker's assessment, the council's funding "
            "decision, finding a provider for a package or a care home (the care home search is by funding: "
            "self-funders' and NHS-funded people's waits are the NHS's in the returns)",
        ),
        Parameter(
            "discharge.equipment_share+discharge.dispute_share",
            0.05,
            3.0,
            "the waits both are responsible for: equipment and adaptations, disputes",
        ),
    ),
}


def _set(current: object, value: float, mode: str) -> object:
    if not isinstance(current, tuple):
        return float(value)
    if mode == "factor":
        return tuple(float(c) * value for c in current)
    rest = sum(current[1:])
    return (value, *(float(c) * (1.0 - value) / rest for c in current[1:]))


def overrides(base: Params, parameters: tuple[Parameter, ...], x: np.ndarray) -> dict[str, dict[str, object]]:
    """The overrides setting each parameter to its value in ``x`` (tuples as their ``tuple_mode`` says)."""
    out: dict[str, dict[str, object]] = {}
    for p, v in zip(parameters, x):
        value = float(v)
        for path in p.path.split("+"):
            group, name = path.split(".")
            current = getattr(getattr(base, group), name)
            if "+" in p.path:  # one factor on several values
                new = _set(current, value, "factor") if isinstance(current, tuple) else float(current) * value
            else:
                new = _set(current, value, p.tuple_mode)
            out.setdefault(group, {})[name] = new
    return out


def start_values(base: Params, parameters: tuple[Parameter, ...]) -> np.ndarray:
    """Where the search starts: today's values (a factor of 1, or the first share, for a tuple parameter)."""
    values = []
    for p in parameters:
        group, name = p.path.split("+")[0].split(".")
        current = getattr(getattr(base, group), name)
        if "+" in p.path:
            values.append(1.0)
        elif isinstance(current, tuple):
            values.append(1.0 if p.tuple_mode == "factor" else float(current[0]))
        else:
            values.append(float(current))
    return np.array(values)


def _figures(params: Params, which: str, seed: int, replication: int) -> list[float]:
    k = run_table(single_run(params, seed=seed, replication=replication))
    return [t.measure(k) for t in TARGETS[which]]


def simulate(params: Params, which: str, reps: int, seed: int) -> np.ndarray:
    """Each of fit ``which``'s targets' figures, the mean over replications 0..reps-1 (side by side on the cores)."""
    workers = min(reps, os.cpu_count() or 1)
    if workers < 2:
        figures = [_figures(params, which, seed, r) for r in range(reps)]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            figures = list(pool.map(_figures, [params] * reps, [which] * reps, [seed] * reps, range(reps)))
    return np.asarray(figures, dtype=float).mean(axis=0)


def sized(population: int, seed_params: Params | None = None, warmup_days: float | None = None) -> Params:
    """The place at ``population`` people; ``warmup_days`` (default: the parameter's) before the window."""
    overrides: dict[str, dict[str, object]] = {"place": {"registered_population": population}}
    if warmup_days is not None:
        overrides["time"] = {"warmup_days": warmup_days}
    return apply_overrides(seed_params or Params(), overrides)


def fit(
    which: str,
    population: int,
    reps: int,
    seed: int,
    max_evaluations: int,
    start: list[float] | None = None,
    warmup_days: float | None = None,
) -> pd.DataFrame:
    """Fit one group of parameters to its targets, from today's values or ``start``; returns the best values."""
    base = sized(population, warmup_days=warmup_days)
    parameters, targets = PARAMETERS[which], TARGETS[which]
    observed = np.array([t.value for t in targets])
    sd = np.array([t.sd for t in targets])
    low, high = np.array([p.low for p in parameters]), np.array([p.high for p in parameters])
    x0 = np.array(start, dtype=float) if start else start_values(base, parameters)
    scale = high - low

    def distance(z: np.ndarray) -> float:
        x = np.clip(low + z * scale, low, high)
        params = apply_overrides(base, overrides(base, parameters, x))
        sim = simulate(params, which, reps, seed)
        d = float(np.sum(((sim - observed) / sd) ** 2))
        shown = ", ".join(f"{v:.4g}" for v in x)
        print(f"  [{shown}] -> {', '.join(f'{s:.4g}' for s in sim)}  distance {d:.3f}", flush=True)
        return d

    t0 = time.perf_counter()
    z0 = np.clip((x0 - low) / scale, 0.0, 1.0)
    # steps of a tenth of each range: the objective is noisy, so the default 5% steps would chase noise
    simplex = np.vstack(
        [z0] + [np.clip(z0 + np.eye(len(z0))[i] * np.where(z0 > 0.5, -0.1, 0.1), 0, 1) for i in range(len(z0))]
    )
    res = minimize(
        distance,
        z0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(parameters),
        options={"maxfev": max_evaluations, "xatol": 0.005, "fatol": 0.05, "initial_simplex": simplex},
    )
    best = np.clip(low + res.x * scale, low, high)
    print(f"{res.nfev} evaluations in {time.perf_counter() - t0:.0f} s; distance {res.fun:.3f}")
    rows = [{"parameter": p.path, "value": v, "low": p.low, "high": p.high} for p, v in zip(parameters, best)]
    return pd.DataFrame(rows)


def check(population: int, reps: int, seed: int, warmup_days: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every target of the fits at today's parameters (the figure and the miss in sds), and the delay reasons.

    The reasons' shares of delayed days, largest first, are a check to report, not a target.
    """
    params = sized(population, warmup_days=warmup_days)
    tables = [run_table(single_run(params, seed=seed, replication=r)) for r in range(reps)]
    rows = []
    for which, targets in TARGETS.items():
        for t in targets:
            figure = float(np.mean([t.measure(k) for k in tables]))
            rows.append(
                {
                    "fit": which,
                    "target": t.name,
                    "value": t.value,
                    "model": figure,
                    "miss_sd": (figure - t.value) / t.sd,
                }
            )
    return pd.DataFrame(rows), delay_reasons(tables)


def delay_reasons(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Each national category's share of delayed days (cohort ``all``, mean over runs), largest first."""
    shares = {
        why.name.lower(): float(
            np.mean(
                [
                    k.loc[f"delayed_days_{why.name.lower()}", "all"] / k.loc["delayed_discharge_days", "all"]
                    for k in tables
                ]
            )
        )
        for why in Delay
    }
    frame = pd.DataFrame({"category": list(shares), "share": list(shares.values())})
    return frame.sort_values("share", ascending=False, ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("check", *PARAMETERS))
    ap.add_argument("--population", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-evaluations", type=int, default=80)
    ap.add_argument("--start", type=float, nargs="+", help="where the search starts (default: today's values)")
    ap.add_argument(
        "--warmup-days",
        type=float,
        help="days before the window (default: time.warmup_days); longer, so that care homes reach their balance",
    )
    a = ap.parse_args(argv)
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        if a.what == "check":
            targets, reasons = check(a.population, a.reps, a.seed, a.warmup_days)
            print(targets.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            print("\nDelayed days by the returns' category (a check, not a target):")
            print(reasons.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        else:
            print(
                fit(a.what, a.population, a.reps, a.seed, a.max_evaluations, a.start, a.warmup_days).to_string(
                    index=False
                )
            )


if __name__ == "__main__":
    main()
