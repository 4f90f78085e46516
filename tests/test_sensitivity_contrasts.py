"""Contrasts between what-ifs as sensitivity answers ([[sensitivity.contrast]]), and prior-driven parameters.

The study reader is tested on small study files beside the repository's scenarios; the contrasts'
values and their prior-driven flags on a fake evaluator whose answers are known functions of two
parameters, one informed by a target and one not, so no model runs.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit_report import prior_driven_rows
from sim.calibration.sensitivity_study import (
    CONTRAST,
    Answer,
    Answers,
    Parameter,
    analyse,
    answer_study,
    marked_prior_driven,
    parameter_table,
    parameters,
    prior_driven_parameters,
)
from sim.calibration.study import StudyError, load_study
from sim.cli.main import main
from sim.cli.sensitivity import summary_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (ROOT / "scenarios").as_posix()
MULTIPLIER = "mdt.social_care_effect_multiplier"
MISMATCH = "mdt.mismatch_effect_share"
BOOST = "crisis.transient_boost"

CONTRAST_TABLE = """
[[sensitivity.contrast]]
name = "led_by_social_care_minus_nurses"
scenario = "social.toml"
minus = "nurses.toml"
"""

SENSITIVITY = f"""
[sensitivity]
scenarios = ["social.toml", "nurses.toml"]
metrics = ["emergency_admissions", "bed_days"]
samples = 8
morris_trajectories = 2

[[sensitivity.prior]]
parameter = "{MULTIPLIER}"
low = 1.0
high = 2.0
reason = "no target informs it (test)"
"""


def write_study(folder: Path, contrast: str = CONTRAST_TABLE, prior: str = BOOST) -> Path:
    """A study at a small place: the baseline, the social-care-led and the nurse-led MDT, and one contrast."""
    (folder / "reference.toml").write_text(
        'name = "small_place"\ndescription = "The baseline."\nextends = "baseline"\n'
    )
    for file, base in (("social.toml", "social_care_led_mdt"), ("nurses.toml", "nurse_led_mdt")):
        (folder / file).write_text(
            f'name = "small_{base}"\ndescription = "As {base}."\nextends = "{SCENARIOS}/{base}.toml"\n'
        )
    path = folder / "small.toml"
    path.write_text(
        f"""name = "small"
description = "A small place for the contrasts."
reference = "reference.toml"
replications = 1
population = 2000

[[target]]
name = "crises"
kind = "level"
scenario = "reference.toml"
metric = "crises"
value = 100.0
sd = 10.0
source = "test"

