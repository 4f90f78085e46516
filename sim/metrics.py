"""KPIs (brief section 8) computed from the records of one run, for any cohort.

A cohort is a set of people, each counted from a start time (the window's
start, or their enrolment) to the end of the window, optionally only while
aged over a threshold.  Counts, days and shares only: rates come from
``person_years``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .costs import unit_costs
from .params import Params
from .population import DAYS_PER_YEAR
from .records import Ev, Place, Reason, Spell

METRICS = (
    "person_years", "gp_contacts", "ae_attendances", "emergency_admissions", "elective_admissions",
    "elective_cancellations", "outpatient_attendances", "readmissions_30d", "crises", "rapid_responses",
    "mdt_reviews", "bed_days", "mean_occupied_beds", "mean_los_days", "delayed_discharge_days",
    "delayed_days_awaiting_assessment", "delayed_days_awaiting_home_care", "delayed_days_awaiting_reablement",
    "delayed_days_awaiting_intermediate_care", "delayed_days_awaiting_care_home", "trolley_wait_hours",
    "at_home_91d_after_reablement", "care_home_admissions", "deaths", "deaths_in_hospital",
    "knows_whom_to_contact", "cost_primary_care_gbp", "cost_community_gbp", "cost_hospital_gbp",
    "cost_social_care_gbp", "cost_health_gbp", "cost_total_gbp", "cost_capacity_gbp", "cost_activity_gbp",
)
PLACE_METRICS = ("acute_occupancy", "acute_beds")

_COUNTED = {
    "crises": Ev.CRISIS, "ae_attendances": Ev.AE_ATTENDANCE, "emergency_admissions": Ev.EMERGENCY_ADMISSION,
    "elective_admissions": Ev.ELECTIVE_ADMISSION, "elective_cancellations": Ev.ELECTIVE_CANCELLATION,
    "outpatient_attendances": Ev.OUTPATIENT_ATTENDANCE, "readmissions_30d": Ev.READMISSION_30D,
    "rapid_responses": Ev.RAPID_RESPONSE, "mdt_reviews": Ev.MDT_REVIEW, "deaths": Ev.DEATH,
    "gp_contacts": Ev.GP_CONTACT,
}


@dataclass(frozen=True)
class RunData:
    """Everything KPIs are computed from: records, people, window and capacities."""

    params: Params
    events: pd.DataFrame
    stays: pd.DataFrame
    delays: pd.DataFrame
    spells: pd.DataFrame
    people: dict[str, np.ndarray]
    window_start: float
    window_end: float
    capacity: dict[str, int]  # units held: acute_beds, core_beds, social_workers, reablement, intermediate_care
    bed_days_all: float  # all patients, background included, from the bed pool
    core_beds: int


@dataclass(frozen=True)
class Cohort:
    """People counted from ``start[pid]`` (default: the window start), optionally only at ``min_age``+."""

    name: str
    min_age: float | None = None
    start: np.ndarray | None = None  # per pid; nan: not in the cohort


def _lower_bound(data: RunData, c: Cohort) -> np.ndarray:
    """Per pid, the earliest time the person counts (nan if never)."""
    lo = np.maximum(data.people["entered"], data.window_start)
    if c.start is not None:
        start = np.full(lo.shape, np.nan)
        n = min(len(start), len(c.start))
        start[:n] = c.start[:n]
        lo = np.maximum(lo, start)
    if c.min_age is not None:
        lo = np.maximum(lo, (c.min_age - data.people["age0"]) * DAYS_PER_YEAR)
    return lo


def _overlap(pid: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: float) -> np.ndarray:
    """Days of [start, end) inside [lo[pid], hi); open ends (nan) run to hi."""
    if len(pid) == 0:
        return np.zeros(0)
    end = np.where(np.isnan(end), hi, end)
    a = np.maximum(start, lo[pid])
    b = np.minimum(end, hi)
    d = b - a
    return np.where(np.isnan(d) | (d < 0), 0.0, d)


def cohort_kpis(data: RunData, c: Cohort) -> dict[str, float]:
    W, E = data.window_start, data.window_end
    lo = _lower_bound(data, c)
    ppl = data.people
    out: dict[str, float] = {}

    alive_to = np.where(np.isnan(ppl["died"]), E, np.minimum(ppl["died"], E))
    py = np.clip(alive_to - lo, 0, None)
    out["person_years"] = float(np.nansum(py) / DAYS_PER_YEAR)

    ev = data.events
    person = ev["pid"].to_numpy() >= 0
    t = ev["time"].to_numpy()
    pid = np.where(person, ev["pid"].to_numpy(), 0)
    inside = person & (t < E) & (t >= np.nan_to_num(lo[pid], nan=np.inf))
    e = ev[inside]
    kind = e["event"].to_numpy()
    count = e["count"].to_numpy()
    detail = e["detail"].to_numpy()
    for metric, code in _COUNTED.items():
        out[metric] = float(count[kind == code].sum())
    out["deaths_in_hospital"] = float(((kind == Ev.DEATH) & (detail == Place.ACUTE)).sum())
    out["care_home_admissions"] = float(((kind == Ev.CARE_HOME_ADMISSION) & (detail == 1)).sum())
    # the 91-day check counts when the discharge into reablement was inside the cohort's window
    chk = e[(kind == Ev.AT_HOME_91D)]
    chk = chk[chk["time"].to_numpy() - 91.0 >= lo[chk["pid"].to_numpy()]]
    out["at_home_91d_after_reablement"] = float(chk["detail"].mean()) if len(chk) else float("nan")
    knows = detail[kind == Ev.KNOWS_CONTACT]
    out["knows_whom_to_contact"] = float(knows.mean()) if len(knows) else float("nan")

    st = data.stays[data.stays["pid"] >= 0]
    spid = st["pid"].to_numpy()
    bed_days = _overlap(spid, st["admitted"].to_numpy(), st["left"].to_numpy(), lo, E)
    out["bed_days"] = float(bed_days.sum())
    out["mean_occupied_beds"] = out["bed_days"] / (E - W)
    left = st["left"].to_numpy()
    ended = st["emergency"].to_numpy() & ~np.isnan(left) & (left < E) & (left >= np.nan_to_num(lo[spid], nan=np.inf))
    out["mean_los_days"] = float((left - st["admitted"].to_numpy())[ended].mean()) if ended.any() else float("nan")
    arrived, admitted = st["arrived"].to_numpy(), st["admitted"].to_numpy()
    admitted_in = (admitted < E) & (admitted >= np.nan_to_num(lo[spid], nan=np.inf))
    out["trolley_wait_hours"] = float(((admitted - arrived) * 24.0)[admitted_in].sum())

    de = data.delays
    days = _overlap(de["pid"].to_numpy(), de["start"].to_numpy(), de["end"].to_numpy(), lo, E)
    reason = de["reason"].to_numpy()
    out["delayed_discharge_days"] = float(days.sum())
    for r in Reason:
        out[f"delayed_days_awaiting_{r.name.lower()}"] = float(days[reason == r].sum())

    aux = {
        "elective_day_cases": float(((kind == Ev.ELECTIVE_ADMISSION) & (detail == 1)).sum()),
        "community_nursing_visits": float(count[kind == Ev.COMMUNITY_NURSING].sum()),
    }
    out.update(_costs(data, c, lo, {**out, **aux}))
    return out


def _costs(data: RunData, c: Cohort, lo: np.ndarray, k: dict[str, float]) -> dict[str, float]:
    """Capacity costs (held, used or not) and activity costs (per use), by sector, GBP in the price year."""
    p = data.params
    uc = unit_costs(p.costs)
    years = (data.window_end - data.window_start) / DAYS_PER_YEAR
    sp = data.spells
    spell_days = _overlap(sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy(), lo, data.window_end)
    kind, funded = sp["kind"].to_numpy(), sp["funded"].to_numpy()

    def days_of(s: Spell, only_funded: bool = False) -> float:
        mask = kind == s
        if only_funded:
            mask &= funded == 1
        return float(spell_days[mask].sum())

    everyone = c.start is None and c.min_age is None

    def share(used: float, total: float) -> float:
        """The cohort's share of a capacity: all of it for the whole cohort, else its share of use."""
        if everyone:
            return 1.0
        return used / total if total > 0 else 0.0

    cap = data.capacity
    whole = Cohort("all")
    lo_all = _lower_bound(data, whole) if not everyone else lo
    all_spell_days = _overlap(sp["pid"].to_numpy(), sp["start"].to_numpy(), sp["end"].to_numpy(), lo_all, data.window_end)

    def total_days(s: Spell) -> float:
        return float(all_spell_days[kind == s].sum())

    k = dict(k)
    k["mdt_person_days"] = days_of(Spell.MDT)
    k["mdt_person_days_all"] = total_days(Spell.MDT)
    ev = data.events
    t_all = ev["time"].to_numpy()
    pid_all = ev["pid"].to_numpy()
    rr = (ev["event"].to_numpy() == Ev.RAPID_RESPONSE) & (pid_all >= 0)
    k["rapid_responses_all"] = float((rr & (t_all < data.window_end) & (t_all >= lo_all[np.where(rr, pid_all, 0)])).sum())

    bed_capacity = cap["acute_beds"] * years * DAYS_PER_YEAR * uc["acute_bed_day"] * share(k["bed_days"], data.bed_days_all)
    ic_capacity = (cap["intermediate_care"] * years * DAYS_PER_YEAR * uc["intermediate_care_bed_day"]
                   * share(days_of(Spell.INTERMEDIATE_CARE), total_days(Spell.INTERMEDIATE_CARE)))
    reab_capacity = cap["reablement"] * years * uc["reablement_place_year"] * share(days_of(Spell.REABLEMENT), total_days(Spell.REABLEMENT))
    de = data.delays
    assess = de["reason"].to_numpy() == Reason.ASSESSMENT
    all_assess = float(_overlap(de["pid"].to_numpy(), de["start"].to_numpy(), de["end"].to_numpy(), lo_all, data.window_end)[assess].sum())
    sw_capacity = cap["social_workers"] * years * uc["social_worker_year"] * share(k["delayed_days_awaiting_assessment"], all_assess)

    gp = k["gp_contacts"] * uc["gp_contact"]
    day_cases = k["elective_day_cases"]
    hospital_activity = (k["ae_attendances"] * uc["ae_attendance"] + k["emergency_admissions"] * uc["emergency_admission"]
                         + k["outpatient_attendances"] * uc["outpatient_attendance"]
                         + (k["elective_admissions"] - day_cases) * uc["elective_admission"] + day_cases * uc["day_case"])
    nursing = k["community_nursing_visits"] * uc["district_nurse_visit"]
    coordinators = cap["mdt_coordinators"] * years * uc["coordinator_year"] * share(k["mdt_person_days"], k["mdt_person_days_all"])
    rapid_response = cap["rapid_response"] * years * uc["rapid_response_team_year"] * share(k["rapid_responses"], k["rapid_responses_all"])
    home_care = days_of(Spell.HOME_CARE) * p.costs.home_care_hours_per_week / 7 * uc["home_care_hour"]
    care_home = days_of(Spell.CARE_HOME, only_funded=True) / 7 * uc["care_home_week"]

    out = {
        "cost_primary_care_gbp": gp,
        "cost_community_gbp": ic_capacity + coordinators + rapid_response + nursing,
        "cost_hospital_gbp": bed_capacity + hospital_activity,
        "cost_social_care_gbp": sw_capacity + reab_capacity + home_care + care_home,
        "cost_capacity_gbp": bed_capacity + ic_capacity + reab_capacity + sw_capacity + coordinators + rapid_response,
        "cost_activity_gbp": gp + hospital_activity + home_care + care_home + nursing,
    }
    out["cost_health_gbp"] = out["cost_primary_care_gbp"] + out["cost_community_gbp"] + out["cost_hospital_gbp"]
    out["cost_total_gbp"] = out["cost_health_gbp"] + out["cost_social_care_gbp"]
    return out


