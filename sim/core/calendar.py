"""Day lists: far-future person events wait outside SimPy's heap until their day.

Each person has at most one live entry per clock (their next state change);
an entry is stale when the person's token on its clock has moved on, and is
then skipped without costing an event.  Entries go stale by the calendar's
own token list unless their kind was given a clock of its own (``track``).
On each day the day's entries are sorted by time (entries due at the same
time keep the order they were added in: the sort is stable) and run from one
process, so the heap holds only today's work.  When nothing on the heap comes
before an entry's time, the clock moves straight to it and the entry runs
without an event of its own (what runs, and in what order, is the same as
with a timeout).

An entry's kind is a plain int (the value of a ``sim.vocabulary.Kind``, not
the member), so entries hold only numbers: Python's cycle collector stops
tracking such tuples the first time it sees them, and the many entries filed
years ahead do not slow its later passes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from operator import itemgetter
from typing import TypeAlias

import simpy

_TIME = itemgetter(0)
# a SimPy process: a generator that yields the events it waits for (what they send back is not used)
Process: TypeAlias = Generator[simpy.Event, object, None]


class Environment(simpy.Environment):
    """SimPy's environment, with a way to move the clock forward when nothing is scheduled in between."""

    @property
    def now(self) -> float:
        """The current simulation time (SimPy's own ``now``; here so the compiled build reads it without a
        Python frame: the model reads the clock millions of times a run)."""
        return self._now

    def move(self, delay: float) -> bool:
        """Move the clock on by ``delay`` if no scheduled event is due at or before then; False if one is.

        Moving is what a ``timeout(delay)`` yielded now would do when it is the
        next event to be processed, without scheduling it (same time, same
        order: events due at the same time go first either way, so they block).
        """
        at = self._now + delay
        queue = self._queue
        if queue and queue[0][0] <= at:
            return False
        self._now = at
        return True


class Calendar:
    def __init__(self, env: simpy.Environment, handler: Callable[[int, int, int], None], tokens: list[int]) -> None:
        self.env = env
        self.handler = handler  # handler(pid, kind, token)
        self.tokens = tokens
        self.clocks: dict[int, list[int]] = {}  # kind -> the token list its entries go stale by
        self.days: dict[int, list[tuple[float, int, int, int]]] = {}  # day -> [(time, pid, kind, token)]
        self._today = 0  # entries for days before this one go straight onto the heap
        self.dispatched = 0
        self.stale = 0

    def track(self, kind: int, tokens: list[int]) -> None:
        """Entries of ``kind`` go stale by ``tokens`` instead of the calendar's own list: a clock of their own."""
        self.clocks[kind] = tokens

    def add(self, t: float, pid: int, kind: int, token: int) -> None:
        """File an entry of ``kind`` for person ``pid`` at time ``t``; it is stale if ``token`` moves on (-1: never)."""
        day = int(t)
        if day < self._today:
            self._add_to_heap(t, pid, kind, token)
            return
        bucket = self.days.get(day)
        if bucket is None:
            bucket = self.days[day] = []
        bucket.append((t, pid, kind, token))

    def _add_to_heap(self, t: float, pid: int, kind: int, token: int) -> None:
        """An entry for a day already walked: a timeout of its own on SimPy's heap."""
        delay = t - self.env.now

        def fire(_event: simpy.Event) -> None:
            self._fire(pid, kind, token)

        self.env.timeout(delay if delay > 0 else 0.0).callbacks.append(fire)

    def _fire(self, pid: int, kind: int, token: int) -> None:
        if token >= 0 and self.clocks.get(kind, self.tokens)[pid] != token:
            self.stale += 1
            return
        self.dispatched += 1
        self.handler(pid, kind, token)

    def run(self) -> Process:
        """The one process that walks the days."""
        env = self.env
        move = getattr(env, "move", None)  # a plain simpy.Environment always yields a timeout
        handler = self.handler
        tokens, clocks = self.tokens, self.clocks
        while True:
            day = self._today
            self._today = day + 1
            bucket = self.days.pop(day, None)
            if bucket:
                bucket.sort(key=_TIME)  # stable: ties keep the order they were added in
                for t, pid, kind, token in bucket:
                    if token >= 0:
                        clock = clocks.get(kind, tokens) if clocks else tokens
                        if clock[pid] != token:
                            self.stale += 1
                            continue
                    now = env.now
                    if t > now:
                        delay = t - now
                        if move is None or not move(delay):
                            yield env.timeout(delay)
                            if token >= 0 and clock[pid] != token:
                                self.stale += 1
                                continue
                    self.dispatched += 1
                    handler(pid, kind, token)
            wait = self._today - env.now
            if wait > 0 and (move is None or not move(wait)):
                yield env.timeout(wait)
