"""Running an experiment: plan its tasks, run what the store lacks, and commit each as it finishes.

Tasks are (scenario at a grid point, on a posterior draw where the experiment
has a ``[posterior]`` table) x replication; a draw's number and values are
part of the store key, so draws never share a run and a draw asked for again
finds its runs.  A reference task depends on the tasks of the same
replication (and draw) that it is compared with in pairs:
it runs once they have finished, so that it can measure their enrolled
people in its own run (the same-people MDT counterfactual).  Tasks are
submitted replication by replication, references first as soon as they are
ready, so partial results are balanced.

Where the reference's partners include an MDT, the reference task also has a
comparator (:mod:`sim.experiments.comparator`): the reference run elsewhere,
replication ``COMPARATOR + r``, which matches controls for the partners'
enrolled people once they have finished, as the published evaluations did
(cohort ``matched:X``).  Like ``compare``'s, comparator runs are not counted
among the experiment's runs; they are stored apart and resumed like them.

With a ``[precision]`` table, rounds of replications are added until the
rule in :mod:`sim.experiments.precision` is met or its maximum is reached.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim import __version__
from sim.analysis.compare import same_population
from sim.experiments.comparator import ComparatorResult, ComparatorSpec, Partner, comparator_replication, run_comparator
from sim.experiments.experiment import Experiment, Variant
from sim.experiments.exports import collect
from sim.experiments.precision import assess, next_replications
from sim.experiments.store import Store
from sim.experiments.tasks import Enrolled, TaskResult, TaskSpec, run_task, task_key
from sim.scenarios.scenario import scenario_hash


@dataclass(frozen=True)
class Planned:
    key: str
    variant: Variant
    order: int  # the variant's position in the experiment
    replication: int
    scenario_hash: str
    is_reference: bool
    deps: tuple[str, ...] = ()  # keys of the tasks measured in pairs against this reference task
    comparator: Planned | None = None  # a reference task's comparator (matched controls for its partners)
    is_comparator: bool = False

    def meta(self, seed: int, commit: str | None) -> dict[str, Any]:
        return {
            "scenario": self.variant.name,
            "grid": self.variant.grid,
            "replication": self.replication,
            "seed": seed,
            "scenario_hash": self.scenario_hash,
            "version": __version__,
            "git_commit": commit,
        }


@dataclass
class Outcome:
    """What happened: the tasks planned, those run by this call, and those that failed (key -> error)."""

    tasks: list[Planned]
    keys_run: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    replications: int = 0
    events: int = 0
    assessment: pd.DataFrame | None = None
    comparators_run: set[str] = field(default_factory=set)  # comparator tasks run by this call (not counted above)
    comparators_failed: dict[str, str] = field(default_factory=dict)

    @property
    def comparators(self) -> list[Planned]:
        """The comparator tasks of the planned reference tasks."""
        return [t.comparator for t in self.tasks if t.comparator is not None]

    @property
    def ran(self) -> int:
        return len(self.keys_run)

    @property
    def reused(self) -> int:
        """Tasks found in the store, not run by this call."""
        return sum(t.key not in self.keys_run for t in self.tasks)


def paired_with_reference(exp: Experiment) -> dict[str, bool]:
    ref = next(s for s in exp.scenarios if s.name == exp.reference)
    return {s.name: same_population(ref, s) for s in exp.scenarios}


def has_mdt(variant: Variant) -> bool:
    """Whether a variant's scenario has MDT co-ordinators (so that it may enrol people to evaluate)."""
    return sum(variant.scenario.params.mdt.coordinators_per_100k) > 0


def plan(exp: Experiment, replications: int) -> list[Planned]:
    """Every task of ``replications`` replications, in submission order (replication, then variant)."""
    paired = paired_with_reference(exp)
    hashes = [scenario_hash(v.scenario.params, v.scenario.prelaunch) for v in exp.variants]
    tasks = []
    for rep in range(replications):
        keys = [
            task_key(h, v.grid, exp.seed, rep, None if v.draw is None else v.draw.identity())
            for h, v in zip(hashes, exp.variants)
        ]
        for i, v in enumerate(exp.variants):
            is_ref = v.name == exp.reference
            deps: tuple[str, ...] = ()
            if is_ref:
                deps = tuple(
                    k
                    for k, w in zip(keys, exp.variants)
                    if w.name != exp.reference
                    and paired[w.name]
                    and (v.grid is None or w.grid == v.grid)
                    and w.draw == v.draw
                )
            comparator = None
            evaluated = tuple(k for k, w in zip(keys, exp.variants) if k in deps and has_mdt(w))
            if exp.emulate_evaluation and evaluated:
                elsewhere = comparator_replication(rep)
                draw = None if v.draw is None else v.draw.identity()
                key = task_key(hashes[i], v.grid, exp.seed, elsewhere, draw)
                comparator = Planned(key, v, i, elsewhere, hashes[i], False, evaluated, is_comparator=True)
            tasks.append(Planned(keys[i], v, i, rep, hashes[i], is_ref, deps, comparator))
    return tasks


