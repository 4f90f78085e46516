"""Experiment files: scenarios x grid points x replications, to be run unattended.

An experiment is a TOML file::

    name = "resource_shift_sweep"
    description = "..."
    scenarios = ["../scenarios/baseline.toml", "../scenarios/resource_shift.toml"]  # relative to this file
    reference = "baseline"          # a scenario's name (default: the first)
    replications = 5
    seed = 1
    population = 50_000             # optional: run settings, as the command-line flags
    horizon_days = 730
    warmup_days = 365
    metrics = ["emergency_admissions", "bed_days"]   # summarised (default: all)
    charts = ["forest", "response"]                  # default: all that apply
    out = "results/resource_shift_sweep"             # relative to where the command runs

    [grid]                           # optional: one parameter swept over values
    parameter = "shift[1].amount_gbp_per_year"       # as written in the scenario file
    values = [0, 1_000_000, 2_000_000]
    scenarios = ["resource_shift"]   # which scenarios it applies to (default: all but the reference)

    [precision]                      # optional: add replications until intervals are this narrow
    metrics = ["emergency_admissions"]
    half_width_pct = 5.0             # 95% half-width as a percentage of the mean
    max_replications = 40

    [posterior]                      # optional: run K posterior draws x replications (sim/analysis/posterior.py)
    draws = 5                        # at least 2
    file = "../calibration/fitted/pilots/posterior.csv"   # relative to this file (this is the default)

Every problem is an :class:`ExperimentError` whose message is one line,
``<file>: <what>``; nothing runs before the whole file and every scenario in
it has been checked.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.posterior import DEFAULT_FILE, Draw, PosteriorError, load_posterior
from sim.outcomes import registry
from sim.parameters.filecheck import MAX_POPULATION, MAX_REPLICATIONS, days, known_keys, short_name, whole
from sim.parameters.patch import Patch, parse_path
from sim.parameters.tree import ParameterError, shown
from sim.scenarios.scenario import (
    BASELINE,
    RunSettings,
    Scenario,
    ScenarioError,
    baseline,
    check_names,
    load,
    read_checked,
)

CHARTS = ("forest", "timeseries", "costs", "ledger", "response")
KEYS = (
    "name",
    "description",
    "scenarios",
    "reference",
    "replications",
    "seed",
    "population",
    "horizon_days",
    "warmup_days",
    "metrics",
    "charts",
    "out",
    "grid",
    "precision",
    "posterior",
)
GRID_KEYS = ("parameter", "values", "scenarios", "label")
PRECISION_KEYS = ("metrics", "cohort", "half_width_pct", "max_replications", "look_ahead")
POSTERIOR_KEYS = ("draws", "file")
COHORTS = registry.COHORT_NAMES
ALL_METRICS = registry.NAMES


class ExperimentError(ValueError):
    """An experiment file that cannot be used; the message is ``<file>: <what>`` on one line."""


@dataclass(frozen=True)
class Grid:
    """One parameter (a path in the scenario files) swept over values, for some scenarios."""

    parameter: str
    values: tuple[Any, ...]
    scenarios: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Precision:
    """Stop adding replications when every named metric's 95% half-width is this share of its mean.

    The rule of Hoad, Robinson and Davies (2010): the precision must hold for
    ``look_ahead`` further replications (scaled up beyond 100) before it is accepted.
    """

    metrics: tuple[str, ...]
    half_width_pct: float
    max_replications: int
    cohort: str = "all"
    look_ahead: int = 5


@dataclass(frozen=True)
class Posterior:
    """Run every scenario on ``draws`` posterior draws from ``file`` (:mod:`sim.analysis.posterior`)."""

    draws: int
    file: Path


@dataclass(frozen=True)
class Variant:
    """One scenario at one grid point (``grid`` None where the grid does not apply), on one posterior draw
    (``draw`` None without a posterior)."""

    scenario: Scenario
    grid: Any = None
    draw: Draw | None = None

    @property
    def name(self) -> str:
        return self.scenario.name


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """A checked experiment: its resolved scenarios at every grid point, and how to run them.

    Built with keywords only: sixteen fields in a row are too easy to give in the wrong order.
    """

    name: str
    description: str
    path: Path | None
    scenarios: tuple[Scenario, ...]  # as listed, without grid patches
    files: tuple[Path | None, ...]  # each scenario's file (None: the built-in baseline)
    reference: str
    replications: int
    seed: int
    settings: RunSettings
    metrics: tuple[str, ...]
    charts: tuple[str, ...]
    out: Path
    grid: Grid | None = None
    precision: Precision | None = None
    variants: tuple[Variant, ...] = field(default=())
    posterior: Posterior | None = None
    draws: tuple[Draw, ...] = ()
    emulate_evaluation: bool = True  # run comparators for cohort matched:X (sim.experiments.comparator)
    by_year: bool = False  # KPIs year by year (yearly.csv, npv.csv): experiment files; calibrations need none

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None


def load_experiment(
    path: str | Path, *, reps: int | None = None, population: int | None = None, out: str | Path | None = None
) -> Experiment:
    """Read and check an experiment file; ``reps``, ``population`` and ``out`` override the file's."""
    path = Path(path)
    data, err = read_checked(path, "an experiment", ExperimentError, KEYS)
    name = short_name(data, err)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise err("'description' must be text in quotes")
    replications = (
        reps if reps is not None else whole(data.get("replications", 5), "replications", 1, err, MAX_REPLICATIONS)
    )
    seed = whole(data.get("seed", 1), "seed", 0, err)  # at most MAX_SEED: the results store keeps it
    if population is None and "population" in data:
        population = whole(data["population"], "population", 1, err, MAX_POPULATION)
    if not isinstance(data.get("out", ""), str):
        raise err(f"'out' must be a folder path in quotes, got {shown(data['out'])}")
    horizon = days(data, "horizon_days", err)
    warmup = days(data, "warmup_days", err)
    settings = RunSettings(population=population, horizon_days=horizon, warmup_days=warmup)

    files = data.get("scenarios")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise err("'scenarios' must be a list of scenario files (relative to this file), or 'baseline'")
    scenarios, sources = [], []
    for f in files:
        scenario, source = _scenario(path, f, settings, None)
        scenarios.append(scenario)
        sources.append(source)
    try:
        check_names(scenarios)
    except ScenarioError as e:
        raise err(str(e)) from None
    names = [s.name for s in scenarios]
    reference = data.get("reference", names[0])
    if not isinstance(reference, str):
        raise err(f"'reference' must be the name of a listed scenario, in quotes, got {shown(reference)}")
    if reference not in names:
        raise err(f"'reference' is '{reference}', which is not the name of a listed scenario ({', '.join(names)})")

    metrics = _names(data.get("metrics", list(ALL_METRICS)), "metrics", ALL_METRICS, err)
    grid = _grid(data.get("grid"), names, reference, err)
    default_charts = [c for c in CHARTS if c != "response" or grid is not None]
    charts = _names(data.get("charts", default_charts), "charts", CHARTS, err)
    if "response" in charts and grid is None:
        raise err("chart 'response' draws results over a grid: add a [grid] table or remove it")
    precision = _precision(data.get("precision"), err)
    if precision is not None and precision.max_replications < replications:
        raise err(f"precision.max_replications ({precision.max_replications}) is below replications ({replications})")
    out_dir = Path(out) if out is not None else Path(data.get("out", f"results/{name}"))
    posterior = _posterior(data.get("posterior"), path, err)
    draws: tuple[Draw | None, ...] = (None,)
    if posterior is not None:
        if precision is not None:
            raise err(
                "[posterior] and [precision] cannot be combined: the precision rule counts replications "
                "of one parameter set"
            )
        if replications < 2:
            raise err(
                f"[posterior] needs at least 2 replications to tell calibration from randomness, got {replications}"
            )
        try:
            draws = load_posterior(posterior.file).draws(posterior.draws, seed)
        except PosteriorError as e:
            raise err(f"posterior.file: {e}") from None

    variants = []
    for scenario, source in zip(scenarios, sources):
        gridded = grid is not None and scenario.name in grid.scenarios
        points: tuple[float | None, ...] = grid.values if grid is not None and gridded else (None,)
        for value in points:
            patch = None if value is None or grid is None else Patch(grid.parameter, value)
            for draw in draws:
                if draw is None and patch is None:
                    variants.append(Variant(scenario))
                    continue
                own = settings if draw is None else draw.settings(settings)
                variants.append(Variant(_scenario(path, source, own, patch)[0], value, draw))
    return Experiment(
        name=name,
        description=description,
        path=path,
        scenarios=tuple(scenarios),
        files=tuple(_file(path, f) for f in sources),
        reference=reference,
        replications=replications,
        seed=seed,
        settings=settings,
        metrics=metrics,
        charts=charts,
        out=out_dir,
        grid=grid,
        precision=precision,
        variants=tuple(variants),
        posterior=posterior,
        draws=tuple(d for d in draws if d is not None),
        by_year=True,
    )


