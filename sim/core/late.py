"""The calendar's own heap: what waits outside the day lists, keyed as SimPy keys its events.

An item is due at a time, in turn by SimPy's priority and then by a number
from SimPy's event counter (each number used once, so no two items tie),
and runs an entry of the day lists filed late, a pathway's next step or an
action (``sim.core.calendar``).  Hundreds of thousands of items pass through
it in a run.  There are two heaps with the same methods, one for each build
(:func:`late_heap` picks): compiled, :class:`LateHeap` keeps a key as two
native numbers, the time and a rank (the priority, then the number), in
arrays beside what each item runs, where ``heapq`` on tuples would compare
keys element by element through Python's rich comparison; in pure Python,
where a heap written in Python is slow, :class:`TupleHeap` is ``heapq`` on
tuples.  The order items leave in is fixed by their keys alone, the same in
both (``tests/test_late.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Final, TypeAlias

from librt.vecs import append, pop, vec
from mypy_extensions import i64

from sim import compiled

if TYPE_CHECKING:
    from sim.core.calendar import Pathway

PRIORITY_STEP: Final[i64] = 1 << 48  # rank = priority * PRIORITY_STEP + number: a run numbers far fewer events
Action: TypeAlias = "Pathway | Callable[[], None] | None"  # None: an entry of the day lists filed late


def rank(priority: i64, number: i64) -> i64:
    """The second part of a key: priority first, then number (SimPy's order of events due at the same time)."""
    return priority * PRIORITY_STEP + number


def before(t: float, r: i64, at: float, at_rank: i64) -> bool:
    """Is key (``t``, ``r``) first, in the order of SimPy's heap (time, then priority, then number)?"""
    if t != at:
        return t < at
    return r < at_rank


class LateHeap:
    """A binary heap of what waits: key (time, rank) and what to run (person, kind, token and action).

    The heap moves keys and a slot number; what an item runs stays in its slot until it leaves (slots are
    used again), so a step of the heap moves three numbers and no Python object.
    """

    def __init__(self) -> None:
        self.t = vec[float]()  # the heap: keys, and the slot of each item
        self.rank = vec[i64]()
        self.slot = vec[i64]()
        self.pid = vec[i64]()  # by slot: what the item runs
        self.kind = vec[i64]()
        self.token = vec[i64]()
        self.action: list[Action] = []
        self.free = vec[i64]()  # slots free to use again
        # the item :meth:`pop` took last
        self.first_t = 0.0
        self.first_pid = 0
        self.first_kind = 0
        self.first_token = 0
        self.first_action: Action = None

    def __len__(self) -> int:
        return len(self.t)

    def first_time(self) -> float:
        """When the first item is due (the heap must not be empty)."""
        return self.t[0]

    def first_rank(self) -> i64:
        """The first item's rank (the heap must not be empty)."""
        return self.rank[0]

    def push(self, t: float, r: i64, pid: int, kind: int, token: int, action: Action) -> None:
        """Add an item due at ``t`` in turn ``r`` (:func:`rank`)."""
        if len(self.free):
            self.free, slot = pop(self.free)
            self.pid[slot], self.kind[slot], self.token[slot] = pid, kind, token
            self.action[slot] = action
        else:
            slot = len(self.pid)
            self.pid = append(self.pid, pid)
            self.kind = append(self.kind, kind)
            self.token = append(self.token, token)
            self.action.append(action)
        # room at the end of the heap; parents move down into it until the item's place is found
        self.t = ts = append(self.t, t)
        self.rank = ranks = append(self.rank, r)
        self.slot = append(self.slot, slot)
        i: i64 = len(ts) - 1
        while i > 0:
            parent = (i - 1) >> 1
            if not before(t, r, ts[parent], ranks[parent]):
                break
            self._move(i, parent)
            i = parent
        self._put(i, t, r, slot)

    def pop(self) -> None:
        """Take the first item off the heap into ``first_*`` (the heap must not be empty)."""
        first = self.slot[0]
        self.first_t, self.first_pid, self.first_kind = self.t[0], self.pid[first], self.kind[first]
        self.first_token, self.first_action = self.token[first], self.action[first]
        self.action[first] = None  # the slot is free: it holds nothing alive
        self.free = append(self.free, first)
        # the last item leaves the end, and sinks from the top to its place
        self.t, t = pop(self.t)
        self.rank, r = pop(self.rank)
        self.slot, slot = pop(self.slot)
        ts, ranks = self.t, self.rank
        n: i64 = len(ts)
        if n == 0:
            return
        i: i64 = 0
        while True:
            child = 2 * i + 1
            if child >= n:
                break
            if child + 1 < n and before(ts[child + 1], ranks[child + 1], ts[child], ranks[child]):
                child += 1
            if not before(ts[child], ranks[child], t, r):
                break
            self._move(i, child)
            i = child
        self._put(i, t, r, slot)

    def _move(self, to: i64, source: i64) -> None:
        self._put(to, self.t[source], self.rank[source], self.slot[source])

    def _put(self, i: i64, t: float, r: i64, slot: i64) -> None:
        self.t[i] = t
        self.rank[i] = r
        self.slot[i] = slot


class TupleHeap(LateHeap):
    """The same heap as ``heapq`` on tuples (time, rank, person, kind, token, action): the pure-Python build's."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[float, i64, int, int, int, Action]] = []

    def __len__(self) -> int:
        return len(self.items)

    def first_time(self) -> float:
        return self.items[0][0]

    def first_rank(self) -> i64:
        return self.items[0][1]

    def push(self, t: float, r: i64, pid: int, kind: int, token: int, action: Action) -> None:
        heappush(self.items, (t, r, pid, kind, token, action))  # (ranks never tie: nothing after them compared)

    def pop(self) -> None:
        self.first_t, _, self.first_pid, self.first_kind, self.first_token, self.first_action = heappop(self.items)


def late_heap() -> LateHeap:
    """The heap for this process's build: :class:`LateHeap` compiled, :class:`TupleHeap` in pure Python."""
    return LateHeap() if compiled.build_name() == "mypyc" else TupleHeap()
