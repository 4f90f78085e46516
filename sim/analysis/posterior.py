"""Posterior samples of a calibration, and the draws that carry parameter uncertainty into answers.

``caresim calibrate calibration/pilots.toml`` writes its posterior sample to
``calibration/fitted/pilots/posterior.csv``: one column per parameter path
of :mod:`sim.parameters.params` (``mdt.crisis_reduction``) and ``weight``, the ABC-SMC
importance weights, summing to 1.  :func:`load_posterior` reads and checks
such a file; every problem is a :class:`PosteriorError` on one line.

Choosing draws: :meth:`Sample.draws` takes K draws by systematic resampling
on the weights, with one uniform offset fixed by the seed.  The K draws are
then an equally weighted sample of the posterior (a particle of weight w is
drawn about K w times), so their spread is the posterior's spread; the K
particles of highest weight would instead crowd round the mode and understate
it.  K may exceed the sample: particles are then drawn more than once, as
their weights ask.

Applying a draw: its values replace the package defaults underneath every
scenario (:class:`sim.scenarios.scenario.RunSettings` ``defaults``), so a scenario's
own settings still win, and interventions and shifts act on the drawn values
as they would on the defaults.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.streams import stream_key
from sim.parameters.params import Params
from sim.parameters.patch import Patch
from sim.parameters.retired import RETIRED
from sim.parameters.tree import ParameterError, apply_overrides, walk
from sim.scenarios.scenario import RunSettings, read_text

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "calibration" / "fitted" / "pilots" / "posterior.csv"
FIT_COMMAND = "caresim calibrate calibration/pilots.toml"
WEIGHT = "weight"
WEIGHT_TOLERANCE = 1e-6
STREAM = "posterior_draws"


class PosteriorError(ValueError):
    """A posterior sample that cannot be used; the message is one line and names the file."""


@dataclass(frozen=True)
class Draw:
    """One posterior draw: its number (from 0) and the value of each calibrated parameter."""

    index: int
    values: tuple[tuple[str, float], ...]  # (parameter path, value), in the file's column order

    def overrides(self) -> dict[str, Any]:
        """The values as nested tables, as a scenario file would write them."""
        return nest(dict(self.values))

    def defaults(self) -> Params:
        """The package defaults with this draw's values."""
        return apply_overrides(Params(), self.overrides())

    def settings(self, settings: RunSettings) -> RunSettings:
        """``settings`` with this draw underneath every scenario."""
        return replace(settings, defaults=self.defaults())

    def identity(self) -> list[Any]:
        """What the results store's key holds of the draw: its number and values."""
        return [self.index, [[name, value] for name, value in self.values]]


@dataclass(frozen=True, eq=False)
class Sample:
    """A checked posterior sample: one row per particle, with its weight."""

    path: Path
    names: tuple[str, ...]
    values: np.ndarray  # particles x parameters
    weights: np.ndarray

    def draws(self, k: int, seed: int) -> tuple[Draw, ...]:
        """K draws by systematic resampling, fixed by ``seed`` (see the module's docstring)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"the number of draws must be a whole number of at least 1, got {k!r}")
        chosen = systematic(self.weights, k, draw_generator(seed))
        return tuple(
            Draw(i, tuple((name, float(v)) for name, v in zip(self.names, self.values[j])))
            for i, j in enumerate(chosen)
        )


def draw_generator(seed: int) -> np.random.Generator:
    """The generator that chooses draws: its own stream of the master seed, apart from the model's."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key(STREAM),)))