# --- pieces ---------------------------------------------------------------------------------------


def _names(value: Any, key: str, valid: tuple[str, ...], err) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise err(f"'{key}' must be a list of names in quotes")
    for v in value:
        if v not in valid:
            guess = difflib.get_close_matches(v, valid, n=1, cutoff=0.6)
            hint = f"did you mean '{guess[0]}'?" if guess else f"valid: {', '.join(valid)}"
            raise err(f"unknown {key[:-1]} '{v}' in '{key}'; {hint}")
    return tuple(dict.fromkeys(value))


def _file(experiment: Path, entry: str) -> Path | None:
    target = Path(os.path.normpath(experiment.parent / entry))
    return None if entry == BASELINE and not target.exists() else target


def _scenario(experiment: Path, entry: str, settings: RunSettings, patch: Patch | None) -> tuple[Scenario, str]:
    target = _file(experiment, entry)
    try:
        if target is None:
            if patch is not None:
                raise ScenarioError(
                    f"{BASELINE}: the built-in baseline has no file to set '{patch.path}' in; use a scenario file"
                )
            return baseline(settings), entry
        if not target.is_file():
            raise ScenarioError(f"scenario '{entry}' is not a file (looked for {target.as_posix()})")
        return load(target, settings, patch), entry
    except (ScenarioError, ParameterError) as e:
        raise ExperimentError(f"{experiment.as_posix()}: {' '.join(str(e).split())}") from None


