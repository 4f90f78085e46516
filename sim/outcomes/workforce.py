"""Workforce: the staff the place's community and social care capacity stands for, place-wide.

The model holds capacity in its own units (co-ordinators, assessments or visits in progress at once,
packages in use, visits made); these turn them into whole-time equivalents (WTE) and hours of home care
a week with the factors in the parameters, so that a scenario's workforce can be read beside its
activity.  They are outputs only: nothing here changes what happens in a run.
"""

from __future__ import annotations

import numpy as np

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.rundata import RunData
from sim.vocabulary import Ev, Spell


def community_nursing_visits(data: RunData) -> float:
    """District nursing visits in the window, everyone in the simulated cohort.

    Visits are counted in bulk at the end of each spell at home, and spells are split at the window's
    start and closed at its end, so a count stamped in ``(start, end]`` belongs to the window.
    """
    ev = data.events
    t = ev["time"].to_numpy()
    hit = (
        (ev["event"].to_numpy() == Ev.COMMUNITY_NURSING)
        & (ev["pid"].to_numpy() >= 0)
        & (t > data.window_start)
        & (t <= data.window_end)
    )
    return float(ev["count"].to_numpy()[hit].sum())


def home_care_packages_in_use(data: RunData) -> float:
    """Mean home care packages in use over the window: package-days of everyone over the window's days."""
    sp = data.spells[data.spells["kind"] == Spell.HOME_CARE]
    W, E = data.window_start, data.window_end
    end = np.nan_to_num(sp["end"].to_numpy(np.float64), nan=E)
    days = np.clip(np.minimum(end, E) - np.maximum(sp["start"].to_numpy(np.float64), W), 0, None)
    return float(days.sum() / (E - W))


def workforce(data: RunData) -> dict[str, float]:
    """``wte_coordinators``, ``wte_social_workers``, ``wte_community_nurses`` and ``home_care_hours_per_week``."""
    p, cap = data.params, data.capacity
    years = (data.window_end - data.window_start) / DAYS_PER_YEAR
    nursing_hours_a_year = community_nursing_visits(data) / years * p.community.nursing_visit_hours
    return {
        "wte_coordinators": float(cap.get("mdt_coordinators", 0)),
        "wte_social_workers": cap.get("social_workers", 0) * p.social_care.social_worker_wte_per_assessment,
        "wte_community_nurses": cap.get("rapid_response", 0) * p.community.rapid_response_wte_per_visit
        + nursing_hours_a_year / p.community.nurse_hours_per_year,
        "home_care_hours_per_week": home_care_packages_in_use(data) * p.costs.home_care_hours_per_week,
    }
