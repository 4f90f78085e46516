"""Sobol indices on Gaussian-process emulators (sim/calibration/sobol_emulated.py) and ``--route emulator``.

The estimators are checked against scipy's on the same arrays; the indices against functions whose indices
are known: the Ishigami function (a = 7, b = 0.1; Saltelli et al. 2008, section 4.4) and a linear one (first
= total = each term's share of the variance).  The route runs end to end at a small place (2,000 people,
two parameters, a few sets).
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.api as api
import sim.api.sensitivity_analysis as sensitivity_analysis
import sim.calibration.sensitivity_study as sensitivity_study
from sim.api.errors import SettingsError
from sim.calibration.sensitivity_emulated import FLAT_Q2, HELD_OUT, analyse_emulated
from sim.calibration.sensitivity_study import Answer, Parameter
from sim.calibration.sobol_emulated import (
    WIDTH,
    design,
    emulated_sobol,
    estimators,
    saltelli_sample,
    widest,
    widths_by_points,
)
from sim.calibration.study import StudyError, load_study
from sim.cli.main import main
from sim.cli.sensitivity import _by_points

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (ROOT / "scenarios").as_posix()
A, B = 7.0, 0.1
LOW, HIGH = np.full(3, -np.pi), np.full(3, np.pi)
NOISE = 0.05  # sd of the noise added to every simulated value


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first and total indices of the Ishigami function on [-pi, pi]^3."""
    v1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * np.pi**8 / 18 - B**2 * np.pi**8 / 50
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


@pytest.fixture(scope="module")
def ishigami_found():
    rng = np.random.default_rng(11)
    X = design(LOW, HIGH, 500, seed=3)
    Y = ishigami(X) + NOISE * rng.standard_normal(len(X))
    frame, _ = emulated_sobol(X, Y[:, None], NOISE, LOW, HIGH, ["x1", "x2", "x3"], ["y"], seed=5)
    return frame.set_index("parameter")


def test_the_estimators_are_scipys():
    rng = np.random.default_rng(0)
    f_A, f_B, f_AB = rng.normal(size=(2, 64)), rng.normal(size=(2, 64)), rng.normal(size=(3, 2, 64))
    ours = estimators(f_A, f_B, f_AB)
    theirs = stats.sobol_indices(func={"f_A": f_A, "f_B": f_B, "f_AB": f_AB}, n=64)
    np.testing.assert_allclose(ours[0].T, theirs.first_order)
    np.testing.assert_allclose(ours[1].T, theirs.total_order)


def test_the_saltelli_sample_mixes_one_column_each():
    A_, B_, AB = saltelli_sample(3, 16, np.random.default_rng(1))
    for i in range(3):
        np.testing.assert_array_equal(AB[i][:, i], B_[:, i])
        np.testing.assert_array_equal(np.delete(AB[i], i, axis=1), np.delete(A_, i, axis=1))
    with pytest.raises(ValueError, match="power of two"):
        saltelli_sample(3, 12, np.random.default_rng(1))


def test_ishigami_intervals_hold_the_analytic_indices_and_are_narrow(ishigami_found):
    first, total = ishigami_indices()
    found = ishigami_found.loc[["x1", "x2", "x3"]]
    for col, truth in (("first_order", first), ("total", total)):
        low, high = found[f"{col}_low"].to_numpy(), found[f"{col}_high"].to_numpy()
        assert np.all(low <= truth) and np.all(truth <= high), (col, low, truth, high)
    # the main indices: first order of x1 and x2, total of x1 (x3 acts only through x1)
    widths = [
        found.loc["x1", "first_order_high"] - found.loc["x1", "first_order_low"],
        found.loc["x2", "first_order_high"] - found.loc["x2", "first_order_low"],
        found.loc["x1", "total_high"] - found.loc["x1", "total_low"],
    ]
    assert max(widths) < 0.1, widths


