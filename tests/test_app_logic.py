"""The what-if page's logic without the page: levers to scenario files, checks, runs, the headline table."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.stats import change
from sim.app import levers, logic, runs
from sim.app.jobs import CANCELLED, DONE, FAILED, Job
from sim.app.levers import Levers, Settings
from sim.cli.main import main as cli_main
from sim.parameters.params import Params
from sim.scenarios.scenario import RunSettings, load

pytestmark = pytest.mark.timeout(300)  # the background jobs are child processes

ROOT = Path(__file__).resolve().parents[1]
TINY = Settings(population=4000, reps=2, seed=3, horizon_days=60, warmup_days=30)
EVERYTHING = Levers(
    name="all_levers",
    shift_gbp=3_000_000,
    share_mdt=50,
    share_reablement=20,
    share_intermediate_care=10,
    share_home_care=20,
    mdt_extra_per_100k=2,
    mix_nurse=40,
    mix_social_worker=20,
    mix_mental_health=20,
    mix_occupational_therapist=20,
    caseload=40,
    enrol_top_percent=3,
    rapid_response_per_100k=2.5,
    single_point_of_access=True,
    care_navigators=True,
    assessment_time_change_percent=-33,
    community_support_percent=80,
    growth_registered_percent=10,
    growth_85plus_percent=100,
    pin_capacities=False,
)


def _validate(tmp_path: Path, text: str, capsys) -> str:
    path = tmp_path / "what_if.toml"
    path.write_text(text, encoding="utf-8")
    assert cli_main(["validate", str(path)]) == 0
    return capsys.readouterr().out


def test_default_levers_are_the_library_resource_shift():
    built = logic.build(Levers(), Settings())
    assert built.ok and not built.errors
    for settings in (None, Settings().run_settings()):
        library = load(ROOT / "scenarios" / "resource_shift.toml", settings)
        mine = logic.load_text(built.toml, settings)
        assert mine.params == library.params
        assert mine.prelaunch == library.prelaunch


@pytest.mark.parametrize(
    "levers",
    [
        Levers(),
        EVERYTHING,
        Levers(shift_gbp=0),
        Levers(shift_gbp=1_000_000, share_mdt=0, share_reablement=0, share_intermediate_care=0, share_home_care=100),
    ],
)
def test_scenario_files_pass_caresim_validate(tmp_path, capsys, levers):
    built = logic.build(levers, TINY)
    assert not built.errors, built.errors
    out = _validate(tmp_path, built.toml, capsys)
    assert f"'{levers.name}'" in out
    if levers.shift_gbp:
        assert "shift 1: GBP" in out


def test_every_lever_reaches_its_parameter():
    s = logic.build(EVERYTHING, Settings(population=250_000)).scenario
    p = s.params
    assert s.interventions == (
        "mdt",
        "rapid_response",
        "care_navigators",
        "information_sharing",
        "community_support",
        "demography",
    )
    assert p.mdt.caseload == 40 and p.mdt.enrol_top_share == pytest.approx(0.03)
    assert p.community.rapid_response_per_100k == 2.5 and p.community.single_point_of_access
    assert p.community.care_navigators and p.community.support_funding == pytest.approx(0.8)
    assert p.discharge.assessment_days == pytest.approx(Params().discharge.assessment_days * 0.67)
    assert p.place.registered_population == 275_000
    assert [t.service for t in s.shifts[0].targets] == [
        "mdt_nurse",
        "mdt_social_worker",
        "mdt_mental_health",
        "mdt_occupational_therapist",
        "reablement_places",
        "intermediate_care_beds",
        "home_care_packages",
    ]
    # new-money co-ordinators (2 per 100,000 by the mix) come before the shift's
    assert p.mdt.coordinators_per_100k[0] > 0.8


def test_a_shift_is_budget_neutral_and_shows_what_it_buys():
    built = logic.build(Levers(), Settings(population=250_000))
    rows = built.scenario and logic.capacity_rows(built.scenario)
    report = built.scenario.shifts[0]
    # the row shows the whole beds the shift gave up, as many as its amount pays for
    assert report.source.units_moved < 0
    assert rows[0]["Service"] == "Acute beds" and rows[0]["Change"] == str(report.source.units_moved)
    assert rows[-1]["Service"].startswith("Left unspent")
    assert report.released_gbp == pytest.approx(report.bought_gbp + report.remainder_gbp)


@pytest.mark.parametrize(
    "change, key, words",
    [
        ({"share_mdt": 50}, "shares", "add up to 110%"),
        ({"mix_nurse": 10}, "mix", "adds up to 60%"),
        ({"name": " "}, "name", "short name"),
        ({"name": "baseline"}, "name", "built-in baseline"),
        ({"caseload": 0}, "caseload", "from 1 to 500"),
        ({"shift_gbp": -5}, "shift_gbp", "cannot be negative"),
        ({"assessment_time_change_percent": -100}, "assessment_time_change_percent", "more than -100%"),
        ({"community_support_percent": 600}, "community_support_percent", "500%"),
        ({"growth_85plus_percent": -100}, "growth_85plus_percent", "shrink"),
        ({"shift_gbp": math.nan}, "shift_gbp", "Enter a number"),
    ],
)
def test_invalid_levers_are_explained_by_control(change, key, words):
    errors = logic.build(Levers(**change), Settings()).errors
    assert key in errors and words in errors[key], errors


def test_shares_need_not_add_up_without_money_nor_the_mix_without_a_team():
    assert not levers.check_levers(Levers(shift_gbp=0, share_mdt=0, mix_nurse=0))


def test_the_name_must_differ_from_the_reference():
    errors = levers.check_levers(Levers(name="rapid_response"), reference="rapid_response")
    assert "compare against" in errors["name"]


def test_the_model_s_own_checks_land_next_to_the_control():
    built = logic.build(Levers(shift_gbp=1e9), Settings())
    assert not built.ok
    message = built.errors["shift_gbp"]
    assert "more than the 450 the place holds" in message and "tmp" not in message
    assert logic.control_of("x.toml: intervention.mdt.caseload: bad") == "caseload"
    assert logic.control_of("x.toml: shift[1].to: shares must sum to 1") == "shares"
    assert logic.control_of("x.toml: something else") == levers.GENERAL


def test_small_places_warn_that_the_money_buys_nothing():
    warnings = logic.build(Levers(), Settings(population=4000)).warnings
    assert any("nothing moves" in w for w in warnings)
    assert not any("co-ordinator" in w for w in warnings)  # said once, by no_mdt
    assert not logic.build(Levers(), Settings(population=250_000)).warnings


def test_a_shift_too_small_for_one_post_says_there_is_no_mdt():
    small = logic.build(Levers(shift_gbp=200_000), Settings(population=250_000))
    assert small.ok and logic.coordinators(small.scenario) == 0
    price = min(t.unit_price_gbp for t in small.scenario.shifts[0].targets if t.service.startswith("mdt_"))
    assert small.no_mdt.startswith("There is no MDT at 250,000 people")
    assert levers.money(price) in small.no_mdt and "no MDT results" in small.no_mdt
    assert small.no_mdt == logic.no_mdt(small.scenario)
    # the same levers at the size of the place and amount the library writes have a team, so no message
    assert not logic.build(Levers(), Settings(population=250_000)).no_mdt
    # co-ordinators paid with new money keep at least one post; no MDT asked for, nothing to say
    assert not logic.build(Levers(shift_gbp=200_000, mdt_extra_per_100k=1), Settings(population=250_000)).no_mdt
    assert not logic.build(Levers(shift_gbp=0), Settings(population=4000)).no_mdt
    assert not logic.no_mdt(None)
    # a ready-made scenario is checked the same way
    assert logic.no_mdt(load(ROOT / "scenarios" / "resource_shift.toml", RunSettings(population=4000)))
    assert not logic.no_mdt(load(ROOT / "scenarios" / "resource_shift.toml", RunSettings(population=250_000)))


def test_the_words_on_runs_agree_with_the_replications():
    assert levers.runs_in_words(3) == "3 replications of each of the 2 scenarios, 6 runs"
    assert levers.runs_in_words(1) == "1 replication of each of the 2 scenarios, 2 runs"
    assert levers.runs_in_words(TINY.reps).endswith(f"{2 * TINY.reps} runs")


def test_money_has_thousands_separators():
    assert levers.money(2_000_000) == "GBP 2,000,000"
    assert levers.money(-200_000.4, sign=True) == "GBP -200,000" and levers.money(0, sign=True) == "GBP 0"
    assert levers.money(math.nan) == "n/a"
    built = logic.build(Levers(), Settings())
    assert logic.amount_in_words(2_000_000, built.scenario) == (
        "That is GBP 2,000,000 a year for a place of 250,000 people; GBP 400,000 a year at this run's 50,000 people."
    )
    assert "amount_gbp_per_year = 2_000_000" in built.toml
    assert "GBP 2,000,000 a year" in built.toml  # the description written for the user
    assert all("," in row["GBP a year"] for row in logic.capacity_rows(built.scenario) if row["GBP a year"] != "0")
    assert logic.acute_bed_year() > 100_000  # a bed-year, not a bed-day


@pytest.mark.parametrize(
    "change, key",
    [
        ({"population": 10}, "population"),
        ({"reps": 0}, "reps"),
        ({"seed": -1}, "seed"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"population": 5000.5}, "population"),
    ],
)
def test_invalid_run_settings_are_explained(change, key):
    errors = levers.check_settings(Settings(**{**levers.SETTING_DEFAULTS, **change}))
    assert set(errors) == {key}
    assert not levers.check_settings(Settings())
    assert logic.build(Levers(), Settings(**{**levers.SETTING_DEFAULTS, **change})).scenario is None


def test_library_lists_the_scenarios_but_not_the_baseline():
    names = [e.name for e in logic.library()]
    assert "resource_shift" in names and "social_care_led_mdt" in names and "baseline" not in names
    assert all(e.description for e in logic.library())


def _row(metric="bed_days", ref=100.0, sc=90.0, diff=-10.0, lo=-15.0, hi=-5.0):
    """A comparison row: scenario 'b' against its reference, for everyone, paired."""
    return {"scenario": "b", "cohort": "all", "metric": metric, **change(ref, sc, diff, lo, hi), "paired": True}


def test_headline_table_in_plain_words():
    table = pd.DataFrame(
        [
            _row(),
            _row("emergency_admissions", lo=-12.0, hi=3.0),
            _row("at_home_91d_after_reablement", 0.8, 0.85, 0.05, 0.01, 0.09),
            _row("cost_hospital_gbp", 2e6, 1.8e6, -2e5, -3e5, -1e5),
            _row("crises"),  # not a headline measure
        ]
    )
    h = runs.headline(table, "b", reps=5)
    assert list(h["Measure"]) == [
        "Emergency admissions",
        "Acute bed days",
        "At home 91 days after reablement",
        "Cost: hospital (GBP)",
    ]
    words = dict(zip(h["Measure"], h["In plain words"]))
    assert words["Acute bed days"] == "Lower, by 10.0%: a clear change."
    assert words["Emergency admissions"].startswith("No clear change")
    assert words["At home 91 days after reablement"] == "Higher, by 5.0 percentage points: a clear change."
    assert h.set_index("Measure").loc["Acute bed days", "Change [95% interval]"] == "-10.0 [-15.0, -5.00]"
    cost = h.set_index("Measure").loc["Cost: hospital (GBP)"]
    assert (cost["Reference"], cost["What-if"]) == ("2,000,000", "1,800,000")
    assert cost["Change [95% interval]"] == "-200,000 [-300,000, -100,000]"
    one = runs.headline(table.assign(diff_ci_low=math.nan, diff_ci_high=math.nan), "b", reps=1)
    assert set(one["In plain words"]) == {"One replication: no interval, so no conclusion. Run more replications."}


def test_execute_writes_the_folder_compare_writes(tmp_path, capsys):
    built = logic.build(Levers(shift_gbp=20_000_000), TINY)
    seen = []
    out = runs.execute(
        runs.Request(TINY, scenario_text=built.toml, file_name="my_what_if.toml"),
        tmp_path / "run",
        progress=lambda done, total, s: seen.append((done, total)),
    )
    assert seen[-1] == (4, 4)
    for name in (
        "kpis.csv",
        "timeseries.csv",
        "comparison.csv",
        "forest_plot.png",
        "costs_by_sector.png",
        "delayed_discharges.png",
        "acute_beds_occupied.png",
        "metadata.json",
        "report.html",
        "my_what_if.toml",
        "summary.txt",
    ):
        assert (out / name).is_file(), name
    comparison = runs.read_comparison(out)
    assert list(comparison.columns)[-1] == "unstable" and comparison["unstable"].dtype == bool
    h = runs.headline(comparison, "my_what_if", TINY.reps)
    assert "Emergency admissions" in set(h["Measure"]) and "Cost: social care (GBP)" in set(h["Measure"])
    assert "my_what_if against baseline" in (out / "summary.txt").read_text()
    assert f"Ran {levers.runs_in_words(TINY.reps)} in" in (out / "summary.txt").read_text()
    assert cli_main(["report", str(out)]) == 0
    _validate(tmp_path, (out / "my_what_if.toml").read_text(), capsys)
    assert len(runs.zip_folder(out)) > 1000


def test_a_progress_callback_can_stop_a_run(tmp_path):
    def stop(done, total, seconds):
        raise runs.Cancelled()

    with pytest.raises(runs.Cancelled):
        runs.execute(
            runs.Request(TINY, scenario_path=str(ROOT / "scenarios" / "rapid_response.toml")),
            tmp_path / "run",
            progress=stop,
        )


def test_a_job_runs_in_the_background_and_reports_progress(tmp_path):
    req = runs.Request(TINY, scenario_path=str(ROOT / "scenarios" / "rapid_response.toml"))
    job = Job(req, tmp_path / "job")
    assert job.poll() == "running"
    assert job.wait(timeout=90) == DONE, (job.error, job.details)
    assert (job.done, job.total) == (4, 4) and job.fraction == 1.0
    assert (tmp_path / "job" / "report.html").is_file()


def test_a_job_can_be_cancelled_at_once(tmp_path):
    slow = Settings(population=50_000, reps=3, horizon_days=730, warmup_days=365)
    job = Job(runs.Request(slow, scenario_path=str(ROOT / "scenarios" / "rapid_response.toml")), tmp_path / "job")
    time.sleep(1.0)
    t0 = time.monotonic()
    job.cancel()
    assert job.state == CANCELLED and time.monotonic() - t0 < 6
    assert job.process.poll() is not None
    assert not (tmp_path / "job" / "report.html").exists()


def test_a_failing_job_says_why(tmp_path):
    req = runs.Request(
        TINY, reference=str(tmp_path / "missing.toml"), scenario_path=str(ROOT / "scenarios" / "rapid_response.toml")
    )
    job = Job(req, tmp_path / "job")
    assert job.wait(timeout=60) == FAILED
    assert "no such file" in job.error


def test_run_folders_are_new_and_named_after_the_scenario(tmp_path):
    a, b = runs.new_run_folder("my what/if", tmp_path), runs.new_run_folder("my what/if", tmp_path)
    assert a != b and a.is_dir() and "my_what_if" in a.name
    assert runs.file_name("GBP 2m -> MDT") == "GBP_2m_-_MDT.toml"


def test_run_settings_match_the_command_line():
    assert Settings().run_settings() == RunSettings(population=50_000, horizon_days=730.0, warmup_days=365.0)
    assert TINY.flags() == "--population 4000 --reps 2 --seed 3 --horizon-days 60 --warmup-days 30"
