"""Named interventions: readable tables in a scenario file, each translated into parameter overrides.

A scenario may name interventions as tables::

    [intervention.mdt]
    coordinators_per_100k = { nurse = 4, social_worker = 2 }
    social_care_in_team = true
    discipline_for_need = { dementia = "mental_health" }

Each intervention is a small function from its table (and the parameters
resolved so far) to overrides of the parameter tree; the table's keys are
checked first, and a bad key or value is a :class:`ParameterError` whose one
line names the key (``intervention.mdt.casload: unknown key; did you mean
...``).  The translations are the documentation: read the docstrings below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.parameters.params import NEEDS, Params, capacity_basis
from sim.parameters.tree import ParameterError, apply_overrides, closest, walk

DISCIPLINES = ("nurse", "social_worker", "mental_health", "occupational_therapist")
"""Co-ordinator disciplines, in the order of ``mdt.coordinators_per_100k``."""

_META = {key: meta for key, _, meta in walk(Params())}


# --- checking values -------------------------------------------------------------------------


def _number(
    value: Any,
    where: str,
    param: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    whole: bool = False,
) -> float:
    """A finite number within the bounds of ``param`` (a dotted parameter key) or ``lo``/``hi``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(f"{where}: must be finite, got {value!r}")
    if whole and not float(value).is_integer():
        raise ParameterError(f"{where}: expected a whole number, got {value!r}")
    unit = ""
    if param is not None:
        meta = _META[param]
        lo = meta["lo"] if lo is None else lo
        hi = meta["hi"] if hi is None else hi
        unit = f" ({meta['unit']})"
    if lo is not None and value < lo:
        raise ParameterError(f"{where}: {value!r} is below the smallest possible value {lo}{unit}")
    if hi is not None and value > hi:
        raise ParameterError(f"{where}: {value!r} is above the largest possible value {hi}{unit}")
    return int(value) if whole else float(value)


def _positive(value: Any, where: str) -> float:
    x = _number(value, where, lo=0)
    if x == 0:
        raise ParameterError(f"{where}: must be more than 0, got {value!r}")
    return x


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{where}: expected true or false, got {value!r}")
    return value


