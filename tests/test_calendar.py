"""Day lists (sim.core.calendar): walking them between SimPy's events changes nothing but the count of events.

The reference is a walk written the plain SimPy way (:class:`TimeoutWalk`): a process that yields a timeout
for every wait, and a timeout for every entry filed for a day already walked; its pathways are SimPy processes
and its delayed actions timeouts' callbacks.  The calendar must run the same entries, pathways and actions, at
the same times, in the same order among everything else that happens, with fewer events.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from librt.vecs import append, vec
from mypy_extensions import i64

from sim.core.calendar import Calendar, Environment


class TimeoutWalk:
    """The day lists walked by a SimPy process that yields a timeout for each wait: the reference."""

    def __init__(self, env: simpy.Environment, handler: Callable[[int, int, int], None], tokens: vec[i64]) -> None:
        self.env, self.handler, self.tokens = env, handler, tokens
        self.clocks: dict[int, vec[i64]] = {}
        self.days: dict[int, list[tuple[float, int, int, int]]] = {}
        self.today = 0
        self.dispatched = self.stale = 0

    def track(self, kind: int, tokens: vec[i64]) -> None:
        self.clocks[kind] = tokens

    def _good(self, pid: int, kind: int, token: int) -> bool:
        if token < 0 or self.clocks.get(kind, self.tokens)[pid] == token:
            return True
        self.stale += 1
        return False

    def _run_entry(self, pid: int, kind: int, token: int) -> None:
        if self._good(pid, kind, token):
            self.dispatched += 1
            self.handler(pid, kind, token)

    def add(self, t: float, pid: int, kind: int, token: int) -> None:
        if int(t) < self.today:
            self.env.timeout(max(t - self.env.now, 0.0)).callbacks.append(lambda _e: self._run_entry(pid, kind, token))
        else:
            self.days.setdefault(int(t), []).append((t, pid, kind, token))

    def start(self) -> None:
        self.env.process(self._walk())

    def start_pathway(self, generator):
        """The pathway as a SimPy process, a number of days it yields as a timeout."""

        def process():
            sent = None
            while True:
                try:
                    step = generator.send(sent)
                except StopIteration:
                    return
                sent = yield self.env.timeout(step) if isinstance(step, float) else step

        self.env.process(process())

    def after(self, delay: float, action: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _e: action())

    def _walk(self):
        env = self.env
        while True:
            day = self.today
            self.today += 1
            for t, pid, kind, token in sorted(self.days.pop(day, []), key=lambda entry: entry[0]):  # stable
                if not self._good(pid, kind, token):
                    continue
                if t > env.now:
                    yield env.timeout(t - env.now)
                    if not self._good(pid, kind, token):
                        continue
                self.dispatched += 1
                self.handler(pid, kind, token)
            if self.today > env.now:
                yield env.timeout(self.today - env.now)


def _run(env: simpy.Environment, walk: type, seed: int, until: float = 60.0) -> tuple[list[tuple], int, int]:
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
        elif r < 0.6:  # a pathway started now (its first step an event at the current time)
            cal.start_pathway(stay(pid))
        elif r < 0.7:  # an action some days from now (none: at once, after what is due now)
            cal.after(float(rng.choice([0.0, 0.5, rng.exponential(1.0)])), lambda: log.append((env.now, "action", pid)))

    def stay(pid: int):
        log.append((env.now, "stay starts", pid))
        yield float(rng.choice([0.0, 0.5, 1.0, rng.exponential(1.0)]))  # days to wait
        log.append((env.now, "stay goes on", pid))
        yield env.timeout(float(rng.choice([0.0, 0.25])))  # a SimPy event
        log.append((env.now, "stay ends", pid))

    def arrivals():
        while True:
            # whole and half days fall exactly on some entries' times
            yield env.timeout(float(rng.choice([0.5, 1.0, rng.exponential(0.7)])))
            log.append((env.now, "arrival"))
            if rng.random() < 0.5:
                pid = int(rng.integers(people))
                cal.add(env.now + float(rng.choice([0.0, 0.5, 1.0, 3.0])), pid, 2, -1)

    cal = walk(env, handler, tokens)
    for pid in range(people):
        tokens[pid] += 1
        cal.add(float(rng.choice([0.0, 0.5, 1.0, rng.uniform(0, 30)])), pid, 0, tokens[pid])
    cal.start()
    env.process(arrivals())
    env.run(until=until / 2)  # stopped and run on, as a run stops at the end of its warm-up
    env.run(until=until)
    return log, cal.dispatched, cal.stale


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_calendar_runs_what_a_walk_of_timeouts_runs_at_the_same_times_in_the_same_order(seed):
    reference = _run(simpy.Environment(), TimeoutWalk, seed)
    walked = _run(Environment(), Calendar, seed)
    assert walked == reference
    assert reference[1] > 50  # entries run (about 90 at the least, over the first 400 seeds)


def test_the_calendar_makes_fewer_than_half_the_events_of_a_walk_of_timeouts():
    plain, env = simpy.Environment(), Environment()
    _run(plain, TimeoutWalk, 3)
    _run(env, Calendar, 3)
    cal = env.calendar
    assert cal is not None and cal.waits > 0
    assert next(env._eid) - cal.waits < next(plain._eid) / 2  # the events made: fewer than half the reference's


def test_an_entry_due_with_an_event_runs_after_it_and_before_what_that_event_schedules():
    env = Environment()
    log: list[tuple[str, float]] = []
    cal = Calendar(env, lambda pid, kind, token: log.append(("entry", env.now)), vec[i64]([0]))

    def process():
        yield env.timeout(2.0)
        log.append(("event", env.now))
        env.timeout(0.0).callbacks.append(lambda _e: log.append(("scheduled by the event", env.now)))

    env.process(process())
    cal.add(2.0, 0, 0, -1)
    cal.add(4.0, 0, 0, -1)
    cal.start()
    env.run(until=4.0)  # the run's end goes first: the entry due then waits for the next run
    assert log == [("event", 2.0), ("entry", 2.0), ("scheduled by the event", 2.0)]
    env.run(until=5.0)
    assert log[-1] == ("entry", 4.0)


def test_entries_due_together_run_in_the_order_they_were_added():
    env = Environment()
    ran: list[int] = []
    tokens = vec[i64]([0] * 12)
    cal = Calendar(env, lambda pid, kind, token: ran.append(pid), tokens)
    times = [2.5, 1.25, 2.5, 2.5, 0.5, 1.25, 2.5, 0.5, 2.5, 1.25, 2.5, 0.5]  # three days, ties within each
    for pid, t in enumerate(times):
        cal.add(t, pid, 0, -1)
    cal.start()
    env.run(until=5)
    assert ran == sorted(range(len(times)), key=lambda pid: (times[pid], pid))
    assert ran != sorted(range(len(times)), key=lambda pid: (times[pid], -pid))


def test_a_kind_on_a_clock_of_its_own_goes_stale_only_by_that_clock():
    """Bumping a person's main token leaves their tracked entry alone, and bumping its own clock drops it."""
    env = Environment()
    ran: list[tuple[int, int]] = []
    tokens, own = vec[i64]([1, 1, 1]), vec[i64]([1, 1, 1])
    cal = Calendar(env, lambda pid, kind, token: ran.append((pid, kind)), tokens)
    cal.track(7, own)
    for pid in range(3):
        cal.add(1.0 + pid, pid, 0, 1)  # the next state change
        cal.add(1.5 + pid, pid, 7, 1)  # the tracked entry
    tokens[0] = tokens[1] = 2  # person 0 and 1: the state change goes stale, the tracked entry stays good
    own[1] = own[2] = 2  # person 1 and 2: the tracked entry goes stale
    cal.start()
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

    cal.start()
    env.process(joins())
    env.run(until=2)
    assert ran == [0, 1] and cal.stale == 0


