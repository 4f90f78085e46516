"""The cohort's people by age band at the window's end, and who joined or left in the window.

Computed from the people table alone (``RunData.people``): ``entered`` (when a person joined the
cohort, 0 for the initial cohort), ``died`` (when they left the place for good, by death or moving
away), ``moved_in`` and ``moved_away`` (the demographic plan's balancing flows,
``sim.pathways.demography``).  A cohort's lower bound (``sim.outcomes.rundata.lower_bound``) says
from when each person counts, so the 85+ cohort's ``people_65_74`` is 0 and its ``entrants`` are
none (people reach it by ageing, or move in at 85+).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.core.population import BAND_EDGES, DAYS_PER_YEAR
from sim.outcomes.rundata import RunData
from sim.parameters.params import AGE_BANDS

SAME_TIME = 1e-6  # days: a cohort's start within this of joining is the joining (an age threshold met at entry)


def demography_kpis(data: RunData, lo: npt.NDArray[np.float64]) -> dict[str, float]:
    """``people_<band>`` (in the place at the window's end), ``entrants``, ``moved_in`` and ``moved_away``."""
    ppl = data.people
    E, W = data.window_end, data.window_start
    entered, died = ppl["entered"], ppl["died"]
    counted = np.nan_to_num(lo, nan=np.inf)
    present = (counted <= E) & (np.isnan(died) | (died >= E))
    band = np.searchsorted(BAND_EDGES, ppl["age0"] + E / DAYS_PER_YEAR, side="right")
    out = {f"people_{name}": float((present & (band == b)).sum()) for b, name in enumerate(AGE_BANDS)}
    moved_in = ppl.get("moved_in", np.zeros(len(entered), dtype=bool))  # (a table made by hand may lack them)
    moved_away = ppl.get("moved_away", np.zeros(len(entered), dtype=bool))
    joined = (entered >= W) & (entered < E) & (counted <= entered + SAME_TIME)  # counted from joining
    out["entrants"] = float((joined & ~moved_in).sum())
    out["moved_in"] = float((joined & moved_in).sum())
    left = moved_away & (died >= counted - SAME_TIME) & (died < E)
    out["moved_away"] = float(left.sum())
    return out
