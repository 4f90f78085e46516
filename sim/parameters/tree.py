"""The machinery behind the parameter tree: typed fields with units, sources and bounds.

A parameter is declared with :func:`param` inside a frozen dataclass.  Values
are checked on construction (type, bounds, tuple length), and overrides from a
scenario file are applied with :func:`apply_overrides`, which rejects unknown
keys and suggests the closest valid one.  Nothing here knows about health care.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform, get_type_hints

T = TypeVar("T")


class ParameterError(ValueError):
    """Bad parameter input: the message names the key and says why."""


def param(
    default: Any, unit: str, source: str, lo: float | None = None, hi: float | None = None, length: int | None = None
) -> Any:
    """A parameter field: default, unit, source (EVIDENCE row, seed file or 'assumption: why'), bounds."""
    meta = {"unit": unit, "source": source, "lo": lo, "hi": hi, "length": length}
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


def group(cls: type) -> Any:
    """A nested parameter group with its defaults."""
    return field(default_factory=cls)


class Group:
    """Base of every parameter group: validates its fields after construction."""

    # set by the dataclass decorator on each group (:func:`frozen`); declared so that type checkers
    # accept a group wherever the dataclasses module asks for a dataclass
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        hints = get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            if is_dataclass(value):
                continue
            _check(type(self).__name__, f, hints[f.name], value)
        self.check()

    def check(self) -> None:
        """Cross-field rules of a group (override where needed)."""


def _check(owner: str, f: dataclasses.Field, hint: Any, value: Any) -> None:
    meta = f.metadata
    name = f.name
    origin = getattr(hint, "__origin__", None)
    if origin is tuple:
        if not isinstance(value, tuple):
            raise ParameterError(f"{name}: expected a list of numbers, got {value!r}")
        if meta.get("length") is not None and len(value) != meta["length"]:
            raise ParameterError(f"{name}: expected {meta['length']} values, got {len(value)}")
        for v in value:
            _check_number(name, v, float, meta)
        return
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{name}: expected true or false, got {value!r}")
        return
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(f"{name}: expected text, got {value!r}")
        return
    _check_number(name, value, hint, meta)


def _check_number(name: str, value: Any, hint: Any, meta: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name}: expected a number, got {value!r}")
    if hint is int and not float(value).is_integer():
        raise ParameterError(f"{name}: expected a whole number, got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(f"{name}: must be finite, got {value!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = meta.get("unit", "")
    if lo is not None and value < lo:
        raise ParameterError(f"{name}: {value!r} is below the smallest possible value {lo} ({unit})")
    if hi is not None and value > hi:
        raise ParameterError(f"{name}: {value!r} is above the largest possible value {hi} ({unit})")


def closest(key: str, valid: list[str]) -> str | None:
    match = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return match[0] if match else None


def apply_overrides(obj: Any, overrides: dict[str, Any], prefix: str = "") -> Any:
    """A new tree with ``overrides`` (nested dicts mirroring the tree) applied and validated."""
    if not isinstance(overrides, dict):
        raise ParameterError(f"{prefix.rstrip('.') or 'parameters'}: expected a table of keys, got {overrides!r}")
    hints = get_type_hints(type(obj))
    names = [f.name for f in fields(obj)]
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        path = prefix + key
        if key not in names:
            guess = closest(key, names)
            hint = f"; did you mean '{prefix}{guess}'?" if guess else f"; valid keys here: {', '.join(names)}"
            raise ParameterError(f"unknown key '{path}'{hint}")
        current = getattr(obj, key)
        if is_dataclass(current):
            changes[key] = apply_overrides(current, value, path + ".")
        else:
            if isinstance(value, dict):
                raise ParameterError(f"{path}: expected a value, got a table")
            if isinstance(value, list):
                value = tuple(value)
            if hints[key] is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            elif hints[key] is int and isinstance(value, float) and value.is_integer():
                value = int(value)
            changes[key] = value
    try:
        return dataclasses.replace(obj, **changes)
    except ParameterError as e:
        raise ParameterError(f"{prefix}{e}") from None


def walk(obj: Any, prefix: str = ""):
    """Yield (dotted key, value, field metadata) for every leaf parameter."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            yield from walk(value, prefix + f.name + ".")
        else:
            yield prefix + f.name, value, f.metadata


def to_dict(obj: Any) -> dict[str, Any]:
    """Plain nested dict (tuples as lists) for hashing and JSON."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            out[f.name] = to_dict(value)
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """A parameter group as a frozen dataclass (declared as such, so that type checkers see its fields)."""
    return dataclass(frozen=True)(cls)
