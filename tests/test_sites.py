"""Heterogeneous sites (seed 003): the sites file, what each site would report, the noise floor, resuming.

The runs use eight sites of 2,000 people over 180 days with a scenario that has no MDT (an MDT would be
one co-ordinator at that size), so the whole module runs in well under a minute.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.sites import SitesError, load_sites
from sim.calibration.sites_run import plan_sites
from sim.cli.main import main
from sim.experiments.store import Store
from sim.parameters.params import Params
from sim.scenarios.scenario import scenario_hash

pytestmark = pytest.mark.timeout(900)  # the sites command on a serial executor and on a process pool

ROOT = Path(__file__).resolve().parents[1]
INFORMATION_SHARING = (ROOT / "scenarios" / "information_sharing.toml").as_posix()
SITES = 8
METRICS = ("delayed_discharge_days", "emergency_admissions", "at_home_91d_after_reablement")

SMALL = f"""name = "small"
description = "Eight identical places of 2,000 people; only their random numbers and one factor differ."
integration = "{INFORMATION_SHARING}"
integration_reason = "no MDT, so that a place of 2,000 people has all of the scenario"
sites = {SITES}
seed = 3
horizon_days = 180
warmup_days = 60
minimal_change_reason = "as in calibration/sites.toml"

[population]
low = 2000
high = 2000
reason = "small and fast, for tests"

[[baseline]]
name = "social_care_scale"
parameters = ["social_care.social_workers_per_100k", "social_care.reablement_places_per_100k"]
scale = [10.0, 10.0]
reason = "one social worker and two reablement places at 2,000 people; the same at every site"

[[factor]]
name = "information_sharing"
meaning = "0: separate records; 1: shared records"
beta = [1.0, 1.0]
reason = "uniform, for tests"

[[factor.map]]
parameter = "discharge.assessment_days"
scale = [1.0, 0.5]
reason = "for tests"
""" + "".join(
    f"""
