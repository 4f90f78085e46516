"""Heterogeneous sites (seed 003): a population of places that differ, each running an integration scenario.

A sites file (``calibration/sites.toml``) describes the population::

    name = "sites"
    description = "..."
    integration = "../scenarios/pioneer.toml"   # what "integrated care achieved" means, relative to this file
    integration_reason = "..."                  # why this scenario
    reference = "baseline"                      # the site without integration: "baseline" or a scenario file
    sites = 50
    seed = 1
    horizon_days = 730                          # the two years a council compares
    cohort = "all"

    [population]                                # registered people, uniform whole numbers over sites
    low = 25_000
    high = 60_000
    reason = "..."

    [[baseline]]                                # how sites differ before integration
    name = "social_care_capacity"               # a column of sites.csv
    parameters = ["social_care.social_workers_per_100k", "social_care.home_care_packages_per_100k"]
    scale = [0.85, 1.15]                        # one multiplier per site, uniform, on every parameter listed
    reason = "..."

    [[factor]]                                  # a site factor (seed 001's enablers and barriers)
    name = "information_sharing"
    meaning = "0: separate records; 1: shared records and IT"
    beta = [1.5, 3.0]                           # its distribution over sites: Beta(a, b) on 0..1
    reason = "..."

    [[factor.map]]                              # how the factor changes the integration scenario at a site
    parameter = "discharge.assessment_days"
    scale = [1.0, 0.67]                         # multiplies the scenario's value: at factor 0, at factor 1
    reason = "..."
    # or: value = [1.0, 0.7] (the value itself, linear in the factor),
    #     on_above = 0.5 / on_below = 0.5 (a switch the scenario turns on stays on only there)

    [[metric]]                                  # what a council would report
    metric = "delayed_discharge_days"
    better = "lower"
    minimal_change = 0.02                       # a favourable change must exceed this share of the before value
    reported_share = 0.57                       # the seed's share of respondents reporting an improvement
    source = "seed 003_267f426e5480fa10.txt: ..."

Each site's values are drawn from their own random stream, keyed by (seed, site number, what is drawn),
so a site is the same whatever the number of sites, and adding sites keeps the first ones.  Every
site's two scenarios are built when the file is loaded, so every problem is reported before any run,
as a :class:`SitesError` whose message is one line, ``<file>: <what>``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.streams import stream_key
from sim.experiments.experiment import ALL_METRICS
from sim.outcomes import registry
from sim.parameters.filecheck import MAX_POPULATION, MAX_REPLICATIONS, days, known_keys, short_name, whole
from sim.parameters.params import Params, capacity_basis, per_place
from sim.parameters.patch import Patch
from sim.parameters.tree import ParameterError, apply_overrides, walk
from sim.scenarios.scenario import (
    BASELINE,
    RunSettings,
    Scenario,
    ScenarioError,
    baseline,
    load,
    read_checked,
)

KEYS = (
    "name",
    "description",
    "integration",
    "integration_reason",
    "reference",
    "sites",
    "seed",
    "horizon_days",
    "warmup_days",
    "cohort",
    "population",
    "baseline",
    "factor",
    "metric",
    "minimal_change_reason",
)
POPULATION_KEYS = ("low", "high", "reason")
BASELINE_KEYS = ("name", "parameters", "scale", "reason")
FACTOR_KEYS = ("name", "meaning", "beta", "reason", "map")
MAP_KEYS = ("parameter", "scale", "value", "on_above", "on_below", "reason")
METRIC_KEYS = ("metric", "better", "minimal_change", "reported_share", "source")
MAP_KINDS = ("scale", "value", "on_above", "on_below")
COHORTS = registry.STANDARD_COHORTS  # the cohorts every run measures
BETTER = ("lower", "higher")
RESERVED = (
    "place.registered_population",
    "place.capacity_population",
    "time.horizon_days",
    "time.warmup_days",
    "time.timeseries_step_days",
)
FIXED_COLUMNS = ("site", "population")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULTS = Params()
_META = {key: (value, meta) for key, value, meta in walk(_DEFAULTS)}
SITE_STREAM = stream_key("caresim sites")


class SitesError(ValueError):
    """A sites file that cannot be used; the message is ``<file>: <what>`` on one line."""


@dataclass(frozen=True)
class Metric:
    metric: str
    better: str  # "lower" or "higher"
    minimal_change: float  # share of the before value a favourable change must exceed
    reported_share: float  # the seed's share of respondents who reported an improvement
    source: str

    def improved(self, change: float) -> bool:
        """A favourable relative change larger than the minimal amount (False where undefined)."""
        if not math.isfinite(change):
            return False
        return change < -self.minimal_change if self.better == "lower" else change > self.minimal_change


@dataclass(frozen=True)
class Difference:
    """A way sites differ before integration: one uniform multiplier per site on some parameters."""

    name: str
    parameters: tuple[str, ...]
    low: float
    high: float
    reason: str


@dataclass(frozen=True)
class Mapping:
    """How a factor changes one parameter of the integration scenario at a site."""

    parameter: str
    kind: str  # scale, value, on_above, on_below
    at: tuple[float, ...]  # (at factor 0, at factor 1) for scale and value; (threshold,) for switches
    reason: str

    def apply(self, current: Any, factor: float) -> Any:
        if self.kind in ("on_above", "on_below"):
            keep = factor >= self.at[0] if self.kind == "on_above" else factor < self.at[0]
            return bool(current) and keep
        level = self.at[0] + (self.at[1] - self.at[0]) * factor
        if self.kind == "value":
            return level
        if isinstance(current, tuple):
            return tuple(v * level for v in current)
        return current * level


@dataclass(frozen=True)
class Factor:
    name: str
    meaning: str
    a: float  # Beta(a, b) over sites
    b: float
    reason: str
    maps: tuple[Mapping, ...]


@dataclass(frozen=True)
class Site:
    """One drawn site: its size, baseline multipliers, factor levels, and its two scenarios."""

    number: int
    population: int
    differences: tuple[tuple[str, float], ...]
    factors: tuple[tuple[str, float], ...]
    before: Scenario  # the site without integration (the "before", and the no-effect "after")
    integration: Scenario  # the site with the integration scenario as far as its factors let it go


@dataclass(frozen=True)
class SitesStudy:
    name: str
    description: str
    path: Path
    integration: Path
    integration_reason: str
    reference: Path | None  # None: the built-in baseline
    seed: int
    settings: RunSettings  # horizon and warm-up; each site has its own population
    cohort: str
    population: tuple[int, int]
    population_reason: str
    differences: tuple[Difference, ...]
    factors: tuple[Factor, ...]
    metrics: tuple[Metric, ...]
    minimal_change_reason: str
    sites: tuple[Site, ...]

    @property
    def runs(self) -> int:
        return 3 * len(self.sites)


def load_sites(path: str | Path, *, sites: int | None = None) -> SitesStudy:
    """Read and check a sites file, draw its sites and build each site's scenarios; ``sites`` overrides the count."""
    path = Path(path)
    data, err = read_checked(path, "a sites", SitesError, KEYS)
    name = short_name(data, err)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise err("'description' must be text in quotes")
    integration = _file(path, data.get("integration"), "integration", err)
    integration_reason = _text(data, "integration_reason", err)
    reference = _reference(path, data.get("reference", BASELINE), err)
    if reference == integration:
        raise err("'integration' and 'reference' name the same file; the reference is the site without integration")
    count = sites if sites is not None else whole(data.get("sites", 50), "sites", 2, err, MAX_REPLICATIONS)
    whole(count, "sites", 2, err, MAX_REPLICATIONS)
    seed = whole(data.get("seed", 1), "seed", 0, err)  # at most MAX_SEED: the results store keeps it
    settings = RunSettings(horizon_days=days(data, "horizon_days", err), warmup_days=days(data, "warmup_days", err))
    if settings.horizon_days is not None and settings.horizon_days < 1:
        raise err(f"'horizon_days' must be at least 1 day, got {settings.horizon_days:g}")
    cohort = data.get("cohort", "all")
    if cohort not in COHORTS:
        raise err(f"'cohort' must be one of {', '.join(COHORTS)}, got {cohort!r}")
    pop = _table(data, "population", POPULATION_KEYS, err)
    for key in POPULATION_KEYS:
        if key not in pop:
            raise err(f"population: missing '{key}'")
    low = whole(pop["low"], "population.low", 1000, err, MAX_POPULATION)
    high = whole(pop["high"], "population.high", 1000, err, MAX_POPULATION)
    if low > high:
        raise err(f"population: low ({low:,}) must not be above high ({high:,})")
    population_reason = _text(pop, "reason", err, "population")

    plain_ref = _plain(reference, settings, err)
    plain_int = _plain(integration, settings, err)
    differences = tuple(
        _difference(d, i, plain_ref, err) for i, d in enumerate(_tables(data, "baseline", err, False), 1)
    )
    factors = tuple(_factor(f, i, plain_int, err) for i, f in enumerate(_tables(data, "factor", err, True), 1))
    metrics = tuple(_metric(m, i, err) for i, m in enumerate(_tables(data, "metric", err, True), 1))
    names = [d.name for d in differences] + [f.name for f in factors]
    for n in names:
        if names.count(n) > 1 or n in FIXED_COLUMNS:
            raise err(f"the name '{n}' is used twice (or is a fixed column of sites.csv); names must be unique")
    varied = [p for d in differences for p in d.parameters]
    if len(set(varied)) != len(varied):
        twice = next(p for p in varied if varied.count(p) > 1)
        raise err(f"'{twice}' is in two [[baseline]] entries; each parameter may differ between sites in one way only")
    if len({m.metric for m in metrics}) != len(metrics):
        raise err("a metric has two [[metric]] entries")
    mapped = [m for f in factors for m in f.maps]
    for m in mapped:
        same = [o for o in mapped if o.parameter == m.parameter]
        if len(same) > 1 and any(o.kind != "scale" for o in same):
            raise err(f"'{m.parameter}' is mapped by several factors; that is allowed only when every map scales it")
    reason = data.get("minimal_change_reason")
    if not isinstance(reason, str) or not reason.strip():
        raise err("'minimal_change_reason' is required: why a change must exceed each metric's minimal_change")

    study = SitesStudy(
        name,
        " ".join(description.split()),
        path,
        integration,
        " ".join(integration_reason.split()),
        reference,
        seed,
        settings,
        cohort,
        (low, high),
        " ".join(population_reason.split()),
        differences,
        factors,
        metrics,
        " ".join(reason.split()),
        (),
    )
    drawn = tuple(_site(study, n, plain_ref, plain_int, err) for n in range(count))
    return dataclasses.replace(study, sites=drawn)


