"""KPIs (brief section 8) computed from the records of one run, for any cohort (``sim.outcomes.rundata``).

Counts, days and shares only: rates come from ``person_years``.  Costs come
from ``sim.outcomes.costs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import deprivation, registry
from sim.outcomes.continuity import continuity_share
from sim.outcomes.costs import cohort_costs, excess_days
from sim.outcomes.days_at_home import days_at_home_kpis, hospital_intervals
from sim.outcomes.demography import demography_kpis
from sim.outcomes.deprivation import imd_cohorts
from sim.outcomes.rundata import Cohort, RunData, lower_bound, overlap
from sim.outcomes.workforce import workforce
from sim.vocabulary import AeExit, Delay, Ev, Place, Reason, Responsible, Spell

METRICS = registry.COHORT_METRICS  # every cohort's metrics, named and defined in sim.outcomes.registry
PLACE_METRICS = registry.PLACE_METRICS  # place-wide, under cohort ``all`` only: occupancy, core beds, ...
AE_WAITS = {"ae_waits_over_4h": 4.0, "ae_waits_over_12h": 12.0}  # metric: hours from arrival in A&E
RTT_DAYS = 18 * 7.0  # the referral-to-treatment standard: 18 weeks

_COUNTED = {
    "crises": Ev.CRISIS,
    "ae_attendances": Ev.AE_ATTENDANCE,
    "emergency_admissions": Ev.EMERGENCY_ADMISSION,
    "elective_admissions": Ev.ELECTIVE_ADMISSION,
    "elective_cancellations": Ev.ELECTIVE_CANCELLATION,
    "outpatient_attendances": Ev.OUTPATIENT_ATTENDANCE,
    "readmissions_30d": Ev.READMISSION_30D,
    "rapid_responses": Ev.RAPID_RESPONSE,
    "mdt_reviews": Ev.MDT_REVIEW,
    "deaths": Ev.DEATH,
    "gp_contacts": Ev.GP_CONTACT,
    "social_care_requests_refused": Ev.SOCIAL_CARE_REFUSED,
}


@dataclass(frozen=True)
class Shared:
    """What every cohort of one run reads alike, made once for them all (:func:`shared`): the A&E visits
    (:func:`ae_visits`), the stays on the elective waiting list (:func:`waiting_list`), the times in a hospital
    setting (``days_at_home.hospital_intervals``) and the escalation bed days (:func:`escalation_bed_days`)."""

    ae: pd.DataFrame
    waiting: pd.DataFrame
    hospital: pd.DataFrame
    escalation_bed_days: float


def shared(data: RunData) -> Shared:
    """The tables of ``data`` that :func:`cohort_kpis` reads for every cohort alike."""
    ae = ae_visits(data)
    return Shared(ae, waiting_list(data), hospital_intervals(data, ae), escalation_bed_days(data))


def cohort_kpis(data: RunData, c: Cohort, tables: Shared | None = None) -> dict[str, float]:
    """Every cohort metric of cohort ``c``; ``tables``: :func:`shared` of ``data``, when measuring several cohorts."""
    W, E = data.window_start, data.window_end
    if tables is None:
        tables = shared(data)
    lo = lower_bound(data, c)
    lo_inf = np.nan_to_num(lo, nan=np.inf)  # per pid, from when the person counts (inf: never)
    ppl = data.people
    out: dict[str, float] = {}

    alive_to = np.where(np.isnan(ppl["died"]), E, np.minimum(ppl["died"], E))
    py = np.clip(alive_to - lo, 0, None)
    out["person_years"] = float(np.nansum(py) / DAYS_PER_YEAR)
    out.update(demography_kpis(data, lo))  # people by age band at the end; who joined and who left

    ev = data.events
    person = ev["pid"].to_numpy() >= 0
    t = ev["time"].to_numpy()
    pid = np.where(person, ev["pid"].to_numpy(), 0)
    start = lo_inf[pid]
    # GP contacts and nursing visits at home are counted in bulk when a spell at home ends, and every
    # open spell is closed at the window's edges: a count at the start covers the time before it, one at
    # the end the time up to it (sim/replication/single.py), so these count in (start, end]
    code, det = ev["event"].to_numpy(), ev["detail"].to_numpy()
    bulk = ((code == Ev.GP_CONTACT) & (det == 1)) | (code == Ev.COMMUNITY_NURSING)
    inside = person & np.where(bulk, (t <= E) & (t > start), (t < E) & (t >= start))
    rows = np.flatnonzero(inside)
    kind, count, detail = code[rows], ev["count"].to_numpy()[rows], det[rows]
    totals = np.bincount(kind, weights=count, minlength=max(Ev) + 1)  # counts by event (whole numbers: exact)
    for metric, code in _COUNTED.items():
        out[metric] = float(totals[code])
    out["deaths_in_hospital"] = float(((kind == Ev.DEATH) & (detail == Place.ACUTE)).sum())
    out["care_home_admissions"] = float(((kind == Ev.CARE_HOME_ADMISSION) & (detail == 1)).sum())
    un = data.spells[data.spells["kind"] == Spell.UNMET_NEED]
    unmet = overlap(un["pid"].to_numpy(), un["start"].to_numpy(), un["end"].to_numpy(), lo, E)
    out["unmet_need_person_days"] = float(unmet.sum())
    # the 91-day check counts when the discharge into reablement was inside the cohort's window
    chk = rows[kind == Ev.AT_HOME_91D]
    chk = chk[t[chk] - 91.0 >= lo[pid[chk]]]
    out["at_home_91d_after_reablement"] = float(det[chk].mean()) if len(chk) else float("nan")
    rr = detail[kind == Ev.RAPID_RESPONSE]
    out["rapid_response_kept_home_share"] = float(rr.mean()) if len(rr) else float("nan")
    knows = detail[kind == Ev.KNOWS_CONTACT]
    out["knows_whom_to_contact"] = float(knows.mean()) if len(knows) else float("nan")

    st = data.stays[data.stays["pid"] >= 0]
    spid = st["pid"].to_numpy(np.int64)
    bed_days = overlap(spid, st["admitted"].to_numpy(), st["left"].to_numpy(), lo, E)
    out["bed_days"] = float(bed_days.sum())
    out["mean_occupied_beds"] = out["bed_days"] / (E - W)
    left = st["left"].to_numpy(float)  # (float even with no stay at all: a hospital with no bed)
    ended = st["emergency"].to_numpy(bool) & ~np.isnan(left) & (left < E) & (left >= lo_inf[spid])
    out["mean_los_days"] = float((left - st["admitted"].to_numpy())[ended].mean()) if ended.any() else float("nan")
    arrived, admitted = st["arrived"].to_numpy(float), st["admitted"].to_numpy(float)
    admitted_in = (admitted < E) & (admitted >= lo_inf[spid])
    out["trolley_wait_hours"] = float(((admitted - arrived) * 24.0)[admitted_in].sum()) + bedless_wait_hours(data, lo)

    # the hospital's responses to pressure: people sent home who would have been admitted, days taken off stays
    out["ae_sent_home_under_pressure"] = float(
        ((kind == Ev.AE_DEPARTURE) & (detail == AeExit.SENT_HOME_UNDER_PRESSURE)).sum()
    )
    left_ae = detail[kind == Ev.AE_DEPARTURE]
    out["deaths_waiting_for_a_bed"] = float((left_ae == AeExit.DIED_WAITING).sum())
    out["fit_without_a_bed"] = float((left_ae == AeExit.FIT_WITHOUT_BED).sum())
    out["stay_days_shortened_under_pressure"] = float(st["shortened"].to_numpy()[admitted_in].sum())

    ae = tables.ae
    apid, arrival = ae["pid"].to_numpy(), ae["time"].to_numpy()
    counted = (arrival < E) & (arrival >= lo_inf[apid])
    hours = (np.nan_to_num(ae["left"].to_numpy(), nan=E) - arrival) * 24.0  # still in A&E at the end: so far
    for metric, limit in AE_WAITS.items():
        out[metric] = float((counted & (hours > limit)).sum())
    out.update(days_at_home_kpis(data, lo, ae, tables.hospital))  # days alive: home, hospital and a new care home
    out["mdt_continuity_share"] = continuity_share(data, lo)

    wl = tables.waiting
    wpid, start, stop = wl["pid"].to_numpy(), wl["start"].to_numpy(), wl["stop"].to_numpy()
    on_list = overlap(wpid, start, stop, lo, E).sum()
    out["elective_waiting_list_mean"] = float(on_list / (E - W))
    over = overlap(wpid, start + RTT_DAYS, stop, lo, E).sum()
    out["elective_waiting_over_18w_share"] = float(over / on_list) if on_list > 0 else float("nan")

    de = data.delays
    days = overlap(de["pid"].to_numpy(), de["start"].to_numpy(), de["end"].to_numpy(), lo, E)
    reason, category, responsible = (de[c].to_numpy() for c in ("reason", "category", "responsible"))
    out["delayed_discharge_days"] = float(days.sum())
    for r in Reason:
        out[f"delayed_days_awaiting_{r.name.lower()}"] = float(days[reason == r].sum())
    for who in Responsible:
        out[f"delayed_days_{who.name.lower()}"] = float(days[responsible == who].sum())
    for why in Delay:
        out[f"delayed_days_{why.name.lower()}"] = float(days[category == why].sum())

    aux = {
        "elective_day_cases": float(((kind == Ev.ELECTIVE_ADMISSION) & (detail == 1)).sum()),
        "community_nursing_visits": float(count[kind == Ev.COMMUNITY_NURSING].sum()),
        "escalation_bed_days_all": tables.escalation_bed_days,
        "emergency_excess_bed_days": excess_days(
            st[st["emergency"].to_numpy(bool)], lo, E, data.params.costs.emergency_trim_days
        ),
    }
    out.update(cohort_costs(data, c, lo, {**out, **aux}))
    return out


def ae_visits(data: RunData) -> pd.DataFrame:
    """Each A&E attendance of the cohort: ``pid``, arrival ``time``, and ``left`` A&E (nan: still there at the end).

    A person is in A&E once at a time, so an attendance ends at the person's next departure (admitted or sent home).
    """
    ev = data.events
    person = ev["pid"] >= 0
    arrive = ev.loc[person & (ev["event"] == Ev.AE_ATTENDANCE), ["pid", "time"]].sort_values("time")
    leave = ev.loc[person & (ev["event"] == Ev.AE_DEPARTURE), ["pid", "time"]].sort_values("time")
    leave = leave.rename(columns={"time": "left"})
    return pd.merge_asof(arrive, leave, left_on="time", right_on="left", by="pid", direction="forward")


def bedless_wait_hours(data: RunData, lo: np.ndarray) -> float:
    """Hours of the trolley waits that ended without a bed (a death in A&E, or medically fit there), counted
    when they ended, inside the cohort's window: the waits of admissions are counted from their stays."""
    ev = data.events
    person = ev["pid"] >= 0
    detail = ev["detail"]
    ended = ev.loc[
        person & (ev["event"] == Ev.AE_DEPARTURE) & detail.isin((AeExit.DIED_WAITING, AeExit.FIT_WITHOUT_BED)),
        ["pid", "time"],
    ]
    if ended.empty:
        return 0.0
    began = ev.loc[person & (ev["event"] == Ev.BED_WAIT), ["pid", "time"]].rename(columns={"time": "began"})
    waits = pd.merge_asof(
        ended.sort_values("time"), began.sort_values("began"), left_on="time", right_on="began", by="pid"
    )
    pid, t = waits["pid"].to_numpy(), waits["time"].to_numpy()
    inside = (t < data.window_end) & (t >= np.nan_to_num(lo[pid], nan=np.inf))
    return float(((t - waits["began"].to_numpy()) * 24.0)[inside].sum())


