"""The calendar's entries run by their pathways' handlers (sim.pathways.entries), directly or as replaced."""

from __future__ import annotations

import collections

import numpy as np
from smallplace import small

from sim.pathways import elective, entries
from sim.replication.single import build
from sim.vocabulary import Ev, Kind

# a place where every kind of entry happens: co-ordinators reviewing their caseloads, social care, outpatients
PLACE = {"mdt": {"coordinators_per_100k": [10.0, 0.0, 0.0, 0.0], "caseload": 40}}


def run(dispatch_by_model: bool = False, counting: collections.Counter | None = None):
    m = build(small(population=15_000, horizon=300.0, warmup=60.0, **PLACE), seed=3, replication=0)
    if dispatch_by_model:
        m.calendar.handler = m  # every entry through Model.fire and the handler table
    if counting is not None:

        def on_outpatient(model, pid):
            counting["outpatient"] += 1
            elective.on_outpatient(model, pid)

        m.on(Kind.OUTPATIENT, on_outpatient)
    m.env.run(until=m.window_end)
    return m


def test_every_kind_has_one_handler():
    kinds = [kind for kind, _ in entries.HANDLERS]
    assert sorted(kinds) == sorted(Kind) and len(set(kinds)) == len(kinds)
    assert [entries.DEFAULT[k.value] for k in kinds] == [handler for _, handler in entries.HANDLERS]


def test_entries_run_by_their_handlers_directly_give_what_the_models_table_gives():
    direct, table = run(), run(dispatch_by_model=True)
    a, b = direct.rec.frames(), table.rec.frames()
    happened = set(a["events"]["event"])  # entries of these kinds ran
    assert {Ev.OUTPATIENT_ATTENDANCE, Ev.OUTPATIENT_REFERRAL, Ev.CRISIS, Ev.MDT_REVIEW, Ev.FRAILTY_STEP} <= happened
    for name in a:
        assert a[name].equals(b[name]), name
    assert np.array_equal(np.asarray(direct.pop.place), np.asarray(table.pop.place))


def test_a_handler_registered_after_the_table_replaces_its_own():
    counting = collections.Counter()
    m = run(counting=counting)
    attended = (m.rec.frames()["events"]["event"] == int(elective.ATTENDANCE)).sum()
    assert counting["outpatient"] >= attended > 0