def systematic(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` particles: one uniform offset, then evenly spaced points on the cumulative weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    cumulative /= cumulative[-1]
    points = (rng.random() + np.arange(k)) / k
    return np.minimum(np.searchsorted(cumulative, points, side="right"), len(cumulative) - 1)


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"mdt.crisis_reduction": 0.2}`` -> ``{"mdt": {"crisis_reduction": 0.2}}``, as a scenario file's tables."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        Patch(path, value).apply(out)
    return out


def numeric_parameters() -> dict[str, Any]:
    """Every parameter a posterior column may name (a single number), with its default."""
    return {
        key: value
        for key, value, _ in walk(Params())
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def shown(path: Path) -> str:
    """A path as given, or, if absolute, relative to the working folder where it lies below it."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        inside = path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path.as_posix()
    return inside.as_posix() if inside.parts else path.as_posix()


def load_posterior(path: str | Path | None = None) -> Sample:
    """Read and check a posterior sample (default: the pilots fit's); :class:`PosteriorError` if unusable."""
    path = Path(path) if path is not None else DEFAULT_FILE
    where = shown(path)
    if not path.exists():
        raise PosteriorError(
            f"no posterior sample at {where}" + (f": run {FIT_COMMAND}" if path == DEFAULT_FILE else "")
        )
    text = read_text(path, where, "a posterior sample (CSV)", PosteriorError)
    rows = [r for r in csv.reader(text.splitlines()) if r]
    if not rows:
        raise PosteriorError(f"{where}: the file is empty; it needs a header of parameter paths and 'weight'")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    names = _columns(header, where)
    if not body:
        raise PosteriorError(f"{where}: no particles below the header")
    table = np.empty((len(body), len(header)))
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise PosteriorError(f"{where}: line {line} has {len(row)} values, the header {len(header)}")
        for j, cell in enumerate(row):
            table[line - 2, j] = _number(cell, where, line, header[j])
    weights = table[:, header.index(WEIGHT)]
    _check_weights(weights, where)
    values = table[:, [header.index(n) for n in names]]
    for line, row in enumerate(values, start=2):
        try:
            apply_overrides(Params(), nest(dict(zip(names, map(float, row)))))
        except ParameterError as e:
            raise PosteriorError(f"{where}: line {line}: {' '.join(str(e).split())}") from None
    return Sample(path, names, values, weights)


def retired_columns(path: str | Path | None = None) -> tuple[str, ...]:
    """The columns of a posterior sample (default: the pilots fit's) that name retired parameters: left out
    of its draws (``sim.parameters.retired``)."""
    path = Path(path) if path is not None else DEFAULT_FILE
    text = read_text(path, shown(path), "a posterior sample (CSV)", PosteriorError)
    header = next((r for r in csv.reader(text.splitlines()) if r), [])
    return tuple(h.strip() for h in header if h.strip() in RETIRED)


def _columns(header: list[str], where: str) -> tuple[str, ...]:
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise PosteriorError(f"{where}: column '{twice}' appears twice")
    if WEIGHT not in header:
        raise PosteriorError(f"{where}: no '{WEIGHT}' column (the importance weights of the particles)")
    valid = numeric_parameters()
    for name in header:
        if name != WEIGHT and name not in valid and name not in RETIRED:
            guess = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            raise PosteriorError(
                f"{where}: column '{name}' is not a parameter (a path such as "
                f"'mdt.crisis_reduction', with one number){hint}"
            )
    names = tuple(h for h in header if h != WEIGHT and h not in RETIRED)
    if not names:
        raise PosteriorError(f"{where}: no parameter columns besides '{WEIGHT}'")
    return names


def _number(cell: str, where: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise PosteriorError(f"{where}: line {line}, column '{column}': expected a number, got '{cell}'") from None
    if not math.isfinite(value):
        raise PosteriorError(f"{where}: line {line}, column '{column}': must be finite, got '{cell}'")
    return value


def _check_weights(weights: np.ndarray, where: str) -> None:
    if (weights < 0).any():
        line = int(np.argmax(weights < 0)) + 2
        raise PosteriorError(f"{where}: line {line}: a weight must not be negative, got {weights[line - 2]:g}")
    total = float(weights.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise PosteriorError(f"{where}: the weights sum to {total:.6g}; importance weights must sum to 1")


def posterior_metadata(path: str | Path | None, draws: Sequence[Draw]) -> dict[str, Any]:
    """What ``metadata.json`` records of a run over posterior draws: the file (None: the default), its
    SHA-256 and each draw."""
    from sim.provenance import file_sha256

    path = Path(path) if path is not None else DEFAULT_FILE
    return {
        "file": shown(path),
        "file_sha256": file_sha256(path),
        "draws": [{"draw": d.index, **dict(d.values)} for d in draws],
    }


def run_over_draws(
    scenario_sets: Sequence[Sequence],
    draws: Sequence[Draw],
    reps: int,
    seed: int,
    log_events: bool = False,
    *,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, Any]:
    """:func:`sim.analysis.compare.run_comparison` once per draw (``scenario_sets[i]`` resolved on draw ``i``).

    Within a draw every scenario shares common random numbers; every draw runs the same seed and
    replications.  The frames gain a ``draw`` column (from 0) after ``scenario``.
    """
    import pandas as pd

    from sim.analysis.compare import run_comparison

    total = len(draws) * reps * len(scenario_sets[0])
    done = 0

    def step(_: int, __: int, seconds: float) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, seconds)

    parts: dict[str, list[pd.DataFrame]] = {}
    for draw, scenarios in zip(draws, scenario_sets):
        frames = run_comparison(list(scenarios), reps, seed, log_events, progress=step)
        for name, frame in frames.items():
            frame.insert(1, "draw", draw.index)
            parts.setdefault(name, []).append(frame)
    order = {s.name: i for i, s in enumerate(scenario_sets[0])}
    out = {}
    for name, drawn in parts.items():
        frame = pd.concat(drawn, ignore_index=True)  # draw by draw; now scenario, then draw (a stable sort)
        rank = np.lexsort((frame["draw"].to_numpy(), frame["scenario"].map(order).to_numpy()))
        out[name] = frame.iloc[rank].reset_index(drop=True)
    return out
