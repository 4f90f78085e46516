"""Day lists (sim.core.calendar): moving the clock straight to an entry changes nothing but the count of heap events."""

from __future__ import annotations

import numpy as np
import simpy
from librt.vecs import append, vec
from mypy_extensions import i64

from sim.core.calendar import Calendar, Environment


def _run(env: simpy.Environment, seed: int, until: float = 60.0) -> tuple[list[tuple], int]:
    """Entries that add entries and make people's entries stale, next to processes on the heap; the log of it all."""
    rng = np.random.default_rng(seed)
    log: list[tuple] = []
    people = 40
    tokens = vec[i64]([0] * people)

    def handler(pid: int, kind: int, token: int) -> None:
        log.append((env.now, "entry", pid, kind))
        r = rng.random()
        if r < 0.3:  # the person's next state change (later today or on a later day)
            tokens[pid] += 1
            cal.add(env.now + float(rng.exponential(2.0)), pid, 0, tokens[pid])
        elif r < 0.4:  # a booked entry at this very time (never stale)
            cal.add(env.now, pid, 1, -1)
        elif r < 0.5:  # somebody else's scheduled change goes stale
            tokens[int(rng.integers(people))] += 1
        elif r < 0.6:  # a process started now (an event at the current time)
            env.process(stay(pid))

    def stay(pid: int):
        log.append((env.now, "stay starts", pid))
        yield env.timeout(float(rng.choice([0.0, 0.5, 1.0, rng.exponential(1.0)])))
        log.append((env.now, "stay ends", pid))

    def arrivals():
        while True:
            # whole and half days fall exactly on some entries' times
            yield env.timeout(float(rng.choice([0.5, 1.0, rng.exponential(0.7)])))
            log.append((env.now, "arrival"))
            if rng.random() < 0.5:
                pid = int(rng.integers(people))
                cal.add(env.now + float(rng.choice([0.0, 0.5, 1.0, 3.0])), pid, 2, -1)

    cal = Calendar(env, handler, tokens)
    for pid in range(people):
        tokens[pid] += 1
        cal.add(float(rng.choice([0.0, 0.5, 1.0, rng.uniform(0, 30)])), pid, 0, tokens[pid])
    env.process(cal.run())
    env.process(arrivals())
    env.run(until=until)
    return log, cal.dispatched


def test_moving_the_clock_keeps_every_time_and_the_order():
    for seed in range(5):
        plain_log, plain_n = _run(simpy.Environment(), seed)
        env = Environment()
        moved_log, moved_n = _run(env, seed)
        assert moved_log == plain_log
        assert moved_n == plain_n > 100


def test_moving_saves_heap_events():
    plain, moved = simpy.Environment(), Environment()
    _run(plain, 3)
    _run(moved, 3)
    assert next(moved._eid) < next(plain._eid)


def test_move_refuses_to_pass_a_scheduled_event():
    env = Environment()
    env.timeout(2.0)
    assert not env.move(2.0)  # an event due then goes first
    assert env.now == 0
    assert env.move(1.5)
    assert env.now == 1.5
    assert not env.move(1.0)
    env.run()
    assert env.now == 2.0
    assert env.move(5.0) and env.now == 7.0  # nothing scheduled


def test_entries_due_together_run_in_the_order_they_were_added():
    env = Environment()
    ran: list[int] = []
    tokens = vec[i64]([0] * 12)
    cal = Calendar(env, lambda pid, kind, token: ran.append(pid), tokens)
    times = [2.5, 1.25, 2.5, 2.5, 0.5, 1.25, 2.5, 0.5, 2.5, 1.25, 2.5, 0.5]  # three days, ties within each
    for pid, t in enumerate(times):
        cal.add(t, pid, 0, -1)
    env.process(cal.run())
    env.run(until=5)
    assert ran == sorted(range(len(times)), key=lambda pid: (times[pid], pid))
    assert ran != sorted(range(len(times)), key=lambda pid: (times[pid], -pid))


def test_a_kind_on_a_clock_of_its_own_goes_stale_only_by_that_clock():
    """Bumping a person's main token leaves their tracked entry alone, and bumping its own clock drops it."""
    for env in (simpy.Environment(), Environment()):
        ran: list[tuple[int, int]] = []
        tokens, own = vec[i64]([1, 1, 1]), vec[i64]([1, 1, 1])
        cal = Calendar(env, lambda pid, kind, token: ran.append((pid, kind)), tokens)
        cal.track(7, own)
        for pid in range(3):
            cal.add(1.0 + pid, pid, 0, 1)  # the next state change
            cal.add(1.5 + pid, pid, 7, 1)  # the tracked entry
        tokens[0] = tokens[1] = 2  # person 0 and 1: the state change goes stale, the tracked entry stays good
        own[1] = own[2] = 2  # person 1 and 2: the tracked entry goes stale
        env.process(cal.run())
        env.run(until=10)
        assert ran == [(0, 7), (2, 0)]
        assert cal.stale == 4 and cal.dispatched == 2


def test_the_token_column_is_read_at_each_entry_so_people_can_join_on_the_way():
    """A person who joins makes the token column a new, longer vec; the calendar reads the column it is given
    now, not the one it had when its walk began (else the newcomer's entry would be looked up out of range)."""
    env = Environment()
    ran: list[int] = []
    cal = Calendar(env, lambda pid, kind, token: ran.append(pid), vec[i64]([1]))
    cal.add(0.5, 0, 0, 1)

    def joins():
        yield env.timeout(0.25)
        cal.tokens = append(cal.tokens, 1)  # as Model.new_person_slots hands the grown column on
        cal.add(0.75, 1, 0, 1)

    env.process(cal.run())
    env.process(joins())
    env.run(until=2)
    assert ran == [0, 1] and cal.stale == 0
