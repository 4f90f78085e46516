"""Runs a worker keeps for reuse.

A run depends only on its parameters, seed and replication, and of the MDT's parameters only when a
team has co-ordinators: with none, nobody is enrolled and no pathway reads them
(tests/test_kept_runs.py).  A calibration's parameter sets change the MDT's parameters in every
scenario, the reference's included, where they change nothing; so every set runs the same reference,
and the same place elsewhere where its evaluation's controls come from
(:mod:`sim.experiments.comparator`).  A worker process (of a process pool or a Dask cluster) keeps its
last few such runs and hands them out again instead of rerunning them.  Keeping a run changes no number:
the run is deterministic.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from sim.outcomes.evaluation import pool_params
from sim.outcomes.rundata import RunData
from sim.parameters.params import Mdt, Params
from sim.replication import single
from sim.replication.single import RunResult
from sim.scenarios.scenario import scenario_hash


def run_identity(params: Params, prelaunch: Params | None) -> str:
    """What a run depends on besides its seed and replication: the hash of its parameters, with the MDT's
    left at their defaults when neither ``params`` nor ``prelaunch`` has co-ordinators."""
    before = prelaunch if prelaunch is not None else params
    if not sum(params.mdt.coordinators_per_100k) and not sum(before.mdt.coordinators_per_100k):
        params, before = dataclasses.replace(params, mdt=Mdt()), dataclasses.replace(before, mdt=Mdt())
    return scenario_hash(params, before)


class KeptRuns:
    """The last ``size`` runs made through :meth:`run`, by parameters, seed and replication."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._runs: OrderedDict[tuple[str, int, int], RunResult] = OrderedDict()

    def __len__(self) -> int:
        return len(self._runs)

    def run(self, params: Params, prelaunch: Params | None, seed: int, replication: int) -> RunResult:
        """The run of ``params`` (warm-up services ``prelaunch``): a kept one, or a new one, then kept."""
        key = (run_identity(params, prelaunch), seed, replication)
        res = self._runs.get(key)
        if res is None:
            # looked up at each call, as run_task does, so that a replaced single_run (a test's) is the one run
            res = single.single_run(params, seed=seed, replication=replication, prelaunch=prelaunch)
            self._runs[key] = res
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        else:
            self._runs.move_to_end(key)
        return res


# runs of the place elsewhere (the evaluations' controls) a process keeps: one per replication of a calibration
# of up to four (about 80 MB each at 250,000 people)
POOLS = KeptRuns(4)


def pool_run(params: Params, prelaunch: Params | None, seed: int, replication: int) -> RunData:
    """The records of the reference's run in the place elsewhere (:func:`pool_params`), kept for reuse."""
    return POOLS.run(pool_params(params), prelaunch, seed, replication).data
