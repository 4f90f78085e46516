"""Helpers shared by several test files, so that no test file imports another.

- :func:`write_experiment`: a small experiment file (three scenarios and a grid, a few thousand people, weeks).
- :func:`free_port`: a free port on this computer, for the what-if page.
- :func:`browser_verdict`: whether the browser test can run here, and if not whether it fails or is skipped.
- :func:`check_places`: every person of a model is in exactly one place, agreeing with the services' counts.
"""

from __future__ import annotations

import importlib.util
import math
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from sim.core.records import BACKGROUND
from sim.vocabulary import Place

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

SMALL = """
population = 6000
horizon_days = 150
warmup_days = 30
seed = 7
"""


def write_experiment(folder: Path, name: str = "small", reps: int = 3, extra: str = "", charts: str = "") -> Path:
    """A small experiment file in ``folder``: baseline, case management and rapid response over a two-point grid;
    ``extra`` and ``charts`` are TOML added to it."""
    path = folder / f"{name}.toml"
    path.write_text(
        f"""
name = "{name}"
description = "A small experiment for the tests."
scenarios = ["{(SCENARIOS / "baseline.toml").as_posix()}", "{(SCENARIOS / "case_management.toml").as_posix()}",
             "{(SCENARIOS / "rapid_response.toml").as_posix()}"]
replications = {reps}
{SMALL}
{charts}
[grid]
parameter = "intervention.rapid_response.teams_per_100k"
values = [20.0, 60.0]
scenarios = ["rapid_response"]
{extra}
""",
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the browser test -----------------------------------------------------------------------------

INSTALL = "apt-get install chromium chromium-driver"
RUN = "python -m pytest -q tests/test_app_browser.py"


def browser_paths(env: Mapping[str, str]) -> tuple[str, str]:
    """Chromium and its driver: Debian's, unless ``CARESIM_CHROMIUM`` or ``CARESIM_CHROMEDRIVER`` name others."""
    return env.get("CARESIM_CHROMIUM", "/usr/bin/chromium"), env.get("CARESIM_CHROMEDRIVER", "/usr/bin/chromedriver")


def in_ci(env: Mapping[str, str]) -> bool:
    """Whether this is a CI run (``CI=true``, as CI services and ``.ci/run`` set it)."""
    return env.get("CI", "").strip().lower() in ("true", "1", "yes")


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def browser_verdict(
    env: Mapping[str, str],
    exists: Callable[[str], bool] = os.path.isfile,
    importable: Callable[[str], bool] = _importable,
) -> tuple[str, str]:
    """``("run", "")`` when Chromium, its driver, Selenium and Streamlit are all here; else ``("fail", why)`` in CI,
    which installs them so that a missing one is a fault, and ``("skip", why)`` elsewhere, saying how to install
    what is missing and how to run the test then."""
    missing = [path for path in browser_paths(env) if not exists(path)]
    modules = [name for name in ("selenium", "streamlit") if not importable(name)]
    if not missing and not modules:
        return "run", ""
    if missing:
        why = (
            f"the browser test needs Chromium and its driver ({', '.join(missing)} not found); on Debian or "
            f"Ubuntu install them with 'sudo {INSTALL}'"
        )
    else:
        why = f"the browser test needs {' and '.join(modules)}; install them with: python -m pip install -e '.[test]'"
    if in_ci(env):
        return "fail", f"{why}; CI installs them (.ci/run), so they must be here"
    return "skip", f"{why}, then run it with: {RUN}"


def check_places(m) -> None:
    """Every person is in exactly one place, and the places agree with the services' counts."""
    pop = m.pop
    counts = np.bincount(np.asarray(pop.place), minlength=len(Place))
    assert counts.sum() == len(pop)
    in_bed_background = sum(
        1 for s in m.rec.stays if s.pid == BACKGROUND and s.admitted <= m.env.now and math.isnan(s.left)
    )
    assert counts[Place.ACUTE] + in_bed_background == m.beds.in_use
    assert counts[Place.AE] <= m.beds.waiting
    held = {pool.name: 0 for pool in m.pools}
    for pool in m.held:
        if pool is not None:
            held[pool.name] += 1
    for pool in (m.home_care, m.reablement, m.intermediate_care, m.care_homes):
        assert held[pool.name] == pool.in_use, pool.name
    assert counts[Place.CARE_HOME] <= m.care_homes.in_use
    assert counts[Place.INTERMEDIATE_CARE] <= m.intermediate_care.in_use
    for pool in m.pools:
        assert 0 <= pool.in_use <= pool.capacity
        assert pool.waiting == sum(len(q) for q in pool.queues)
        if pool.waiting:
            assert pool.in_use == pool.capacity
    dead = np.asarray(pop.place) == Place.DEAD
    assert np.array_equal(dead, ~np.isnan(np.asarray(pop.died)))
