"""Scenario files: a name, a description, what they extend, overrides, interventions and shifts.

A scenario is a TOML file::

    name = "more_beds"
    description = "The baseline with 150 acute beds per 100,000 people."
    extends = "baseline"          # or a path relative to this file

    [acute]
    beds_per_100k = 150

    [intervention.rapid_response]  # named interventions: sim/scenarios/interventions.py
    teams_per_100k = 2

    [[shift]]                      # money moved between services: sim/scenarios/shifts.py
    from = "acute_beds"
    amount_gbp_per_year = 500_000
    to = { reablement_places = 1.0 }

    [[capacity_plan]]              # capacity by year: sim/scenarios/capacity_plan.py
    year = 3
    service = "home_care"
    change = 0.2

Each file is resolved on top of what its parent resolved to (``extends``,
parent first), in this order: its parameter overrides, then its
interventions (in file order), then its shifts (in file order), then its
capacity plans (earliest year first).  Interventions and shifts may take
time (``ramp_up_months``, ``funding_stops_year``, ``decay_months``:
sim/scenarios/timing.py); the parameters hold every change in full effect
and record those that take time (sim/parameters/timeline.py).  Every
problem is a :class:`ScenarioError` whose message is one line,
``<file>: <what>``.

Run settings (population, horizon, warm-up) given on the command line win
over any file in the chain.  The population given is the place *before* a
scenario's own changes: a demographic intervention grows it, and shift
amounts are scaled with it (``population_scale``), like every capacity per
100,000.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from sim.parameters.filecheck import known_keys
from sim.parameters.params import Params
from sim.parameters.patch import Patch
from sim.parameters.tree import ParameterError, apply_overrides, to_dict
from sim.parameters.tree import shown as shown_value
from sim.scenarios import capacity_plan, interventions, shifts, timing
from sim.scenarios.shifts import ShiftReport

BASELINE = "baseline"
BASELINE_DESCRIPTION = (
    "The built-in baseline: the place before integration, with services at their published levels and no MDT."
)
META_KEYS = ("name", "description", "extends")
LEVER_KEYS = ("intervention", "shift", "capacity_plan")

# --- what a file the user names may be --------------------------------------------------------------
MAX_TOML_BYTES = 1_000_000
"""A scenario, experiment, calibration study, sites or validation file is at most 1 MB: a hundred times the
largest in this repository (calibration/pilots.toml, about 10 KB), and read whole in a moment."""
MAX_TEXT_BYTES = 64_000_000
"""Any other text file read whole (a posterior sample) is at most 64 MB: hundreds of thousands of particles."""
MAX_NESTING = 20
"""Lists and tables in a TOML file nest at most 20 deep; the files here need four (``shift[1].to``,
``intervention.mdt.coordinators_per_100k``).  Deeper nesting makes tomllib (or any code walking the file)
recurse until Python stops it."""
MAX_MAGNITUDE = 2**63
"""No number in a TOML file reaches 2**63 (about 9.2e18) in size: the largest integer the results store
(SQLite) and numpy's int64 hold is just below it.  Every quantity's own bound is far lower (a seed's is just
below); this one stops a number of 400 digits, or ``1e308``, before any code converts it."""
FILE_KINDS = {  # what a path that is not a regular file is, by its mode
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is ``<file>: <what>`` on one line."""


E = TypeVar("E", bound=ValueError)  # the error type of a file other than a scenario


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its parameters and its overrides relative to the built-in baseline."""

    name: str
    description: str
    path: Path | None  # None for the built-in baseline
    params: Params
    overrides: dict[str, Any] = field(default_factory=dict)  # merged over the extends chain
    interventions: tuple[str, ...] = ()  # names applied, over the chain, parent first
    shifts: tuple[ShiftReport, ...] = ()  # over the chain, parent first
    population_scale: float = 1.0  # population run / the scenario's own population
    base_params: Params | None = None  # before the launch: plain overrides only, no interventions or shifts

    @property
    def prelaunch(self) -> Params:
        """The services of the warm-up; interventions and shifts switch on at the window's start."""
        return self.base_params if self.base_params is not None else self.params


