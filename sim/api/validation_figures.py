"""The built-in baseline beside the published figures it was never fitted to (:func:`validation`), its result,
and the page ``docs/validation.md`` made of it."""

from __future__ import annotations

import dataclasses
import math
import os
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import __version__
from sim.api.errors import RunError, SettingsError
from sim.api.progress import Progress, bar
from sim.api.scenarios import load_scenario
from sim.api.settings import file_path, whole
from sim.calibration.validation import ValidationError
from sim.parameters.filecheck import MAX_REPLICATIONS, MAX_SEED

if TYPE_CHECKING:
    import pandas as pd

    from sim.parameters.params import Params

ROOT = Path(__file__).resolve().parents[2]  # the repository: the data file and docs/ live there
DATA_FILE = ROOT / "calibration" / "validation.toml"
DOC = ROOT / "docs" / "validation.md"
REPS, SEED = 3, 1  # the defaults: the replications and seed docs/validation.md is made with


@dataclass(frozen=True)
class ValidationResult:
    """The baseline's figures beside the validation rows of EVIDENCE.md (:func:`validation`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row a figure: the row of the validation file (``figure, label, evidence, source, low, high, unit``,
        the reasons), the window it ran with (``run_horizon_days``), the model's ``mean``, ``min`` and ``max``
        over the replications it was measurable in (``n`` of ``reps``), ``lower_bound``, and ``in_range``
        (``"yes"``, ``"no"`` or ``"cannot tell"``).
    params : Params
        The baseline's parameters as run (the run settings applied).
    reps, seed : int
        Replications and master seed.
    file : pathlib.Path
        The validation rows read.
    command : str
        The command that makes the same figures.
    written : pathlib.Path or None
        The page written (``write=``), if any.
    seconds : float
        Wall-clock time of the runs.
    """

    table: pd.DataFrame
    params: Params
    reps: int
    seed: int
    file: Path
    command: str
    written: Path | None
    seconds: float

    def markdown(self) -> str:
        """The page ``docs/validation.md``: how it was made, the table, how each figure is measured and judged."""
        return markdown(self)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`markdown` to ``path`` (whole, or not at all) and return the path.

        Raises :class:`SettingsError` for a folder, :class:`RunError` for a file that cannot be written.
        """
        target = write_target(path)
        assert target is not None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(self.markdown(), encoding="utf-8")
            os.replace(tmp, target)
        except OSError as e:
            raise RunError(f"--write: cannot write '{target}': {e.strerror or e}") from None
        return target


def write_target(write: Any) -> Path | None:
    """``write``: None, or a file's path (not a folder's)."""
    if write is None:
        return None
    if not isinstance(write, (str, os.PathLike)) or not str(write).strip():
        raise SettingsError("--write: give a file name, not an empty one")
    target = Path(write)
    if target.is_dir():
        raise SettingsError(f"--write: '{target}' is a folder; give a file name")
    return target


def validation(
    *,
    reps: int = REPS,
    seed: int = SEED,
    population: int | None = None,
    horizon_days: float | None = None,
    warmup_days: float | None = None,
    file: str | os.PathLike[str] | None = None,
    write: str | os.PathLike[str] | None = None,
    progress: Progress = True,
) -> ValidationResult:
    """Run the built-in baseline beside the validation rows of EVIDENCE.md: ``caresim validation``.

    Every row of the validation file (``calibration/validation.toml``) is computed from the baseline's runs and
    judged against the range it accepts; nothing is fitted or tuned.  Unlike the command, which writes
    ``docs/validation.md`` unless told not to, the function writes the page only when ``write`` names a file.

    Parameters
    ----------
    reps : int, default 3
        Replications.
    seed : int, default 1
        The master seed.
    population, horizon_days, warmup_days : optional
        Run settings over the baseline's (250,000 people, 730 days after 365); rows that need a longer window
        run longer.
    file : str or path-like, optional
        The validation rows (default: ``calibration/validation.toml`` in the repository).
    write : str or path-like, optional
        Write the page (``docs/validation.md`` in the repository is the command's default) to this file.
    progress : bool or callable, default True
        A progress bar over the runs; ``False`` for none, or a function called after each run with
        ``(done, total, seconds)``.

    Returns
    -------
    ValidationResult
        ``table``, one row a figure with its verdict; ``markdown()`` and ``write(path)`` make the page.

    Raises
    ------
    ValidationError
        The validation file cannot be used.
    SettingsError
        A count, a run setting or ``write`` cannot be used.
    RunError
        A run or a figure failed, or the page cannot be written.

    Examples
    --------
    >>> checked = validation(population=50_000, reps=2)
    >>> checked.table[["label", "evidence", "mean", "in_range"]]
    """
    from sim.calibration.validation import horizons, load_rows, run_figures, validation_table

    reps = whole(reps, "--reps", 1, MAX_REPLICATIONS)
    seed = whole(seed, "--seed", 0, MAX_SEED)
    source = DATA_FILE if file is None else file_path(file, ValidationError)
    rows = load_rows(source)
    params = load_scenario(population=population, horizon_days=horizon_days, warmup_days=warmup_days).params
    target = write_target(write)
    t0 = time.perf_counter()
    with bar(progress, reps * len(horizons(rows.rows, params))) as step:
        try:
            figures = run_figures(rows.rows, params, reps, seed, progress=step)
        except Exception as e:  # a replication or a figure failed: one line, not a traceback
            raise RunError(f"validation: {type(e).__name__}: {e}") from None
    table = validation_table(rows.rows, params, figures)
    words = ["caresim", "validation"]
    for flag, value, default in (("reps", reps, REPS), ("seed", seed, SEED), ("population", population, None)):
        if value not in (None, default):
            words += [f"--{flag}", str(value)]
    for flag, days in (("horizon-days", horizon_days), ("warmup-days", warmup_days)):
        if days is not None:
            words += [f"--{flag}", f"{days:g}"]
    if file is not None:
        words += ["--file", str(file)]
    command = " ".join(shlex.quote(w) for w in words)
    result = ValidationResult(table, params, reps, seed, source, command, None, time.perf_counter() - t0)
    if target is not None:
        result = dataclasses.replace(result, written=result.write(target))
    return result


# --- what is shown ----------------------------------------------------------------------------------


def shown(path: Path) -> str:
    """A path relative to the repository where it is inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _value(v: float, unit: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    if unit == "ratio":
        return f"{v:.2f}"
    return f"{100 * v:.1f}%" if unit == "share" else f"{v:,.0f} days"


def range_text(r: Any) -> str:
    """A row's range accepted, in its unit: '45% to 65%', '350 to 580 days', '1.3 to 1.9'."""
    if r["unit"] == "share":
        return f"{100 * r['low']:g}% to {100 * r['high']:g}%"
    if r["unit"] == "ratio":
        return f"{r['low']:g} to {r['high']:g}"
    return f"{r['low']:,g} to {r['high']:,g} days"


def model_text(r: Any) -> str:
    """'68.8% (68.1 to 69.5)': the mean over replications, the least and largest; a lower bound says so."""
    if not math.isfinite(r["mean"]):
        return "not measurable in this run"
    text = ("at least " if r["lower_bound"] else "") + _value(r["mean"], r["unit"])
    if r["n"] > 1 and r["unit"] == "ratio":
        text += f" ({r['min']:.2f} to {r['max']:.2f})"
    elif r["n"] > 1:
        low, high = (100 * r["min"], 100 * r["max"]) if r["unit"] == "share" else (r["min"], r["max"])
        text += f" ({low:,.1f} to {high:,.1f})" if r["unit"] == "share" else f" ({low:,.0f} to {high:,.0f})"
    if r["n"] < r["reps"]:
        text += f", measurable in {r['n']} of {r['reps']} replications"
    return text


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown(result: ValidationResult) -> str:
    """``docs/validation.md``: how it was made, the table, and how each figure is measured and judged."""
    t = result.params.time
    table, reps = result.table, result.reps
    out = [
        "# Validation: the baseline beside published figures it was not fitted to",
        "",
        f"Made by `{result.command}` with caresim {__version__}: the built-in baseline, {reps} "
        f"replication{'s' if reps != 1 else ''}, seed {result.seed}, "
        f"{result.params.place.registered_population:,} registered people, a {t.horizon_days:g}-day statistics "
        f"window after a {t.warmup_days:g}-day warm-up (a row that needs a longer window says so below and ran "
        "with it). Run the same command to remake it.",
        "",
        f"The rows are the evidence sheet's validation rows (EVIDENCE.md). Their evidence, the range accepted as "
        f"in range and the reason believed for a miss are in `{shown(result.file)}`; the model's figures are "
        "computed by `sim/calibration/validation.py`. Model: the mean over replications, with the least and "
        "largest in brackets; in range: that mean inside the stated range. No parameter is fitted to these figures.",
        "",
        "| figure | source | evidence | range accepted | model | in range | reason for a miss |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        reason = r["miss_reason"] if r["in_range"] == "no" else ""
        if r["in_range"] == "cannot tell":
            reason = "not measurable in this run (see below)"
        cells = [r["label"], r["source"], r["evidence"], range_text(r), model_text(r), r["in_range"], reason]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out += ["", "## How each figure is measured, and why its range", ""]
    for _, r in table.iterrows():
        window = (
            "" if r["run_horizon_days"] == t.horizon_days else f" (run with a {r['run_horizon_days']:,g}-day window)"
        )
        out += [
            f"**{r['label']}**{window}: {_cell(r['measured'])} Range: {_cell(r['range_reason'])} (`{r['figure']}`)",
            "",
        ]
    return "\n".join(out)
