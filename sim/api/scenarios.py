"""Scenarios: :func:`load_scenario` (a file or the built-in baseline, with overrides) and :func:`differences`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import SettingsError, one_line
from sim.api.settings import run_settings
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.scenarios.scenario import BASELINE, LEVER_KEYS, RunSettings, Scenario, ScenarioError, baseline, load

if TYPE_CHECKING:
    import pandas as pd


def load_scenario(
    source: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    name: str | None = None,
    population: int | None = None,
    horizon_days: float | None = None,
    warmup_days: float | None = None,
) -> Scenario:
    """Load and check a scenario: a file, or the built-in baseline, with overrides on top.

    Parameters
    ----------
    source : str or path-like, optional
        A scenario file (TOML, see ``scenarios/``), or ``None`` or ``"baseline"`` for the built-in
        baseline (the word names a file only where such a file exists).
    overrides : mapping, optional
        Values set on top, by their path as a scenario file writes them: ``{"acute.beds_per_100k": 150}``
        or nested, ``{"acute": {"beds_per_100k": 150}}``.  On a file they are set in the file before it is
        resolved, so they reach interventions and shifts too (``"intervention.mdt.caseload"``,
        ``"shift[1].amount_gbp_per_year"``); on the built-in baseline they are parameters only.
    name : str, optional
        A new name for the scenario (names must differ in a comparison).
    population : int, optional
        Registered people in the place (the command line's ``--population``); a scenario's own changes,
        such as demographic growth, apply on top.
    horizon_days, warmup_days : float, optional
        The statistics window and the warm-up before it, in days.

    Returns
    -------
    Scenario
        The resolved scenario: ``name``, ``description``, ``params`` (the parameter tree) and what it
        changes.

    Raises
    ------
    ScenarioError
        The file, the overrides or the name cannot be used.
    SettingsError
        A run setting is out of its range.

    Examples
    --------
    >>> more_beds = load_scenario(overrides={"acute.beds_per_100k": 200}, name="more_beds", population=20_000)
    >>> more_beds.params.acute.beds_per_100k
    200.0
    """
    return load_source(source, run_settings(population, horizon_days, warmup_days), overrides, name)


def _builtin(source: Any) -> bool:
    return source is None or (isinstance(source, str) and source == BASELINE and not Path(source).exists())


def load_source(
    source: Any, settings: RunSettings, overrides: Mapping[str, Any] | None = None, name: Any = None
) -> Scenario:
    """A scenario file, or the built-in baseline (``None`` or ``"baseline"``), with overrides and a new name."""
    from sim.parameters.patch import Patch

    flat = _flat(overrides)
    if _builtin(source):
        scenario = _overridden_baseline(settings, flat)
    elif isinstance(source, (str, os.PathLike)):
        scenario = load(source, settings, tuple(Patch(k, v) for k, v in flat.items()) or None)
    else:
        raise ScenarioError(f"scenario: expected a scenario file's path or 'baseline', got {one_line(repr(source))}")
    return scenario if name is None else _renamed(scenario, name)


def _flat(overrides: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """``{"acute": {"beds_per_100k": 150}}`` -> ``{"acute.beds_per_100k": 150}``."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ScenarioError(
            "overrides: expected a table of parameter paths and values, such as {'acute.beds_per_100k': 150}, "
            f"got {one_line(repr(overrides))}"
        )
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ScenarioError(f"overrides: a parameter path must be text such as 'acute.beds_per_100k', got {key!r}")
        path = prefix + key
        flat.update(_flat(value, path + ".") if isinstance(value, Mapping) else {path: value})
    return flat


def _overridden_baseline(settings: RunSettings, flat: dict[str, Any]) -> Scenario:
    """The built-in baseline with parameter overrides, run settings winning (as in a file that extends it)."""
    if not flat:
        return baseline(settings)
    from sim.analysis.posterior import nest

    lever = next((k for k in flat if k.split(".")[0].split("[")[0] in LEVER_KEYS), None)
    if lever is not None:
        raise ScenarioError(
            f"overrides: '{lever}': the built-in baseline takes parameter overrides only; set interventions and "
            "shifts on a scenario file, e.g. load_scenario('scenarios/baseline.toml', overrides=...)"
        )
    try:
        nested = nest(flat)
        defaults = apply_overrides(settings.defaults or Params(), nested)
    except ValueError as e:  # ParameterError, or a malformed path
        raise ScenarioError(f"overrides: {one_line(e)}") from None
    scenario = baseline(replace(settings, defaults=defaults))
    shown = ", ".join(f"{k} = {v!r}" for k, v in flat.items())
    return replace(scenario, overrides=nested, description=f"{scenario.description} Overrides: {shown}.")


def _renamed(scenario: Scenario, name: Any) -> Scenario:
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"name: must be a short name in text, not empty, got {one_line(repr(name))}")
    if "\n" in name or "\r" in name:
        raise ScenarioError("name: must be on one line")
    return replace(scenario, name=name)


def as_scenario(
    scenario: Any, settings: RunSettings, given: str | None, overrides: Mapping[str, Any] | None
) -> Scenario:
    """A scenario given as loaded (then nothing may be set on it) or as a source to load."""
    if isinstance(scenario, Scenario):
        if given or overrides is not None:
            what = given or "overrides"
            raise SettingsError(
                f"{what}: scenario '{scenario.name}' is already loaded; give its settings and overrides to "
                "load_scenario, or give its file here"
            )
        return scenario
    return load_source(scenario, settings, overrides)


def differences(scenario: Scenario | str | os.PathLike[str]) -> pd.DataFrame:
    """Every parameter a scenario sets differently from the built-in baseline: what ``caresim validate`` lists.

    Parameters
    ----------
    scenario : Scenario, str or path-like
        A loaded scenario, or a scenario file (or ``"baseline"``) to load.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``baseline``, ``scenario`` and ``unit``, as text the way ``validate`` shows
        them (capacities with the whole units they make at the place); no rows for the baseline itself.

    Raises
    ------
    ScenarioError
        The file cannot be used.

    Examples
    --------
    >>> differences("scenarios/rapid_response.toml")
    """
    import pandas as pd

    from sim.reports.text import differences as rows

    loaded = scenario if isinstance(scenario, Scenario) else load_source(scenario, RunSettings())
    return pd.DataFrame(rows(Params(), loaded.params), columns=["parameter", "baseline", "scenario", "unit"])
