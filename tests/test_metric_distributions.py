"""Optimisations that change the draws leave the main metrics' distributions where they were.

The stored reference (``tests/reference/metric_distributions.csv``, its first line
says which version made it and how) holds the mean and standard deviation over
100 replications, remade on purpose with version 0.4.0, whose discharges wait
for places that run out, whose social care prevents crises, whose MDT works
through mechanisms and whose costs count every pound once.
Here the current model runs 12 replications with another seed; every quantity
(levels of the baseline and the pilot scenario, and the pilot's calibrated
changes in the enrolled people) must lie within 4 standard errors of the
reference mean, in units of the reference's standard deviation.  With 12 replications z is close
to Student's t with about 13 degrees of freedom, so under the null each quantity passes with probability
about 0.998 (the seed is fixed: the outcome is the same on every run); a
shift of a tenth in outpatient attendances gives z of about 30, in crises 10.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from metric_distributions import COLUMNS, summarise, z_scores

REFERENCE = Path(__file__).resolve().parent / "reference" / "metric_distributions.csv"
REPS, SEED = 12, 2
LIMIT = 4.0


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE, comment="#")


@pytest.fixture(scope="module")
def scores(reference) -> pd.DataFrame:
    return z_scores(summarise(REPS, SEED), reference)


def test_every_reference_quantity_is_measured(scores, reference):
    assert len(scores) == len(reference) >= 30
    assert (scores["n"] == REPS).all() and (scores["n_ref"] >= 60).all()


def test_main_metrics_keep_their_distribution(scores):
    far = scores[scores["z"].abs() > LIMIT]
    assert far.empty, "\n" + far[["quantity", "mean", "mean_ref", "z"]].to_string()


def test_the_comparison_would_see_a_shifted_mean(scores, reference):
    """The same comparison flags a mean moved by a tenth (outpatient attendances, crises): the test has power."""
    for quantity in ("baseline/all/outpatient_attendances", "baseline/all/crises"):
        shifted = scores[scores["quantity"] == quantity][COLUMNS].copy()
        shifted["mean"] *= 1.1
        assert z_scores(shifted, reference)["z"].abs().iloc[0] > LIMIT, quantity
