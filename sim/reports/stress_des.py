"""The STRESS-DES checklist, filled in for one run of caresim.

STRESS-DES is the reporting checklist for discrete-event simulation studies of
Monks et al. (2019), "Strengthening the reporting of empirical simulation
studies: Introducing the STRESS guidelines", Journal of Simulation 13(1):55-67.
The words of the answers are in ``stress_des.toml`` beside this module: its
six sections, item by item, with the facts of the run named in braces.  This
module works out those facts from the run's metadata (scenarios, run length,
replications, seed, software, platform, commit) and fills them in; a fact the
metadata lacks is "not recorded".  :func:`citation` turns a parameter's source into words a reader can follow
("EVIDENCE.md section 3", a seed document's short title and file).  Nothing here writes files or formats HTML.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib import resources
from typing import Any

from sim.parameters.params import Params

TEXT: dict[str, Any] = tomllib.loads(resources.files("sim.reports").joinpath("stress_des.toml").read_text("utf-8"))
CITATION: str = TEXT["citation"]
NOT_RECORDED: str = TEXT["not_recorded"]
SOURCE_KINDS: dict[str, str] = TEXT["source_kinds"]  # first word of a parameter's source -> where it comes from
PHRASES: dict[str, Any] = TEXT["phrases"]
CITATIONS: dict[str, str] = TEXT["citations"]
SEEDS: dict[str, str] = TEXT["seeds"]  # seed number -> the document's short title
# "DESIGN 2", "EVIDENCE 3", "seed 000_<hash>.txt" and "seed 000" inside a source
CITED = re.compile(
    r"\b(?P<doc>DESIGN|EVIDENCE) (?P<section>\d+)\b|\bseed (?P<number>\d{3})(?P<file>_[0-9a-f]+\.txt)?\b"
)


def _cite(m: re.Match) -> str:
    if m["doc"]:
        return CITATIONS[m["doc"].lower()].format(section=m["section"])
    number, title = m["number"], SEEDS.get(m["number"])
    if title is None:
        return CITATIONS["unknown_seed"].format(number=number) + (f": {number}{m['file']}" if m["file"] else "")
    if m["file"]:
        return CITATIONS["seed_file"].format(title=title, number=number, file=number + m["file"])
    return CITATIONS["seed"].format(title=title, number=number)


def citation(source: str) -> str:
    """A parameter's source (or a description) with its references in words: 'DESIGN 2' as 'design brief section
    2', 'EVIDENCE 3' as 'EVIDENCE.md section 3' and a seed file by its document's short title, number and file."""
    return CITED.sub(_cite, str(source))


def _phrase(key: str, count: int | None = None, **values: Any) -> str:
    """The phrase ``key`` of the data file filled with ``values``; ``count`` picks its singular or plural form."""
    words = PHRASES[key]
    if isinstance(words, dict):
        words = words["one" if count == 1 else "many"]
    return words.format(count=count, **values)


def _value(meta: dict, key: str, unit: str = "", thousands: bool = True) -> str:
    v = meta.get(key)
    if v is None or v == "":
        return NOT_RECORDED
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    text = f"{v:,}" if number and thousands else str(v)
    return text + unit


def source_counts(parameters: list[dict]) -> Counter:
    """How many parameters come from each kind of source (keys of SOURCE_KINDS, or 'other')."""
    out: Counter = Counter()
    for p in parameters:
        word = str(p.get("source") or "").replace(":", " ").split(" ")[0].lower()
        out[word if word in SOURCE_KINDS else "other"] += 1
    return out


POPULATION = "place.registered_population"
DEFAULT_POPULATION = Params().place.registered_population


def _population_row(meta: dict, name: Any) -> Any:
    """A scenario's registered population where it differs from the built-in baseline's (None where not)."""
    for d in (meta.get("parameters") or {}).get(name) or []:
        if isinstance(d, dict) and d.get("parameter") == POPULATION:
            return d.get("value")
    return None


def population_run(meta: dict, name: Any) -> Any:
    """The registered people a scenario of this run was run for (None when the metadata cannot say).

    Its difference from the built-in baseline where it has one; else the reference's population where the
    reference has no difference either (the two ran alike); else the built-in default.
    """
    own = _population_row(meta, name)
    if own is not None:
        return own
    if _population_row(meta, meta.get("reference")) is None:
        return meta.get("population")
    return DEFAULT_POPULATION


def described(description: Any, population: Any) -> str:
    """A scenario's description led by the population it was run for, its sources in words (:func:`citation`).

    A description is written for its scenario's own place; where the run was made at another size and the text
    names the default place, it says so rather than leave '250,000 people' on a 20,000-person run unexplained.
    """
    text = citation(" ".join(str(description or "").split()))
    if not isinstance(population, (int, float)) or isinstance(population, bool):
        return text
    said = _phrase("run_for", population=f"{population:,.0f}")
    if population != DEFAULT_POPULATION and f"{DEFAULT_POPULATION:,}" in text:
        said += " " + _phrase("written_for", default=f"{DEFAULT_POPULATION:,}")
    return f"{said} {text}".strip()


def _sources(meta: dict) -> str:
    base = meta.get("baseline_parameters") or []
    if not base:
        return _phrase("sources_not_recorded")
    counts = source_counts(base)
    parts = [_phrase("source_count", counts[k], kind=kind) for k, kind in SOURCE_KINDS.items() if counts[k]]
    if counts["other"]:
        parts.append(_phrase("source_count", counts["other"], kind=_phrase("other_sources")))
    return _phrase("sources", total=len(base), counts="; ".join(parts))


def _baseline_value(meta: dict, name: str) -> Any:
    for p in meta.get("baseline_parameters") or []:
        if p.get("parameter") == name:
            return p.get("value")
    return None


def _scenarios(meta: dict) -> list[dict]:
    return [s for s in meta.get("scenarios") or [] if isinstance(s, dict)]


def _aims(meta: dict) -> str:
    scenarios = _scenarios(meta)
    ref = meta.get("reference") or (scenarios[0].get("name") if scenarios else None)
    if not scenarios:
        return _phrase("aims_not_recorded")
    others = [s for s in scenarios if s.get("name") != ref]
    lines = [_phrase("aims", len(others), reference=ref)]
    for s in others:
        desc = " ".join(str(s.get("description") or "").split())
        desc = described(desc, population_run(meta, s.get("name"))) if desc else ""
        lines.append(
            _phrase("aim", name=s.get("name"), description=desc)
            if desc
            else _phrase("aim_undescribed", name=s.get("name"))
        )
    grid = meta.get("grid")
    if isinstance(grid, dict) and grid.get("parameter"):
        values = ", ".join(str(v) for v in grid.get("values") or [])
        which = ", ".join(f"'{n}'" for n in grid.get("scenarios") or []) or _phrase("grid_every_scenario")
        lines.append(
            _phrase(
                "grid",
                scenarios=which,
                label=grid.get("label") or grid["parameter"],
                parameter=grid["parameter"],
                values=values,
            )
        )
    return " ".join(lines)


def _scenario_changes(meta: dict) -> str:
    """One sentence per scenario, each after a space: its interventions, shifts and changed parameters."""
    params = meta.get("parameters") or {}
    lines = []
    for s in _scenarios(meta):
        bits = []
        if s.get("interventions"):
            bits.append(_phrase("interventions", names=", ".join(str(i) for i in s["interventions"])))
        if s.get("shifts"):
            bits.append(_phrase("shifts", shifts=" ".join(str(x).rstrip(".") for x in s["shifts"])))
        bits.append(_phrase("differing", len(params.get(s.get("name"), []) or [])))
        lines.append(" " + _phrase("scenario_changes", name=s.get("name"), changes="; ".join(bits)))
    return "".join(lines)


def _warmup_check(meta: dict) -> str:
    checks = meta.get("warmup_check") or []
    if not checks:
        return _phrase("warmup_not_recorded")
    verdicts = Counter(str(c.get("verdict") or NOT_RECORDED).split(":")[0] for c in checks if isinstance(c, dict))
    return _phrase("warmup_check", len(checks), verdicts=", ".join(f"{v} {n}" for v, n in verdicts.items()))


SHORT = 12  # characters of a hash or commit shown in the text; the metadata section holds the whole value


def _short(value: Any) -> str:
    """A hash by its first characters ('5c98a6ba1ea6...'), so that a sentence wraps in a window."""
    if not value:
        return NOT_RECORDED
    text = str(value)
    return text[:SHORT] + ("..." if len(text) > SHORT else "")


def _inputs(meta: dict) -> str:
    files = [
        _phrase("input_file", file=s.get("file"), sha256=_short(s.get("file_sha256")))
        for s in _scenarios(meta)
        if s.get("file")
    ]
    if meta.get("experiment_file"):
        files.insert(
            0,
            _phrase("experiment_file", file=meta["experiment_file"], sha256=_short(meta.get("experiment_sha256"))),
        )
    return _phrase("inputs", files="; ".join(files)) if files else _phrase("no_inputs")


def facts(meta: dict | None) -> dict[str, str]:
    """The facts of a run that fill the checklist's items, by the names the data file gives them in braces."""
    meta = meta or {}
    price_year = _baseline_value(meta, "costs.price_year")
    discount = _baseline_value(meta, "discounting.costs_per_year")
    unpaired = [s.get("name") for s in _scenarios(meta) if s.get("paired") is False]
    precision = meta.get("precision")
    return {
        "metrics": ", ".join(str(m) for m in meta.get("metrics") or []) or NOT_RECORDED,
        "aims": _aims(meta),
        "scenario_changes": _scenario_changes(meta),
        "sources": _sources(meta),
        "price_year": (
            _phrase("price_year", year=price_year, next_year=(int(price_year) + 1) % 100)
            if isinstance(price_year, int)
            else ""
        ),
        "parameter_count": str(len(meta.get("baseline_parameters") or []) or NOT_RECORDED),
        "discount": _phrase("discount", rate=discount) if isinstance(discount, (int, float)) else "",
        "warmup": _value(meta, "warmup_days", " days"),
        "warmup_check": _warmup_check(meta),
        "horizon": _value(meta, "horizon_days", " days"),
        "population": _value(meta, "population"),
        "replications": _value(meta, "replications"),
        "per_grid_value": _phrase("per_grid_value") if meta.get("grid") else "",
        "intervals": _phrase("one_replication") if meta.get("replications") == 1 else _phrase("intervals"),
        "unpaired": _phrase("unpaired", names=", ".join(f"'{n}'" for n in unpaired)) if unpaired else "",
        "precision": (
            _phrase("precision", half_width_pct=precision.get("half_width_pct", NOT_RECORDED))
            if isinstance(precision, dict)
            else ""
        ),
        "caresim_version": _value(meta, "caresim_version"),
        "python": _value(meta, "python"),
        "seed": _value(meta, "seed", thousands=False),
        "executor": _phrase("executor", executor=meta["executor"]) if meta.get("executor") else "",
        "platform": _value(meta, "platform"),
        "commit": _short(meta.get("git_commit")) if meta.get("git_commit") else _phrase("no_commit"),
        "inputs": _inputs(meta),
    }


def checklist(meta: dict | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The six STRESS-DES sections, each a list of (item, answer)."""
    known = facts(meta)
    return [
        (section["title"], [(item["item"], item["text"].format_map(known)) for item in section["items"]])
        for section in TEXT["sections"]
    ]
