"""``caresim experiment``: identical numbers serially, on a pool and on Dask; resume after a kill; failures kept apart.

One small experiment (a few thousand people, weeks not years) is run once
serially and reused by several tests as the uninterrupted reference.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import write_experiment

import sim.replication.single
from sim.analysis.compare import comparison_table, pairing, run_comparison
from sim.cli.main import main
from sim.experiments.experiment import load_experiment

pytestmark = pytest.mark.timeout(900)  # process pools, a Dask cluster and the command in a child process

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).resolve().parent / "broken_experiments"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    """The small experiment, uninterrupted, serially."""
    folder = tmp_path_factory.mktemp("serial")
    exp = write_experiment(folder)
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(folder / "out")]) == 0
    return folder / "out"


def runs(folder: Path) -> pd.DataFrame:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return pd.read_sql_query("SELECT key, scenario, grid, replication, status, finished FROM runs", db)


def stored_ok(folder: Path) -> int:
    """Finished runs in a store that another process may be creating."""
    try:
        return int((runs(folder)["status"] == "ok").sum())
    except (sqlite3.Error, pd.errors.DatabaseError):  # the tables are not there yet
        return 0


# --- outputs --------------------------------------------------------------------------------------


def test_outputs_follow_the_contract(serial):
    kpis = pd.read_csv(serial / "kpis.csv")
    assert list(kpis.columns) == ["scenario", "grid", "replication", "cohort", "metric", "value"]
    assert set(kpis["replication"]) == {0, 1, 2}
    grids = kpis[kpis["scenario"] == "rapid_response"]["grid"]
    assert set(grids) == {20.0, 60.0}
    assert kpis[kpis["scenario"] != "rapid_response"]["grid"].isna().all()
    # the reference carries the same-people cohort of the MDT scenario
    assert (kpis[(kpis["scenario"] == "baseline")]["cohort"] == "mdt:case_management").any()
    summary = pd.read_csv(serial / "summary.csv")
    assert list(summary.columns) == [
        "scenario",
        "grid",
        "cohort",
        "metric",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "pct_change",
        "pct_ci_low",
        "pct_ci_high",
        "paired",
        "unstable",
    ]
    # one flag per scenario and grid point, set for all where the reference is overloaded (tests/test_stability.py)
    assert summary["unstable"].dtype == bool
    assert (summary.groupby(["scenario", "grid"], dropna=False)["unstable"].nunique() == 1).all()
    assert summary["unstable"].all() or not summary.loc[summary["scenario"] == "baseline", "unstable"].any()
    # the summary's paired difference equals the mean of the per-replication differences
    k = kpis[(kpis["cohort"] == "all") & (kpis["metric"] == "crises")]
    ref = k[k["scenario"] == "baseline"].set_index("replication")["value"]
    for g in (20.0, 60.0):
        sc = k[(k["scenario"] == "rapid_response") & (k["grid"] == g)].set_index("replication")["value"]
        row = summary[
            (summary["scenario"] == "rapid_response")
            & (summary["grid"] == g)
            & (summary["cohort"] == "all")
            & (summary["metric"] == "crises")
        ].iloc[0]
        assert row["diff_mean"] == pytest.approx((sc - ref).mean())
        assert row["n"] == 3
    # the grid reached the scenario: more rapid response teams resolve more crises at home
    rr = summary[
        (summary["scenario"] == "rapid_response")
        & (summary["cohort"] == "all")
        & (summary["metric"] == "rapid_responses")
    ].set_index("grid")["mean"]
    assert rr[60.0] > rr[20.0]
    warm = pd.read_csv(serial / "warmup.csv")
    assert set(warm["scenario"]) == {"baseline", "case_management", "rapid_response"}
    meta = json.loads((serial / "metadata.json").read_text())
    assert meta["kind"] == "experiment" and meta["replications"] == 3 and meta["seed"] == 7
    assert meta["grid"]["values"] == [20.0, 60.0]
    assert all(s["file_sha256"] and s["scenario_hash"] for s in meta["scenarios"])


def test_mdt_changes_equal_those_of_caresim_compare(serial, tmp_path):
    """The experiment's same-people MDT comparison is the one ``caresim compare`` makes."""
    exp = load_experiment(write_experiment(tmp_path))
    pair = [s for s in exp.scenarios if s.name in ("baseline", "case_management")]
    frames = run_comparison(pair, 3, exp.seed)
    expected = comparison_table(frames["kpis"], ["baseline", "case_management"], pairing(pair))
    expected = expected[expected["cohort"].isin(["mdt", "all"])].set_index(["cohort", "metric"])
    summary = pd.read_csv(serial / "summary.csv")
    got = summary[(summary["scenario"] == "case_management") & summary["cohort"].isin(["mdt", "all"])]
    got = got.set_index(["cohort", "metric"])
    assert ("mdt", "emergency_admissions") in got.index
    for column in ("diff_mean", "diff_ci_low", "diff_ci_high", "pct_change"):
        pd.testing.assert_series_equal(
            got.loc[expected.index, column], expected[column], check_names=False, rtol=1e-12, atol=1e-9
        )


