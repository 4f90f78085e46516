"""Bad input at the limits: numbers too large, nesting too deep, files that are not files, types used
before they are checked, seeds the store cannot hold.  Each gives one line, ``caresim: error: <where>:
<what>``, exit status 2 and nothing written (DESIGN 8; issue 22 point 11), never a traceback or a hang.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import SMALL, write_experiment

import sim.replication.single
from sim.cli.main import main
from sim.experiments.experiment import ExperimentError, load_experiment
from sim.parameters.filecheck import MAX_SEED
from sim.parameters.params import Params
from sim.parameters.tree import UNSTATED_HI, ParameterError, apply_overrides, walk
from sim.scenarios.scenario import MAX_NESTING, MAX_TOML_BYTES, ScenarioError, load

pytestmark = pytest.mark.timeout(300)  # a FIFO that is opened would hang for ever: the timeout makes it a failure

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = (SCENARIOS / "baseline.toml").as_posix()
NUMBERS = [
    (key, value, meta)
    for key, value, meta in walk(Params())
    if not isinstance(value, bool)
    and all(isinstance(v, (int, float)) for v in (value if isinstance(value, tuple) else (value,)))
]


def nested(key: str, value):
    out = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def one_line(code: int, err: str) -> str:
    """The error line, after checking the contract: exit 2, one line, no traceback."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("caresim: error: ") and "Traceback" not in err, err
    return lines[0]


def cli(capsys, *argv: str) -> str:
    code = main(list(argv))
    return one_line(code, capsys.readouterr().err)


def experiment_text(extra: str = "", scenarios: str = f'["{BASELINE}"]') -> str:
    return f'name = "x"\nscenarios = {scenarios}\n{extra}\n'


def study_text(extra: str = "", prior: str = '"routing.gp_first"', sensitivity: str = "") -> str:
    return f"""name = "x"
reference = "{BASELINE}"
{extra}
[[target]]
name = "t"
kind = "level"
scenario = "{BASELINE}"
metric = "crises"
value = 1.0
sd = 0.1
source = "test"

[[prior]]
parameter = {prior}
low = 0.0
high = 0.5
reason = "test"
{sensitivity}
"""


def sites_text(old: str = "", new: str = "") -> str:
    """The repository's sites file, its scenario paths made absolute, with ``old`` replaced by ``new``."""
    text = (ROOT / "calibration" / "sites.toml").read_text(encoding="utf-8")
    text = text.replace('"../scenarios/', f'"{SCENARIOS.as_posix()}/')
    assert not old or old in text
    return text.replace(old, new, 1) if old else text


VALIDATION_ROW = """
[[row]]
figure = "bed_days_share_65plus"
label = "l"
evidence = "e"
source = "s"
low = 0.4
high = 0.6
range_reason = "r"
measured = "m"
miss_reason = "m"
"""


def command(kind: str, path: Path, out: Path) -> list[str]:
    """The command that reads a file of this kind, writing (if it got that far) to ``out``."""
    return {
        "scenario": ["run", str(path), "--reps", "1", "--out", str(out)],
        "experiment": ["experiment", str(path), "--quiet", "--out", str(out)],
        "study": ["calibrate", str(path), "--quiet", "--out", str(out)],
        "sites": ["sites", str(path), "--quiet", "--out", str(out)],
        "validation": ["validation", "--file", str(path), "--reps", "1", "--write", str(out / "v.md")],
    }[kind]


VALID = {
    "scenario": 'name = "x"\n',
    "experiment": experiment_text(),
    "study": study_text(),
    "sites": sites_text(),
    "validation": 'description = "d"\n' + VALIDATION_ROW,
}


# --- numbers too large --------------------------------------------------------------------------


def test_every_number_of_the_tree_states_its_own_upper_bound():
    unstated = [key for key, _, meta in NUMBERS if meta["hi"] is None or meta["hi"] >= UNSTATED_HI]
    assert unstated == [], f"give these parameters a hi= by their kind of unit (sim/parameters/tree.py): {unstated}"


