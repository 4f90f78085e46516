"""Records (sim.core.records): packed point events come back as the table they were written as."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.core.records import SPELL_COLUMNS, STAY_COLUMNS, Records
from sim.vocabulary import Ev, Place, Spell


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


def test_stays_and_spells_come_back_as_tables_of_their_rows_fields():
    """The columns are named by hand (rows are plain classes): each must be a field, every field a column."""
    rec = Records()
    stay = rec.stay_open(7, True, 1.0, 1.5)
    stay.fit, stay.left, stay.shortened = 4.0, 6.0, 0.5
    spell = rec.spell_open(8, Spell.HOME_CARE, 2.0, funded=0)
    spell.end = 9.0
    frames = rec.frames()
    assert frames["stays"].to_dict("records") == [
        {
            "pid": 7,
            "emergency": True,
            "arrived": 1.0,
            "admitted": 1.5,
            "fit": 4.0,
            "left": 6.0,
            "died": False,
            "shortened": 0.5,
        }
    ]
    assert frames["spells"].to_dict("records") == [
        {"pid": 8, "kind": Spell.HOME_CARE, "start": 2.0, "end": 9.0, "funded": 0}
    ]
    assert set(STAY_COLUMNS) == {n for n in dir(stay) if not n.startswith("_")}
    assert set(SPELL_COLUMNS) == {n for n in dir(spell) if not n.startswith("_")}
