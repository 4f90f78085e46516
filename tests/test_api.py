"""The Python API (``sim/api/``): the command line's tables for the same seed, its errors, its progress bar,
the names it exports, and the example notebook that uses it.

Each public function is called at a tiny place and compared with the files the command line writes for the
same input, read back with pandas: both paths must give the same numbers, whatever the model's numbers are.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import distributed
import nbclient
import nbformat
import pandas as pd
import pytest
from helpers import write_experiment

import sim
import sim.api as api
from sim.analysis.compare import COMPARISON_COLUMNS
from sim.calibration.fit_check import defaults
from sim.cli.main import main
from sim.scenarios.scenario import RunSettings, load, scenario_hash

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = (SCENARIOS / "baseline.toml").as_posix()
MDT = (SCENARIOS / "nurse_led_mdt.toml").as_posix()
NOTEBOOK = ROOT / "docs" / "examples" / "api.ipynb"
PLACE = {"population": 5000, "horizon_days": 60, "warmup_days": 30}
FLAGS = ["--population", "5000", "--horizon-days", "60", "--warmup-days", "30", "--reps", "2", "--seed", "3"]
RUNS = {"reps": 2, "seed": 3}


def cli(*argv: str) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def same(frame: pd.DataFrame, path: Path) -> None:
    """The API's table is the command line's file, read back."""
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), pd.read_csv(path), check_exact=False, rtol=1e-12)


def silent(capsys) -> None:
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "", captured


def study_text(folder: Path, name: str = "tiny") -> Path:
    """A tiny calibration study: one target, one prior, a few particles."""
    path = folder / f"{name}.toml"
    path.write_text(
        f"""name = "{name}"
