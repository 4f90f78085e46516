"""``caresim sensitivity``: the [sensitivity] table of a study, and Morris and Sobol indices on the model.

The model test runs a small place (2,000 people) with one informed parameter that moves every
answer (crisis.transient_boost) and one that no target informs (mdt.social_care_effect_multiplier).
The MDT is off in the reference, so under common random numbers the reference's runs cannot
depend on the multiplier: its indices there must be exactly zero, while the social-care-led
MDT's changes must depend on it.  Co-ordinators are whole posts, so the MDT scenario scales their
numbers up (10 per 100,000 would be none at 2,000 people) and the reference has beds enough for
the small hospital not to be blocked.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import api
from sim.calibration.sensitivity_study import Parameter, kept, parameters, prior_driven
from sim.calibration.study import load_study
from sim.cli.main import main

pytestmark = pytest.mark.timeout(900)  # the sensitivity command runs the model through an executor

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (ROOT / "scenarios").as_posix()
MULTIPLIER = "mdt.social_care_effect_multiplier"
BOOST = "crisis.transient_boost"
FILES = ("parameters.csv", "morris.csv", "sobol.csv", "prior_driven.csv", "sobol.png", "sensitivity.json")

REFERENCE = """name = "small_place"
description = "The baseline at a small place, with beds enough that the hospital is not blocked."
extends = "baseline"

[acute]
beds_per_100k = 1000
"""

MDT = f"""name = "small_social_care_led_mdt"
description = "The social-care-led MDT at a small place, with co-ordinators scaled up to whole posts."
extends = "{SCENARIOS}/social_care_led_mdt.toml"

[acute]
beds_per_100k = 1000

[mdt]
crisis_reduction = 0.3  # a team with a clear crisis effect, whatever the fitted default, for the multiplier to scale

[intervention.mdt]
coordinators_per_100k = {{ nurse = 160, social_worker = 80, mental_health = 80, occupational_therapist = 80 }}
enrol_top_share = 0.2
"""

SENSITIVITY = f"""
[sensitivity]
scenarios = ["mdt.toml"]
metrics = ["emergency_admissions", "bed_days", "cost_total_gbp"]
samples = 8
morris_trajectories = 2

[[sensitivity.prior]]
parameter = "{MULTIPLIER}"
low = 1.0
high = 2.0
reason = "no target informs it (test)"

[[sensitivity.contrast]]
name = "mdt_minus_reference"
scenario = "mdt.toml"
minus = "reference.toml"
"""


def study_text(sensitivity: str = SENSITIVITY) -> str:
    return f"""name = "small"
description = "A small place for the sensitivity analysis."
reference = "reference.toml"
replications = 1
seed = 1
population = 2000
horizon_days = 240
warmup_days = 60

[[target]]
name = "crises"
kind = "level"
scenario = "reference.toml"
metric = "crises"
value = 100.0
sd = 10.0
source = "test"

