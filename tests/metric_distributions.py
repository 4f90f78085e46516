"""The main metrics' distributions at a small place, summarised over replications.

A change to the model's code that changes which random numbers are drawn (say,
a hazard no longer redrawn when nothing about it changed) must leave what the
model means alone: the same metrics in distribution.  ``summarise`` gives the
mean, standard deviation and count over replications of each quantity below;
``tests/test_metric_distributions.py`` compares them with a stored
reference made by an earlier version of the model.

The stored reference is remade only on purpose, when the model's meaning is
meant to change (new parameters, a new pathway), never to make the test pass:

    python tests/metric_distributions.py --reps 100 --seed 1 --out tests/reference/metric_distributions.csv
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sim  # noqa: E402
from sim.analysis.compare import MDT_PREFIX, run_comparison  # noqa: E402
from sim.scenarios.scenario import RunSettings, baseline, load  # noqa: E402

# none of the quantities is an emulated evaluation's estimate, so the controls' place stays this place's
# size, as in the suite (tests/conftest.py), rather than 250,000 people for every replication
os.environ.setdefault("CARESIM_POOL_POPULATION", "0")
POPULATION, HORIZON_DAYS, WARMUP_DAYS = 20_000, 365.0, 180.0
PILOT = "integrated_care_pilot"
# counts and days of the whole cohort, in the baseline and in the pilot scenario
LEVELS = (
    "person_years",
    "crises",
    "ae_attendances",
    "emergency_admissions",
    "elective_admissions",
    "elective_cancellations",
    "outpatient_attendances",
    "readmissions_30d",
    "gp_contacts",
    "bed_days",
    "delayed_discharge_days",
    "delayed_days_nhs",
    "delayed_days_social_care",
    "trolley_wait_hours",
    "ae_waits_over_4h",
    "elective_waiting_list_mean",
    "care_home_admissions",
    "deaths",
    "deaths_in_hospital",
    "at_home_91d_after_reablement",
    "cost_total_gbp",
)
# the calibrated changes: the pilot's enrolled people against the same people in the baseline run (per cent)
CHANGES = ("emergency_admissions", "elective_admissions", "outpatient_attendances")
COLUMNS = ["quantity", "mean", "sd", "n"]


def per_replication(reps: int, seed: int) -> pd.DataFrame:
    """One row per replication and quantity: ``replication, quantity, value``."""
    settings = RunSettings(population=POPULATION, horizon_days=HORIZON_DAYS, warmup_days=WARMUP_DAYS)
    scenarios = [baseline(settings), load(ROOT / "scenarios" / f"{PILOT}.toml", settings)]
    k = run_comparison(scenarios, reps, seed)["kpis"]
    value = k.set_index(["scenario", "replication", "cohort", "metric"])["value"]
    rows = []
    for rep in range(reps):
        for scenario in ("baseline", PILOT):
            for metric in LEVELS:
                rows.append((rep, f"{scenario}/all/{metric}", value[(scenario, rep, "all", metric)]))
        rows.append((rep, f"{PILOT}/mdt/person_years", value[(PILOT, rep, "mdt", "person_years")]))
        for metric in CHANGES:
            with_mdt = value[(PILOT, rep, "mdt", metric)]
            without = value[("baseline", rep, MDT_PREFIX + PILOT, metric)]
            rows.append((rep, f"{PILOT}/mdt/pct_change_{metric}", 100.0 * (with_mdt / without - 1.0)))
    return pd.DataFrame(rows, columns=["replication", "quantity", "value"])


def summarise(reps: int, seed: int) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1) and number of replications of every quantity."""
    g = per_replication(reps, seed).groupby("quantity", sort=False)["value"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}).reset_index()
    return out[COLUMNS]


def z_scores(now: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each quantity's difference of means over its standard error, now against the reference.

    Under the hypothesis tested (the same distribution now as in the reference) both samples share
    one standard deviation, and the reference's, from 100 replications, estimates it far better
    than a dozen replications can: with heavy-tailed quantities (a per-cent change in a small
    enrolled cohort) a dozen often miss the tails and understate it by half, which a Welch standard
    error would carry into z.
    """
    both = now.merge(reference, on="quantity", suffixes=("", "_ref"), validate="one_to_one")
    se = both["sd_ref"] * np.sqrt(1.0 / both["n"] + 1.0 / both["n_ref"])
    both["z"] = (both["mean"] - both["mean_ref"]) / se
    return both


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    table = summarise(a.reps, a.seed)
    with open(a.out, "w", encoding="utf-8") as f:  # the first line says which version made it, and how
        f.write(
            f"# made with caresim {sim.__version__} by: python tests/metric_distributions.py --reps {a.reps} "
            f"--seed {a.seed} --out {a.out.as_posix()}\n"
        )
        table.to_csv(f, index=False, float_format="%.10g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
