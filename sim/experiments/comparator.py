"""The comparator task: the published evaluations' design, emulated inside the experiment runner.

``caresim compare`` emulates each evaluation (:mod:`sim.outcomes.evaluation`) with every run in one
process.  The runner keeps its tasks independent: each scenario task whose MDT enrolled anyone returns
its cases' part (:class:`sim.experiments.tasks.Cases`), and one comparator task per replication (and
grid point and draw of the reference) runs the reference scenario in another place, replication
``COMPARATOR + r`` with the same seed, matches controls for those cases in its own run and returns
cohort ``matched:X`` for the reference (the evaluation's counterfactual counts) and for X (the cases'
counts in the window after), with the matching's balance: the numbers ``compare`` writes.  Without
any cases it runs nothing.

The place elsewhere is at least the designs file's ``pool_population`` in size
(:func:`sim.outcomes.evaluation.pool_params`).  Its run depends only on the reference's parameters (the
MDT's aside, which no one reads there), the seed and the replication, so a worker keeps its last few
(:func:`sim.analysis.kept_runs.pool_run`): a calibration's parameter sets share them.  Keeping a
run changes no number.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.compare import COMPARATOR
from sim.analysis.kept_runs import pool_run
from sim.experiments.tasks import Cases
from sim.outcomes.evaluation import emulate_cases, load_designs, matched_kpis
from sim.parameters.params import Params

SIDES = ("reference", "scenario")  # whose rows of cohort matched:X: the reference's or the scenario X's
MATCHED_COLUMNS = ["side", "cohort", "metric", "value"]


@dataclass(frozen=True)
class Partner:
    """A scenario run of the same replication: its key, scenario name, grid point and case summary."""

    key: str
    scenario: str
    grid: Any
    cases: Cases | None  # None: nobody enrolled


@dataclass(frozen=True)
class ComparatorSpec:
    """Everything the comparator's worker needs (picklable): the reference scenario's parameters, the
    replication it runs (``COMPARATOR + r``) and its partners' cases."""

    key: str
    scenario: str
    grid: Any
    replication: int
    seed: int
    params: Params
    prelaunch: Params
    partners: tuple[Partner, ...] = ()


@dataclass
class ComparatorResult:
    key: str
    seconds: float = 0.0
    error: str | None = None
    matched: dict[str, pd.DataFrame] = field(default_factory=dict)  # partner key -> MATCHED_COLUMNS
    balance: dict[str, pd.DataFrame] = field(default_factory=dict)  # partner key -> design, BALANCE_COLUMNS
    partners: tuple[str, ...] = ()  # every partner handed over, cases or not (the store links them)
    ran: bool = False  # whether the model ran (only when some partner had cases)


def comparator_replication(replication: int) -> int:
    """The replication a comparator runs for replication ``replication``: another place like it."""
    return COMPARATOR + replication


def run_comparator(spec: ComparatorSpec) -> ComparatorResult:
    """Match controls for every partner's cases in a run of the reference elsewhere; never raises."""
    t0 = time.perf_counter()
    out = ComparatorResult(spec.key, partners=tuple(p.key for p in spec.partners))
    try:
        with_cases = [p for p in spec.partners if p.cases is not None and len(p.cases.frame)]
        if with_cases:
            pool = pool_run(spec.params, spec.prelaunch, spec.seed, spec.replication)
            out.ran = True
            designs = load_designs()[0]
            for p in with_cases:
                assert p.cases is not None
                em = emulate_cases(pool, p.cases.frame, designs[p.cases.design])
                if em is None:  # nobody matched
                    continue
                counterfactual, observed = matched_kpis(em, p.scenario)
                out.matched[p.key] = pd.concat(
                    [counterfactual.assign(side=SIDES[0]), observed.assign(side=SIDES[1])], ignore_index=True
                )[MATCHED_COLUMNS]
                out.balance[p.key] = em.balance.assign(design=em.design.name)
    except Exception as e:  # reported with the task, the others go on
        frames = traceback.extract_tb(e.__traceback__)[-2:]
        where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
        out = ComparatorResult(spec.key, error=f"{type(e).__name__}: {' '.join(str(e).split())} (at {where})")
    out.seconds = time.perf_counter() - t0
    return out