def test_a_pathway_gets_what_its_events_send_and_the_errors_of_failed_ones_as_a_process_does():
    def pathway(env, log):
        sent = yield env.timeout(1.0, value="a value")
        log.append((env.now, sent))
        failing = env.event()
        failing.fail(ValueError("no bed"))
        try:
            yield failing
        except ValueError as error:
            log.append((env.now, str(error)))
        yield 0.5 if isinstance(env, Environment) else env.timeout(0.5)
        log.append((env.now, "done"))

    plain, env = simpy.Environment(), Environment()
    plain_log: list[tuple[float, str]] = []
    log: list[tuple[float, str]] = []
    plain.process(pathway(plain, plain_log))
    Calendar(env, lambda pid, kind, token: None, vec[i64]()).start_pathway(pathway(env, log))
    plain.run(until=5)
    env.run(until=5)
    assert log == plain_log == [(1.0, "a value"), (1.0, "no bed"), (1.5, "done")]


def test_an_error_in_a_pathway_stops_the_run():
    def pathway(env):
        yield 1.0
        raise RuntimeError("a pathway's own error")

    env = Environment()
    Calendar(env, lambda pid, kind, token: None, vec[i64]()).start_pathway(pathway(env))
    with pytest.raises(RuntimeError, match="a pathway's own error"):
        env.run(until=5)


def test_a_negative_wait_is_refused():
    env = Environment()
    cal = Calendar(env, lambda pid, kind, token: None, vec[i64]())
    with pytest.raises(ValueError, match="at least 0"):
        cal.after(-1.0, lambda: None)


def test_the_clock_is_simpys_time():
    env = Environment(initial_time=2.0)
    assert env.now == env.clock.now == 2.0
    env.timeout(1.5)
    env.run()
    assert env.now == env.clock.now == 3.5
