"""Calibration studies: targets, priors, and how many runs to spend (``calibration/<study>.toml``).

::

    name = "pilots"
    description = "..."
    reference = "../scenarios/baseline.toml"   # the scenario change targets are measured against
    replications = 4                            # per parameter set, common random numbers
    seed = 1
    population = 20_000                         # a reduced place keeps the budget
    budget_runs = 4000                          # model runs the study may spend at most

    [[target]]
    name = "icp_emergency_admissions"
    kind = "change"                              # a per cent change between two scenarios ...
    scenario = "../scenarios/integrated_care_pilot.toml"
    metric = "emergency_admissions"
    cohort = "mdt"                               # the same people in both runs
    value = 2.0                                  # per cent
    sd = 3.0                                     # one standard error, same unit
    source = "seed 000_15772bc302cd49ff.txt"
    sd_source = "assumed: ..."

    [[target]]
    kind = "level"                               # ... or a level in one scenario
    scenario = "../scenarios/baseline.toml"
    metric = "emergency_admissions"
    per_1000_person_years = true                 # a rate rather than a count
    ...

    [[prior]]
    parameter = "mdt.crisis_reduction"            # a parameter of the tree (sim/parameters/params.py)
    low = 0.0
    high = 0.4
    reason = "..."

    [sensitivity]                                 # optional: what ``caresim sensitivity`` asks
    scenarios = ["../scenarios/social_care_led_mdt.toml"]  # what-ifs, answered as changes against the reference
    metrics = ["emergency_admissions", "bed_days"]  # default: the four of DEFAULT_SENSITIVITY_METRICS
    samples = 32                                  # n of scipy.stats.sobol_indices: a power of two
    population = 20_000                           # default: the study's
    replications = 2                              # per parameter set, common random numbers (default: the study's)
    morris_trajectories = 6

    [[sensitivity.prior]]                         # a parameter that no target informs, held at its prior
    parameter = "mdt.social_care_effect_multiplier"
    low = 1.0
    high = 2.0
    reason = "..."

Every problem is a :class:`StudyError` whose message is one line, ``<file>: <what>``.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.outcomes import registry
from sim.parameters.filecheck import (
    MAX_POPULATION,
    MAX_REPLICATIONS,
    MAX_RUNS,
    days,
    known_keys,
    short_name,
    whole,
)
from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, shown, walk
from sim.scenarios.scenario import RunSettings, Scenario, ScenarioError, load, read_checked

KEYS = (
    "name",
    "description",
    "reference",
    "replications",
    "seed",
    "population",
    "horizon_days",
    "warmup_days",
    "budget_runs",
    "target",
    "prior",
    "sweep",
    "abc",
    "sensitivity",
)
TARGET_KEYS = (
    "name",
    "kind",
    "scenario",
    "metric",
    "cohort",
    "value",
    "sd",
    "per_1000_person_years",
    "source",
    "sd_source",
)
PRIOR_KEYS = ("parameter", "low", "high", "reason")
SWEEP_KEYS = ("points", "morris_trajectories")
ABC_KEYS = ("particles", "generations", "quantile")
SENSITIVITY_KEYS = ("scenarios", "metrics", "samples", "population", "replications", "morris_trajectories", "prior")
DEFAULT_SENSITIVITY_METRICS = ("emergency_admissions", "bed_days", "delayed_discharge_days", "cost_total_gbp")
KINDS = ("level", "change")


class StudyError(ValueError):
    """A calibration study that cannot be used; the message is ``<file>: <what>`` on one line."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "level" or "change"
    scenario: Path
    metric: str
    cohort: str
    value: float
    sd: float
    per_1000_person_years: bool
    source: str
    sd_source: str


@dataclass(frozen=True)
class Prior:
    parameter: str  # e.g. "mdt.crisis_reduction"
    low: float
    high: float
    reason: str


