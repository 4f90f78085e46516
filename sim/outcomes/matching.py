"""Risk-set matching: controls for the people an MDT enrolled, as the published evaluations chose them.

An evaluation sees each enrolled person (a case) on their index date, the day of enrolment, and
looks for people who were not enrolled but looked the same that day in the records it had: age,
frailty (standing in for diagnoses), emergency admissions and A&E visits in the last year, and the
GP-visible risk score built from them (:mod:`sim.pathways.mdt`).  Neither the person's hidden
persistent risk nor the transient boost of a recent crisis is visible, so matching cannot balance
them.  Controls are drawn from the *reference* run (a place without the MDT, so it cannot spill over
onto them), among people alive and living at home on the case's index date who were never
enrolled, at the design's ratio of controls per case: exact on some variables (strata), nearest on
the others (Euclidean on variables scaled by their spread in the pool), with replacement across
cases (a control may serve several cases; each control's weight is one over its case's number).

Everything is reconstructed from a run's records (:class:`sim.outcomes.rundata.RunData`), as at a
date: nothing is read from the model while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.metrics import ae_visits
from sim.outcomes.rundata import RunData
from sim.pathways.mdt import (
    LOOKBACK_DAYS,
    SCORE_AGE_PER_YEAR,
    SCORE_PER_ADMISSION,
    SCORE_PER_AE_VISIT,
    SCORE_PER_FRAILTY_LEVEL,
)
from sim.vocabulary import Ev, Spell

# what an evaluation could see on the index date, in the records it had (the columns of visible_at)
VISIBLE = (
    "age",
    "age_band",
    "frailty",
    "emergency_admissions_12m",
    "emergency_admissions_6m",
    "ae_attendances_12m",
    "risk_score",
)
RECENT_DAYS = 183.0  # the recent half year, for a design that matches on the timing of admissions too
AGE_EDGES = (65.0, 75.0, 85.0)  # the model's age bands: under 65 (complex needs), 65-74, 75-84, 85+
AWAY_SPELLS = (Spell.CARE_HOME, Spell.INTERMEDIATE_CARE)  # care that means the person does not live at home
PAIR_COLUMNS = ["case", "control", "index_time", "weight"]
BALANCE_COLUMNS = ["variable", "cases", "controls", "case_mean", "control_mean", "smd"]


def _counts_before(pid: np.ndarray, time: np.ndarray, t: float, n: int, days: float) -> np.ndarray:
    """Per pid (0..n-1), how many of the events (``pid``, ``time``) fall in [t - days, t)."""
    keep = (time >= t - days) & (time < t)
    return np.bincount(pid[keep], minlength=n)[:n]


def _events(data: RunData, ev: Ev) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = data.events
    rows = (e["event"].to_numpy() == ev) & (e["pid"].to_numpy() >= 0)
    return e["pid"].to_numpy()[rows], e["time"].to_numpy()[rows], e["detail"].to_numpy()[rows]


def at_home(data: RunData, t: float) -> np.ndarray:
    """Per pid, whether the person was alive, in the cohort and living at home (not in A&E, hospital,
    intermediate care or a care home) at time ``t``."""
    ppl = data.people
    n = len(ppl["age0"])
    died = ppl["died"]
    home = (ppl["entered"] <= t) & (np.isnan(died) | (died > t))
    st = data.stays[data.stays["pid"] >= 0]
    inside = (st["arrived"].to_numpy() <= t) & ~(st["left"].to_numpy() <= t)  # open stays (nan) count
    home[st["pid"].to_numpy()[inside]] = False
    ae = ae_visits(data)
    inside = (ae["time"].to_numpy() <= t) & ~(ae["left"].to_numpy() <= t)
    home[ae["pid"].to_numpy()[inside]] = False
    sp = data.spells
    away = sp["kind"].isin([int(k) for k in AWAY_SPELLS]).to_numpy() & (sp["pid"].to_numpy() >= 0)
    inside = away & (sp["start"].to_numpy() <= t) & ~(sp["end"].to_numpy() <= t)
    home[sp["pid"].to_numpy()[inside].astype(int)] = False
    return home[:n]


def visible_at(data: RunData, t: float) -> pd.DataFrame:
    """What an evaluation could see of every person at time ``t`` (one row per pid, columns ``VISIBLE``),
    with ``home`` (alive and living at home, :func:`at_home`).

    Frailty is the person's frailty at ``t`` (the last one less the steps after ``t``); counts look back
    ``LOOKBACK_DAYS`` as case finding does (and ``RECENT_DAYS`` for the recent emergency admissions, which
    case finding does not use), and ``risk_score`` is case finding's score from the year's counts.
    """
    ppl = data.people
    n = len(ppl["age0"])
    age = ppl["age0"] + t / DAYS_PER_YEAR
    pid, time, step = _events(data, Ev.FRAILTY_STEP)
    later = time > t
    frailty = np.asarray(ppl["frailty"], dtype=np.int64) - np.bincount(pid[later], weights=step[later], minlength=n)[
        :n
    ].astype(np.int64)
    admissions = _events(data, Ev.EMERGENCY_ADMISSION)[:2]
    adm = _counts_before(*admissions, t, n, LOOKBACK_DAYS)
    ae = _counts_before(*_events(data, Ev.AE_ATTENDANCE)[:2], t, n, LOOKBACK_DAYS)
    score = (
        SCORE_AGE_PER_YEAR * np.clip(age - 65.0, 0, None)
        + SCORE_PER_FRAILTY_LEVEL * frailty
        + SCORE_PER_ADMISSION * adm
        + SCORE_PER_AE_VISIT * ae
    )
    return pd.DataFrame(
        {
            "age": age,
            "age_band": np.searchsorted(AGE_EDGES, age, side="right"),
            "frailty": frailty,
            "emergency_admissions_12m": adm,
            "emergency_admissions_6m": _counts_before(*admissions, t, n, RECENT_DAYS),
            "ae_attendances_12m": ae,
            "risk_score": score,
            "home": at_home(data, t),
        }
    )


def risk_set_match(
    cases: pd.DataFrame,
    case_data: RunData,
    pool_data: RunData,
    exclude: np.ndarray,
    ratio: int,
    exact: Sequence[str],
    nearest: Sequence[str],
) -> pd.DataFrame:
    """Controls for each case (``cases``: ``pid``, ``index_time``) from ``pool_data`` at the case's index date.

    A case is seen in ``case_data`` (the run it was enrolled in); candidates are the people of
    ``pool_data`` at home on the same date and not in ``exclude``.  Each case gets the ``ratio``
    candidates of its stratum (equal on ``exact``) nearest on ``nearest`` (scaled by their standard
    deviation among the candidates), with replacement across cases; fewer when its stratum has fewer,
    none when it is empty.  Returns ``case, control, index_time, weight`` (weight: one over the
    number of the case's controls).
    """
    return match_seen(seen_cases(case_data, cases), pool_data, exclude, ratio, exact, nearest)


def seen_cases(case_data: RunData, cases: pd.DataFrame) -> pd.DataFrame:
    """The cases (``pid``, ``index_time``) as an evaluation saw them on their index dates in ``case_data``:
    ``pid``, ``index_time`` and the ``VISIBLE`` columns, in the order of ``cases``.  What a run of the
    scenario hands to the matching, which may happen elsewhere (:func:`match_seen`)."""
    cases = pd.DataFrame(
        {"pid": cases["pid"].to_numpy(dtype=np.int64), "index_time": cases["index_time"].to_numpy(dtype=float)}
    )
    parts = []
    for t, group in cases.groupby("index_time", sort=True):
        seen = visible_at(case_data, float(t)).iloc[group["pid"].to_numpy()][list(VISIBLE)]
        parts.append(seen.set_axis(group.index))
    if not parts:  # nobody: the columns, with their types
        parts.append(visible_at(case_data, 0.0).iloc[:0][list(VISIBLE)])
    return pd.concat([cases, pd.concat(parts).sort_index()], axis=1)


def match_seen(
    seen: pd.DataFrame,
    pool_data: RunData,
    exclude: np.ndarray,
    ratio: int,
    exact: Sequence[str],
    nearest: Sequence[str],
) -> pd.DataFrame:
    """:func:`risk_set_match` of cases already seen (:func:`seen_cases`), against ``pool_data``."""
    for v in (*exact, *nearest):
        if v not in VISIBLE:
            raise ValueError(f"matching variable {v!r}: not one of {', '.join(VISIBLE)}")
    if ratio < 1:
        raise ValueError(f"controls per case must be at least 1, got {ratio}")
    n_pool = len(pool_data.people["age0"])
    banned = np.zeros(n_pool, dtype=bool)
    exclude = np.asarray(exclude, dtype=np.int64)
    banned[exclude[exclude < n_pool]] = True
    frames = []
    for t, group in seen.groupby("index_time", sort=True):
        seen_t = group.set_index(group["pid"].to_numpy())[list(VISIBLE)]
        pool = visible_at(pool_data, float(t))
        pool = pool[pool["home"].to_numpy() & ~banned]
        if pool.empty:
            continue
        scale = pool[list(nearest)].std(ddof=0).replace(0.0, 1.0).to_numpy() if nearest else np.ones(0)
        strata = pool.groupby(list(exact)) if exact else [((), pool)]
        for key, candidates in strata:
            key = key if isinstance(key, tuple) else (key,)
            mine = seen_t
            for v, value in zip(exact, key):
                mine = mine[mine[v].to_numpy() == value]
            if mine.empty:
                continue
            k = min(ratio, len(candidates))
            if nearest:
                tree = cKDTree(candidates[list(nearest)].to_numpy(float) / scale)
                _, idx = tree.query(mine[list(nearest)].to_numpy(float) / scale, k=k)
                idx = np.asarray(idx).reshape(len(mine), k)
            else:
                idx = np.tile(np.arange(k), (len(mine), 1))
            controls = candidates.index.to_numpy()[idx]
            frames.append(
                pd.DataFrame(
                    {
                        "case": np.repeat(mine.index.to_numpy(), k),
                        "control": controls.ravel(),
                        "index_time": float(t),
                        "weight": 1.0 / k,
                    }
                )
            )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in PAIR_COLUMNS})
    return pd.concat(frames, ignore_index=True)[PAIR_COLUMNS]


def standardised_difference(case: np.ndarray, control: np.ndarray, weight: np.ndarray) -> float:
    """(case mean - weighted control mean) / sqrt((case variance + weighted control variance) / 2); 0 when
    neither varies and the means agree."""
    mc, mk = float(np.mean(case)), float(np.average(control, weights=weight))
    vc, vk = float(np.var(case)), float(np.average((control - mk) ** 2, weights=weight))
    pooled = np.sqrt((vc + vk) / 2)
    if pooled == 0:
        return 0.0 if mc == mk else float(np.sign(mc - mk) * np.inf)
    return (mc - mk) / pooled


def balance(
    pairs: pd.DataFrame, case_data: RunData, pool_data: RunData, variables: Sequence[str] = VISIBLE
) -> pd.DataFrame:
    """Cases against their controls on each variable as at each case's index date: means and the
    standardised mean difference (``smd``; under 0.1 in absolute value is the usual bar of balance)."""
    cases = pairs.drop_duplicates(["case", "index_time"]).rename(columns={"case": "pid"})
    return balance_seen(pairs, seen_cases(case_data, cases), pool_data, variables)


def balance_seen(
    pairs: pd.DataFrame, seen: pd.DataFrame, pool_data: RunData, variables: Sequence[str] = VISIBLE
) -> pd.DataFrame:
    """:func:`balance` of cases already seen (:func:`seen_cases`; those of ``pairs`` among them)."""
    by_case = seen.set_index(["pid", "index_time"])
    cases_seen, controls_seen = [], []
    for t, group in pairs.groupby("index_time", sort=True):
        case_ids = group["case"].drop_duplicates().to_numpy()
        cases_seen.append(by_case.loc[list(zip(case_ids, [t] * len(case_ids)))])
        controls_seen.append(
            visible_at(pool_data, float(t)).iloc[group["control"].to_numpy()].assign(w=group["weight"].to_numpy())
        )
    rows = []
    if cases_seen:
        c, k = pd.concat(cases_seen), pd.concat(controls_seen)
        for v in variables:
            x, y, w = c[v].to_numpy(float), k[v].to_numpy(float), k["w"].to_numpy(float)
            smd = standardised_difference(x, y, w)
            rows.append((v, len(c), len(k), float(x.mean()), float(np.average(y, weights=w)), smd))
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)
