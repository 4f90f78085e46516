"""Reproducibility, common random numbers and isolation between people (brief sections 4 and 9)."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from smallplace import UNLIMITED, small

from sim.core import model
from sim.parameters.tree import to_dict
from sim.pathways import home
from sim.replication.single import GC_OBJECTS, build, rare_collections, single_run
from sim.vocabulary import Ev, Place


def test_same_seed_gives_identical_tables():
    p = small(population=12_000, horizon=200.0, warmup=30.0)
    a, b = single_run(p, seed=5, replication=2), single_run(p, seed=5, replication=2)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events(), b.events())


def test_different_seeds_and_replications_differ():
    p = small(population=12_000, horizon=200.0, warmup=30.0)
    base = single_run(p, seed=5, replication=0).kpis["value"].to_numpy()
    for seed, rep in ((6, 0), (5, 1)):
        other = single_run(p, seed=seed, replication=rep).kpis["value"].to_numpy()
        assert not np.allclose(base, other, equal_nan=True)


def test_a_run_never_changes_its_inputs():
    p = small(population=8_000, horizon=100.0, warmup=20.0)
    before = to_dict(p)
    single_run(p, seed=1, replication=0)
    assert to_dict(p) == before


def test_capacity_of_an_unused_service_changes_nothing_but_its_capacity_cost():
    """Nobody is sent to reablement; its number of places changes no activity and only its capacity cost."""
    none = {"reablement_by_frailty": [0.0, 0.0, 0.0, 0.0]}
    place = {"population": 12_000, "horizon": 200.0, "warmup": 30.0, "discharge": none}
    a, b = (
        single_run(small(**place, social_care={"reablement_places_per_100k": n}), seed=2, replication=0)
        for n in (24.0, 48.0)
    )
    ka = a.kpis.set_index(["cohort", "metric"])["value"]
    kb = b.kpis.set_index(["cohort", "metric"])["value"]
    activity = [
        i
        for i in ka.index
        if not i[1].startswith("cost_")
        or i[1] in ("cost_activity_gbp", "cost_primary_care_gbp", "cost_hospital_gbp", "cost_community_gbp")
    ]
    pd.testing.assert_series_equal(ka[activity], kb[activity])
    pd.testing.assert_frame_equal(a.events(), b.events())
    extra_places = b.data.capacity["reablement"] - a.data.capacity["reablement"]
    years = (a.data.window_end - a.data.window_start) / 365.25
    from sim.outcomes.costs import unit_costs

    expected = extra_places * years * unit_costs(a.data.params.costs)["reablement_place_year"]
    diff = kb[("all", "cost_capacity_gbp")] - ka[("all", "cost_capacity_gbp")]
    assert extra_places > 0 and np.isclose(diff, expected)
    assert np.isclose(kb[("all", "cost_total_gbp")] - ka[("all", "cost_total_gbp")], expected)


def _run_with_forced_death(p, seed: int, victim: int | None, when: float):
    m = build(p, seed=seed, replication=0)
    if victim is not None:

        def kill(_e):
            if m.pop.place[victim] in (Place.HOME, Place.CARE_HOME):
                home.die(m, victim, Place(m.pop.place[victim]))

        m.env.timeout(when).callbacks.append(kill)
    m.env.run(until=m.window_end)
    return m


def _draw_counts(m, victim: int) -> dict[str, list[int]]:
    """How many uniforms each person used from each stream (which numbers they were is fixed by the key)."""
    n = len(m.pop)
    return {
        name: [s.draws_used(pid) for pid in range(n) if pid != victim]
        for name, s in sorted(m.streams._person_streams.items())
    }


def test_one_persons_changed_path_leaves_everyone_else_unchanged():
    """Forcing one person to die early leaves others' draws identical and, with unlimited capacity, their crises."""
    p = small(population=8_000, horizon=200.0, warmup=10.0, **UNLIMITED)
    base = _run_with_forced_death(p, seed=11, victim=None, when=0)
    ev0 = base.rec.frames()["events"]
    crises = ev0[ev0["event"] == Ev.CRISIS]
    victim = int(crises["pid"].value_counts().index[0])  # somebody with several crises
    changed = _run_with_forced_death(p, seed=11, victim=victim, when=5.0)
    ev1 = changed.rec.frames()["events"]
    assert changed.pop.place[victim] == Place.DEAD and ev1[ev1["pid"] == victim]["time"].max() <= 5.0 + 1e-9
    # the victim's own history did change
    assert len(ev1[ev1["pid"] == victim]) < len(ev0[ev0["pid"] == victim])
    others0 = ev0[ev0["pid"] != victim].sort_values(["pid", "time", "event"]).reset_index(drop=True)
    others1 = ev1[ev1["pid"] != victim].sort_values(["pid", "time", "event"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(others0[others0["event"] == Ev.CRISIS], others1[others1["event"] == Ev.CRISIS])
    pd.testing.assert_frame_equal(others0, others1)
    # and every other person drew the same number of uniforms from every stream: the same numbers
    assert _draw_counts(base, victim) == _draw_counts(changed, victim)


def test_a_scenarios_warm_up_is_the_reference_warm_up_and_it_launches_at_the_window():
    """Interventions switch on at the window's start: before it, a scenario and its reference are the same run."""
    base = small(population=12_000, horizon=150.0, warmup=60.0)
    scenario = small(
        population=12_000,
        horizon=150.0,
        warmup=60.0,
        community={"rapid_response_per_100k": 40.0, "single_point_of_access": True},
        acute={"beds_per_100k": 150.0},
    )
    a = single_run(base, seed=3, replication=1)
    b = single_run(scenario, seed=3, replication=1, prelaunch=base)
    W = a.data.window_start
    before = lambda r: r.data.events[r.data.events["time"] < W].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(before(a), before(b))
    after = lambda r: r.data.events[r.data.events["time"] >= W]  # noqa: E731
    # from the window on, a single point of access offers rapid response to three times the share of crises
    # (0.30 against 0.10), and the team has room for five visits at once against one
    assert (after(b)["event"] == Ev.RAPID_RESPONSE).sum() > 2 * max(1, (after(a)["event"] == Ev.RAPID_RESPONSE).sum())
    assert b.data.capacity["acute_beds"] < a.data.capacity["acute_beds"]
    # without a separate warm-up the scenario differs from the start
    c = single_run(scenario, seed=3, replication=1)
    assert not before(c).equals(before(a))


def test_a_long_run_keeps_more_first_draws_at_hand_and_draws_the_same_numbers(monkeypatch):
    """A run longer than the default keeps more of each person's first draws at hand (memory for speed); every
    number drawn, and so every table, is the one a run keeping the default widths makes."""
    default_width = {name: w for names, w in model.STREAM_GROUPS for name in names}
    assert all(model.stream_width(w, model.WIDTHS_RUN_DAYS) == w for w in default_width.values())
    p = small(population=4_000, horizon=3 * 365.25, warmup=365.0)  # 1.33 times the default run's length
    long_run = single_run(p, seed=4, replication=1)
    widths = {s.name: s._width for s in build(p, seed=4, replication=1).streams._person_streams.values()}
    assert all(widths[n] > default_width[n] for n in ("crisis", "route", "los"))
    monkeypatch.setattr(model, "LONG_RUN_WIDTHS", 1.0)
    kept = build(p, seed=4, replication=1).streams._person_streams
    assert all(kept[n]._width == w for n, w in default_width.items())
    default = single_run(p, seed=4, replication=1)
    pd.testing.assert_frame_equal(long_run.kpis, default.kpis)
    pd.testing.assert_frame_equal(long_run.timeseries, default.timeseries)
    pd.testing.assert_frame_equal(long_run.data.events, default.data.events)
    pd.testing.assert_frame_equal(long_run.yearly(), default.yearly())


def test_a_run_collects_garbage_rarely_and_leaves_the_collector_as_it_found_it():
    before = gc.get_threshold()
    try:
        gc.set_threshold(900, 11, 12)
        with rare_collections():
            assert gc.get_threshold() == (GC_OBJECTS, 11, 12)
        single_run(small(population=2_000, horizon=30.0, warmup=0.0), seed=3)
        assert gc.get_threshold() == (900, 11, 12)
        with pytest.raises(RuntimeError), rare_collections():
            raise RuntimeError("a run that fails")
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)


def test_the_people_table_keeps_flags_as_booleans_codes_as_integers_and_times_as_floats():
    """The population's columns are packed arrays (``librt.vecs``); its table has the types a list of Python
    values would give (numpy reads a ``vec[bool]`` as bytes unless told otherwise)."""
    people = single_run(small(population=2_000, horizon=60.0, warmup=0.0), seed=3).data.people
    assert {name: people[name].dtype for name in ("alone", "moved_in", "moved_away")} == dict.fromkeys(
        ("alone", "moved_in", "moved_away"), np.dtype(bool)
    )
    assert all(people[name].dtype == np.int64 for name in ("frailty", "need", "imd", "place"))
    assert all(people[name].dtype == np.float64 for name in ("age0", "entered", "died", "risk"))
    assert people["alone"].any() and not people["alone"].all()
