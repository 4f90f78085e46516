"""Scenario files: a name, a description, what they extend, and parameter overrides.

A scenario is a TOML file::

    name = "more_beds"
    description = "The baseline with 150 acute beds per 100,000 people."
    extends = "baseline"          # or a path relative to this file

    [acute]
    beds_per_100k = 150

``extends`` chains are resolved parent first: each file's overrides are
applied on top of the parameters its parent resolved to.  Every problem is a
:class:`ScenarioError` whose message is one line, ``<file>: <what>``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .params import Params
from .paramtree import ParameterError, apply_overrides

BASELINE = "baseline"
BASELINE_DESCRIPTION = (
    "The built-in baseline: the place before integration, with services at their "
    "published levels and no MDT."
)
META_KEYS = ("name", "description", "extends")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is ``<file>: <what>`` on one line."""


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its parameters and its overrides relative to the built-in baseline."""

    name: str
    description: str
    path: Path | None  # None for the built-in baseline
    params: Params
    overrides: dict[str, Any] = field(default_factory=dict)  # merged over the extends chain


def baseline() -> Scenario:
    """The built-in baseline, as a scenario named ``baseline``."""
    return Scenario(BASELINE, BASELINE_DESCRIPTION, None, Params(), {})


def load(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file, resolve its ``extends`` chain and validate its parameters."""
    return _load(Path(path), Path(path).as_posix(), ())


def _load(path: Path, shown: str, chain: tuple[Path, ...]) -> Scenario:
    data = _read_toml(path, shown)
    unknown = [k for k in data if k not in META_KEYS and k not in _group_names()]
    if unknown:
        key = unknown[0]
        valid = list(META_KEYS) + _group_names()
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

    parent = _parent(path, shown, extends, chain)
    own = {k: v for k, v in data.items() if k not in META_KEYS}
    try:
        params = apply_overrides(parent.params, own)
    except ParameterError as e:
        raise ScenarioError(f"{shown}: {_one_line(str(e))}") from None
    return Scenario(name, description, path, params, _merge(parent.overrides, own))


def _parent(path: Path, shown: str, extends: str, chain: tuple[Path, ...]) -> Scenario:
    if extends == BASELINE:
        return baseline()
    here = path.resolve()
    target = (path.parent / extends).resolve()
    target_shown = Path(os.path.normpath(Path(shown).parent / extends)).as_posix()
    seen = chain + (here,)
    if target in seen:
        loop = " -> ".join(p.name for p in seen[seen.index(target):] + (target,))
        raise ScenarioError(f"{shown}: 'extends' makes a cycle: {loop}")
    if not target.is_file():
        raise ScenarioError(f"{shown}: 'extends' names '{extends}', which is not a file (looked for {target_shown})")
    return _load(target, target_shown, seen)


def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{shown}: is a directory, not a scenario file") from None
    except OSError as e:
        raise ScenarioError(f"{shown}: cannot read the file ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScenarioError(f"{shown}: not UTF-8 text (byte 0x{raw[e.start]:02x} on line {line}); save the file as UTF-8") from None
    if not text.strip():
        raise ScenarioError(f"{shown}: the file is empty; a scenario needs at least a name")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{shown}: not valid TOML: {_one_line(str(e))}") from None


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
