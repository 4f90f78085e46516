"""The controls of "my own what-if" and the scenario file they make, without the page.

:class:`Levers` are the controls; :func:`check_levers` checks them one by one, with each problem
keyed by its control; :func:`scenario_toml` writes them as a scenario file in the format of
``scenarios/*.toml`` (accepted by ``caresim validate``).  :class:`Settings` are the run settings
(``--population``, ``--reps``, ``--seed``, ...) and :func:`check_settings` checks them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides
from sim.scenarios.interventions import DISCIPLINES
from sim.scenarios.scenario import BASELINE, RunSettings

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
"""The scenario library of a checkout; ``CARESIM_APP_SCENARIOS`` names another folder."""

PLACE = Params().place.registered_population  # the place the amounts are written for
MIX_LABELS = {
    "nurse": "Nurse",
    "social_worker": "Social worker",
    "mental_health": "Mental health professional",
    "occupational_therapist": "Occupational therapist",
}
TARGETS = {  # share lever -> shift service (the MDT's share is split by the co-ordinator mix)
    "share_reablement": "reablement_places",
    "share_intermediate_care": "intermediate_care_beds",
    "share_home_care": "home_care_packages",
}
# the co-ordinator whose discipline fits each main need, as every MDT scenario of the library states it
DISCIPLINE_FOR_NEED = {
    "dementia": "mental_health",
    "mental_health": "mental_health",
    "physical_disability": "occupational_therapist",
    "substance_misuse": "social_worker",
}
GENERAL = "_scenario"  # the key of a problem that belongs to no single control


# --- the levers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Levers:
    """The controls of "my own what-if"; percentages are in per cent. The defaults are
    ``scenarios/resource_shift.toml``: GBP 2m a year from acute beds into a social-care-led MDT,
    reablement and intermediate care."""

    name: str = "my_what_if"
    description: str = ""
    # money moved from acute beds, GBP a year for a place of 250,000 people, and where it goes
    shift_gbp: float = 2_000_000
    share_mdt: float = 40.0
    share_reablement: float = 30.0
    share_intermediate_care: float = 30.0
    share_home_care: float = 0.0
    # the MDT
    mdt_extra_per_100k: float = 0.0  # co-ordinators per 100,000 paid with new money
    mix_nurse: float = 50.0
    mix_social_worker: float = 50.0
    mix_mental_health: float = 0.0
    mix_occupational_therapist: float = 0.0
    caseload: int = 50
    enrol_top_percent: float = 5.0
    social_care_in_team: bool = True
    match_discipline_to_need: bool = True
    # other services
    rapid_response_per_100k: float = 1.0
    single_point_of_access: bool = False
    care_navigators: bool = False
    assessment_time_change_percent: float = 0.0  # information sharing: -33 = a third less time
    community_support_percent: float = 100.0
    # demographic growth, per cent more people
    growth_registered_percent: float = 0.0
    growth_65_74_percent: float = 0.0
    growth_75_84_percent: float = 0.0
    growth_85plus_percent: float = 0.0
    pin_capacities: bool = True

    def mix(self) -> dict[str, float]:
        return {d: float(getattr(self, f"mix_{d}")) for d in DISCIPLINES}

    def shares(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in ("share_mdt", *TARGETS)}

    def has_mdt(self) -> bool:
        return (self.shift_gbp > 0 and self.share_mdt > 0) or self.mdt_extra_per_100k > 0

    def growth(self) -> dict[str, float]:
        return {
            "growth_registered_population": self.growth_registered_percent,
            "growth_65_74": self.growth_65_74_percent,
            "growth_75_84": self.growth_75_84_percent,
            "growth_85plus": self.growth_85plus_percent,
        }


LEVER_DEFAULTS = {f.name: f.default for f in fields(Levers)}


@dataclass(frozen=True)
class Settings:
    """Run settings: as ``caresim compare --population P --reps N --seed S --horizon-days D --warmup-days W``."""

    population: int = 50_000
    reps: int = 3
    seed: int = 1
    horizon_days: float = 730.0
    warmup_days: float = 365.0

    def run_settings(self) -> RunSettings:
        return RunSettings(
            population=int(self.population), horizon_days=float(self.horizon_days), warmup_days=float(self.warmup_days)
        )

    def flags(self) -> str:
        return (
            f"--population {int(self.population)} --reps {int(self.reps)} --seed {int(self.seed)} "
            f"--horizon-days {self.horizon_days:g} --warmup-days {self.warmup_days:g}"
        )


SETTING_DEFAULTS = {f.name: f.default for f in fields(Settings)}


def runs_in_words(reps: int, scenarios: int = 2) -> str:
    """How many runs a comparison makes, as the page says it: '3 replications of each of the 2 scenarios, 6 runs'."""
    reps, scenarios = int(reps), int(scenarios)
    total = reps * scenarios
    return (
        f"{reps:,} replication{'s' if reps != 1 else ''} of each of the {scenarios:,} scenarios, "
        f"{total:,} run{'s' if total != 1 else ''}"
    )


def money(gbp: float, sign: bool = False) -> str:
    """An amount of money in whole pounds with thousands separators: 'GBP 2,000,000' ('n/a' when not a number)."""
    if not _finite(gbp):
        return "n/a"
    return f"GBP {gbp:+,.0f}" if sign and round(gbp) else f"GBP {gbp:,.0f}"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_settings(s: Settings) -> dict[str, str]:
    """A plain-English problem for each run setting that cannot be used, by field name."""
    errors: dict[str, str] = {}
    for key, group in (
        ("population", "place.registered_population"),
        ("horizon_days", "time.horizon_days"),
        ("warmup_days", "time.warmup_days"),
    ):
        value = getattr(s, key)
        if not _finite(value):
            errors[key] = "Enter a number."
            continue
        grp, name = group.split(".")
        try:
            apply_overrides(Params(), {grp: {name: int(value) if key == "population" else float(value)}})
        except ParameterError as e:
            errors[key] = sentence(str(e).removeprefix(f"{group}: "))
    if "population" not in errors and float(s.population) != int(s.population):
        errors["population"] = "The population must be a whole number of people."
    if not _finite(s.reps) or int(s.reps) != s.reps or s.reps < 1:
        errors["reps"] = "Run at least one replication (a whole number)."
    if not _finite(s.seed) or int(s.seed) != s.seed or s.seed < 0:
        errors["seed"] = "The seed is a whole number, 0 or more."
    return errors


def check_levers(lv: Levers, reference: str = BASELINE) -> dict[str, str]:
    """Problems the controls can see on their own, in plain English, by the control's field name.

    ``reference`` is the name of the scenario compared against: the two names must differ.
    """
    errors: dict[str, str] = {}
    if not lv.name.strip():
        errors["name"] = "Give the scenario a short name."
    elif "\n" in lv.name or "\r" in lv.name:
        errors["name"] = "The name must be on one line."
    elif lv.name.strip() == BASELINE:
        errors["name"] = "'baseline' is the name of the built-in baseline; choose another name."
    elif lv.name.strip() == reference:
        errors["name"] = f"'{reference}' is the name of the scenario you compare against; choose another name."
    numbers = {
        k: v
        for k, v in (
            ("shift_gbp", lv.shift_gbp),
            ("mdt_extra_per_100k", lv.mdt_extra_per_100k),
            ("caseload", lv.caseload),
            ("enrol_top_percent", lv.enrol_top_percent),
            ("rapid_response_per_100k", lv.rapid_response_per_100k),
            ("assessment_time_change_percent", lv.assessment_time_change_percent),
            ("community_support_percent", lv.community_support_percent),
            *lv.shares().items(),
            *((f"mix_{d}", v) for d, v in lv.mix().items()),
            ("growth_registered_percent", lv.growth_registered_percent),
            ("growth_65_74_percent", lv.growth_65_74_percent),
            ("growth_75_84_percent", lv.growth_75_84_percent),
            ("growth_85plus_percent", lv.growth_85plus_percent),
        )
    }
    for key, value in numbers.items():
        if not _finite(value):
            errors[key] = "Enter a number."
    if errors:
        return errors
    if lv.shift_gbp < 0:
        errors["shift_gbp"] = "The amount cannot be negative: money moves out of acute beds."
    shares = lv.shares()
    if any(v < 0 or v > 100 for v in shares.values()):
        errors["shares"] = "Each share is between 0% and 100%."
    elif lv.shift_gbp > 0 and abs(math.fsum(shares.values()) - 100) > 1e-6:
        errors["shares"] = (
            f"The shares add up to {math.fsum(shares.values()):g}%; they must add up to 100% "
            "so that all the money released is spent (the shift is budget-neutral)."
        )
    mix = lv.mix()
    if any(v < 0 or v > 100 for v in mix.values()):
        errors["mix"] = "Each discipline's part is between 0% and 100%."
    elif lv.has_mdt() and abs(math.fsum(mix.values()) - 100) > 1e-6:
        errors["mix"] = f"The co-ordinator mix adds up to {math.fsum(mix.values()):g}%; it must add up to 100%."
    if lv.mdt_extra_per_100k < 0:
        errors["mdt_extra_per_100k"] = "The number of extra co-ordinators cannot be negative."
    if int(lv.caseload) != lv.caseload or not 1 <= lv.caseload <= 500:
        errors["caseload"] = "A caseload is a whole number of people per co-ordinator, from 1 to 500."
    if not 0 <= lv.enrol_top_percent <= 100:
        errors["enrol_top_percent"] = "The share enrolled is between 0% and 100% of the cohort."
    if lv.rapid_response_per_100k < 0:
        errors["rapid_response_per_100k"] = "Rapid response capacity cannot be negative."
    if lv.assessment_time_change_percent <= -100:
        errors["assessment_time_change_percent"] = (
            "Assessments cannot take no time at all: the change must be more than -100%."
        )
    if not 0 <= lv.community_support_percent <= 500:
        errors["community_support_percent"] = "Funding is between 0% (all cut) and 500% of today's."
    for key in ("growth_registered_percent", "growth_65_74_percent", "growth_75_84_percent", "growth_85plus_percent"):
        if getattr(lv, key) <= -100:
            errors[key] = "A group cannot shrink by 100% or more."
    return errors


# --- the scenario file --------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # Python's shortest repr of a finite float is a valid TOML float
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a TOML basic string
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {v!r}")


def _number(v: float) -> int | float:
    """Whole numbers as integers, so that the file reads as people write it."""
    v = float(v)
    return int(v) if v.is_integer() else round(v, 10)


def _toml_amount(gbp: float) -> str:
    """An amount as the library writes it, whole pounds with TOML's digit separators: 2_000_000."""
    n = _number(gbp)
    return f"{n:_}" if isinstance(n, int) else _toml_value(n)


