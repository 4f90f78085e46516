"""Records (sim.core.records): packed point events come back as the table they were written as."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.core.records import Records
from sim.vocabulary import Ev, Place


def test_packed_events_round_trip_with_integer_columns():
    rec = Records()
    rows = [
        (0.0, 0, Ev.ENTRY, 1, -1),
        (1.25, 56_735, Ev.CRISIS, 1, -1),
        (2.5, 3, Ev.DEATH, 1, int(Place.ACUTE)),
        (1e3 + 1 / 3, 2**40, Ev.GP_CONTACT, 17, 1),
        (7.0, -1, Ev.DISCHARGE, 1, True),
    ]
    for row in rows:
        rec.event(*row)
    ev = rec.frames()["events"]
    expected = pd.DataFrame(
        [tuple(int(x) if i else x for i, x in enumerate(r)) for r in rows],
        columns=["time", "pid", "event", "count", "detail"],
    )
    pd.testing.assert_frame_equal(ev, expected, check_exact=True)
    assert ev["time"].dtype == np.float64 and all(ev[c].dtype == np.int64 for c in ("pid", "event", "count", "detail"))
    rec.event(9.0, 4, Ev.CRISIS)  # still growing after a table was made
    assert len(rec.frames()["events"]) == len(rows) + 1


def test_no_events_gives_the_empty_table():
    ev = Records().frames()["events"]
    assert list(ev.columns) == ["time", "pid", "event", "count", "detail"] and ev.empty
