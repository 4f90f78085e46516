"""What a results folder records about how its numbers were made (``metadata.json``).

Version, git commit when the package runs from a checkout, the versions of
Python and of the libraries the numbers depend on, machine, seed,
replications, each scenario's file with its SHA-256 and its resolved
parameter hash, the parameters that differ from the built-in baseline with
their units and sources, and every parameter of the reference with its
source.  The HTML report and its STRESS-DES section are filled from it.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import math
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import __version__, compiled
from sim.parameters.params import Params
from sim.parameters.timeline import change_record, changes_of
from sim.parameters.tree import walk
from sim.provenance import file_sha256, git_commit
from sim.scenarios.scenario import Scenario, scenario_hash

FILENAME = "metadata.json"
# the only fields that differ between two runs of the same job (when, how long, how much was reused): every
# other field, and every other output, is the same byte for byte
TIMING = "timing"
LIBRARIES = ("numpy", "scipy", "simpy", "pandas")  # the libraries whose versions can change the numbers


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def versions() -> dict[str, str]:
    """The versions of Python and of :data:`LIBRARIES` in this environment ("not installed" for one that is not)."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def parameter_rows(params: Params, base: Params | None = None) -> list[dict[str, Any]]:
    """Each parameter with unit and source; with ``base``, only those that differ (and the baseline value)."""
    rows = []
    pairs = zip(walk(params), walk(base)) if base is not None else ((w, None) for w in walk(params))
    for (key, value, meta), other in pairs:
        if other is not None and other[1] == value:
            continue
        row = {"parameter": key, "value": _plain(value), "unit": meta.get("unit", ""), "source": meta.get("source", "")}
        if other is not None:
            row = {"parameter": key, "baseline": _plain(other[1]), **{k: v for k, v in row.items() if k != "parameter"}}
        rows.append(row)
    return rows


def scenario_entry(s: Scenario, paired: bool, file: Path | None = None) -> dict[str, Any]:
    path = file if file is not None else s.path
    return {
        "name": s.name,
        "description": " ".join(s.description.split()),
        "file": path.as_posix() if path is not None else None,
        "file_sha256": file_sha256(path),
        "scenario_hash": scenario_hash(s.params, s.prelaunch),
        "paired": paired,
        "interventions": list(s.interventions),
        "shifts": [line.strip() for r in s.shifts for line in r.lines()],
        "shift_remainder_gbp": float(sum(r.remainder_gbp for r in s.shifts)),  # unspent, GBP a year
        "changes_over_time": [change_record(c) for c in changes_of(s.params)],  # ramp-ups, decays, capacity plans
    }


def base_metadata(
    kind: str, name: str, scenarios: Sequence[Scenario], paired: dict[str, bool], reference: str, reps: int, seed: int
) -> dict[str, Any]:
    """The fields shared by experiments and comparisons."""
    ref = next(s for s in scenarios if s.name == reference)
    p = ref.params
    return {
        "kind": kind,
        "name": name,
        "caresim_version": __version__,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "build": compiled.build_name(),  # the model as pure Python, or its compiled build (the same numbers)
        "versions": versions(),
        "platform": platform.platform(),
        TIMING: {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        "seed": seed,
        "replications": reps,
        "population": p.place.registered_population,
        "horizon_days": p.time.horizon_days,
        "warmup_days": p.time.warmup_days,
        "reference": reference,
        "scenarios": [scenario_entry(s, paired.get(s.name, True)) for s in scenarios],
        "parameters": {s.name: parameter_rows(s.params, Params()) for s in scenarios},
        "baseline_parameters": parameter_rows(p),
    }


def _finite(value: Any) -> Any:
    """NaN and infinities as null: JSON has no numbers for them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _finite(value.item())
    return value


def timed(meta: dict[str, Any], seconds: float, **more: Any) -> dict[str, Any]:
    """``meta`` with the run's wall-clock seconds (and ``more``) added to its timing fields."""
    meta.setdefault(TIMING, {}).update({"wall_seconds": round(seconds, 3), **more})
    return meta


def write(folder: Path, meta: dict[str, Any]) -> Path:
    path = Path(folder) / FILENAME
    path.write_text(json.dumps(_finite(meta), indent=1, default=str, allow_nan=False) + "\n", encoding="utf-8")
    return path


def read(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / FILENAME
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
