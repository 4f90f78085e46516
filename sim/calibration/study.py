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
    cohort = "mdt"                               # the same people in both runs ("matched": as evaluations measured)
    value = 2.0                                  # per cent
    sd = 3.0                                     # one standard error, same unit
    source = "seed 000_15772bc302cd49ff.txt"
    sd_source = "assumed: ..."
    fit = true                                   # default; false: a check, measured and reported, never fitted

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
    emulator_replications = 4                     # ``--route emulator``'s own (default: replications)
    morris_trajectories = 6
    emulator_points = 160                         # ``--route emulator``'s design (default: ten per parameter)
    emulator_base_sample = 4096                   # its Saltelli sample on the emulators: a power of two (the default)

    [[sensitivity.prior]]                         # a parameter that no target informs, held at its prior
    parameter = "mdt.social_care_effect_multiplier"
    low = 1.0
    high = 2.0
    reason = "..."

    [[sensitivity.contrast]]                      # optional: the gap between two what-ifs, itself an answer
    name = "social_care_led_minus_nurse_led"      # letters, digits and underscores
    scenario = "../scenarios/social_care_led_mdt.toml"  # one of sensitivity.scenarios ...
    minus = "../scenarios/nurse_led_mdt.toml"     # ... minus another of them, or the reference

    [history_matching]                            # optional: ``caresim calibrate --route emulator``
    waves = 4                                     # at most (sim/calibration/history_matching.py: the rules)
    points_per_wave = 30                          # default: ten per parameter
    cutoff = 3.0                                  # implausibility that rules a set out
    rank = 2                                      # 1: the largest over the targets, 2: the second largest
    check_draws = 20                              # posterior draws run in the model at the end
    distance = "sd_and_noise"                     # the default; "sd": over each target's sd alone
    target_noise = true                           # the default: draw each target with its sd too (see
                                                  # sim/calibration/history_matching.py; [abc] has it too)

A sensitivity-only study (``calibration/costs.toml``) has a ``[sensitivity]`` table and no ``[[target]]`` or
``[[prior]]``: every parameter it varies is a ``[[sensitivity.prior]]``.  ``caresim sensitivity`` reads it
(``load_study(..., require_fit=False)``); ``sweep`` and ``calibrate``, which need targets, refuse it.

Every problem is a :class:`StudyError` whose message is one line, ``<file>: <what>``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
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
    "history_matching",
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
    "fit",
)
PRIOR_KEYS = ("parameter", "low", "high", "reason")
# sensitivity.emulator_base_sample's bounds: a Saltelli sample smaller than 64 rows is mostly sampling noise;
# one of 65,536 rows holds 64 realisations of 1.2 million points in memory per answer read at once (600 MB)
MIN_BASE_SAMPLE, MAX_BASE_SAMPLE = 64, 65_536
# a change target's cohort measured as the published evaluations measured it: X's matched:X against the
# reference's matched:X (sim.outcomes.evaluation, docs/evaluation.md)
MATCHED = "matched"
SWEEP_KEYS = ("points", "morris_trajectories")
ABC_KEYS = ("particles", "generations", "quantile", "min_fall", "target_noise")
SENSITIVITY_KEYS = (
    "scenarios",
    "metrics",
    "samples",
    "population",
    "replications",
    "morris_trajectories",
    "emulator_points",
    "emulator_base_sample",
    "emulator_replications",
    "prior",
    "contrast",
)
CONTRAST_KEYS = ("name", "scenario", "minus")
HISTORY_MATCHING_KEYS = (
    "waves",
    "points_per_wave",
    "cutoff",
    "rank",
    "candidates",
    "stop_share",
    "accuracy",
    "particles",
    "generations",
    "min_fall",
    "min_shift",
    "min_acceptance",
    "check_draws",
    "folds",
    "distance",
    "target_noise",
)
# How the posterior on the emulators measures a draw's distance from the targets (sim.calibration.history_matching)
DISTANCES = ("sd", "sd_and_noise")
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
    # False: a check, measured in every run and reported with its z, but left out of the distance, the point
    # estimate, the emulators and the screening (a figure met by construction is no evidence of fit)
    fit: bool = True


