"""The emulated evaluation inside the experiment runner: cohort ``matched:X`` as ``caresim compare`` makes it.

One 10,000-person place, two replications of the baseline and the Integrated Care Pilot: compared in one
process by ``run_comparison``, and run as independent tasks (scenario tasks hand their cases to one
comparator task per replication) serially and on a two-worker pool.  Then resuming, and a calibration
study whose target is measured the evaluation's way.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import COMPARATOR, MATCHED_PREFIX, run_comparison
from sim.calibration.calibrate import Evaluator
from sim.calibration.fit_check import defaults
from sim.calibration.study import load_study
from sim.cli.main import main
from sim.experiments.batch import run_experiment
from sim.experiments.comparator import ComparatorSpec, Partner, run_comparator
from sim.experiments.executors import Serial
from sim.experiments.experiment import load_experiment
from sim.experiments.exports import collect
from sim.experiments.store import Store
from sim.scenarios.scenario import RunSettings, baseline, load

pytestmark = pytest.mark.timeout(600)  # a process pool

ROOT = Path(__file__).resolve().parents[1]
PILOT = ROOT / "scenarios" / "integrated_care_pilot.toml"
POPULATION, REPS, SEED = 10_000, 2, 1
COHORT = MATCHED_PREFIX + "integrated_care_pilot"
KEY = ["scenario", "replication", "cohort", "metric"]


def write_experiment(folder: Path) -> Path:
    path = folder / "evaluated.toml"
    path.write_text(
        f"""name = "evaluated"
scenarios = ["baseline", "{PILOT.as_posix()}"]
replications = {REPS}
seed = {SEED}
population = {POPULATION}
charts = []
""",
        encoding="utf-8",
    )
    return path


def matched(kpis: pd.DataFrame) -> pd.DataFrame:
    rows = kpis[kpis["cohort"].str.startswith(MATCHED_PREFIX)]
    return rows.sort_values(KEY).reset_index(drop=True)[KEY + ["value"]]


@pytest.fixture(scope="module")
def compared() -> dict[str, pd.DataFrame]:
    settings = RunSettings(population=POPULATION)
    return run_comparison([baseline(settings), load(PILOT, settings)], REPS, SEED)


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    """The experiment run serially through the runner; its results folder and collected frames."""
    folder = tmp_path_factory.mktemp("serial")
    exp = load_experiment(write_experiment(folder), out=folder / "out")
    exp.out.mkdir()
    with Store(exp.out) as store:
        outcome = run_experiment(exp, store, Serial(), None)
        assert not outcome.failed and not outcome.comparators_failed
        assert len(outcome.comparators_run) == REPS  # one comparator per replication
        return exp.out, collect(store, outcome.tasks, exp)


def test_runner_matched_rows_equal_compare(compared, serial):
    ours, theirs = matched(serial[1]["kpis"]), matched(compared["kpis"])
    assert len(theirs) and set(theirs["scenario"]) == {"baseline", "integrated_care_pilot"}
    assert set(theirs["cohort"]) == {COHORT}
    pd.testing.assert_frame_equal(ours[KEY], theirs[KEY])
    np.testing.assert_allclose(ours["value"], theirs["value"], rtol=1e-12, atol=1e-12)
    # the balance too, replication by replication
    b_ours, b_theirs = (
        b.sort_values(["replication", "variable"]).reset_index(drop=True)
        for b in (serial[1]["balance"], compared["balance"])
    )
    assert len(b_theirs) and list(b_ours["variable"]) == list(b_theirs["variable"])
    for c in ("cases", "controls", "case_mean", "control_mean", "smd"):
        np.testing.assert_allclose(b_ours[c].to_numpy(float), b_theirs[c].to_numpy(float), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("where", [["--workers", "2"], ["--dask", "local", "--workers", "2"]], ids=["pool", "dask"])
def test_in_parallel_the_serial_numbers_and_the_balance(where, serial, tmp_path, capsys):
    """``caresim experiment`` on a 2-worker pool or Dask: the same matched rows, matching_balance.csv, the summary."""
    out = tmp_path / "out"
    code = main(["experiment", str(write_experiment(tmp_path)), *where, "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    kpis = pd.read_csv(out / "kpis.csv")
    pd.testing.assert_frame_equal(matched(kpis), matched(serial[1]["kpis"]), check_exact=True)
    balance = pd.read_csv(out / "matching_balance.csv")
    assert list(balance.columns[:4]) == ["scenario", "grid", "replication", "design"]
    assert len(balance) == len(serial[1]["balance"]) and (balance["scenario"] == "integrated_care_pilot").all()
    summary = pd.read_csv(out / "summary.csv")
    row = summary[(summary["scenario"] == "integrated_care_pilot") & (summary["cohort"] == COHORT)]
    row = row.set_index("metric").loc["emergency_admissions"]
    k = matched(kpis)
    k = k[k["metric"] == "emergency_admissions"].pivot(index="replication", columns="scenario", values="value")
    expected = 100 * (k["integrated_care_pilot"] - k["baseline"]).mean() / k["baseline"].mean()
    assert np.isfinite(row["pct_change"]) and row["pct_change"] == pytest.approx(expected, rel=1e-9)


class Counting(Serial):
    """A serial executor that records which function each task ran."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def submit(self, fn, arg):
        self.ran.append(fn.__name__)
        return super().submit(fn, arg)


