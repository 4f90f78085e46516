"""The elective route: GP referral -> first outpatient attendance -> follow-ups -> elective admission.

A referral is one of the competing hazards of life at home, on a clock of its
own (``home.schedule_referral``), open while the person is not already in an
outpatient episode. It books the first attendance a few weeks later and draws
how many follow-ups the episode will need. Outpatient clinics are daily slot
counters: an attendance takes one of today's slots or is moved to the next
day. After the last attendance, a person the consultant is to admit (drawn
at the referral, known from the first attendance) is booked for a planned
admission some weeks ahead, as a day case or an ordinary stay. On the day, a
planned admission takes a ring-fenced elective bed if one is free, else a
general core bed if one is free and no emergency waits for it
(``sim.core.hospital``); if neither, the date is cancelled and rebooked.

The waiting list: from the GP referral the person is on the elective waiting
list, its clock running (the 18-week referral-to-treatment measure), until
the clock stops (``Ev.RTT_CLOCK_STOP``): at the planned admission for people
the consultant will admit, their follow-ups being the work-up before it; at
the first attendance for everyone else, whose episode ends without an
admission (treatment in clinic, or a decision that none is needed: the
follow-ups after it are off the clock, as in the national rules); at death.
Whether the episode will end in an admission is drawn at the referral, so it
is known at the first attendance.  A booking is cancelled at most once: after
a cancellation the person keeps their place on the list and is offered a bed
every ``rebook_days`` until one is free, and those later tries are not
counted as cancellations.  So when the hospital is full the list grows,
rather than the cancellations.

Appointments and admission dates are booked entries of the calendar (they
never go stale), so each handler looks at where the person is now: dead (the
episode ends), away from home, e.g. in hospital after a crisis (a new date),
or at home or in a care home (it goes ahead).  Leaving the bed after a planned stay
is recorded as a discharge home, like any departure from an acute bed.

For a person on an MDT caseload, the co-ordinator replaces each follow-up with
probability ``mdt.follow_up_substitution``; whether the person is on a caseload
is looked at when that follow-up is booked (at the attendance before it).

Every step draws the same uniforms from the same streams whatever its outcome
(the number of follow-ups and the admission decision at referral; one
substitution uniform per follow-up; the day case at the end of the outpatient
episode; the length of stay at admission), so scenarios keep common random
numbers.

Assumptions:
- reablement, delayed discharge and the social worker's assessment do not
  apply to planned stays: the person goes back to where they live (their own
  home or their care home) when the stay ends;
- nobody dies during a planned stay (deaths in hospital after elective care
  are rare; their home death hazard pauses for the few days of the stay);
- a planned stay is not the start of a 30-day readmission window and does not
  raise the transient crisis risk (the readmission target counts emergency
  admissions after emergency stays);
- an ordinary planned stay is exponential with mean ``ordinary_los_days``; a
  day case holds the bed for ``day_case_bed_days``;
- as any hospital stay, a planned admission ends a reablement episode
  (``home.leave_home``); home care packages and care home places are kept;
- an appointment missed because the person is away (in hospital, in
  intermediate care) is offered again a week later.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from sim.core.calendar import Steps
from sim.pathways import home
from sim.vocabulary import Care, Dest, Ev, Kind, Place

if TYPE_CHECKING:
    from sim.core.model import Model

BOOKED: Final = -1  # calendar token of a booked entry: never stale
# a person's place on the elective waiting list (Model.waiting): off it, on it, on it to be admitted
OFF_LIST: Final = 0
LISTED: Final = 1
LISTED_TO_ADMIT: Final = 2
NOT_ADMITTED: Final = 0  # why the waiting list's clock stops (the detail of Ev.RTT_CLOCK_STOP)
ADMITTED: Final = 1
DIED: Final = 2
AWAY_REBOOK_DAYS: Final = 7.0  # assumption: a new appointment a week later when the person is away
NEXT_DAY: Final = 1.0
# read at every appointment, as module names (much quicker to read than enum attributes) and Final (read as C
# values by the compiled build); places, events and calendar kinds as their plain values, as the population's
# columns, the records and the calendar hold them
HOME: Final = Place.HOME.value
CARE_HOME: Final = Place.CARE_HOME.value
DEAD: Final = Place.DEAD.value
REFERRED: Final = Ev.OUTPATIENT_REFERRAL.value
ATTENDANCE: Final = Ev.OUTPATIENT_ATTENDANCE.value
CLOCK_STOP: Final = Ev.RTT_CLOCK_STOP.value
OUTPATIENT: Final = Kind.OUTPATIENT.value
ELECTIVE_DATE: Final = Kind.ELECTIVE_DATE.value


def follow_ups(mean: float, u: float) -> int:
    """Number of follow-up attendances: geometric on 0, 1, 2, ... with the given mean (inverse CDF of ``u``)."""
    if mean <= 0:
        return 0
    q = mean / (1.0 + mean)  # P(at least k+1 | at least k)
    return int(math.floor(math.log1p(-u) / math.log(q)))


# --- referral and outpatient attendances ---------------------------------------


def on_referral(m: Model, pid: int) -> None:
    """Calendar handler: the GP refers the person to an outpatient clinic."""
    e, now = m.clinic, m.now  # (the parameters an appointment reads, Model._derive)
    m.rec.event(now, pid, REFERRED)
    m.op_active[pid] = True
    m.op_left[pid] = follow_ups(e.follow_ups_mean, m.u("follow_ups", pid))
    admit = m.u("elective_decision", pid) < e.admit_after_outpatients  # the episode will end in an admission
    m.waiting[pid] = LISTED_TO_ADMIT if admit else LISTED  # the referral-to-treatment clock starts
    m.calendar.add(now + e.first_wait_days, pid, OUTPATIENT, BOOKED)
    # the person's other hazards go on as filed; no new referral while in the episode


def on_outpatient(m: Model, pid: int) -> None:
    """Calendar handler: an outpatient appointment (first or follow-up)."""
    now, place = m.now, m.pop.place[pid]
    if place == DEAD:
        stop_clock(m, pid, DIED)
        end_episode(m, pid)
        return
    if place != HOME and place != CARE_HOME:
        m.calendar.add(now + AWAY_REBOOK_DAYS, pid, OUTPATIENT, BOOKED)
        return
    if not m.outpatient_slots.take(now):
        m.calendar.add(now + NEXT_DAY, pid, OUTPATIENT, BOOKED)
        return
    m.rec.event(now, pid, ATTENDANCE, 1)
    if m.waiting[pid] == LISTED:  # the first attendance of an episode that ends without admission
        stop_clock(m, pid, NOT_ADMITTED)
    book_follow_up(m, pid)


def book_follow_up(m: Model, pid: int) -> None:
    """After an attendance: book the next follow-up, or decide on admission when none is left.

    A follow-up the co-ordinator takes on passes without an attendance; the
    next one comes an interval after it.  When the co-ordinator takes on all
    the follow-ups left, the decision on admission is made at this attendance.
    """
    e = m.clinic
    substitution = e.follow_up_substitution
    t = m.now
    while m.op_left[pid] > 0:
        m.op_left[pid] -= 1
        t += e.follow_up_interval_days
        u = m.u("follow_up_substitution", pid)  # drawn for every follow-up, on a caseload or not
        if u < substitution and m.mdt[pid] >= 0:  # (the uniform first: most follow-ups read no more)
            continue
        m.calendar.add(t, pid, OUTPATIENT, BOOKED)
        return
    decide_admission(m, pid)


def decide_admission(m: Model, pid: int) -> None:
    """End of the outpatient episode: book a planned admission (its clock still running), or back to the GP."""
    e, now = m.clinic, m.now
    u_day_case = m.u("day_case", pid)
    if m.waiting[pid] != OFF_LIST:  # decided at referral: this episode ends in an admission
        m.elective_list[pid] = (u_day_case < e.day_case_share, False)
        m.calendar.add(now + e.wait_to_admission_days, pid, ELECTIVE_DATE, BOOKED)
    else:
        end_episode(m, pid)


def stop_clock(m: Model, pid: int, why: int) -> None:
    """The person leaves the elective waiting list: admitted, not to be admitted, or dead."""
    if m.waiting[pid] != OFF_LIST:
        m.waiting[pid] = OFF_LIST
        m.rec.event(m.now, pid, CLOCK_STOP, 1, why)


def waiting_list_size(m: Model) -> int:
    """People alive on the elective waiting list now (the dead leave it at their next booked date)."""
    place, waiting = m.pop.place, m.waiting
    return sum(1 for pid in range(len(waiting)) if waiting[pid] != OFF_LIST and place[pid] != DEAD)


def end_episode(m: Model, pid: int) -> None:
    """The episode is over: a new referral can compete again (filed now if the person is at home)."""
    m.op_active[pid] = False
    m.op_left[pid] = 0
    m.elective_list.pop(pid, None)
    place = m.pop.place[pid]
    if place == HOME or place == CARE_HOME:
        home.schedule_referral(m, pid)


# --- the planned admission ------------------------------------------------------


def on_elective_date(m: Model, pid: int) -> None:
    """Calendar handler: the date of a planned admission (or a later try for a bed after a cancellation)."""
    e, now, place = m.p.elective, m.now, m.pop.place[pid]
    if place == DEAD:
        stop_clock(m, pid, DIED)
        end_episode(m, pid)
        return
    if place != HOME and place != CARE_HOME:
        m.calendar.add(now + e.rebook_days, pid, ELECTIVE_DATE, BOOKED)
        return
    day_case, cancelled = m.elective_list[pid]
    if not m.beds.take_planned(pid):
        if not cancelled:  # the booked date is cancelled; later tries for the same booking are not counted
            m.rec.event(now, pid, Ev.ELECTIVE_CANCELLATION)
            m.elective_list[pid] = (day_case, True)
        m.calendar.add(now + e.rebook_days, pid, ELECTIVE_DATE, BOOKED)
        return
    del m.elective_list[pid]
    stop_clock(m, pid, ADMITTED)
    home.leave_home(m, pid)
    m.pop.place[pid] = Place.ACUTE
    m.start(elective_stay(m, pid, day_case))


def elective_stay(m: Model, pid: int, day_case: bool) -> Steps:
    """A pathway (``Model.start``): a planned stay in the acute bed the person has just taken, then home again."""
    u_los = m.u("elective_los", pid)  # drawn for day cases too
    stay = m.rec.stay_open(pid, False, m.now, m.now)
    m.rec.event(m.now, pid, Ev.ELECTIVE_ADMISSION, 1, int(day_case))
    length = m.day_case_stay if day_case else m.ordinary_stay  # (Model._derive)
    yield m.wait(length.ppf(u_los))
    m.beds.give_back(pid)
    stay.fit = stay.left = m.now  # fit when leaving: planned stays have no delays
    m.rec.event(m.now, pid, Ev.DISCHARGE, 1, int(Dest.HOME))
    end_episode(m, pid)
    lives_in = Place.CARE_HOME if m.pop.care[pid] == Care.CARE_HOME else Place.HOME
    home.arrive_home(m, pid, lives_in)