@dataclass(frozen=True)
class Sensitivity:
    """What ``caresim sensitivity`` asks: which answers, to which parameters no target informs, at what size.

    The answers are each metric (cohort ``all``) at the reference, as a level, and in each what-if
    scenario, as the per cent change against the reference over paired replications.
    """

    scenarios: tuple[Path, ...]  # the what-if scenarios (the reference is the study's)
    metrics: tuple[str, ...]
    samples: int  # n of scipy.stats.sobol_indices, a power of two
    population: int | None  # None: the study's
    replications: int
    morris_trajectories: int
    priors: tuple[Prior, ...]  # parameters no target informs


@dataclass(frozen=True)
class Study:
    name: str
    description: str
    path: Path
    reference: Path
    scenarios: tuple[Path, ...]  # the reference first, then every other scenario a target names
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]
    replications: int
    seed: int
    settings: RunSettings
    budget_runs: int
    sweep_points: int = 64
    morris_trajectories: int = 8
    abc_particles: int = 60
    abc_generations: int = 4
    abc_quantile: float = 0.5
    sensitivity: Sensitivity | None = None  # the [sensitivity] table, when there is one

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.parameter for p in self.priors)

    @property
    def low(self) -> np.ndarray:
        return np.array([p.low for p in self.priors])

    @property
    def high(self) -> np.ndarray:
        return np.array([p.high for p in self.priors])

    @property
    def observed(self) -> np.ndarray:
        return np.array([t.value for t in self.targets])

    @property
    def sd(self) -> np.ndarray:
        return np.array([t.sd for t in self.targets])

    @property
    def runs_per_point(self) -> int:
        return len(self.scenarios) * self.replications


def load_study(path: str | Path, *, population: int | None = None, reps: int | None = None) -> Study:
    """Read and check a study; every scenario it names is resolved once, so errors come before any run."""
    path = Path(path)
    data, err = read_checked(path, "a calibration study", StudyError, KEYS)
    name = short_name(data, err)
    if not isinstance(data.get("description", ""), str):
        raise err(f"'description' must be text in quotes, got {shown(data['description'])}")
    if population is None and "population" in data:
        population = whole(data["population"], "population", 1000, err, MAX_POPULATION)
    settings = RunSettings(
        population=population, horizon_days=days(data, "horizon_days", err), warmup_days=days(data, "warmup_days", err)
    )
    reference = _file(path, data.get("reference"), "reference", err)
    targets = tuple(_target(t, i, path, err) for i, t in enumerate(_tables(data, "target", err), start=1))
    priors = tuple(_prior(p, i, err) for i, p in enumerate(_tables(data, "prior", err), start=1))
    if len({p.parameter for p in priors}) != len(priors):
        raise err("a parameter has two [[prior]] entries")
    if len({t.name for t in targets}) != len(targets):
        raise err("two [[target]] entries have the same name")
    scenarios = tuple(dict.fromkeys([reference] + [t.scenario for t in targets]))
    for file in scenarios:  # resolve each once, with a prior's midpoint set, to check every path now
        _resolve(file, settings, priors, err)
    sweep = data.get("sweep", {})
    abc = data.get("abc", {})
    for table, keys, label in ((sweep, SWEEP_KEYS, "sweep."), (abc, ABC_KEYS, "abc.")):
        if not isinstance(table, dict):
            raise err(f"'{label[:-1]}' must be a table")
        known_keys(table, keys, err, label)
    quantile = abc.get("quantile", 0.5)
    if isinstance(quantile, bool) or not isinstance(quantile, (int, float)) or not 0 < quantile < 1:
        raise err(f"abc.quantile must be between 0 and 1, got {quantile!r}")
    replications = (
        reps if reps is not None else whole(data.get("replications", 4), "replications", 1, err, MAX_REPLICATIONS)
    )
    sensitivity = None
    if "sensitivity" in data:
        sensitivity = _sensitivity(data["sensitivity"], path, settings, priors, replications, err)
    return Study(
        name,
        " ".join(str(data.get("description", "")).split()),
        path,
        reference,
        scenarios,
        targets,
        priors,
        replications,
        whole(data.get("seed", 1), "seed", 0, err),  # at most MAX_SEED: the results store keeps it
        settings,
        whole(data.get("budget_runs", 10_000), "budget_runs", 1, err, MAX_RUNS),
        whole(sweep.get("points", 64), "sweep.points", 2, err, MAX_RUNS),
        whole(sweep.get("morris_trajectories", 8), "sweep.morris_trajectories", 2, err, MAX_REPLICATIONS),
        whole(abc.get("particles", 60), "abc.particles", 4, err, MAX_RUNS),
        whole(abc.get("generations", 4), "abc.generations", 1, err, MAX_REPLICATIONS),
        float(quantile),
        sensitivity,
    )