def _grid(value: Any, names: list[str], reference: str, err) -> Grid | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise err("'grid' must be a table with parameter and values")
    known_keys(value, GRID_KEYS, err, "grid.")
    parameter = value.get("parameter")
    if not isinstance(parameter, str):
        raise err(
            f'grid.parameter must be a parameter path in quotes (such as "acute.beds_per_100k"), got {parameter!r}'
        )
    try:
        parse_path(parameter)
    except ValueError as e:
        raise err(f"grid.parameter: {e}") from None
    values = value.get("values")
    if not isinstance(values, list) or not values:
        raise err("grid.values must be a non-empty list of values")
    if len(set(map(repr, values))) != len(values):
        raise err("grid.values must not repeat a value")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise err("grid.values must be numbers (the grid column of the results holds them)")
    applies = value.get("scenarios", [n for n in names if n != reference])
    if not isinstance(applies, list) or not applies or not all(isinstance(n, str) for n in applies):
        raise err("grid.scenarios must be a non-empty list of scenario names")
    for n in applies:
        if n not in names:
            raise err(f"grid.scenarios names '{n}', which is not a listed scenario ({', '.join(names)})")
    if reference in applies and set(applies) != set(names):
        raise err(
            "grid.scenarios: a grid that applies to the reference must apply to every scenario, "
            "so that each grid point has its own reference"
        )
    label = value.get("label", "")
    if not isinstance(label, str):
        raise err("grid.label must be text in quotes")
    return Grid(parameter, tuple(values), tuple(applies), label)


def _precision(value: Any, err) -> Precision | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise err("'precision' must be a table with metrics and half_width_pct")
    known_keys(value, PRECISION_KEYS, err, "precision.")
    metrics = _names(value.get("metrics", []), "metrics", ALL_METRICS, err)
    if not metrics:
        raise err("precision.metrics must name at least one metric")
    hw = value.get("half_width_pct")
    if isinstance(hw, bool) or not isinstance(hw, (int, float)) or not (0 < hw < 100):
        raise err(f"precision.half_width_pct must be a percentage above 0 and below 100, got {hw!r}")
    cohort = value.get("cohort", "all")
    if cohort not in COHORTS:
        raise err(f"precision.cohort must be one of {', '.join(COHORTS)}, got {cohort!r}")
    max_reps = whole(value.get("max_replications", 50), "precision.max_replications", 2, err, MAX_REPLICATIONS)
    look = whole(value.get("look_ahead", 5), "precision.look_ahead", 0, err, MAX_REPLICATIONS)
    return Precision(metrics, float(hw), max_reps, cohort, look)


def _posterior(value: Any, experiment: Path, err) -> Posterior | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise err("'posterior' must be a table with draws (and optionally file)")
    known_keys(value, POSTERIOR_KEYS, err, "posterior.")
    if "draws" not in value:
        raise err("posterior.draws is required: how many posterior draws to run (at least 2)")
    draws = whole(value["draws"], "posterior.draws", 2, err, MAX_REPLICATIONS)
    file = value.get("file")
    if file is not None and not isinstance(file, str):
        raise err("posterior.file must be a CSV file path in quotes (relative to this file)")
    return Posterior(draws, Path(os.path.normpath(experiment.parent / file)) if file is not None else DEFAULT_FILE)
