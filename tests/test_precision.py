"""The replications rule (Hoad, Robinson and Davies 2010) and the experiment that adds replications by it."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import write_experiment
from scipy import stats as sps

from sim.cli.main import main
from sim.experiments.precision import look_ahead, relative_half_widths, required


def test_relative_half_widths_match_the_t_interval():
    x = np.random.default_rng(3).normal(100, 15, 30)
    d = relative_half_widths(x)
    assert math.isnan(d[0])
    for k in (2, 5, 17, 30):
        half = sps.t.ppf(0.975, k - 1) * x[:k].std(ddof=1) / math.sqrt(k)
        assert d[k - 1] == pytest.approx(100 * half / abs(x[:k].mean()), rel=1e-9)


def test_required_waits_for_the_look_ahead():
    # precise except a wild second value, whose effect fades as replications are added
    x = np.full(20, 100.0) + np.tile([0.5, -0.5], 10)
    x[1] = 130.0
    d = relative_half_widths(x)
    target = 5.0
    n = required(x, target, 5)
    assert n is not None
    assert (d[n - 1 : n + 5] <= target).all()
    # no smaller n has its whole look-ahead within the target
    assert all(not (d[m - 1 : m + 5] <= target).all() for m in range(2, n))
    assert required(x[: n + 4], target, 5) is None  # the look-ahead not yet seen
    assert look_ahead(50, 5) == 5 and look_ahead(300, 5) == 15


@pytest.mark.timeout(600)  # runs the experiment command through its executor
def test_experiment_adds_replications_until_the_precision_is_reached(tmp_path, capsys):
    extra = """
[precision]
metrics = ["person_years", "crises"]
half_width_pct = 6.0
max_replications = 14
look_ahead = 2
"""
    exp = write_experiment(tmp_path, name="precise", reps=2, extra=extra, charts='charts = ["forest"]')
    out = tmp_path / "out"
    assert main(["experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    table = pd.read_csv(out / "replications.csv")
    kpis = pd.read_csv(out / "kpis.csv")
    run = int(kpis["replication"].max()) + 1
    assert 2 < run <= 14
    assert set(table["metric"]) == {"person_years", "crises"}
    for row in table.itertuples():
        grid = -1 if math.isnan(row.grid) else row.grid
        values = kpis[
            (kpis["scenario"] == row.scenario)
            & (kpis["grid"].fillna(-1) == grid)
            & (kpis["cohort"] == "all")
            & (kpis["metric"] == row.metric)
        ].sort_values("replication")["value"]
        assert len(values) == run
        n = required(values.to_numpy(), 6.0, 2)
        assert row.reached == (n is not None)
        if n is not None:
            assert row.n_required == n
    assert table["reached"].all(), table
    needed = int(max(n + look_ahead(n, 2) for n in table["n_required"].astype(int)))
    assert needed <= run < max(2 * needed, 3)  # rounds at most double, so the run stops soon after
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["replications"] == run and meta["precision"]["half_width_pct"] == 6.0
