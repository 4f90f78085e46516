"""Baseline plausibility: the model's levels against the ranges the evidence supports.

Each check is a level (mostly of cohort ``65plus``) computed from one run's
table (:func:`run_table`: its KPIs, metric x cohort, with the frequent
admitters' follow-up as rows of cohort ``65plus``), the range it should fall
in, and where the range comes from.  Used by the tests and by
``python -m sim.calibration.plausibility`` which prints the table for a real run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.frequent_admitters import follow_up
from sim.outcomes.rundata import RunData
from sim.replication.single import RunResult, single_run
from sim.vocabulary import Spell

Table: TypeAlias = pd.DataFrame  # metric x cohort, one replication


@dataclass(frozen=True)
class Check:
    name: str
    low: float
    high: float
    source: str
    level: Callable[[Table], float]
    fitted: bool = True  # False: validation, compared but never fitted


def _per(metric: str, scale: float, cohort: str = "65plus") -> Callable[[Table], float]:
    return lambda k: scale * k[cohort][metric] / k[cohort]["person_years"]


CHECKS = (
    Check(
        "emergency admissions per 1,000 person-years",
        180,
        320,
        "EVIDENCE 3: about 245 per 1,000 a year aged 65+ (HES 2010/11, derived)",
        _per("emergency_admissions", 1000),
    ),
    Check(
        "mean emergency length of stay, days",
        7,
        12,
        "EVIDENCE 3: 7.9 days all ages, 10.8 aged 85+ (Health Foundation 2023)",
        lambda k: k["65plus"]["mean_los_days"],
    ),
    Check(
        "30-day readmissions, share of emergency admissions",
        0.12,
        0.18,
        "EVIDENCE 3: 13.7% all ages, about 1 in 6 for 75+ (NHS Digital; Age UK 2023)",
        lambda k: k["65plus"]["readmissions_30d"] / k["65plus"]["emergency_admissions"],
    ),
    Check(
        "delayed days, share of acute bed days",
        0.02,
        0.07,
        "EVIDENCE 4: about 3,800 patients delayed a day, 2/3 in acute beds, of about 100,000 beds",
        lambda k: k["65plus"]["delayed_discharge_days"] / k["65plus"]["bed_days"],
    ),
    Check(
        "at home 91 days after reablement",
        0.75,
        0.88,
        "EVIDENCE 4: about 82% (ASCOF 2B(1), 2011/12-2019/20)",
        lambda k: k["65plus"]["at_home_91d_after_reablement"],
    ),
    Check(
        "care home admissions per 100,000 person-years",
        450,
        750,
        "EVIDENCE 4: 659 (2014/15) to 578 (2018/19) per 100,000 aged 65+ (ASCOF 2A(2))",
        _per("care_home_admissions", 1e5),
    ),
    Check(
        "care home residents per 100,000 registered",
        450,
        530,
        "EVIDENCE 4: about 490 per 100,000 (274,000 people 65+, Improvement Analytics Unit 2019); the places "
        "are 530 per 100,000",
        lambda k: k["all"]["care_home_residents_per_100k"],
    ),
    Check(
        "care home residents aged 85+, share of residents 65+",
        0.53,
        0.65,
        "ONS census: 59.2% in 2011 (Changes in the older resident care home population between 2001 and 2011, "
        "2014), 56.4% in 2021 (Older people living in care homes in 2021 and changes since 2011, 2023)",
        lambda k: k["all"]["care_home_residents_85plus_share"],
    ),
    Check(
        "older people on home care per 100,000 registered",
        600,
        650,
        "EVIDENCE 4: more than 350,000 older people on home care, about 640 per 100,000 (Wittenberg & Hu 2015); "
        "the packages are 650 per 100,000",
        lambda k: k["all"]["home_care_clients_per_100k"],
    ),
    Check(
        "outpatient attendances per person-year",
        2,
        6,
        "EVIDENCE 3: 96.4m attendances in 2019/20 (about 1.7 per person of all ages, more at 65+), follow-ups about 2 "
        "per first attendance (HES Outpatient Activity)",
        _per("outpatient_attendances", 1),
    ),
    Check(
        "elective admissions per 1,000 person-years",
        100,
        500,
        "HES Admitted Patient Care: elective admissions, ordinary and day case, of people 65+ (approximate range)",
        _per("elective_admissions", 1000),
    ),
    Check(
        "GP contacts per person-year, 85+",
        10,
        16,
        "EVIDENCE 3: 13-14 consultations a year at 85-89 (Hippisley-Cox 2009; Hobbs et al. 2016)",
        _per("gp_contacts", 1, cohort="85plus"),
    ),
    Check(
        "acute occupancy, all patients",
        0.85,
        0.92,
        "NHS England KH03 2019/20: general and acute occupancy about 90% (approximate)",
        lambda k: k["all"]["acute_occupancy"],
    ),
    Check(
        "frequent admitters' share of the index year's emergency admissions, 65+",
        0.34,
        0.42,
        "EVIDENCE 3: about 38% (Roland et al., BMJ 2005)",
        lambda k: k["65plus"]["frequent_admitters_share_year_0"],
    ),
    Check(
        "their share of the next year's emergency admissions",
        0.06,
        0.10,
        "EVIDENCE 3: under 10% (Roland et al., BMJ 2005)",
        lambda k: k["65plus"]["frequent_admitters_share_year_1"],
    ),
    Check(
        "delayed days attributed to the NHS, share",
        0.55,
        0.64,
        "EVIDENCE 4: about 58-61% (NHS England delayed transfers of care, 2016-18 returns)",
        lambda k: k["all"]["delayed_days_nhs"] / k["all"]["delayed_discharge_days"],
    ),
    Check(
        "delayed days attributed to social care, share",
        0.28,
        0.40,
        "EVIDENCE 4: about 30-38% (2016-18 returns)",
        lambda k: k["all"]["delayed_days_social_care"] / k["all"]["delayed_discharge_days"],
    ),
    Check(
        "delayed days attributed to both, share",
        0.05,
        0.11,
        "EVIDENCE 4: about 8% (2016-18 returns)",
        lambda k: k["all"]["delayed_days_both"] / k["all"]["delayed_discharge_days"],
    ),
    Check(
        "share of acute bed days used by people 65+ (all patients)",
        0.45,
        0.65,
        "EVIDENCE 3 validation: 54% (HSCIC 2014); not fitted",
        lambda k: k["65plus"]["bed_days"] / k["all"]["bed_days_all_patients"],
        fitted=False,
    ),
)


def run_table(result: RunResult) -> Table:
    """One run's KPIs, metric x cohort, and figures from outside the KPIs.

    ``frequent_admitters_share_year_<k>`` under ``65plus`` (:mod:`sim.outcomes.frequent_admitters`),
    and under ``all``: ``care_home_residents_per_100k`` and ``home_care_clients_per_100k`` (the weekly care
    home places or home care packages in use, mean over the run, per 100,000 registered people),
    ``care_home_residents_85plus_share`` (:func:`residents_85plus_share`) and
    ``bed_days_all_patients`` (acute bed days of every patient, background and escalation beds included, as
    ``caresim validation`` divides by).
    """
    k = result.kpis.pivot(index="metric", columns="cohort", values="value")
    for row in follow_up(result.data).itertuples():
        k.loc[f"frequent_admitters_share_year_{row.year}"] = np.nan
        k.loc[f"frequent_admitters_share_year_{row.year}", "65plus"] = row.share
    ts = result.timeseries
    residents = ts[ts["series"] == "care_homes_in_use"]["value"].mean()
    clients = ts[ts["series"] == "home_care_in_use"]["value"].mean()
    per_100k = 1e5 / result.data.params.place.registered_population
    k.loc["care_home_residents_per_100k"] = np.nan
    k.loc["care_home_residents_per_100k", "all"] = residents * per_100k
    k.loc["home_care_clients_per_100k"] = np.nan
    k.loc["home_care_clients_per_100k", "all"] = clients * per_100k
    k.loc["care_home_residents_85plus_share"] = np.nan
    k.loc["care_home_residents_85plus_share", "all"] = residents_85plus_share(result.data)
    k.loc["bed_days_all_patients"] = np.nan
    k.loc["bed_days_all_patients", "all"] = result.data.bed_days_all
    return k


def residents_85plus_share(data: RunData) -> float:
    """The share of care home residents' days in the window lived at 85 or over (the census's 85+ share)."""
    sp = data.spells[data.spells["kind"] == Spell.CARE_HOME]
    lo = np.maximum(sp["start"].to_numpy(), data.window_start)
    hi = np.minimum(np.nan_to_num(sp["end"].to_numpy(), nan=data.window_end), data.window_end)
    turns_85 = (85.0 - data.people["age0"][sp["pid"].to_numpy()]) * DAYS_PER_YEAR
    days = np.clip(hi - lo, 0, None).sum()
    return float(np.clip(hi - np.maximum(lo, turns_85), 0, None).sum() / days) if days > 0 else float("nan")


def levels(tables: list[Table]) -> pd.DataFrame:
    """Mean level per check over replications (one :func:`run_table` each)."""
    rows = []
    for c in CHECKS:
        v = float(np.mean([c.level(t) for t in tables]))
        rows.append(
            {
                "check": c.name,
                "level": v,
                "low": c.low,
                "high": c.high,
                "inside": c.low <= v <= c.high,
                "fitted": c.fitted,
                "source": c.source,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    import argparse

    from sim.parameters.params import Params
    from sim.parameters.tree import apply_overrides

    ap = argparse.ArgumentParser(description="Baseline levels of cohort 65plus against the evidence ranges")
    ap.add_argument("--population", type=int, default=250_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    p = apply_overrides(Params(), {"place": {"registered_population": a.population}})
    table = levels([run_table(single_run(p, seed=a.seed, replication=r)) for r in range(a.reps)])
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