def test_totals_never_exceed_one_beyond_their_interval_and_the_shares_add_up(ishigami_found):
    assert (ishigami_found["total_low"] <= 1).all()
    for col in ("first_order", "total"):
        shares = ishigami_found[f"{col}_emulator_share"] + ishigami_found[f"{col}_sampling_share"]
        np.testing.assert_allclose(shares, 1.0)
        assert (ishigami_found[f"{col}_emulator_share"] > 0).all()  # the emulators' uncertainty is carried
    assert (ishigami_found["captured"] > 0.5).all() and (ishigami_found["captured"] <= 1).all()


def linear(x: np.ndarray) -> np.ndarray:
    return 3.0 * x[:, 0] + 1.0 * x[:, 1]  # on [0, 1]^3, x3 unused: variances 9/12, 1/12 and 0


def linear_run(seed: int) -> pd.DataFrame:
    X = design(np.zeros(3), np.ones(3), 30, seed=2)
    frame, _ = emulated_sobol(
        X,
        linear(X)[:, None],
        0.0,
        np.zeros(3),
        np.ones(3),
        ["a", "b", "c"],
        ["y"],
        n=512,
        m=16,
        resamples=16,
        conditioning=128,
        seed=seed,
    )
    return frame.set_index("parameter")


def test_a_linear_function_has_first_equal_total_equal_its_variance_share():
    found = linear_run(seed=4)
    share = np.array([9.0, 1.0, 0.0]) / 10.0
    for col in ("first_order", "total"):
        np.testing.assert_allclose(found[col].to_numpy(), share, atol=0.03)
        # a total is a mean of squares, never below 0: for c the interval sits just above it
        assert np.all(found[f"{col}_low"] <= share + 1e-3) and np.all(share - 1e-3 <= found[f"{col}_high"])
    np.testing.assert_allclose(found["first_order"], found["total"], atol=0.03)


def test_the_same_seed_gives_the_same_indices_and_leaves_numpys_global_generator_alone():
    np.random.seed(123)
    before = np.random.get_state()
    one, two = linear_run(seed=7), linear_run(seed=7)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    pd.testing.assert_frame_equal(one, two)  # bit for bit
    assert not linear_run(seed=8)["first_order_low"].equals(one["first_order_low"])


def test_a_process_pool_reads_the_answers_side_by_side_with_the_same_numbers():
    from sim.experiments.executors import Pool, Serial

    X = design(np.zeros(3), np.ones(3), 30, seed=2)
    Y = np.column_stack([linear(X), np.sin(3 * X[:, 0]) * X[:, 2]])
    options = {"n": 256, "m": 8, "resamples": 8, "conditioning": 128, "seed": 7}

    done: list[int] = []

    def read(executor) -> pd.DataFrame:
        names, outputs = ["a", "b", "c"], ["y", "z"]
        tick = functools.partial(done.append, 1)
        return emulated_sobol(
            X, Y, 0.0, np.zeros(3), np.ones(3), names, outputs, **options, executor=executor, on_output=tick
        )[0]

    here = read(None)
    pool = Pool(2)
    try:
        pd.testing.assert_frame_equal(read(pool), here)  # bit for bit
    finally:
        pool.close()
    pd.testing.assert_frame_equal(read(Serial()), here)
    assert list(here["output"].unique()) == ["y", "z"]
    assert len(done) == 6  # each answer said it was done, on each of the three readings
    # an answer's indices do not depend on which others are read beside it
    alone = emulated_sobol(X, Y[:, :1], 0.0, np.zeros(3), np.ones(3), ["a", "b", "c"], ["y"], **options)[0]
    pd.testing.assert_frame_equal(alone, here[here["output"] == "y"])


def test_the_design_is_nested_and_fills_the_box():
    low, high = np.array([0.0, 10.0, -1.0]), np.array([1.0, 20.0, 1.0])
    small, large = design(low, high, 16, seed=4), design(low, high, 40, seed=4)
    np.testing.assert_array_equal(large[:16], small)  # more sets later keep the ones run
    assert np.all(large >= low) and np.all(large <= high)
    unit = (small - low) / (high - low)
    for i in range(3):  # 16 Sobol' points: one in each sixteenth of every parameter's range
        assert sorted(np.floor(unit[:, i] * 16).astype(int)) == list(range(16))
    assert not np.array_equal(design(low, high, 16, seed=5), small)


