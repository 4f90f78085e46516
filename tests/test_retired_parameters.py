"""Parameters an earlier version had: a scenario naming one is told what replaced it; a posterior sample
fitted by that version leaves the column out and says so (sim/parameters/retired.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.analysis.posterior import load_posterior, retired_columns
from sim.cli.main import main
from sim.parameters.params import Params
from sim.parameters.retired import RETIRED
from sim.parameters.tree import ParameterError, apply_overrides

ROOT = Path(__file__).resolve().parents[1]
RETIRED_NAME = "mdt.unmet_need_admission_hr"


def test_every_retired_name_is_gone_from_the_parameters():
    for path in RETIRED:
        group, name = path.split(".")
        assert not hasattr(getattr(Params(), group), name), path


def test_a_retired_parameter_is_refused_with_what_replaced_it():
    with pytest.raises(ParameterError, match="was retired in 0.4.0: .*ae_referral_share"):
        apply_overrides(Params(), {"mdt": {"unmet_need_admission_hr": 1.2}})
    with pytest.raises(ParameterError, match="did you mean 'mdt.crisis_reduction'"):  # a misspelling is still a guess
        apply_overrides(Params(), {"mdt": {"crisis_reductio": 0.1}})


def test_a_scenario_file_naming_one_gets_one_line(tmp_path, capsys):
    bad = tmp_path / "old.toml"
    bad.write_text('name = "old"\nextends = "baseline"\n\n[mdt]\nunmet_need_admission_hr = 1.5\n', encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "retired in 0.4.0" in err[0] and err[0].startswith("caresim: error:")


def test_a_posterior_sample_leaves_a_retired_column_out(tmp_path):
    rows = np.array([[0.1, 1.4, 0.5], [0.2, 1.6, 0.5]])
    text = "mdt.crisis_reduction," + RETIRED_NAME + ",weight\n" + "\n".join(",".join(map(str, r)) for r in rows)
    path = tmp_path / "posterior.csv"
    path.write_text(text + "\n", encoding="utf-8")
    sample = load_posterior(path)
    assert sample.names == ("mdt.crisis_reduction",)
    assert sample.values[:, 0].tolist() == [0.1, 0.2]
    assert retired_columns(path) == (RETIRED_NAME,)
    draw = sample.draws(2, seed=1)[0]
    assert [name for name, _ in draw.values] == ["mdt.crisis_reduction"]
