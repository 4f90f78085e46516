"""Social care that prevents, and rapid response by severity (issue 19, point 1).

Each mechanism: its direction, and its isolation under common random numbers
(at its neutral value, or where it cannot act, nothing else moves).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from smallplace import UNLIMITED, merge, small

from sim.pathways.home import crisis_delay, crisis_delay_stepped, step_delay
from sim.replication.single import single_run
from sim.vocabulary import Ev, Spell

# home care scarce and asked for often, so that requests wait on the council's list or are refused
SCARCE = {
    "home_care_packages_per_100k": 400.0,
    "initial_home_care_per_100k": 400.0,
    "community_home_care_by_frailty": [0.01, 0.04, 0.1, 0.2],
}
PLACE = {"population": 20_000, "horizon": 365.0, "warmup": 60.0}
BIG_TEAM = {"rapid_response_per_100k": 20.0, "rapid_response_share": 0.5}


def run(seed: int = 3, **groups: dict):
    return single_run(small(**PLACE, **groups), seed=seed, replication=0)


def kpis(res) -> pd.Series:
    return res.kpis.set_index(["cohort", "metric"])["value"]


def in_window(res, event: Ev) -> pd.DataFrame:
    ev = res.data.events
    return ev[(ev["event"] == event) & (ev["time"] >= res.data.window_start)]


# --- the crisis hazard with a raised stretch -------------------------------------------------------


@pytest.mark.parametrize("boost", [0.0, 2.0])
@pytest.mark.parametrize("days", [0.5, 30.0, math.inf])
def test_the_stepped_crisis_time_is_where_the_cumulative_hazard_reaches_the_draw(boost, days):
    base, tau, hr = 0.01, 60.0, 1.6

    def cumulative(x: float) -> float:
        def h(a: float, b: float) -> float:  # base * integral of (1 + boost * exp(-s / tau)) over [a, b)
            return base * ((b - a) + boost * tau * (math.exp(-a / tau) - math.exp(-b / tau)))

        return hr * h(0.0, min(x, days)) + (h(days, x) if x > days else 0.0)

    for e in (0.001, 0.3, 2.0):
        x = crisis_delay_stepped(base, boost, tau, e, hr, days)
        assert cumulative(x) == pytest.approx(e, rel=1e-7)
        assert x <= crisis_delay(base, boost, tau, e)  # a raised hazard never delays the crisis
    assert crisis_delay_stepped(base, boost, tau, 0.3, 1.0, days) == pytest.approx(crisis_delay(base, boost, tau, 0.3))


def test_a_lowered_request_hazard_delays_the_request_by_what_it_removed():
    rate, e = 0.002, 0.5
    assert step_delay(rate, e, 0.5, math.inf) == pytest.approx(e / (rate * 0.5))
    # hazard 0 for 100 days, then the plain rate: the request comes 100 days later than without reablement
    assert step_delay(rate, e, 0.0, 100.0) == pytest.approx(100.0 + e / rate)
    assert step_delay(rate, e, 0.4, 10.0) == pytest.approx(10.0 + (e - rate * 0.4 * 10.0) / rate)


# --- A: unmet need raises crisis risk --------------------------------------------------------------


def test_refused_requests_are_recorded_and_their_unmet_need_lasts_the_stated_days():
    """No waiting list: every request from the community is refused, and its unmet need lasts the stated days from
    the person's last refusal, unless they take up care on leaving hospital or die first."""
    days = 50.0
    res = run(social_care={**SCARCE, "community_waiting_list_per_100k": 0.0, "unmet_need_refused_days": days})
    k = kpis(res)
    refused = in_window(res, Ev.SOCIAL_CARE_REFUSED)
    assert len(refused) > 50
    assert k[("all", "social_care_requests_refused")] == len(refused)
    sp = res.data.spells
    unmet = sp[sp["kind"] == Spell.UNMET_NEED].reset_index(drop=True)
    assert unmet["end"].notna().all()  # a refusal's unmet need has an end in sight
    every = res.data.events[res.data.events["event"] == Ev.SOCIAL_CARE_REFUSED]
    pairs = unmet.reset_index().merge(every[["pid", "time"]], on="pid")
    pairs = pairs[(pairs["time"] >= pairs["start"]) & (pairs["time"] <= pairs["end"])]
    last = pairs.groupby("index")["time"].max()
    assert len(last) == len(unmet)  # each spell began with a refusal
    length = unmet["end"] - last.sort_index().to_numpy()
    assert (length <= days + 1e-9).all()
    assert np.isclose(length, days).mean() > 0.5
    assert 0 < k[("all", "unmet_need_person_days")] <= (unmet["end"] - unmet["start"]).sum()