def _frame(output: str, first: float, total: float, points: int, share: float = 1.0) -> dict:
    """One output's row: a first-order and a total interval, ``share`` of their variance the emulators'."""
    return {
        "output": output,
        "parameter": "p",
        "first_order_low": 0.5 - first / 2,
        "first_order_high": 0.5 + first / 2,
        "first_order_emulator_share": share,
        "total_low": 0.5 - total / 2,
        "total_high": 0.5 + total / 2,
        "total_emulator_share": share,
        "design_points": points,
    }


def test_the_sets_an_interval_needs_follow_its_narrowing_from_the_half_to_the_whole():
    widths = {  # first, total, the half's
        "halves": (0.1, 0.2, 0.4),
        "narrow": (0.05, 0.08, 0.1),
        "flat": (0.0, 0.3, 0.3),
        "barely": (0.1, 0.3, 0.301),
    }
    full = pd.DataFrame([_frame(o, first, total, 100) for o, (first, total, _) in widths.items()])
    half = pd.DataFrame([_frame(o, first, total, 50) for o, (first, _, total) in widths.items()])
    table = widths_by_points(full, half, 100).set_index(["output", "design_points"])
    assert table.loc[("halves", 50), "widest_total"] == pytest.approx(0.4)
    # all of the variance the emulators': width halves when the sets double, so 0.2 -> 0.1 at twice the sets
    assert table.loc[("halves", 100), "points_for_width"] == pytest.approx(200)
    assert table.loc[("halves", 100), "sampling_width"] == 0
    assert table.loc[("narrow", 100), "points_for_width"] == 100  # already under the bar
    assert np.isnan(table.loc[("flat", 100), "points_for_width"])  # did not narrow: no guess
    assert table.loc[("barely", 100), "points_for_width"] == np.inf  # beyond FAR times the sets: only that
    line = " ".join(_by_points(table.reset_index()))
    assert "1 would need 200 sets, 1 more than 10,000 (too slowly to say how many); 1 did not narrow" in line
    assert ": flat 0.30, barely 0.30, halves 0.20;" in line  # the answers over the bar, widest first


def test_only_the_emulators_part_of_an_interval_narrows_with_more_sets():
    # the widest interval 0.2 (the half's 0.4), the emulators' share of its variance 0.7: their part
    # 0.2 sqrt(0.7) halves when the sets double; the sampling part 0.2 sqrt(0.3) = 0.11 stays
    full = pd.DataFrame([_frame("sampled", 0.1, 0.2, 100, 0.7), _frame("mixed", 0.1, 0.2, 100, 0.9)])
    half = pd.DataFrame([_frame("sampled", 0.1, 0.4, 50, 0.7), _frame("mixed", 0.1, 0.4, 50, 0.9)])
    table = widths_by_points(full, half, 100).set_index(["output", "design_points"])
    assert table.loc[("sampled", 100), "emulator_share"] == pytest.approx(0.7)
    assert table.loc[("sampled", 100), "sampling_width"] == pytest.approx(0.2 * math.sqrt(0.3))
    assert table.loc[("sampled", 100), "points_for_width"] == np.inf  # no number of sets: the base sample
    # 0.2 sqrt(0.9) must fall to sqrt(0.1^2 - 0.2^2 0.1): (0.1897 / 0.0775) = 2.45 times the sets
    expected = math.ceil(100 * 0.2 * math.sqrt(0.9) / math.sqrt(0.01 - 0.04 * 0.1))
    assert table.loc[("mixed", 100), "points_for_width"] == expected
    assert table.loc[("mixed", 100), "points_for_width"] > 200  # more than all-emulator narrowing would say
    line = " ".join(_by_points(table.reset_index()))
    assert "1 sampling alone" in line and "emulator_base_sample" in line