reference = "{BASELINE}"
replications = 2
seed = 3
population = 3000
horizon_days = 60
warmup_days = 30
budget_runs = 2000
[sweep]
points = 4
morris_trajectories = 2
[abc]
particles = 6
generations = 2
[[target]]
name = "crises"
kind = "level"
scenario = "{BASELINE}"
metric = "crises"
per_1000_person_years = true
value = 300.0
sd = 30.0
source = "made up for a test"
[[prior]]
parameter = "crisis.transient_boost"
low = 0.0
high = 8.0
reason = "a wide range for a test"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    code, _, err = cli("run", BASELINE, *FLAGS, "--events", "--out", out)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def cli_compare(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "compare"
    code, _, err = cli("compare", "baseline", MDT, *FLAGS, "--out", out)
    assert code == 0, err
    return out


# --- the names -----------------------------------------------------------------------------------


def test_from_sim_gives_every_public_name_and_nothing_else():
    assert sim.__all__ == ["__version__", *api.__all__]
    for name in api.__all__:
        assert getattr(sim, name) is getattr(api, name)
    with pytest.raises(AttributeError):
        getattr(sim, "multiple_replications")  # a name sim.api uses but does not export
    defined_here = {n for n, v in vars(api).items() if (getattr(v, "__module__", None) or "").startswith("sim.api")}
    assert defined_here - set(api.__all__) == {n for n in defined_here if n.startswith("_")}


def test_every_public_name_has_a_numpy_style_docstring_and_a_place_in_the_reference():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in api.__all__:
        obj = getattr(api, name)
        doc = inspect.getdoc(obj) or ""
        assert doc, name
        assert f"`{name}`" in page, f"docs/api.md does not list {name}"
        if inspect.isfunction(obj):
            for section in ("Parameters", "Returns", "Raises", "Examples"):
                assert f"{section}\n{'-' * len(section)}" in doc, (name, section)
        elif name.endswith("Result") or name == "Results":
            assert "Attributes\n----------" in doc, name
    assert "docs/api.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_sim_imports_the_api_only_when_a_name_is_asked_for():
    tree = ast.parse((ROOT / "sim" / "__init__.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    # from sim, only the guard of the compiled build, which imports nothing but the standard library
    assert {n.module for n in top if isinstance(n, ast.ImportFrom) and "sim" in (n.module or "")} <= {"sim.compiled"}
    assert all(a.name != "sim.api" for n in top for a in n.names)
    probe = "import sys, sim; print('sim.api' in sys.modules); from sim import run; print('sim.api' in sys.modules)"
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert printed.split() == ["False", "True"]


# --- scenarios -------------------------------------------------------------------------------------


def test_load_scenario_and_differences_match_validate(tmp_path):
    """Overrides on a file are the file edited: the same parameters, and validate lists the same changes."""
    edited = tmp_path / "edited.toml"
    edited.write_text(
        f'name = "edited"\nextends = "{MDT}"\n[acute]\nbeds_per_100k = 150\n[intervention.mdt]\ncaseload = 40\n',
        encoding="utf-8",
    )
    loaded = api.load_scenario(
        MDT, overrides={"acute": {"beds_per_100k": 150}, "intervention.mdt.caseload": 40}, name="edited"
    )
    assert scenario_hash(loaded.params, loaded.prelaunch) == scenario_hash(*_params(load(edited)))
    code, printed, err = cli("validate", edited)
    assert code == 0, err
    table = api.differences(loaded)
    count = int(re.search(r"Differences from the built-in baseline \((\d+)\)", printed).group(1))
    assert len(table) == count and count > 0
    rows = printed.split("Differences from the built-in baseline")[1].splitlines()[3:]  # after the heading's rest,
    listed = [line.split()[0] for line in rows if line.strip()]  # the columns' names and their underlines
    assert list(table["parameter"]) == listed[: len(table)]
    assert len(api.differences("baseline")) == 0


def _params(scenario) -> tuple:
    return scenario.params, scenario.prelaunch


def test_overrides_on_the_built_in_baseline_are_a_file_that_extends_it(tmp_path):
    edited = tmp_path / "beds.toml"
    edited.write_text('name = "beds"\n[acute]\nbeds_per_100k = 150\n', encoding="utf-8")
    loaded = api.load_scenario(overrides={"acute.beds_per_100k": 150}, population=20_000)
    from_file = load(edited, RunSettings(population=20_000))
    assert loaded.name == "baseline" and loaded.params == from_file.params
    assert loaded.population_scale == from_file.population_scale
    with pytest.raises(api.ScenarioError, match=r"^overrides: 'intervention\.mdt\.caseload': the built-in baseline"):
        api.load_scenario(overrides={"intervention.mdt.caseload": 40})


# --- run and compare -------------------------------------------------------------------------------


def test_run_gives_the_files_of_caresim_run(cli_run, capsys):
    result = api.run(BASELINE, **PLACE, **RUNS, events=True, progress=False)
    silent(capsys)
    same(result.kpis, cli_run / "kpis.csv")
    same(result.timeseries, cli_run / "timeseries.csv")
    same(result.events, cli_run / "events.csv")
    assert set(result.summary["cohort"]) >= {"all", "65plus", "85plus"}
    assert result.replications == 2 and result.scenario.params.place.registered_population == 5000


def test_compare_gives_the_files_of_caresim_compare(cli_compare, capsys):
    result = api.compare(["baseline", MDT], **PLACE, **RUNS, progress=False)
    silent(capsys)
    same(result.comparison[COMPARISON_COLUMNS], cli_compare / "comparison.csv")
    same(result.kpis, cli_compare / "kpis.csv")
    same(result.timeseries, cli_compare / "timeseries.csv")
    assert "mdt:nurse_led_mdt" in set(result.kpis["cohort"])  # the same people in the baseline's runs
    assert "mdt" in set(result.comparison["cohort"]) and "unstable" in result.comparison.columns
    assert result.names == ["baseline", "nurse_led_mdt"] and result.uncertainty is None


def test_compare_over_posterior_draws_gives_the_files_of_caresim_compare(tmp_path, capsys):
    out = tmp_path / "posterior"
    code, _, err = cli("compare", "baseline", MDT, *FLAGS, "--posterior", "2", "--out", out)
    assert code == 0, err
    result = api.compare(["baseline", MDT], **PLACE, **RUNS, posterior=2, progress=False)
    silent(capsys)
    assert len(result.draws) == 2 and "draw" in result.kpis.columns
    same(result.comparison[COMPARISON_COLUMNS], out / "comparison.csv")
    u = result.uncertainty
    same(u.assign(dominant=u["dominant"].mask(u["dominant"] == "")), out / "uncertainty.csv")  # '' is read as NA


def test_loaded_scenarios_compare_as_their_files(cli_compare):
    scenarios = [api.load_scenario(p, **PLACE) for p in ("baseline", MDT)]
    result = api.compare(scenarios, **RUNS, progress=False)
    same(result.comparison[COMPARISON_COLUMNS], cli_compare / "comparison.csv")


# --- experiments and results folders ---------------------------------------------------------------


def test_run_experiment_on_dask_gives_the_files_of_caresim_experiment(tmp_path, capsys):
    exp = write_experiment(tmp_path, reps=2)
    code, _, err = cli("experiment", exp, "--workers", "1", "--quiet", "--out", tmp_path / "cli")
    assert code == 0, err
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c,
        distributed.Client(c) as client,
    ):
        result = api.run_experiment(exp, dask=client, out=tmp_path / "api", progress=False)
        assert client.status == "running"  # the caller's client is left to the caller
    silent(capsys)
    assert "Dask" in result.executor and result.runs == result.runs_now == 8 and result.failed.empty
    for name in ("summary", "kpis", "timeseries"):
        same(getattr(result, name), tmp_path / "cli" / f"{name}.csv")
    again = api.run_experiment(exp, workers=1, out=tmp_path / "api", resume=True, progress=False)
    assert again.runs_now == 0
    pd.testing.assert_frame_equal(again.summary, result.summary)


def test_read_results_reads_every_kind_of_folder(cli_run, cli_compare):
    run = api.read_results(cli_run)
    assert run.kind == "run" and run.comparison is None and run.summary is None
    pd.testing.assert_frame_equal(run.events, pd.read_csv(cli_run / "events.csv"))
    compared = api.read_results(cli_compare)
    assert compared.kind == "compare" and compared.metadata["kind"] == "compare"
    pd.testing.assert_frame_equal(compared.comparison, pd.read_csv(cli_compare / "comparison.csv"))
    pd.testing.assert_frame_equal(compared.kpis, pd.read_csv(cli_compare / "kpis.csv"))


def test_read_results_refuses_what_is_not_a_results_folder(tmp_path):
    with pytest.raises(api.ResultsError, match=r"no such results folder$"):
        api.read_results(tmp_path / "missing")
    (tmp_path / "kpis.csv").write_text("scenario,replication\n")
    with pytest.raises(api.ResultsError, match=r"missing timeseries\.csv"):
        api.read_results(tmp_path)
    (tmp_path / "timeseries.csv").write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(api.ResultsError) as e:
        api.read_results(tmp_path)
    assert "timeseries.csv cannot be read" in str(e.value) and "\n" not in str(e.value)


# --- calibration -----------------------------------------------------------------------------------


def test_sweep_and_calibrate_give_the_files_of_the_commands(tmp_path, capsys):
    study = study_text(tmp_path)
    for command in ("sweep", "calibrate"):
        code, _, err = cli(command, study, "--workers", "1", "--quiet", "--out", tmp_path / f"cli_{command}")
        assert code == 0, err
    swept = api.sweep(study, workers=1, out=tmp_path / "api_sweep", progress=False)
    fit = api.calibrate(study, workers=1, out=tmp_path / "api_fit", progress=False)
    silent(capsys)
    same(swept.design, tmp_path / "cli_sweep" / "sweep.csv")
    same(swept.morris, tmp_path / "cli_sweep" / "morris.csv")
    cli_fit = tmp_path / "cli_calibrate"
    for name in ("posterior", "generations", "evaluations"):
        same(getattr(fit, name), cli_fit / f"{name}.csv")
    pd.testing.assert_frame_equal(fit.intervals, pd.read_csv(cli_fit / "intervals.csv", index_col=0))
    fitted = json.loads((cli_fit / "fitted.json").read_text())
    assert fit.fitted == pytest.approx(fitted["fitted"], rel=1e-12)
    assert fit.command.startswith("caresim calibrate ") and (fit.folder / "report.html").is_file()


def test_check_calibration_gives_the_file_of_calibrate_check(tmp_path, capsys):
    study = study_text(tmp_path)
    names = ("crisis.transient_boost",)
    for fit in ("cli", "api"):
        (tmp_path / fit).mkdir()
        (tmp_path / fit / "fitted.json").write_text(json.dumps({"fitted": dict(zip(names, defaults(names)))}))
    flags = ["--population", "3000", "--reps", "2", "--workers", "1", "--quiet"]
    code, printed, err = cli("calibrate", study, "--check", *flags, "--out", tmp_path / "cli")
    assert code == 0, err
    result = api.check_calibration(study, population=3000, reps=2, workers=1, out=tmp_path / "api", progress=False)
    silent(capsys)
    same(result.table, tmp_path / "cli" / "check" / "check.csv")
    assert f"{result.held} of 1 targets" in printed and result.report is None


# --- sensitivity, sites, validation and the report -------------------------------------------------

SMALL_REFERENCE = """name = "small_place"
extends = "baseline"
[acute]
beds_per_100k = 1000
"""

SMALL_MDT = f"""name = "small_social_care_led_mdt"
extends = "{(SCENARIOS / "social_care_led_mdt.toml").as_posix()}"
[acute]
beds_per_100k = 1000
[intervention.mdt]
coordinators_per_100k = {{ nurse = 160, social_worker = 80, mental_health = 80, occupational_therapist = 80 }}
enrol_top_share = 0.2
"""


def sensitivity_study(folder: Path) -> Path:
    """A tiny study with a [sensitivity] table (after tests/test_sensitivity_model.py, smaller)."""
    (folder / "reference.toml").write_text(SMALL_REFERENCE, encoding="utf-8")
    (folder / "mdt.toml").write_text(SMALL_MDT, encoding="utf-8")
    path = folder / "small.toml"
    path.write_text(
        """name = "small"
reference = "reference.toml"
replications = 1
seed = 1
population = 2000
horizon_days = 90
warmup_days = 30
[[target]]
name = "crises"
kind = "level"
scenario = "reference.toml"
metric = "crises"
value = 100.0
sd = 10.0
source = "test"
[[prior]]
parameter = "crisis.transient_boost"
low = 3.0
high = 4.0
reason = "test"
[sensitivity]
scenarios = ["mdt.toml"]
metrics = ["emergency_admissions", "bed_days"]
samples = 4
morris_trajectories = 2
[[sensitivity.prior]]
parameter = "mdt.social_care_effect_multiplier"
low = 1.0
high = 2.0
reason = "no target informs it (test)"
""",
        encoding="utf-8",
    )
    return path


def sites_file(folder: Path) -> Path:
    """A tiny sites file (after tests/test_sites.py): places of 2,000 people, a scenario without an MDT."""
    path = folder / "small_sites.toml"
    path.write_text(
        f"""name = "small_sites"
integration = "{(SCENARIOS / "information_sharing.toml").as_posix()}"
integration_reason = "no MDT, so that a place of 2,000 people has all of the scenario"
sites = 8
seed = 3
horizon_days = 90
warmup_days = 30
minimal_change_reason = "as in calibration/sites.toml"
[population]
low = 2000
high = 2000
reason = "small and fast, for tests"
[[baseline]]
name = "social_care_scale"
parameters = ["social_care.social_workers_per_100k", "social_care.reablement_places_per_100k"]
scale = [10.0, 10.0]
reason = "whole posts and places at 2,000 people"
[[factor]]
name = "information_sharing"
meaning = "0: separate records; 1: shared records"
beta = [1.0, 1.0]
reason = "uniform, for tests"
[[factor.map]]
parameter = "discharge.assessment_days"
scale = [1.0, 0.5]
reason = "for tests"
[[metric]]
metric = "emergency_admissions"
better = "lower"
minimal_change = 0.02
reported_share = 0.42
source = "seed 003_267f426e5480fa10.txt"
""",
        encoding="utf-8",
    )
    return path


def validation_rows(folder: Path) -> Path:
    """The validation file's first two rows (neither needs a longer window, so the runs take seconds)."""
    text = (ROOT / "calibration" / "validation.toml").read_text(encoding="utf-8")
    rows = text.split("\n[[row]]\n")[1:3]
    path = folder / "two_rows.toml"
    path.write_text('description = "two rows"\n' + "".join(f"[[row]]\n{r}\n" for r in rows), encoding="utf-8")
    return path


def test_sensitivity_gives_the_files_of_caresim_sensitivity(tmp_path, capsys):
    study = sensitivity_study(tmp_path)
    code, printed, err = cli("sensitivity", study, "--workers", "1", "--quiet", "--out", tmp_path / "cli")
    assert code == 0, err
    result = api.sensitivity(study, workers=1, out=tmp_path / "api", progress=False)
    silent(capsys)
    for name in ("parameters", "morris", "sobol", "prior_driven"):
        frame = getattr(result, name)
        text = frame.select_dtypes(["object", "string"])
        same(frame.assign(**text.mask(text == "")), tmp_path / "cli" / f"{name}.csv")  # '' is read as NA
    assert (result.folder / "sobol.png").is_file() and not result.failed
    meta = json.loads((result.folder / "sensitivity.json").read_text())
    assert meta["command"] == result.command and meta["runs_made"] == result.runs_now > 0
    assert f"{result.runs_now} runs made" in printed  # the command made as many runs as the function
    again = api.sensitivity(study, workers=1, out=tmp_path / "api", resume=True, progress=False)
    assert again.runs_now == 0
    pd.testing.assert_frame_equal(again.sobol, result.sobol)


def test_sites_gives_the_files_of_caresim_sites(tmp_path, capsys):
    path = sites_file(tmp_path)
    code, printed, err = cli("sites", path, "--sites", "2", "--workers", "1", "--quiet", "--out", tmp_path / "cli")
    assert code == 0, err
    result = api.sites(path, sites=2, workers=1, out=tmp_path / "api", progress=False)
    silent(capsys)
    for name in ("sites", "shares", "thresholds"):
        same(getattr(result, name), tmp_path / "cli" / f"{name}.csv")
    assert len(result.sites) == 2 and result.runs == result.runs_now == 6 and not result.failed
    assert json.loads((result.folder / "metadata.json").read_text()) == result.metadata
    assert result.metadata["command"].endswith("--sites 2 --out " + str(tmp_path / "api"))
    assert "6 runs, 6 run now" in printed


def test_validation_gives_the_table_of_caresim_validation(tmp_path, capsys):
    rows = validation_rows(tmp_path)
    flags = ["--population", "5000", "--reps", "2", "--horizon-days", "120", "--warmup-days", "30"]
    code, printed, err = cli("validation", "--file", rows, *flags, "--write", tmp_path / "cli.md")
    assert code == 0, err
    keywords = {"population": 5000, "reps": 2, "horizon_days": 120.0, "warmup_days": 30.0, "file": str(rows)}
    unwritten = api.validation(**keywords, progress=False)
    written = api.validation(**keywords, write=tmp_path / "api.md", progress=False)
    silent(capsys)
    assert unwritten.written is None and not (tmp_path / "docs").exists()
    assert written.written == tmp_path / "api.md"
    page = (tmp_path / "cli.md").read_text(encoding="utf-8")
    assert written.written.read_text(encoding="utf-8") == unwritten.markdown() == page
    assert len(unwritten.table) == 2 and set(unwritten.table["in_range"]) <= {"yes", "no", "cannot tell"}
    for r in unwritten.table.itertuples():
        assert r.label in printed and f"| {r.label} | {r.source} |" in page
    assert f"`{unwritten.command}`" in page


def test_report_writes_the_report_of_caresim_report(cli_compare, tmp_path, capsys):
    folder = tmp_path / "compare"
    shutil.copytree(cli_compare, folder)
    (folder / "report.html").unlink()
    path = api.report(folder)
    silent(capsys)
    assert path == folder / "report.html"
    made = path.read_text(encoding="utf-8")
    code, printed, err = cli("report", folder)
    assert code == 0 and printed == f"Wrote {path}\n", err
    assert path.read_text(encoding="utf-8") == made


# --- bad input: the command line's one line, as the right exception ---------------------------------


def _bad_inputs(tmp_path: Path) -> list[tuple]:
    broken_experiment = ROOT / "tests" / "broken_experiments" / "zero_replications.toml"
    broken_study = ROOT / "tests" / "broken_studies" / "no_target.toml"
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("somebody's")
    exp = write_experiment(tmp_path, reps=1)
    study = study_text(tmp_path)
    broken_sites = tmp_path / "broken_sites.toml"
    broken_sites.write_text(sites_file(tmp_path).read_text().replace("sites = 8", "sites = 1"))
    broken_rows = tmp_path / "broken_rows.toml"
    broken_rows.write_text('description = 1\n[[row]]\nfigure = "bed_days_share_65plus"\n')
    return [
        (api.ScenarioError, lambda: api.load_scenario("no_such_file.toml"), ["run", "no_such_file.toml"]),
        (api.SettingsError, lambda: api.run(reps=0), ["run", "--reps", "0"]),
        (api.SettingsError, lambda: api.run(population=-3), ["run", "--population", "-3"]),
        (api.SettingsError, lambda: api.run(warmup_days=-1), ["run", "--warmup-days", "-1"]),
        (api.ScenarioError, lambda: api.compare(["baseline", BASELINE]), ["compare", "baseline", BASELINE]),
        (
            api.SettingsError,
            lambda: api.compare(["baseline", MDT], reps=1, posterior=2),
            ["compare", "baseline", MDT, "--reps", "1", "--posterior", "2"],
        ),
        (api.ExperimentError, lambda: api.run_experiment(broken_experiment), ["experiment", broken_experiment]),
        (api.SettingsError, lambda: api.run_experiment(exp, out=taken), ["experiment", exp, "--out", taken]),
        (
            api.SettingsError,
            lambda: api.run_experiment(exp, workers=1, dask="local", out=tmp_path / "new"),
            ["experiment", exp, "--workers", "1", "--dask", "local", "--out", tmp_path / "new"],
        ),
        (api.StudyError, lambda: api.calibrate(broken_study), ["calibrate", broken_study]),
        (api.StudyError, lambda: api.check_calibration(study), ["calibrate", study, "--check"]),
        (api.SettingsError, lambda: api.sweep(study, out=taken), ["sweep", study, "--out", taken]),
        (api.StudyError, lambda: api.sensitivity(study), ["sensitivity", study]),  # no [sensitivity] table
        (api.SitesError, lambda: api.sites(broken_sites), ["sites", broken_sites]),
        (
            api.ValidationError,
            lambda: api.validation(file=broken_rows),
            ["validation", "--file", broken_rows, "--no-write"],
        ),
        (api.ResultsError, lambda: api.report(tmp_path / "missing"), ["report", tmp_path / "missing"]),
    ]


def test_bad_input_raises_its_own_exception_with_the_command_lines_line(tmp_path, capsys):
    for error, call, argv in _bad_inputs(tmp_path):
        code, _, err = cli(*argv)
        assert code == 2 and err.count("\n") == 1, (argv, err)
        with pytest.raises(error) as raised:
            call()
        assert err == f"caresim: error: {raised.value}\n", argv
        assert isinstance(raised.value, ValueError)
    silent(capsys)
    assert not (tmp_path / "new").exists()  # nothing is made before the input is checked


def test_a_failed_replication_is_the_command_lines_line(monkeypatch):
    import sim.replication.runner as runner

    def broken(params, seed, replication, prelaunch=None):
        raise RuntimeError(f"broken in replication {replication}")

    monkeypatch.setattr(runner, "single_run", broken)
    code, _, err = cli("run", *FLAGS)
    with pytest.raises(api.ReplicationFailed) as raised:
        api.run(**PLACE, **RUNS, progress=False)
    assert code == 1 and err == f"caresim: error: {raised.value}\n"
    assert str(raised.value) == "scenario 'baseline', replication 0: RuntimeError: broken in replication 0"


# --- progress -----------------------------------------------------------------------------------------


def test_the_progress_bar_shows_on_stderr_and_can_be_turned_off(capsys):
    api.run(**PLACE, reps=1, progress=False)
    silent(capsys)
    api.run(**PLACE, reps=2)
    captured = capsys.readouterr()
    assert captured.out == "" and "2/2" in captured.err
    seen = []
    api.run(**PLACE, reps=2, progress=lambda done, total, seconds: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    silent(capsys)


# --- the example notebook --------------------------------------------------------------------------


def test_the_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.timeout(300)
def test_the_notebook_runs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the what-if's chart and the sensitivity's
