"""Continuity of care co-ordination: whether the people on an MDT caseload kept one named co-ordinator.

What the model records bounds what this can show.  A person is given a co-ordinator of one discipline
at enrolment and keeps them until they leave the caseload (stable, into a care home, or by death):
co-ordinators do not leave, go off sick or hand over caseloads in the model.  The only break it
records is leaving the caseload and being enrolled again later, which the model does not link to the
same co-ordinator, so it counts as a change.  The share is therefore the share of enrolled people with
one unbroken enrolment: an upper bound on real continuity, which staff turnover would lower.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.outcomes.rundata import RunData
from sim.vocabulary import Spell


def enrolments(data: RunData, lo: np.ndarray) -> pd.DataFrame:
    """Per person enrolled while counted (an MDT spell overlapping ``[lo[pid], window end)``): ``pid`` and
    ``spells``, the number of such enrolments."""
    sp = data.spells[data.spells["kind"] == Spell.MDT]
    pid = sp["pid"].to_numpy(np.int64)
    start = sp["start"].to_numpy(np.float64)
    end = np.nan_to_num(sp["end"].to_numpy(np.float64), nan=np.inf)
    inside = (start < data.window_end) & (end > np.nan_to_num(lo[pid], nan=np.inf))
    counts = pd.Series(pid[inside]).value_counts().sort_index()
    return pd.DataFrame({"pid": counts.index.to_numpy(np.int64), "spells": counts.to_numpy(np.int64)})


def continuity_share(data: RunData, lo: np.ndarray) -> float:
    """``mdt_continuity_share``: the share of people enrolled while counted who had one unbroken enrolment
    (nan when nobody was enrolled)."""
    e = enrolments(data, lo)
    return float((e["spells"] == 1).mean()) if len(e) else float("nan")