# --- drawing and building sites ------------------------------------------------------------------


def _rng(seed: int, site: int, what: str) -> np.random.Generator:
    """The stream of one drawn quantity of one site: the same whatever else the file draws."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(SITE_STREAM, site, stream_key(what))))
    )


def _site(study: SitesStudy, number: int, plain_ref: Scenario, plain_int: Scenario, err) -> Site:
    low, high = study.population
    population = int(_rng(study.seed, number, "population").integers(low, high + 1))
    differences = tuple(
        (
            d.name,
            float(_rng(study.seed, number, "baseline:" + d.name).uniform(d.low, d.high)) if d.high > d.low else d.low,
        )
        for d in study.differences
    )
    factors = tuple((f.name, float(_rng(study.seed, number, "factor:" + f.name).beta(f.a, f.b))) for f in study.factors)
    settings = dataclasses.replace(study.settings, population=population)
    where = f"site {number} ({population:,} people)"
    try:
        before = _with_differences(study.reference, settings, plain_ref, study.differences, differences)
        plain = _with_differences(study.integration, settings, plain_int, study.differences, differences)
        integration = _with_factors(plain, study.factors, factors)
    except (ScenarioError, ParameterError) as e:
        raise err(f"{where}: {' '.join(str(e).split())}") from None
    _whole_units(before, where, err)
    return Site(number, population, differences, factors, before, integration)


def _with_differences(
    file: Path | None,
    settings: RunSettings,
    plain: Scenario,
    specs: tuple[Difference, ...],
    drawn: tuple[tuple[str, float], ...],
) -> Scenario:
    """A scenario at a site: each difference sets its parameters to the scenario's own value x the site's multiplier.

    Set in the file itself (as a patch), before its interventions and shifts, so that they act on
    the site's values; the multiplier applies to the value before the launch (``plain``: the
    scenario at any population, as these values are per 100,000 people or shares).
    """
    values = {}
    for spec, (_, m) in zip(specs, drawn):
        for p in spec.parameters:
            v = get(plain.prelaunch, p) * m
            values[p] = round(v) if isinstance(_META[p][0], int) else float(v)
    if file is None:
        site = baseline(settings)
        if not values:
            return site
        return dataclasses.replace(
            site, params=apply_overrides(site.params, _nested(values)), overrides=_nested(values)
        )
    return load(file, settings, tuple(Patch(p, v) for p, v in values.items()))


def _with_factors(s: Scenario, factors: tuple[Factor, ...], levels: tuple[tuple[str, float], ...]) -> Scenario:
    """The integration scenario as far as the site's factors let it go (the window's services only)."""
    values: dict[str, Any] = {}
    for f, (_, level) in zip(factors, levels):
        for m in f.maps:
            current = values.get(m.parameter, get(s.params, m.parameter))
            values[m.parameter] = m.apply(current, level)
    for p, v in values.items():
        if isinstance(_META[p][0], int) and not isinstance(_META[p][0], bool):
            values[p] = round(v)
    return dataclasses.replace(s, params=apply_overrides(s.params, _nested(values)))


def _whole_units(before: Scenario, where: str, err) -> None:
    """The services the model cannot do without must exist at every site (a positive rate is at least one unit)."""
    p = before.params
    if per_place(p.social_care.social_workers_per_100k, capacity_basis(p)) < 1:
        raise err(
            f"{where}: social_care.social_workers_per_100k = {p.social_care.social_workers_per_100k:g} gives no "
            "social worker, so no one could be assessed for discharge"
        )
    if per_place(p.acute.beds_per_100k, capacity_basis(p)) < 1:
        raise err(f"{where}: acute.beds_per_100k = {p.acute.beds_per_100k:g} gives no acute bed")


# --- pieces -----------------------------------------------------------------------------------------


def get(params: Params, key: str) -> Any:
    """A parameter's value by its dotted key (``acute.beds_per_100k``)."""
    return reduce(getattr, key.split("."), params)


