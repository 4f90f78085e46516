"""A sensitivity-only study: a ``[sensitivity]`` table with no ``[[target]]`` or ``[[prior]]`` (calibration/costs.toml).

``caresim sensitivity`` reads it, every parameter being a ``[[sensitivity.prior]]``; ``sweep`` and ``calibrate``,
which fit targets, refuse it in one line.  The model test runs a small place with two prices: the share of an
emergency admission's price that is not ward time, which moves the total cost, and the minutes of an MDT
meeting, which cannot move anything at a baseline without an MDT.  Prices change money only, so under common
random numbers emergency admissions are the same in every parameter set.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.sensitivity_study import answer_study, parameters
from sim.calibration.study import StudyError, load_study
from sim.cli.main import main
from sim.outcomes import registry
from sim.parameters.params import Params
from sim.parameters.tree import walk

pytestmark = pytest.mark.timeout(900)  # the sensitivity command runs the model through an executor

ROOT = Path(__file__).resolve().parents[1]
NON_WARD = "costs.emergency_non_ward_share"
MEETING = "costs.mdt_meeting_minutes"

REFERENCE = """name = "small_place"
description = "The baseline at a small place, with beds enough that the hospital is not blocked."
extends = "baseline"

[acute]
beds_per_100k = 1000
"""

STUDY = f"""name = "small_costs"
description = "Two prices at a small place, and nothing to fit."
reference = "reference.toml"
replications = 1
seed = 1
population = 2000
horizon_days = 240
warmup_days = 60

[sensitivity]
metrics = ["cost_total_gbp", "emergency_admissions"]
samples = 4
morris_trajectories = 2

[[sensitivity.prior]]
parameter = "{NON_WARD}"
low = 0.25
high = 0.65
reason = "assumption (test)"

[[sensitivity.prior]]
parameter = "{MEETING}"
low = 5.0
high = 20.0
reason = "assumption (test)"
"""


def write_study(folder: Path, text: str = STUDY) -> Path:
    (folder / "reference.toml").write_text(REFERENCE)
    path = folder / "small_costs.toml"
    path.write_text(text)
    return path


def test_it_loads_for_the_sensitivity_analysis_with_every_parameter_uninformed(tmp_path):
    study = load_study(write_study(tmp_path), require_fit=False)
    assert study.targets == () and study.priors == ()
    assert [p.parameter for p in study.sensitivity.priors] == [NON_WARD, MEETING]
    params = parameters(study, tmp_path / "fitted" / "small_costs")
    assert [(p.name, p.informed) for p in params] == [(NON_WARD, False), (MEETING, False)]
    runner_study, answers = answer_study(study, params)
    assert [a.name for a in answers] == ["small_place:cost_total_gbp", "small_place:emergency_admissions"]
    assert runner_study.names == (NON_WARD, MEETING)


@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_sweep_and_calibrate_refuse_it_in_one_line(command, tmp_path, capsys):
    path = write_study(tmp_path)
    out = tmp_path / "out"
    code = main([command, str(path), "--out", str(out), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("caresim: error: ") and "small_costs.toml" in err
    assert "at least one [[target]] table is needed" in err and "caresim sensitivity" in err
    assert not out.exists()


def test_without_a_sensitivity_table_a_study_still_needs_targets(tmp_path):
    text = STUDY.split("[sensitivity]")[0]
    with pytest.raises(StudyError, match=r"at least one \[\[target\]\] table is needed$"):
        load_study(write_study(tmp_path, text), require_fit=False)


def test_the_sensitivity_command_scores_prices_as_prior_driven_and_events_as_unmoved(tmp_path, capsys):
    path = write_study(tmp_path)
    out = tmp_path / "out"
    code = main(["sensitivity", str(path), "--workers", "1", "--quiet", "--out", str(out)])
    printed, err = capsys.readouterr()
    assert code == 0, err
    sobol = pd.read_csv(out / "sobol.csv").set_index(["metric", "parameter"])
    cost = sobol.loc["cost_total_gbp"]
    assert cost.loc[NON_WARD, "total"] > 0.5  # the non-ward share moves the acute trust's cost of every admission
    assert cost.loc[MEETING, "total"] == 0 and cost.loc[MEETING, "first_order"] == 0  # no MDT, no meetings
    assert np.isnan(sobol.loc["emergency_admissions", "total"]).all()  # prices change no event
    assert "emergency admissions, level: no indices: does not vary" in printed
    driven = pd.read_csv(out / "prior_driven.csv").set_index("metric")
    assert driven.loc["cost_total_gbp", "uninformed_share"] == 1 and driven.loc["cost_total_gbp", "prior_driven"]
    assert pd.read_csv(out / "parameters.csv")["prior_driven"].all()


# --- the committed study -------------------------------------------------------------------------


def _stated_range(source: str) -> tuple[float, float]:
    """The 'range X to Y' a parameter's source states (numbers may have thousands separators)."""
    found = re.search(r"range ([\d.,]+) to ([\d.,]+)", source)
    assert found, source
    return tuple(float(v.replace(",", "")) for v in found.groups())


def test_the_costs_study_varies_assumed_prices_over_their_stated_ranges():
    study = load_study(ROOT / "calibration" / "costs.toml", require_fit=False)
    s = study.sensitivity
    assert study.targets == () and study.priors == ()
    assert study.reference.name == "baseline.toml"
    assert {f.name for f in s.scenarios} == {"resource_shift.toml", "pioneer.toml"}
    assert {"cost_total_gbp", "cost_payment_total_gbp"} <= set(s.metrics)
    assert all(m in registry.NAMES and m.startswith("cost_") for m in s.metrics)
    sources = {key: meta["source"] for key, _, meta in walk(Params())}
    for p in s.priors:
        assert p.parameter.startswith("costs.") and sources[p.parameter].startswith("assumption"), p.parameter
        assert (p.low, p.high) == _stated_range(sources[p.parameter]), p.parameter
        assert p.reason.startswith("assumption")