@pytest.mark.parametrize("key", [key for key, _, _ in NUMBERS])
def test_every_number_of_the_tree_refuses_values_above_its_bound_without_overflow(key):
    meta = dict(next(m for k, _, m in NUMBERS if k == key))
    value = next(v for k, v, _ in NUMBERS if k == key)
    for bad in (meta["hi"] * 2 + 1, 10**400, 1e308):
        shaped = [bad] * len(value) if isinstance(value, tuple) else bad
        with pytest.raises(ParameterError) as e:
            apply_overrides(Params(), nested(key, shaped))
        message = str(e.value)
        assert key in message and "above the largest possible value" in message and len(message) < 400


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[acute]\nbeds_per_100k = 1e308", "acute.beds_per_100k: 1e+308 is too large"),
        ("[acute]\nbeds_per_100k = -1e308", "acute.beds_per_100k: -1e+308 is too large"),
        (f"[place]\nregistered_population = {10**400}", "place.registered_population: a number of 401 digits"),
        (f"[place]\nregistered_population = {'9' * 5000}", "registered_population (line 3): a number of 5,000"),
        (f"[crisis]\nfrailty_hr = [1, {10**30}, 1, 1]", "crisis.frailty_hr[2]: a number of 31 digits"),
        (f"[[shift]]\nfrom = 'acute_beds'\namount_gbp_per_year = {10**400}", "shift[1].amount_gbp_per_year:"),
        (f"[intervention.rapid_response]\nteams_per_100k = {10**400}", "intervention.rapid_response.teams_per_100k:"),
        ("[intervention.demography]\ngrowth_registered_population = 1e308", "growth_registered_population: 1e+308"),
        ("[acute]\nbeds_per_100k = 1e6", "acute.beds_per_100k: 1000000.0 is above the largest possible value"),
    ],
)
def test_numbers_too_large_in_a_scenario_name_the_file_and_key(tmp_path, capsys, text, where):
    path = tmp_path / "big.toml"
    path.write_text(f'name = "big"\n{text}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value).startswith(f"{path.as_posix()}: ") and where in str(e.value)
    line = cli(capsys, "run", str(path), "--reps", "1", "--out", str(tmp_path / "out"))
    assert where in line and len(line) < 300
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", sorted(VALID))
@pytest.mark.parametrize("number", ["9" * 5000, str(10**400), "1e308"])
def test_a_huge_number_in_any_file_is_one_line(tmp_path, capsys, kind, number):
    path = tmp_path / f"{kind}.toml"
    path.write_text(f"huge = {number}\n" + VALID[kind], encoding="utf-8")  # top-level: read before any key check
    line = cli(capsys, *command(kind, path, tmp_path / "out"))
    assert f"{path.as_posix()}: huge" in line and "too large for any quantity" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("replications = 1_000_000_000", "'replications' must be at most 10,000"),
        ("population = 1_000_000_000_000", "'population' must be at most 5,000,000"),
        ("horizon_days = 100_000", "'horizon_days' must be a number of days from 0 to 36,500"),
        ("warmup_days = 1e18", "'warmup_days' must be a number of days from 0 to 36,500"),
        ("[precision]\nmetrics = ['bed_days']\nhalf_width_pct = 5\nmax_replications = 100_000", "at most 10,000"),
        ("[posterior]\ndraws = 10_000_000", "'posterior.draws' must be at most 10,000"),
    ],
)
def test_counts_and_days_of_an_experiment_have_upper_bounds(tmp_path, extra, message):
    path = tmp_path / "x.toml"
    path.write_text(experiment_text(extra), encoding="utf-8")
    with pytest.raises(ExperimentError, match=message):
        load_experiment(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("budget_runs = 10_000_000", "'budget_runs' must be at most 1,000,000"),
        ("replications = 1_000_000", "'replications' must be at most 10,000"),
        ("population = 6_000_000", "'population' must be at most 5,000,000"),
        ("horizon_days = 40_000", "'horizon_days' must be a number of days from 0 to 36,500"),
        ("[abc]\nparticles = 10_000_000", "'abc.particles' must be at most 1,000,000"),
    ],
)
def test_counts_and_days_of_a_study_have_upper_bounds(tmp_path, capsys, extra, message):
    path = tmp_path / "study.toml"
    path.write_text(study_text(extra), encoding="utf-8")
    assert message in cli(capsys, "calibrate", str(path), "--quiet", "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("sites = 60", "sites = 1_000_000", "'sites' must be at most 10,000"),
        ("high = 60_000", "high = 60_000_000", "'population.high' must be at most 5,000,000"),
        ("horizon_days = 730", "horizon_days = 1e12", "'horizon_days' must be a number of days from 0 to 36,500"),
    ],
)
def test_counts_and_days_of_a_sites_file_have_upper_bounds(tmp_path, capsys, old, new, message):
    path = tmp_path / "sites.toml"
    path.write_text(sites_text(old, new), encoding="utf-8")
    assert message in cli(capsys, "sites", str(path), "--quiet", "--out", str(tmp_path / "out"))


