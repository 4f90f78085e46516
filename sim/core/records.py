"""What happened, one immutable row per thing: point events, acute stays, delays and care spells.

The model appends plain tuples while it runs (cheap); ``Records.frames()``
turns them into pandas tables afterwards.  Every KPI is computed from these
tables, so any cohort (for example the people enrolled in another run, from
their enrolment date) can be measured after the run.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

import numpy as np
import pandas as pd


class Ev(IntEnum):
    """Point events (``events.csv`` names are the lower-case member names)."""

    CRISIS = 0
    GP_CONTACT = 1  # counted in bulk: one row per person and home spell, with a count
    AE_ATTENDANCE = 2
    EMERGENCY_ADMISSION = 3
    ELECTIVE_ADMISSION = 4  # detail: 1 day case, 0 ordinary
    ELECTIVE_CANCELLATION = 5
    OUTPATIENT_ATTENDANCE = 6
    MEDICALLY_FIT = 7
    DISCHARGE = 8  # detail: Dest
    DEATH = 9  # detail: Place where it happened
    CARE_HOME_ADMISSION = 10  # detail: 1 council-supported, 0 self-funded
    READMISSION_30D = 11
    RAPID_RESPONSE = 12
    MDT_ENROLMENT = 13
    MDT_REVIEW = 14
    AT_HOME_91D = 15  # detail: 1 at home, 0 not; time = discharge into reablement + 91 days
    KNOWS_CONTACT = 16  # detail: 1 knows whom to contact after discharge, 0 not
    FRAILTY_STEP = 17  # detail: +1 frailer, -1 less frail
    ENTRY = 18
    COMMUNITY_NURSING = 19  # counted in bulk like GP contacts
    MDT_EXIT = 20  # detail: why (0 stable, 1 death, 2 care home)
    OUTPATIENT_REFERRAL = 21


class Place(IntEnum):
    HOME = 0
    AE = 1  # waiting in A&E for a bed (trolley wait)
    ACUTE = 2
    INTERMEDIATE_CARE = 3
    CARE_HOME = 4
    DEAD = 5


class Dest(IntEnum):
    """Where a person goes on leaving an acute bed (and what they wait for)."""

    HOME = 0
    HOME_CARE = 1
    REABLEMENT = 2
    INTERMEDIATE_CARE = 3
    CARE_HOME = 4


class Reason(IntEnum):
    """What a delayed patient is waiting for (``delayed_days_awaiting_<name>``)."""

    ASSESSMENT = 0
    HOME_CARE = 1
    REABLEMENT = 2
    INTERMEDIATE_CARE = 3
    CARE_HOME = 4


class Spell(IntEnum):
    """Care held over time (priced per day used, or attributed capacity)."""

    HOME_CARE = 0
    REABLEMENT = 1
    INTERMEDIATE_CARE = 2
    CARE_HOME = 3  # funded column: 1 council-supported
    MDT = 4  # on a co-ordinator's caseload


class Stay(NamedTuple):
    pid: int  # -1 for background patients
    emergency: bool
    arrived: float
    admitted: float
    fit: float  # nan if not (yet) medically fit
    left: float  # nan if still in a bed at the end
    died: bool


BACKGROUND = -1


EVENT_COLUMNS = ("time", "pid", "event", "count", "detail")
_PACK_EVENT = struct.Struct("=5d").pack


class Records:
    """Append-only logs of one replication.

    Point events, by far the most numerous rows, are kept packed: five native
    doubles per event in one byte buffer (ids, codes and counts are small
    integers, exact as doubles), a fraction of the memory of a tuple per event.
    """

    def __init__(self) -> None:
        self.events = bytearray()  # time, pid, event, count, detail: five doubles per event
        self.stays: list[list] = []  # mutable while open: [pid, emergency, arrived, admitted, fit, left, died]
        self.delays: list[tuple[int, float, float, int]] = []  # pid, start, end, reason
        self.spells: list[list] = []  # [pid, kind, start, end, funded]

    def event(self, t: float, pid: int, ev: int, count: int = 1, detail: int = -1) -> None:
        self.events += _PACK_EVENT(t, pid, ev, count, detail)

    def stay_open(self, pid: int, emergency: bool, arrived: float, admitted: float) -> list:
        row = [pid, emergency, arrived, admitted, np.nan, np.nan, False]
        self.stays.append(row)
        return row

    def spell_open(self, pid: int, kind: int, start: float, funded: int = 1) -> list:
        row = [pid, kind, start, np.nan, funded]
        self.spells.append(row)
        return row

    def event_frame(self) -> pd.DataFrame:
        """The point events as a table: ``time`` float, the other columns integers."""
        if not self.events:
            return pd.DataFrame([], columns=list(EVENT_COLUMNS))
        packed = np.frombuffer(self.events, dtype=np.float64).reshape(-1, len(EVENT_COLUMNS))
        return pd.DataFrame({name: packed[:, i].copy() if name == "time" else packed[:, i].astype(np.int64)
                             for i, name in enumerate(EVENT_COLUMNS)})

    def frames(self) -> dict[str, pd.DataFrame]:
        ev = self.event_frame()
        st = pd.DataFrame(self.stays, columns=["pid", "emergency", "arrived", "admitted", "fit", "left", "died"])
        de = pd.DataFrame(self.delays, columns=["pid", "start", "end", "reason"])
        sp = pd.DataFrame(self.spells, columns=["pid", "kind", "start", "end", "funded"])
        return {"events": ev, "stays": st, "delays": de, "spells": sp}