def _table(value: Any, where: str, example: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParameterError(f"{where}: expected a table like {example}, got {value!r}")
    return value


def _choice(key: str, valid: tuple[str, ...], where: str, what: str) -> str:
    if key in valid:
        return key
    guess = closest(key, list(valid))
    hint = f"; did you mean '{guess}'?" if guess else f"; choose from {', '.join(valid)}"
    raise ParameterError(f"{where}: unknown {what} '{key}'{hint}")


# --- the translations ------------------------------------------------------------------------


def mdt(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """Community multidisciplinary teams with named case co-ordinators.

    - ``coordinators_per_100k = {nurse = 8, social_worker = 2, mental_health = 1, occupational_therapist = 1}``
      sets ``mdt.coordinators_per_100k``; a discipline left out has no co-ordinators.
    - ``caseload`` (people per co-ordinator) sets ``mdt.caseload``.
    - ``social_care_in_team`` (true/false) sets ``mdt.social_care_in_team``.
    - ``discipline_for_need = {dementia = "mental_health", physical_disability = "occupational_therapist"}``
      sets, for each main need named, which discipline's co-ordinator is preferred
      (``mdt.preferred_discipline``); needs left out keep their current discipline.
    - ``enrol_top_share`` (0-1, highest risk first) sets ``mdt.enrol_top_share``.
    """
    out: dict[str, Any] = {}
    where = "intervention.mdt"
    if "coordinators_per_100k" in t:
        w = f"{where}.coordinators_per_100k"
        table = _table(t["coordinators_per_100k"], w, "{nurse = 8, social_worker = 2}")
        counts = [0.0] * len(DISCIPLINES)
        for name, value in table.items():
            d = DISCIPLINES.index(_choice(name, DISCIPLINES, w, "discipline"))
            counts[d] = _number(value, f"{w}.{name}", "mdt.coordinators_per_100k")
        out["coordinators_per_100k"] = counts
    if "caseload" in t:
        out["caseload"] = _number(t["caseload"], f"{where}.caseload", "mdt.caseload", whole=True)
    if "social_care_in_team" in t:
        out["social_care_in_team"] = _flag(t["social_care_in_team"], f"{where}.social_care_in_team")
    if "discipline_for_need" in t:
        w = f"{where}.discipline_for_need"
        table = _table(t["discipline_for_need"], w, '{dementia = "mental_health"}')
        preferred = list(p.mdt.preferred_discipline)
        for need, discipline in table.items():
            n = NEEDS.index(_choice(need, NEEDS, w, "main need"))
            if not isinstance(discipline, str):
                raise ParameterError(
                    f"{w}.{need}: expected a discipline in quotes ({', '.join(DISCIPLINES)}), got {discipline!r}"
                )
            preferred[n] = float(DISCIPLINES.index(_choice(discipline, DISCIPLINES, f"{w}.{need}", "discipline")))
        out["preferred_discipline"] = preferred
    if "enrol_top_share" in t:
        out["enrol_top_share"] = _number(t["enrol_top_share"], f"{where}.enrol_top_share", "mdt.enrol_top_share")
    return {"mdt": out}


def rapid_response(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """A community rapid response service that sees people in crisis at home.

    - ``teams_per_100k``: visits the service can run at once per 100,000 registered people
      (one team of two nurses runs one visit at a time); sets ``community.rapid_response_per_100k``.
    - ``single_point_of_access`` (true/false): one number for crises, which routes more of them to
      rapid response; sets ``community.single_point_of_access``.
    """
    out: dict[str, Any] = {}
    if "teams_per_100k" in t:
        out["rapid_response_per_100k"] = _number(
            t["teams_per_100k"], "intervention.rapid_response.teams_per_100k", "community.rapid_response_per_100k"
        )
    if "single_point_of_access" in t:
        out["single_point_of_access"] = _flag(
            t["single_point_of_access"], "intervention.rapid_response.single_point_of_access"
        )
    return {"community": out}


def care_navigators(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """Care navigators who give information and advice on reaching care (seed 001).

    - ``enabled`` (true/false, default true): sets ``community.care_navigators``, so that more people
      discharged know whom to contact.
    """
    return {"community": {"care_navigators": _flag(t.get("enabled", True), "intervention.care_navigators.enabled")}}


def information_sharing(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """Shared records and IT between hospital, community and social care (seed 003: data and IT
    systems were the barrier most often cited).

    - ``assessment_days_multiplier``: multiplies the time a discharge assessment takes
      (``discharge.assessment_days``), e.g. 0.7 when shared records cut it by 30%; applied to the
      value resolved so far (in an ``extends`` chain, multipliers compound).
    """
    out: dict[str, Any] = {}
    if "assessment_days_multiplier" in t:
        m = _positive(t["assessment_days_multiplier"], "intervention.information_sharing.assessment_days_multiplier")
        out["assessment_days"] = p.discharge.assessment_days * m
    return {"discharge": out}


def community_support(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """Funding of low-level community support: befriending, lunch clubs, peer support (seed 001).

    - ``funding``: relative to the baseline (1 = as now, 0.7 = a 30% cut, 1.2 = 20% more); sets
      ``community.support_funding``.  Cuts raise crisis risk (the "integration paradox").
    """
    out: dict[str, Any] = {}
    if "funding" in t:
        out["support_funding"] = _number(
            t["funding"], "intervention.community_support.funding", "community.support_funding"
        )
    return {"community": out}


def demography(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """A future population (seed 004): more older people, optionally meeting today's services.

    - ``growth_registered_population``: multiplies the registered population (default 1).
    - ``growth_65_74``, ``growth_75_84``, ``growth_85plus``: multiply the *number* of people in each
      age band (default 1); each band's share of the registered population is recomputed over the
      grown population.  Younger adults with complex needs grow with the registered population.
    - ``pin_capacities = true``: services stay at today's absolute size: ``place.capacity_population``
      is set to the population before growth, so capacities per 100,000 apply to that number.
      Without it, capacities grow with the registered population.
    """
    where = "intervention.demography"
    g = {
        k: _positive(t.get(k, 1.0), f"{where}.{k}")
        for k in ("growth_registered_population", "growth_65_74", "growth_75_84", "growth_85plus")
    }
    pin = _flag(t.get("pin_capacities", False), f"{where}.pin_capacities")
    pl = p.place
    grown = int(round(pl.registered_population * g["growth_registered_population"]))
    _number(grown, f"{where}.growth_registered_population (a population of {grown:,})", "place.registered_population")
    scale = pl.registered_population / grown
    out: dict[str, Any] = {
        "registered_population": grown,
        "share_65_74": pl.share_65_74 * g["growth_65_74"] * scale,
        "share_75_84": pl.share_75_84 * g["growth_75_84"] * scale,
        "share_85plus": pl.share_85plus * g["growth_85plus"] * scale,
    }
    if pin:
        out["capacity_population"] = capacity_basis(p)
    return {"place": out}


@dataclass(frozen=True)
class Intervention:
    """An intervention's valid keys and its translation into overrides."""

    keys: tuple[str, ...]
    translate: Callable[[dict[str, Any], Params], dict[str, Any]]


INTERVENTIONS: dict[str, Intervention] = {
    "mdt": Intervention(
        ("coordinators_per_100k", "caseload", "social_care_in_team", "discipline_for_need", "enrol_top_share"), mdt
    ),
    "rapid_response": Intervention(("teams_per_100k", "single_point_of_access"), rapid_response),
    "care_navigators": Intervention(("enabled",), care_navigators),
    "information_sharing": Intervention(("assessment_days_multiplier",), information_sharing),
    "community_support": Intervention(("funding",), community_support),
    "demography": Intervention(
        ("growth_registered_population", "growth_65_74", "growth_75_84", "growth_85plus", "pin_capacities"), demography
    ),
}


def translate(name: str, table: Any, params: Params) -> dict[str, Any]:
    """The overrides of intervention ``name`` given its ``table``; checks the name and the keys."""
    where = f"intervention.{name}"
    if name not in INTERVENTIONS:
        guess = closest(name, list(INTERVENTIONS))
        hint = f"did you mean 'intervention.{guess}'?" if guess else f"known: {', '.join(INTERVENTIONS)}"
        raise ParameterError(f"unknown intervention '{where}'; {hint}")
    spec = INTERVENTIONS[name]
    if not isinstance(table, dict):
        raise ParameterError(
            f"{where}: expected a table of settings ([intervention.{name}] with keys "
            f"{', '.join(spec.keys)}), got {table!r}"
        )
    for key in table:
        if key not in spec.keys:
            guess = closest(key, list(spec.keys))
            hint = f"did you mean '{where}.{guess}'?" if guess else f"valid keys here: {', '.join(spec.keys)}"
            raise ParameterError(f"unknown key '{where}.{key}'; {hint}")
    return spec.translate(table, params)


def apply(interventions: Any, params: Params) -> tuple[Params, dict[str, dict[str, Any]]]:
    """Apply a scenario's ``intervention`` tables in file order; return the parameters and each one's overrides."""
    if not isinstance(interventions, dict):
        raise ParameterError(f"intervention: expected named tables such as [intervention.mdt], got {interventions!r}")
    applied: dict[str, dict[str, Any]] = {}
    for name, table in interventions.items():
        overrides = translate(name, table, params)
        try:
            params = apply_overrides(params, overrides)
        except ParameterError as e:
            raise ParameterError(f"intervention.{name}: {e}") from None
        applied[name] = overrides
    return params, applied
