"""The calendar's own heaps (sim.core.late): items leave in the order ``heapq`` gives the same keys, in both."""

from __future__ import annotations

import heapq
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import compiled
from sim.core.calendar import NORMAL, URGENT
from sim.core.late import LateHeap, TupleHeap, before, late_heap, rank

# a step: push an item (time from a few values, so that times tie; priority) or pop the first
PUSH = st.tuples(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.25, 3.0]), st.sampled_from([URGENT, NORMAL]))
STEPS = st.lists(st.one_of(PUSH, st.none()), max_size=300)


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, native=st.booleans())
def test_items_leave_in_heapqs_order_and_carry_what_they_run(steps, native):
    heap, reference = LateHeap() if native else TupleHeap(), []
    number = 0
    for step in steps:
        if step is None:
            if not reference:
                assert len(heap) == 0
                continue
            t, priority, n, pid, kind, token, action = heapq.heappop(reference)
            heap.pop()
            got = (heap.first_t, heap.first_pid, heap.first_kind, heap.first_token, heap.first_action)
            assert got == (t, pid, kind, token, action)
        else:
            t, priority = step
            number += 1
            action = None if number % 3 == 0 else f"action {number}"  # (any object: what the calendar runs)
            item = (t, priority, number, number % 7, number % 5, number - 10, action)
            heapq.heappush(reference, item)
            heap.push(t, rank(priority, number), item[3], item[4], item[5], action)
        assert len(heap) == len(reference)
        if reference:  # the first item is the reference's first
            first = reference[0]
            assert (heap.first_time(), heap.first_rank()) == (first[0], rank(first[1], first[2]))


def test_a_key_is_first_by_time_then_priority_then_number():
    assert before(1.0, rank(NORMAL, 9), 2.0, rank(URGENT, 1))
    assert before(1.0, rank(URGENT, 9), 1.0, rank(NORMAL, 1))
    assert before(1.0, rank(NORMAL, 1), 1.0, rank(NORMAL, 2))
    assert not before(1.0, rank(NORMAL, 2), 1.0, rank(NORMAL, 2))


@pytest.mark.parametrize("heap", [LateHeap, TupleHeap])
def test_an_item_that_left_is_not_kept_alive(heap):
    """A pathway that has left the heap (and finished) is freed: its slot keeps no reference to it."""

    class Pathway:  # (a stand-in for what the calendar runs)
        pass

    heap, pathway = heap(), Pathway()
    alive = weakref.ref(pathway)
    heap.push(1.0, rank(NORMAL, 1), -1, 0, -1, pathway)
    heap.push(2.0, rank(NORMAL, 2), 3, 4, 5, None)
    heap.pop()
    del pathway
    heap.first_action = None  # (what the calendar does with it: runs it, then lets it go)
    assert alive() is None
    heap.pop()
    assert (heap.first_pid, heap.first_kind, heap.first_token) == (3, 4, 5) and len(heap) == 0


def test_each_build_has_its_heap():
    """Native keys where the calendar is compiled, heapq where it is Python (a heap written in Python is slow)."""
    heap = late_heap()
    assert type(heap) is (LateHeap if compiled.build_name() == "mypyc" else TupleHeap)
