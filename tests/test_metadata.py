"""``metadata.json`` records the versions of Python and of the libraries that can change the numbers."""

from __future__ import annotations

import json
import platform

import numpy
import pandas
import scipy
import simpy

from sim import compiled
from sim.reports import metadata
from sim.scenarios.scenario import RunSettings, baseline


def test_metadata_records_python_numpy_scipy_simpy_and_pandas(tmp_path):
    reference = baseline(RunSettings(population=1000))
    meta = metadata.base_metadata("comparison", "versions", [reference], {}, reference.name, reps=2, seed=1)
    expected = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "simpy": simpy.__version__,
        "pandas": pandas.__version__,
    }
    assert meta["versions"] == expected
    assert meta["build"] == compiled.build_name() in ("python", "mypyc")
    written = json.loads(metadata.write(tmp_path, meta).read_text(encoding="utf-8"))
    assert written["versions"] == expected


def test_a_library_that_is_not_installed_is_named_so(monkeypatch):
    monkeypatch.setattr(metadata, "LIBRARIES", ("numpy", "no-such-library-here"))
    assert metadata.versions() == {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "no-such-library-here": "not installed",
    }