def test_the_widest_interval_s_share_is_that_of_the_widest_index_first_order_or_total():
    row = _frame("y", 0.3, 0.2, 10) | {"first_order_emulator_share": 0.4, "total_emulator_share": 0.9}
    assert widest(pd.DataFrame([row]))["emulator_share"].iloc[0] == pytest.approx(0.4)


def test_more_design_sets_narrow_the_emulators_intervals():
    rng = np.random.default_rng(2)
    X = design(np.zeros(3), np.ones(3), 64, seed=6)
    Y = (linear(X) + 0.5 * np.sin(6 * X[:, 2]) + 0.3 * rng.standard_normal(len(X)))[:, None]
    options = dict(n=512, m=16, resamples=16, conditioning=256, seed=3)
    names = ["a", "b", "c"]
    full, _ = emulated_sobol(X, Y, 0.3, np.zeros(3), np.ones(3), names, ["y"], **options)
    half, _ = emulated_sobol(X[:32], Y[:32], 0.3, np.zeros(3), np.ones(3), names, ["y"], **options)
    table = widths_by_points(full, half, 64).set_index("design_points")
    assert table.loc[64, "widest_total"] < table.loc[32, "widest_total"]
    assert table.loc[64, "points_for_width"] >= 64  # narrowing: the bar at these sets or beyond them
    widest = table.loc[64, ["widest_first_order", "widest_total"]].max()
    assert (table.loc[64, "points_for_width"] == 64) == (widest <= WIDTH)


# --- the route on known functions (no model runs) -------------------------------------------------------

PARAMS = [Parameter("a", 0.0, 1.0, True, "prior"), Parameter("u", 0.0, 1.0, False, "prior (no target informs it)")]
ANSWERS = [
    Answer("base", "m", False),
    Answer("x", "m", True),
    Answer("y", "m", True),
    Answer("contrast:x_minus_y", "m", True, "x", "y"),
]


class Fake:
    """Stands in for the runner's evaluator: x depends on a and the uninformed u, y on a alone, the
    reference not at all (so x - y depends on u alone and the reference has no indices)."""

    def __init__(self):
        self.study = SimpleNamespace(
            runs_per_point=1, sensitivity=SimpleNamespace(emulator_points=20, emulator_base_sample=None), seed=3
        )
        self.study.replications = 2
        self.log: list[pd.DataFrame] = []

    def __call__(self, thetas: np.ndarray) -> None:
        a, u = thetas[:, 0], thetas[:, 1]
        frame = pd.DataFrame({"base: m": np.full(len(a), 10.0), "x: m": 2 * a + 3 * u + u**2, "y: m": 2 * a})
        for label in list(frame.columns):
            frame[label + "_se"] = 0.01
        self.log.append(frame)


def test_the_route_emulates_contrasts_and_flags_prior_driven_answers_by_the_direct_rule():
    evaluate = Fake()
    found = analyse_emulated(evaluate, PARAMS, ANSWERS, n=512, m=8, resamples=8, conditioning=128)
    assert len(evaluate.log[0]) == 20 + HELD_OUT  # the design and the held-out sets, in one batch
    total = found.sobol.set_index(["answer", "parameter"])["total"]
    assert total[("contrast:x_minus_y:m", "u")] == pytest.approx(1.0, abs=0.05)  # a cancels in x - y
    assert total[("contrast:x_minus_y:m", "a")] == pytest.approx(0.0, abs=0.05)
    assert total[("y:m", "u")] == pytest.approx(0.0, abs=0.05)
    assert found.sobol[found.sobol["answer"] == "base:m"]["total"].isna().all()
    assert "does not vary" in found.no_indices["base: m"]
    driven = found.driven.set_index("answer")["prior_driven"]
    assert driven["contrast:x_minus_y:m"] and driven["x:m"] and not driven["y:m"]
    check = found.check
    assert set(check["answer"]) == {"x:m", "y:m", "contrast:x_minus_y:m"} and len(check) == 3 * HELD_OUT
    assert check["inside"].mean() >= 0.8 and (check["loo_q2"] > 0.99).all()