def standard_cohorts() -> tuple[Cohort, ...]:
    return (Cohort("all"), Cohort("65plus", 65.0), Cohort("85plus", 85.0))


def mdt_cohorts(data: RunData, enrolled_in: RunData | None = None) -> tuple[Cohort, ...]:
    """The ``mdt`` cohort: people enrolled in ``enrolled_in`` (default: this run), each from their enrolment.

    Measured on ``data``: with another run's enrolments this is the same people's counterfactual.
    """
    source = enrolled_in if enrolled_in is not None else data
    e = source.events[source.events["event"] == Ev.MDT_ENROLMENT]
    if e.empty:
        return ()
    first = e.groupby("pid")["time"].min()
    start = np.full(max(len(data.people["age0"]), int(first.index.max()) + 1), np.nan)
    start[first.index.to_numpy()] = first.to_numpy()
    return (Cohort("mdt", start=start),)


def kpi_table(data: RunData, cohorts: tuple[Cohort, ...] | None = None) -> pd.DataFrame:
    """Tidy table: cohort, metric, value (place-wide figures under cohort ``all``)."""
    rows = []
    for c in cohorts or standard_cohorts():
        for metric, value in cohort_kpis(data, c).items():
            rows.append((c.name, metric, value))
    days = data.window_end - data.window_start
    rows.append(("all", "acute_occupancy", data.bed_days_all / days / data.core_beds if data.core_beds else float("nan")))
    rows.append(("all", "acute_beds", float(data.core_beds)))
    return pd.DataFrame(rows, columns=["cohort", "metric", "value"])
