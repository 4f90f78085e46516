"""One rule for every command that writes a results folder.

An existing folder is refused unless it holds the same job and ``--resume`` is given (the job is
recorded in the folder's results store), or ``--force`` replaces what caresim wrote there.  A damaged
store is refused when it is opened, with one line.  ``--out ''`` is an error, not ignored.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from helpers import write_experiment

from sim.cli.main import main
from sim.experiments.store import FILENAME, Store, StoreError

pytestmark = pytest.mark.timeout(300)

TINY = ["--population", "3000", "--reps", "2", "--horizon-days", "60", "--warmup-days", "0"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_run_and_compare_refuse_a_folder_that_holds_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    before = snapshot(out)
    assert main(["run", *TINY, "--seed", "2", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "already exists" in line and "--force" in line and "--resume" not in line
    compare = ["compare", "scenarios/baseline.toml", "scenarios/rapid_response.toml", *TINY]
    assert main([*compare, "--out", str(out)]) == 2  # a comparison never lands in a run's folder
    one_error_line(capsys)
    assert snapshot(out) == before


def test_force_replaces_caresims_files_and_keeps_others(tmp_path, capsys):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "forest_plot.png").write_bytes(b"stale")
    (out / "comparison.csv").write_text("stale")
    assert main(["run", *TINY, "--out", str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "forest_plot.png").exists() and not (out / "comparison.csv").exists()
    assert (out / "kpis.csv").is_file()


def test_resume_refuses_another_jobs_folder_and_force_replaces_it(tmp_path, capsys):
    first, second = write_experiment(tmp_path, "first", reps=2), write_experiment(tmp_path, "second", reps=2)
    out = tmp_path / "results"
    assert main(["experiment", str(first), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    before = snapshot(out)
    assert main(["experiment", str(second), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "holds the results of experiment 'first', not of experiment 'second'" in line
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(FILENAME)} == {
        k: v for k, v in before.items() if not k.startswith(FILENAME)
    }
    with Store(out) as store:
        assert store.claim("experiment", "second") == ("experiment", "first")
    assert main(["experiment", str(first), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["experiment", str(second), "--workers", "1", "--quiet", "--force", "--out", str(out)]) == 0
    with Store(out) as store:
        assert store.claim("experiment", "x") == ("experiment", "second")
        assert {row[0] for row in store.db.execute("SELECT DISTINCT scenario FROM runs")} == {
            "baseline",
            "case_management",
            "rapid_response",
        }


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "wrong schema", "a folder"])
def test_a_damaged_store_is_refused_in_one_line(damage, tmp_path, capsys):
    exp = write_experiment(tmp_path, reps=2)
    out = tmp_path / "results"
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    db = out / FILENAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    if damage == "random bytes":
        db.write_bytes(os.urandom(8192))
    elif damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif damage == "wrong schema":
        db.unlink()
        with sqlite3.connect(db) as con:
            con.execute("CREATE TABLE runs (key TEXT, something_else TEXT)")
    else:
        db.unlink()
        db.mkdir()
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert line.startswith("caresim: error: --out: ") and FILENAME in line


def test_store_refuses_damage_on_opening(tmp_path):
    (tmp_path / FILENAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a sound results store"):
        Store(tmp_path)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--out", ""],
        ["compare", "a.toml", "b.toml", "--out", " "],
        ["experiment", "x.toml", "--out", ""],
        ["sites", "x.toml", "--out", ""],
    ],
)
def test_an_empty_out_is_an_error(argv, capsys):
    assert main(argv) == 2
    assert "--out: give a folder name" in one_error_line(capsys)


def test_experiment_prints_its_headline_changes(tmp_path, capsys):
    exp = write_experiment(tmp_path, reps=2)
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Headline changes against 'baseline'" in out
    for shown in ("case_management", "rapid_response at grid value 20", "rapid_response at grid value 60"):
        table = out.split(shown, 1)[1]
        assert "Emergency admissions" in table and "Total cost (GBP)" in table


def _boom(*args, **kwargs):
    raise RuntimeError("made to fail")


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_failed_run_leaves_no_folder_and_force_loses_nothing(command, tmp_path, capsys, monkeypatch):
    import sim.analysis.compare
    import sim.replication.runner

    monkeypatch.setattr(sim.replication.runner, "single_run", _boom)
    monkeypatch.setattr(sim.analysis.compare, "single_run", _boom)
    argv = ["run"] if command == "run" else ["compare", "scenarios/baseline.toml", "scenarios/rapid_response.toml"]
    new = tmp_path / "new"
    assert main([*argv, *TINY, "--out", str(new)]) == 1
    assert "made to fail" in one_error_line(capsys)
    assert not new.exists()
    old = tmp_path / "old"
    old.mkdir()
    (old / "kpis.csv").write_text("earlier results")
    assert main([*argv, *TINY, "--out", str(old), "--force"]) == 1
    one_error_line(capsys)
    assert (old / "kpis.csv").read_text() == "earlier results"