def waiting_list(data: RunData) -> pd.DataFrame:
    """Each stay on the elective waiting list: ``pid``, ``start`` (the referral), ``stop`` (nan: still on it).

    The clock stops at the admission, at the end of an outpatient episode without one, or at death.
    """
    ev = data.events
    person = ev["pid"] >= 0
    start = ev.loc[person & (ev["event"] == Ev.OUTPATIENT_REFERRAL), ["pid", "time"]].sort_values("time")
    stop = ev.loc[person & (ev["event"] == Ev.RTT_CLOCK_STOP), ["pid", "time"]].sort_values("time")
    stop = stop.rename(columns={"time": "stop"})
    wl = pd.merge_asof(start, stop, left_on="time", right_on="stop", by="pid", direction="forward")
    return pd.DataFrame(
        {
            "pid": wl["pid"].to_numpy(),
            "start": wl["time"].to_numpy(),
            "stop": np.fmin(wl["stop"].to_numpy(), data.people["died"][wl["pid"].to_numpy()]),
        }
    )


def escalation_bed_days(data: RunData) -> float:
    """Escalation bed days in the window, from the place-wide events of escalation beds opening and closing."""
    ev = data.events
    e = ev[ev["event"] == Ev.ESCALATION_BED].sort_values("time", kind="stable")
    if e.empty:
        return 0.0
    t = e["time"].to_numpy()
    open_beds = np.cumsum(np.where(e["detail"].to_numpy() == 1, 1, -1))  # escalation beds open after each event
    edges = np.clip(np.append(t, data.window_end), data.window_start, data.window_end)
    return float((open_beds * np.diff(edges)).sum())