@dataclass(frozen=True)
class Prior:
    parameter: str  # e.g. "mdt.crisis_reduction"
    low: float
    high: float
    reason: str


@dataclass(frozen=True)
class Contrast:
    """The gap between two what-ifs of a ``[sensitivity]`` table: ``scenario``'s answers minus ``minus``'s.

    For each metric it is the difference of their per cent changes against the reference (percentage
    points of the reference); with ``minus`` the reference itself, it is ``scenario``'s change.
    """

    name: str
    scenario: Path  # one of the table's what-ifs
    minus: Path  # another of them, or the study's reference


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
    contrasts: tuple[Contrast, ...] = ()  # [[sensitivity.contrast]]: differences between what-ifs
    emulator_points: int | None = None  # design points of ``--route emulator``; None: ten per parameter
    emulator_base_sample: int | None = None  # N of its Saltelli sample on the emulators; None: BASE_SAMPLE
    emulator_replications: int | None = None  # replications per set of ``--route emulator``; None: replications


@dataclass(frozen=True)
class HistoryMatchingSettings:
    """The ``[history_matching]`` table: how ``caresim calibrate --route emulator`` spends its runs
    (:mod:`sim.calibration.history_matching` states the rules)."""

    waves: int = 4  # at most
    points_per_wave: int | None = None  # None: ten per parameter
    cutoff: float = 3.0  # implausibility above which a set is ruled out (three-sigma rule)
    rank: int = 1  # 1: the largest implausibility over the targets; 2: the second largest
    candidates: int = 16384  # Sobol sample for the share not ruled out and the next wave's candidates
    stop_share: float = 0.2  # stop once that share shrinks by less than this share of itself
    accuracy: float = 0.1  # stop once the emulators' variance is below this x sd^2 everywhere left
    particles: int = 500  # ABC-SMC on the emulators
    generations: int = 30  # at most
    min_fall: float = 0.05
    check_draws: int = 20  # posterior draws checked in the model, with the point estimate
    min_shift: float = 0.05  # stop once no parameter's mean or 90% bounds move by this share of its prior width
    min_acceptance: float = 0.001  # or once a generation cannot keep this share of its proposals
    # cross-validation folds that check each wave's emulators and scale their variance up where too small
    # (sim.calibration.emulators); 0: none, the fitted variance taken as it is (the committed fit's way)
    folds: int = 0
    # what each target's difference is measured against in the posterior on the emulators: as the ABC route
    # does, its sd and the replication noise (caresim 0.11.0 on), or its sd alone (the 0.10.0 fit's way)
    # (sim.calibration.history_matching)
    distance: str = "sd_and_noise"
    # whether each emulated draw carries the target's own sd as observation noise (the measurement model
    # whose posterior ABC tends to: the targets as uncertain as stated) or compares the simulated mean with the
    # targets as they are, as the ABC route does unless its [abc] target_noise is true
    target_noise: bool = True


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
    abc_min_fall: float = 0.05  # ABC-SMC stops once its tolerance falls by less than this share
    # ABC-SMC alone: add to each simulated mean a draw of N(0, sd^2), each target's own uncertainty, as the
    # emulator route's draws carry it (sim.calibration.calibrate.abc_fit); False: the targets as they are
    abc_target_noise: bool = False
    history_matching: HistoryMatchingSettings | None = None  # the [history_matching] table, when there is one

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
    def fitted(self) -> np.ndarray:
        """Per target, whether the fit uses it (``fit = true``); the others are checks, only reported."""
        return np.array([t.fit for t in self.targets], dtype=bool)

    @property
    def checks(self) -> tuple[Target, ...]:
        """The targets measured and reported but not fitted (``fit = false``)."""
        return tuple(t for t in self.targets if not t.fit)

    @property
    def runs_per_point(self) -> int:
        return len(self.scenarios) * self.replications


