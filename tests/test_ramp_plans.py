"""Interventions that take time and capacity plans by year: the ramp-up's shape, the decay when funding stops,
the stepped capacities and rates a run takes up, plans that leave the years before them alone, costs by time
held, and one-line errors for misspelt keys (sim/core/schedule.py, sim/scenarios/timing.py,
sim/scenarios/capacity_plan.py)."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.core import schedule
from sim.core.model import capacities
from sim.core.population import DAYS_PER_YEAR
from sim.core.ramp import Ramp
from sim.core.schedule import MONTH_DAYS, params_at, share, step_times
from sim.outcomes.costs import cashable_per_year, stranded_cost, stranded_over_window, unit_costs
from sim.parameters.params import Params, capacity_basis, per_place
from sim.parameters.timeline import Change, TimedParams, after_the_window, changes_of
from sim.pathways import home
from sim.replication.single import build, single_run
from sim.scenarios.capacity_plan import SERVICES
from sim.scenarios.scenario import RunSettings, load, scenario_hash
from sim.vocabulary import Place

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "scenarios").glob("*.toml"))
YEAR = DAYS_PER_YEAR


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nextends = "baseline"\n{body}', encoding="utf-8")
    return path


def scenario(tmp_path: Path, body: str, settings: RunSettings | None = None, name: str = "timed"):
    return load(write(tmp_path, name, body), settings or RunSettings())


def probe(m, times: list[float], read) -> list:
    """``read(m)`` at each of ``times`` (days from the window's start), collected by a process of its own."""
    out: list = []

    def run():
        for t in times:
            yield m.env.timeout(m.window_start + t - m.env.now)
            out.append(read(m))

    m.env.process(run())
    m.env.run(until=m.window_start + times[-1] + 1e-6)
    return out


def near(times: list[float], t: float) -> int:
    """How many of ``times`` are ``t`` (up to the rounding of a timeout's arithmetic)."""
    return sum(1 for x in times if abs(x - t) < 1e-6)


def at_home(m) -> int:
    return sum(1 for pid in range(len(m.pop)) if m.pop.place[pid] in (Place.HOME, Place.CARE_HOME))


# --- the ramp's shape ---------------------------------------------------------------------------


def test_a_six_month_ramp_rises_monthly_to_full_effect_with_half_the_effect_over_the_ramp():
    c = Change("x", (("community.support_funding", 1.0, 0.5),), ramp_days=6 * MONTH_DAYS)
    by_month = [share(c, (k + 0.5) * MONTH_DAYS) for k in range(6)]
    assert by_month == pytest.approx([(2 * k + 1) / 12 for k in range(6)])  # each month the line's middle
    assert all(b > a for a, b in zip(by_month, by_month[1:])) and 0 < by_month[0]
    assert share(c, 6 * MONTH_DAYS) == 1.0 == share(c, 10 * YEAR)
    assert share(c, 6 * MONTH_DAYS - 1e-6) < 1.0
    # the share moves only at the month ends: a launch at each, no more
    assert step_times(TimedParams(changes=(c,)), 0.0, 10 * YEAR) == pytest.approx([k * MONTH_DAYS for k in range(1, 7)])
    grid = np.arange(0.0, 6 * MONTH_DAYS, 0.01)
    assert np.mean([share(c, t) for t in grid]) == pytest.approx(0.5, abs=1e-3)  # half the full effect's time


def test_a_plan_from_year_3_is_nothing_before_it_and_ramps_from_its_first_day():
    c = Change(
        "capacity_plan[1]", (("social_care.home_care_packages_per_100k", 650.0, 780.0),), 2 * YEAR, 6 * MONTH_DAYS
    )
    assert share(c, 0.0) == share(c, 2 * YEAR - 1e-6) == 0.0
    assert share(c, 2 * YEAR) == pytest.approx(1 / 12)
    assert share(c, 2 * YEAR + 6 * MONTH_DAYS) == 1.0
    assert step_times(TimedParams(changes=(c,)), 0.0, 2 * YEAR) == []  # none inside the first two years


def test_a_flag_switches_when_the_change_is_half_in_effect(tmp_path):
    s = scenario(tmp_path, "[intervention.rapid_response]\nsingle_point_of_access = true\nramp_up_months = 6\n")
    on = [params_at(s.params, (k + 0.5) * MONTH_DAYS).community.single_point_of_access for k in range(7)]
    assert on == [False, False, False, True, True, True, True]


def test_decay_moves_back_to_the_values_before_once_funding_stops(tmp_path):
    body = "[intervention.community_support]\nfunding = 0.6\nfunding_stops_year = 2\ndecay_months = 6\n"
    s = scenario(tmp_path, body)
    before, full = s.prelaunch.community.support_funding, s.params.community.support_funding
    assert (before, full) == (1.0, 0.6)
    funding = [params_at(s.params, YEAR + (k + 0.5) * MONTH_DAYS).community.support_funding for k in range(6)]
    assert params_at(s.params, YEAR - 1e-6).community.support_funding == full
    assert all(full < a < b < before for a, b in zip(funding, funding[1:]))
    back = params_at(s.params, YEAR + 6 * MONTH_DAYS)
    assert back.community == s.prelaunch.community  # every value of the group as before the intervention
    at_once = scenario(tmp_path, "[intervention.community_support]\nfunding = 0.6\nfunding_stops_year = 2\n", name="o")
    assert params_at(at_once.params, YEAR).community.support_funding == before


# --- switched off, nothing changes --------------------------------------------------------------


PLANNED = ("home_care_plan", "demographic_projection_planned")  # the library's scenarios with capacity plans


def test_every_library_scenario_without_timing_resolves_to_plain_parameters():
    for path in LIBRARY:
        s = load(path)
        if path.stem in PLANNED:
            assert changes_of(s.params)
            continue
        assert type(s.params) is Params and changes_of(s.params) == (), path.name
        assert params_at(s.params, 0.0) is s.params and step_times(s.params, 0.0, math.inf) == []


def test_ramp_up_months_0_runs_bit_for_bit_as_without_it(tmp_path):
    settings = RunSettings(population=10_000, horizon_days=150, warmup_days=40)
    plain = load(ROOT / "scenarios" / "rapid_response.toml", settings)
    explicit = scenario(
        tmp_path,
        "[intervention.rapid_response]\nteams_per_100k = 4\nsingle_point_of_access = true\nramp_up_months = 0\n",
        settings,
        name="rapid_response",
    )
    assert explicit.params == plain.params and type(explicit.params) is Params
    assert scenario_hash(explicit.params, explicit.prelaunch) == scenario_hash(plain.params, plain.prelaunch)
    a = single_run(plain.params, seed=5, replication=0, prelaunch=plain.prelaunch)
    b = single_run(explicit.params, seed=5, replication=0, prelaunch=explicit.prelaunch)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.stats["events"] == b.stats["events"]
    # a ramp is a different scenario: its own hash, so the results store keeps it apart
    ramped = scenario(tmp_path, "[intervention.rapid_response]\nteams_per_100k = 4\nramp_up_months = 3\n", name="r")
    assert scenario_hash(ramped.params, ramped.prelaunch) != scenario_hash(plain.params, plain.prelaunch)


# --- a run takes the steps up ---------------------------------------------------------------------


def test_the_pool_and_a_rate_read_at_the_event_follow_the_stepped_path(tmp_path, monkeypatch):
    body = (
        '[[capacity_plan]]\nyear = 1\nservice = "home_care"\nchange = 0.5\nramp_up_months = 6\n'
        "[intervention.information_sharing]\nassessment_days_multiplier = 0.5\nramp_up_months = 4\n"
    )
    s = scenario(tmp_path, body, RunSettings(population=10_000, horizon_days=300, warmup_days=30))
    m = build(s.params, seed=2, replication=0, prelaunch=s.prelaunch)
    redraws: list[float] = []
    plain_redraw = home.schedule_next
    monkeypatch.setattr(home, "schedule_next", lambda m_, pid: (redraws.append(m_.env.now), plain_redraw(m_, pid)))
    mid = [(k + 0.5) * MONTH_DAYS for k in range(8)]
    seen = probe(m, mid, lambda m: (m.home_care.capacity, m.p.discharge.assessment_days))
    units = [u for u, _ in seen]
    expected = [capacities(params_at(s.params, t))["home_care"] for t in mid]
    assert units == expected
    basis = capacity_basis(s.params)
    before, after = per_place(650.0, basis), per_place(975.0, basis)
    assert before < units[0] and all(a < b for a, b in zip(units[:6], units[1:6])) and units[6:] == [after] * 2
    days = [d for _, d in seen]
    full = s.params.discharge.assessment_days
    assert all(a > b for a, b in zip(days[:4], days[1:4])) and days[4:] == [full] * 4
    # capacities and assessment times are read when something happens: no step redraws anyone's next event
    for t in step_times(s.params, 0.0, mid[-1]):
        assert near(redraws, m.window_start + t) <= 2  # at most a coincidence, not everyone at home


def test_a_rate_drawn_hazards_depend_on_is_redrawn_at_each_step(tmp_path, monkeypatch):
    body = "[intervention.community_support]\nfunding = 0.6\nramp_up_months = 3\n"
    s = scenario(tmp_path, body, RunSettings(population=6_000, horizon_days=150, warmup_days=30))
    m = build(s.params, seed=2, replication=0, prelaunch=s.prelaunch)
    redraws: list[float] = []
    plain_redraw = home.schedule_next
    monkeypatch.setattr(home, "schedule_next", lambda m_, pid: (redraws.append(m_.env.now), plain_redraw(m_, pid)))
    steps = step_times(s.params, 0.0, 4 * MONTH_DAYS)
    assert steps == pytest.approx([MONTH_DAYS, 2 * MONTH_DAYS, 3 * MONTH_DAYS])
    # just after each step: how many live at home, and the crisis factor in force
    seen = probe(m, [t + 1e-7 for t in steps], lambda m: (at_home(m), m.support_factor))
    elasticity = s.params.community.support_crisis_elasticity
    factors = [f for _, f in seen]
    assert factors == pytest.approx(
        [1 + elasticity * (1 - params_at(s.params, t).community.support_funding) for t in steps]
    )
    assert factors[0] < factors[1] < factors[2] == 1 + elasticity * 0.4
    for t, (people, _) in zip(steps, seen):
        assert people > 1000 and near(redraws, m.window_start + t) >= people  # everyone at home, redrawn at the step


def test_when_funding_stops_a_run_goes_back_to_the_rates_before_it(tmp_path):
    body = "[intervention.community_support]\nfunding = 0.6\nfunding_stops_year = 2\ndecay_months = 3\n"
    s = scenario(tmp_path, body, RunSettings(population=6_000, horizon_days=1.5 * YEAR, warmup_days=30))
    m = build(s.params, seed=2, replication=0, prelaunch=s.prelaunch)
    times = [YEAR - 1.0, YEAR + 0.5 * MONTH_DAYS, YEAR + 2.5 * MONTH_DAYS, YEAR + 3 * MONTH_DAYS + 1.0]
    factors = probe(m, times, lambda m: m.support_factor)
    cut = 1 + s.params.community.support_crisis_elasticity * 0.4
    assert factors[0] == cut and cut > factors[1] > factors[2] > factors[3] == 1.0  # 1: the baseline's, exactly


def test_a_capacity_plan_in_year_3_leaves_years_1_and_2_as_the_baseline_and_adds_home_care_after(tmp_path):
    settings = RunSettings(population=8_000, horizon_days=3 * YEAR, warmup_days=60)
    base = load(ROOT / "scenarios" / "baseline.toml", settings)
    plan = scenario(
        tmp_path, '[[capacity_plan]]\nyear = 3\nservice = "home_care"\nchange = 0.3\nramp_up_months = 6\n', settings
    )
    a = single_run(base.params, seed=4, replication=0, prelaunch=base.prelaunch)
    b = single_run(plan.params, seed=4, replication=0, prelaunch=plan.prelaunch)
    cut = a.data.window_start + 2 * YEAR
    ea, eb = a.data.events, b.data.events
    pd.testing.assert_frame_equal(
        ea[ea["time"] < cut].reset_index(drop=True), eb[eb["time"] < cut].reset_index(drop=True)
    )
    ta, tb = a.timeseries, b.timeseries
    pd.testing.assert_frame_equal(ta[ta["day"] < 2 * YEAR], tb[tb["day"] < 2 * YEAR])
    assert not ea.equals(eb)  # the plan changes what happens from year 3
    held = a.data.capacity["home_care"]
    assert b.data.capacity["home_care"] > held
    in_use = tb[(tb["series"] == "home_care_in_use") & (tb["day"] >= 2 * YEAR + 6 * MONTH_DAYS)]["value"]
    assert in_use.max() > held  # more packages are in use than the baseline ever holds
    before = ta[(ta["series"] == "home_care_in_use") & (ta["day"] < 2 * YEAR)]["value"]
    assert before.max() <= held


# --- costs by time held -----------------------------------------------------------------------


def _capacity_cost(s) -> float:
    k = single_run(s.params, seed=3, replication=0, prelaunch=s.prelaunch).kpis
    return float(k[(k["cohort"] == "all") & (k["metric"] == "cost_capacity_gbp")]["value"].iloc[0])


@pytest.mark.parametrize("ramp_months", [0, 6])
def test_capacity_added_in_year_2_costs_only_for_the_time_it_is_held(tmp_path, ramp_months):
    settings = RunSettings(population=10_000, horizon_days=2 * YEAR, warmup_days=30)
    base = load(ROOT / "scenarios" / "baseline.toml", settings)
    plan = scenario(
        tmp_path,
        f'[[capacity_plan]]\nyear = 2\nservice = "reablement"\nchange = 1.0\nramp_up_months = {ramp_months}\n',
        settings,
    )
    basis = capacity_basis(base.params)
    level = base.params.social_care.reablement_places_per_100k
    ramp = Ramp(ramp_months * MONTH_DAYS, MONTH_DAYS)
    # the extra places held over year 2, month by month (the ramp's steps), in place-years
    edges = [0.0, *ramp.changes(), YEAR]
    extra = (
        sum(
            (b - a) * (per_place(level * (1 + ramp.share(a)), basis) - per_place(level, basis))
            for a, b in zip(edges, edges[1:])
        )
        / YEAR
    )
    price = unit_costs(base.params.costs)["reablement_place_year"]
    assert extra > 0
    assert _capacity_cost(plan) - _capacity_cost(base) == pytest.approx(extra * price, rel=1e-9)


def _window(p: Params, years: float = 2.0) -> SimpleNamespace:
    """What the costs of a window read: its parameters and its edges (the window starts at the launch)."""
    return SimpleNamespace(params=p, window_start=p.time.warmup_days, window_end=p.time.warmup_days + years * YEAR)


SHIFT = '[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 4_000_000\nto = { reablement_places = 1.0 }\n'


def test_closed_beds_cost_while_closed_and_are_cashed_the_lag_after_they_close(tmp_path):
    # a shift at once, beside an unrelated change over time: the stranded cost is the one without any
    at_once = scenario(tmp_path, SHIFT + "[intervention.community_support]\nfunding = 0.9\nramp_up_months = 3\n")
    assert changes_of(at_once.params)
    assert stranded_over_window(_window(at_once.params), 2.0) == pytest.approx(stranded_cost(at_once.params, 2.0))
    # beds closed over a year: each costs while closed and is cashed the lag (6 months) after it closed
    ramped = scenario(tmp_path, SHIFT + "ramp_up_months = 12\n", name="ramped")
    p = ramped.params
    (c,) = changes_of(p)
    lag = p.costs.cashable_lag_months / 12 * YEAR
    cache: dict[float, tuple] = {}

    def costs_at(t: float) -> tuple:  # (held, cashable) a year of the beds closed at t
        key = share(c, t)
        if key not in cache:
            cache[key] = cashable_per_year(params_at(p, t))[2:]
        return cache[key]

    grid = (np.arange(0, int(2 * YEAR * 16)) + 0.5) / 16  # midpoints of 1/16 days: every step falls on an edge
    held = sum(costs_at(t)[0] for t in grid) / 16 / YEAR
    cashed = sum(costs_at(t - lag)[1] for t in grid) / 16 / YEAR
    assert stranded_over_window(_window(p), 2.0) == pytest.approx(held - cashed, rel=1e-9)
    assert 0 < held < 2.0 * cashable_per_year(at_once.params)[2]  # closing over a year, fewer bed-years are held


# --- scenario files ---------------------------------------------------------------------------


def test_a_plan_reads_relative_to_the_level_without_it_and_entries_add_up(tmp_path):
    body = (
        '[[capacity_plan]]\nyear = 5\nservice = "home_care"\nchange = 0.1\n'
        '[[capacity_plan]]\nyear = 3\nservice = "home_care"\nchange = 0.1\n'
    )
    s = scenario(tmp_path, body)
    level = Params().social_care.home_care_packages_per_100k
    assert s.params.social_care.home_care_packages_per_100k == pytest.approx(1.2 * level)
    values = [params_at(s.params, y * YEAR + 1).social_care.home_care_packages_per_100k for y in range(6)]
    assert values == pytest.approx([level, level, 1.1 * level, 1.1 * level, 1.2 * level, 1.2 * level])
    assert set(SERVICES) == set(capacities(Params()))  # every capacitated service, and only those


def test_a_shift_ramps_its_services_but_the_mdt_posts_it_buys_are_in_post_from_the_launch(tmp_path):
    body = (
        '[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 2_000_000\n'
        "to = { mdt_nurse = 0.5, reablement_places = 0.5 }\nramp_up_months = 12\n"
    )
    s = scenario(tmp_path, body)
    moved = {key for c in changes_of(s.params) for key, _, _ in c.values}
    assert {"acute.beds_per_100k", "social_care.reablement_places_per_100k"} <= moved
    assert not any(key.startswith("mdt.") for key in moved)
    start = params_at(s.params, 0.0)
    assert s.params.acute.beds_per_100k < start.acute.beds_per_100k < Params().acute.beds_per_100k
    assert start.mdt == s.params.mdt


def test_a_files_own_value_holds_from_the_warm_up_over_an_inherited_ramp(tmp_path):
    parent = write(tmp_path, "parent", "[intervention.community_support]\nfunding = 0.6\nramp_up_months = 6\n")
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "parent.toml"\n[community]\nsupport_funding = 0.8\n', encoding="utf-8")
    s = load(child)
    assert type(s.params) is Params and s.params.community.support_funding == 0.8
    assert changes_of(load(parent).params)


def test_the_mdt_ramp_up_months_is_its_own_ramp_up_days(tmp_path):
    s = scenario(tmp_path, "[intervention.mdt]\ncoordinators_per_100k = { nurse = 4 }\nramp_up_months = 6\n")
    assert s.params.mdt.ramp_up_days == 6 * MONTH_DAYS and type(s.params) is Params
    default = scenario(tmp_path, "[intervention.mdt]\ncoordinators_per_100k = { nurse = 4 }\n", name="d")
    assert default.params.mdt.ramp_up_days == Params().mdt.ramp_up_days


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            "[intervention.rapid_response]\nteams_per_100k = 2\nramp_up_month = 6\n",
            "unknown key 'intervention.rapid_response.ramp_up_month'; did you mean "
            "'intervention.rapid_response.ramp_up_months'?",
        ),
        (
            '[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 500_000\nto = { reablement_places = 1.0 }\n'
            "decay_month = 3\n",
            "unknown key 'shift[1].decay_month'; did you mean 'shift[1].decay_months'?",
        ),
        (
            '[[capacity_plan]]\nyear = 3\nsevice = "home_care"\nchange = 0.2\n',
            "unknown key 'capacity_plan[1].sevice'; did you mean 'capacity_plan[1].service'?",
        ),
        (
            '[[capacity_plan]]\nyear = 3\nservice = "homecare"\nchange = 0.2\n',
            "capacity_plan[1].service: unknown service 'homecare'; did you mean 'home_care'?",
        ),
        ('[[capacity_plans]]\nyear = 3\nservice = "home_care"\nchange = 0.2\n', "did you mean 'capacity_plan'?"),
        ('[[capacity_plan]]\nyear = 0\nservice = "home_care"\nchange = 0.2\n', "capacity_plan[1].year: must be"),
        ('[[capacity_plan]]\nyear = 3\nservice = "home_care"\n', "capacity_plan[1]: missing 'change'"),
        (
            '[[capacity_plan]]\nyear = 2\nservice = "home_care"\nchange = -0.6\n'
            '[[capacity_plan]]\nyear = 3\nservice = "home_care"\nchange = -0.6\n',
            "capacity_plan[2]: social_care.home_care_packages_per_100k:",
        ),
        (
            "[intervention.community_support]\nfunding = 0.6\nramp_up_months = 18\nfunding_stops_year = 2\n",
            "intervention.community_support.funding_stops_year: funding stops at the start of year 2, before",
        ),
        (
            "[intervention.community_support]\nfunding = 0.6\ndecay_months = 6\n",
            "intervention.community_support.decay_months: needs funding_stops_year",
        ),
        ("[intervention.demography]\ngrowth_85plus = 1.5\nramp_up_months = 6\n", "a population does not ramp up"),
        (
            "[intervention.mdt]\ncoordinators_per_100k = { nurse = 4 }\nfunding_stops_year = 3\n",
            "intervention.mdt.funding_stops_year: the MDT's teams are set up at the launch",
        ),
        ("[intervention.care_navigators]\nramp_up_months = -1\n", "ramp_up_months: must be from 0 to 120 months"),
    ],
)
def test_bad_timing_and_plans_give_one_line_errors_naming_the_file_and_key(tmp_path, capsys, body, fragment):
    path = write(tmp_path, "bad", body)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"caresim: error: {path.as_posix()}: "), err
    assert fragment in lines[0], lines[0]


