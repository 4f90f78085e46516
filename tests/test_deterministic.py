"""Deterministic durations give totals known in advance."""

from __future__ import annotations

import numpy as np
import simpy
from smallplace import small

from sim.core.services import CapacityPool
from sim.replication.single import single_run
from sim.vocabulary import Ev, Spell


def test_deterministic_queue_totals():
    """D/D/1: ten arrivals one day apart, each served for 1.5 days: customer k waits 0.5k days."""
    env = simpy.Environment()
    pool = CapacityPool(env, "server", 1)
    waits = []

    def customer(k):
        yield env.timeout(float(k))
        arrived = env.now
        yield from pool.take()
        waits.append(env.now - arrived)
        yield env.timeout(1.5)
        pool.give_back()

    for k in range(10):
        env.process(customer(k))
    env.run()
    pool.tick()
    assert waits == [0.5 * k for k in range(10)]
    assert env.now == 15.0
    assert pool.area_queue == sum(waits) == 22.5  # time-integral of the queue = total waiting
    assert pool.area_in_use == 15.0  # busy from 0 to 15 without a break
    assert pool.served == 10


def test_reablement_lasts_its_fixed_length_and_the_check_is_at_91_days():
    p = small(population=20_000, horizon=365.0, warmup=60.0, discharge={"reablement_by_frailty": [0.1, 0.1, 0.1, 0.1]})
    res = single_run(p, seed=4, replication=0)
    sp = res.data.spells
    reab = sp[(sp["kind"] == Spell.REABLEMENT) & sp["end"].notna()]
    length = (reab["end"] - reab["start"]).to_numpy()
    days = p.social_care.reablement_days
    assert len(length) > 20
    assert length.max() <= days + 1e-9  # cut short only by admission or death
    assert np.isclose(length, days).mean() > 0.5
    ev = res.data.events
    checks = ev[ev["event"] == Ev.AT_HOME_91D]
    starts = sp[sp["kind"] == Spell.REABLEMENT].groupby("pid")["start"].apply(list)
    for pid, t in zip(checks["pid"], checks["time"]):
        assert any(np.isclose(t - s, 91.0) for s in starts[pid])