class NoisyFake(Fake):
    """x as before; z is noise alone, as an answer whose replication noise swamps the parameters' effect."""

    def __call__(self, thetas: np.ndarray) -> None:
        a, u = thetas[:, 0], thetas[:, 1]
        noise = np.random.default_rng(5).standard_normal(len(a))
        self.log.append(pd.DataFrame({"x: m": 2 * a + 3 * u, "x: m_se": 0.01, "z: m": noise, "z: m_se": 1.0}))


def test_an_answer_its_emulator_cannot_tell_from_noise_gets_no_indices_and_says_why():
    answers = [Answer("x", "m", True), Answer("z", "m", True)]
    found = analyse_emulated(NoisyFake(), PARAMS, answers, n=256, m=8, resamples=8, conditioning=64)
    by_answer = found.sobol.set_index("answer")
    assert by_answer.loc["z:m", "total"].isna().all() and by_answer.loc["z:m", "first_order_high"].isna().all()
    assert (by_answer.loc["z:m", "loo_q2"] <= FLAT_Q2).all()  # the reason, kept beside the empty indices
    assert "no better than their mean" in found.no_indices["z: m"]
    assert by_answer.loc["x:m", "total"].notna().all()
    assert set(found.by_points["answer"]) == {"x:m"}  # nothing to narrow for z


class SharedSeedsFake(Fake):
    """x = 2 a + 3 u as its sets would give it with common random numbers: the replication noise mostly
    common to every set (the seeds' own shift, 0.5, with a standard error to match), a little of it
    differing from set to set."""

    def __call__(self, thetas: np.ndarray) -> None:
        a, u = thetas[:, 0], thetas[:, 1]
        rough = 0.02 * np.random.default_rng(8).standard_normal(len(a))
        self.log.append(pd.DataFrame({"x: m": 2 * a + 3 * u + 0.5 + rough, "x: m_se": 0.5}))


def test_noise_common_to_every_set_moves_no_index():
    found = analyse_emulated(SharedSeedsFake(), PARAMS, [Answer("x", "m", True)], m=16, resamples=16)
    frame = found.sobol.set_index("parameter")
    share = {"a": 4 / 13, "u": 9 / 13}  # a linear function: each term's share of the variance
    for name, value in share.items():
        for col in ("first_order", "total"):
            assert frame.loc[name, f"{col}_low"] <= value <= frame.loc[name, f"{col}_high"]
    # told each set's standard error as noise of its own, the emulator would blur the function by 0.5
    # (a quarter of a's whole effect); learning the noise between sets, it finds the indices to within WIDTH
    widest = max((frame[f"{col}_high"] - frame[f"{col}_low"]).max() for col in ("first_order", "total"))
    assert widest < WIDTH
    check = found.check
    assert check["inside"].mean() >= 0.8 and (check["simulated_se"] == 0.5).all()


# --- the route, end to end at a small place --------------------------------------------------------------

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
crisis_reduction = 0.3

[intervention.mdt]
coordinators_per_100k = {{ nurse = 160, social_worker = 80, mental_health = 80, occupational_therapist = 80 }}
enrol_top_share = 0.2
"""

STUDY = """name = "small"
description = "A small place for the emulator route."
reference = "reference.toml"
replications = 1
seed = 1
population = 2000
horizon_days = 120
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
emulator_points = 8
emulator_base_sample = 1024

[[sensitivity.prior]]
parameter = "mdt.social_care_effect_multiplier"
low = 1.0
high = 2.0
reason = "no target informs it (test)"

