"""The acute hospital's beds and the A&E in front of them: who may take which bed, and who waits.

Three pools of beds (``CapacityPool``: general core, ring-fenced core,
escalation) behind one first-come first-served queue in A&E:

- **core beds**, the hospital's bed base; ``acute_occupancy`` is their use, so
  it can never pass 1.  Part of them may be **ring-fenced** for planned
  admissions: only planned admissions use them;
- **escalation beds**, a capacity of their own with a cap, opened only when
  every general core bed is full and closed as soon as one frees: a core bed
  that frees with nobody waiting for it takes the patient who has been
  longest in an escalation bed.

An emergency (a person admitted from A&E, or a background emergency) takes a
general core bed if one is free, else an escalation bed if one is free, else
waits in A&E for whichever frees first.  A planned admission takes a
ring-fenced bed if one is free, else a general core bed if one is free and
nobody waits in A&E; otherwise it is cancelled (the caller rebooks it).
Planned admissions never take escalation beds.

Callers take and give back a bed for a **holder** (a person's id, or a key
from :meth:`Beds.background_key` for a patient outside the simulated cohort)
and never need to know which kind of bed the holder has.  Every time an
escalation bed opens or closes it is recorded as a place-wide event
(``Ev.ESCALATION_BED``, pid -1), so escalation bed days can be measured from
the records; the pools' own time integrals give the same figure.

A&E also counts the people waiting there for the decision to admit or send
home (``ae_arrival``, ``ae_decided``), so ``waiting`` is everybody in A&E and
``queued`` the trolley queue.

The pressure the hospital's responses read (:attr:`Beds.pressure`) is the core
beds' occupancy of the moment, counted as full while escalation beds are open
or patients wait in A&E; :func:`pressure_response` turns it into the size of a
response that starts at a threshold.
"""

from __future__ import annotations

from collections import deque
from typing import Final

import simpy

from sim.core.calendar import Process
from sim.core.records import Records
from sim.core.services import CapacityPool
from sim.vocabulary import Ev

GENERAL: Final = 0  # the kinds of bed a holder can have
RING_FENCED: Final = 1
ESCALATION: Final = 2
PLACE_WIDE: Final = -1  # the pid of a place-wide event (nobody's)
ESCALATION_BED: Final = Ev.ESCALATION_BED


def pressure_response(occupancy: float, threshold: float, at_full: float) -> float:
    """The size of a response to bed pressure: 0 up to ``threshold``, then in a straight line to ``at_full`` at 1."""
    if occupancy <= threshold or threshold >= 1.0:
        return 0.0
    return at_full * min(1.0, (occupancy - threshold) / (1.0 - threshold))


