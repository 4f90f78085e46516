"""The calendar's entries, each run by its pathway's handler: which handler, and the call.

:data:`HANDLERS` says which pathway handles each kind of calendar entry; the model registers them
(``Model.on``, in ``sim.replication.single.build``).  :class:`Entries` runs an entry by calling its
handler directly, so that the compiled build makes no Python call between the calendar and the
handler (most of a run's work starts there).  A kind whose handler was replaced since (``Model.on``:
the demography's band changes, a test's own handler) runs the replacement, through the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sim.core.calendar import Dispatcher
from sim.pathways import elective, emergency, home, mdt, social_care
from sim.vocabulary import Kind

if TYPE_CHECKING:
    from sim.core.model import Handler, Model

HANDLERS: Final[tuple[tuple[Kind, Handler], ...]] = (
    (Kind.CRISIS, emergency.on_crisis),
    (Kind.DEATH, home.on_death),
    (Kind.FRAILTY_STEP, home.on_frailty_step),
    (Kind.BAND_CHANGE, home.on_band_change),
    (Kind.FRAILTY_RECOVERY, home.on_frailty_recovery),
    (Kind.HOME_CARE_REQUEST, social_care.on_home_care_request),
    (Kind.CARE_HOME_REQUEST, social_care.on_care_home_request),
    (Kind.HOME_CARE_ENDS, social_care.on_home_care_ends),
    (Kind.REABLEMENT_ENDS, social_care.on_reablement_ends),
    (Kind.CHECK_91D, home.on_check_91d),
    (Kind.REFERRAL, elective.on_referral),
    (Kind.OUTPATIENT, elective.on_outpatient),
    (Kind.ELECTIVE_DATE, elective.on_elective_date),
    (Kind.MDT_REVIEW, mdt.on_review),
)
# by kind's value: the handler of HANDLERS (the kinds are 0, 1, 2, ... in order)
DEFAULT: Final = tuple(handler for _, handler in sorted(HANDLERS, key=lambda row: row[0].value))
CRISIS: Final = Kind.CRISIS.value  # the kinds as the calendar holds them
DEATH: Final = Kind.DEATH.value
FRAILTY_STEP: Final = Kind.FRAILTY_STEP.value
BAND_CHANGE: Final = Kind.BAND_CHANGE.value
FRAILTY_RECOVERY: Final = Kind.FRAILTY_RECOVERY.value
HOME_CARE_REQUEST: Final = Kind.HOME_CARE_REQUEST.value
CARE_HOME_REQUEST: Final = Kind.CARE_HOME_REQUEST.value
HOME_CARE_ENDS: Final = Kind.HOME_CARE_ENDS.value
REABLEMENT_ENDS: Final = Kind.REABLEMENT_ENDS.value
CHECK_91D: Final = Kind.CHECK_91D.value
REFERRAL: Final = Kind.REFERRAL.value
OUTPATIENT: Final = Kind.OUTPATIENT.value
ELECTIVE_DATE: Final = Kind.ELECTIVE_DATE.value
MDT_REVIEW: Final = Kind.MDT_REVIEW.value


def register(m: Model) -> None:
    """Register :data:`HANDLERS` with the model, and run its calendar's entries through :class:`Entries`."""
    for kind, handler in HANDLERS:
        m.on(kind, handler)
    m.calendar.handler = Entries(m)


class Entries(Dispatcher):
    """Runs a calendar entry: its handler of :data:`HANDLERS` directly, a replaced one through the model."""

    def __init__(self, m: Model) -> None:
        self.m = m

    def fire(self, pid: int, kind: int, token: int) -> None:
        m = self.m
        if m.handler(kind) is not DEFAULT[kind]:
            m.fire(pid, kind, token)
        elif kind == OUTPATIENT:  # the most frequent first
            elective.on_outpatient(m, pid)
        elif kind == REFERRAL:
            elective.on_referral(m, pid)
        elif kind == CRISIS:
            emergency.on_crisis(m, pid)
        elif kind == ELECTIVE_DATE:
            elective.on_elective_date(m, pid)
        elif kind == FRAILTY_STEP:
            home.on_frailty_step(m, pid)
        elif kind == FRAILTY_RECOVERY:
            home.on_frailty_recovery(m, pid)
        elif kind == BAND_CHANGE:
            home.on_band_change(m, pid)
        elif kind == DEATH:
            home.on_death(m, pid)
        elif kind == HOME_CARE_ENDS:
            social_care.on_home_care_ends(m, pid)
        elif kind == HOME_CARE_REQUEST:
            social_care.on_home_care_request(m, pid)
        elif kind == REABLEMENT_ENDS:
            social_care.on_reablement_ends(m, pid)
        elif kind == CHECK_91D:
            home.on_check_91d(m, pid)
        elif kind == CARE_HOME_REQUEST:
            social_care.on_care_home_request(m, pid)
        elif kind == MDT_REVIEW:
            mdt.on_review(m, pid)
        else:
            m.fire(pid, kind, token)