def _nested(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in values.items():
        group, name = key.split(".", 1)
        out.setdefault(group, {})[name] = list(v) if isinstance(v, tuple) else v
    return out


def _text(data: dict[str, Any], key: str, err, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise err(f"{where}{': ' if where else ''}'{key}' is required, as text in quotes")
    return value


def _number(value: Any, key: str, err) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise err(f"'{key}' must be a finite number, got {value!r}")
    return float(value)


def _pair(value: Any, key: str, err) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise err(f"'{key}' must be two numbers, [at factor 0, at factor 1] or [low, high], got {value!r}")
    return _number(value[0], key, err), _number(value[1], key, err)


def _table(data: dict[str, Any], key: str, keys: tuple[str, ...], err) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise err(f"a [{key}] table is needed")
    known_keys(value, keys, err, f"{key}.")
    return value


def _tables(data: dict[str, Any], key: str, err, required: bool) -> list[dict[str, Any]]:
    value = data.get(key, [] if not required else None)
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, dict) for v in value):
        raise err(f"at least one [[{key}]] table is needed" if required else f"'{key}' must be [[{key}]] tables")
    return value


def _file(here: Path, entry: Any, key: str, err) -> Path:
    if not isinstance(entry, str):
        raise err(f"'{key}' must be a scenario file (relative to this file), in quotes")
    target = Path(os.path.normpath(here.parent / entry))
    if not target.is_file():
        raise err(f"'{key}' names '{entry}', which is not a file (looked for {target.as_posix()})")
    return target