class Beds:
    """Core beds (general and ring-fenced), escalation beds, and the queue for them in A&E."""

    def __init__(self, env: simpy.Environment, rec: Records, core: int, ring_fenced: int, escalation: int) -> None:
        if not 0 <= ring_fenced <= core:
            raise ValueError(f"ring-fenced beds must be between 0 and the {core} core beds, got {ring_fenced}")
        self.env = env
        self.rec = rec
        self.general = CapacityPool(env, "general_beds", core - ring_fenced)
        self.ring_fenced = CapacityPool(env, "ring_fenced_beds", ring_fenced)
        self.escalation = CapacityPool(env, "escalation_beds", escalation)
        self.kind: dict[int, int] = {}  # holder -> the kind of bed held
        self.escalated: dict[int, None] = {}  # holders in escalation beds, longest first
        self.queue: deque[tuple[simpy.Event, int]] = deque()  # emergencies waiting in A&E for a bed, in order
        self.assessing = 0  # people in A&E before the decision to admit or send home
        self.area_queue = 0.0  # integral of the queue's length over time
        self._last = env.now
        self._unclaimed: list[int] = []  # kinds of the beds preloaded for holders named later (claim)
        self._next_key = PLACE_WIDE

    # --- what is held ---------------------------------------------------------------
    @property
    def core(self) -> int:
        """Core beds, ring-fenced included."""
        return self.general.capacity + self.ring_fenced.capacity

    @property
    def core_in_use(self) -> int:
        return self.general.in_use + self.ring_fenced.in_use

    @property
    def in_use(self) -> int:
        """Every bed in use: core and escalation."""
        return self.general.in_use + self.ring_fenced.in_use + self.escalation.in_use

    @property
    def capacity(self) -> int:
        """The beds an emergency may take: general core and escalation."""
        return self.general.capacity + self.escalation.capacity

    @property
    def free(self) -> int:
        """Beds an emergency could take now."""
        return max(self.general.free, 0) + max(self.escalation.free, 0)

    @property
    def queued(self) -> int:
        """Emergencies waiting in A&E for a bed (the trolley queue)."""
        return len(self.queue)

    @property
    def waiting(self) -> int:
        """Everybody in A&E: waiting for the decision, or for a bed."""
        return self.assessing + len(self.queue)

    @property
    def occupancy(self) -> float:
        """Core beds in use as a share of core beds, now."""
        return self.core_in_use / self.core if self.core else 1.0

    @property
    def pressure(self) -> float:
        """The occupancy the hospital responds to: full (1) while escalation is open or anyone waits for a bed."""
        if self.queue or self.escalation.in_use:
            return 1.0
        return min(1.0, self.occupancy)

    @property
    def area_in_use(self) -> float:
        """Bed days of all beds, core and escalation, from time 0 to now."""
        self.tick()
        return self.general.area_in_use + self.ring_fenced.area_in_use + self.escalation.area_in_use

    def tick(self) -> None:
        """Bring every time integral up to now."""
        for pool in (self.general, self.ring_fenced, self.escalation):
            pool.tick()
        self._tick_queue()

    def _tick_queue(self) -> None:
        now = self.env.now
        if now != self._last:
            self.area_queue += len(self.queue) * (now - self._last)
            self._last = now

    def background_key(self) -> int:
        """A holder key for a patient outside the simulated cohort (negative, never a person's id)."""
        self._next_key -= 1
        return self._next_key

    # --- A&E ------------------------------------------------------------------------
    def ae_arrival(self) -> None:
        """A person arrives in A&E and waits for the decision."""
        self.assessing += 1

    def ae_decided(self) -> None:
        """The decision is made: the person leaves A&E or asks for a bed (``take``)."""
        self.assessing -= 1

    # --- taking a bed ---------------------------------------------------------------
    def _hold(self, holder: int, kind: int) -> None:
        if holder in self.kind:
            raise RuntimeError(f"bed holder {holder} already holds a bed")
        self.kind[holder] = kind
        if kind == ESCALATION:
            self.escalated[holder] = None

    def _escalation(self, opens: bool) -> None:
        self.rec.event(self.env.now, PLACE_WIDE, ESCALATION_BED, 1, int(opens))

    def request(self, holder: int) -> simpy.Event | None:
        """An emergency asks for a bed: ``None`` if it took one now, else an event fired when one is handed over."""
        if not self.queue:
            if self.general.try_take():
                self._hold(holder, GENERAL)
                return None
            if self.escalation.try_take():
                self._hold(holder, ESCALATION)
                self._escalation(True)
                return None
        if holder in self.kind:
            raise RuntimeError(f"bed holder {holder} already holds a bed")
        self._tick_queue()
        event = simpy.Event(self.env)
        self.queue.append((event, holder))
        return event

    def withdraw(self, holder: int) -> None:
        """``holder`` leaves the queue for a bed without one (a death while waiting in A&E)."""
        self._tick_queue()
        for i, (_, waiting) in enumerate(self.queue):
            if waiting == holder:
                del self.queue[i]
                return
        raise RuntimeError(f"bed holder {holder} is not waiting for a bed")

    def take(self, holder: int) -> Process:
        """Generator for ``yield from beds.take(holder)``: an emergency's bed, at once or after a wait in A&E."""
        event = self.request(holder)
        if event is not None:
            yield event

    def join_queue(self, holder: int) -> simpy.Event:
        """An event that fires when the emergency ``holder`` has a bed (for callers that are not processes)."""
        event = self.request(holder)
        if event is None:
            event = simpy.Event(self.env)
            event.succeed()
        return event

    def take_planned(self, holder: int) -> bool:
        """A planned admission on its day: a ring-fenced bed, else a general core bed nobody waits for; or none."""
        if self.ring_fenced.try_take():
            self._hold(holder, RING_FENCED)
            return True
        if not self.queue and self.general.try_take():
            self._hold(holder, GENERAL)
            return True
        return False

    # --- giving it back -------------------------------------------------------------
    def give_back(self, holder: int) -> None:
        """``holder`` leaves its bed: the first emergency waiting gets it; an escalation bed closes if it can.

        A holder that never took nor claimed a bed leaves one of the beds preloaded without a holder.
        """
        kind = self.kind.pop(holder, None)
        if kind is None:
            if not self._unclaimed:
                raise RuntimeError(f"bed holder {holder} gives back a bed it does not hold")
            kind = self._unclaimed.pop()
        if kind == RING_FENCED:
            self.ring_fenced.give_back()
            return
        if kind == ESCALATION:
            self.escalated.pop(holder, None)
            pool = self.escalation
        else:
            pool = self.general
        if pool.in_use <= pool.capacity and self.queue:
            self._hand_over(kind)
            return
        if kind == GENERAL and pool.in_use <= pool.capacity and self.escalated:
            self._move_from_escalation()
            return
        pool.give_back()
        if kind == ESCALATION:
            self._escalation(False)

    def _hand_over(self, kind: int, count: bool = True) -> None:
        """The bed just freed, of ``kind``, goes to the emergency that has waited longest."""
        self._tick_queue()
        event, holder = self.queue.popleft()
        self._hold(holder, kind)
        if count:  # (a bed newly taken, at a launch, was counted when taken)
            (self.escalation if kind == ESCALATION else self.general).served += 1
        event.succeed()

    def _move_from_escalation(self) -> None:
        """A general core bed just freed: the patient longest in an escalation bed moves into it."""
        holder = next(iter(self.escalated))
        del self.escalated[holder]
        self.kind[holder] = GENERAL
        self.escalation.give_back()
        self._escalation(False)

    # --- the initial state and a scenario's launch ---------------------------------
    def preload(self, units: int = 1, holder: int | None = None) -> None:
        """Beds in use at time 0, general first, then escalation; a bed with no holder yet is named by ``claim``."""
        for _ in range(units):
            if self.general.free > 0:
                self.general.preload(1)
                kind = GENERAL
            elif self.escalation.free > 0:
                self.escalation.preload(1)
                self._escalation(True)
                kind = ESCALATION
            else:
                raise ValueError(f"cannot have more than {self.capacity} beds in use by emergencies")
            if holder is None:
                self._unclaimed.append(kind)
            else:
                self._hold(holder, kind)

    def claim(self, holder: int) -> None:
        """``holder`` is the patient in one of the beds preloaded without a holder."""
        if not self._unclaimed:
            raise RuntimeError("no preloaded bed is left to claim")
        self._hold(holder, self._unclaimed.pop())

    def resize(self, core: int, ring_fenced: int, escalation: int) -> None:
        """New numbers of beds (a scenario's launch): a cut takes effect as beds free; new beds are used at once."""
        if not 0 <= ring_fenced <= core:
            raise ValueError(f"ring-fenced beds must be between 0 and the {core} core beds, got {ring_fenced}")
        self.tick()
        self.general.resize(core - ring_fenced)
        self.ring_fenced.resize(ring_fenced)
        self.escalation.resize(escalation)
        while self.general.free > 0 and (self.queue or self.escalated):
            self.general.try_take()
            if self.queue:
                self._hand_over(GENERAL, count=False)
            else:
                self._move_from_escalation()
        while self.escalation.free > 0 and self.queue:
            self.escalation.try_take()
            self._escalation(True)
            self._hand_over(ESCALATION, count=False)
