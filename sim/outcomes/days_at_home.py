"""Days at home: each person's days alive in a cohort's window, split into hospital, a new care home and home.

A day is in hospital while the person is in A&E, in an acute bed or in a bed-based intermediate care
(community hospital) place.  A care home counts as home for a person who lived there when they began to
count in the cohort; a placement that began later is a new care home, counted apart.  Every other day
alive is a day at home.  Overlapping records (a care home place kept during a hospital stay, the A&E
visit that ends in the bed) count once, hospital first, so the three parts add up to the days alive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.outcomes.rundata import RunData
from sim.vocabulary import Spell

COLUMNS = ("pid", "alive_days", "hospital_days", "new_care_home_days", "home_days")


def alive_until(data: RunData) -> np.ndarray:
    """Per pid, when the person stops counting: death or the window's end, whichever is first."""
    died = data.people["died"]
    return np.where(np.isnan(died), data.window_end, np.minimum(died, data.window_end))


def hospital_intervals(data: RunData, ae: pd.DataFrame) -> pd.DataFrame:
    """Every interval a person spent in a hospital setting: ``pid``, ``start``, ``end`` (nan: still there).

    ``ae``: the A&E attendances (``sim.outcomes.metrics.ae_visits``: ``pid``, arrival ``time``, ``left``);
    acute stays run from arrival (an emergency's wait in A&E included) to leaving the bed; intermediate care
    from the start to the end of its spell.
    """
    st = data.stays[data.stays["pid"] >= 0]
    sp = data.spells[data.spells["kind"] == Spell.INTERMEDIATE_CARE]
    parts = [
        (ae["pid"], ae["time"], ae["left"]),
        (st["pid"], st["arrived"], st["left"]),
        (sp["pid"], sp["start"], sp["end"]),
    ]
    return pd.DataFrame(
        {
            "pid": np.concatenate([np.asarray(p, dtype=np.int64) for p, _, _ in parts]),
            "start": np.concatenate([np.asarray(s, dtype=np.float64) for _, s, _ in parts]),
            "end": np.concatenate([np.asarray(e, dtype=np.float64) for _, _, e in parts]),
        }
    )


def new_care_home_intervals(data: RunData, lo: np.ndarray) -> pd.DataFrame:
    """Care home placements that began after the person began to count (``lo[pid]``): ``pid``, ``start``, ``end``."""
    sp = data.spells[data.spells["kind"] == Spell.CARE_HOME]
    pid = sp["pid"].to_numpy(np.int64)
    start = sp["start"].to_numpy(np.float64)
    new = start > np.nan_to_num(lo[pid], nan=np.inf)
    return pd.DataFrame({"pid": pid[new], "start": start[new], "end": sp["end"].to_numpy(np.float64)[new]})


def home_days(data: RunData, lo: np.ndarray, ae: pd.DataFrame, hospital: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per person who counts (``lo[pid]`` not nan): days alive from ``lo`` to death or the window's end,
    and how they split into days in hospital, in a new care home and at home (``COLUMNS``).  ``hospital``:
    :func:`hospital_intervals` of ``data`` and ``ae``, if already made (they are the same for every cohort).

    Vectorised as a sweep over the people's interval ends: each interval, clipped to the person's counted
    time, adds +1 at its start and -1 at its end to its setting's count; between consecutive ends of one
    person, the counts say where the person was.
    """
    n = len(lo)
    until = alive_until(data)[:n]
    counted = ~np.isnan(lo)
    alive = np.where(counted, np.clip(until - np.nan_to_num(lo), 0, None), 0.0)

    def clipped(iv: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pid = iv["pid"].to_numpy(np.int64)
        a = np.maximum(iv["start"].to_numpy(np.float64), lo[pid])
        b = np.minimum(np.nan_to_num(iv["end"].to_numpy(np.float64), nan=np.inf), until[pid])
        keep = b > a  # false where lo is nan (not counted) or the interval lies outside the person's time
        return pid[keep], a[keep], b[keep]

    hp, ha, hb = clipped(hospital if hospital is not None else hospital_intervals(data, ae))
    cp, ca, cb = clipped(new_care_home_intervals(data, lo))
    pid = np.concatenate([hp, hp, cp, cp])
    t = np.concatenate([ha, hb, ca, cb])
    dh = np.concatenate([np.ones(len(hp)), -np.ones(len(hp)), np.zeros(2 * len(cp))])
    dc = np.concatenate([np.zeros(2 * len(hp)), np.ones(len(cp)), -np.ones(len(cp))])
    order = np.lexsort((t, pid))
    pid, t, dh, dc = pid[order], t[order], dh[order], dc[order]
    # each person's intervals open and close, so the running counts are back to 0 after their last end
    in_hospital, in_care_home = np.cumsum(dh) > 0.5, np.cumsum(dc) > 0.5
    length = np.zeros(len(t))
    same = pid[1:] == pid[:-1]
    length[:-1] = np.where(same, t[1:] - t[:-1], 0.0)
    hospital = np.bincount(pid, weights=length * in_hospital, minlength=n)[:n]
    care_home = np.bincount(pid, weights=length * (~in_hospital & in_care_home), minlength=n)[:n]
    who = np.flatnonzero(counted)
    return pd.DataFrame(
        {
            "pid": who,
            "alive_days": alive[who],
            "hospital_days": hospital[who],
            "new_care_home_days": care_home[who],
            "home_days": alive[who] - hospital[who] - care_home[who],
        }
    )


def days_at_home_kpis(
    data: RunData, lo: np.ndarray, ae: pd.DataFrame, hospital: pd.DataFrame | None = None
) -> dict[str, float]:
    """The cohort's ``days_at_home`` and ``days_in_new_care_home`` over its counted time in the window
    (``hospital``: as in :func:`home_days`)."""
    t = home_days(data, lo, ae, hospital)
    return {"days_at_home": float(t["home_days"].sum()), "days_in_new_care_home": float(t["new_care_home_days"].sum())}
