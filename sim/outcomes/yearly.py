"""Results year by year of the statistics window (``yearly.csv``): every cohort metric of ``kpis.csv``, per year.

**Years.**  Year 1 is the first 365.25 days of the statistics window (after the warm-up), year 2 the next, and
so on.  A window within a week of a whole number of such years is that many years, the last ending at the
window's end (the default 730 days are two years, the second half a day short); any other window is its whole
years and then a last, part year to the window's end, flagged by :attr:`Year.whole` (:func:`years_of`).

**How a year's figures are made.**  :func:`sim.outcomes.metrics.cohort_kpis` on the run's records with the window
replaced by the year (``dataclasses.replace``), not a second metric engine: a level (a share, a mean) is the
year's own, a total the year's part of the window's total.  Three things look back across a year's start, and
are handled so that each total's years add up to the window's figure (``tests/test_yearly.py`` holds them to it):

- GP contacts and community nursing visits are counted in bulk per spell at home, drawn when the spell ends
  (``Model.home_spell_close``).  A spell open at a year's end is split there in these records only
  (:func:`split_bulk`): given the spell's count, each contact is equally likely at any moment of the spell, so
  its part before the year's end is binomial, drawn with a uniform of the new per-person streams
  :data:`SPLIT_STREAMS` taken at the year's end (``sim/replication/single.py``).  The spell's count, and so
  every figure of ``kpis.csv``, is untouched; each part has the distribution of a spell that ended there.
- A closed bed's cashing lag runs from the window's start (:func:`sim.outcomes.costs.stranded_cost`): a year is
  given the part of the lag still to run at its start (:func:`lag_left`).
- A care home counts as home for a person who lived there when they began to count in the window
  (:mod:`sim.outcomes.days_at_home`), not in the year: a year's :data:`LOOK_BACK` metrics are the window's up
  to the year's end less those up to its start.

A cohort other than ``all`` pays its share of each capacity's use (docs/costs.md): by year, its share of the
year's use, so its capacity costs by year add up to the window's only where that share is the same every year.
Cohort ``all`` holds every capacity in full and its costs add up.  The gap between the IMD fifths (``imd_gap``)
is made for each year as ``kpi_table`` makes it for the window; the place-wide metrics (occupancy, the workforce)
are not given by year.  Each year is measured on the records that can touch it (:func:`year_slice`), so that a
run's years cost about what its window does, however many there are.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import deprivation, registry
from sim.outcomes.days_at_home import days_at_home_kpis
from sim.outcomes.metrics import cohort_kpis, shared, standard_cohorts
from sim.outcomes.rundata import Cohort, RunData, lower_bound
from sim.parameters.params import Params
from sim.vocabulary import Ev

WHOLE_YEAR_SLACK_DAYS = 7.0  # a window this close to whole years is whole years (730 days are two)
# the per-person streams whose uniforms share a home spell's bulk counts between years (GP contacts, nursing visits)
SPLIT_STREAMS = ("gp_contacts_year_split", "nursing_visits_year_split")
# home spells open at a year's end: the person, the spell's start, the year's end, and a uniform of each split stream
CROSSING_COLUMNS = ("pid", "start", "at", "u_gp", "u_nursing")
# the events that open and close a span of time (an A&E visit, a wait on the elective list)
SPANNING = (
    (Ev.AE_ATTENDANCE, Ev.AE_DEPARTURE),
    (Ev.BED_WAIT, Ev.AE_DEPARTURE),  # a trolley wait, for one that ends without a bed
    (Ev.OUTPATIENT_REFERRAL, Ev.RTT_CLOCK_STOP),
)
LOOK_BACK = ("days_at_home", "days_in_new_care_home")  # totals whose definition looks back to the window's start
COLUMNS = ("year", "cohort", "metric", "value")  # one run's yearly table; yearly.csv adds scenario and replication


@dataclass(frozen=True)
class Year:
    """One year of the statistics window: its number (from 1), start and end (days of the run)."""

    number: int
    start: float
    end: float

    @property
    def years(self) -> float:
        """Its length in years of 365.25 days."""
        return (self.end - self.start) / DAYS_PER_YEAR

    @property
    def whole(self) -> bool:
        """Whether it is a whole year (within :data:`WHOLE_YEAR_SLACK_DAYS`), not a last part year."""
        return abs(self.end - self.start - DAYS_PER_YEAR) <= WHOLE_YEAR_SLACK_DAYS


def years_of(window_start: float, window_end: float) -> tuple[Year, ...]:
    """The years of a statistics window, the last ending at its end (see the module's docstring)."""
    days = window_end - window_start
    if days <= 0:
        raise ValueError(f"the statistics window must be longer than 0 days, got {days:g}")
    n = round(days / DAYS_PER_YEAR)
    if n >= 1 and abs(days - n * DAYS_PER_YEAR) <= WHOLE_YEAR_SLACK_DAYS:
        cuts = range(1, n)  # whole years, the last ending at the window's end
    else:
        cuts = range(1, int(days // DAYS_PER_YEAR) + 1)  # whole years, then a part year
    ends = [e for e in (window_start + k * DAYS_PER_YEAR for k in cuts) if e < window_end] + [window_end]
    starts = [window_start] + ends[:-1]
    return tuple(Year(i + 1, a, b) for i, (a, b) in enumerate(zip(starts, ends)))


def whole_years(window_days: float) -> int:
    """How many whole years a statistics window of ``window_days`` days has."""
    return sum(y.whole for y in years_of(0.0, window_days))


def year_words(years: tuple[Year, ...]) -> str:
    """The years in words, naming a last part year: "2 years", "3 years, the last a part year of 0.50 years"."""
    text = f"{len(years)} year{'s' if len(years) != 1 else ''}"
    last = years[-1]
    return text if last.whole else f"{text}, the last a part year of {last.years:.2f} years"


@dataclass(frozen=True)
class YearMarks:
    """What a run recorded at its years' ends: the years, and every home spell open at one of them.

    ``crossings`` has :data:`CROSSING_COLUMNS` and ``end``, the end of the spell (when its bulk counts were
    drawn); one row per spell and year's end it spans.
    """

    years: tuple[Year, ...]
    crossings: pd.DataFrame


def year_marks(
    years: tuple[Year, ...], crossings: np.ndarray, spell_end: np.ndarray, spell_pid: np.ndarray
) -> YearMarks:
    """The marks of a run: ``crossings`` (one row of :data:`CROSSING_COLUMNS` each, as doubles) each given the end
    of its spell, the first end of the person's recorded home spells (``spell_end``, ``spell_pid``) at or after
    the crossing."""
    cross = pd.DataFrame(
        np.asarray(crossings, dtype=float).reshape(-1, len(CROSSING_COLUMNS)), columns=list(CROSSING_COLUMNS)
    )
    cross["pid"] = cross["pid"].astype(np.int64)
    if cross.empty:
        return YearMarks(years, cross.assign(end=np.zeros(0)))
    spells = pd.DataFrame({"pid": np.asarray(spell_pid, np.int64), "end": np.asarray(spell_end, float)})
    linked = pd.merge_asof(
        cross.sort_values("at", kind="stable"),
        spells.sort_values("end", kind="stable"),
        left_on="at",
        right_on="end",
        by="pid",
        direction="forward",
    )
    if linked["end"].isna().any():  # every spell is closed by the window's end, so this would be a bug
        raise ValueError("a home spell open at a year's end has no recorded end")
    return YearMarks(years, linked.sort_values(["pid", "at"], kind="stable", ignore_index=True))


def share_counts(cut: pd.DataFrame, u: str) -> tuple[np.ndarray, np.ndarray]:
    """Share each spell's count between its parts: (the count of each part before a year's end, in ``cut``'s
    rows; what is left for the last part, one per spell in order of first appearance).

    ``cut``: one row per spell and year's end, sorted by spell (``row``) then ``at``, with the spell's ``start``,
    ``end`` and ``count``.  Part j runs from the previous cut (or the start) to ``at``; given what is left of
    the count after the parts before it, it takes each contact with the chance of falling in it, its share of
    the time left (a contact is equally likely at any moment of the spell).
    """
    row = cut["row"].to_numpy()
    at = cut["at"].to_numpy(float)
    first = np.r_[True, row[1:] != row[:-1]]
    prev = np.where(first, cut["start"].to_numpy(float), np.r_[np.nan, at[:-1]])
    p = np.clip((at - prev) / (cut["end"].to_numpy(float) - prev), 0.0, 1.0)
    spell = np.cumsum(first) - 1
    left = cut["count"].to_numpy(np.int64)[first].copy()
    rank = cut.groupby("row", sort=False).cumcount().to_numpy()
    parts = np.zeros(len(cut), np.int64)
    uniforms = cut[u].to_numpy(float)
    for j in range(int(rank.max()) + 1 if len(rank) else 0):
        idx = np.flatnonzero(rank == j)
        s = spell[idx]
        k = stats.binom.ppf(uniforms[idx], left[s], p[idx])
        k = np.clip(np.nan_to_num(k, nan=0.0), 0, left[s]).astype(np.int64)
        parts[idx] = k
        left[s] -= k
    return parts, left


def split_bulk(events: pd.DataFrame, crossings: pd.DataFrame) -> pd.DataFrame:
    """``events`` with each bulk count of a home spell open at a year's end split into one row per part of the
    spell, stamped at the part's end (a year's end, or the spell's); the parts sum to the spell's count."""
    if crossings.empty:
        return events
    code, detail = events["event"].to_numpy(), events["detail"].to_numpy()
    pid, time = events["pid"].to_numpy(), events["time"].to_numpy()
    count = events["count"].to_numpy().copy()
    pieces = []
    for ev, u in ((Ev.GP_CONTACT, "u_gp"), (Ev.COMMUNITY_NURSING, "u_nursing")):
        bulk = np.flatnonzero((code == ev) & (detail == 1) & (pid >= 0))
        rows = pd.DataFrame({"row": bulk, "pid": pid[bulk], "end": time[bulk], "count": count[bulk]})
        cut = crossings.merge(rows, on=["pid", "end"], how="inner").sort_values(["row", "at"], kind="stable")
        if cut.empty:
            continue
        parts, left = share_counts(cut, u)
        count[cut["row"].drop_duplicates().to_numpy()] = left
        keep = parts > 0
        pieces.append(
            pd.DataFrame(
                {
                    "time": cut["at"].to_numpy()[keep],
                    "pid": cut["pid"].to_numpy()[keep],
                    "event": int(ev),
                    "count": parts[keep],
                    "detail": 1,
                }
            )
        )
    out = events.assign(count=count)
    out = out[~((out["count"] == 0) & np.isin(code, (Ev.GP_CONTACT, Ev.COMMUNITY_NURSING)) & (detail == 1))]
    if pieces:
        out = pd.concat([out, *(p.astype(events.dtypes.to_dict()) for p in pieces)], ignore_index=True)
    return out.sort_values("time", kind="stable", ignore_index=True)


def lag_left(params: Params, years_in: float) -> Params:
    """``params`` with the cashing lag of closed beds (``costs.cashable_lag_months``) that is still to run
    ``years_in`` years into the window: a year measured on its own then costs its part of the stranded beds."""
    lag = max(0.0, params.costs.cashable_lag_months - 12.0 * years_in)
    return dataclasses.replace(params, costs=dataclasses.replace(params.costs, cashable_lag_months=lag))


def all_bed_days(data: RunData, start: float, end: float) -> float:
    """Bed days of every patient (background included) in ``[start, end)``, from the stays recorded."""
    st = data.stays
    a = np.maximum(st["admitted"].to_numpy(float), start)
    b = np.minimum(np.nan_to_num(st["left"].to_numpy(float), nan=end), end)
    return float(np.clip(b - a, 0.0, None).sum())


def _overlapping(frame: pd.DataFrame, start: np.ndarray, end: np.ndarray, year: Year) -> pd.DataFrame:
    """The rows of ``frame`` whose interval ``[start, end]`` (end nan: open) meets the year."""
    return frame[(start <= year.end) & ~(end < year.start)]


def _paired(events: pd.DataFrame, opening: Ev, closing: Ev) -> tuple[np.ndarray, np.ndarray]:
    """Each person's ``opening`` events and the first ``closing`` event of the person at or after each, as row
    positions (-1: none), paired as :func:`sim.outcomes.metrics.ae_visits` and ``waiting_list`` pair them."""
    code, pid = events["event"].to_numpy(), events["pid"].to_numpy()
    rows = [np.flatnonzero((code == e) & (pid >= 0)) for e in (opening, closing)]
    time = events["time"].to_numpy()
    frames = [pd.DataFrame({"pid": pid[r], "time": time[r], "row": r}).sort_values("time") for r in rows]
    pairs = pd.merge_asof(frames[0], frames[1], on="time", by="pid", direction="forward", suffixes=("", "_close"))
    return pairs["row"].to_numpy(), pairs["row_close"].fillna(-1).to_numpy(np.int64)


def spans(events: pd.DataFrame) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The A&E visits and the waits on the elective list in ``events``, as pairs of row positions
    (:func:`_paired`), for :func:`year_slice`."""
    return tuple(_paired(events, *kinds) for kinds in SPANNING)


def year_slice(data: RunData, year: Year, pairs: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None) -> RunData:
    """``data`` (its bulk counts split at the years' ends) as if its statistics window were ``year``.

    Only the records that can touch the year are kept, so that a year costs what it holds: events in the year,
    the place's escalation beds, and A&E visits and waits on the elective list that span its edges (both of their
    events); stays, spells and delays that meet it.  ``tests/test_yearly.py`` checks that every figure is the
    one all the records give.  ``pairs``: :func:`spans` of ``data.events``, if already made.
    """
    ev = data.events
    t, code = ev["time"].to_numpy(), ev["event"].to_numpy()
    keep = ((t >= year.start) & (t <= year.end)) | (code == Ev.ESCALATION_BED)
    for first, then in pairs or spans(ev):
        closed_at = np.where(then >= 0, t[np.maximum(then, 0)], np.inf)
        meets = (t[first] <= year.end) & (closed_at >= year.start)
        keep[first[meets]] = True
        keep[then[meets & (then >= 0)]] = True
    st, sp, de = data.stays, data.spells, data.delays
    return dataclasses.replace(
        data,
        events=ev[keep],
        stays=_overlapping(
            st, np.fmin(st["arrived"], st["admitted"]).to_numpy(float), st["left"].to_numpy(float), year
        ),
        spells=_overlapping(sp, sp["start"].to_numpy(float), sp["end"].to_numpy(float), year),
        delays=_overlapping(de, de["start"].to_numpy(float), de["end"].to_numpy(float), year),
        window_start=year.start,
        window_end=year.end,
        bed_days_all=all_bed_days(data, year.start, year.end),
        params=lag_left(data.params, (year.start - data.window_start) / DAYS_PER_YEAR),
    )


def yearly_table(data: RunData, marks: YearMarks, cohorts: tuple[Cohort, ...] | None = None) -> pd.DataFrame:
    """Every cohort metric of each cohort (default: the standard cohorts and, as in ``kpis.csv``, the gap between
    the IMD fifths), year by year: ``year, cohort, metric, value`` (:data:`COLUMNS`)."""
    split = dataclasses.replace(data, events=split_bulk(data.events, marks.crossings))
    cohorts = cohorts or standard_cohorts()
    bounds = {c.name: lower_bound(data, c) for c in cohorts}  # from the window's start, for LOOK_BACK
    pairs = spans(split.events)
    rows = []
    for year in marks.years:
        part = year_slice(split, year, pairs)
        tables = shared(part)
        ae = tables.ae
        measured = {}
        for c in cohorts:
            k = measured[c.name] = cohort_kpis(part, c, tables)
            to_end = days_at_home_kpis(part, bounds[c.name], ae, tables.hospital)
            to_start = days_at_home_kpis(
                dataclasses.replace(part, window_end=year.start), bounds[c.name], ae, tables.hospital
            )
            k.update({m: to_end[m] - to_start[m] for m in LOOK_BACK})
        if deprivation.MOST in measured and deprivation.LEAST in measured:  # imd_gap, as kpi_table adds it
            measured[registry.IMD_GAP] = deprivation.gap(
                measured[deprivation.MOST], measured[deprivation.LEAST], year.end - year.start
            )
        rows += [(year.number, name, m, v) for name, k in measured.items() for m, v in k.items()]
    return pd.DataFrame(rows, columns=list(COLUMNS))
