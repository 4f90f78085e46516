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

Every table may also say when it takes effect: ``ramp_up_months``,
``funding_stops_year`` and ``decay_months`` (sim/scenarios/timing.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.parameters.params import AGE_BANDS, NEEDS, PROJECTIONS, Params, capacity_basis
from sim.parameters.tree import ParameterError, apply_overrides, closest, walk
from sim.scenarios import timing
from sim.scenarios.timing import TIMING_KEYS

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
    - ``enrol_broad_share`` (0-1) sets ``mdt.enrol_broad_share``: the share of places filled from the whole
      eligible group in the team's own order, not highest risk first.
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
    if "enrol_broad_share" in t:
        out["enrol_broad_share"] = _number(
            t["enrol_broad_share"], f"{where}.enrol_broad_share", "mdt.enrol_broad_share"
        )
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
    """A future population (seed 004): more older people, at once or year by year, optionally meeting today's
    services.

    At once, from time 0 (a population some years ahead):

    - ``growth_registered_population``: multiplies the registered population (default 1).
    - ``growth_65_74``, ``growth_75_84``, ``growth_85plus``: multiply the *number* of people in each
      age band (default 1); each band's share of the registered population is recomputed over the
      grown population.  Younger adults with complex needs grow with the registered population.
      Each band is then held at its grown count (``place.hold_age_structure``).
    - ``pin_capacities = true``: services stay at today's absolute size: ``place.capacity_population``
      is set to the population before growth, so capacities per 100,000 apply to that number.
      Without it, capacities grow with the registered population.

    Year by year, from the start of the statistics window (``sim/core/projection.py``); services stay
    at their size at the start, as the registered population does:

    - ``projection``: ``"ons_principal"`` (or ``true``) follows the ONS principal projection for England,
      ``"none"`` (or ``false``) none; a table of a scenario's own, each band's count at the end of years
      1, 2, ... over its count at the start, e.g. ``{85plus = [1.03, 1.06, 1.09], 75_84 = [1.02, 1.04]}``
      (bands ``under65_complex``, ``65_74``, ``75_84``, ``85plus``; a band left out is held; after its
      last year a band is held).  Sets ``projection.name`` and ``projection.factors_*``.
    - ``mortality_improvement_per_year``: death rates fall by this share a year (default the
      projection's: 1.2%, the ONS 2018-based long-term rate); sets ``projection.mortality_improvement_per_year``.
    - ``healthy_ageing_share``: the share of the life-years gained that are spent fit (0-1); sets
      ``projection.healthy_ageing`` and ``projection.healthy_ageing_share``.

    The last two ask for a projection: without ``projection`` they follow the ONS principal one.
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
    return {"place": out, **_projection(t, where)}


def _projection(t: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``projection`` overrides of a demography table (none when it asks for no projection)."""
    asked = [k for k in ("mortality_improvement_per_year", "healthy_ageing_share") if k in t]
    if "projection" not in t and not asked:
        return {}
    value = t.get("projection", "ons_principal")
    out: dict[str, Any] = {}
    if isinstance(value, bool):
        out["name"] = "ons_principal" if value else "none"
    elif isinstance(value, str):
        out["name"] = _choice(value, PROJECTIONS, f"{where}.projection", "projection")
    else:
        table = _table(value, f"{where}.projection", '"ons_principal", or {85plus = [1.03, 1.06], 75_84 = [1.02]}')
        out["name"] = "own"
        for band, factors in table.items():
            b = _choice(str(band), AGE_BANDS, f"{where}.projection", "age band")
            w = f"{where}.projection.{band}"
            if not isinstance(factors, list) or not factors:
                raise ParameterError(f"{w}: expected a list of yearly factors such as [1.03, 1.06], got {factors!r}")
            out[f"factors_{b}"] = [_number(f, f"{w}[{i}]", f"projection.factors_{b}") for i, f in enumerate(factors, 1)]
    if asked and out["name"] == "none":
        raise ParameterError(f"{where}.{asked[0]}: acts only while a projection runs; projection is 'none'")
    if "mortality_improvement_per_year" in t:
        out["mortality_improvement_per_year"] = _number(
            t["mortality_improvement_per_year"],
            f"{where}.mortality_improvement_per_year",
            "projection.mortality_improvement_per_year",
        )
    if "healthy_ageing_share" in t:
        out["healthy_ageing"] = True
        out["healthy_ageing_share"] = _number(
            t["healthy_ageing_share"], f"{where}.healthy_ageing_share", "projection.healthy_ageing_share"
        )
    return {"projection": out}


def demand_growth(t: dict[str, Any], p: Params) -> dict[str, Any]:
    """Growth in demand beyond demography: crisis risk rises by a rate a year, compounded from the launch.

    - ``rate_per_year`` (e.g. 0.017: 1.7% a year; negative for a fall): sets ``demand.growth_per_year``,
      which multiplies everyone's crisis risk by ``(1 + rate) ** years`` since the statistics window
      started (``sim/core/seasons.py``; its source gives the evidence and a range for sensitivity).
    """
    out: dict[str, Any] = {}
    if "rate_per_year" in t:
        out["growth_per_year"] = _number(
            t["rate_per_year"], "intervention.demand_growth.rate_per_year", "demand.growth_per_year"
        )
    return {"demand": out}


@dataclass(frozen=True)
class Intervention:
    """An intervention's valid keys and its translation into overrides."""

    keys: tuple[str, ...]
    translate: Callable[[dict[str, Any], Params], dict[str, Any]]


INTERVENTIONS: dict[str, Intervention] = {
    "mdt": Intervention(
        (
            "coordinators_per_100k",
            "caseload",
            "social_care_in_team",
            "discipline_for_need",
            "enrol_top_share",
            "enrol_broad_share",
        ),
        mdt,
    ),
    "rapid_response": Intervention(("teams_per_100k", "single_point_of_access"), rapid_response),
    "care_navigators": Intervention(("enabled",), care_navigators),
    "information_sharing": Intervention(("assessment_days_multiplier",), information_sharing),
    "community_support": Intervention(("funding",), community_support),
    "demography": Intervention(
        (
            "growth_registered_population",
            "growth_65_74",
            "growth_75_84",
            "growth_85plus",
            "pin_capacities",
            "projection",
            "mortality_improvement_per_year",
            "healthy_ageing_share",
        ),
        demography,
    ),
    "demand_growth": Intervention(("rate_per_year",), demand_growth),
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
    valid = spec.keys + TIMING_KEYS  # every intervention may take time (sim/scenarios/timing.py)
    for key in table:
        if key not in valid:
            guess = closest(key, list(valid))
            hint = f"did you mean '{where}.{guess}'?" if guess else f"valid keys here: {', '.join(valid)}"
            raise ParameterError(f"unknown key '{where}.{key}'; {hint}")
    return spec.translate({k: v for k, v in table.items() if k not in TIMING_KEYS}, params)


def apply(interventions: Any, params: Params) -> tuple[Params, dict[str, dict[str, Any]]]:
    """Apply a scenario's ``intervention`` tables in file order; return the parameters and each one's overrides."""
    if not isinstance(interventions, dict):
        raise ParameterError(f"intervention: expected named tables such as [intervention.mdt], got {interventions!r}")
    applied: dict[str, dict[str, Any]] = {}
    for name, table in interventions.items():
        overrides, when = timing.for_intervention(name, table, translate(name, table, params))
        try:
            after = apply_overrides(params, overrides)
        except ParameterError as e:
            raise ParameterError(f"intervention.{name}: {e}") from None
        params = timing.record(params, after, when, f"intervention.{name}")
        applied[name] = overrides
    return params, applied
