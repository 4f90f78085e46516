"""Day lists: far-future person events wait outside SimPy's heap until their day.

Each person has at most one live entry per clock (their next state change);
an entry is stale when the person's token on its clock has moved on, and is
then skipped without costing an event.  Entries go stale by the calendar's
own token list unless their kind was given a clock of its own (``track``).
On each day the day's entries are sorted by time (entries due at the same
time keep the order they were added in: the sort is stable) and walked in
turn, so the heap holds only today's work.

The walk is not a SimPy process and makes no SimPy events.  When nothing
scheduled comes before an entry's time, the clock moves straight to it and
the entry runs.  When something does, the walk waits: it takes a number
from SimPy's event counter, as a timeout yielded then would, and keeps the
wait keyed as SimPy keys its events (time, priority, number).  The
environment's ``step`` (:meth:`Calendar.step`) takes whichever is first,
the calendar's next wait or the heap's next event, so what runs, and in
what order, is what a walk yielding a timeout for each wait would give
(``tests/test_calendar.py`` holds such a walk to compare).  A heap of the
calendar's own (:attr:`Calendar.late`, ``sim.core.late``), keyed the same
way, holds the rest of what would otherwise be SimPy's events: an entry
filed during its own day after the walk has passed that day, a
:class:`Pathway` to start or go on with after a wait, an action some days
ahead (:meth:`Calendar.after`).

An entry is four numbers (time, person, kind, token; its kind the value of a
``sim.vocabulary.Kind``, not the member), kept packed as doubles in its day's
``vec``: no Python object per entry, so filing one allocates nothing, the
many entries filed years ahead give Python's cycle collector nothing to walk,
and a day's entries sit side by side in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from heapq import heappop
from typing import Final, TypeAlias, cast

import numpy as np
import simpy
from librt.vecs import append, vec
from mypy_extensions import i64
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import EventPriority

from sim.core.late import before, late_heap, rank

ENTRY: Final = 4  # doubles per entry: time, person, kind, token
URGENT: Final = 0  # SimPy's priorities (simpy.events.URGENT, NORMAL): a process starting, any other event
NORMAL: Final = 1
# a SimPy process: a generator that yields the events it waits for (what they send back is not used)
Process: TypeAlias = Generator[simpy.Event, object, None]
# a pathway run as a Pathway (Model.start): it may also yield a number of days to wait (Model.wait)
Steps: TypeAlias = Generator[simpy.Event | float, object, None]
Heaped: TypeAlias = tuple[float, int, int, simpy.Event]  # an event on SimPy's heap: time, priority, number, event


class Clock:
    """The simulation time.  The environment keeps it here (``Environment._now``), so that the model, which
    reads it millions of times a run, reads it from a compiled class's field instead of by name."""

    def __init__(self, now: float) -> None:
        self.now = now


class Environment(simpy.Environment):
    """SimPy's environment, which also runs a calendar's entries in their turn between its own events."""

    def __init__(self, initial_time: float = 0.0) -> None:
        self.clock = Clock(initial_time)
        super().__init__(initial_time)
        self.calendar: Calendar | None = None  # set by the calendar that walks this environment's days

    @property  # SimPy's own attribute, kept in the clock
    def _now(self) -> float:
        return self.clock.now

    @_now.setter
    def _now(self, now: float) -> None:
        self.clock.now = now

    @property
    def now(self) -> float:
        """The current simulation time (SimPy's own ``now``)."""
        return self.clock.now

    def step(self) -> None:
        """Process the next event: the calendar's, if one of its waits comes first (``Calendar.step``)."""
        cal = self.calendar
        if cal is None:
            simpy.Environment.step(self)
        else:
            cal.step()


class Day:
    """A day's entries, ENTRY doubles each (time, pid, kind, token), in the order they were filed."""

    def __init__(self) -> None:
        self.entries = vec[float](capacity=64)


class Dispatcher:
    """What runs the calendar's entries: ``fire(pid, kind, token)`` for each entry that is not stale.  The
    model is one (``Model.fire``); the compiled build calls it directly, with no Python call between."""

    def fire(self, pid: int, kind: int, token: int) -> None:
        raise NotImplementedError


class Function(Dispatcher):
    """A plain function ``handler(pid, kind, token)`` as a dispatcher."""

    def __init__(self, handler: Callable[[int, int, int], None]) -> None:
        self.handler = handler

    def fire(self, pid: int, kind: int, token: int) -> None:
        self.handler(pid, kind, token)