def _delete(folder: Path, table: str, where: str) -> int:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return db.execute(f"DELETE FROM {table} WHERE {where}").rowcount


def test_resuming_does_not_rerun_the_comparator(serial, tmp_path):
    folder = tmp_path / "out"
    shutil.copytree(serial[0], folder)
    exp = load_experiment(write_experiment(tmp_path), out=folder)

    def resume() -> tuple[list[str], pd.DataFrame]:
        executor = Counting()
        with Store(folder) as store:
            outcome = run_experiment(exp, store, executor, None)
            return executor.ran, collect(store, outcome.tasks, exp)["kpis"]

    ran, kpis = resume()
    assert ran == []  # everything was stored, the comparators too
    pd.testing.assert_frame_equal(matched(kpis), matched(serial[1]["kpis"]))
    # a scenario run lost (as if killed before it was committed): it runs again, its comparator does not
    assert _delete(folder, "runs", f"scenario = 'integrated_care_pilot' AND replication = {REPS - 1}") == 1
    ran, kpis = resume()
    assert ran == ["run_task"]
    # a comparator lost: that one alone runs again, and gives the same rows
    assert _delete(folder, "comparator_runs", f"replication = {COMPARATOR + REPS - 1}") == 1
    ran, kpis = resume()
    assert ran == ["run_comparator"]
    pd.testing.assert_frame_equal(matched(kpis), matched(serial[1]["kpis"]))


def test_a_comparator_without_cases_runs_nothing():
    params = baseline(RunSettings(population=POPULATION)).params
    spec = ComparatorSpec("k", "baseline", None, COMPARATOR, SEED, params, params, (Partner("p", "x", None, None),))
    result = run_comparator(spec)
    assert result.error is None and not result.ran and result.partners == ("p",) and not result.matched


def test_a_scenario_task_returns_its_cases(serial):
    """The case summary a scenario task hands over: one row per enrolled person, with their index date."""
    folder = serial[0]
    with Store(folder) as store:
        keys = store.runs().query("scenario == 'integrated_care_pilot'")["key"]
        cases = [store.cases(k) for k in keys]
        enrolled = [store.enrolled(k) for k in keys]
    for c, (pids, times) in zip(cases, enrolled):
        assert c is not None and c.design and len(c.frame) == len(pids) > 0
        np.testing.assert_array_equal(c.frame["pid"].to_numpy(), pids)
        np.testing.assert_array_equal(c.frame["index_time"].to_numpy(), times)
        assert (c.frame["py_before"] >= 0).all() and (c.frame["py_after"] > 0).any()


def study_text(cohort: str) -> str:
    return f"""name = "evaluated"
reference = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"
replications = {REPS}
seed = {SEED}
population = {POPULATION}
budget_runs = 100

[[target]]
name = "icp_emergency_admissions"
kind = "change"
scenario = "{PILOT.as_posix()}"
metric = "emergency_admissions"
cohort = "{cohort}"
value = 2.0
sd = 3.0
source = "a test"
sd_source = "a test"

[[prior]]
parameter = "mdt.crisis_reduction"
low = 0.0
high = 0.5
reason = "a test"
"""


def test_a_study_target_measured_the_evaluations_way(compared, tmp_path):
    path = tmp_path / "evaluated.toml"
    path.write_text(study_text("matched"), encoding="utf-8")
    study = load_study(path)
    with Store(tmp_path) as store:
        evaluate = Evaluator(study, store, Serial(), None, tmp_path)
        means, _ = evaluate(defaults(study.names)[None, :])
    k = matched(compared["kpis"])
    k = k[k["metric"] == "emergency_admissions"].pivot(index="replication", columns="scenario", values="value")
    expected = 100 * (k["integrated_care_pilot"] - k["baseline"]).mean() / k["baseline"].mean()
    assert np.isfinite(means[0, 0]) and means[0, 0] == pytest.approx(expected, rel=1e-9)


def test_a_misspelt_cohort_is_one_line_with_a_guess(tmp_path, capsys):
    path = tmp_path / "evaluated.toml"
    path.write_text(study_text("matchd"), encoding="utf-8")
    assert main(["calibrate", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ")
    assert "target[1].cohort" in err and "matched" in err and "did you mean 'matched'?" in err
