"""Checks shared by the TOML files that are not scenarios (experiments, calibration studies).

Each takes ``err``, a function that turns a message into the file's own
one-line error (``<file>: <what>``).
"""

from __future__ import annotations

import difflib
import math
from typing import Any


def known_keys(data: dict[str, Any], valid: tuple[str, ...], err, prefix: str = "") -> None:
    """Unknown keys are errors that suggest the closest valid key."""
    for key in data:
        if key not in valid:
            guess = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            hint = f"did you mean '{prefix}{guess[0]}'?" if guess else f"valid keys: {', '.join(valid)}"
            raise err(f"unknown key '{prefix}{key}'; {hint}")


def short_name(data: dict[str, Any], err) -> str:
    """The required ``name``: short text on one line."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise err("'name' is required: a short name on one line, in quotes")
    return name


def whole(value: Any, key: str, lo: int, err) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise err(f"'{key}' must be a whole number, got {value!r}")
    if value < lo:
        raise err(f"'{key}' must be at least {lo}, got {value}")
    return value


def days(data: dict[str, Any], key: str, err) -> float | None:
    """An optional number of days, 0 or more (None when absent)."""
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise err(f"'{key}' must be a number of days (0 or more), got {value!r}")
    return float(value)