[[sensitivity.contrast]]
name = "mdt_minus_reference"
scenario = "mdt.toml"
minus = "reference.toml"
"""

COLUMNS = [
    "answer",
    "scenario",
    "metric",
    "parameter",
    "first_order",
    "first_order_low",
    "first_order_high",
    "first_order_emulator_share",
    "first_order_sampling_share",
    "total",
    "total_low",
    "total_high",
    "total_emulator_share",
    "total_sampling_share",
]


@pytest.mark.timeout(600)
def test_the_emulator_route_writes_its_tables(tmp_path, capsys):
    (tmp_path / "reference.toml").write_text(REFERENCE)
    (tmp_path / "mdt.toml").write_text(MDT)
    (tmp_path / "small.toml").write_text(STUDY)
    out = tmp_path / "out"
    args = ["sensitivity", str(tmp_path / "small.toml"), "--route", "emulator", "--workers", "1", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on emulators" in printed and "sobol_emulated.csv" in printed
    assert "a Saltelli sample of 1,024 base points" in printed  # the study's emulator_base_sample
    sobol = pd.read_csv(out / "sobol_emulated.csv")
    assert list(sobol.columns[: len(COLUMNS)]) == COLUMNS
    answers = list(dict.fromkeys(sobol["answer"]))
    assert answers[0] == "small_place:emergency_admissions"
    assert "contrast:mdt_minus_reference:bed_days" in answers
    assert set(sobol["parameter"]) == {"crisis.transient_boost", "mdt.social_care_effect_multiplier"}
    check = pd.read_csv(out / "emulator_check.csv")
    assert {"simulated", "emulated", "low", "high", "inside", "loo_q2", "cv_rms_standardised"} <= set(check.columns)
    assert check["point"].nunique() == HELD_OUT
    assert (check["variance_scale"] >= 1).all() and (sobol["variance_scale"].dropna() >= 1).all()
    assert "checked by cross-validation on the design" in printed
    driven = pd.read_csv(out / "prior_driven_emulated.csv")
    assert list(driven["answer"]) == answers
    meta = json.loads((out / "sensitivity_emulated.json").read_text())
    assert meta["route"] == "emulator" and meta["design_points"] == 8
    assert meta["base_sample"] == 1024  # the study's emulator_base_sample
    assert "--route emulator" in meta["command"]
    assert not (out / "sobol.csv").exists()  # the direct route's files are not written
    by_points = pd.read_csv(out / "sobol_emulated_by_points.csv")
    assert list(by_points["design_points"].unique()) == [4, 8]  # the design's first half, then all of it
    assert set(by_points["answer"]) <= set(answers) and "points_for_width" in by_points.columns
    assert "sets" in printed and "sobol_emulated_by_points.csv" in printed

    # more sets asked for later: the nested design keeps the 8 run, so only the 4 new ones run
    (tmp_path / "small.toml").write_text(STUDY.replace("emulator_points = 8", "emulator_points = 12"))
    said: list[str] = []
    grown = api.sensitivity(
        tmp_path / "small.toml", route="emulator", workers=1, out=out, resume=True, progress=said.append
    )
    assert grown.runs_now == 4 * 2  # 4 sets x (reference, mdt) x 1 replication
    assert "Emulator design: 64 runs, 56 of them stored already" in said  # (12 + 20 held out) x 2; (8 + 20) x 2
    assert any(line.startswith("Emulators: ") and line.endswith(" answers") for line in said)  # then the reading
    meta = json.loads((out / "sensitivity_emulated.json").read_text())
    assert meta["design_points"] == 12 and meta["runs_made"] == 4 * 2


def test_an_unknown_route_is_one_line_before_any_run(tmp_path, capsys):
    (tmp_path / "reference.toml").write_text(REFERENCE)
    (tmp_path / "mdt.toml").write_text(MDT)
    (tmp_path / "small.toml").write_text(STUDY)
    with pytest.raises(SettingsError, match="--route"):
        api.sensitivity(tmp_path / "small.toml", route="emulators", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    assert main(["sensitivity", str(tmp_path / "small.toml"), "--route", "emulators"]) == 2
    assert "caresim: error: --route" in capsys.readouterr().err


def _study(tmp_path: Path) -> Path:
    """The small study and its two scenarios, written into ``tmp_path``: the study's path."""
    (tmp_path / "reference.toml").write_text(REFERENCE)
    (tmp_path / "mdt.toml").write_text(MDT)
    path = tmp_path / "small.toml"
    path.write_text(STUDY)
    return path