[[prior]]
parameter = "{prior}"
low = 0.2
high = 0.8
reason = "test"
{SENSITIVITY}{contrast}"""
    )
    return path


# --- the study reader ----------------------------------------------------------------------------


def test_the_reader_accepts_a_contrast_and_answer_study_names_its_answers(tmp_path):
    study = load_study(write_study(tmp_path))
    (contrast,) = study.sensitivity.contrasts
    assert contrast.name == "led_by_social_care_minus_nurses"
    assert (contrast.scenario.name, contrast.minus.name) == ("social.toml", "nurses.toml")
    params = parameters(study, tmp_path / "fitted")
    derived, answers = answer_study(study, params)
    contrasts = [a for a in answers if a.kind == "contrast"]
    assert [a.name for a in contrasts] == [
        f"{CONTRAST}led_by_social_care_minus_nurses:emergency_admissions",
        f"{CONTRAST}led_by_social_care_minus_nurses:bed_days",
    ]
    assert {(a.plus, a.minus) for a in contrasts} == {("small_social_care_led_mdt", "small_nurse_led_mdt")}
    # a contrast is computed from the changes: it adds no target and no run
    assert len(derived.targets) == len(answers) - len(contrasts) == 3 * 2
    assert len(derived.scenarios) == 3


def test_a_contrast_against_the_reference_is_the_change_itself(tmp_path):
    text = CONTRAST_TABLE.replace('minus = "nurses.toml"', 'minus = "reference.toml"')
    study = load_study(write_study(tmp_path, text))
    _, answers = answer_study(study, parameters(study, tmp_path / "fitted"))
    contrast = next(a for a in answers if a.kind == "contrast")
    assert (contrast.plus, contrast.minus) == ("small_social_care_led_mdt", "")
    assert contrast.describe("small_place").startswith("small_social_care_led_mdt minus small_place, emergency")


BROKEN = {
    "scenario_not_in_the_study": (
        CONTRAST_TABLE.replace('minus = "nurses.toml"', 'minus = "nurse.toml"'),
        "sensitivity.contrast[1].minus",
        "did you mean 'nurses.toml'?",
    ),
    "the_reference_as_scenario": (
        CONTRAST_TABLE.replace('scenario = "social.toml"', 'scenario = "reference.toml"'),
        "sensitivity.contrast[1].scenario",
        "not among sensitivity.scenarios",
    ),
    "misspelt_key": (
        CONTRAST_TABLE.replace("minus =", "minnus ="),
        "unknown key 'sensitivity.contrast[1].minnus'",
        "did you mean 'sensitivity.contrast[1].minus'?",
    ),
    "missing_key": (CONTRAST_TABLE.replace('minus = "nurses.toml"', ""), "sensitivity.contrast[1]", "'minus'"),
    "the_same_file_twice": (
        CONTRAST_TABLE.replace('minus = "nurses.toml"', 'minus = "social.toml"'),
        "sensitivity.contrast[1]",
        "the same file",
    ),
    "name_with_spaces": (
        CONTRAST_TABLE.replace("led_by_social_care_minus_nurses", "social minus nurses"),
        "sensitivity.contrast[1].name",
        "letters, digits and underscores",
    ),
    "two_of_the_same_name": (CONTRAST_TABLE * 2, "[[sensitivity.contrast]]", "same name"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_bad_contrast_is_one_line_naming_the_file_and_the_key(case, tmp_path, capsys):
    text, key, fragment = BROKEN[case]
    path = write_study(tmp_path, text)
    with pytest.raises(StudyError) as raised:
        load_study(path)
    assert key in str(raised.value) and fragment in str(raised.value), raised.value
    out = tmp_path / "out"
    code = main(["sensitivity", str(path), "--out", str(out), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ") and "small.toml" in err
    assert key in err and fragment in err, err
    assert not out.exists()


def test_the_pilots_study_has_the_social_care_led_minus_nurse_led_contrast():
    s = load_study(ROOT / "calibration" / "pilots.toml").sensitivity
    names = {c.name: c for c in s.contrasts}
    contrast = names["social_care_led_minus_nurse_led"]
    assert (contrast.scenario.name, contrast.minus.name) == ("social_care_led_mdt.toml", "nurse_led_mdt.toml")
    assert {contrast.scenario, contrast.minus} <= set(s.scenarios)


# --- contrasts on known functions ----------------------------------------------------------------

PARAMS = [Parameter("a", 0.0, 1.0, True, "prior"), Parameter("u", 0.0, 1.0, False, "prior (no target informs it)")]
PLAIN = [Answer("base", "m", False), Answer("x", "m", True), Answer("y", "m", True)]
X_MINUS_Y = Answer(CONTRAST + "x_minus_y", "m", True, "x", "y")
Y_MINUS_BASE = Answer(CONTRAST + "y_minus_base", "m", True, "y", "")
ANSWERS = [*PLAIN, X_MINUS_Y, Y_MINUS_BASE]


def known(a: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
    """The runner's answers: x and y share the informed a; only x depends on the uninformed u, so
    x - y depends on u alone and y's change on a alone."""
    return {"base: m": 10 + a, "x: m": 2 * a + 3 * u + u**2, "y: m": 2 * a + 0.5 * a**2}