class Calendar:
    def __init__(
        self, env: Environment, handler: Dispatcher | Callable[[int, int, int], None], tokens: vec[i64]
    ) -> None:
        self.env = env
        self.clock = env.clock
        # SimPy's heap (its times are numbers, its priorities ints) and event counter, the same for env's life
        self._queue = cast(list[Heaped], env._queue)
        self._count: Callable[[], int] = cast(Iterator[int], env._eid).__next__  # next(env._eid), bound once
        # what runs an entry that is not stale: handler.fire(pid, kind, token), or handler(pid, kind, token)
        self.handler = handler if isinstance(handler, Dispatcher) else Function(handler)
        self.tokens = tokens
        self.clocks: list[vec[i64] | None] = []  # by kind: the token list its entries go stale by (None: tokens)
        self.days: list[Day | None] = []  # by day: its entries (None: none, or walked)
        self._today = 0  # the next day to walk; entries for days before this one are late
        self._bucket = vec[float]()  # the day being walked: its entries,
        self._order = vec[i64]()  # their order (in time; ties in the order they were added),
        self._next = 0  # and the place in that order of the next entry to run
        # the walk's wait, keyed as SimPy's heap is (time; priority, then number: sim.core.late.rank); none
        # before the walk starts
        self._waiting = False
        self._at, self._rank = 0.0, rank(NORMAL, 0)
        self._held = False  # the walk waits to run the entry at ``_next`` (else to start the next day)
        # a heap keyed the same way: entries filed for a day already walked (their action None), pathways to
        # start or go on with, actions
        self.late = late_heap()
        self._late_first = False  # what ``due_before`` found due first: a late entry (else the walk)
        self.dispatched = 0
        self.stale = 0
        self.waits = 0  # numbers taken from SimPy's event counter for waits that made no event
        env.calendar = self

    def track(self, kind: int, tokens: vec[i64]) -> None:
        """Entries of ``kind`` go stale by ``tokens`` instead of the calendar's own list: a clock of their own."""
        clocks = self.clocks
        if kind >= len(clocks):
            clocks.extend([None] * (kind + 1 - len(clocks)))
        clocks[kind] = tokens

    def add(self, t: float, pid: int, kind: int, token: int) -> None:
        """File an entry of ``kind`` for person ``pid`` at time ``t``; it is stale if ``token`` moves on (-1: never)."""
        day = int(t)
        if day < self._today:  # a day already walked: the entry waits on its own, as a timeout would
            now = self.clock.now
            delay = t - now
            at = now + (delay if delay > 0 else 0.0)
            self.late.push(at, rank(NORMAL, self._take_number()), pid, kind, token, None)
            return
        days = self.days
        if day >= len(days):
            days.extend([None] * (day + 1 - len(days)))
        bucket = days[day]
        if bucket is None:
            bucket = days[day] = Day()
        bucket.entries = append(append(append(append(bucket.entries, t), float(pid)), float(kind)), float(token))

    def start(self) -> None:
        """Begin the walk at the current time, as a SimPy process started now would (an urgent first step)."""
        self._wait(self.clock.now, URGENT)

    def start_pathway(self, generator: Steps) -> None:
        """Run a pathway's generator from now, as ``env.process`` would (an urgent first step), as a
        :class:`Pathway`: for processes that nothing waits for, nor interrupts."""
        self.late.push(self.clock.now, rank(URGENT, self._take_number()), -1, 0, -1, Pathway(generator, self))

    def after(self, delay: float, action: Pathway | Callable[[], None]) -> None:
        """Run ``action`` (a pathway: go on with it) ``delay`` days from now, in the turn of a timeout made now
        (``env.timeout(delay)`` with ``action`` as its callback), without making one."""
        if not delay >= 0:
            raise ValueError(f"a wait must be a number of days, at least 0: got {delay!r}")
        self.late.push(self.clock.now + delay, rank(NORMAL, self._take_number()), -1, 0, -1, action)

    def _take_number(self) -> int:
        """The number SimPy's event counter would give a timeout made now (the count goes on as if one were)."""
        self.waits += 1
        return self._count()

    def _wait(self, at: float, priority: int) -> None:
        """The walk waits until ``at``."""
        self._waiting = True
        self._at, self._rank = at, rank(priority, self._take_number())

    def step(self) -> None:
        """The environment's next step: the calendar's first wait if it comes before the heap's next event,
        else that event, processed as SimPy's own ``step`` processes it."""
        queue = self._queue
        if self.due_before(queue[0] if queue else None):
            self.resume()
            return
        if not queue:
            raise EmptySchedule
        at, _priority, _number, event = heappop(queue)
        self.clock.now = at
        callbacks = event.callbacks
        event.callbacks = None  # type: ignore[assignment]  # as SimPy marks an event processed
        done = 0
        try:
            for callback in callbacks:
                done += 1
                callback(event)
        except StopSimulation:  # run(until=...) ends: the rest of the callbacks run when the run goes on
            event.callbacks = callbacks[done:]
            self.env.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):  # a failed event nobody handled: the run fails
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def due_before(self, event: Heaped | None) -> bool:
        """Does one of the calendar's waits come before ``event``, the heap's next (None: the heap is empty)?"""
        late = self.late
        if len(late):
            t, r = late.first_time(), late.first_rank()
            if not self._waiting or before(t, r, self._at, self._rank):
                self._late_first = True
                return event is None or before(t, r, event[0], rank(event[1], event[2]))
        self._late_first = False
        if not self._waiting:
            return False
        return event is None or before(self._at, self._rank, event[0], rank(event[1], event[2]))

    def _clear(self, at: float) -> bool:
        """Nothing scheduled, on the heap or late here, is due at or before ``at``: the clock may move there."""
        queue, late = self._queue, self.late
        return not (queue and queue[0][0] <= at) and not (len(late) and late.first_time() <= at)

    def _token(self, pid: int, kind: int) -> int:
        """The person's token now on the clock that entries of ``kind`` go stale by (read at each use: a
        column is a new object when the population grows)."""
        clocks = self.clocks
        own = clocks[kind] if kind < len(clocks) else None
        return (self.tokens if own is None else own)[pid]

    def _fire(self, pid: int, kind: int, token: int) -> None:
        if token >= 0 and self._token(pid, kind) != token:
            self.stale += 1
            return
        self.dispatched += 1
        self.handler.fire(pid, kind, token)

    def resume(self) -> None:
        """The wait ``due_before`` found first is over (the environment's ``step``): run the late entry, or walk on."""
        if self._late_first:
            late = self.late
            late.pop()
            self.clock.now = late.first_t
            action = late.first_action
            if action is None:
                self._fire(late.first_pid, late.first_kind, late.first_token)
            elif isinstance(action, Pathway):
                action.resume(None)
            else:
                action()
            return
        self._waiting = False
        self.clock.now = self._at
        if self._held:  # the entry the walk waited for, if it is still good
            self._held = False
            r = self._order[self._next] * ENTRY
            self._next += 1
            bucket = self._bucket
            self._fire(int(bucket[r + 1]), int(bucket[r + 2]), int(bucket[r + 3]))
        else:  # the day begins
            self._start_day()
        self._walk()

    def _start_day(self) -> None:
        day = self._today
        self._today = day + 1
        days = self.days
        filed = days[day] if day < len(days) else None
        if filed is not None:
            days[day] = None
        bucket = self._bucket = vec[float]() if filed is None else filed.entries
        # in order of time; entries due at the same time in the order they were added (a stable sort)
        self._order = vec[i64](np.argsort(np.frombuffer(memoryview(bucket))[::ENTRY], kind="stable"))
        self._next = 0

    def _walk(self) -> None:
        """Run the day lists' entries in order until one must wait behind something scheduled before it."""
        clock = self.clock
        while True:
            bucket, order = self._bucket, self._order
            while self._next < len(order):
                r = order[self._next] * ENTRY
                t = bucket[r]
                pid, kind, token = int(bucket[r + 1]), int(bucket[r + 2]), int(bucket[r + 3])
                if token >= 0 and self._token(pid, kind) != token:
                    self._next += 1
                    self.stale += 1
                    continue
                now = clock.now
                if t > now:
                    at = now + (t - now)  # the time a timeout of ``t - now`` would have
                    if not self._clear(at):
                        self._held = True
                        self._wait(at, NORMAL)
                        return
                    clock.now = at
                self._next += 1
                self.dispatched += 1
                self.handler.fire(pid, kind, token)
            now = clock.now
            wait = self._today - now
            if wait > 0:  # to the start of the next day
                at = now + wait
                if not self._clear(at):
                    self._wait(at, NORMAL)
                    return
                clock.now = at
            self._start_day()