def test_the_design_size_is_a_sensitivity_key_checked_before_any_run(tmp_path):
    path = _study(tmp_path)
    assert load_study(path).sensitivity.emulator_points == 8
    path.write_text(STUDY.replace("emulator_points = 8\n", ""))
    assert load_study(path).sensitivity.emulator_points is None  # ten per parameter
    path.write_text(STUDY.replace("emulator_points = 8", "emulator_points = 2"))
    with pytest.raises(StudyError, match="sensitivity.emulator_points"):
        load_study(path)


def test_the_emulators_base_sample_is_a_sensitivity_key_checked_before_any_run(tmp_path):
    path = _study(tmp_path)
    assert load_study(path).sensitivity.emulator_base_sample == 1024
    path.write_text(STUDY.replace("emulator_base_sample = 1024\n", ""))
    assert load_study(path).sensitivity.emulator_base_sample is None  # sobol_emulated.BASE_SAMPLE
    path.write_text(STUDY.replace("emulator_base_sample = 1024", "emulator_base_sample = 3000"))
    with pytest.raises(StudyError, match="power of two.*3000; try 2048 or 4096"):
        load_study(path)
    for wrong in ("32", "131072", "1.5"):
        path.write_text(STUDY.replace("emulator_base_sample = 1024", f"emulator_base_sample = {wrong}"))
        with pytest.raises(StudyError, match="sensitivity.emulator_base_sample"):
            load_study(path)
    path.write_text(STUDY.replace("emulator_base_sample = 1024", "emulator_base_samples = 1024"))
    with pytest.raises(StudyError, match="emulator_base_samples.*emulator_base_sample"):
        load_study(path)


def test_the_route_reads_the_study_base_sample_unless_told_another():
    evaluate = Fake()
    evaluate.study.sensitivity.emulator_base_sample = 256
    assert analyse_emulated(evaluate, PARAMS, ANSWERS, m=4, resamples=4, conditioning=64).base_sample == 256
    evaluate.study.sensitivity.emulator_base_sample = None
    found = analyse_emulated(evaluate, PARAMS, ANSWERS, n=128, m=4, resamples=4, conditioning=64)
    assert found.base_sample == 128


def test_the_emulator_route_has_replications_of_its_own_unless_told_another(tmp_path, monkeypatch):
    """``emulator_replications`` sets the emulator route's runs per set; the direct route and ``--reps`` are
    unchanged by it, and a wrong value is one line before any run."""
    path = _study(tmp_path)
    assert load_study(path).sensitivity.emulator_replications is None  # the table's replications
    path.write_text(STUDY.replace("emulator_points = 8", "emulator_points = 8\nemulator_replications = 3"))
    study = load_study(path)
    assert study.sensitivity.emulator_replications == 3 != study.sensitivity.replications
    ran: list[int] = []

    class Stop(Exception):
        pass

    def stop(evaluate, *args, **kwargs):  # what the route would run, then no run
        ran.append(evaluate.study.replications)
        raise Stop

    monkeypatch.setattr(sensitivity_analysis, "_emulated", stop)
    for reps in (None, 2):
        with pytest.raises(Stop):
            api.sensitivity(path, route="emulator", reps=reps, workers=1, out=tmp_path / f"out{reps}", progress=False)
    monkeypatch.setattr(sensitivity_study, "analyse", stop)
    with pytest.raises(Stop):
        api.sensitivity(path, workers=1, out=tmp_path / "out", force=True, progress=False)
    assert ran == [3, 2, study.sensitivity.replications]  # the route's own; --reps over it; the direct route's
    for wrong in ("0", "2.5"):
        path.write_text(STUDY.replace("emulator_points = 8", f"emulator_points = 8\nemulator_replications = {wrong}"))
        with pytest.raises(StudyError, match="sensitivity.emulator_replications"):
            load_study(path)
    path.write_text(STUDY.replace("emulator_points = 8", "emulator_points = 8\nemulator_replication = 3"))
    with pytest.raises(StudyError, match="emulator_replication.*emulator_replications"):
        load_study(path)
