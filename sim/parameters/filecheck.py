"""Checks shared by the TOML files that are not scenarios (experiments, calibration studies, sites).

Each takes ``err``, a function that turns a message into the file's own
one-line error (``<file>: <what>``).  Every number read has an upper bound as
well as a lower one, so that a typo (a seed of 2**64, ten billion
replications) is refused before anything runs.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from sim.parameters.params import Place
from sim.parameters.tree import MAX_DAYS, shown

MAX_SEED = 2**63 - 1
"""The largest master seed: the results store (SQLite) keeps each run's seed as a 64-bit signed integer.
numpy's ``SeedSequence`` (sim/core/streams.py) takes a seed of any size, so the store sets the bound."""
MAX_REPLICATIONS = 10_000
"""Replications of a parameter set (and posterior draws, sites, look-ahead): ten thousand, a hundred times
what the replications rule of Hoad, Robinson and Davies (2010) asks for in practice; more is a typo that
would run for weeks."""
MAX_RUNS = 1_000_000
"""Model runs, sample points or particles a study may ask for: a million runs of the smallest place take
weeks on a hundred cores."""
MAX_POPULATION = int(Place.__dataclass_fields__["registered_population"].metadata["hi"])
"""Registered people of a place: the bound of ``place.registered_population``."""


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


def whole(value: Any, key: str, lo: int, err, hi: int = MAX_SEED) -> int:
    """A whole number from ``lo`` to ``hi`` (by default, any that a 64-bit signed integer holds)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise err(f"'{key}' must be a whole number, got {shown(value)}")
    if value < lo:
        raise err(f"'{key}' must be at least {lo}, got {shown(value)}")
    if value > hi:
        raise err(f"'{key}' must be at most {hi:,}, got {shown(value)}")
    return value


def days(data: dict[str, Any], key: str, err) -> float | None:
    """An optional number of days, 0 to :data:`~sim.parameters.tree.MAX_DAYS` (None when absent)."""
    if key not in data:
        return None
    value = data[key]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or (isinstance(value, float) and not math.isfinite(value)) or not 0 <= value <= MAX_DAYS:
        raise err(f"'{key}' must be a number of days from 0 to {MAX_DAYS:,.0f} (a hundred years), got {shown(value)}")
    return float(value)