class Pathway:
    """A pathway's generator, driven through the events it yields as a SimPy process drives it.

    What it does not have is what nothing here uses for the pathways started this way (``Model.start``): an
    event of its own when it ends, for others to wait on; interrupts; ``env.active_process``.  So it makes no
    SimPy events of its own, and no Python frame runs between the events it waits for.  It starts as a
    process does, in turn with the urgent events (``Calendar.start_pathway``); what the events send back,
    and a failed event's error, reach the generator as in SimPy; an error the generator raises stops the run.
    A number of days yielded (``Model.wait``) is waited on the calendar, in the turn of a timeout made then.
    """

    def __init__(self, generator: Steps, calendar: Calendar) -> None:
        self.generator = generator
        self.calendar = calendar

    def resume(self, event: simpy.Event | None) -> None:
        """Go on from ``event`` (None: the start, or the end of a wait) to the next thing to wait for."""
        generator = self.generator
        while True:
            try:
                if event is None:
                    step = generator.send(None)
                elif event._ok:
                    step = generator.send(event._value)
                else:  # a failed event: the pathway handles its error or fails with it
                    event._defused = True
                    error = type(event._value)(*event._value.args)
                    error.__cause__ = event._value
                    step = generator.throw(error)
            except StopIteration:
                return
            if isinstance(step, float):  # days to wait
                self.calendar.after(step, self)
                return
            event = step
            callbacks = event.callbacks
            if callbacks is not None:  # not yet processed: wait for it
                callbacks.append(self.resume)
                return
