"""What happened, one row per thing: point events, acute stays, delays and care spells.

The model appends rows while it runs (cheap); ``Records.frames()`` turns them
into pandas tables afterwards.  Every KPI is computed from these tables, so any
cohort (for example the people enrolled in another run, from their enrolment
date) can be measured after the run.  Point events and delays are written once,
when they are over.  A stay or a spell is written when it opens, as an
``OpenStay`` or ``OpenSpell`` whose later fields (medically fit, left, end)
are filled in as they happen; one still open at the end keeps them blank (nan).
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Final

import numpy as np
import pandas as pd
from librt.vecs import append, vec

from sim.vocabulary import Spell

BACKGROUND: Final = -1  # the pid of a background patient (somebody outside the simulated cohort)


# (plain classes, not dataclasses: a dataclass's generated __init__ stays Python in the compiled build, and
# tens of thousands of rows are made a run)
class OpenStay:
    """An acute stay, from arrival (an emergency waits for a bed in A&E) to leaving the bed."""

    def __init__(self, pid: int, emergency: bool, arrived: float, admitted: float, fit: float = math.nan) -> None:
        self.pid = pid  # BACKGROUND for background patients
        self.emergency = emergency
        self.arrived = arrived
        self.admitted = admitted
        self.fit = fit  # nan if not (yet) medically fit
        self.left = math.nan  # nan if still in a bed
        self.died = False
        self.shortened = 0.0  # days taken off the stay to medically fit because beds were short


class OpenSpell:
    """Care held over time, from ``start`` to ``end`` (nan while held)."""

    def __init__(self, pid: int, kind: Spell, start: float, funded: int = 1) -> None:
        self.pid = pid
        self.kind = kind
        self.start = start
        self.end = math.nan
        self.funded = funded  # care homes: 1 council-supported, 0 self-funded


STAY_COLUMNS = ("pid", "emergency", "arrived", "admitted", "fit", "left", "died", "shortened")  # OpenStay's fields
SPELL_COLUMNS = ("pid", "kind", "start", "end", "funded")  # OpenSpell's
DELAY_COLUMNS = ("pid", "start", "end", "reason", "category", "responsible")  # Reason (-1: none), Delay, Responsible
EVENT_COLUMNS = ("time", "pid", "event", "count", "detail")


class Records:
    """Append-only logs of one replication.

    Point events, by far the most numerous rows, are kept packed: five native
    doubles per event in one ``vec`` (ids, codes and counts are small
    integers, exact as doubles), a fraction of the memory of a tuple per event.
    """

    def __init__(self) -> None:
        self.events = vec[float]()  # time, pid, event, count, detail: five doubles per event
        self.stays: list[OpenStay] = []
        self.delays: list[tuple[int, float, float, int, int, int]] = []  # DELAY_COLUMNS
        self.spells: list[OpenSpell] = []

    def event(self, t: float, pid: int, ev: int, count: int = 1, detail: int = -1) -> None:
        self.events = append(append(append(append(append(self.events, t), pid), ev), count), detail)

    def stay_open(self, pid: int, emergency: bool, arrived: float, admitted: float) -> OpenStay:
        """A stay, opened when the patient takes a bed; the caller fills in ``fit``, ``left`` and ``died``."""
        row = OpenStay(pid, emergency, arrived, admitted)
        self.stays.append(row)
        return row

    def spell_open(self, pid: int, kind: Spell, start: float, funded: int = 1) -> OpenSpell:
        """A new spell of care; the caller sets its ``end`` when the care stops."""
        row = OpenSpell(pid, kind, start, funded=funded)
        self.spells.append(row)
        return row

    def event_frame(self) -> pd.DataFrame:
        """The point events as a table: ``time`` float, the other columns integers."""
        if not len(self.events):
            return pd.DataFrame([], columns=list(EVENT_COLUMNS))
        packed = np.frombuffer(memoryview(self.events), dtype=np.float64).reshape(-1, len(EVENT_COLUMNS))
        return pd.DataFrame(
            {
                name: packed[:, i].copy() if name == "time" else packed[:, i].astype(np.int64)
                for i, name in enumerate(EVENT_COLUMNS)
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every log as a table: ``events``, ``stays``, ``delays`` and ``spells`` (open rows as they stand)."""
        stays = list(map(attrgetter(*STAY_COLUMNS), self.stays))
        spells = list(map(attrgetter(*SPELL_COLUMNS), self.spells))
        return {
            "events": self.event_frame(),
            "stays": pd.DataFrame(stays, columns=list(STAY_COLUMNS)),
            "delays": pd.DataFrame(self.delays, columns=list(DELAY_COLUMNS)),
            "spells": pd.DataFrame(spells, columns=list(SPELL_COLUMNS)),
        }