[[metric]]
metric = "{metric}"
better = "{better}"
minimal_change = 0.02
reported_share = {share}
source = "seed 003_267f426e5480fa10.txt"
"""
    for metric, better, share in (
        ("delayed_discharge_days", "lower", 0.57),
        ("emergency_admissions", "lower", 0.42),
        ("at_home_91d_after_reablement", "higher", 0.41),
    )
)


def write(folder: Path, text: str, name: str = "small.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the file --------------------------------------------------------------------------------------


def test_committed_example_loads_and_fewer_sites_are_the_same_sites():
    study = load_sites(ROOT / "calibration" / "sites.toml")
    assert len(study.sites) == 60 and study.integration.name == "pioneer.toml" and study.reference is None
    assert [m.reported_share for m in study.metrics] == [0.57, 0.42, 0.41]
    assert {f.name for f in study.factors} == {
        "organisational_complexity",
        "information_sharing",
        "social_care_involvement",
        "staff_engagement",
    }
    low, high = study.population
    for site in study.sites:
        assert low <= site.population <= high
        assert all(0 <= v <= 1 for _, v in site.factors)
        assert site.integration.params.place.registered_population == site.population
    first = load_sites(ROOT / "calibration" / "sites.toml", sites=5)
    assert [(s.population, s.factors, s.differences) for s in first.sites] == [
        (s.population, s.factors, s.differences) for s in study.sites[:5]
    ]


def test_factors_change_the_integration_only_and_baselines_both(tmp_path):
    study = load_sites(write(tmp_path, SMALL))
    days = Params().discharge.assessment_days  # the baseline's
    for site in study.sites:
        level = dict(site.factors)["information_sharing"]
        assert site.before.params.discharge.assessment_days == days
        assert site.integration.params.discharge.assessment_days == pytest.approx(days * 0.67 * (1 - 0.5 * level))
        assert site.integration.prelaunch.discharge.assessment_days == days  # switched on at the launch
        for s in (site.before.params, site.integration.params, site.integration.prelaunch):
            assert s.social_care.social_workers_per_100k == 60.0


BAD = [
    ("sties = 3\n", "unknown key 'sties'; did you mean 'sites'?"),
    (
        'parameter = "discharge.assessment_days"',
        "unknown parameter 'discharge.assesment_days'; did you mean 'discharge.assessment_days'?",
        'parameter = "discharge.assesment_days"',
    ),
    ("low = 2000\n", "population: low (3,000) must not be above high (2,000)", "low = 3000\n"),
    ("beta = [1.0, 1.0]", "factor[1].beta: both shape parameters", "beta = [0, 1.0]"),
    ("minimal_change = 0.02", "metric[1].minimal_change is a share of the before value", "minimal_change = 1.5"),
    ("reported_share = 0.57", "metric[1].reported_share is a share of respondents", "reported_share = 1.2"),
    (
        "scale = [1.0, 0.5]",
        "factor[1].map[1].value: gives discharge.assessment_days = -1, outside its valid range",
        "value = [1.0, -1.0]",
    ),
    ("scale = [1.0, 0.5]", "factor[1].map[1].scale: multipliers must be 0 or more", "scale = [1.0, -1.0]"),
    ("scale = [1.0, 0.5]", "factor[1].map[1].on_above: 'discharge.assessment_days' is not a switch", "on_above = 0.5"),
    ("scale = [10.0, 10.0]", "gives no social worker", "scale = [0.0, 0.0]"),
    ('better = "lower"', "metric[1].better must be 'lower' or 'higher'", 'better = "fewer"'),
    ("sites = 8", "'sites' must be at least 2, got 1", "sites = 1"),
    (
        'metric = "emergency_admissions"',
        "unknown metric 'emergency_admission'; did you mean 'emergency_admissions'?",
        'metric = "emergency_admission"',
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[c[1][:40] for c in BAD])
def test_bad_files_give_one_line_naming_file_and_key(tmp_path, capsys, case):
    old, message, *new = case
    text = SMALL.replace(old, new[0], 1) if new else old + SMALL
    assert text != SMALL
    path = write(tmp_path, text)
    with pytest.raises(SitesError) as e:
        load_sites(path)
    assert str(e.value).startswith(path.as_posix() + ": ") and "\n" not in str(e.value)
    assert message in str(e.value)
    assert main(["sites", str(path), "--workers", "1", "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("caresim: error: ") and message in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_a_switch_the_scenario_does_not_turn_on_is_refused(tmp_path):
    text = SMALL.replace(
        'parameter = "discharge.assessment_days"\nscale = [1.0, 0.5]',
        'parameter = "mdt.social_care_in_team"\non_above = 0.5',
    )
    with pytest.raises(SitesError, match="off in the integration scenario"):
        load_sites(write(tmp_path, text))


def test_sites_never_share_random_numbers(tmp_path):
    study = load_sites(write(tmp_path, SMALL))
    tasks, roles = plan_sites(study)
    assert len({t.key for t in tasks}) == 3 * SITES
    reps = {}
    for t in tasks:
        site, _ = roles[t.key]
        reps.setdefault(site, set()).add(t.replication)
    assert all(len(r) == 2 for r in reps.values())  # before, and the two "after" runs (common random numbers)
    assert sum(len(r) for r in reps.values()) == len(set().union(*reps.values()))  # no index shared between sites


# --- the runs ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sites")
    path = write(folder, SMALL)
    out = folder / "out"
    assert main(["sites", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    return path, out


def test_shares_lie_in_0_1_with_intervals(ran):
    _, out = ran
    shares = pd.read_csv(out / "shares.csv")
    assert len(shares) == 6 and set(shares["scenario"]) == {"integration", "no effect"}
    assert set(shares["metric"]) == set(METRICS) and (shares["sites"] == SITES).all()
    assert (
        (0 <= shares["ci_low"])
        & (shares["ci_low"] <= shares["share"])
        & (shares["share"] <= shares["ci_high"])
        & (shares["ci_high"] <= 1)
    ).all()
    assert (shares["share"] == shares["improved"] / shares["sites"]).all()
    assert dict(zip(shares["metric"], shares["seed_share"])) == dict(zip(METRICS, (0.57, 0.42, 0.41)))
    assert (shares["minimal_change"] == 0.02).all() and shares["seed_source"].str.contains("seed 003").all()
    for name in ("sites.csv", "thresholds.csv", "shares.png", "metadata.json"):
        assert (out / name).is_file()


def test_the_noise_floor_is_centred_on_no_change(ran):
    table = pd.read_csv(ran[1] / "sites.csv")
    change = table["emergency_admissions_change_no_effect"].to_numpy()
    se = change.std(ddof=1) / np.sqrt(len(change))
    assert se > 0  # new random numbers: the "after" is not the "before" again
    assert abs(change.mean()) < 3 * se, (change.mean(), se)
    improved = table["emergency_admissions_improved_no_effect"]
    assert (improved == (change < -0.02)).all()


def test_identical_sites_report_different_befores(ran):
    path, out = ran
    study = load_sites(path)
    assert len({scenario_hash(s.before.params, s.before.prelaunch) for s in study.sites}) == 1
    table = pd.read_csv(out / "sites.csv")
    assert table["delayed_discharge_days_before"].nunique() == SITES  # days: a continuous measure
    assert table["emergency_admissions_before"].nunique() > 1  # counts may coincide, but not all


def test_resume_recomputes_nothing_and_writes_the_same(ran, capsys):
    path, out = ran
    before = (out / "sites.csv").read_bytes()
    with sqlite3.connect(out / "results.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    capsys.readouterr()
    assert main(["sites", str(path), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{3 * SITES} runs, 0 run now" in printed and f"{3 * SITES} already stored" in printed
    with sqlite3.connect(out / "results.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == stored == 3 * SITES
    assert (out / "sites.csv").read_bytes() == before


def test_same_seed_same_sites_csv_on_another_executor(ran, tmp_path):
    path, out = ran
    again = tmp_path / "again"
    assert main(["sites", str(path), "--workers", "2", "--quiet", "--out", str(again)]) == 0
    assert (again / "sites.csv").read_bytes() == (out / "sites.csv").read_bytes()
    assert (again / "shares.csv").read_bytes() == (out / "shares.csv").read_bytes()


def test_another_commands_results_folder_is_refused(ran, tmp_path, capsys):
    path, _ = ran
    other = tmp_path / "pilots"
    other.mkdir()
    with Store(other) as store:
        store.claim("experiment", "headline")
    assert main(["sites", str(path), "--quiet", "--resume", "--out", str(other)]) == 2
    assert "holds the results of experiment 'headline', not of sites study" in capsys.readouterr().err
    assert main(["sites", str(path), "--quiet", "--out", str(other / "sites")]) == 2
    assert "inside another results folder" in capsys.readouterr().err