def _reference(here: Path, entry: Any, err) -> Path | None:
    if entry == BASELINE and not (here.parent / BASELINE).exists():
        return None
    return _file(here, entry, "reference", err)


def _plain(file: Path | None, settings: RunSettings, err) -> Scenario:
    try:
        return baseline(settings) if file is None else load(file, settings)
    except (ScenarioError, ParameterError) as e:
        raise err(" ".join(str(e).split())) from None


def _parameter(value: Any, where: str, err) -> str:
    if not isinstance(value, str) or value not in _META:
        guess = difflib.get_close_matches(str(value), list(_META), n=1, cutoff=0.6)
        raise err(f"{where}: unknown parameter {value!r}" + (f"; did you mean '{guess[0]}'?" if guess else ""))
    if value in RESERVED:
        raise err(f"{where}: '{value}' is set by [population] or horizon_days/warmup_days, not here")
    return value


def _within(key: str, value: Any, where: str, err) -> None:
    """A value (or every element of a list) inside the parameter's valid range."""
    meta = _META[key][1]
    lo, hi = meta.get("lo"), meta.get("hi")
    for v in value if isinstance(value, tuple) else (value,):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise err(f"{where}: gives {key} = {v:g}, outside its valid range [{lo}, {hi}] ({meta['unit']})")


