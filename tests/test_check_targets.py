"""Targets that are checks (``fit = false``): measured and reported, never fitted.

A check is a published figure the model is compared with but not fitted to (a figure a parameter is read
from directly is met by construction).  The fits run here on a stub evaluator, an analytic map from the two
parameters to the three targets, so each test takes seconds: two fitted targets depend on the first
parameter only, and the check reads the second back, as the pilots' share who knew whom to contact reads
back its parameter.  Changing a check's observed value must change nothing a fit does; the same change to a
fitted target must (the control that shows each comparison can fail).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.calibration.calibrate as calibrate_module
from sim.calibration.calibrate import Evaluator, abc_fit, fit_distance, point_estimate
from sim.calibration.design import point_id
from sim.calibration.fit_check import CHECK_WORDS, check_html, check_table, defaults, held, held_words
from sim.calibration.history_matching import NothingPlausible, fit_study
from sim.calibration.study import StudyError, load_study
from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()
A, B = "crisis.lives_alone_hr", "routing.gp_refers_to_ae"  # any two parameters: the stub ignores the model
SE = 0.01  # the stub's replication standard error


def expected(thetas: np.ndarray) -> np.ndarray:
    """The stub's targets: ``first`` and ``second`` move with A only, ``read_back`` is 100 x B."""
    a, b = thetas[:, 0], thetas[:, 1]
    return np.column_stack([10 * a, 5 * a**2, 100 * b])


def study_text(check: float = 50.0, fit: str | None = "false", extra: str = "") -> str:
    """Two fitted targets at A = 1.5 and a third, ``read_back``, at ``check`` with ``fit = <fit>`` (absent: None)."""
    rows = (("first", 15.0, 0.5, None), ("second", 11.25, 0.5, None), ("read_back", check, 3.0, fit))
    targets = "".join(
        f"""
[[target]]
name = "{name}"
kind = "level"
scenario = "{BASELINE}"
metric = "crises"
value = {value!r}
sd = {sd!r}
source = "a test"
"""
        + ("" if flag is None else f"fit = {flag}\n")
        for name, value, sd, flag in rows
    )
    return f"""name = "checks"
reference = "{BASELINE}"
replications = 2
seed = 5
population = 2000
budget_runs = 100000
[abc]
particles = 30
generations = 3
[sweep]
points = 8
morris_trajectories = 3
[history_matching]
waves = 2
points_per_wave = 8
candidates = 1024
particles = 40
generations = 3
check_draws = 3
{extra}{targets}
[[prior]]
parameter = "{A}"
low = 0.5
high = 3.0
reason = "a test"

[[prior]]
parameter = "{B}"
low = 0.0
high = 1.0
reason = "a test"
"""


def write(tmp_path: Path, name: str = "checks.toml", **kw) -> Path:
    path = tmp_path / name
    path.write_text(study_text(**kw))
    return path


def stub(study):
    """A stand-in for the study's evaluator: every target of every set, from :func:`expected`."""

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        return expected(thetas), np.full((thetas.shape[0], len(study.targets)), SE)

    return evaluate


