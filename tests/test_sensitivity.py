"""Sensitivity analysis (sim.calibration.sensitivity): Morris screening and Sobol indices on functions with
known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.calibration.sensitivity import (
    _bootstrap,
    morris,
    morris_design,
    morris_indices,
    screen,
    sobol,
    sobol_design,
    sobol_evaluations,
)


class Counted:
    """A batch evaluator that records the shape of every batch it is given."""

    def __init__(self, f):
        self.f = f
        self.batches: list[tuple[int, ...]] = []

    def __call__(self, X: np.ndarray) -> np.ndarray:
        self.batches.append(X.shape)
        return self.f(X)


LOW = np.array([0.0, -1.0, 10.0, 0.0, 5.0])
HIGH = np.array([1.0, 3.0, 20.0, 0.5, 6.0])
COEF = np.array([2.0, -0.5, 0.3, 0.0, 0.0])  # the last two parameters are inert
NAMES = ["a", "b", "c", "inert1", "inert2"]


def linear(X: np.ndarray) -> np.ndarray:
    """Two outputs: a linear one, and one with an interaction and a curve in a and b only."""
    return np.column_stack([X @ COEF, X[:, 0] * X[:, 1] + X[:, 2] ** 2 / 100])


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function of its first three columns; any further column is inert."""
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 2]
    return (np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1))[:, None]


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first- and total-order indices of Ishigami on [-pi, pi]^3."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = 8 * b**2 * np.pi**8 / 225
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


# --- Morris -------------------------------------------------------------------


@pytest.mark.parametrize("levels", [2, 4, 6])
def test_design_stays_in_the_box_and_moves_one_parameter_per_step(levels):
    r, d = 12, LOW.size
    X = morris_design(LOW, HIGH, trajectories=r, levels=levels, seed=3)
    assert X.shape == ((d + 1) * r, d)
    assert np.all(X >= LOW - 1e-12) and np.all(X <= HIGH + 1e-12)
    unit = (X - LOW) / (HIGH - LOW)
    assert np.allclose(unit * (levels - 1), np.round(unit * (levels - 1)))  # on the grid
    steps = np.diff(unit.reshape(r, d + 1, d), axis=1)
    moved = np.abs(steps) > 1e-12
    assert np.all(moved.sum(axis=2) == 1)  # one parameter per step
    assert np.all(moved.sum(axis=1) == 1)  # every parameter once per trajectory
    assert np.allclose(np.abs(steps[moved]), levels / (2 * (levels - 1)))


def test_design_is_deterministic_given_the_seed():
    assert np.array_equal(morris_design(LOW, HIGH, 8, 4, seed=5), morris_design(LOW, HIGH, 8, 4, seed=5))
    assert not np.array_equal(morris_design(LOW, HIGH, 8, 4, seed=5), morris_design(LOW, HIGH, 8, 4, seed=6))


def test_morris_on_a_linear_function_gives_coefficient_times_range():
    f = Counted(linear)
    out = morris(f, NAMES, LOW, HIGH, ["lin", "mixed"], trajectories=10, seed=2)
    assert f.batches == [((len(NAMES) + 1) * 10, len(NAMES))]  # one batch for the whole design
    assert out.attrs["evaluations"] == 60
    assert list(out.columns) == ["parameter", "output", "mu", "mu_star", "sigma"]
    assert len(out) == len(NAMES) * 2
    lin = out[out.output == "lin"].set_index("parameter").loc[NAMES]
    assert np.allclose(lin["mu"], COEF * (HIGH - LOW))
    assert np.allclose(lin["mu_star"], np.abs(COEF) * (HIGH - LOW))
    assert np.allclose(lin["sigma"], 0.0)
    mixed = out[out.output == "mixed"].set_index("parameter")
    assert np.all(mixed.loc[["a", "b"], "sigma"] > 0)  # the interaction shows up as spread


def test_inert_parameters_have_zero_mu_star_and_are_screened_out():
    out = morris(linear, NAMES, LOW, HIGH, ["lin", "mixed"], trajectories=10, seed=2)
    inert = out[out.parameter.isin(["inert1", "inert2"])]
    assert np.all(inert["mu_star"] == 0.0) and np.all(inert["mu"] == 0.0)
    assert screen(out) == ["a", "b", "c"]


def test_screen_keeps_a_parameter_that_matters_for_any_output():
    indices = pd.DataFrame(
        {
            "parameter": ["p", "q", "r"] * 2,
            "output": ["y1"] * 3 + ["y2"] * 3,
            "mu_star": [10.0, 0.5, 2.0, 0.0, 1.0, 0.05],
        }
    )
    assert screen(indices, keep_share=0.1) == ["p", "q", "r"]
    assert screen(indices, keep_share=0.3) == ["p", "q"]
    assert screen(indices, keep_share=1.0) == ["p", "q"]


def test_morris_indices_takes_a_precomputed_design():
    X = morris_design(LOW, HIGH, trajectories=6, levels=4, seed=9)
    out = morris_indices(X, linear(X)[:, 0], LOW, HIGH, levels=4)
    assert list(out["parameter"]) == [f"x{i}" for i in range(5)] and set(out["output"]) == {"y0"}
    assert np.allclose(out["mu"], COEF * (HIGH - LOW))
    with pytest.raises(ValueError):
        morris_indices(X[:-1], linear(X[:-1]), LOW, HIGH)


def test_morris_is_deterministic_given_the_seed():
    a = morris(linear, NAMES, LOW, HIGH, ["lin", "mixed"], trajectories=5, seed=4)
    b = morris(linear, NAMES, LOW, HIGH, ["lin", "mixed"], trajectories=5, seed=4)
    pd.testing.assert_frame_equal(a, b)


