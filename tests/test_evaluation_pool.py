"""The place the emulated evaluations draw their controls from: at least ``pool_population`` people.

The evaluations matched controls from the rest of England, a pool many times the cases.  A pool as
small as a small place reuses a few controls for many cases, and the estimate then moves with the
place's size (docs/evaluation.md), so the reference runs elsewhere in a place grown to the designs
file's ``pool_population``.  The suite sets ``CARESIM_POOL_POPULATION`` to 0 (tests/conftest.py); these
tests set it themselves.
"""

from __future__ import annotations

import pytest
from smallplace import small

from sim.analysis import kept_runs
from sim.analysis.kept_runs import KeptRuns
from sim.outcomes.evaluation import DESIGNS_FILE, POOL_VARIABLE, DesignError, pool_params, pool_population
from sim.parameters.params import capacity_basis, per_place
from sim.replication.single import single_run


def test_the_designs_file_draws_controls_from_a_place_of_at_least_the_default_size(monkeypatch):
    monkeypatch.delenv(POOL_VARIABLE, raising=False)
    assert pool_population(DESIGNS_FILE) == 250_000


def test_a_smaller_place_is_grown_to_the_pool_and_a_larger_one_kept(monkeypatch):
    monkeypatch.setenv(POOL_VARIABLE, "30_000")
    p = small(population=10_000)
    grown = pool_params(p)
    assert grown.place.registered_population == 30_000
    assert grown.acute == p.acute and grown.social_care == p.social_care  # the same services per 100,000
    assert per_place(grown.acute.beds_per_100k, capacity_basis(grown)) == 3 * per_place(p.acute.beds_per_100k, 10_000)
    big = small(population=40_000)
    assert pool_params(big) is big
    monkeypatch.setenv(POOL_VARIABLE, "0")
    assert pool_params(p) is p


def test_a_pinned_capacity_basis_grows_with_the_pool(monkeypatch):
    """A scenario whose services are pinned to another size keeps the same services per person elsewhere."""
    monkeypatch.setenv(POOL_VARIABLE, "40_000")
    p = small(population=10_000, place={"capacity_population": 8_000})
    grown = pool_params(p)
    assert grown.place.registered_population == 40_000
    assert grown.place.capacity_population == 32_000


@pytest.mark.parametrize("text", ["many", "-5", "2.5"])
def test_a_bad_pool_size_in_the_environment_names_the_variable(monkeypatch, text):
    monkeypatch.setenv(POOL_VARIABLE, text)
    with pytest.raises(DesignError, match=POOL_VARIABLE):
        pool_population()


def test_a_worker_keeps_its_last_pools_and_runs_each_once(monkeypatch):
    """The pool's run depends on the reference, seed and replication only, so a calibration's parameter
    sets share it: the same key returns the same records, another replication a run of its own."""
    monkeypatch.setenv(POOL_VARIABLE, "6_000")
    monkeypatch.setattr(kept_runs, "POOLS", KeptRuns(2))
    p = small(population=3_000, horizon=60.0, warmup=30.0)
    first = kept_runs.pool_run(p, p, seed=4, replication=0)
    own = single_run(p, seed=4, replication=0).data
    assert len(first.people["age0"]) > 1.5 * len(own.people["age0"])  # a place of 6,000, not 3,000
    assert kept_runs.pool_run(p, p, seed=4, replication=0) is first
    other = kept_runs.pool_run(p, p, seed=4, replication=1)
    assert other is not first
    kept_runs.pool_run(p, p, seed=4, replication=2)  # a third: the first is let go
    assert len(kept_runs.POOLS) == 2
    assert kept_runs.pool_run(p, p, seed=4, replication=0) is not first