class StubEvaluator(Evaluator):
    """:class:`Evaluator` with :func:`expected` in place of the model's runs (its table and pooling kept)."""

    def __call__(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        means = expected(thetas)
        self.calls += 1
        self.log.append(self.table(thetas, [point_id(t) for t in thetas], means, np.full_like(means, SE)))
        return means, np.broadcast_to(self.pooled_se(), means.shape).copy()


@pytest.fixture
def stubbed(monkeypatch):
    """The commands and the API run the stub instead of the model."""
    monkeypatch.setattr(calibrate_module, "Evaluator", StubEvaluator)


# --- the study file -------------------------------------------------------------------------------


def test_fit_is_true_by_default_and_false_makes_a_check(tmp_path):
    plain = load_study(write(tmp_path, "plain.toml", fit=None))
    assert [t.fit for t in plain.targets] == [True, True, True] and plain.checks == ()
    assert load_study(write(tmp_path, "true.toml", fit="true")).fitted.all()
    study = load_study(write(tmp_path))
    assert list(study.fitted) == [True, True, False] and [t.name for t in study.checks] == ["read_back"]
    assert list(study.observed) == [15.0, 11.25, 50.0]  # a check keeps its observed value and sd


@pytest.mark.parametrize("value", ['"no"', "0", "1", '"false"', "[false]"])
def test_a_fit_that_is_not_true_or_false_is_refused_naming_the_key(tmp_path, value):
    path = write(tmp_path, fit=value)
    with pytest.raises(StudyError) as e:
        load_study(path)
    message = str(e.value)
    assert "\n" not in message and path.name in message and "target[3].fit" in message and "true or false" in message


def test_a_study_needs_a_fitted_target(tmp_path, capsys):
    path = tmp_path / "none.toml"
    path.write_text(study_text().replace('source = "a test"\n', 'source = "a test"\nfit = false\n', 2))
    assert all(not t["fit"] for t in _targets(path))
    with pytest.raises(StudyError, match="at least one target must be fitted"):
        load_study(path)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ") and "none.toml" in err
    assert not out.exists()


def _targets(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text())["target"]


def test_history_matching_rank_counts_fitted_targets_only(tmp_path):
    text = study_text().replace("check_draws = 3\n", "check_draws = 3\nrank = 3\n")
    (tmp_path / "rank.toml").write_text(text)
    with pytest.raises(StudyError, match=r"history_matching\.rank.*at most 2"):
        load_study(tmp_path / "rank.toml")
    (tmp_path / "rank.toml").write_text(text.replace("fit = false", "fit = true"))
    assert load_study(tmp_path / "rank.toml").history_matching.rank == 3


# --- the fits leave checks out --------------------------------------------------------------------


def test_distance_leaves_a_check_out(tmp_path):
    study = load_study(write(tmp_path, check=50.0))
    moved = load_study(write(tmp_path, "moved.toml", check=90.0))
    means = expected(np.array([[1.4, 0.2], [2.5, 0.9]]))
    ses = np.full_like(means, SE)
    by_hand = np.sqrt(np.sum(((means[:, :2] - [15.0, 11.25]) / np.sqrt(np.array([0.5, 0.5]) ** 2 + SE**2)) ** 2, 1))
    np.testing.assert_allclose(fit_distance(means, ses, study), by_hand)
    np.testing.assert_array_equal(fit_distance(means, ses, study), fit_distance(means, ses, moved))
    # the table behind sweep.csv and evaluations.csv: its distance too
    table = Evaluator(study, None, None, None, tmp_path).table(np.zeros((2, 2)), [1.0, 2.0], means, ses)
    np.testing.assert_allclose(table["distance"], fit_distance(means, np.zeros_like(means), study))
    fitted = load_study(write(tmp_path, "fitted.toml", check=50.0, fit="true"))
    assert not np.allclose(fit_distance(means, ses, fitted), fit_distance(means, ses, study))


def _posterior(study):
    evaluate = stub(study)
    return abc_fit(evaluate, study)


def test_abc_and_the_point_estimate_ignore_a_check(tmp_path):
    one, other = load_study(write(tmp_path, check=20.0)), load_study(write(tmp_path, "other.toml", check=80.0))
    first, second = _posterior(one), _posterior(other)
    assert len(first.generations) == len(second.generations) == 3
    for g, h in zip(first.generations, second.generations):
        np.testing.assert_array_equal(g.particles, h.particles)
        assert g.tolerance == h.tolerance
    # nothing informs B but the check, so its posterior stays about as wide as the prior
    assert first.interval(0.9).loc[B, "shrinkage"] < 0.5

    class Stub:
        def __init__(self, study):
            self.study, self.evaluate = study, stub(study)

        def __call__(self, thetas):
            return self.evaluate(thetas)

    start = first.interval(0.9)["mean"].to_numpy()
    a, b = point_estimate(Stub(one), start), point_estimate(Stub(other), start)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.fun == b.fun and abs(a.x[0] - 1.5) < 0.1

    # the control: fitted, the same two values give different posteriors, B following the target
    fit_one = load_study(write(tmp_path, "f1.toml", check=20.0, fit="true"))
    fit_other = load_study(write(tmp_path, "f2.toml", check=80.0, fit="true"))
    p, q = _posterior(fit_one), _posterior(fit_other)
    assert not np.array_equal(p.generations[-1].particles, q.generations[-1].particles)
    assert p.interval(0.9).loc[B, "mean"] < 0.5 < q.interval(0.9).loc[B, "mean"]


def _ruled_out(study) -> tuple[np.ndarray, object]:
    """Which sets of a grid over the priors history matching leaves, and the fit."""
    fit = fit_study(stub(study), study)
    grid = np.array([[a, b] for a in np.linspace(0.5, 3.0, 26) for b in np.linspace(0.0, 1.0, 11)])
    return fit.match.plausible(grid), fit


def test_history_matching_ignores_a_check(tmp_path):
    kept_one, one = _ruled_out(load_study(write(tmp_path, check=20.0)))
    kept_other, other = _ruled_out(load_study(write(tmp_path, "other.toml", check=80.0)))
    np.testing.assert_array_equal(kept_one, kept_other)
    assert 0 < kept_one.mean() < 1  # something was ruled out, something left
    assert [w.fraction for w in one.match.waves] == [w.fraction for w in other.match.waves]
    for fit in (one, other):
        assert all(len(w.emulator.models) == 2 for w in fit.match.waves)  # no emulator for the check
        assert fit.match.observed.size == 2 and set(fit.match.table()["target"]) == {0, 1}
    # the check in the model shows the check's simulated value; its implausibility is over the fitted targets
    assert {"first", "second", "read_back", "implausibility"} <= set(one.check.columns)
    np.testing.assert_array_equal(one.check["implausibility"], other.check["implausibility"])
    assert one.check["non_implausible"].all()

    # the control: fitted, the check's value moves the cut
    try:
        kept_fitted, fitted = _ruled_out(load_study(write(tmp_path, "fitted.toml", check=20.0, fit="true")))
    except NothingPlausible:
        return  # ruled out everything: a difference too
    assert len(fitted.match.waves[0].emulator.models) == 3
    assert not np.array_equal(kept_fitted, kept_one)


# --- the commands and the reports mark checks ------------------------------------------------------


def _rows(html: str, name: str) -> list[str]:
    return [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if f"<td>{name}</td>" in r]


def test_sweep_screens_on_fitted_targets_and_marks_the_check(tmp_path, stubbed, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", str(write(tmp_path)), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Checks, not fitted" in printed and "read_back" in printed
    morris = pd.read_csv(out / "morris.csv")
    assert morris.groupby("output")["fitted"].first().to_dict() == {"first": True, "read_back": False, "second": True}
    assert (out / "screened.txt").read_text().split() == [A]  # B moves the check only
    sweep = pd.read_csv(out / "sweep.csv")
    assert {"first", "second", "read_back", "distance"} <= set(sweep.columns)
    study = load_study(tmp_path / "checks.toml")
    np.testing.assert_allclose(
        sweep["distance"], fit_distance(sweep[["first", "second", "read_back"]].to_numpy(), 0.0, study)
    )
    # the control: fitted, the check keeps B
    fitted_out = tmp_path / "sweep_fitted"
    path = write(tmp_path, "fitted.toml", fit="true")
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(fitted_out)]) == 0
    assert (fitted_out / "screened.txt").read_text().split() == [A, B]
    assert "Checks, not fitted" not in capsys.readouterr().out