# --- Sobol --------------------------------------------------------------------


def test_sobol_recovers_the_ishigami_indices_and_an_inert_parameter_gets_none():
    low, high = np.array([-np.pi] * 4), np.array([np.pi] * 4)
    f = Counted(ishigami)
    n = 1024
    out = sobol(f, ["x1", "x2", "x3", "inert"], low, high, ["y"], n=n, seed=1)
    assert f.batches == [(6 * n, 4)]  # the whole design in one call
    assert out.attrs["evaluations"] == sobol_evaluations(4, n) == 6 * n
    s1, st = ishigami_indices()
    got = out.set_index("parameter")
    assert np.allclose(got.loc[["x1", "x2", "x3"], "first_order"], s1, atol=0.05)
    assert np.allclose(got.loc[["x1", "x2", "x3"], "total_order"], st, atol=0.05)
    assert abs(got.loc["inert", "first_order"]) < 0.01 and abs(got.loc["inert", "total_order"]) < 0.01
    for col in ("first_order", "total_order"):  # intervals cover the estimate where they are defined
        lo, hi = got[f"{col}_low"], got[f"{col}_high"]
        ok = lo.notna() & hi.notna()
        assert ok.loc[["x1", "x2"]].all()
        assert np.all(lo[ok] <= got.loc[ok, col] + 1e-9) and np.all(got.loc[ok, col] <= hi[ok] + 1e-9)


def test_sobol_with_several_outputs_and_determinism():
    names, outputs = NAMES, ["lin", "mixed"]
    f = Counted(linear)
    a = sobol(f, names, LOW, HIGH, outputs, n=128, seed=7, bootstrap=False)
    b = sobol(linear, names, LOW, HIGH, outputs, n=128, seed=7, bootstrap=False)
    pd.testing.assert_frame_equal(a, b)
    assert f.batches == [(7 * 128, 5)]
    assert list(a.columns) == ["parameter", "output", "first_order", "total_order"]
    lin = a[a.output == "lin"].set_index("parameter")
    share = (COEF * (HIGH - LOW)) ** 2 / np.sum((COEF * (HIGH - LOW)) ** 2)  # additive: S_i = c_i^2 var_i / var
    assert np.allclose(lin.loc[NAMES, "first_order"], share, atol=0.03)
    assert np.allclose(lin.loc[NAMES, "total_order"], share, atol=0.03)
    assert np.all(a[a.parameter.str.startswith("inert")][["first_order", "total_order"]].abs() < 1e-12)


def test_sobol_bootstrap_is_deterministic_and_leaves_global_state_alone():
    low, high = np.array([-np.pi] * 3), np.array([np.pi] * 3)
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = sobol(ishigami, ["x1", "x2", "x3"], low, high, ["y"], n=64, seed=2, n_resamples=199)
    assert np.random.random() == before
    b = sobol(ishigami, ["x1", "x2", "x3"], low, high, ["y"], n=64, seed=2, n_resamples=199)
    pd.testing.assert_frame_equal(a, b)


def test_sobol_bootstrap_draws_from_its_own_generator_not_numpys_global_one():
    low, high = np.array([-np.pi] * 3), np.array([np.pi] * 3)
    runs = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # scipy's SobolResult.bootstrap would draw from this
        runs.append(sobol(ishigami, ["x1", "x2", "x3"], low, high, ["y"], n=64, seed=2, n_resamples=199))
    pd.testing.assert_frame_equal(runs[0], runs[1])
    rng = np.random.default_rng(0)  # the same outputs resampled from two seeds: different intervals
    f_A, f_B, f_AB = rng.normal(size=(1, 64)), rng.normal(size=(1, 64)), rng.normal(size=(3, 1, 64))
    f_AB[0] += f_A  # the first input matters
    one, two = _bootstrap(f_A, f_B, f_AB, 199, 2), _bootstrap(f_A, f_B, f_AB, 199, 3)
    assert one[0].shape == (2, 3, 1) and np.all(one[0] <= one[1])
    assert not np.array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[0], _bootstrap(f_A, f_B, f_AB, 199, 2)[0])


def test_sobol_bootstrap_intervals_are_scipys_up_to_the_resamples_drawn():
    n, low, high = 256, np.array([-np.pi] * 3), np.array([np.pi] * 3)
    Y = ishigami(sobol_design(low, high, n, 1)).T  # (k = 1, (d + 2) n)
    f_A, f_B, f_AB = Y[:, :n], Y[:, n : 2 * n], np.moveaxis(Y[:, 2 * n :].reshape(1, n, 3), -1, 0)
    res = stats.sobol_indices(func={"f_A": f_A, "f_B": f_B, "f_AB": f_AB}, n=n)
    np.random.seed(5)  # scipy's resamples come from the global generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = res.bootstrap(n_resamples=999)
    low_ours, high_ours = _bootstrap(f_A, f_B, f_AB, 999, 5)
    for i, part in enumerate((theirs.first_order, theirs.total_order)):
        np.testing.assert_allclose(low_ours[i].ravel(), part.confidence_interval.low.ravel(), atol=0.03)
        np.testing.assert_allclose(high_ours[i].ravel(), part.confidence_interval.high.ravel(), atol=0.03)


def test_sobol_rejects_bad_input():
    with pytest.raises(ValueError):
        sobol(ishigami, ["x1", "x2", "x3"], [0, 0, 0], [1, 1, 1], ["y"], n=100)  # not a power of 2
    with pytest.raises(ValueError):
        sobol(linear, NAMES, LOW, HIGH, ["only one"], n=16, bootstrap=False)  # evaluate gives two outputs
    with pytest.raises(ValueError):
        morris_design([0, 1], [1, 0])