def _resolve(file: Path, settings: RunSettings, priors: tuple[Prior, ...], err) -> Scenario:
    from sim.parameters.patch import Patch

    patches = tuple(Patch(p.parameter, (p.low + p.high) / 2) for p in priors)
    try:
        return load(file, settings, patches)
    except (ScenarioError, ParameterError) as e:  # a ParameterError: a run setting (population, days) out of bounds
        raise err(" ".join(str(e).split())) from None


def _tables(data: dict[str, Any], key: str, err) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise err(f"at least one [[{key}]] table is needed")
    return value


def _number(value: Any, key: str, err) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise err(f"'{key}' must be a finite number, got {shown(value)}")
    return float(value)  # an int of any size: the file's reader refused those of 2**63 or more


def _file(study: Path, entry: Any, key: str, err) -> Path:
    if not isinstance(entry, str):
        raise err(f"'{key}' must be a scenario file (relative to this file), in quotes")
    target = Path(os.path.normpath(study.parent / entry))
    if not target.is_file():
        raise err(f"'{key}' names '{entry}', which is not a file (looked for {target.as_posix()})")
    return target


def _text(t: dict[str, Any], key: str, where: str, err) -> str:
    """A key that must be text in quotes (absent: empty)."""
    value = t.get(key, "")
    if not isinstance(value, str):
        raise err(f"{where}.{key} must be text in quotes, got {shown(value)}")
    return value


def _target(t: dict[str, Any], i: int, study: Path, err) -> Target:
    where = f"target[{i}]"
    known_keys(t, TARGET_KEYS, err, f"{where}.")
    for key in ("name", "kind", "scenario", "metric", "value", "sd", "source"):
        if key not in t:
            raise err(f"{where}: missing '{key}'")
    for key in ("name", "kind", "metric", "cohort", "source", "sd_source"):
        _text(t, key, where, err)
    if t["kind"] not in KINDS:
        raise err(f"{where}.kind must be 'level' or 'change', got {t['kind']!r}")
    if t["metric"] not in registry.NAMES:
        raise err(f"{where}.metric: unknown metric {t['metric']!r}")
    cohort = t.get("cohort", "all")
    cohorts, prefix = registry.COHORT_NAMES, registry.MDT_PREFIX
    if not isinstance(cohort, str) or not (cohort in cohorts or cohort.startswith(prefix)):
        raise err(f"{where}.cohort must be one of {', '.join(cohorts)} or {prefix}<scenario>, got {cohort!r}")
    sd = _number(t["sd"], f"{where}.sd", err)
    if sd <= 0:
        raise err(f"{where}.sd must be positive (one standard error of the target), got {sd:g}")
    if t["kind"] == "change" and "sd_source" not in t:
        raise err(f"{where}: say where sd comes from ('sd_source'), or why it is assumed")
    return Target(
        t["name"],
        t["kind"],
        _file(study, t["scenario"], f"{where}.scenario", err),
        t["metric"],
        cohort,
        _number(t["value"], f"{where}.value", err),
        sd,
        bool(t.get("per_1000_person_years", False)),
        t["source"],
        t.get("sd_source", ""),
    )