def standard_cohorts() -> tuple[Cohort, ...]:
    """Every run's cohorts: everyone, by age, and by IMD fifth (``kpi_table`` adds the gap ``imd_gap``)."""
    return (Cohort("all"), Cohort("65plus", 65.0), Cohort("85plus", 85.0), *imd_cohorts())


def enrolment_starts(data: RunData) -> tuple[np.ndarray, np.ndarray]:
    """Each person enrolled in an MDT in this run, and the time of their first enrolment, in id order."""
    e = data.events[data.events["event"] == Ev.MDT_ENROLMENT]
    first = e.groupby("pid")["time"].min()
    return first.index.to_numpy(np.int64), first.to_numpy(np.float64)


def mdt_cohort(data: RunData, pids: np.ndarray, times: np.ndarray) -> Cohort:
    """The ``mdt`` cohort on ``data``: ``pids``, each counted from their enrolment time."""
    start = np.full(max(len(data.people["age0"]), int(pids.max()) + 1 if len(pids) else 0), np.nan)
    start[pids] = times
    return Cohort("mdt", start=start)


def mdt_cohorts(data: RunData, enrolled_in: RunData | None = None) -> tuple[Cohort, ...]:
    """The ``mdt`` cohort: people enrolled in ``enrolled_in`` (default: this run), each from their enrolment.

    Measured on ``data``: with another run's enrolments this is the same people's counterfactual.
    """
    pids, times = enrolment_starts(enrolled_in if enrolled_in is not None else data)
    return (mdt_cohort(data, pids, times),) if len(pids) else ()