def test_same_numbers_on_a_process_pool_and_on_dask(serial, tmp_path, capsys):
    exp = write_experiment(tmp_path)
    code, _, err = run(capsys, "experiment", str(exp), "--workers", "2", "--quiet", "--out", str(tmp_path / "pool"))
    assert code == 0, err
    code, _, err = run(
        capsys, "experiment", str(exp), "--dask", "local", "--workers", "2", "--quiet", "--out", str(tmp_path / "dask")
    )
    assert code == 0, err
    for name in ("kpis.csv", "timeseries.csv", "summary.csv"):
        expected = (serial / name).read_bytes()
        assert (tmp_path / "pool" / name).read_bytes() == expected, name
        assert (tmp_path / "dask" / name).read_bytes() == expected, name


# --- interruption and resume ----------------------------------------------------------------------


def test_resume_after_kill_computes_only_what_is_missing(serial, tmp_path):
    exp = write_experiment(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = out / "results.sqlite"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            if store.exists() and stored_ok(out) >= 4:
                break
            assert proc.poll() is None, "the experiment ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    before = runs(out)
    total = 12  # (baseline, case_management, rapid_response x 2 grid points) x 3 replications
    assert 4 <= len(before) < total
    assert not (out / "kpis.csv").exists()  # killed before the end
    resumed = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    after = runs(out).set_index("key")
    kept = before.set_index("key")
    # nothing stored before the kill was computed again
    assert (after.loc[kept.index, "finished"] == kept["finished"]).all()
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["timing"]["runs_reused"] == len(before) and meta["timing"]["runs_now"] == total - len(before)
    for name in ("kpis.csv", "summary.csv"):
        assert (out / name).read_bytes() == (serial / name).read_bytes(), name


def test_existing_folder_needs_resume(serial, tmp_path, capsys):
    exp = write_experiment(tmp_path)
    code, out, err = run(capsys, "experiment", str(exp), "--quiet", "--out", str(serial))
    assert code == 2 and len(err.splitlines()) == 1
    assert "already exists" in err and "--resume" in err


def test_a_failing_replication_is_reported_and_the_rest_complete(tmp_path, capsys, monkeypatch):
    exp = write_experiment(tmp_path, reps=2)
    real = sim.replication.single.single_run

    def flaky(params, seed=1, replication=0, **kw):
        if replication == 1 and sum(params.mdt.coordinators_per_100k) > 0:
            raise RuntimeError("made to fail")
        return real(params, seed=seed, replication=replication, **kw)

    monkeypatch.setattr(sim.replication.single, "single_run", flaky)
    out = tmp_path / "out"
    code, _, err = run(capsys, "experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out))
    assert code == 1
    assert "case_management', replication 1: RuntimeError: made to fail" in err
    assert "1 of 8 runs failed" in err
    kpis = pd.read_csv(out / "kpis.csv")
    done = kpis.groupby(["scenario", "replication"]).size()
    assert ("case_management", 1) not in done.index
    assert {("baseline", 0), ("baseline", 1), ("case_management", 0), ("rapid_response", 1)} <= set(done.index)
    stored = runs(out)
    assert (stored["status"] == "failed").sum() == 1
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["failed"][0]["scenario"] == "case_management" and "made to fail" in meta["failed"][0]["error"]
    assert "made to fail" in (out / "report.html").read_text()
    # resuming without the fault runs the failed replication and the reference run it is paired with
    monkeypatch.setattr(sim.replication.single, "single_run", real)
    code, _, err = run(capsys, "experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out), "--resume")
    assert code == 0, err
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["timing"]["runs_now"] == 2 and meta["timing"]["runs_reused"] == 6
    kpis = pd.read_csv(out / "kpis.csv")
    assert ((kpis["scenario"] == "case_management") & (kpis["replication"] == 1)).any()
    assert (runs(out)["status"] == "ok").all()


# --- the report ---------------------------------------------------------------------------------


def test_report_embeds_every_chart_and_the_metadata(serial):
    html = (serial / "report.html").read_text(encoding="utf-8")
    meta = json.loads((serial / "metadata.json").read_text())
    charts = sorted(p.stem for p in serial.glob("*.png"))
    assert charts, "the experiment drew no charts"
    for stem in charts:
        assert stem in html
    assert html.count("data:image/png;base64,") + html.count("<svg") >= len(charts)
    for text in (
        meta["caresim_version"],
        str(meta["seed"]),
        *(s["scenario_hash"] for s in meta["scenarios"]),
        *(s["file_sha256"] for s in meta["scenarios"]),
    ):
        assert text in html
    if meta["git_commit"]:
        assert meta["git_commit"] in html
    assert "STRESS" in html
    assert 'src="http' not in html


def test_report_command_rebuilds_the_report(serial, tmp_path, capsys):
    (serial / "report.html").unlink()
    code, out, err = run(capsys, "report", str(serial))
    assert code == 0, err
    assert (serial / "report.html").is_file()
    code, out, err = run(capsys, "report", str(tmp_path / "nothing"))
    assert code == 2 and len(err.splitlines()) == 1


# --- bad input: one line, exit 2, nothing written -------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in BROKEN.glob("*.toml")))
def test_broken_experiment_files(name, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "experiment", str(BROKEN / name), "--out", str(out), "--quiet")
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ") and "Traceback" not in err
    assert name in err
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--reps", "0"], "--reps: must be at least 1"),
        (["--reps", "-2"], "--reps: must be at least 1"),
        (["--workers", "0"], "--workers: must be at least 1"),
        (["--dask", "tcp://127.0.0.1:9"], "--dask: no Dask scheduler answered"),
    ],
)
def test_bad_flags(argv, message, tmp_path, capsys):
    exp = write_experiment(tmp_path)
    out = tmp_path / "out"
    code, _, err = run(capsys, "experiment", str(exp), "--out", str(out), "--quiet", *argv)
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


def test_output_path_that_is_a_file_or_under_one(tmp_path, capsys):
    exp = write_experiment(tmp_path)
    for out, message in ((exp, "exists and is not a folder"), (exp / "sub", "is a file")):
        code, _, err = run(capsys, "experiment", str(exp), "--out", str(out), "--quiet")
        assert code == 2 and message in err and len(err.splitlines()) == 1


def test_grid_reaches_the_scenario_file(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    rr = [v for v in exp.variants if v.name == "rapid_response"]
    assert [v.grid for v in rr] == [20.0, 60.0]
    assert [v.scenario.params.community.rapid_response_per_100k for v in rr] == [20.0, 60.0]