# --- nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(VALID))
@pytest.mark.parametrize("value", ["[" * 100_000 + "]" * 100_000, "{a = " * 100_000 + "1" + "}" * 100_000])
def test_nesting_deeper_than_python_can_recurse_is_one_line(tmp_path, capsys, kind, value):
    path = tmp_path / f"{kind}.toml"
    path.write_text(f"deep = {value}\n" + VALID[kind], encoding="utf-8")
    line = cli(capsys, *command(kind, path, tmp_path / "out"))
    assert path.as_posix() in line and "nested too deeply" in line
    assert not (tmp_path / "out").exists()


def test_nesting_is_refused_from_one_level_past_the_limit_naming_the_key(tmp_path):
    def depth(levels: int) -> Path:
        path = tmp_path / f"depth{levels}.toml"
        path.write_text(f'name = "x"\nextra = {"[" * levels}{"]" * levels}\n', encoding="utf-8")
        return path

    with pytest.raises(ScenarioError, match="unknown top-level key 'extra'"):
        load(depth(MAX_NESTING))  # read, then refused for its key
    with pytest.raises(ScenarioError, match=rf"extra(\[1\]){{{MAX_NESTING}}}: lists or tables nested too deeply"):
        load(depth(MAX_NESTING + 1))


# --- files that are not regular files -----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_named_pipe_is_refused_without_being_opened(tmp_path, capsys, kind):
    fifo = tmp_path / f"{kind}.toml"
    os.mkfifo(fifo)  # opening it to read would wait for a writer for ever (the module's timeout fails the test)
    line = cli(capsys, *command(kind, fifo, tmp_path / "out"))
    assert f"{fifo.as_posix()}: is a named pipe (FIFO)" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_device_is_refused_not_read_without_end(tmp_path, capsys, kind):
    line = cli(capsys, *command(kind, Path("/dev/zero"), tmp_path / "out"))
    assert "/dev/zero: is a character device" in line


@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_file_over_the_size_limit_is_refused(tmp_path, capsys, kind):
    path = tmp_path / f"{kind}.toml"
    path.write_text(VALID[kind] + "#" * MAX_TOML_BYTES, encoding="utf-8")
    line = cli(capsys, *command(kind, path, tmp_path / "out"))
    assert f"{path.as_posix()}: too large for" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_other_files_the_user_names_are_checked_too(tmp_path, capsys):
    fifo = tmp_path / "posterior.csv"
    os.mkfifo(fifo)
    line = cli(
        capsys,
        "compare",
        BASELINE,
        str(SCENARIOS / "rapid_response.toml"),
        "--posterior",
        "2",
        "--posterior-file",
        str(fifo),
    )
    assert "is a named pipe (FIFO)" in line
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "parent.toml"\n', encoding="utf-8")
    os.mkfifo(tmp_path / "parent.toml")
    assert "parent.toml" in cli(capsys, "validate", str(child))
    exp = tmp_path / "exp.toml"
    exp.write_text(experiment_text("replications = 2\n[posterior]\ndraws = 2\nfile = 'posterior.csv'"), "utf-8")
    assert "is a named pipe (FIFO)" in cli(capsys, "experiment", str(exp), "--out", str(tmp_path / "out"))


