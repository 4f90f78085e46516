"""The machinery behind the parameter tree: typed fields with units, sources and bounds.

A parameter is declared with :func:`param` inside a frozen dataclass.  Values
are checked on construction (type, bounds, tuple length), and overrides from a
scenario file are applied with :func:`apply_overrides`, which rejects unknown
keys and suggests the closest valid one.  Every number has an upper bound as it
has a lower one (the bounds by kind of unit below, far above any real value), so
that a typo such as ``1e308`` beds or a number of 400 digits is refused with its
key before anything converts it or runs.  Apart from the reasons given for those
bounds, nothing here knows about health care.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform, get_type_hints

from sim.parameters.retired import RETIRED

T = TypeVar("T")


# --- upper bounds by kind of unit (``param(..., hi=)``) ----------------------------------------------

MAX_CAPACITY_PER_100K = 10_000.0
"""Capacity per 100,000 registered people (beds, places, packages, posts, slots a day, people waiting): one
for every ten people, fifteen times the largest English rate (about 640 older people on home care per
100,000; acute beds are about 180).  No English place has that much of any service."""
MAX_PER_100K_PER_YEAR = 100_000.0
"""Events a year per 100,000 registered people (admissions, people joining the cohort): one for every
person every year, over three times England's rate of all hospital admissions (about 30,000)."""
MAX_PER_PERSON_YEAR = 365.0
"""Contacts, visits, referrals or changes per person-year: one a day, every day."""
MAX_DAYS = 36_500.0
"""Days of a wait, a stay or an interval: a hundred years, longer than a life (the bound of the horizon)."""
MAX_MULTIPLIER = 100.0
"""Hazard ratios and multipliers: a hundred-fold, twenty times the largest published one the model uses
(the eFI's 4.73 for admission in severe frailty)."""
MAX_PER_EPISODE = 100.0
"""Things per episode of care (follow-up attendances per first attendance): two a week for a year."""
MAX_GBP = 10_000_000.0
"""Pounds per unit (a bed-day, a contact, a post or a place a year): ten million, far above any NHS or
social care unit cost (a bed-year is about GBP 115,000; the costliest episodes are under GBP 1m)."""
HOURS_PER_WEEK = 168.0
"""Hours of care a week: every hour of the week."""
UNSTATED_HI = 1e9
"""The bound of a number whose parameter states none (each should state its own, by its kind of unit:
tests/test_input_limits.py holds the tree to that): a billion of any unit the model uses is beyond a
place of at most 5 million people, and keeps the sums and products of a run far from float overflow."""


class ParameterError(ValueError):
    """Bad parameter input: the message names the key and says why."""


def param(
    default: Any, unit: str, source: str, lo: float | None = None, hi: float | None = None, length: int | None = None
) -> Any:
    """A parameter field: default, unit, source (EVIDENCE row, seed file or 'assumption: why'), bounds.

    A number (or a list of numbers) given no ``hi`` is bounded by :data:`UNSTATED_HI`.
    """
    numbers = default if isinstance(default, (list, tuple)) else (default,)
    if hi is None and numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        hi = UNSTATED_HI
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
            raise ParameterError(f"{name}: expected a list of numbers, got {shown(value)}")
        if meta.get("length") is not None and len(value) != meta["length"]:
            raise ParameterError(f"{name}: expected {meta['length']} values, got {len(value)}")
        for v in value:
            _check_number(name, v, float, meta)
        return
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{name}: expected true or false, got {shown(value)}")
        return
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(f"{name}: expected text, got {shown(value)}")
        return
    _check_number(name, value, hint, meta)


def _check_number(name: str, value: Any, hint: Any, meta: Any) -> None:
    """Type, finiteness and bounds; an int is never converted to float (one of 400 digits would overflow)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name}: expected a number, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"{name}: must be finite, got {value!r}")
    if hint is int and isinstance(value, float) and not value.is_integer():
        raise ParameterError(f"{name}: expected a whole number, got {value!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = meta.get("unit", "")
    if lo is not None and value < lo:  # an int compares exactly with a float, however large
        raise ParameterError(f"{name}: {shown(value)} is below the smallest possible value {lo} ({unit})")
    if hi is not None and value > hi:
        raise ParameterError(f"{name}: {shown(value)} is above the largest possible value {hi} ({unit})")


def shown(value: Any, width: int = 60) -> str:
    """A value for a one-line message: its repr cut to ``width`` characters, or a huge int by its digits.

    Python refuses to write an int of more than 4,300 digits as text, and one of 400 makes a poor message.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        try:
            return f"a number of {len(str(abs(value))):,} digits"
        except ValueError:  # too many digits to write
            return f"a number of about {int(math.log10(abs(value))) + 1:,} digits"
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def closest(key: str, valid: list[str]) -> str | None:
    match = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return match[0] if match else None


def apply_overrides(obj: Any, overrides: dict[str, Any], prefix: str = "") -> Any:
    """A new tree with ``overrides`` (nested dicts mirroring the tree) applied and validated."""
    if not isinstance(overrides, dict):
        raise ParameterError(f"{prefix.rstrip('.') or 'parameters'}: expected a table of keys, got {shown(overrides)}")
    hints = get_type_hints(type(obj))
    names = [f.name for f in fields(obj)]
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        path = prefix + key
        if key not in names:
            if path in RETIRED:
                raise ParameterError(f"'{path}' was {RETIRED[path]}")
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
            if hints[key] is float and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
                value = float(value)  # a larger int stays one, for the bounds to refuse without overflow
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