@pytest.mark.parametrize("route", ["abc", "emulator"])
def test_calibrate_reports_the_check_beside_the_fitted_targets(tmp_path, stubbed, capsys, route):
    out = tmp_path / "fit"
    args = ["calibrate", str(write(tmp_path)), "--workers", "1", "--quiet", "--out", str(out), "--route", route]
    assert main(args) == 0
    printed = capsys.readouterr().out
    lines = {line.split(":")[0].strip(): line for line in printed.splitlines() if line.startswith("  ")}
    assert CHECK_WORDS in lines["read_back"] and CHECK_WORDS not in lines["first"]
    fitted = json.loads((out / "fitted.json").read_text())
    assert {t["name"]: t["fitted"] for t in fitted["targets"]} == {"first": True, "second": True, "read_back": False}
    html = (out / "report.html").read_text(encoding="utf-8")
    (check_row,), (first_row,) = _rows(html, "read_back"), _rows(html, "first")
    assert f"<td>{CHECK_WORDS}</td>" in check_row and "<td>fitted</td>" in first_row
    assert "2 targets fitted; 1 check" in html
    evaluations = pd.read_csv(out / "evaluations.csv")
    study = load_study(tmp_path / "checks.toml")
    np.testing.assert_allclose(
        evaluations["distance"], fit_distance(evaluations[["first", "second", "read_back"]].to_numpy(), 0.0, study)
    )
    if route == "emulator":
        waves = pd.read_csv(out / "waves.csv")
        assert set(waves["target_name"]) == {"first", "second"} and set(waves["target"]) == {0, 1}
        assert "read_back" in pd.read_csv(out / "posterior_check.csv").columns