def test_the_example_plan_is_the_baseline_until_year_3(tmp_path):
    s = load(ROOT / "scenarios" / "home_care_plan.toml")
    assert s.params.time.horizon_days == 5 * YEAR
    assert params_at(s.params, 2 * YEAR - 1e-6).social_care == Params().social_care
    assert s.params.social_care.home_care_packages_per_100k == pytest.approx(1.2 * 650.0)
    assert schedule.step_times(s.params, 0.0, 5 * YEAR)[0] == 2 * YEAR


def test_a_plan_that_starts_after_the_window_is_named_not_passed_over(capsys):
    plan = Path(__file__).resolve().parents[1] / "scenarios" / "home_care_plan.toml"
    assert after_the_window(load(plan).params) == []  # its own window holds its year 3
    short = load(plan, RunSettings(horizon_days=200.0)).params
    assert [line.split(" starts")[0] for line in after_the_window(short)] == ["capacity_plan[1]"]
    assert main(["run", str(plan), "--reps", "1", "--population", "2000", "--horizon-days", "200"]) == 0
    err = capsys.readouterr().err
    assert "caresim: warning: timing: scenario 'home_care_plan': capacity_plan[1] starts in year 3" in err


def test_validate_and_metadata_show_each_change_over_time(tmp_path, capsys):
    from sim.reports.metadata import scenario_entry

    body = "[intervention.community_support]\nfunding = 0.6\nramp_up_months = 3\n"
    body += "funding_stops_year = 4\ndecay_months = 6\n"
    path = write(tmp_path, "timed", body)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Changes over time (1;" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("intervention.community_support:"))
    assert "from year 1 over 3 months; funding stops in year 4, fading over 6 months" in line
    (record,) = scenario_entry(load(path), paired=True)["changes_over_time"]
    assert record["label"] == "intervention.community_support"
    assert record["start_year"] == 1 and record["funding_stops_year"] == pytest.approx(4)
    assert record["ramp_up_months"] == pytest.approx(3) and record["decay_months"] == pytest.approx(6)
    assert record["parameters"] and all(p["before"] != p["after"] for p in record["parameters"])
    assert (
        scenario_entry(load(Path(__file__).resolve().parents[1] / "scenarios" / "rapid_response.toml"), True)[
            "changes_over_time"
        ]
        == []
    )  # a scenario with no change over time has none
