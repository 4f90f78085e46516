"""Parameter sets as experiments, and the simulated targets of a calibration study.

A parameter set (one value per prior) becomes a grid point of an ordinary
experiment: every scenario of the study is resolved with those values set,
and the experiment runner runs it, resumably and in parallel, with common
random numbers across parameter sets.  A set is identified by a number
derived from its values (:func:`point_id`), so the same values asked for
again, in a later ABC generation or after an interruption, are found in the
store rather than run again.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import MATCHED_PREFIX, MDT_PREFIX
from sim.calibration.study import MATCHED, Study
from sim.experiments.experiment import ALL_METRICS, Experiment, Grid, Variant
from sim.parameters.patch import Patch
from sim.scenarios.scenario import load


def point_id(theta: np.ndarray) -> float:
    """A 48-bit number from the parameter values (exact as a float, so it can be the ``grid`` column)."""
    digest = hashlib.sha256(np.ascontiguousarray(theta, dtype=np.float64).tobytes()).digest()
    return float(int.from_bytes(digest[:6], "big"))


def design_experiment(study: Study, thetas: np.ndarray, out: Path) -> tuple[Experiment, list[float]]:
    """The experiment running every scenario of the study at each parameter set; and each set's id."""
    ids = [point_id(t) for t in thetas]
    unique = dict(zip(ids, thetas))
    scenarios = [load(f, study.settings) for f in study.scenarios]
    variants = []
    for file, plain in zip(study.scenarios, scenarios):
        for pid, theta in unique.items():
            patches = tuple(Patch(name, float(v)) for name, v in zip(study.names, theta))
            variants.append(Variant(load(file, study.settings, patches), pid))
    grid = Grid("parameter set", tuple(unique), tuple(s.name for s in scenarios), "parameter set id")
    exp = Experiment(
        name=study.name,
        description=study.description,
        path=study.path,
        scenarios=tuple(scenarios),
        files=tuple(study.scenarios),
        reference=scenarios[0].name,
        replications=study.replications,
        seed=study.seed,
        settings=study.settings,
        metrics=ALL_METRICS,
        charts=(),
        out=out,
        grid=grid,
        variants=tuple(variants),
        emulate_evaluation=any(t.cohort == MATCHED for t in study.targets),  # comparators only when a target asks
    )
    return exp, ids


def _values(kpis: pd.DataFrame) -> dict[tuple, pd.Series]:
    return {
        key: g.set_index("replication")["value"]
        for key, g in kpis.groupby(["scenario", "grid", "cohort", "metric"], sort=False)
    }


def simulated_targets(
    kpis: pd.DataFrame, study: Study, exp: Experiment, ids: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """(means, standard errors), one row per id and one column per target; NaN where runs are missing.

    A level is the mean over replications (a rate per 1,000 person-years where asked); a change is
    ``100 * mean(scenario - reference) / mean(reference)`` over paired replications, with the
    standard error of that mean difference over the same denominator.  The reference of cohort ``mdt``
    is the same people in the reference run (``mdt:X``); cohort ``matched`` is the evaluation's estimate,
    X's ``matched:X`` against the reference's ``matched:X`` (:mod:`sim.outcomes.evaluation`).
    """
    needed = {t.metric for t in study.targets} | {"person_years"}
    values = _values(kpis[kpis["metric"].isin(needed)])  # grouping every metric of every cohort is most of the time
    names = {f: s.name for f, s in zip(study.scenarios, exp.scenarios)}
    ref = exp.reference
    means = np.full((len(ids), len(study.targets)), np.nan)
    ses = np.full_like(means, np.nan)
    for i, pid in enumerate(ids):
        for j, t in enumerate(study.targets):
            name = names[t.scenario]
            cohort = MATCHED_PREFIX + name if t.cohort == MATCHED else t.cohort
            own = _series(values, name, pid, cohort, t.metric, t.per_1000_person_years)
            if own is None:
                continue
            if t.kind == "level":
                means[i, j], ses[i, j] = _mean_se(own)
                continue
            ref_cohort = MDT_PREFIX + name if t.cohort == "mdt" else cohort
            base = _series(values, ref, pid, ref_cohort, t.metric, t.per_1000_person_years)
            if base is None:
                continue
            both = pd.concat([own.rename("s"), base.rename("r")], axis=1, join="inner").dropna()
            denominator = both["r"].mean()
            if len(both) == 0 or denominator == 0:
                continue
            diff, diff_se = _mean_se(both["s"] - both["r"])
            means[i, j], ses[i, j] = 100 * diff / denominator, 100 * diff_se / abs(denominator)
    return means, ses


def _series(values: dict, scenario: str, pid: float, cohort: str, metric: str, rate: bool) -> pd.Series | None:
    v = values.get((scenario, pid, cohort, metric))
    if v is None or not rate:
        return v
    py = values.get((scenario, pid, cohort, "person_years"))
    return None if py is None else v / py * 1000.0


def _mean_se(x: pd.Series) -> tuple[float, float]:
    x = x.dropna()
    if len(x) == 0:
        return math.nan, math.nan
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
