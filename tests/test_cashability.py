"""Released money is not saved money: beds are cashed in whole wards, a share of their cost, after a lag."""

from __future__ import annotations

import pytest

from sim.core.population import DAYS_PER_YEAR
from sim.outcomes.costs import cashable_per_year, stranded_cost, unit_costs
from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides
from sim.scenarios.shifts import apply_shift, parse

TO = {"reablement_places": 0.5, "intermediate_care_beds": 0.5}


def shifted(amount: float, **costs):
    p = apply_overrides(Params(), {"costs": costs}) if costs else Params()
    spec = parse({"from": "acute_beds", "amount_gbp_per_year": amount, "to": TO}, 1)
    return p, *apply_shift(spec, p)


def test_cashable_money_is_whole_wards_times_the_share():
    p, new, _, r = shifted(8_000_000, ward_beds=25, cashable_share=0.6, cashable_lag_months=6)
    bed_year = unit_costs(p.costs)["acute_bed_day"] * DAYS_PER_YEAR
    closed = -r.source.units_moved
    assert closed > 25 and closed % 25 != 0  # more than a ward, not a whole number of them
    assert r.wards_closed == closed // 25
    assert r.cashable_gbp == pytest.approx(r.wards_closed * 25 * bed_year * 0.6)
    assert r.non_cashable_gbp == pytest.approx(r.released_gbp - r.cashable_gbp)
    assert cashable_per_year(new)[:2] == (closed, r.wards_closed)
    text = "\n".join(r.lines())
    assert f"cashable: GBP {r.cashable_gbp:,.0f}" in text and f"not cashable: GBP {r.non_cashable_gbp:,.0f}" in text


def test_nothing_is_cashed_before_the_lag():
    _, new, _, r = shifted(8_000_000, ward_beds=25, cashable_share=0.6, cashable_lag_months=6)
    held = r.released_gbp
    for years in (0.1, 0.25, 0.5):  # up to six months: every closed bed still costs in full
        assert stranded_cost(new, years) == pytest.approx(held * years)
    assert stranded_cost(new, 2.0) == pytest.approx(held * 2.0 - r.cashable_gbp * 1.5)


def test_fewer_beds_than_a_ward_cash_nothing_and_the_share_moves_no_capacity():
    """Below a ward nothing is cashed; the capacity a shift moves does not depend on the cashable share."""
    _, a, ov_a, ra = shifted(1_000_000, ward_beds=28, cashable_share=0.2)
    _, b, ov_b, rb = shifted(1_000_000, ward_beds=28, cashable_share=0.9)
    assert ra.wards_closed == 0 and ra.cashable_gbp == 0 and ra.non_cashable_gbp == ra.released_gbp
    assert [t.units_moved for t in ra.targets] == [t.units_moved for t in rb.targets]
    assert a.acute.beds_per_100k == b.acute.beds_per_100k


def test_posts_are_released_whole():
    p = Params()
    spec = parse({"from": "reablement_places", "amount_gbp_per_year": 500_000, "to": {"social_workers": 1.0}}, 1)
    new, _, r = apply_shift(spec, p)
    assert r.cashable_gbp == r.released_gbp and r.wards_closed == 0
    assert new.costs.shift_closed_acute_beds_per_100k == 0