def _prior(p: dict[str, Any], i: int, err, table: str = "prior") -> Prior:
    where = f"{table}[{i}]"
    known_keys(p, PRIOR_KEYS, err, f"{where}.")
    for key in PRIOR_KEYS:
        if key not in p:
            raise err(f"{where}: missing '{key}'")
    bounds = {key: (lo, hi) for key, _, meta in walk(Params()) for lo, hi in [(meta.get("lo"), meta.get("hi"))]}
    parameter = p["parameter"]
    if not isinstance(parameter, str):
        raise err(
            f'{where}.parameter must be a parameter in quotes, such as "mdt.crisis_reduction", got {shown(parameter)}'
        )
    if parameter not in bounds:
        guess = difflib.get_close_matches(str(parameter), list(bounds), n=1, cutoff=0.6)
        raise err(
            f"{where}.parameter: unknown parameter {parameter!r}" + (f"; did you mean '{guess[0]}'?" if guess else "")
        )
    low, high = _number(p["low"], f"{where}.low", err), _number(p["high"], f"{where}.high", err)
    if not low < high:
        raise err(f"{where}: low ({low:g}) must be below high ({high:g})")
    lo, hi = bounds[parameter]
    if (lo is not None and low < lo) or (hi is not None and high > hi):
        raise err(f"{where}: [{low:g}, {high:g}] leaves the parameter's valid range [{lo}, {hi}]")
    return Prior(parameter, low, high, _text(p, "reason", where, err))


def _sensitivity(
    table: Any, study: Path, settings: RunSettings, priors: tuple[Prior, ...], replications: int, err
) -> Sensitivity:
    if not isinstance(table, dict):
        raise err("'sensitivity' must be a table")
    known_keys(table, SENSITIVITY_KEYS, err, "sensitivity.")
    entries = table.get("scenarios", [])
    if not isinstance(entries, list):
        raise err("'sensitivity.scenarios' must be a list of scenario files (relative to this file)")
    scenarios = tuple(
        dict.fromkeys(_file(study, e, f"sensitivity.scenarios[{i}]", err) for i, e in enumerate(entries, start=1))
    )
    metrics = table.get("metrics", list(DEFAULT_SENSITIVITY_METRICS))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise err("'sensitivity.metrics' must be a list of metric names in quotes")
    for m in metrics:
        if m not in registry.NAMES:
            guess = difflib.get_close_matches(m, registry.NAMES, n=1, cutoff=0.6)
            raise err(f"sensitivity.metrics: unknown metric '{m}'" + (f"; did you mean '{guess[0]}'?" if guess else ""))
    samples = whole(table.get("samples", 32), "sensitivity.samples", 2, err, MAX_RUNS)
    if samples & (samples - 1):
        below = 1 << (samples.bit_length() - 1)
        raise err(
            f"'sensitivity.samples' must be a power of two (n of scipy.stats.sobol_indices), got {samples}; "
            f"try {below} or {2 * below}"
        )
    population = table.get("population")
    if population is not None:
        population = whole(population, "sensitivity.population", 1000, err, MAX_POPULATION)
        settings = replace(settings, population=population)
    tables = table.get("prior", [])
    if not isinstance(tables, list) or not all(isinstance(p, dict) for p in tables):
        raise err("'sensitivity.prior' must be [[sensitivity.prior]] tables")
    uninformed = tuple(_prior(p, i, err, "sensitivity.prior") for i, p in enumerate(tables, start=1))
    informed = {p.parameter for p in priors}
    for p in uninformed:
        if p.parameter in informed:
            raise err(
                f"sensitivity.prior: '{p.parameter}' already has a [[prior]]; list here only the parameters "
                "that no target informs"
            )
    if len({p.parameter for p in uninformed}) != len(uninformed):
        raise err("a parameter has two [[sensitivity.prior]] entries")
    for file in scenarios:
        _resolve(file, settings, priors + uninformed, err)
    return Sensitivity(
        scenarios,
        tuple(dict.fromkeys(metrics)),
        samples,
        population,
        whole(table.get("replications", replications), "sensitivity.replications", 1, err, MAX_REPLICATIONS),
        whole(table.get("morris_trajectories", 8), "sensitivity.morris_trajectories", 2, err, MAX_REPLICATIONS),
        uninformed,
    )