def load_study(
    path: str | Path, *, population: int | None = None, reps: int | None = None, require_fit: bool = True
) -> Study:
    """Read and check a study; every scenario it names is resolved once, so errors come before any run.

    ``require_fit=False`` (``caresim sensitivity``) also accepts a sensitivity-only study: a ``[sensitivity]``
    table with no ``[[target]]`` or ``[[prior]]``, whose parameters are all ``[[sensitivity.prior]]``s.
    """
    path = Path(path)
    data, err = read_checked(path, "a calibration study", StudyError, KEYS)
    optional = not require_fit and "sensitivity" in data  # a sensitivity-only study needs no target or prior
    name = short_name(data, err)
    if not isinstance(data.get("description", ""), str):
        raise err(f"'description' must be text in quotes, got {shown(data['description'])}")
    if population is None and "population" in data:
        population = whole(data["population"], "population", 1000, err, MAX_POPULATION)
    settings = RunSettings(
        population=population, horizon_days=days(data, "horizon_days", err), warmup_days=days(data, "warmup_days", err)
    )
    reference = _file(path, data.get("reference"), "reference", err)
    targets = tuple(_target(t, i, path, err) for i, t in enumerate(_tables(data, "target", err, optional), start=1))
    priors = tuple(_prior(p, i, err) for i, p in enumerate(_tables(data, "prior", err, optional), start=1))
    if len({p.parameter for p in priors}) != len(priors):
        raise err("a parameter has two [[prior]] entries")
    if len({t.name for t in targets}) != len(targets):
        raise err("two [[target]] entries have the same name")
    if targets and not any(t.fit for t in targets):
        raise err("every [[target]] has fit = false: at least one target must be fitted")
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
        sensitivity = _sensitivity(data["sensitivity"], path, reference, settings, priors, replications, err)
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
        abc_min_fall=_share(abc.get("min_fall", 0.05), "abc.min_fall", err),
        abc_target_noise=_flag(abc.get("target_noise", False), "abc.target_noise", err),
        history_matching=_history_matching(data.get("history_matching"), sum(t.fit for t in targets), err),
    )


def _resolve(file: Path, settings: RunSettings, priors: tuple[Prior, ...], err) -> Scenario:
    from sim.parameters.patch import Patch

    patches = tuple(Patch(p.parameter, (p.low + p.high) / 2) for p in priors)
    try:
        return load(file, settings, patches)
    except (ScenarioError, ParameterError) as e:  # a ParameterError: a run setting (population, days) out of bounds
        raise err(" ".join(str(e).split())) from None