class Fake:
    """Stands in for :class:`sim.calibration.calibrate.Evaluator`: the levels and changes of :func:`known`,
    with standard errors that differ by answer, logged as the evaluator logs them."""

    SE = {"base: m": 0.1, "x: m": 0.2, "y: m": 0.3}

    def __init__(self):
        sens = SimpleNamespace(morris_trajectories=4, samples=64)
        self.study = SimpleNamespace(runs_per_point=1, sensitivity=sens, seed=3, replications=2)
        self.log: list[pd.DataFrame] = []
        self.runs = 0

    def __call__(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = known(thetas[:, 0], thetas[:, 1])
        frame = pd.DataFrame({"point": np.arange(len(thetas))})
        for label, v in values.items():
            frame[label] = v
            frame[label + "_se"] = self.SE[label]
        self.log.append(frame)
        self.runs += len(thetas)
        means = frame[list(values)].to_numpy()
        return means, np.broadcast_to(np.array(list(self.SE.values())), means.shape).copy()


def test_a_contrast_is_the_difference_of_the_two_changes():
    thetas = np.array([[0.1, 0.9], [0.5, 0.2], [0.8, 0.6]])
    answers_of = Answers(Fake(), PARAMS, ["a", "u"], ANSWERS)
    out = pd.DataFrame(answers_of(thetas), columns=[a.label for a in ANSWERS])
    by_hand = known(thetas[:, 0], thetas[:, 1])
    np.testing.assert_allclose(out[X_MINUS_Y.label], by_hand["x: m"] - by_hand["y: m"])
    np.testing.assert_allclose(out[Y_MINUS_BASE.label], by_hand["y: m"])  # minus the reference: the change
    np.testing.assert_allclose(out["x: m"], by_hand["x: m"])
    batch = answers_of.batch()
    np.testing.assert_allclose(batch[X_MINUS_Y.label + "_se"], 0.2 + 0.3)  # the bound: the sum of the two
    np.testing.assert_allclose(batch[Y_MINUS_BASE.label + "_se"], 0.3)


@pytest.fixture(scope="module")
def found():
    return analyse(Fake(), PARAMS, ANSWERS, None)


def test_a_contrast_on_an_uninformed_parameter_alone_is_prior_driven_and_one_on_an_informed_is_not(found):
    driven = found.driven.set_index("answer")
    assert driven.loc[X_MINUS_Y.name, "kind"] == "contrast"
    assert driven.loc[X_MINUS_Y.name, "uninformed_share"] == pytest.approx(1.0, abs=0.05)
    assert driven.loc[X_MINUS_Y.name, "prior_driven"]
    assert driven.loc[X_MINUS_Y.name, "uninformed_parameters"] == "u"
    assert driven.loc[Y_MINUS_BASE.name, "uninformed_share"] == pytest.approx(0.0, abs=0.05)
    assert not driven.loc[Y_MINUS_BASE.name, "prior_driven"]
    # the what-if x itself depends on both, so its own flag says less than the contrast's
    assert 0 < driven.loc["x:m", "uninformed_share"] < driven.loc[X_MINUS_Y.name, "uninformed_share"]


def test_contrasts_have_the_same_columns_as_other_answers(found):
    for frame in (found.sobol, found.morris):
        assert list(frame.columns[:3]) == ["answer", "scenario", "metric"]
        names = list(dict.fromkeys(frame["answer"]))
        assert names == [a.name for a in ANSWERS]
        contrast = frame[frame["answer"] == X_MINUS_Y.name]
        assert set(contrast["parameter"]) == {"a", "u"} and contrast.notna().all().all()
    sobol = found.sobol.set_index(["answer", "parameter"])
    assert sobol.loc[(X_MINUS_Y.name, "a"), "total"] == pytest.approx(0.0, abs=0.05)  # a cancels in x - y


def test_the_summary_lists_a_prior_driven_contrast_in_words(found, tmp_path):
    sens = SimpleNamespace(morris_trajectories=4, samples=64)
    runner = SimpleNamespace(sensitivity=sens, replications=2, settings=SimpleNamespace(population=2000))
    text = summary_text(found, "fake", runner, tmp_path, 1.0, found.morris_runs)
    flagged = text.split("Prior-driven answers")[1].split("Not prior-driven")[0]
    assert "x minus y, m (the difference of their % changes against base, in percentage points)" in flagged
    assert "y minus base" not in flagged  # on the informed parameter only
    assert "contrast:y_minus_base m" in text.split("Not prior-driven:")[1].splitlines()[0]


# --- prior-driven parameters ---------------------------------------------------------------------


def test_the_two_uninformed_mdt_parameters_are_marked_prior_driven_in_their_source():
    marked = marked_prior_driven()
    assert {MULTIPLIER, MISMATCH} <= set(marked)
    assert all("no target informs it" in source for source in marked.values())


def test_parameters_csv_marks_the_prior_driven_parameters(tmp_path):
    pilots = load_study(ROOT / "calibration" / "pilots.toml")
    table = parameter_table(parameters(pilots, tmp_path), {}).set_index("parameter")
    assert table.loc[[MULTIPLIER, MISMATCH], "prior_driven"].all()
    assert not table.loc[list(pilots.names), "prior_driven"].any()
    # a parameter the study lists as uninformed is prior-driven for it, marked in its source or not
    text = SENSITIVITY.replace(MULTIPLIER, "mdt.review_every_days").replace("high = 2.0", "high = 60.0")
    small = tmp_path / "small"
    small.mkdir()
    path = write_study(small)
    path.write_text(path.read_text().replace(SENSITIVITY, text))
    table = parameter_table(parameters(load_study(path), small), {}).set_index("parameter")
    assert table.loc["mdt.review_every_days", "prior_driven"] and not table.loc[BOOST, "prior_driven"]


def test_the_fit_report_lists_the_prior_driven_parameters_it_does_not_fit(tmp_path):
    pilots = load_study(ROOT / "calibration" / "pilots.toml")
    rows = prior_driven_rows(pilots)
    assert [r[0] for r in rows][:2] == [MULTIPLIER, MISMATCH]
    assert {r[0] for r in rows} >= {p.parameter for p in pilots.sensitivity.priors}  # every uninformed one
    assert all("prior-driven" in r[1] for r in rows)
    fitted = load_study(write_study(tmp_path, "", prior=MISMATCH))  # this study fits the mismatch share
    listed = list(prior_driven_parameters(fitted)["parameter"])
    assert MULTIPLIER in listed and MISMATCH not in listed  # a fitted parameter is never listed