def _name(t: dict[str, Any], where: str, err) -> str:
    name = t.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise err(
            f"{where}.name must be a short lower-case name such as 'staff_engagement' (a column of sites.csv), "
            f"got {name!r}"
        )
    return name


def _difference(t: dict[str, Any], i: int, plain: Scenario, err) -> Difference:
    where = f"baseline[{i}]"
    known_keys(t, BASELINE_KEYS, err, f"{where}.")
    for key in BASELINE_KEYS:
        if key not in t:
            raise err(f"{where}: missing '{key}'")
    name = _name(t, where, err)
    params = t["parameters"]
    if not isinstance(params, list) or not params:
        raise err(f'{where}.parameters must be a list of parameters in quotes, e.g. ["acute.beds_per_100k"]')
    params = tuple(_parameter(p, f"{where}.parameters", err) for p in params)
    for p in params:
        default = _META[p][0]
        if isinstance(default, (bool, tuple)) or not isinstance(default, (int, float)):
            raise err(f"{where}.parameters: '{p}' is not a single number; only numbers can differ between sites")
    low, high = _pair(t["scale"], f"{where}.scale", err)
    if not 0 <= low <= high:
        raise err(f"{where}.scale: [low, high] must satisfy 0 <= low <= high, got [{low:g}, {high:g}]")
    for p in params:
        for m in (low, high):
            _within(p, get(plain.prelaunch, p) * m, f"{where}.scale", err)
    return Difference(name, params, low, high, _text(t, "reason", err, where))


def _factor(t: dict[str, Any], i: int, plain: Scenario, err) -> Factor:
    where = f"factor[{i}]"
    known_keys(t, FACTOR_KEYS, err, f"{where}.")
    name = _name(t, where, err)
    for key in ("meaning", "beta", "reason"):
        if key not in t:
            raise err(f"{where}: missing '{key}'")
    a, b = _pair(t["beta"], f"{where}.beta", err)
    if a <= 0 or b <= 0:
        raise err(f"{where}.beta: both shape parameters of Beta(a, b) must be above 0, got [{a:g}, {b:g}]")
    maps = t.get("map")
    if not isinstance(maps, list) or not maps or not all(isinstance(m, dict) for m in maps):
        raise err(f"{where}: at least one [[factor.map]] table is needed (how the factor changes the site)")
    return Factor(
        name,
        " ".join(_text(t, "meaning", err, where).split()),
        a,
        b,
        " ".join(_text(t, "reason", err, where).split()),
        tuple(_map(m, f"{where}.map[{j}]", plain, err) for j, m in enumerate(maps, 1)),
    )