def _tables(data: dict[str, Any], key: str, err, optional: bool = False) -> list[dict[str, Any]]:
    """The ``[[key]]`` tables; at least one unless ``optional`` (then absent is none)."""
    if optional and key not in data:
        return []
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        hint = ""
        if "sensitivity" in data:
            hint = " (a study of a [sensitivity] table alone serves caresim sensitivity only)"
        raise err(f"at least one [[{key}]] table is needed{hint}")
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
    cohorts, prefix = (*registry.COHORT_NAMES, MATCHED), registry.MDT_PREFIX
    if not isinstance(cohort, str) or not (cohort in cohorts or cohort.startswith(prefix)):
        guess = difflib.get_close_matches(str(cohort), cohorts, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        raise err(f"{where}.cohort must be one of {', '.join(cohorts)} or {prefix}<scenario>, got {cohort!r}{hint}")
    if cohort == MATCHED and t.get("kind") != "change":
        raise err(f"{where}.cohort 'matched' is the evaluation's estimate, a change: set kind = \"change\"")
    sd = _number(t["sd"], f"{where}.sd", err)
    if sd <= 0:
        raise err(f"{where}.sd must be positive (one standard error of the target), got {sd:g}")
    if t["kind"] == "change" and "sd_source" not in t:
        raise err(f"{where}: say where sd comes from ('sd_source'), or why it is assumed")
    fit = t.get("fit", True)
    if not isinstance(fit, bool):
        raise err(f"{where}.fit must be true or false (false: a check, reported but not fitted), got {shown(fit)}")
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
        fit,
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
    table: Any, study: Path, reference: Path, settings: RunSettings, priors: tuple[Prior, ...], replications: int, err
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
    contrasts = _contrasts(table.get("contrast", []), study, scenarios, reference, err)
    return Sensitivity(
        scenarios,
        tuple(dict.fromkeys(metrics)),
        samples,
        population,
        whole(table.get("replications", replications), "sensitivity.replications", 1, err, MAX_REPLICATIONS),
        whole(table.get("morris_trajectories", 8), "sensitivity.morris_trajectories", 2, err, MAX_REPLICATIONS),
        uninformed,
        contrasts,
        _emulator_points(table, err),
        _emulator_base_sample(table, err),
        _emulator_replications(table, err),
    )


def _emulator_replications(table: dict, err) -> int | None:
    """``sensitivity.emulator_replications``: replications per parameter set of ``caresim sensitivity --route
    emulator`` (None: ``sensitivity.replications``, as the direct route).  Its own key because the routes
    spend runs differently: more replications narrow what the emulators cannot tell from replication noise,
    while the direct route's Saltelli design would run each one at thousands of sets."""
    reps = table.get("emulator_replications")
    return None if reps is None else whole(reps, "sensitivity.emulator_replications", 1, err, MAX_REPLICATIONS)


def _emulator_points(table: dict, err) -> int | None:
    """``sensitivity.emulator_points``: the design of ``caresim sensitivity --route emulator`` (None: ten per
    parameter)."""
    points = table.get("emulator_points")
    return None if points is None else whole(points, "sensitivity.emulator_points", 4, err, MAX_RUNS)


def _emulator_base_sample(table: dict, err) -> int | None:
    """``sensitivity.emulator_base_sample``: N of the Saltelli sample the emulator route evaluates its emulators
    on (None: :data:`sim.calibration.sobol_emulated.BASE_SAMPLE`).  More narrows the indices' sampling part
    of their intervals (its variance falls as 1/N) at no model run's cost; the reading's time and memory grow
    with it."""
    n = table.get("emulator_base_sample")
    if n is None:
        return None
    n = whole(n, "sensitivity.emulator_base_sample", MIN_BASE_SAMPLE, err, MAX_BASE_SAMPLE)
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise err(
            f"'sensitivity.emulator_base_sample' must be a power of two (the Saltelli sample is a Sobol' "
            f"sequence), got {n}; try {below} or {2 * below}"
        )
    return n


def _contrasts(tables: Any, study: Path, scenarios: tuple[Path, ...], reference: Path, err) -> tuple[Contrast, ...]:
    """The ``[[sensitivity.contrast]]`` tables: each names two of the table's what-ifs (``minus`` may be the
    study's reference), given as in ``sensitivity.scenarios``."""
    if not isinstance(tables, list) or not all(isinstance(c, dict) for c in tables):
        raise err("'sensitivity.contrast' must be [[sensitivity.contrast]] tables")
    out = []
    for i, c in enumerate(tables, start=1):
        where = f"sensitivity.contrast[{i}]"
        known_keys(c, CONTRAST_KEYS, err, f"{where}.")
        for key in CONTRAST_KEYS:
            if key not in c:
                raise err(f"{where}: missing '{key}'")
        name = _text(c, "name", where, err)
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise err(f"{where}.name must be letters, digits and underscores (it names answers), got {name!r}")
        what_ifs = tuple(f for f in scenarios if f != reference)
        scenario = _among(c["scenario"], f"{where}.scenario", study, what_ifs, "sensitivity.scenarios", err)
        among = "sensitivity.scenarios or the reference"
        minus = _among(c["minus"], f"{where}.minus", study, (*what_ifs, reference), among, err)
        if scenario == minus:
            raise err(f"{where}: 'scenario' and 'minus' name the same file")
        out.append(Contrast(name, scenario, minus))
    if len({c.name for c in out}) != len(out):
        raise err("two [[sensitivity.contrast]] entries have the same name")
    return tuple(out)


def _among(entry: Any, key: str, study: Path, allowed: tuple[Path, ...], among: str, err) -> Path:
    """A scenario file that must be one of ``allowed`` (``among``, in words); otherwise an error naming the
    closest of them."""
    if not isinstance(entry, str):
        raise err(f"'{key}' must be a scenario file (relative to this file), in quotes")
    target = Path(os.path.normpath(study.parent / entry))
    if target in allowed:
        return target
    shown_as = {Path(os.path.relpath(a, study.parent)).as_posix(): a for a in allowed}
    guess = difflib.get_close_matches(entry, list(shown_as), n=1, cutoff=0.5)
    hint = f"; did you mean '{guess[0]}'?" if guess else f"; one of {', '.join(shown_as) or 'none (add it there)'}"
    raise err(f"'{key}' names '{entry}', which is not among {among}{hint}")


def _share(value: Any, key: str, err) -> float:
    """A share from 0 (included) to 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise err(f"'{key}' must be a number from 0 up to (not including) 1, got {shown(value)}")
    return float(value)


def _history_matching(table: Any, targets: int, err) -> HistoryMatchingSettings | None:
    """The optional ``[history_matching]`` table (keys of :data:`HISTORY_MATCHING_KEYS`), checked."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise err("'history_matching' must be a table")
    known_keys(table, HISTORY_MATCHING_KEYS, err, "history_matching.")
    d = HistoryMatchingSettings()
    cutoff = _number(table.get("cutoff", d.cutoff), "history_matching.cutoff", err)
    if cutoff <= 0:
        raise err(f"'history_matching.cutoff' must be positive, got {cutoff:g}")
    accuracy = _number(table.get("accuracy", d.accuracy), "history_matching.accuracy", err)
    if accuracy <= 0:
        raise err(f"'history_matching.accuracy' must be positive, got {accuracy:g}")
    points = table.get("points_per_wave")
    folds = whole(table.get("folds", d.folds), "history_matching.folds", 0, err, 20)
    if folds == 1:
        raise err("'history_matching.folds' must be 0 (no cross-validation) or at least 2, got 1")
    distance = table.get("distance", d.distance)
    if distance not in DISTANCES:
        guess = difflib.get_close_matches(str(distance), DISTANCES, n=1, cutoff=0.5)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        raise err(f"'history_matching.distance' must be one of {', '.join(DISTANCES)}, got {shown(distance)}{hint}")
    return HistoryMatchingSettings(
        whole(table.get("waves", d.waves), "history_matching.waves", 1, err, MAX_REPLICATIONS),
        None if points is None else whole(points, "history_matching.points_per_wave", 3, err, MAX_RUNS),
        cutoff,
        whole(table.get("rank", d.rank), "history_matching.rank", 1, err, targets),
        whole(table.get("candidates", d.candidates), "history_matching.candidates", 64, err, 1 << 20),
        _share(table.get("stop_share", d.stop_share), "history_matching.stop_share", err),
        accuracy,
        whole(table.get("particles", d.particles), "history_matching.particles", 4, err, MAX_RUNS),
        whole(table.get("generations", d.generations), "history_matching.generations", 1, err, MAX_REPLICATIONS),
        _share(table.get("min_fall", d.min_fall), "history_matching.min_fall", err),
        whole(table.get("check_draws", d.check_draws), "history_matching.check_draws", 0, err, MAX_RUNS),
        _share(table.get("min_shift", d.min_shift), "history_matching.min_shift", err),
        _share(table.get("min_acceptance", d.min_acceptance), "history_matching.min_acceptance", err),
        folds,
        distance,
        _flag(table.get("target_noise", d.target_noise), "history_matching.target_noise", err),
    )


def _flag(value: Any, key: str, err) -> bool:
    """A true-or-false setting, checked."""
    if not isinstance(value, bool):
        raise err(f"'{key}' must be true or false, got {shown(value)}")
    return value
