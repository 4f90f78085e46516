"""The validation table: the model's figures beside the EVIDENCE.md rows marked validation, never fitted.

What each row compares, its evidence, the range accepted as "in range" and the reason believed for a
miss are prose and numbers a modeller edits in a data file (``calibration/validation.toml``): this
module reads the file, computes the model's figures from runs of the built-in baseline and judges each
row by its stated range.  Nothing here fits or tunes a parameter.

The figures, each from one replication's records (the table shows their mean over replications):

- ``bed_days_share_65plus``, ``bed_days_share_85plus``: acute bed days of the simulated cohort aged
  65+ (85+) in the statistics window, over all acute bed days, background patients included.
- ``top_decile_bed_day_share``: in each whole year (365 days) of the window, the people of the
  simulated cohort with acute bed days in it (its inpatients, day cases included): the share of the
  year's bed days used by the tenth of them using most; the mean over the years.  Inpatients, not
  everyone: fewer than one person in ten is admitted in a year, so a tenth of all people would hold
  nearly every bed day.
- ``discharge_pathway_<k>_share``: emergency stays of the simulated cohort that end in the window
  with the person alive, by the discharge-to-assess pathway of their destination (:data:`PATHWAY`).
- ``mdt_secondary_care_cost_ratio``, ``mdt_inpatient_outpatient_cost_ratio`` (rows with a ``scenario``):
  the people the scenario's MDT enrolled, from their enrolment, their hospital activity at national prices
  in the scenario over the same people's in the baseline run with the same random numbers (cohort ``mdt``
  against ``mdt:X``), all secondary care or inpatient plus outpatient care (:func:`mdt_cost_figures`).
- ``emergency_admissions_ratio_imd1_imd5``, ``deaths_ratio_imd1_imd5``: among people 65+, emergency
  admissions (deaths) per person-year in the most deprived IMD fifth over the least deprived's, in the
  window (cohorts of ``sim.outcomes.deprivation``); ``frailty_odds_ratio_imd1_imd5``: the odds of being
  frail (moderate or severe) among the living people 65+ at the window's start, most over least deprived.
- ``care_home_median_days``, ``care_home_mean_days``, ``care_home_one_year_survival``: permanent care
  home admissions of people 65+ in the window (council-supported and self-funded), followed until
  death or censored at the window's end, as a Kaplan-Meier curve (``scipy.stats.ecdf``).  The median
  needs the curve to fall to one half and the one-year survival a year of follow-up; the mean needs
  the whole tail, so it is the area under the curve to the longest follow-up, and only a lower bound
  (:data:`TAIL_MEASURED`) while many of the admitted are still alive at the window's end.

Every problem with the data file is a :class:`ValidationError` whose message is one line,
``<file>: <what>``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import CensoredData, ecdf

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import deprivation
from sim.outcomes.costs import unit_costs
from sim.outcomes.metrics import cohort_kpis, enrolment_starts, mdt_cohort
from sim.outcomes.rundata import Cohort, overlap
from sim.parameters.filecheck import known_keys
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.replication.single import RunResult, single_run
from sim.scenarios.scenario import RunSettings, read_checked
from sim.scenarios.scenario import load as load_scenario
from sim.vocabulary import Dest, Ev, Spell

# the discharge-to-assess pathway of each destination (NHS England / DHSC, Hospital Discharge Service:
# Policy and Operating Model, 2020): 0 home with no new support (a returning care home resident and a
# restarted home care package included), 1 home with new support, 2 bed-based intermediate care or
# community hospital, 3 a care home for the first time.  A new destination needs its line here.
PATHWAY: dict[Dest, int] = {
    Dest.HOME: 0,
    Dest.HOME_CARE: 1,
    Dest.REABLEMENT: 1,
    Dest.INTERMEDIATE_CARE: 2,
    Dest.CARE_HOME: 3,
}
YEAR_DAYS = 365.0  # a year of the window, for the high-intensity figure
TOP_SHARE = 0.10  # the high-intensity figure's top tenth of people
TAIL_MEASURED = 0.05  # the mean stay counts as measured once fewer than this share of the admitted are alive

# each figure's unit: "share" (0-1, shown in per cent), "days" or "ratio" (shown as it is)
FIGURES: dict[str, str] = {
    "bed_days_share_65plus": "share",
    "bed_days_share_85plus": "share",
    "top_decile_bed_day_share": "share",
    **{f"discharge_pathway_{k}_share": "share" for k in sorted(set(PATHWAY.values()))},
    "care_home_median_days": "days",
    "care_home_mean_days": "days",
    "care_home_one_year_survival": "share",
    # the deprivation gradients among people 65+, most deprived fifth over least (sim.outcomes.deprivation)
    "emergency_admissions_ratio_imd1_imd5": "ratio",
    "deaths_ratio_imd1_imd5": "ratio",
    "frailty_odds_ratio_imd1_imd5": "ratio",
    # a scenario's MDT cohort against the same people in the baseline (rows with a ``scenario``)
    "mdt_secondary_care_cost_ratio": "share",
    "mdt_inpatient_outpatient_cost_ratio": "share",
}
SCENARIO_FIGURES = ("mdt_secondary_care_cost_ratio", "mdt_inpatient_outpatient_cost_ratio")
KEYS = ("description", "row")
ROW_KEYS = (
    "figure",
    "label",
    "evidence",
    "source",
    "low",
    "high",
    "range_reason",
    "measured",
    "miss_reason",
    "horizon_days",
    "scenario",
)
TEXT_KEYS = ("label", "evidence", "source", "range_reason", "measured", "miss_reason")


class ValidationError(ValueError):
    """A validation file that cannot be used; the message is ``<file>: <what>`` on one line."""


@dataclass(frozen=True)
class Row:
    """One figure compared: what, against which evidence, the range accepted and the reason for a miss."""

    figure: str  # a key of FIGURES: what the code computes
    label: str
    evidence: str  # the published figure, as published
    source: str
    low: float  # the range accepted as in range, in the figure's unit
    high: float
    range_reason: str
    measured: str  # how the model's figure is measured, in words
    miss_reason: str
    horizon_days: float | None  # a longer window this figure needs (None: the run's own)
    scenario: Path | None = None  # the scenario whose MDT cohort the figure compares (SCENARIO_FIGURES only)

    @property
    def unit(self) -> str:
        return FIGURES[self.figure]


@dataclass(frozen=True)
class ValidationFile:
    path: Path
    description: str
    rows: tuple[Row, ...]


def load_rows(path: str | Path) -> ValidationFile:
    """Read and check a validation file: every key known, every figure one the code computes."""
    path = Path(path)
    data, err = read_checked(path, "a validation file", ValidationError, KEYS)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise err("'description' must be text in quotes")
    tables = data.get("row")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise err("needs at least one [[row]] table")
    return ValidationFile(path, description, tuple(_row(t, i, err, path.parent) for i, t in enumerate(tables, 1)))


def _row(t: dict[str, Any], i: int, err: Callable[[str], ValidationError], folder: Path = Path(".")) -> Row:
    where = f"row[{i}]"
    known_keys(t, ROW_KEYS, err, prefix=f"{where}.")
    for key in ("figure", "low", "high", *TEXT_KEYS):
        if key not in t:
            raise err(f"{where}: missing '{key}'")
    figure = t["figure"]
    if not isinstance(figure, str):
        raise err(f"{where}.figure must be the name of a figure in quotes, got {figure!r:.40}")
    if figure not in FIGURES:
        guess = closest(str(figure), tuple(FIGURES))
        raise err(f"{where}.figure: unknown figure {figure!r}; {guess}")
    for key in TEXT_KEYS:
        if not isinstance(t[key], str) or not t[key].strip():
            raise err(f"{where}.{key}: must be text in quotes")
    low, high = _number(t, "low", where, err), _number(t, "high", where, err)
    if low > high:
        raise err(f"{where}: low ({low:g}) must not be above high ({high:g})")
    if FIGURES[figure] == "share" and not 0 <= low <= high <= 1:
        raise err(f"{where}: '{figure}' is a share: low and high must be between 0 and 1, got {low:g} and {high:g}")
    horizon = None
    if "horizon_days" in t:
        horizon = _number(t, "horizon_days", where, err)
        if not 1 <= horizon <= 36_500:
            raise err(f"{where}.horizon_days: must be 1 to 36,500 days, got {horizon:g}")
    scenario = None
    if (figure in SCENARIO_FIGURES) != ("scenario" in t):
        raise err(f"{where}: a scenario is needed by, and only by, the figures {', '.join(SCENARIO_FIGURES)}")
    if "scenario" in t:
        if not isinstance(t["scenario"], str) or not (folder / t["scenario"]).is_file():
            raise err(
                f"{where}.scenario: expected a scenario file, relative to the validation file, got {t['scenario']!r}"
            )
        scenario = folder / t["scenario"]
    texts = {k: t[k].strip() for k in TEXT_KEYS}
    return Row(figure=figure, low=low, high=high, horizon_days=horizon, scenario=scenario, **texts)


def _number(t: dict[str, Any], key: str, where: str, err: Callable[[str], ValidationError]) -> float:
    value = t[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise err(f"{where}.{key}: must be a number, got {value!r}")
    return float(value)


def closest(word: str, valid: tuple[str, ...]) -> str:
    """'did you mean ...?' for the valid name closest to ``word``, else the valid names."""
    guess = difflib.get_close_matches(word, valid, n=1, cutoff=0.6)
    return f"did you mean {guess[0]!r}?" if guess else f"valid figures: {', '.join(valid)}"


# --- the model's figures ----------------------------------------------------------------------------


def replication_figures(res: RunResult) -> dict[str, tuple[float, bool]]:
    """Every figure of one replication: ``name -> (value, lower_bound)`` (nan: not measurable in this run)."""
    data = res.data
    window = (data.window_start, data.window_end)
    k = res.kpis.set_index(["cohort", "metric"])["value"]
    out: dict[str, tuple[float, bool]] = {
        "bed_days_share_65plus": (_ratio(k["65plus", "bed_days"], data.bed_days_all), False),
        "bed_days_share_85plus": (_ratio(k["85plus", "bed_days"], data.bed_days_all), False),
        "top_decile_bed_day_share": (top_share_of_bed_days(data.stays, window), False),
    }
    for pathway, share in pathway_shares(data.stays, data.events, window).items():
        out[f"discharge_pathway_{pathway}_share"] = (share, False)
    out.update(care_home_stays(data.spells, data.people["age0"], window))
    most, least = (cohort_kpis(data, Cohort(f"imd{q}_65plus", 65.0, imd=q)) for q in (1, 5))
    for metric in ("emergency_admissions", "deaths"):
        out[f"{metric}_ratio_imd1_imd5"] = (deprivation.rate_ratio(most, least, metric), False)
    out["frailty_odds_ratio_imd1_imd5"] = (deprivation.frailty_odds_ratio(data, data.window_start), False)
    return out


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else math.nan


def top_share_of_bed_days(stays: pd.DataFrame, window: tuple[float, float], top: float = TOP_SHARE) -> float:
    """Share of acute bed days used by the ``top`` share of inpatients using most, per year of the window, averaged.

    ``stays``: the acute stays (``pid, admitted, left``; background patients, pid -1, left out).
    """
    st = stays[stays["pid"] >= 0]
    pid, admitted, left = st["pid"].to_numpy(np.int64), st["admitted"].to_numpy(), st["left"].to_numpy()
    n = int(pid.max()) + 1 if len(pid) else 0
    w, e = window
    years = int((e - w) // YEAR_DAYS)
    periods = [(w + i * YEAR_DAYS, w + (i + 1) * YEAR_DAYS) for i in range(years)] or [(w, e)]
    shares = []
    for a, b in periods:
        days = np.bincount(pid, weights=overlap(pid, admitted, left, np.full(n, a), b), minlength=n)
        used = np.sort(days[days > 0])[::-1]
        if not len(used):
            continue
        shares.append(used[: max(1, math.ceil(top * len(used)))].sum() / used.sum())
    return float(np.mean(shares)) if shares else math.nan


def pathway_shares(stays: pd.DataFrame, events: pd.DataFrame, window: tuple[float, float]) -> dict[int, float]:
    """Emergency stays of the cohort ending in the window, alive, by discharge pathway: share of each.

    The destination is the detail of the stay's ``discharge`` event (same person, same time).
    """
    st = stays
    left = st["left"].to_numpy()
    ended = (
        (st["pid"].to_numpy() >= 0)
        & st["emergency"].to_numpy(bool)
        & ~st["died"].to_numpy(bool)
        & (left >= window[0])
        & (left < window[1])
    )
    ev = events
    discharges = ev.loc[ev["event"] == Ev.DISCHARGE, ["pid", "time", "detail"]]
    stays = st.loc[ended, ["pid", "left"]].rename(columns={"left": "time"})
    dest = stays.merge(discharges, on=["pid", "time"], how="left")["detail"]
    if dest.isna().any():
        raise ValueError(f"{int(dest.isna().sum())} emergency discharges have no discharge event")
    unmapped = sorted(set(dest.astype(int)) - {int(d) for d in PATHWAY})
    if unmapped:
        names = ", ".join(Dest(d).name for d in unmapped)
        raise ValueError(f"destination {names} has no discharge-to-assess pathway: add it to PATHWAY")
    pathway = dest.astype(int).map({int(d): k for d, k in PATHWAY.items()})
    counts = pathway.value_counts()
    total = len(pathway)
    return {k: float(counts.get(k, 0) / total) if total else math.nan for k in sorted(set(PATHWAY.values()))}


def care_home_stays(
    spells: pd.DataFrame, age0: np.ndarray, window: tuple[float, float]
) -> dict[str, tuple[float, bool]]:
    """Kaplan-Meier median, mean and one-year survival of care home stays of people 65+ begun in the window.

    ``spells``: ``pid, kind, start, end`` (end nan while held); ``age0``: each person's age at time 0.
    """
    sp = spells
    start, end = sp["start"].to_numpy(), sp["end"].to_numpy()
    age = age0[sp["pid"].to_numpy(np.int64)] + start / DAYS_PER_YEAR
    new = (sp["kind"].to_numpy() == Spell.CARE_HOME) & (start >= window[0]) & (start < window[1]) & (age >= 65)
    done = ~np.isnan(end)
    return stay_figures(np.where(done, end, window[1])[new] - start[new], done[new])


def stay_figures(length: np.ndarray, died: np.ndarray) -> dict[str, tuple[float, bool]]:
    """Median, mean (restricted to the longest follow-up) and one-year survival of stays, some censored."""
    nan = {"care_home_median_days": (math.nan, False), "care_home_mean_days": (math.nan, False)}
    if not len(length):
        return nan | {"care_home_one_year_survival": (math.nan, False)}
    sf = ecdf(CensoredData(uncensored=length[died], right=length[~died])).sf
    t, s = sf.quantiles, sf.probabilities
    below = np.nonzero(s <= 0.5)[0]
    median = float(t[below[0]]) if len(below) else math.nan
    area = float(np.sum(np.diff(np.concatenate(([0.0], t))) * np.concatenate(([1.0], s[:-1]))))
    year = float(sf.evaluate(DAYS_PER_YEAR)) if length.max() >= DAYS_PER_YEAR else math.nan
    return {
        "care_home_median_days": (median, False),
        "care_home_mean_days": (area, bool(s[-1] >= TAIL_MEASURED)),
        "care_home_one_year_survival": (year, False),
    }


def scenario_run(path: Path, params: Params, seed: int, replication: int) -> RunResult:
    """Replication ``replication`` of a scenario file, at the population and window of ``params``."""
    t = params.time
    settings = RunSettings(params.place.registered_population, t.horizon_days, t.warmup_days)
    s = load_scenario(path, settings)
    return single_run(s.params, seed=seed, replication=replication, prelaunch=s.prelaunch)


def mdt_cost_figures(reference: RunResult, scenario: RunResult) -> dict[str, tuple[float, bool]]:
    """The MDT cohort's hospital costs at national prices in the scenario, over the same people's in the reference.

    As the pilots' evaluations priced hospital activity: A&E attendances, admissions (with excess bed days),
    elective episodes, day cases and outpatient attendances at their national prices (what the ICB pays the
    acute trust, ``sim/outcomes/costs.py``); inpatient plus outpatient leaves out A&E.  NaN where nobody enrolled.
    """
    pids, times = enrolment_starts(scenario.data)
    if not len(pids):
        return {f: (math.nan, False) for f in SCENARIO_FIGURES}
    ae_price = unit_costs(reference.data.params.costs)["ae_attendance"]

    def hospital(data, cohort) -> tuple[float, float]:
        k = cohort_kpis(data, cohort)
        paid = k["cost_paid_icb_gbp"] - k["cost_provider_community_services_gbp"] - k["cost_provider_gp_practices_gbp"]
        return paid, paid - k["ae_attendances"] * ae_price

    after = hospital(scenario.data, mdt_cohort(scenario.data, pids, times))
    before = hospital(reference.data, mdt_cohort(reference.data, pids, times))
    return {
        "mdt_secondary_care_cost_ratio": (_ratio(after[0], before[0]), False),
        "mdt_inpatient_outpatient_cost_ratio": (_ratio(after[1], before[1]), False),
    }


# --- runs and the table -----------------------------------------------------------------------------


def horizons(rows: tuple[Row, ...], params: Params) -> dict[float, list[Row]]:
    """The windows to run, each with its rows: the run's own, or a row's longer one."""
    own = params.time.horizon_days
    out: dict[float, list[Row]] = {}
    for row in rows:
        out.setdefault(max(own, row.horizon_days or own), []).append(row)
    return out


def run_figures(
    rows: tuple[Row, ...],
    params: Params,
    reps: int,
    seed: int,
    progress: Callable[[int, int, float], None] | None = None,
) -> pd.DataFrame:
    """Run the baseline ``reps`` times per window needed: ``horizon_days, replication, figure, value, lower_bound``."""
    plan = horizons(rows, params)
    total, done, out = reps * len(plan), 0, []
    for horizon, wanted in plan.items():
        p = apply_overrides(params, {"time": {"horizon_days": horizon}})
        names = {row.figure for row in wanted}
        scenarios = list(dict.fromkeys(row.scenario for row in wanted if row.scenario is not None))
        for r in range(reps):
            t0 = time.perf_counter()
            reference = single_run(p, seed=seed, replication=r)
            figures = replication_figures(reference)
            out += [(horizon, r, f, v, b) for f, (v, b) in figures.items() if f in names]
            for path in scenarios:
                own = {row.figure for row in wanted if row.scenario == path}
                pair = mdt_cost_figures(reference, scenario_run(path, p, seed, r))
                out += [(horizon, r, f, v, b) for f, (v, b) in pair.items() if f in own]
            done += 1
            if progress is not None:
                progress(done, total, time.perf_counter() - t0)
    return pd.DataFrame(out, columns=["horizon_days", "replication", "figure", "value", "lower_bound"])


def judge(row: Row, values: pd.Series, lower_bound: bool) -> str:
    """'yes' inside the stated range, 'no' outside it, 'cannot tell' where the run cannot measure the figure."""
    v = values.dropna()
    if not len(v):
        return "cannot tell"
    mean = float(v.mean())
    if lower_bound:
        return "no" if mean > row.high else "cannot tell"
    return "yes" if row.low <= mean <= row.high else "no"


def validation_table(rows: tuple[Row, ...], params: Params, figures: pd.DataFrame) -> pd.DataFrame:
    """One line per row: the row, the model's mean, least and largest over replications, and the verdict."""
    plan = horizons(rows, params)
    out = []
    for row in rows:
        horizon = next(h for h, wanted in plan.items() if row in wanted)
        part = figures[(figures["figure"] == row.figure) & (figures["horizon_days"] == horizon)]
        values = part["value"].astype(float)
        bound = bool(part["lower_bound"].any())
        verdict = judge(row, values, bound)
        out.append(
            dataclasses.asdict(row)
            | {
                "unit": row.unit,
                "run_horizon_days": horizon,
                "reps": int(part["replication"].nunique()),
                "n": int(values.notna().sum()),
                "mean": float(values.mean()) if values.notna().any() else math.nan,
                "min": float(values.min()) if values.notna().any() else math.nan,
                "max": float(values.max()) if values.notna().any() else math.nan,
                "lower_bound": bound,
                "in_range": verdict,
            }
        )
    return pd.DataFrame(out)
