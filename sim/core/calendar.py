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

An entry is four numbers (time, person, kind, token; its kind the value of a
``sim.vocabulary.Kind``, not the member), kept packed as doubles in its day's
``vec``: no Python object per entry, so filing one allocates nothing, the
many entries filed years ahead give Python's cycle collector nothing to walk,
and a day's entries sit side by side in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Final, TypeAlias

import numpy as np
import simpy
from librt.vecs import append, vec
from mypy_extensions import i64

ENTRY: Final = 4  # doubles per entry: time, person, kind, token
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
    def __init__(self, env: simpy.Environment, handler: Callable[[int, int, int], None], tokens: vec[i64]) -> None:
        self.env = env
        self.handler = handler  # handler(pid, kind, token)
        self.tokens = tokens
        self.clocks: dict[int, vec[i64]] = {}  # kind -> the token list its entries go stale by
        self.days: dict[int, vec[float]] = {}  # day -> its entries, ENTRY doubles each (time, pid, kind, token)
        self._today = 0  # entries for days before this one go straight onto the heap
        self.dispatched = 0
        self.stale = 0

    def track(self, kind: int, tokens: vec[i64]) -> None:
        """Entries of ``kind`` go stale by ``tokens`` instead of the calendar's own list: a clock of their own."""
        self.clocks[kind] = tokens

    def add(self, t: float, pid: int, kind: int, token: int) -> None:
        """File an entry of ``kind`` for person ``pid`` at time ``t``; it is stale if ``token`` moves on (-1: never)."""
        day = int(t)
        if day < self._today:
            self._add_to_heap(t, pid, kind, token)
            return
        days = self.days
        bucket = days.get(day)
        if bucket is None:
            bucket = vec[float](capacity=64)
        days[day] = append(append(append(append(bucket, t), float(pid)), float(kind)), float(token))

    def _add_to_heap(self, t: float, pid: int, kind: int, token: int) -> None:
        """An entry for a day already walked: a timeout of its own on SimPy's heap."""
        delay = t - self.env.now

        def fire(_event: simpy.Event) -> None:
            self._fire(pid, kind, token)

        self.env.timeout(delay if delay > 0 else 0.0).callbacks.append(fire)

    def _token(self, pid: int, kind: int) -> int:
        """The person's token now on the clock that entries of ``kind`` go stale by (read at each use: a
        column is a new object when the population grows)."""
        clocks = self.clocks
        return (clocks.get(kind, self.tokens) if clocks else self.tokens)[pid]

    def _fire(self, pid: int, kind: int, token: int) -> None:
        if token >= 0 and self._token(pid, kind) != token:
            self.stale += 1
            return
        self.dispatched += 1
        self.handler(pid, kind, token)

    def run(self) -> Process:
        """The one process that walks the days."""
        env = self.env
        move = getattr(env, "move", None)  # a plain simpy.Environment always yields a timeout
        handler = self.handler
        while True:
            day = self._today
            self._today = day + 1
            bucket = self.days.pop(day, None)
            if bucket is not None:
                # in order of time; entries due at the same time in the order they were added (a stable sort)
                order = vec[i64](np.argsort(np.frombuffer(memoryview(bucket))[::ENTRY], kind="stable"))
                for r in order:
                    at = r * ENTRY
                    t = bucket[at]
                    pid, kind, token = int(bucket[at + 1]), int(bucket[at + 2]), int(bucket[at + 3])
                    if token >= 0 and self._token(pid, kind) != token:
                        self.stale += 1
                        continue
                    now = env.now
                    if t > now:
                        delay = t - now
                        if move is None or not move(delay):
                            yield env.timeout(delay)
                            if token >= 0 and self._token(pid, kind) != token:
                                self.stale += 1
                                continue
                    self.dispatched += 1
                    handler(pid, kind, token)
            wait = self._today - env.now
            if wait > 0 and (move is None or not move(wait)):
                yield env.timeout(wait)
