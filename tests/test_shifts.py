"""Budget-neutral shifts: whole units through unit costs, balance to the pound, checks, capacity cost."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.costs import unit_costs
from sim.parameters.params import Params, capacity_basis, per_place
from sim.parameters.tree import ParameterError
from sim.replication.single import single_run
from sim.scenarios.scenario import RunSettings, ScenarioError, load
from sim.scenarios.shifts import SERVICES, apply_shift, parse

SMALL = RunSettings(population=10_000, horizon_days=60, warmup_days=30)


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def shift(source: str, amount: float, to: dict[str, float]) -> dict:
    return {"from": source, "amount_gbp_per_year": amount, "to": to}


def test_unit_prices_are_annual_and_in_the_price_year():
    p = Params()
    uc = unit_costs(p.costs)
    price = {name: s.price(uc, p) for name, s in SERVICES.items()}
    assert price["acute_beds"] == pytest.approx(uc["acute_bed_day"] * 365.25)
    assert price["intermediate_care_beds"] == pytest.approx(uc["intermediate_care_bed_day"] * 365.25)
    assert price["home_care_packages"] == pytest.approx(
        p.costs.home_care_hours_per_week * 52.18 * uc["home_care_hour"], rel=1e-4
    )
    for d in ("mdt_nurse", "mdt_social_worker", "mdt_mental_health", "mdt_occupational_therapist"):
        assert price[d] == uc["coordinator_year"]
    assert price["social_workers"] == uc["social_worker_year"]
    assert price["rapid_response"] == uc["rapid_response_team_year"]
    assert price["reablement_places"] == uc["reablement_place_year"]


@pytest.mark.parametrize(
    "amount, to",
    [
        (
            2_000_000,
            {"mdt_nurse": 0.2, "mdt_social_worker": 0.2, "reablement_places": 0.3, "intermediate_care_beds": 0.3},
        ),
        (1_234_567.89, {"home_care_packages": 0.5, "rapid_response": 0.25, "social_workers": 0.25}),
        (150_000, {"reablement_places": 1.0}),
        (0, {"reablement_places": 1.0}),
        (50_000_000, {"intermediate_care_beds": 0.1, "reablement_places": 0.9}),  # most of the 450 beds
    ],
)
def test_a_shift_balances_to_the_pound(amount, to):
    p = Params()
    new, overrides, r = apply_shift(parse(shift("acute_beds", amount, to), 1), p)
    uc = unit_costs(p.costs)
    bed_year = SERVICES["acute_beds"].price(uc, p)
    # the source gives up whole beds: as many as the amount pays for
    assert -r.source.units_moved == math.floor(amount / bed_year + 1e-9)
    assert r.released_gbp == pytest.approx(-r.source.units_moved * bed_year)
    assert r.released_gbp <= amount + 1e-6
    # moved out = bought in + remainder, to the pound
    assert r.released_gbp == pytest.approx(r.bought_gbp + r.remainder_gbp, abs=0.01)
    assert r.bought_gbp == pytest.approx(sum(t.units_moved * t.unit_price_gbp for t in r.targets), abs=0.01)
    assert 0 <= r.remainder_gbp < min(t.unit_price_gbp for t in r.targets) + 1e-6  # nothing affordable left over
    # the overrides hold exactly the whole units reported, at this population
    n = capacity_basis(new)
    for line in (r.source, *r.targets):
        svc = SERVICES[line.service]
        assert svc.held(new) == line.units_before + line.units_moved
        assert per_place(svc.per_100k(p), n) == line.units_before
    # money a year really moved, from the capacities themselves
    out = (SERVICES["acute_beds"].held(p) - SERVICES["acute_beds"].held(new)) * bed_year
    bought = sum((SERVICES[k].held(new) - SERVICES[k].held(p)) * SERVICES[k].price(uc, p) for k in to)
    assert out == pytest.approx(bought + r.remainder_gbp, abs=0.01)


def test_shares_are_followed_before_the_left_over_buys_more():
    r = apply_shift(
        parse(shift("acute_beds", 2_000_000, {"reablement_places": 0.5, "intermediate_care_beds": 0.5}), 1), Params()
    )[2]
    for t in r.targets:
        assert t.units_moved >= math.floor(t.allotted_gbp / t.unit_price_gbp)
        assert t.allotted_gbp == pytest.approx(r.released_gbp * t.share)


def test_coordinators_are_bought_by_discipline():
    new, overrides, r = apply_shift(parse(shift("acute_beds", 1_000_000, {"mdt_mental_health": 1.0}), 1), Params())
    c = new.mdt.coordinators_per_100k
    assert c[0] == c[1] == c[3] == 0
    assert per_place(c[2], 250_000) == r.targets[0].units_moved > 0
    # the beds taken out, the co-ordinators bought, and the closed beds recorded for their cost (docs/costs.md)
    assert list(overrides) == ["acute", "costs", "mdt"]
    assert list(overrides["costs"]) == ["shift_closed_acute_beds_per_100k"]
    assert overrides["costs"]["shift_closed_acute_beds_per_100k"] == pytest.approx(
        Params().acute.beds_per_100k - new.acute.beds_per_100k
    )


def test_amount_scales_with_the_population_run(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'name = "s"\n[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 2_000_000\n'
        "to = { reablement_places = 1.0 }\n",
    )
    full = load(path).shifts[0]
    fifth = load(path, RunSettings(population=50_000)).shifts[0]
    assert (full.scale, full.population) == (1.0, 250_000)
    assert (fifth.scale, fifth.population) == (0.2, 50_000)
    assert fifth.source.allotted_gbp == pytest.approx(400_000)
    assert -fifth.source.units_moved == 3  # 400,000 pays for 3 bed-years
    assert fifth.released_gbp == pytest.approx(fifth.bought_gbp + fifth.remainder_gbp, abs=0.01)


def test_a_file_at_its_own_population_converts_there(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'name = "s"\n[place]\nregistered_population = 10000\n[[shift]]\nfrom = "acute_beds"\n'
        "amount_gbp_per_year = 500_000\nto = { reablement_places = 1.0 }\n",
    )
    r = load(path).shifts[0]
    assert (r.scale, r.population, -r.source.units_moved) == (1.0, 10_000, 4)
    r2 = load(path, RunSettings(population=20_000)).shifts[0]  # the command line doubles the place, and the amount
    assert (r2.scale, r2.population, -r2.source.units_moved) == (2.0, 20_000, 8)


def test_shifts_follow_interventions_and_add_up_through_extends(tmp_path):
    write(
        tmp_path,
        "parent.toml",
        'name = "p"\n[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 1_000_000\n'
        "to = { reablement_places = 1.0 }\n",
    )
    child = write(
        tmp_path,
        "child.toml",
        'name = "c"\nextends = "parent.toml"\n[intervention.mdt]\n'
        'coordinators_per_100k = { nurse = 2 }\n[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 1_000_000\n'
        "to = { mdt_nurse = 1.0 }\n",
    )
    s = load(child)
    assert len(s.shifts) == 2
    first, second = s.shifts
    assert second.source.units_before == first.source.units_before + first.source.units_moved
    assert second.targets[0].units_before == 5  # the intervention's 2 per 100,000, then the shift adds to it
    assert (
        per_place(s.params.acute.beds_per_100k, 250_000) == 450 + first.source.units_moved + second.source.units_moved
    )


@pytest.mark.parametrize(
    "entry, fragment",
    [
        (
            shift("acute_beds", 1e6, {"reablement_places": 0.5, "intermediate_care_beds": 0.4}),
            "shift[1].to: shares must sum to 1, they sum to 0.9",
        ),
        (
            shift("acute_beds", 1e6, {"reablement_places": 0.5, "intermediate_care_beds": 0.5 + 1e-8}),
            "shares must sum to 1",
        ),
        (shift("acute_beds", -5, {"reablement_places": 1.0}), "shift[1].amount_gbp_per_year: must not be negative"),
        (
            shift("acute_beds", "lots", {"reablement_places": 1.0}),
            "shift[1].amount_gbp_per_year: expected a number of pounds",
        ),
        (
            shift("acute_bed", 1e6, {"reablement_places": 1.0}),
            "shift[1].from: unknown service 'acute_bed'; did you mean 'acute_beds'?",
        ),
        (
            shift("acute_beds", 1e6, {"reablement": 1.0}),
            "shift[1].to: unknown service 'reablement'; did you mean 'reablement_places'?",
        ),
        (
            shift("acute_beds", 1e6, {"acute_beds": 1.0}),
            "shift[1].to.acute_beds: the service the money comes from cannot also receive it",
        ),
        (
            shift("acute_beds", 1e6, {"reablement_places": 1.5, "intermediate_care_beds": -0.5}),
            "a share must be between 0 and 1",
        ),
        (shift("acute_beds", 1e6, {}), "shift[1].to: expected a table of services and shares"),
        (shift("acute_beds", 60e6, {"reablement_places": 1.0}), "more than the 450 the place holds"),
        (shift("social_workers", 2e6, {"reablement_places": 1.0}), "more than the 15 the place holds"),
        (
            {"from": "acute_beds", "amount": 1e6, "to": {"reablement_places": 1.0}},
            "unknown key 'shift[1].amount'; did you mean 'shift[1].amount_gbp_per_year'?",
        ),
        ({"from": "acute_beds", "to": {"reablement_places": 1.0}}, "shift[1]: missing 'amount_gbp_per_year'"),
    ],
)
def test_bad_shifts(entry, fragment):
    with pytest.raises(ParameterError) as info:
        apply_shift(parse(entry, 1), Params())
    assert fragment in str(info.value), str(info.value)


def test_shares_within_the_tolerance_are_accepted():
    r = apply_shift(
        parse(
            shift("acute_beds", 1e6, {"reablement_places": 0.1, "intermediate_care_beds": 0.2, "social_workers": 0.7}),
            1,
        ),
        Params(),
    )[2]
    assert len(r.targets) == 3


def test_errors_name_the_file_and_the_shift(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'name = "s"\n[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 1e6\n'
        'to = { reablement_places = 0.5 }\n[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 1e6\n'
        "to = { nope = 1.0 }\n",
    )
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert str(info.value).startswith(f"{path.as_posix()}: shift[1].to: shares must sum to 1")
    path.write_text('name = "s"\nshift = 5\n')
    with pytest.raises(ScenarioError, match=r"shift: expected \[\[shift\]\] entries"):
        load(path)


def test_capacity_cost_is_unchanged_but_for_the_remainder(tmp_path):
    """A run of the shifted place costs, in capacity held, exactly the remainder a year less."""
    body = (
        'name = "{name}"\n[place]\nregistered_population = 10000\n[time]\nhorizon_days = 60\nwarmup_days = 30\n{shift}'
    )
    moved = (
        '[[shift]]\nfrom = "acute_beds"\namount_gbp_per_year = 700_000\n'
        "to = { mdt_nurse = 0.25, reablement_places = 0.15, rapid_response = 0.25, social_workers = 0.1, "
        "intermediate_care_beds = 0.25 }\n"
    )
    ref = load(write(tmp_path, "ref.toml", body.format(name="ref", shift="")))
    shifted = load(write(tmp_path, "shifted.toml", body.format(name="shifted", shift=moved)))
    r = shifted.shifts[0]
    assert r.population == 10_000 and r.scale == 1.0
    assert -r.source.units_moved == 5 and all(t.units_moved > 0 for t in r.targets), "\n".join(r.lines())
    a = single_run(ref.params, seed=3, replication=0).kpis
    b = single_run(shifted.params, seed=3, replication=0).kpis

    def cost(k):
        return k[(k["cohort"] == "all") & (k["metric"] == "cost_capacity_gbp")]["value"].item()

    years = 60 / DAYS_PER_YEAR
    assert cost(b) - cost(a) == pytest.approx(-r.remainder_gbp * years, abs=0.01)
    assert r.remainder_gbp < r.released_gbp  # and something really moved


def test_a_shift_into_home_care_leaves_the_capacity_cost():
    """Home care is paid per hour used: money moved into packages is not a capacity cost (sim/scenarios/shifts.py)."""
    p = Params()
    new, _, r = apply_shift(parse(shift("acute_beds", 1e6, {"home_care_packages": 1.0}), 1), p)
    assert r.targets[0].units_moved > 0
    assert new.social_care.home_care_packages_per_100k > p.social_care.home_care_packages_per_100k
