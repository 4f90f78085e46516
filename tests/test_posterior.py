"""Answers over posterior draws: loading a posterior sample, choosing draws, applying them, and the
intervals that combine calibration uncertainty with randomness (sim/analysis/posterior.py,
sim/analysis/uncertainty.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.analysis.posterior as posterior
from sim.analysis.compare import COMPARISON_COLUMNS, compare_values, comparison_table, pairing, run_comparison
from sim.analysis.posterior import Draw, PosteriorError, load_posterior, run_over_draws
from sim.analysis.stats import mean_ci
from sim.analysis.uncertainty import PARTS, difference_over_draws, level_over_draws
from sim.cli.main import main
from sim.experiments.batch import plan, run_experiment
from sim.experiments.executors import make_executor
from sim.experiments.experiment import load_experiment
from sim.experiments.exports import SUMMARY_COLUMNS
from sim.experiments.store import Store
from sim.experiments.tasks import task_key
from sim.provenance import git_commit
from sim.scenarios.scenario import RunSettings, baseline, load

pytestmark = pytest.mark.timeout(900)  # the commands run the model through an executor

ROOT = Path(__file__).resolve().parents[1]
NURSE = (ROOT / "scenarios" / "nurse_led_mdt.toml").as_posix()
SMALL = RunSettings(population=4000, horizon_days=180, warmup_days=60)
FLAGS = ["--population", "4000", "--horizon-days", "180", "--warmup-days", "60", "--reps", "2"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sample_file(
    folder: Path,
    rows: list[tuple[float, ...]],
    names: tuple[str, ...] = ("mdt.crisis_reduction",),
    name: str = "posterior.csv",
) -> Path:
    weights = np.full(len(rows), 1 / len(rows))
    lines = [",".join(names + ("weight",))] + [",".join(repr(float(x)) for x in (*r, w)) for r, w in zip(rows, weights)]
    return write(folder / name, "\n".join(lines) + "\n")


def nurse_mdt(folder: Path) -> Path:
    """The nurse-led MDT with more co-ordinators, so that a place of 4,000 people enrols enough of them."""
    return write(
        folder / "nurse_mdt.toml",
        f'name = "nurse_mdt"\nextends = "{NURSE}"\n\n[intervention.mdt]\n'
        "coordinators_per_100k = { nurse = 60 }\nenrol_top_share = 0.2\n",
    )


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- loading and bad input ------------------------------------------------------------------------


def test_a_sample_loads_with_its_weights(tmp_path):
    path = write(
        tmp_path / "p.csv", "mdt.crisis_reduction,discharge.knows_whom_to_contact,weight\n0.1,0.6,0.25\n0.3,0.8,0.75\n"
    )
    s = load_posterior(path)
    assert s.names == ("mdt.crisis_reduction", "discharge.knows_whom_to_contact")
    assert s.values.tolist() == [[0.1, 0.6], [0.3, 0.8]]
    assert s.weights.tolist() == [0.25, 0.75]


BAD = {
    "not a parameter": (
        "mdt.crisis_reduktion,weight\n0.1,1\n",
        "column 'mdt.crisis_reduktion' is not a parameter",
        "did you mean 'mdt.crisis_reduction'",
    ),
    "list parameter": ("mdt.coordinators_per_100k,weight\n1,1\n", "is not a parameter", ""),
    "no weight": ("mdt.crisis_reduction\n0.1\n", "no 'weight' column", ""),
    "only weight": ("weight\n1\n", "no parameter columns", ""),
    "twice": ("mdt.crisis_reduction,mdt.crisis_reduction,weight\n0.1,0.1,1\n", "appears twice", ""),
    "empty": ("", "the file is empty", ""),
    "no rows": ("mdt.crisis_reduction,weight\n", "no particles", ""),
    "negative weight": ("mdt.crisis_reduction,weight\n0.1,1.5\n0.2,-0.5\n", "line 3", "must not be negative"),
    "weights sum": ("mdt.crisis_reduction,weight\n0.1,0.4\n0.2,0.4\n", "sum to 0.8", "must sum to 1"),
    "not a number": ("mdt.crisis_reduction,weight\nabc,1\n", "line 2, column 'mdt.crisis_reduction'", "got 'abc'"),
    "not finite": ("mdt.crisis_reduction,weight\nnan,1\n", "must be finite", ""),
    "short row": ("mdt.crisis_reduction,weight\n0.1\n", "line 2 has 1 values", ""),
    "rejected value": ("mdt.crisis_reduction,weight\n0.1,0.5\n1.5,0.5\n", "line 3", "above the largest possible value"),
    "whole number": ("mdt.caseload,weight\n40.5,1\n", "line 2", "expected a whole number"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_samples_are_one_line_errors(tmp_path, case):
    text, first, second = BAD[case]
    path = write(tmp_path / "p.csv", text)
    with pytest.raises(PosteriorError) as e:
        load_posterior(path)
    message = str(e.value)
    assert "\n" not in message and first in message and second in message
    assert message.startswith(path.as_posix()) or message.startswith("no posterior")


def test_the_default_sample_missing_says_how_to_make_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(posterior, "DEFAULT_FILE", tmp_path / "posterior.csv")
    with pytest.raises(
        PosteriorError, match="no posterior sample at .*: run caresim calibrate calibration/pilots.toml"
    ):
        load_posterior()
    code, out, err = cli(capsys, "compare", "baseline", NURSE, *FLAGS, "--posterior", "2")
    assert code == 2 and out == ""
    assert err.startswith("caresim: error: --posterior: no posterior sample at ") and err.count("\n") == 1
    assert "run caresim calibrate calibration/pilots.toml" in err


@pytest.mark.parametrize(
    "flags,expected",
    [
        (["--posterior", "1"], "--posterior: must be at least 2, got 1"),
        (["--posterior", "2", "--reps", "1"], "--posterior: needs at least 2 replications"),
        (["--posterior-file", "{good}"], "--posterior-file: give the number of draws too"),
        (
            ["--posterior", "2", "--posterior-file", "{bad}"],
            "--posterior-file: {bad}: column 'mdt.crisis' is not a parameter",
        ),
        (["--posterior", "2", "--posterior-file", "{missing}"], "--posterior-file: no posterior sample at {missing}"),
    ],
)
def test_bad_flags_are_one_line_errors_before_any_run(tmp_path, capsys, flags, expected):
    files = {
        "good": sample_file(tmp_path, [(0.1,), (0.2,)]).as_posix(),
        "bad": write(tmp_path / "bad.csv", "mdt.crisis,weight\n0.1,1\n").as_posix(),
        "missing": (tmp_path / "missing.csv").as_posix(),
    }
    flags = [f.format(**files) for f in flags]
    code, out, err = cli(capsys, "compare", "baseline", NURSE, *FLAGS, *flags, "--out", (tmp_path / "o").as_posix())
    assert code == 2 and out == ""
    assert err.startswith("caresim: error: ") and err.count("\n") == 1 and expected.format(**files) in err
    assert not (tmp_path / "o").exists()


EXPERIMENT = """name = "over_draws"
scenarios = ["baseline", "nurse_mdt.toml"]
replications = 2
population = 4000
horizon_days = 180
warmup_days = 60
metrics = ["emergency_admissions", "crises", "person_years"]
"""


@pytest.mark.parametrize(
    "table,expected",
    [
        ("[posterior]\ndraw = 2\n", "unknown key 'posterior.draw'; did you mean 'posterior.draws'?"),
        ("[posterior]\ndraws = 1\nfile = 'p.csv'\n", "'posterior.draws' must be at least 2, got 1"),
        ("[posterior]\nfile = 'p.csv'\n", "posterior.draws is required"),
        ("[posterior]\ndraws = 2\nfile = 3\n", "posterior.file must be a CSV file path"),
        ("[posterior]\ndraws = 2\nfile = 'nope.csv'\n", "posterior.file: no posterior sample at"),
        (
            "[posterior]\ndraws = 2\nfile = 'p.csv'\n[precision]\nmetrics = ['crises']\nhalf_width_pct = 5.0\n",
            "[posterior] and [precision] cannot be combined",
        ),
        ("posterior = 3\n", "'posterior' must be a table"),
    ],
)
def test_bad_posterior_tables_in_experiments(tmp_path, capsys, table, expected):
    sample_file(tmp_path, [(0.1,), (0.2,)], name="p.csv")
    nurse_mdt(tmp_path)
    path = write(tmp_path / "e.toml", EXPERIMENT + table)
    code, out, err = cli(capsys, "experiment", path.as_posix(), "--workers", "1", "--out", (tmp_path / "r").as_posix())
    assert code == 2 and out == ""
    assert err.startswith(f"caresim: error: {path.as_posix()}: ") and err.count("\n") == 1 and expected in err
    assert not (tmp_path / "r").exists()


# --- choosing and applying draws ------------------------------------------------------------------


def test_draws_are_fixed_by_the_seed_and_follow_the_weights(tmp_path):
    rows = [(v,) for v in np.linspace(0.0, 0.5, 40)]
    s = load_posterior(sample_file(tmp_path, rows))
    assert s.draws(7, seed=3) == s.draws(7, seed=3)
    assert s.draws(7, seed=3) != s.draws(7, seed=4)
    assert [d.index for d in s.draws(7, seed=3)] == list(range(7))
    # systematic resampling: a particle of weight w is drawn floor(K w) or ceil(K w) times, whatever the seed
    path = write(tmp_path / "w.csv", "mdt.crisis_reduction,weight\n0.1,0.5\n0.2,0.3\n0.3,0.2\n")
    for seed in range(20):
        values = [d.values[0][1] for d in load_posterior(path).draws(10, seed)]
        assert [values.count(v) for v in (0.1, 0.2, 0.3)] == [5, 3, 2]
    many = load_posterior(path).draws(25, 1)  # more draws than particles: particles repeat
    assert len(many) == 25 and {d.values[0][1] for d in many} == {0.1, 0.2, 0.3}


def test_a_draw_sits_under_every_scenario_and_a_file_s_own_setting_wins(tmp_path):
    draw = Draw(0, (("mdt.crisis_reduction", 0.33), ("discharge.knows_whom_to_contact", 0.61)))
    settings = draw.settings(SMALL)
    base, nurse = baseline(settings), load(NURSE, settings)
    assert base.params.mdt.crisis_reduction == nurse.params.mdt.crisis_reduction == 0.33
    assert nurse.prelaunch.discharge.knows_whom_to_contact == 0.61
    assert base.params.place.registered_population == 4000  # run settings still apply
    own = write(tmp_path / "own.toml", f'name = "own"\nextends = "{NURSE}"\n\n[mdt]\ncrisis_reduction = 0.05\n')
    assert load(own, settings).params.mdt.crisis_reduction == 0.05
    assert load(NURSE, SMALL).params.mdt.crisis_reduction != 0.33  # without the draw: the package default


# --- the combined intervals -----------------------------------------------------------------------


def table(rows: list[list[float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index(range(len(rows)), name="draw"))


def test_identical_draws_give_the_ordinary_intervals():
    rng = np.random.default_rng(5)
    ref, sc = rng.normal(100, 8, 6), rng.normal(95, 8, 6)
    r, s = table([list(ref)] * 3), table([list(sc)] * 3)
    level = level_over_draws(r)
    n, mean, _, lo, hi = mean_ci(ref)
    assert level["var_calibration"] == 0 and level["dominant"] == "randomness"
    assert np.allclose([level["mean"], level["ci_low"], level["ci_high"]], [mean, lo, hi])
    for paired in (True, False):
        over = difference_over_draws(r, s, paired)
        plain = compare_values(pd.Series(ref), pd.Series(sc), paired)
        assert over["diff_var_calibration"] == 0
        assert np.allclose([over[k] for k in plain], [plain[k] for k in plain])


def test_the_split_of_an_additive_table():
    """x[k, r] = a[k] + b[r] exactly: no noise left in the draw means, so calibration is var(a) (1 + 1/K)."""
    a, b = np.array([0.0, 4.0, 11.0]), np.array([1.0, -2.0, 0.5, 3.0])
    parts = level_over_draws(table([list(ak + b) for ak in a]))
    assert np.isclose(parts["var_calibration"], a.var(ddof=1) * (1 + 1 / 3))
    assert np.isclose(parts["var_randomness"], b.var(ddof=1) / 4)
    assert np.isclose(
        parts["calibration_share"], parts["var_calibration"] / (parts["var_calibration"] + parts["var_randomness"])
    )
    assert parts["dominant"] == "calibration"
    assert np.isclose(parts["mean"], a.mean() + b.mean())
    quiet = level_over_draws(table([list(ak + 10 * b) for ak in a / 100]))
    assert quiet["dominant"] == "randomness"
    constant = level_over_draws(table([[2.0] * 3] * 2))
    assert constant["dominant"] == "none" and constant["ci_low"] == constant["ci_high"] == 2.0


def test_missing_values_leave_out_their_replication():
    full = table([[1.0, 2.0, 3.0], [2.0, 3.0, 5.0]])
    gap = full.copy()
    gap.iloc[1, 2] = np.nan
    assert level_over_draws(gap)["n"] == 4
    assert np.isclose(level_over_draws(gap)["mean"], level_over_draws(full.iloc[:, :2])["mean"])


# --- runs over draws ------------------------------------------------------------------------------


def compare_over(sample: Path, scenario: Path, k: int, reps: int = 2):
    draws = load_posterior(sample).draws(k, seed=1)
    sets = [[baseline(d.settings(SMALL)), load(scenario, d.settings(SMALL))] for d in draws]
    frames = run_over_draws(sets, draws, reps, seed=1)
    return draws, frames, comparison_table(frames["kpis"], [s.name for s in sets[0]], pairing(sets[0]))


def row(table: pd.DataFrame, metric: str, cohort: str = "all") -> pd.Series:
    r = table[(table["cohort"] == cohort) & (table["metric"] == metric)]
    assert len(r) == 1
    return r.iloc[0]


def test_a_degenerate_posterior_is_a_plain_run_with_its_values_as_defaults(tmp_path):
    scenario = nurse_mdt(tmp_path)
    sample = sample_file(tmp_path, [(0.3, 0.7)] * 3, ("mdt.crisis_reduction", "discharge.knows_whom_to_contact"))
    draws, frames, over = compare_over(sample, scenario, 2)
    assert len(draws) == 2 and draws[0].values == draws[1].values
    settings = draws[0].settings(SMALL)
    plain_scenarios = [baseline(settings), load(scenario, settings)]
    plain_frames = run_comparison(plain_scenarios, 2, 1)
    assert "draw" not in plain_frames["kpis"].columns
    plain = comparison_table(plain_frames["kpis"], ["baseline", "nurse_mdt"], pairing(plain_scenarios))
    assert list(plain.columns) == COMPARISON_COLUMNS
    merged = over.merge(plain, on=["scenario", "cohort", "metric"], suffixes=("", "_plain"))
    assert len(merged) == len(plain) > 0
    assert (merged["diff_var_calibration"].fillna(0) == 0).all()
    for column in ("reference_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high"):
        assert np.allclose(merged[column], merged[column + "_plain"], equal_nan=True), column
    assert row(over, "mdt_reviews", "mdt")["scenario_mean"] > 0  # the MDT did enrol people


def test_posterior_spread_widens_the_interval_of_a_nurse_led_mdt(tmp_path):
    scenario = nurse_mdt(tmp_path)
    wide = sample_file(tmp_path, [(0.0,), (0.9,)], name="wide.csv")
    narrow = sample_file(tmp_path, [(0.45,), (0.45,)], name="narrow.csv")
    _, frames, spread = compare_over(wide, scenario, 2)
    _, _, fixed = compare_over(narrow, scenario, 2)
    s, f = row(spread, "emergency_admissions", "mdt"), row(fixed, "emergency_admissions", "mdt")
    assert f["diff_var_calibration"] == 0 and s["diff_var_calibration"] > 0
    assert s["diff_ci_high"] - s["diff_ci_low"] > f["diff_ci_high"] - f["diff_ci_low"]
    kpis = frames["kpis"]
    assert list(kpis.columns[:3]) == ["scenario", "draw", "replication"]
    sizes = kpis.groupby(["scenario", "cohort", "metric"]).size()
    assert (sizes == 2 * 2).all()
    assert set(zip(kpis["draw"], kpis["replication"])) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert list(frames["timeseries"].columns[:3]) == ["scenario", "draw", "replication"]


def test_compare_writes_the_draw_column_and_the_split(tmp_path, capsys):
    scenario = nurse_mdt(tmp_path)
    sample = sample_file(tmp_path, [(0.0,), (0.9,), (0.3,)])
    out = tmp_path / "out"
    code, text, err = cli(
        capsys,
        "compare",
        "baseline",
        scenario.as_posix(),
        *FLAGS,
        "--posterior",
        "3",
        "--posterior-file",
        sample.as_posix(),
        "--out",
        out.as_posix(),
    )
    assert code == 0, err
    assert "3 posterior draws x 2 replications" in text and "dominant part" in text
    assert "calibration uncertainty dominates" in text
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["scenario", "draw", "replication", "cohort", "metric", "value"]
    assert (kpis.groupby(["scenario", "cohort", "metric"]).size() == 3 * 2).all()
    assert sorted(kpis["draw"].unique()) == [0, 1, 2]
    assert list(pd.read_csv(out / "timeseries.csv").columns[:3]) == ["scenario", "draw", "replication"]
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == COMPARISON_COLUMNS
    split = pd.read_csv(out / "uncertainty.csv")
    assert list(split.columns) == ["scenario", "cohort", "metric", "quantity"] + PARTS
    assert len(split) == len(comparison) and set(split["quantity"]) == {"diff"}
    assert set(split["dominant"].dropna()) <= {"calibration", "randomness", "none"}
    meta = json.loads((out / "metadata.json").read_text())
    assert [d["draw"] for d in meta["posterior"]["draws"]] == [0, 1, 2]
    report = (out / "report.html").read_text()
    assert "<h2>Calibration uncertainty</h2>" in report and "emergency admissions" in report


def test_experiment_draws_have_their_own_store_keys_and_are_reused(tmp_path, capsys):
    nurse_mdt(tmp_path)
    sample_file(tmp_path, [(0.0,), (0.9,)], name="p.csv")
    path = write(tmp_path / "e.toml", EXPERIMENT + "[posterior]\ndraws = 2\nfile = 'p.csv'\n")
    exp = load_experiment(path, out=tmp_path / "r")
    assert [(v.name, v.draw.index) for v in exp.variants] == [
        ("baseline", 0),
        ("baseline", 1),
        ("nurse_mdt", 0),
        ("nurse_mdt", 1),
    ]
    tasks = plan(exp, 2)
    assert len({t.key for t in tasks}) == len(tasks) == 8
    assert all(set(t.deps) <= {u.key for u in tasks if u.variant.draw == t.variant.draw} for t in tasks)
    assert all(len(t.deps) == 1 for t in tasks if t.is_reference)
    sample_file(tmp_path, [(0.2,), (0.2,)], name="same.csv")  # two draws with the same values: still two runs
    same = write(tmp_path / "same.toml", EXPERIMENT + "[posterior]\ndraws = 2\nfile = 'same.csv'\n")
    twins = plan(load_experiment(same, out=tmp_path / "s"), 1)
    assert twins[0].scenario_hash == twins[1].scenario_hash and twins[0].key != twins[1].key
    assert task_key("h", None, 1, 0, [0, [["x", 1.0]]]) != task_key("h", None, 1, 0, [1, [["x", 1.0]]])
    assert task_key("h", None, 1, 0, [0, [["x", 1.0]]]) != task_key("h", None, 1, 0, [0, [["x", 2.0]]])
    assert task_key("h", None, 1, 0) != task_key("h", None, 1, 0, [0, [["x", 1.0]]])

    out = tmp_path / "r"
    code, text, err = cli(capsys, "experiment", path.as_posix(), "--workers", "1", "--quiet", "--out", out.as_posix())
    assert code == 0, err
    assert "8 run now" in text and "(2 scenario variants x 2 posterior draws x 2 replications)" in text
    assert "<h2>Calibration uncertainty</h2>" in (out / "report.html").read_text()
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["scenario", "grid", "draw", "replication", "cohort", "metric", "value"]
    assert (kpis.groupby(["scenario", "cohort", "metric"]).size() == 2 * 2).all()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert (summary["n"] == 4).all()
    split = pd.read_csv(out / "uncertainty.csv")
    assert list(split.columns) == ["scenario", "grid", "cohort", "metric", "quantity"] + PARTS
    assert set(split["quantity"]) == {"mean", "diff"}
    code, text, err = cli(
        capsys, "experiment", path.as_posix(), "--workers", "1", "--quiet", "--resume", "--out", out.as_posix()
    )
    assert code == 0, err
    assert "0 run now" in text and "8 already stored" in text
    with Store(out) as store:
        again = run_experiment(load_experiment(path, out=out), store, make_executor(1, None), git_commit())
    assert again.ran == 0 and again.reused == 8
