"""The model's enumerations: every code it records, files in its calendar or reads off a person.

Each is an ``IntEnum``, so a member is its integer wherever numbers are kept (the event log, the
tables of stays and spells, the calendar's entries) and reads as a name in the code.  The integer
values are part of the outputs (``events.csv`` details, the tables KPIs are computed from): never
renumber a member, add new ones at the end.

Reading a member (``Place.CARE_HOME``) costs several times as much as reading a module-level name,
so code that runs at every event binds what it needs to names of its own module: the member
(``CARE_HOME = Place.CARE_HOME``), or for a calendar kind its plain value (``CRISIS = Kind.CRISIS.value``,
see ``sim.core.calendar``).
"""

from __future__ import annotations

from enum import IntEnum


class Ev(IntEnum):
    """Point events (``events.csv`` names are the lower-case member names)."""

    CRISIS = 0
    GP_CONTACT = 1  # counted in bulk: one row per person and home spell, with a count
    AE_ATTENDANCE = 2
    EMERGENCY_ADMISSION = 3
    ELECTIVE_ADMISSION = 4  # detail: 1 day case, 0 ordinary
    ELECTIVE_CANCELLATION = 5  # a booked date (each booking at most once); pid -1: a background patient's
    OUTPATIENT_ATTENDANCE = 6
    MEDICALLY_FIT = 7
    DISCHARGE = 8  # detail: Dest
    DEATH = 9  # detail: Place where it happened
    CARE_HOME_ADMISSION = 10  # detail: 1 council-supported, 0 self-funded
    READMISSION_30D = 11
    RAPID_RESPONSE = 12  # detail: 1 the crisis resolved at home, 0 the person went on to A&E
    MDT_ENROLMENT = 13  # detail: the co-ordinator's discipline
    MDT_REVIEW = 14
    AT_HOME_91D = 15  # detail: 1 at home, 0 not; time = discharge into reablement + 91 days
    KNOWS_CONTACT = 16  # detail: 1 knows whom to contact after discharge, 0 not
    FRAILTY_STEP = 17  # detail: +1 frailer, -1 less frail
    ENTRY = 18
    COMMUNITY_NURSING = 19  # counted in bulk like GP contacts
    MDT_EXIT = 20  # detail: MdtExit
    OUTPATIENT_REFERRAL = 21
    DESTINATION_STEP = 22  # a full destination: detail = 10 * the Dest planned + the Dest taken instead
    ESCALATION_BED = 30  # place-wide (pid -1): detail 1 an escalation bed opens, 0 one closes
    AE_DEPARTURE = 31  # leaving A&E: detail an AeExit (admitted, sent home, sent home as beds were short, died)
    RTT_CLOCK_STOP = 32  # the elective waiting list's clock stops: detail 1 admitted, 0 not admitted, 2 died
    SOCIAL_CARE_REFUSED = 33  # a community request turned away, the waiting list full: detail 0 home care, 1 care home
    BED_WAIT = 34  # a decision to admit finds no bed free: a trolley wait begins (it ends at the AE_DEPARTURE)


class Place(IntEnum):
    """Where a person is: every person is in exactly one place at any time."""

    HOME = 0
    AE = 1  # in A&E: waiting for the decision, or for a bed (trolley wait)
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
    """The assessment or service unit a delayed patient is waiting for (``delayed_days_awaiting_<name>``).

    The national return's category of each delayed day is a ``Delay``; this is the service side of it.
    """

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
    UNMET_NEED = 5  # a request for home care or a care home waiting, or refused, until met or lapsed (not priced)


class Care(IntEnum):
    """The social care a person holds in the community (kept while they are in hospital)."""

    NONE = 0
    HOME_CARE = 1
    REABLEMENT = 2
    CARE_HOME = 3


class Kind(IntEnum):
    """Kinds of calendar entry: a person's next state change while at home or in a care home, and bookings."""

    CRISIS = 0
    DEATH = 1
    FRAILTY_STEP = 2
    BAND_CHANGE = 3
    HOME_CARE_REQUEST = 4
    CARE_HOME_REQUEST = 5
    HOME_CARE_ENDS = 6
    REABLEMENT_ENDS = 7
    CHECK_91D = 8  # not a state change: never stale
    FRAILTY_RECOVERY = 9
    REFERRAL = 10  # an outpatient referral from the GP (competing hazard, on a clock of its own)
    OUTPATIENT = 11  # an outpatient appointment (booked: never stale, the handler checks the person)
    ELECTIVE_DATE = 12  # the date of a planned admission (booked)
    MDT_REVIEW = 13  # a co-ordinator's scheduled review (booked)


class MdtExit(IntEnum):
    """Why a person leaves a co-ordinator's caseload (the detail of ``Ev.MDT_EXIT``)."""

    STABLE = 0
    DEATH = 1
    CARE_HOME = 2


class Need(IntEnum):
    """A person's main need; per-need parameter tuples follow this order (``sim.parameters.params.NEEDS``)."""

    PHYSICAL_FRAILTY = 0
    DEMENTIA = 1
    MENTAL_HEALTH = 2
    END_OF_LIFE = 3
    SUBSTANCE_MISUSE = 4
    PHYSICAL_DISABILITY = 5


class Delay(IntEnum):
    """Why a discharge is delayed, in the categories of England's delayed transfers of care returns.

    ``delayed_days_<name>`` per category (EVIDENCE 4: NHS England delayed transfers of care statistics,
    definitions).
    """

    ASSESSMENT = 0  # completion of assessment
    PUBLIC_FUNDING = 1
    NON_ACUTE_NHS = 2  # further non-acute NHS care (community hospital, bed-based intermediate care)
    CARE_HOME = 3  # care home placement, residential or nursing
    HOME_CARE = 4  # care package in own home (reablement included)
    EQUIPMENT = 5  # community equipment and adaptations
    PATIENT_CHOICE = 6  # patient or family choice
    DISPUTES = 7
    HOUSING = 8


class Responsible(IntEnum):
    """Who a delayed day is attributed to, as the returns attributed it (``delayed_days_<name>``)."""

    NHS = 0
    SOCIAL_CARE = 1
    BOTH = 2


class Funding(IntEnum):
    """Who pays for the care a person is discharged to: it decides whom a delay is attributed to."""

    COUNCIL = 0  # council-supported (means-tested social care)
    SELF = 1  # self-funded
    NHS = 2  # NHS Continuing Healthcare


class AeExit(IntEnum):
    """How a person leaves A&E (the detail of ``Ev.AE_DEPARTURE``)."""

    SENT_HOME = 0
    ADMITTED = 1
    SENT_HOME_UNDER_PRESSURE = 2  # would have been admitted had beds not been short
    DIED_WAITING = 3  # died in A&E after the decision to admit, before a bed was free
    FIT_WITHOUT_BED = 4  # medically fit in A&E after the decision to admit, before a bed was free (corridor care)
