"""The ``caresim run`` command: outputs as in DESIGN section 8, one-line errors, exit codes.

Also the pieces it is built from: the summary statistics and the replication runner.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.replication.runner
from sim.analysis.stats import mean_ci, rates_per_1000_py, summarise
from sim.cli.common import resolve
from sim.cli.main import build_parser, main
from sim.outcomes import registry
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.replication.runner import ReplicationFailed, multiple_replications
from sim.replication.single import single_run

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).resolve().parent / "broken"
SMALL = ["--population", "20000", "--horizon-days", "120", "--warmup-days", "30"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, status: int = 2) -> None:
    assert code == status
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("caresim: error: ")
    assert "Traceback" not in err


# --- bad input: one line on stderr, exit 2 ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in BROKEN.glob("*.toml")))
def test_broken_scenarios_give_one_line_and_exit_2(capsys, name):
    code, out, err = cli(capsys, "run", str(BROKEN / name), "--reps", "1")
    assert_one_line_error(code, err)
    assert name in err  # the error names the file it is about (or the file that closes a cycle)
    assert out == ""


@pytest.mark.parametrize(
    "argv, where",
    [
        (["run", "--reps", "0"], "--reps: must be at least 1"),
        (["run", "--reps", "-3"], "--reps: must be at least 1"),
        (["run", "--reps", "two"], "--reps: expected a whole number"),
        (["run", "--reps"], "--reps: expected one argument"),
        (["run", "--seed", "-1"], "--seed: must be at least 0"),
        (["run", "--seed", "1.5"], "--seed: expected a whole number"),
        (["run", "--population", "-5"], "--population: -5 is below the smallest possible value"),
        (["run", "--population", "lots"], "--population: expected a whole number"),
        (["run", "--horizon-days", "0"], "--horizon-days: 0.0 is below the smallest possible value"),
        (["run", "--horizon-days", "inf"], "--horizon-days: expected a finite number"),
        (["run", "--warmup-days", "-1"], "--warmup-days: -1.0 is below the smallest possible value"),
        (["run", "--frobnicate"], "command line: unrecognized arguments: --frobnicate"),
        (["run", "a.toml", "b.toml"], "command line: unrecognized arguments: b.toml"),
        ([], "command line: choose a command"),
        (["frobnicate"], "command: invalid choice: 'frobnicate'"),
        (["run", "no_such_file.toml"], "no_such_file.toml: no such file"),
    ],
)
def test_bad_command_lines(capsys, argv, where):
    code, out, err = cli(capsys, *argv)
    assert_one_line_error(code, err)
    assert err.startswith(f"caresim: error: {where}"), err


def test_out_that_is_a_file_is_bad_input(capsys, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code, out, err = cli(capsys, "run", "--reps", "1", "--out", str(blocker))
    assert_one_line_error(code, err)
    assert err.startswith("caresim: error: --out: ")


def run_process(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "tests/broken/non_utf8.toml"],
        ["run", "tests/broken/malformed.toml"],
        ["run", "--reps", "0"],
        ["run", "--no-such-flag"],
    ],
)
@pytest.mark.timeout(300)  # the command in a child process
def test_bad_input_in_a_real_process(argv):
    proc = run_process(*argv)
    assert_one_line_error(proc.returncode, proc.stderr)
    assert proc.stdout == ""


def test_help(capsys):
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and "run" in out
    code, out, _ = cli(capsys, "run", "--help")
    assert code == 0
    for flag in ("--reps", "--seed", "--population", "--horizon-days", "--warmup-days", "--out", "--events"):
        assert flag in out
    for command, flags in (
        ("experiment", ("--workers", "--dask", "--resume", "--quiet", "--reps", "--population", "--out")),
        ("report", ()),
        ("app", ("--port", "--host")),
        ("compile", ("--status", "--remove")),
    ):
        code, out, _ = cli(capsys, command, "--help")
        assert code == 0 and all(flag in out for flag in flags), command


# --- what run resolves ------------------------------------------------------------------------


def test_defaults_come_from_the_contract_and_the_parameters():
    args = build_parser().parse_args(["run"])
    assert (args.reps, args.seed, args.events, args.out) == (5, 1, False, None)
    s = resolve(args)
    assert s.name == "baseline"
    assert s.params == Params()
    assert s.params.place.registered_population == 250_000
    assert s.params.time.horizon_days == 730
    assert s.params.time.warmup_days == Params().time.warmup_days


def test_flags_override_the_scenario_and_absent_flags_keep_it(tmp_path):
    path = tmp_path / "grown.toml"
    path.write_text('name = "grown"\n[place]\nregistered_population = 300000\n[time]\nwarmup_days = 90\n')
    s = resolve(build_parser().parse_args(["run", str(path), "--horizon-days", "365"]))
    assert s.name == "grown"
    assert s.params.place.registered_population == 300_000
    assert s.params.time.warmup_days == 90
    assert s.params.time.horizon_days == 365
    s = resolve(build_parser().parse_args(["run", str(path), "--population", "20000", "--warmup-days", "0"]))
    assert s.params.place.registered_population == 20_000 and s.params.time.warmup_days == 0


# --- a real run -------------------------------------------------------------------------------


def test_run_writes_the_contract_files(capsys, tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text('name = "small_test"\ndescription = "A small place for a quick test."\nextends = "baseline"\n')
    out_dir = tmp_path / "out" / "nested"
    code, out, err = cli(capsys, "run", str(scenario), "--reps", "2", *SMALL, "--out", str(out_dir), "--events")
    assert code == 0, err
    assert "Traceback" not in err

    kpis = pd.read_csv(out_dir / "kpis.csv")
    series = pd.read_csv(out_dir / "timeseries.csv")
    events = pd.read_csv(out_dir / "events.csv")
    assert list(kpis.columns) == ["scenario", "replication", "cohort", "metric", "value"]
    assert list(series.columns) == ["scenario", "replication", "day", "series", "value"]
    assert list(events.columns[:6]) == ["scenario", "replication", "person_id", "time_days", "event", "count"]
    for frame in (kpis, series, events):
        assert set(frame["scenario"]) == {"small_test"}
        assert sorted(frame["replication"].unique()) == [0, 1]
    assert {"all", "65plus", "85plus"} <= set(kpis["cohort"])
    assert {"person_years", "emergency_admissions", "bed_days", "cost_total_gbp"} <= set(kpis["metric"])
    assert series["day"].min() == 0 and series["day"].max() < 120
    assert "acute_beds_occupied" in set(series["series"])
    assert events["time_days"].between(0, 120).all()
    bulk = events["event"].isin(["gp_contact", "outpatient_attendance", "community_nursing"])
    assert (events.loc[~bulk, "count"] == 1).all()  # section 8: count is 1 for every event but bulk contacts
    assert (events.loc[bulk, "count"] >= 1).all()

    # replication r of the run is single_run(params, seed, r)
    params = apply_overrides(
        Params(), {"place": {"registered_population": 20000}, "time": {"horizon_days": 120, "warmup_days": 30}}
    )
    first = single_run(params, seed=1, replication=0).kpis
    rep0 = kpis[kpis["replication"] == 0].reset_index(drop=True)
    assert list(rep0["metric"]) == list(first["metric"])
    np.testing.assert_allclose(rep0["value"].to_numpy(), first["value"].to_numpy(), rtol=1e-12, equal_nan=True)

    assert "scenario 'small_test'" in out
    assert "Main results" in out and "Admissions per 1,000 person-years" in out and "+/-" in out
    for metric in set(kpis["metric"]):  # every metric under its label from the registry
        assert f"\n{registry.long_label(metric)}  " in out
    assert "kpis.csv" in out and "events.csv" in out


def test_one_replication_prints_n_1_and_writes_nothing_without_out(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(
        capsys, "run", "--reps", "1", "--population", "20000", "--horizon-days", "30", "--warmup-days", "10"
    )
    assert code == 0, err
    assert "n=1" in out
    assert "+/-" not in out
    assert "scenario 'baseline'" in out
    assert list(tmp_path.iterdir()) == []


def test_a_failing_replication_exits_1_with_one_line(capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("model blew up")

    monkeypatch.setattr(sim.replication.runner, "single_run", boom)
    code, out, err = cli(capsys, "run", "--reps", "2", *SMALL)
    assert_one_line_error(code, err, status=1)
    assert "replication 0" in err and "model blew up" in err


# --- runner and statistics --------------------------------------------------------------------


def test_runner_rejects_no_replications():
    with pytest.raises(ValueError):
        multiple_replications(Params(), "x", 0, 1)


def test_runner_names_the_failing_replication(monkeypatch):
    calls = []

    def flaky(params, seed=1, replication=0, prelaunch=None):
        calls.append((seed, replication))
        raise ValueError("bad")

    monkeypatch.setattr(sim.replication.runner, "single_run", flaky)
    with pytest.raises(ReplicationFailed) as info:
        multiple_replications(Params(), "x", 3, 7)
    assert (info.value.scenario, info.value.replication) == ("x", 0)
    assert calls == [(7, 0)]


def test_mean_ci_matches_the_t_interval():
    n, mean, sd, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (n, mean) == (4, 2.5)
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2  # t(0.975, 3) * sd / sqrt(n)
    assert sd == pytest.approx(math.sqrt(5 / 3))
    assert (lo, hi) == (pytest.approx(2.5 - half), pytest.approx(2.5 + half))


def test_mean_ci_with_one_value_or_none():
    n, mean, sd, lo, hi = mean_ci([3.0, float("nan")])
    assert (n, mean) == (1, 3.0) and all(math.isnan(x) for x in (sd, lo, hi))
    assert mean_ci([])[0] == 0 and math.isnan(mean_ci([])[1])


def test_summarise_and_rates():
    kpis = pd.DataFrame(
        {
            "scenario": ["s"] * 8,
            "replication": [0, 0, 1, 1, 0, 0, 1, 1],
            "cohort": ["all"] * 4 + ["85plus"] * 4,
            "metric": ["person_years", "emergency_admissions"] * 4,
            "value": [100.0, 20.0, 200.0, 60.0, 10.0, 5.0, 0.0, 1.0],
        }
    )
    summary = summarise(kpis)
    assert list(summary.columns) == ["scenario", "cohort", "metric", "n", "mean", "sd", "ci_low", "ci_high"]
    row = summary[(summary["cohort"] == "all") & (summary["metric"] == "emergency_admissions")].iloc[0]
    assert (row["n"], row["mean"]) == (2, 40.0)
    assert row["ci_low"] < 40.0 < row["ci_high"]
    rates = rates_per_1000_py(kpis)
    assert set(rates["metric"]) == {"emergency_admissions_per_1000_py"}
    got = rates.set_index(["cohort", "replication"])["value"]
    assert got[("all", 0)] == 200.0 and got[("all", 1)] == 300.0 and got[("85plus", 0)] == 500.0
    assert math.isnan(got[("85plus", 1)])  # no person-years: no rate