@dataclass(frozen=True)
class RunSettings:
    """Run settings from the command line; ``None`` keeps the scenario's.

    ``defaults`` replaces the package defaults underneath every scenario (a posterior draw,
    :mod:`sim.analysis.posterior`): the built-in baseline is built from it, so a file's own settings still win.
    """

    population: int | None = None
    horizon_days: float | None = None
    warmup_days: float | None = None
    defaults: Params | None = None

    def time_overrides(self) -> dict[str, Any]:
        t = {k: v for k, v in (("horizon_days", self.horizon_days), ("warmup_days", self.warmup_days)) if v is not None}
        return {"time": t} if t else {}


def baseline(settings: RunSettings | None = None) -> Scenario:
    """The built-in baseline, as a scenario named ``baseline`` (with run settings, if given)."""
    s = settings or RunSettings()
    params = s.defaults if s.defaults is not None else Params()
    overrides: dict[str, Any] = s.time_overrides()
    scale = 1.0
    if s.population is not None:
        overrides = _merge(overrides, {"place": {"registered_population": s.population}})
        scale = s.population / params.place.registered_population
    return Scenario(
        BASELINE, BASELINE_DESCRIPTION, None, apply_overrides(params, overrides), {}, population_scale=scale
    )


def load(
    path: str | os.PathLike[str], settings: RunSettings | None = None, patch: Patch | tuple[Patch, ...] | None = None
) -> Scenario:
    """Read a scenario file, resolve its ``extends`` chain, interventions and shifts, and validate.

    ``patch`` sets values in the file itself before it is resolved (an experiment's grid point, or
    a calibration's parameter set).
    """
    return _load(Path(path), Path(path).as_posix(), (), settings or RunSettings(), patch)


def _load(
    path: Path,
    shown: str,
    chain: tuple[Path, ...],
    settings: RunSettings,
    patch: Patch | tuple[Patch, ...] | None = None,
) -> Scenario:
    data = read_toml(path, shown)
    for one in (patch,) if isinstance(patch, Patch) else patch or ():
        try:
            one.apply(data)
        except ValueError as e:
            raise ScenarioError(f"{shown}: {e}") from None
    valid = list(META_KEYS) + list(LEVER_KEYS) + _group_names()
    unknown = [k for k in data if k not in valid]
    if unknown:
        key = unknown[0]
        guess = next(iter(difflib.get_close_matches(key, valid, n=1, cutoff=0.6)), None)
        hint = f"; did you mean '{guess}'?" if guess else f"; valid keys: {', '.join(valid)}"
        raise ScenarioError(f"{shown}: unknown top-level key '{key}'{hint}")
    name = _text(data, "name", shown, required=True)
    if not name.strip():
        raise ScenarioError(f"{shown}: 'name' must not be empty")
    if "\n" in name or "\r" in name:
        raise ScenarioError(f"{shown}: 'name' must be on one line")
    description = _text(data, "description", shown, required=False)
    extends = _text(data, "extends", shown, required=False) or BASELINE

    parent = _parent(path, shown, extends, chain, settings)
    own = {k: v for k, v in data.items() if k not in META_KEYS and k not in LEVER_KEYS}
    try:
        params = timing.keep_set(apply_overrides(parent.params, own), own)
        params, scale = _settings_win(params, own, parent.population_scale, settings)
        base, _ = _settings_win(apply_overrides(parent.prelaunch, own), own, parent.population_scale, settings)
        overrides = _merge(parent.overrides, own)
        names = parent.interventions
        if "intervention" in data:
            params, applied = interventions.apply(data["intervention"], params)
            for ov in applied.values():
                overrides = _merge(overrides, ov)
            names += tuple(applied)
        reports = parent.shifts
        if "shift" in data:
            params, ov, own_reports = shifts.apply(data["shift"], params, scale)
            overrides = _merge(overrides, ov)
            reports += own_reports
        if "capacity_plan" in data:
            params, ov = capacity_plan.apply(data["capacity_plan"], params)
            overrides = _merge(overrides, ov)
    except ParameterError as e:
        raise ScenarioError(f"{shown}: {_one_line(str(e))}") from None
    return Scenario(name, description, path, params, overrides, names, reports, scale, base)


