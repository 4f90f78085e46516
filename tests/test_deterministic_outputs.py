"""Every output file is the same for the same job, whether it ran at once or was interrupted and resumed.

Only the ``timing`` fields of ``metadata.json`` (when it ran, how long, how many runs were reused) may
differ; the results store keeps each run's own finishing time and is compared by its results instead.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers import write_experiment

import sim.replication.single
from sim.cli.main import main
from sim.experiments.store import FILENAME
from sim.reports.metadata import TIMING

pytestmark = pytest.mark.timeout(600)


def files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(FILENAME)}


def without_timing(data: bytes) -> dict:
    meta = json.loads(data)
    assert set(meta[TIMING]) >= {"created", "wall_seconds"}
    del meta[TIMING]
    return meta


def stored_results(folder):
    with sqlite3.connect(folder / FILENAME) as db:
        return sorted(db.execute("SELECT k.key, k.cohort, k.metric, k.value FROM kpis k ORDER BY 1, 2, 3"))


def test_a_resumed_experiment_writes_the_same_files_as_one_run_at_once(tmp_path, capsys, monkeypatch):
    exp = write_experiment(tmp_path, reps=2)
    at_once, resumed = tmp_path / "at_once", tmp_path / "resumed"
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(at_once)]) == 0
    real, calls = sim.replication.single.single_run, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.replication.single, "single_run", interrupted)
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(resumed)]) == 130
    monkeypatch.setattr(sim.replication.single, "single_run", real)
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(resumed), "--resume"]) == 0
    capsys.readouterr()
    a, b = files(at_once), files(resumed)
    assert a.keys() == b.keys() and {"report.html", "forest_plot.svg", "summary.csv", "metadata.json"} <= a.keys()
    meta_a, meta_b = a.pop("metadata.json"), b.pop("metadata.json")
    assert without_timing(meta_a) == without_timing(meta_b)
    timing, runs = json.loads(meta_b)[TIMING], json.loads(meta_b)["runs"]
    # interrupted part way (a comparator run of the emulated evaluation also counts as a call): some runs were
    # reused, the rest run on resuming
    assert timing["runs_reused"] >= 1 and timing["runs_now"] >= 1 and timing["runs_reused"] + timing["runs_now"] == runs
    different = [name for name in a if a[name] != b[name]]
    assert not different, different
    assert stored_results(at_once) == stored_results(resumed)


def test_the_same_comparison_twice_writes_the_same_files(tmp_path, capsys):
    argv = [
        "compare",
        "scenarios/baseline.toml",
        "scenarios/rapid_response.toml",
        "--population",
        "3000",
        "--reps",
        "2",
        "--horizon-days",
        "60",
        "--warmup-days",
        "0",
    ]
    assert main([*argv, "--out", str(tmp_path / "one")]) == 0
    assert main([*argv, "--out", str(tmp_path / "two")]) == 0
    capsys.readouterr()
    a, b = files(tmp_path / "one"), files(tmp_path / "two")
    assert without_timing(a.pop("metadata.json")) == without_timing(b.pop("metadata.json"))
    assert a == b