def kpi_table(data: RunData, cohorts: tuple[Cohort, ...] | None = None) -> pd.DataFrame:
    """Tidy table: cohort, metric, value (place-wide figures under cohort ``all``)."""
    rows = []
    measured = {}
    tables = shared(data)
    for c in cohorts or standard_cohorts():
        measured[c.name] = cohort_kpis(data, c, tables)
        for metric, value in measured[c.name].items():
            rows.append((c.name, metric, value))
    days = data.window_end - data.window_start
    if deprivation.MOST in measured and deprivation.LEAST in measured:  # imd_gap, after the fifths
        most, least = measured[deprivation.MOST], measured[deprivation.LEAST]
        rows += [(registry.IMD_GAP, m, v) for m, v in deprivation.gap(most, least, days).items()]
    escalation = tables.escalation_bed_days
    ev = data.events
    t = ev["time"].to_numpy()
    background = (ev["pid"].to_numpy() < 0) & (t >= data.window_start) & (t < data.window_end)
    place = {
        "acute_occupancy": (data.bed_days_all - escalation) / days / data.core_beds if data.core_beds else math.nan,
        "acute_beds": float(data.core_beds),
        "escalation_bed_days": escalation,
        "background_elective_cancellations": float(
            (background & (ev["event"].to_numpy() == Ev.ELECTIVE_CANCELLATION)).sum()
        ),
        **workforce(data),
    }
    for metric in PLACE_METRICS:
        rows.append(("all", metric, place[metric]))
    return pd.DataFrame(rows, columns=["cohort", "metric", "value"])