def _settings_win(params: Params, own: dict[str, Any], scale: float, s: RunSettings) -> tuple[Params, float]:
    """Run settings over a file's own overrides; the population scale of what this file set."""
    over = s.time_overrides()
    place = own.get("place", {}) if isinstance(own.get("place"), dict) else {}
    if s.population is not None:
        if "registered_population" in place:
            scale = s.population / place["registered_population"]
            over = _merge(over, {"place": {"registered_population": s.population}})
        if place.get("capacity_population"):
            over = _merge(over, {"place": {"capacity_population": int(round(place["capacity_population"] * scale))}})
    return (apply_overrides(params, over) if over else params), scale


def check_names(scenarios: Sequence[Scenario]) -> None:
    """Scenario names must be unique within a comparison: a :class:`ScenarioError` names both files."""
    seen: dict[str, Scenario] = {}
    for s in scenarios:
        if s.name in seen:
            first = seen[s.name]
            where = s.path.as_posix() if s.path else "the built-in baseline"
            other = first.path.as_posix() if first.path else "the built-in baseline"
            raise ScenarioError(
                f"{where}: name '{s.name}' is also the name of {other}; names must be unique in a comparison"
            )
        seen[s.name] = s


def _parent(path: Path, shown: str, extends: str, chain: tuple[Path, ...], settings: RunSettings) -> Scenario:
    if extends == BASELINE:
        return baseline(settings)
    here = path.resolve()
    target = (path.parent / extends).resolve()
    target_shown = Path(os.path.normpath(Path(shown).parent / extends)).as_posix()
    seen = chain + (here,)
    if target in seen:
        loop = " -> ".join(p.name for p in seen[seen.index(target) :] + (target,))
        raise ScenarioError(f"{shown}: 'extends' makes a cycle: {loop}")
    if not target.is_file():
        raise ScenarioError(f"{shown}: 'extends' names '{extends}', which is not a file (looked for {target_shown})")
    return _load(target, target_shown, seen, settings)


def read_text(path: Path, shown: str, kind: str, error: type[ValueError], limit: int = MAX_TEXT_BYTES) -> str:
    """A text file's contents; every problem is ``error("<shown>: <what>")`` on one line.

    Only a regular file of at most ``limit`` bytes is read: a named pipe is never opened (opening one
    to read waits for a writer, for ever), nor a device such as ``/dev/zero`` (which never ends).
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(f"{shown}: no such file") from None
    except OSError as e:
        raise error(f"{shown}: cannot read the file ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{shown}: is a directory, not {_a_file(kind)}")
    if not stat.S_ISREG(mode):
        what = next((name for test, name in FILE_KINDS.items() if test(mode)), "not a regular file")
        raise error(f"{shown}: is {what}, not {_a_file(kind)}; give a regular file")
    try:
        # O_NONBLOCK: should the path have become a pipe since the check, opening it does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise error(f"{shown}: is not a regular file, not {_a_file(kind)}; give a regular file")
            raw = f.read(limit + 1)
    except OSError as e:
        raise error(f"{shown}: cannot read the file ({e.strerror or e})") from None
    if len(raw) > limit:
        raise error(f"{shown}: too large for {_a_file(kind)} (more than {limit / 1e6:g} MB); is it the right file?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(
            f"{shown}: not UTF-8 text (byte 0x{raw[e.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def _a_file(kind: str) -> str:
    """'a scenario file' for the kind 'a scenario', and 'a validation file' for 'a validation file'."""
    return kind if kind.endswith("file") else f"{kind} file"


def read_checked(
    path: Path, kind: str, error: type[E], keys: tuple[str, ...]
) -> tuple[dict[str, Any], Callable[[str], E]]:
    """A TOML file that is not a scenario (an experiment, a calibration study, a sites file), its keys checked.

    Returns its contents and ``err``, which turns a message into the file's own one-line error
    (``error("<file>: <what>")``) for the checks that follow.
    """
    shown = path.as_posix()
    data = read_toml(path, shown, kind, error)

    def err(what: str) -> E:
        return error(f"{shown}: {what}")

    known_keys(data, keys, err)
    return data, err


def read_toml(
    path: Path, shown: str, kind: str = "a scenario", error: type[ValueError] = ScenarioError
) -> dict[str, Any]:
    """A TOML file's contents; every problem is ``error("<shown>: <what>")`` on one line."""
    text = read_text(path, shown, kind, error, MAX_TOML_BYTES)
    if not text.strip():
        raise error(f"{shown}: the file is empty; {kind} needs at least a name")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{shown}: not valid TOML: {_one_line(str(e))}") from None
    except RecursionError:
        raise error(f"{shown}: lists or tables nested too deeply (at most {MAX_NESTING} levels)") from None
    except ValueError as e:  # an integer of more digits than Python turns into a number (sys.set_int_max_str_digits)
        raise error(f"{shown}: {_long_number(text) or 'not valid TOML: ' + _one_line(str(e))}") from None
    _check_values(data, shown, error)
    return data


