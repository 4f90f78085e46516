"""Care homes are older people's: nobody under 65 takes a place (``social_care.care_homes_65_plus``).

The care home figures the model is calibrated to count people 65+, and the initial state places no
under-65 in a care home; before version 0.7.0 under-65s with complex needs entered the homes on
discharge or from the community and, dying at under-65 rates, filled a growing share of the places
over a long run.
"""

from __future__ import annotations

import numpy as np
import pytest
from smallplace import small

from sim.core.population import DAYS_PER_YEAR
from sim.replication.single import build
from sim.vocabulary import Place

# frequent care home needs, so that under-65 entries would show within a short run
EAGER = {
    "community_care_home_by_frailty": [0.05, 0.05, 0.05, 0.05],
    "care_home_places_per_100k": 2_000.0,
}


def under_65_residents(on: bool) -> list[int]:
    p = small(
        population=20_000, horizon=2 * DAYS_PER_YEAR, warmup=90.0, social_care={**EAGER, "care_homes_65_plus": on}
    )
    m = build(p, seed=4, replication=0)
    counts = []
    for t in np.linspace(90.0, m.window_end - 1.0, 6):
        m.env.run(until=float(t))
        age = np.asarray(m.pop.age0) + m.env.now / DAYS_PER_YEAR
        counts.append(int(((np.asarray(m.pop.place) == Place.CARE_HOME) & (age < 65)).sum()))
    return counts


@pytest.mark.parametrize("on", [True, False])
def test_only_people_65_and_over_live_in_care_homes(on):
    counts = under_65_residents(on)
    if on:
        assert counts == [0] * len(counts)
    else:
        assert counts[-1] > 10  # the rule is what keeps them out: without it they enter
