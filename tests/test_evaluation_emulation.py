"""The evaluations' estimator (sim.outcomes.evaluation) on known answers, the placebo, and compare's rows."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.main import main
from sim.outcomes.evaluation import EVALUATED, did_estimate, load_designs

ROOT = Path(__file__).resolve().parents[1]


def counts(n: int, before: float, after: float, py: float = 1.0) -> pd.DataFrame:
    """n people each with ``before`` and ``after`` events of every metric over ``py`` years each side."""
    out = {"py_before": np.full(n, py), "py_after": np.full(n, py)}
    for m in EVALUATED:
        out[f"{m}_before"] = np.full(n, before * py)
        out[f"{m}_after"] = np.full(n, after * py)
    return pd.DataFrame(out)


def test_no_change_estimates_zero():
    # the cases' rate halves as the controls' does: on the ratio scale, no effect
    e = did_estimate(counts(10, 2.0, 1.0), counts(50, 1.0, 0.5))
    assert np.allclose(e["pct_change"], 0.0)
    assert np.allclose(e["observed"], e["counterfactual"])


def test_a_fall_in_controls_larger_than_the_cases_rate_still_gives_an_estimate():
    # controls 0.35 -> 0.09 a year, cases 0.25 before: the additive counterfactual would be below zero
    e = did_estimate(counts(10, 0.25, 0.1), counts(50, 0.35, 0.09))
    expected = 100.0 * (0.1 / (0.25 * 0.09 / 0.35) - 1.0)
    assert np.allclose(e["pct_change"], expected) and (e["counterfactual"] > 0).all()


def test_a_rise_in_cases_only_is_found():
    e = did_estimate(counts(10, 2.0, 2.6), counts(50, 1.0, 1.0))
    assert np.allclose(e["pct_change"], 30.0)


def test_control_weights_count():
    controls = pd.concat([counts(1, 1.0, 2.0), counts(1, 1.0, 1.0)], ignore_index=True)
    controls["weight"] = [0.0, 1.0]  # only the unchanged control counts
    e = did_estimate(counts(4, 1.0, 1.0), controls)
    assert np.allclose(e["pct_change"], 0.0)


def test_designs_file_states_both_evaluations():
    designs, default = load_designs()
    assert {"integrated_care_pilot", "case_management"} <= set(designs) and default in designs
    assert designs["case_management"].after_days < designs["integrated_care_pilot"].after_days


def test_compare_of_the_placebo_writes_mdt_and_matched_rows(tmp_path):
    out = tmp_path / "out"
    args = ["compare", str(ROOT / "scenarios" / "baseline.toml"), str(ROOT / "scenarios" / "placebo_mdt.toml")]
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--population", "20000", "--reps", "2", "--out", str(out)])
    assert code == 0
    kpis = pd.read_csv(out / "kpis.csv")
    assert {"mdt:placebo_mdt", "matched:placebo_mdt"} <= set(kpis["cohort"])
    table = pd.read_csv(out / "comparison.csv").set_index(["cohort", "metric"])
    for m in EVALUATED:
        # the same people's true effect is exactly zero; the evaluation's estimate is a number
        assert table.loc[("mdt", m), "diff_mean"] == 0.0
        assert np.isfinite(table.loc[("matched:placebo_mdt", m), "pct_change"])


def test_each_design_has_the_placebo_of_the_scenario_it_evaluates():
    """Case management's design is judged on case management's case finding, the pilots' on theirs: at the
    launch each placebo enrols exactly the people its scenario enrols."""
    from sim.calibration.evaluation_bias import placebo_for
    from sim.replication.single import build
    from sim.scenarios.scenario import RunSettings, load

    settings = RunSettings(population=20_000, horizon_days=60.0, warmup_days=90.0)
    designs, _ = load_designs()
    for name in ("integrated_care_pilot", "case_management"):  # each design evaluates the scenario of its name
        placebo = load(placebo_for(designs[name]), settings)
        real = load(ROOT / "scenarios" / f"{name}.toml", settings)
        enrolled = []
        for s in (placebo, real):
            m = build(s.params, seed=2, replication=0, prelaunch=s.prelaunch)
            m.env.run(until=m.window_start + 1e-6)
            enrolled.append({i for i, d in enumerate(m.mdt) if d >= 0})
        assert designs[name].scenarios == (name,)
        assert enrolled[0] and enrolled[0] == enrolled[1], name