def _check_values(data: dict[str, Any], shown: str, error: type[ValueError]) -> None:
    """No list or table nested deeper than :data:`MAX_NESTING`, no number of :data:`MAX_MAGNITUDE` or more.

    Walked with a stack of its own, not by recursion, so that no depth makes it fail.
    """
    todo: list[tuple[str, Any, int]] = [(k, v, 1) for k, v in data.items()]
    while todo:
        key, value, depth = todo.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_NESTING:
                raise error(f"{shown}: {key}: lists or tables nested too deeply (at most {MAX_NESTING} levels)")
            items = value.items() if isinstance(value, dict) else ((f"[{i}]", v) for i, v in enumerate(value, 1))
            todo += [(f"{key}{k}" if k.startswith("[") else f"{key}.{k}", v, depth + 1) for k, v in items]
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and _huge(value):
            raise error(
                f"{shown}: {key}: {_shown_number(value)} is too large for any quantity caresim reads "
                "(every number in its files is below 2**63, about 9.2e18)"
            )


def _huge(value: int | float) -> bool:
    """Finite and of :data:`MAX_MAGNITUDE` or more (``inf`` and ``nan`` are left to each key's own check)."""
    return abs(value) >= MAX_MAGNITUDE and (isinstance(value, int) or math.isfinite(value))


def _shown_number(value: int | float) -> str:
    """A number for a message: a float as Python writes it, an int of many digits by their number."""
    return f"{value!r}" if isinstance(value, float) else shown_value(value)


def _long_number(text: str) -> str | None:
    """Where the first number too long for Python (more than 4,300 digits) is: ``<key> (line N): ...``."""
    limit = sys.get_int_max_str_digits() or 4300
    for match in re.finditer(r"[0-9][0-9_]*", text):
        digits = len(match.group().replace("_", ""))
        if digits > limit:
            line_no = text.count("\n", 0, match.start()) + 1
            line_start = text.rfind("\n", 0, match.start()) + 1
            before = text[line_start : match.start()]
            key = before.split("=", 1)[0].strip().strip('"') if "=" in before else ""
            where = f"{key} (line {line_no})" if key else f"line {line_no}"
            return (
                f"{where}: a number of {digits:,} digits is too large for any quantity caresim reads "
                "(every number in its files is below 2**63, about 9.2e18)"
            )
    return None


def _text(data: dict[str, Any], key: str, shown: str, required: bool) -> str:
    if key not in data:
        if required:
            raise ScenarioError(f"{shown}: missing required key '{key}' (a short name for the scenario)")
        return ""
    value = data[key]
    if not isinstance(value, str):
        raise ScenarioError(f"{shown}: '{key}' must be text in quotes, got {_one_line(repr(value))}")
    return value


def _group_names() -> list[str]:
    return [f.name for f in fields(Params)]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A new nested dict: ``over`` merged into ``base`` (tables merged key by key)."""
    out = {k: (_merge(v, {}) if isinstance(v, dict) else v) for k, v in base.items()}
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, dict):
            out[k] = _merge({}, v)
        else:
            out[k] = list(v) if isinstance(v, (list, tuple)) else v
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def scenario_hash(params: Params, prelaunch: Params) -> str:
    """SHA-256 of the resolved parameters (window and warm-up services), as canonical JSON."""
    text = json.dumps(
        {"params": to_dict(params), "prelaunch": to_dict(prelaunch)}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()