# --- types used before they are checked ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("out = 123", "'out' must be a folder path in quotes, got 123"),
        ("out = ['a', 'b']", "'out' must be a folder path in quotes, got ['a', 'b']"),
        ("out = { folder = 'a' }", "'out' must be a folder path in quotes"),
        ("reference = ['baseline']", "'reference' must be the name of a listed scenario, in quotes"),
        ("description = { a = 1 }", "'description' must be text in quotes"),
        ("replications = [5]", "'replications' must be a whole number, got [5]"),
        ("seed = { value = 1 }", "'seed' must be a whole number"),
        ("horizon_days = '730'", "'horizon_days' must be a number of days"),
        ("metrics = 'bed_days'", "'metrics' must be a list of names in quotes"),
    ],
)
def test_an_experiment_key_of_the_wrong_type_names_the_key_and_the_type(tmp_path, capsys, extra, message):
    path = tmp_path / "x.toml"
    path.write_text(experiment_text(extra), encoding="utf-8")
    assert message in cli(capsys, "experiment", str(path), "--quiet", "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (study_text(prior='["routing.gp_first"]'), "prior[1].parameter must be a parameter in quotes"),
        (study_text(prior='{ name = "routing.gp_first" }'), "prior[1].parameter must be a parameter in quotes"),
        (study_text(prior="3"), "prior[1].parameter must be a parameter in quotes"),
        (
            study_text(
                sensitivity='[sensitivity]\n[[sensitivity.prior]]\nparameter = ["mdt.social_care_effect_multiplier"]\n'
                'low = 1.0\nhigh = 2.0\nreason = "r"\n'
            ),
            "sensitivity.prior[1].parameter must be a parameter in quotes",
        ),
        (study_text().replace('name = "t"', "name = { a = 1 }"), "target[1].name must be text in quotes"),
        (study_text().replace('source = "test"', "source = 3"), "target[1].source must be text in quotes"),
        (study_text().replace('reason = "test"', "reason = [1]"), "prior[1].reason must be text in quotes"),
        (study_text("description = 3"), "'description' must be text in quotes"),
    ],
)
def test_a_study_key_of_the_wrong_type_names_the_key_and_the_type(tmp_path, capsys, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    assert message in cli(capsys, "calibrate", str(path), "--quiet", "--out", str(tmp_path / "out"))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('parameters = ["acute.beds_per_100k"]', 'parameters = [["acute.beds_per_100k"]]', "unknown parameter"),
        ('parameters = ["acute.beds_per_100k"]', "parameters = [{ a = 1 }]", "unknown parameter"),
        ('parameter = "discharge.assessment_days"', "parameter = ['discharge.assessment_days']", "unknown parameter"),
        ("seed = 1", "seed = [1]", "'seed' must be a whole number, got [1]"),
    ],
)
def test_a_sites_key_of_the_wrong_type_is_one_line(tmp_path, capsys, old, new, message):
    path = tmp_path / "sites.toml"
    path.write_text(sites_text(old, new), encoding="utf-8")
    assert message in cli(capsys, "sites", str(path), "--quiet", "--out", str(tmp_path / "out"))


@pytest.mark.parametrize("figure", ["['bed_days_share_65plus']", "{ a = 1 }", "3"])
def test_a_validation_figure_of_the_wrong_type_is_one_line(tmp_path, capsys, figure):
    path = tmp_path / "rows.toml"
    path.write_text(VALID["validation"].replace('"bed_days_share_65plus"', figure), encoding="utf-8")
    line = cli(capsys, "validation", "--file", str(path), "--no-write")
    assert "row[1].figure must be the name of a figure in quotes" in line


# --- seeds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["compare", BASELINE, str(SCENARIOS / "rapid_response.toml")],
        ["validation", "--no-write"],
    ],
)
@pytest.mark.parametrize("seed", [str(2**63), str(2**64), str(10**30), "9" * 5000])
def test_a_seed_of_2_63_or_more_is_refused_on_every_command(capsys, argv, seed):
    assert "--seed: " in cli(capsys, *argv, "--seed", seed)


