"""The checks of the API's keywords: counts, run settings, files, results folders and ``progress``.

Each bad value is a :class:`~sim.api.errors.SettingsError` that names the command line's flag for the
keyword (``--reps`` for ``reps=``), so that the API and the command say the same line.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

from sim.api.errors import SettingsError, one_line
from sim.parameters.filecheck import MAX_SEED
from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides
from sim.scenarios.scenario import RunSettings

SETTINGS = {  # keyword -> (its flag, parameter group, parameter)
    "population": ("--population", "place", "registered_population"),
    "horizon_days": ("--horizon-days", "time", "horizon_days"),
    "warmup_days": ("--warmup-days", "time", "warmup_days"),
}


def whole(value: Any, flag: str, lo: int, hi: int = MAX_SEED) -> int:
    """A whole number from ``lo`` to ``hi``, or a :class:`SettingsError` naming ``flag``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingsError(f"{flag}: expected a whole number, got {value!r}")
    number = int(value)
    if number < lo:
        raise SettingsError(f"{flag}: must be at least {lo}, got {number}")
    if number > hi:
        raise SettingsError(f"{flag}: must be at most {hi:,}, got {number}")
    return number


def optional(value: Any, flag: str, lo: int, hi: int = MAX_SEED) -> int | None:
    """:func:`whole`, or ``None`` where no value is given."""
    return None if value is None else whole(value, flag, lo, hi)


def run_settings(population: Any = None, horizon_days: Any = None, warmup_days: Any = None) -> RunSettings:
    """The run settings, each checked against its parameter."""
    given = {"population": population, "horizon_days": horizon_days, "warmup_days": warmup_days}
    values = {}
    for keyword, (flag, group, key) in SETTINGS.items():
        value = given[keyword]
        if value is None:
            continue
        try:
            apply_overrides(Params(), {group: {key: value}})
        except ParameterError as e:
            raise SettingsError(f"{flag}: {one_line(e).removeprefix(f'{group}.{key}: ')}") from None
        values[keyword] = value
    return RunSettings(**values)


def given_settings(**given: Any) -> str | None:
    """The flag of the first run setting given (not None), if any."""
    return next((SETTINGS[k][0] for k, v in given.items() if v is not None), None)


def file_path(path: Any, error: type[ValueError]) -> Path:
    """A file's path as given, or the file kind's own error."""
    if not isinstance(path, (str, os.PathLike)):
        raise error(f"{one_line(repr(path))}: expected a file's path")
    return Path(path)


def out_folder(out: Any) -> Path | None:
    """``out``: a folder's name, not an empty one, or None."""
    if out is None:
        return None
    if not isinstance(out, (str, os.PathLike)) or not str(out).strip():
        raise SettingsError("--out: give a folder name, not an empty one")
    return Path(out)


def progress_kind(progress: Any) -> None:
    """``progress``: True, False or a function."""
    if not isinstance(progress, bool) and not callable(progress):
        raise SettingsError(f"progress: expected True, False or a function, got {progress!r}")


def job_keywords(workers: Any, out: Any, progress: Any) -> tuple[int | None, Path | None]:
    """The keywords of a job that keeps a results store: ``workers`` and ``out`` checked, and ``progress``."""
    progress_kind(progress)
    return optional(workers, "--workers", 1), out_folder(out)