def _map(t: dict[str, Any], where: str, plain: Scenario, err) -> Mapping:
    known_keys(t, MAP_KEYS, err, f"{where}.")
    if "parameter" not in t:
        raise err(f"{where}: missing 'parameter'")
    parameter = _parameter(t["parameter"], f"{where}.parameter", err)
    kinds = [k for k in MAP_KINDS if k in t]
    if len(kinds) != 1:
        raise err(f"{where}: give exactly one of {', '.join(MAP_KINDS)}")
    kind = kinds[0]
    default = _META[parameter][0]
    current = get(plain.params, parameter)
    at: tuple[float, ...]  # (threshold,) for a switch, else (at factor 0, at factor 1)
    if kind in ("on_above", "on_below"):
        if not isinstance(default, bool):
            raise err(f"{where}.{kind}: '{parameter}' is not a switch (true/false); use scale or value")
        at = (_number(t[kind], f"{where}.{kind}", err),)
        if not 0 <= at[0] <= 1:
            raise err(f"{where}.{kind} must be a factor level between 0 and 1, got {at[0]:g}")
        if not current:
            raise err(
                f"{where}: '{parameter}' is off in the integration scenario; a switch can only keep on what "
                "the scenario turns on"
            )
    else:
        if isinstance(default, bool) or (kind == "value" and isinstance(default, tuple)):
            raise err(
                f"{where}.{kind}: '{parameter}' is {'a switch' if isinstance(default, bool) else 'a list'}; "
                f"use {'on_above or on_below' if isinstance(default, bool) else 'scale'}"
            )
        at = _pair(t[kind], f"{where}.{kind}", err)
        if kind == "scale" and min(at) < 0:
            raise err(f"{where}.scale: multipliers must be 0 or more, got [{at[0]:g}, {at[1]:g}]")
        for level in (0.0, 1.0):
            _within(parameter, Mapping(parameter, kind, at, "").apply(current, level), f"{where}.{kind}", err)
    if "reason" not in t:
        raise err(f"{where}: missing 'reason' (cite seed 001 or 003, or say 'assumption: why')")
    return Mapping(parameter, kind, at, " ".join(_text(t, "reason", err, where).split()))


def _metric(t: dict[str, Any], i: int, err) -> Metric:
    where = f"metric[{i}]"
    known_keys(t, METRIC_KEYS, err, f"{where}.")
    for key in METRIC_KEYS:
        if key not in t:
            raise err(f"{where}: missing '{key}'")
    metric = t["metric"]
    if metric not in ALL_METRICS:
        guess = difflib.get_close_matches(str(metric), ALL_METRICS, n=1, cutoff=0.6)
        raise err(f"{where}.metric: unknown metric {metric!r}" + (f"; did you mean '{guess[0]}'?" if guess else ""))
    if t["better"] not in BETTER:
        raise err(f"{where}.better must be 'lower' or 'higher', got {t['better']!r}")
    minimal = _number(t["minimal_change"], f"{where}.minimal_change", err)
    if not 0 <= minimal < 1:
        raise err(f"{where}.minimal_change is a share of the before value, 0 or more and below 1, got {minimal:g}")
    share = _number(t["reported_share"], f"{where}.reported_share", err)
    if not 0 <= share <= 1:
        raise err(f"{where}.reported_share is a share of respondents, between 0 and 1, got {share:g}")
    return Metric(metric, t["better"], minimal, share, " ".join(_text(t, "source", err, where).split()))