def _pct(v: float) -> float:
    return round(float(v) / 100, 10)


def shift_targets(lv: Levers) -> dict[str, float]:
    """The shares of the money released by service, as fractions (the MDT's split by the mix)."""
    to: dict[str, float] = {}
    mix = lv.mix()
    total_mix = math.fsum(mix.values())
    for d, part in mix.items():
        share = round(lv.share_mdt * part / total_mix / 100, 10) if total_mix else 0.0
        if share > 0:
            to[f"mdt_{d}"] = share
    for key, service in TARGETS.items():
        if getattr(lv, key) > 0:
            to[service] = _pct(getattr(lv, key))
    return to


def default_description(lv: Levers) -> str:
    """What the levers do, in one paragraph, when the user writes no description."""
    parts = []
    if lv.shift_gbp > 0:
        where = []
        if lv.share_mdt > 0:
            where.append(f"{lv.share_mdt:g}% to MDT co-ordinators")
        names = {
            "share_reablement": "reablement places",
            "share_intermediate_care": "intermediate care beds",
            "share_home_care": "home care packages",
        }
        where += [f"{getattr(lv, k):g}% to {n}" for k, n in names.items() if getattr(lv, k) > 0]
        parts.append(
            f"GBP {lv.shift_gbp:,.0f} a year (for a place of {PLACE:,} people) moved from acute beds: "
            + ", ".join(where)
            + "; budget-neutral."
        )
    if lv.has_mdt():
        mix = ", ".join(f"{v:g}% {MIX_LABELS[d].lower()}" for d, v in lv.mix().items() if v > 0)
        extra = (
            f" plus {lv.mdt_extra_per_100k:g} co-ordinators per 100,000 paid with new money,"
            if lv.mdt_extra_per_100k
            else ""
        )
        parts.append(
            f"An MDT of named co-ordinators ({mix}),{extra} caseload {int(lv.caseload)}, for the "
            f"{lv.enrol_top_percent:g}% at highest risk; social care "
            f"{'in' if lv.social_care_in_team else 'outside'} the team."
        )
    base = Params().community
    if lv.rapid_response_per_100k != base.rapid_response_per_100k or lv.single_point_of_access:
        parts.append(
            f"Rapid response at {lv.rapid_response_per_100k:g} visits at once per 100,000"
            + (" with a single point of access." if lv.single_point_of_access else ".")
        )
    if lv.care_navigators:
        parts.append("Care navigators.")
    if lv.assessment_time_change_percent:
        parts.append(f"Information sharing: discharge assessments take {lv.assessment_time_change_percent:+g}% time.")
    if lv.community_support_percent != 100:
        parts.append(f"Community support funded at {lv.community_support_percent:g}% of today's.")
    if any(lv.growth().values()):
        g = lv.growth()
        parts.append(
            f"Demographic growth: registered {g['growth_registered_population']:+g}%, 65-74 {g['growth_65_74']:+g}%, "
            f"75-84 {g['growth_75_84']:+g}%, 85+ {g['growth_85plus']:+g}%"
            + (", services kept at today's size." if lv.pin_capacities else ", services growing with the population.")
        )
    return " ".join(parts) or "No change from the built-in baseline."