def test_a_higher_hazard_ratio_raises_crises_among_people_with_unmet_need():
    ref, raised = (run(social_care={**SCARCE, "unmet_need_crisis_hr": hr}) for hr in (1.0, 3.0))
    sp = ref.data.spells
    unmet = set(sp.loc[sp["kind"] == Spell.UNMET_NEED, "pid"])
    assert len(unmet) > 50
    crises = [in_window(r, Ev.CRISIS) for r in (ref, raised)]
    among = [int(c["pid"].isin(unmet).sum()) for c in crises]
    others = [int((~c["pid"].isin(unmet)).sum()) for c in crises]
    assert among[1] > 1.2 * among[0]
    assert abs(others[1] - others[0]) < 0.02 * others[0]  # the rest change only through shared services


def test_with_a_hazard_ratio_of_one_how_long_need_goes_unmet_changes_nothing_else():
    short, long = (
        run(social_care={**SCARCE, "unmet_need_crisis_hr": 1.0, "unmet_need_refused_days": d}) for d in (1.0, 365.0)
    )
    ka, kb = kpis(short), kpis(long)
    assert kb[("all", "unmet_need_person_days")] > ka[("all", "unmet_need_person_days")]
    others = [i for i in ka.index if i[1] != "unmet_need_person_days"]
    pd.testing.assert_series_equal(ka[others], kb[others])
    pd.testing.assert_frame_equal(short.events(), long.events())


def test_where_no_need_goes_unmet_the_hazard_ratio_changes_nothing():
    """Every request is met at once (capacity to spare): a hazard ratio on unmet need has nobody to act on."""
    a, b = (run(**merge(UNLIMITED, {"social_care": {"unmet_need_crisis_hr": hr}})) for hr in (1.0, 3.0))
    ka, kb = kpis(a), kpis(b)
    assert ka[("all", "social_care_requests_refused")] == 0
    assert ka[("all", "unmet_need_person_days")] == 0
    pd.testing.assert_series_equal(ka, kb)


# --- B: rapid response resolves by the crisis's severity ------------------------------------------


def test_a_higher_resolution_share_for_severe_crises_lowers_emergency_admissions():
    low, high = (run(community={**BIG_TEAM, "rapid_response_resolves_severe": s}) for s in (0.2, 0.8))
    kl, kh = kpis(low), kpis(high)
    assert kh[("all", "emergency_admissions")] < 0.8 * kl[("all", "emergency_admissions")]
    assert kh[("all", "ae_attendances")] < kl[("all", "ae_attendances")]


def test_resolving_more_minor_crises_spares_attendances_not_admissions():
    """With a hospital that never fills and instant A&E decisions, a minor crisis not resolved at home is sent home
    from A&E: the minor share moves A&E attendances and leaves every admission where it was."""
    fast = {"routing": {"ae_decision_hours": 0.01}}
    low, high = (
        run(**merge(UNLIMITED, {**fast, "community": {**BIG_TEAM, "rapid_response_resolves_minor": s}}))
        for s in (0.3, 0.9)
    )
    kl, kh = kpis(low), kpis(high)
    assert kh[("all", "ae_attendances")] < 0.9 * kl[("all", "ae_attendances")]
    for metric in ("crises", "rapid_responses", "emergency_admissions", "deaths"):
        assert kh[("all", metric)] == kl[("all", metric)], metric
    assert kh[("all", "bed_days")] == pytest.approx(kl[("all", "bed_days")], rel=1e-4)  # shifted by A&E minutes


# --- C: reablement lowers later need ---------------------------------------------------------------


def _asked_for_home_care_after_reablement(res, days: float) -> int:
    """People who, within ``days`` of a reablement episode ending, asked for home care or started a package."""
    sp = res.data.spells
    ended = sp[(sp["kind"] == Spell.REABLEMENT) & sp["end"].notna()][["pid", "end"]]
    later = sp[sp["kind"].isin([Spell.HOME_CARE, Spell.UNMET_NEED])][["pid", "start"]]
    pairs = ended.merge(later, on="pid")
    hit = (pairs["start"] > pairs["end"]) & (pairs["start"] <= pairs["end"] + days)
    return int(pairs.loc[hit, "pid"].nunique())


REABLING = {"discharge": {"reablement_by_frailty": [0.1, 0.1, 0.1, 0.1]}}


def test_reablement_lowers_later_requests_for_home_care():
    effect = {
        "reablement_outcome": [0.9, 0.05, 0.05],
        "reablement_places_per_100k": 200.0,
        "community_home_care_by_frailty": [0.5, 1.0, 1.5, 2.0],
    }
    plain, reabled = (
        run(**REABLING, social_care={**SCARCE, **effect, "reablement_request_hr": hr}) for hr in (1.0, 0.0)
    )
    before, after = (_asked_for_home_care_after_reablement(r, 365.0) for r in (plain, reabled))
    assert before >= 15
    assert after < 0.7 * before


def test_with_a_hazard_ratio_of_one_the_reablement_effect_length_changes_nothing():
    a, b = (
        run(**REABLING, social_care={**SCARCE, "reablement_request_hr": 1.0, "reablement_effect_days": d})
        for d in (0.0, 730.0)
    )
    pd.testing.assert_series_equal(kpis(a), kpis(b))
    assert np.isfinite(kpis(a)[("all", "crises")])