def test_check_counts_fitted_targets_and_reports_checks_apart(tmp_path, stubbed, capsys):
    path = tmp_path / "checks.toml"
    names = (A, B)
    a, b = (float(x) for x in defaults(names))
    # the fitted targets where the defaults put them (held), the check far from its read-back value (missed)
    text = study_text(check=100 * b + 50).replace("value = 15.0", f"value = {10 * a!r}")
    path.write_text(text.replace("value = 11.25", f"value = {5 * a**2!r}"))
    folder = tmp_path / "fitted" / "checks"
    folder.mkdir(parents=True)
    (folder / "fitted.json").write_text(json.dumps({"fitted": {A: a, B: b}}))
    (folder / "report.html").write_text("<html><body><h1>Fit</h1><h2>Charts</h2></body></html>")
    assert main(["calibrate", str(path), "--check", "--reps", "2", "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "2 of 2 fitted targets within two standard errors (and 0 of 1 check, not fitted)" in printed
    marked = [
        line.split(":")[0].strip() for line in printed.splitlines() if line.startswith("  ") and CHECK_WORDS in line
    ]
    assert marked == ["read_back"]
    table = pd.read_csv(folder / "check" / "check.csv")
    assert {"target", "observed", "simulated", "z", "within_2se", "source"} <= set(table.columns)
    assert dict(zip(table["target"], table["fitted"])) == {"first": True, "second": True, "read_back": False}
    html = (folder / "report.html").read_text()
    assert "2 of 2 fitted targets reproduced" in html and "Checks, not fitted: 0 of 1" in html
    assert f"<td>{CHECK_WORDS}</td>" in _rows(html, "read_back")[0]


def test_check_table_and_words_without_and_with_checks(tmp_path):
    means = np.array([15.0, 30.0, 50.0])  # first held, second missed, the check held
    ses = np.full(3, SE)
    table = check_table(load_study(write(tmp_path)), means, ses)
    assert list(table["fitted"]) == [True, True, False] and held(table) == (1, 2, 1, 1)
    assert held_words(table) == "1 of 2 fitted targets within two standard errors (and 1 of 1 check, not fitted)"
    plain = check_table(load_study(write(tmp_path, "plain.toml", fit=None)), means, ses)
    assert held(plain) == (2, 3, 0, 0) and held_words(plain) == "2 of 3 targets within two standard errors"
    html = str(check_html(table, "caresim calibrate x --check", 2000, 2, 6))
    assert "1 of 2 fitted targets reproduced" in html and "Checks, not fitted: 1 of 1" in html
    assert "Checks, not fitted" not in str(check_html(plain, "caresim calibrate x --check", 2000, 2, 6))