@pytest.mark.parametrize("kind", ["experiment", "study", "sites"])
def test_a_seed_of_2_63_or_more_is_refused_in_every_file(tmp_path, capsys, kind):
    text = {
        "experiment": experiment_text(f"seed = {2**63}"),
        "study": study_text(f"seed = {2**63}"),
        "sites": sites_text("seed = 1", f"seed = {2**63}"),
    }[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    assert f"{path.as_posix()}: seed: a number of 19 digits is too large" in cli(
        capsys, *command(kind, path, tmp_path / "out")
    )


def test_the_largest_seed_runs_and_is_stored(tmp_path, capsys):
    """MAX_SEED is not only refused above: an experiment with it runs, and its results store keeps it."""
    path = tmp_path / "x.toml"
    settings = SMALL.replace("seed = 7", f"seed = {MAX_SEED}")
    path.write_text(experiment_text(f'replications = 1\ncharts = ["timeseries"]\n{settings}'), encoding="utf-8")
    assert main(["experiment", str(path), "--workers", "1", "--quiet", "--out", str(tmp_path / "out")]) == 0
    with sqlite3.connect(tmp_path / "out" / "results.sqlite") as db:
        assert db.execute("SELECT seed FROM runs").fetchall() == [(MAX_SEED,)]
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["seed"] == MAX_SEED
    capsys.readouterr()


# --- flags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--reps", str(10**30)], "--reps: 10000000000000000000... (31 characters) is too large"),
        (["run", "--reps", "100000"], "--reps: must be at most 10,000"),
        (["run", "--population", "9" * 5000], "--population: 99999999999999999999... (5,000 characters) is too"),
        (["run", "--horizon-days", "1" + "0" * 400], "--horizon-days: expected a finite number of days"),
        (["experiment", "x.toml", "--workers", "100000"], "--workers: must be at most 1,024"),
        (["experiment", "x.toml", "--population", str(10**12)], "--population: must be at most 5,000,000"),
    ],
)
def test_flags_too_large_are_one_short_line(capsys, argv, message):
    line = cli(capsys, *argv)
    assert message in line and len(line) < 200


# --- every replication of a scenario fails (issue 22 point 13) ----------------------------------------


@pytest.mark.timeout(600)
@pytest.mark.parametrize("failing", ["case_management", "baseline"])
def test_a_scenario_whose_every_replication_fails_is_reported_with_the_charts(tmp_path, capsys, monkeypatch, failing):
    """The forest chart and the report are made from the scenarios that ran, and each failure is listed."""
    real = sim.replication.single.single_run

    def broken(params, seed=1, replication=0, **kw):
        mdt = sum(params.mdt.coordinators_per_100k) > 0
        plain = not mdt and params.community.rapid_response_per_100k == Params().community.rapid_response_per_100k
        if (failing == "case_management" and mdt) or (failing == "baseline" and plain):
            raise RuntimeError("made to fail")
        return real(params, seed=seed, replication=replication, **kw)

    monkeypatch.setattr(sim.replication.single, "single_run", broken)
    exp = write_experiment(tmp_path, reps=2)
    out = tmp_path / "out"
    code = main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    for r in (0, 1):
        assert f"'{failing}', replication {r}: RuntimeError: made to fail" in err
    assert "2 of 8 runs failed" in err
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert sorted(f["replication"] for f in meta["failed"] if f["scenario"] == failing) == [0, 1]
    assert (out / "forest_plot.png").stat().st_size > 0
    assert "made to fail" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.timeout(600)
def test_when_the_only_compared_scenario_fails_the_charts_without_it_and_the_report_are_made(
    tmp_path, capsys, monkeypatch
):
    """Nothing to compare with the reference: no forest chart or ledger, every other chart and the report."""
    real = sim.replication.single.single_run

    def broken(params, seed=1, replication=0, **kw):
        if sum(params.mdt.coordinators_per_100k) > 0:
            raise RuntimeError("made to fail")
        return real(params, seed=seed, replication=replication, **kw)

    monkeypatch.setattr(sim.replication.single, "single_run", broken)
    exp = tmp_path / "two.toml"
    exp.write_text(
        f'name = "two"\ndescription = "Baseline and case management."\n'
        f'scenarios = ["{(SCENARIOS / "baseline.toml").as_posix()}", '
        f'"{(SCENARIOS / "case_management.toml").as_posix()}"]\nreplications = 2\n{SMALL}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "2 of 4 runs failed" in err
    assert not (out / "forest_plot.png").exists() and not (out / "ledger.png").exists()
    assert (out / "delayed_discharges.png").stat().st_size > 0
    assert "made to fail" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["summary.csv", "metadata.json", "kpis.csv"])
def test_report_refuses_a_results_folder_whose_files_are_not_regular_files(tmp_path, capsys, name):
    """A FIFO in a results folder would block the report's reader forever: one line instead."""
    folder = tmp_path / "results"
    folder.mkdir()
    os.mkfifo(folder / name)
    line = cli(capsys, "report", str(folder))
    assert f"{name} is not a regular file" in line
