"""Capacitated services: pools of units with priority FIFO queues, and daily slot counters.

``CapacityPool`` is the one queueing class of the model (social workers,
home care packages, reablement places, intermediate care beds, care home
places; the acute beds are three pools behind one queue in A&E,
``sim.core.hospital``).  It is lighter than ``simpy.Resource``: a unit that is free is
taken without any event; only a wait creates one.  It keeps the time integrals
of units in use and of the queue, so occupancy and Little's law can be checked
from the pool itself, independently of the records.
"""

from __future__ import annotations

from collections import deque

import simpy

from sim.core.calendar import Process


class CapacityPool:
    """``capacity`` identical units; requests wait FIFO within priority (0 first)."""

    __slots__ = (
        "env",
        "name",
        "capacity",
        "in_use",
        "queues",
        "waiting",
        "_last",
        "area_in_use",
        "area_queue",
        "served",
        "max_in_use",
    )

    def __init__(self, env: simpy.Environment, name: str, capacity: int, priorities: int = 1) -> None:
        if capacity < 0:
            raise ValueError(f"{name}: capacity must be at least 0, got {capacity}")
        self.env = env
        self.name = name
        self.capacity = int(capacity)
        self.in_use = 0
        self.queues: tuple[deque[simpy.Event], ...] = tuple(deque() for _ in range(priorities))
        self.waiting = 0
        self._last = env.now
        self.area_in_use = 0.0  # integral of units in use over time
        self.area_queue = 0.0  # integral of the number waiting over time
        self.served = 0
        self.max_in_use = 0

    def tick(self) -> None:
        """Bring the time integrals up to now (they are kept up to the last change)."""
        now = self.env.now
        dt = now - self._last
        if dt:
            self.area_in_use += self.in_use * dt
            self.area_queue += self.waiting * dt
            self._last = now

    @property
    def free(self) -> int:
        return self.capacity - self.in_use

    def try_take(self, reserve: int = 0) -> bool:
        """Take a unit now if more than ``reserve`` are free and nobody waits; no event."""
        if self.capacity - self.in_use > reserve and not self.waiting:
            self.tick()
            self.in_use += 1
            self.served += 1
            if self.in_use > self.max_in_use:
                self.max_in_use = self.in_use
            return True
        return False

    def _enqueue(self, priority: int) -> simpy.Event:
        event = simpy.Event(self.env)
        self.tick()
        self.queues[priority].append(event)
        self.waiting += 1
        return event

    def _hand_over(self) -> bool:
        """Give a unit to the first waiter in the highest priority, if anyone waits."""
        for q in self.queues:
            if q:
                self.waiting -= 1
                self.served += 1
                q.popleft().succeed()
                return True
        return False

    def take(self, priority: int = 0) -> Process:
        """Generator for ``yield from pool.take()``: returns at once if free, else waits its turn.

        A waiter interrupted (a person who dies while waiting) leaves the queue, and gives back a unit
        handed over to it in the same instant.
        """
        if self.try_take():
            return
        event = self._enqueue(priority)
        try:
            yield event
        except simpy.Interrupt:
            self.leave(event)
            raise

    def leave(self, event: simpy.Event) -> None:
        """The waiter of ``event`` leaves before its turn; a unit already handed over to it is given back."""
        if event.triggered:
            self.give_back()
            return
        for queue in self.queues:
            if event in queue:
                self.tick()
                queue.remove(event)
                self.waiting -= 1
                return
        raise RuntimeError(f"{self.name}: the waiter that leaves is not in the queue")

    def join_queue(self, priority: int = 0) -> simpy.Event:
        """An event that fires when a unit is handed over (for callers that are not processes)."""
        if self.try_take():
            event = simpy.Event(self.env)
            event.succeed()
            return event
        return self._enqueue(priority)

    def give_back(self) -> None:
        """Release a unit: the first waiter in the highest priority gets it (unless the pool is shrinking)."""
        self.tick()
        if self.in_use > self.capacity:  # capacity was cut: units leave as they are released
            self.in_use -= 1
            return
        if self._hand_over():
            return
        if self.in_use <= 0:
            raise RuntimeError(f"{self.name}: more units given back than taken")
        self.in_use -= 1

    def resize(self, capacity: int) -> None:
        """Change the number of units (a scenario's launch): new units go to waiters at once."""
        if capacity < 0:
            raise ValueError(f"{self.name}: capacity must be at least 0, got {capacity}")
        self.tick()
        self.capacity = int(capacity)
        while self.waiting and self.in_use < self.capacity:
            self.in_use += 1
            self._hand_over()
        self.max_in_use = max(self.max_in_use, self.in_use)

    def preload(self, units: int) -> None:
        """Mark units in use at the start (the initial state)."""
        if self.in_use + units > self.capacity:
            raise ValueError(f"{self.name}: cannot have {self.in_use + units} units in use of {self.capacity}")
        self.tick()
        self.in_use += units
        self.max_in_use = max(self.max_in_use, self.in_use)


class DailySlots:
    """Slots per day (GP, outpatients): a contact takes a slot today or is deferred. Not a queue."""

    __slots__ = ("per_day", "day", "used", "deferred", "used_total")

    def __init__(self, per_day: int) -> None:
        if per_day < 0:
            raise ValueError(f"slots per day must be at least 0, got {per_day}")
        self.per_day = int(per_day)
        self.day = -1
        self.used = 0
        self.deferred = 0
        self.used_total = 0

    def take(self, now: float) -> bool:
        d = int(now)
        if d != self.day:
            self.day, self.used = d, 0
        if self.used < self.per_day:
            self.used += 1
            self.used_total += 1
            return True
        self.deferred += 1
        return False