[[prior]]
parameter = "{BOOST}"
low = 3.0
high = 4.0
reason = "test"
{sensitivity}"""


def write_study(folder: Path, sensitivity: str = SENSITIVITY) -> Path:
    (folder / "reference.toml").write_text(REFERENCE)
    (folder / "mdt.toml").write_text(MDT)
    path = folder / "small.toml"
    path.write_text(study_text(sensitivity))
    return path


# --- the [sensitivity] table ------------------------------------------------------------------


BROKEN = {
    "misspelt_key": (SENSITIVITY.replace("samples = 8", "sample = 8"), "did you mean 'sensitivity.samples'?"),
    "not_power_of_two": (SENSITIVITY.replace("samples = 8", "samples = 12"), "must be a power of two"),
    "unknown_metric": (SENSITIVITY.replace('"bed_days"', '"bed_day"'), "did you mean 'bed_days'?"),
    "misspelt_parameter": (
        SENSITIVITY.replace(MULTIPLIER, "mdt.social_care_effect_multiplyer"),
        f"did you mean '{MULTIPLIER}'?",
    ),
    "informed_twice": (SENSITIVITY.replace(MULTIPLIER, BOOST), "already has a [[prior]]"),
    "missing_scenario": (SENSITIVITY.replace("mdt.toml", "nope.toml"), "sensitivity.scenarios[1]"),
    "no_table": ("", "no [sensitivity] table"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_bad_table_is_one_line_and_exit_2(case, tmp_path, capsys):
    text, fragment = BROKEN[case]
    path = write_study(tmp_path, text)
    out = tmp_path / "out"
    code = main(["sensitivity", str(path), "--out", str(out), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ") and "small.toml" in err
    assert fragment in err, err
    assert not out.exists()


def test_the_pilots_table_covers_the_what_ifs_and_the_uninformed_parameters():
    study = load_study(ROOT / "calibration" / "pilots.toml")
    s = study.sensitivity
    assert [f.name for f in s.scenarios] == ["social_care_led_mdt.toml", "nurse_led_mdt.toml", "resource_shift.toml"]
    assert s.metrics == ("emergency_admissions", "bed_days", "delayed_discharge_days", "cost_total_gbp")
    assert s.samples & (s.samples - 1) == 0
    uninformed = {p.parameter for p in s.priors}
    assert {MULTIPLIER, "mdt.mismatch_effect_share", "mdt.trusted_assessment_share"} <= uninformed
    assert all("seed 00" in p.reason and "assumption" in p.reason for p in s.priors)  # each says what it rests on
    assert not uninformed & set(study.names)  # none of them is fitted


# --- ranges, screening and the prior-driven share, without the model ------------------------------


def test_ranges_narrow_to_the_posterior_interval_when_the_fit_has_run(tmp_path):
    study = load_study(write_study(tmp_path))
    fitted = tmp_path / "fitted" / "small"
    before = {p.name: p for p in parameters(study, fitted)}
    assert (before[BOOST].low, before[BOOST].high) == (3.0, 4.0) and before[BOOST].informed
    assert (before[MULTIPLIER].low, before[MULTIPLIER].high) == (1.0, 2.0) and not before[MULTIPLIER].informed
    fitted.mkdir(parents=True)
    pd.DataFrame({"parameter": [BOOST], "mean": [3.4], "lower": [3.2], "upper": [4.5]}).to_csv(
        fitted / "intervals.csv", index=False
    )
    after = {p.name: p for p in parameters(study, fitted)}
    assert (after[BOOST].low, after[BOOST].high) == (3.2, 4.0)  # clipped to the prior
    assert after[BOOST].range_from.startswith("90% posterior interval")
    assert (after[MULTIPLIER].low, after[MULTIPLIER].high) == (1.0, 2.0)  # no target informs it: still the prior


def test_screening_keeps_the_union_and_every_uninformed_parameter():
    params = [
        Parameter("a", 0, 1, True, "prior"),
        Parameter("b", 0, 1, True, "prior"),
        Parameter("c", 0, 1, True, "prior"),
        Parameter("u", 0, 1, False, "prior"),
    ]
    morris = pd.DataFrame(
        {
            "scenario": ["s"] * 4,
            "metric": ["m"] * 4,
            "parameter": ["a", "b", "c", "u"],
            "mu": [1.0, 0.0, 0.001, 0.0],
            "mu_star": [1.0, 0.0, 0.001, 0.0],
            "sigma": [0.0] * 4,
        }
    )
    assert list(kept(morris, params, None)) == ["a", "u"]
    why = kept(morris, params, ["c"])
    assert list(why) == ["a", "c", "u"]
    assert "sweep" in why["c"] and "no target" in why["u"] and "Morris" in why["a"]


def test_prior_driven_share_and_threshold():
    from sim.calibration.sensitivity_study import Answer

    params = [Parameter("a", 0, 1, True, "prior"), Parameter("u", 0, 1, False, "prior")]
    answers = [Answer("ref", "m", False), Answer("x", "m", True), Answer("y", "m", True)]
    sobol = pd.DataFrame(
        {
            "scenario": ["ref", "ref", "x", "x", "y", "y"],
            "metric": ["m"] * 6,
            "parameter": ["a", "u"] * 3,
            "first_order": [0.9, 0, 0.5, 0.3, np.nan, np.nan],
            "total": [1.0, 0.0, 0.6, 0.4, np.nan, np.nan],
        }
    )
    table = prior_driven(sobol, params, answers, {}, "ref", threshold=0.3).set_index("scenario")
    assert table.loc["ref", "uninformed_share"] == 0 and not table.loc["ref", "prior_driven"]
    assert table.loc["x", "uninformed_share"] == pytest.approx(0.4) and table.loc["x", "prior_driven"]
    assert table.loc["x", "uninformed_parameters"] == "u"
    assert np.isnan(table.loc["y", "uninformed_share"]) and not table.loc["y", "prior_driven"]
    assert (table["threshold"] == 0.3).all()


def test_noise_share_is_undefined_for_an_answer_equal_in_every_set():
    from sim.calibration.sensitivity_study import Answer, noise_share

    # 0.7 three times: numpy's sample variance of these equal floats rounds to about 2e-32, not 0
    last = pd.DataFrame({"ref: m": [0.7] * 3, "ref: m_se": [0.2] * 3, "x: m": [1.0, 2.0, 3.0], "x: m_se": [0.5] * 3})
    share = noise_share(last, [Answer("ref", "m", False), Answer("x", "m", True)], replications=2)
    assert np.isnan(share["ref: m"])
    assert share["x: m"] == pytest.approx(0.25)


# --- on the model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sensitivity")
    path = write_study(folder)
    out = folder / "out"
    code = main(["sensitivity", str(path), "--workers", "1", "--quiet", "--out", str(out)])
    return path, out, code


def test_the_command_writes_every_file_with_finite_indices(analysed, capsys):
    _, out, code = analysed
    assert code == 0
    for name in FILES:
        assert (out / name).is_file(), name
    sobol = pd.read_csv(out / "sobol.csv")
    assert list(sobol.columns) == [
        "answer",
        "scenario",
        "metric",
        "parameter",
        "first_order",
        "total",
        "first_order_low",
        "first_order_high",
        "total_low",
        "total_high",
    ]
    assert set(sobol["scenario"]) == {"small_place", "small_social_care_led_mdt", "contrast:mdt_minus_reference"}
    assert set(sobol["parameter"]) == {BOOST, MULTIPLIER}
    assert np.isfinite(sobol[["first_order", "total"]].to_numpy()).all()
    morris = pd.read_csv(out / "morris.csv")
    # 2 parameters x 3 metrics x 3 answers each (the reference, the MDT, the contrast)
    assert len(morris) == 2 * 3 * 3 and np.isfinite(morris["mu_star"]).all()
    params = pd.read_csv(out / "parameters.csv").set_index("parameter")
    assert params.loc[MULTIPLIER, "kept"] and "no target informs it" in params.loc[MULTIPLIER, "kept_because"]
    meta = json.loads((out / "sensitivity.json").read_text())
    assert meta["samples"] == 8 and meta["population"] == 2000 and meta["command"].startswith("caresim sensitivity")
    assert meta["contrasts"] == ["mdt_minus_reference"]


def test_a_contrast_against_the_reference_has_the_indices_of_the_change(analysed):
    _, out, _ = analysed
    sobol = pd.read_csv(out / "sobol.csv")
    change = sobol[sobol["scenario"] == "small_social_care_led_mdt"].drop(columns=["answer", "scenario"])
    contrast = sobol[sobol["scenario"] == "contrast:mdt_minus_reference"].drop(columns=["answer", "scenario"])
    assert len(contrast) == 3 * 2
    pd.testing.assert_frame_equal(change.reset_index(drop=True), contrast.reset_index(drop=True))
    driven = pd.read_csv(out / "prior_driven.csv").set_index("answer")
    for metric in ("emergency_admissions", "bed_days", "cost_total_gbp"):
        row = driven.loc[f"contrast:mdt_minus_reference:{metric}"]
        assert row["kind"] == "contrast"
        assert row["uninformed_share"] == driven.loc[f"small_social_care_led_mdt:{metric}", "uninformed_share"]


def test_the_reference_cannot_depend_on_the_mdt_and_the_mdt_depends_on_social_care(analysed):
    _, out, _ = analysed
    sobol = pd.read_csv(out / "sobol.csv")
    ref = sobol[sobol["scenario"] == "small_place"].set_index(["metric", "parameter"])
    mdt = sobol[sobol["scenario"] == "small_social_care_led_mdt"].set_index(["metric", "parameter"])
    # common random numbers: the reference's runs are bit-identical whatever the multiplier, so exactly 0
    assert (ref.xs(MULTIPLIER, level="parameter")[["first_order", "total"]] == 0).all().all()
    assert (ref.xs(BOOST, level="parameter")["total"] > 0).all()
    # the multiplier scales the team's effect on crisis risk: it moves every answer of the what-if, most
    # of all emergency admissions (bed days also move through the social worker's own mechanisms)
    moved = mdt.xs(MULTIPLIER, level="parameter")["total"]
    assert (moved > 0).all() and moved.loc["emergency_admissions"] > 0.05
    morris = pd.read_csv(out / "morris.csv")
    assert (morris[(morris["scenario"] == "small_place") & (morris["parameter"] == MULTIPLIER)]["mu_star"] == 0).all()
    driven = pd.read_csv(out / "prior_driven.csv").set_index(["scenario", "metric"])
    assert (driven.loc["small_place", "uninformed_share"] == 0).all()
    assert not driven.loc["small_place", "prior_driven"].any()
    assert (driven.loc["small_social_care_led_mdt", "uninformed_share"] > 0).all()
    assert (driven["threshold"] == 0.1).all()
    flagged = driven[driven["prior_driven"]]
    assert (flagged["uninformed_share"] >= 0.1).all()


def test_resume_recomputes_nothing(analysed, capsys):
    path, out, code = analysed
    assert code == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        before = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    sobol = (out / "sobol.csv").read_text()
    code = main(["sensitivity", str(path), "--workers", "1", "--quiet", "--resume", "--out", str(out)])
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert "0 runs made" in printed
    with sqlite3.connect(out / "results.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == before
    assert (out / "sobol.csv").read_text() == sobol
    assert "Prior-driven answers" in printed and "small_social_care_led_mdt" in printed


def test_a_resumed_analysis_says_each_phase_is_stored_already(analysed):
    path, out, code = analysed
    assert code == 0
    said: list[str] = []
    found = api.sensitivity(path, workers=1, out=out, resume=True, progress=said.append)
    assert found.runs_now == 0
    phases = [re.fullmatch(r"(\w+): (\d+) runs, (\d+) of them stored already", line) for line in said]
    phases = [m for m in phases if m is not None]
    assert [m[1] for m in phases] == ["Morris", "Sobol"]
    for m in phases:  # every run of both batches is found in the store: the bars start full
        assert int(m[2]) == int(m[3]) > 0
