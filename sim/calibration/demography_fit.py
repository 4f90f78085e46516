"""The death rates a held population expects, measured in the baseline: re-runnable.

``place.expected_deaths_<band>`` is what the demographic plan (``sim/core/projection.py``) expects a
band's people to die at, by frailty level.  It is calibration: the deaths per person-year of each band
and frailty level in the baseline held stationary (exposure by level from each person's frailty steps),
over a run from time 0 (no warm-up) of ``--years`` years, pooled over replications.  The plan's rates
shape the bands (they set the ages within them and the flows that hold them), so the fit repeats, each
round with the rates the last one measured, until they change by less than ``--tolerance`` (relative)::

    python -m sim.calibration.demography_fit --population 250000 --years 10 --reps 2

The values printed go into ``sim/parameters/params.py`` by hand, with "calibrated" in their source.
"""

from __future__ import annotations

import argparse

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.core.population import BAND_EDGES, DAYS_PER_YEAR, expected_deaths
from sim.outcomes.rundata import RunData
from sim.parameters.params import AGE_BANDS, Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import single_run
from sim.vocabulary import Ev

_LIMITS = (-np.inf, *BAND_EDGES, np.inf)


def band_exposure_and_deaths(
    data: RunData, start: float, end: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Person-years lived in each band in ``[start, end)`` and the deaths in each band then (people only)."""
    ppl = data.people
    age0, entered, died = ppl["age0"], ppl["entered"], ppl["died"]
    lo = np.maximum(entered, start)
    hi = np.where(np.isnan(died), end, np.minimum(died, end))
    years = np.zeros(len(AGE_BANDS))
    for b in range(len(AGE_BANDS)):
        a = np.maximum(lo, (_LIMITS[b] - age0) * DAYS_PER_YEAR)
        z = np.minimum(hi, (_LIMITS[b + 1] - age0) * DAYS_PER_YEAR)
        years[b] = np.clip(z - a, 0, None).sum() / DAYS_PER_YEAR
    ev = data.events
    d = ev[(ev["event"] == Ev.DEATH) & (ev["pid"] >= 0) & (ev["time"] >= start) & (ev["time"] < end)]
    age = age0[d["pid"].to_numpy()] + d["time"].to_numpy() / DAYS_PER_YEAR
    deaths = np.bincount(np.searchsorted(BAND_EDGES, age, side="right"), minlength=len(AGE_BANDS))
    return years, deaths.astype(np.float64)


def frailty_spans(data: RunData) -> pd.DataFrame:
    """Each person's spans at one frailty level: ``pid, start, end, frailty`` (from ``Ev.FRAILTY_STEP``)."""
    ppl, ev = data.people, data.events
    steps = ev[(ev["event"] == Ev.FRAILTY_STEP) & (ev["pid"] >= 0)].sort_values(["pid", "time"], kind="stable")
    pid, time, step = (steps[c].to_numpy() for c in ("pid", "time", "detail"))
    n = len(ppl["age0"])
    first = ppl["frailty"] - np.bincount(pid, weights=step, minlength=n).astype(np.int64)
    end = np.where(np.isnan(ppl["died"]), data.window_end, ppl["died"])
    after = first[pid] + (pd.Series(step).groupby(pid).cumsum().to_numpy() if len(pid) else np.zeros(0))
    before = after - step
    prev = np.where(
        np.r_[True, pid[1:] != pid[:-1]] if len(pid) else np.zeros(0, bool), ppl["entered"][pid], np.r_[0.0, time[:-1]]
    )
    last = np.r_[pid[1:] != pid[:-1], True] if len(pid) else np.zeros(0, bool)
    stepped = np.zeros(n, bool)
    stepped[pid] = True
    last_time = np.full(n, np.nan)
    last_time[pid[last]] = time[last]
    rows = [
        pd.DataFrame({"pid": pid, "start": prev, "end": time, "frailty": before}),
        pd.DataFrame(
            {
                "pid": np.arange(n),
                "start": np.where(stepped, last_time, ppl["entered"]),
                "end": end,
                "frailty": ppl["frailty"],
            }
        ),
    ]
    return pd.concat(rows, ignore_index=True)


def band_frailty_rates(
    data: RunData, start: float, end: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Person-years and deaths in ``[start, end)`` by band (rows) and frailty level (columns)."""
    spans = frailty_spans(data)
    age0 = data.people["age0"][spans["pid"].to_numpy()]
    years = np.zeros((len(AGE_BANDS), 4))
    for b in range(len(AGE_BANDS)):
        a = np.maximum.reduce(
            [spans["start"].to_numpy(), np.full(len(spans), start), (_LIMITS[b] - age0) * DAYS_PER_YEAR]
        )
        z = np.minimum.reduce(
            [spans["end"].to_numpy(), np.full(len(spans), end), (_LIMITS[b + 1] - age0) * DAYS_PER_YEAR]
        )
        years[b] = (
            np.bincount(spans["frailty"].to_numpy(), weights=np.clip(z - a, 0, None), minlength=4) / DAYS_PER_YEAR
        )
    ev = data.events
    d = ev[(ev["event"] == Ev.DEATH) & (ev["pid"] >= 0) & (ev["time"] >= start) & (ev["time"] < end)]
    dp = d["pid"].to_numpy()
    age = data.people["age0"][dp] + d["time"].to_numpy() / DAYS_PER_YEAR
    band = np.searchsorted(BAND_EDGES, age, side="right")
    deaths = np.zeros((len(AGE_BANDS), 4))
    np.add.at(deaths, (band, data.people["frailty"][dp]), 1.0)
    return years, deaths


def measure(p: Params, years: float, reps: int, seed: int) -> npt.NDArray[np.float64]:
    """Deaths per person-year by band (rows) and frailty (columns), over ``years`` from time 0, pooled over
    ``reps`` replications."""
    p = apply_overrides(p, {"time": {"warmup_days": 0.0, "horizon_days": years * DAYS_PER_YEAR}})
    exposure, deaths = np.zeros((len(AGE_BANDS), 4)), np.zeros((len(AGE_BANDS), 4))
    for r in range(reps):
        data = single_run(p, seed=seed, replication=r).data
        e, d = band_frailty_rates(data, 0.0, data.window_end)
        exposure += e
        deaths += d
    out: npt.NDArray[np.float64] = deaths / exposure
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m sim.calibration.demography_fit", description=__doc__.split("\n")[0])
    ap.add_argument("--population", type=int, default=250_000)
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--tolerance", type=float, default=0.01)
    args = ap.parse_args(argv)
    p = apply_overrides(Params(), {"place": {"registered_population": args.population}})
    for i in range(args.rounds):
        rates = measure(p, args.years, args.reps, args.seed)
        before = expected_deaths(p)
        fitted = {f"expected_deaths_{band}": [round(float(r), 4) for r in rates[b]] for b, band in enumerate(AGE_BANDS)}
        print(f"round {i + 1}:", "; ".join(f"{k} {tuple(v)}" for k, v in fitted.items()), flush=True)
        p = apply_overrides(p, {"place": fitted})
        if np.all(np.abs(rates / before - 1) < args.tolerance):
            break
    for key, values in fitted.items():
        print(f"place.{key} = {tuple(values)}")


if __name__ == "__main__":
    main()