def scenario_toml(lv: Levers, settings: Settings | None = None) -> str:
    """The levers as a scenario file; only levers that differ from the built-in baseline are written."""
    description = " ".join(lv.description.split()) or default_description(lv)
    out = ["# Written by the caresim what-if page. Check it with: caresim validate FILE"]
    if settings is not None:
        out.append(f"# Compare it with: caresim compare baseline FILE {settings.flags()}")
    out += [
        "",
        f"name = {_toml_value(lv.name.strip())}",
        f"description = {_toml_value(description)}",
        'extends = "baseline"',
    ]
    if lv.has_mdt():
        out += ["", "[intervention.mdt]"]
        if lv.mdt_extra_per_100k > 0:
            total = math.fsum(lv.mix().values())
            counts = {d: _number(round(lv.mdt_extra_per_100k * v / total, 10)) for d, v in lv.mix().items() if v > 0}
            out.append(f"coordinators_per_100k = {_toml_value(counts)}")
        out += [
            f"caseload = {int(lv.caseload)}",
            f"enrol_top_share = {_toml_value(_number(_pct(lv.enrol_top_percent)))}",
            f"social_care_in_team = {_toml_value(bool(lv.social_care_in_team))}",
        ]
        if lv.match_discipline_to_need:
            out.append(f"discipline_for_need = {_toml_value(DISCIPLINE_FOR_NEED)}")
    base = Params().community
    if lv.rapid_response_per_100k != base.rapid_response_per_100k or lv.single_point_of_access:
        out += [
            "",
            "[intervention.rapid_response]",
            f"teams_per_100k = {_toml_value(_number(lv.rapid_response_per_100k))}",
            f"single_point_of_access = {_toml_value(bool(lv.single_point_of_access))}",
        ]
    if lv.care_navigators:
        out += ["", "[intervention.care_navigators]", "enabled = true"]
    if lv.assessment_time_change_percent:
        m = _number(round(1 + lv.assessment_time_change_percent / 100, 10))
        out += ["", "[intervention.information_sharing]", f"assessment_days_multiplier = {_toml_value(m)}"]
    if lv.community_support_percent != 100:
        out += [
            "",
            "[intervention.community_support]",
            f"funding = {_toml_value(_number(_pct(lv.community_support_percent)))}",
        ]
    if any(lv.growth().values()):
        out += ["", "[intervention.demography]"]
        for key, pct in lv.growth().items():
            out.append(f"{key} = {_toml_value(_number(round(1 + pct / 100, 10)))}")
        out.append(f"pin_capacities = {_toml_value(bool(lv.pin_capacities))}")
    if lv.shift_gbp > 0:
        out += [
            "",
            "[[shift]]",
            'from = "acute_beds"',
            f"amount_gbp_per_year = {_toml_amount(lv.shift_gbp)}",
            f"to = {_toml_value(shift_targets(lv))}",
        ]
    return "\n".join(out) + "\n"


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")