def run_tasks(
    tasks: list[Planned],
    exp: Experiment,
    store: Store,
    executor,
    commit: str | None,
    progress: Callable[[Planned, str | None], None] | None = None,
) -> Outcome:
    """Run the tasks the store lacks; each result is committed as it arrives."""
    status = store.status()
    compared = store.comparator_status()
    out = Outcome(tasks)
    queue: deque[Planned] = deque()
    refs: list[Planned] = []  # reference tasks and comparators: they wait for their partners
    for t in tasks:
        if t.is_reference:
            refs.append(t)
            if t.comparator is not None:
                refs.append(t.comparator)
        elif status.get(t.key) != "ok":
            queue.append(t)
    unsettled = {t.key for t in queue}  # partners still to run in this call
    in_flight: dict[Any, Planned] = {}
    capacity = max(1, executor.workers)

    def ready_references() -> None:
        """Reference tasks whose partners have all finished go to the front of the queue, in order."""
        ready = [t for t in refs if not unsettled.intersection(t.deps)]
        for t in ready:
            refs.remove(t)
        rerun = [
            t
            for t in ready
            if (compared if t.is_comparator else status).get(t.key) != "ok"
            or not store.linked(t.key) >= {d for d in t.deps if status.get(d) == "ok"}
        ]
        queue.extendleft(reversed(rerun))

    while queue or refs or in_flight:
        ready_references()
        while queue and len(in_flight) < capacity:
            t = queue.popleft()
            if t.is_comparator:
                in_flight[executor.submit(run_comparator, comparator_spec(t, exp, store, status))] = t
            else:
                in_flight[executor.submit(run_task, spec(t, exp, store, status))] = t
        if not in_flight:
            if refs:  # only when a dependency can never finish: a bug, not bad input
                raise RuntimeError(f"tasks wait on dependencies that never run: {[t.key for t in refs]}")
            break
        for future in executor.wait_first(in_flight):
            t = in_flight.pop(future)
            if t.is_comparator:
                _settle_comparator(t, future, store, exp, commit, out, compared)
                continue
            try:
                result = future.result()
            except Exception as e:  # the worker itself failed (e.g. lost), not the model
                result = TaskResult(t.key, error=f"{type(e).__name__}: {e}")
            with _no_interrupt():
                store.put(result, t.meta(exp.seed, commit))
            status[t.key] = "failed" if result.error else "ok"
            unsettled.discard(t.key)
            out.keys_run.add(t.key)
            out.events += result.events
            if result.error:
                out.failed[t.key] = result.error
            if progress is not None:
                progress(t, result.error)
    return out


def spec(t: Planned, exp: Experiment, store: Store, status: dict[str, str]) -> TaskSpec:
    """The worker's input; a reference task carries the enrolments of its finished partners."""
    others = []
    for d in t.deps:
        if status.get(d) == "ok":
            scenario, grid = store.identity(d)
            others.append(Enrolled(d, scenario, grid, *store.enrolled(d)))
    s = t.variant.scenario
    return TaskSpec(
        t.key, s.name, t.variant.grid, t.replication, exp.seed, s.params, s.prelaunch, tuple(others), exp.by_year
    )


def comparator_spec(t: Planned, exp: Experiment, store: Store, status: dict[str, str]) -> ComparatorSpec:
    """The comparator's input: the reference's parameters and the case summaries of its finished partners."""
    partners = []
    for d in t.deps:
        if status.get(d) == "ok":
            scenario, grid = store.identity(d)
            partners.append(Partner(d, scenario, grid, store.cases(d)))
    s = t.variant.scenario
    return ComparatorSpec(
        t.key, s.name, t.variant.grid, t.replication, exp.seed, s.params, s.prelaunch, tuple(partners)
    )


def _settle_comparator(
    t: Planned, future, store: Store, exp: Experiment, commit: str | None, out: Outcome, compared: dict[str, str]
) -> None:
    """Commit a finished comparator task and note it (apart from the runs)."""
    try:
        result = future.result()
    except Exception as e:  # the worker itself failed (e.g. lost), not the model
        result = ComparatorResult(t.key, error=f"{type(e).__name__}: {e}")
    with _no_interrupt():
        store.put_comparator(result, t.meta(exp.seed, commit))
    compared[t.key] = "failed" if result.error else "ok"
    out.comparators_run.add(t.key)
    if result.error:
        out.comparators_failed[t.key] = result.error


class _no_interrupt:
    """Hold Ctrl-C while a result is committed, so a run is never half-written."""

    def __enter__(self):
        self._caught = None
        try:
            self._old = signal.signal(signal.SIGINT, self._hold)
        except ValueError:  # not the main thread
            self._old = None
        return self

    def _hold(self, signum, frame):
        self._caught = (signum, frame)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            if self._caught is not None:
                raise KeyboardInterrupt


def run_experiment(
    exp: Experiment,
    store: Store,
    executor,
    commit: str | None,
    progress: Callable[[Planned, str | None], None] | None = None,
    on_plan: Callable[[list[Planned], int], None] | None = None,
) -> Outcome:
    """Run the experiment's replications (and more, while a precision target is unmet)."""
    reps = exp.replications
    total = Outcome([])
    while True:
        tasks = plan(exp, reps)
        if on_plan is not None:
            on_plan(tasks, reps)
        out = run_tasks(tasks, exp, store, executor, commit, progress)
        total = Outcome(
            tasks,
            total.keys_run | out.keys_run,
            {**total.failed, **out.failed},
            reps,
            total.events + out.events,
            comparators_run=total.comparators_run | out.comparators_run,
            comparators_failed={**total.comparators_failed, **out.comparators_failed},
        )
        if exp.precision is None or out.failed:
            return total
        assessment = assess(collect(store, tasks, exp)["kpis"], exp.precision)
        total.assessment = assessment
        more = next_replications(assessment, exp.precision, reps, executor.workers)
        if more == reps:
            return total
        reps = more
