"""Discharge as England ran it: the returns' delay categories, who is responsible, full destinations, D2A.

The pathway is driven on a small place's services with one person and no one
else, so each test sees exactly the waits the rules say; a whole run checks
that every delayed day is counted once in each split.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from smallplace import small

from sim.core.distributions import Exponential
from sim.core.model import Model
from sim.core.records import OpenStay
from sim.pathways import discharge
from sim.pathways.discharge import by_funding, funding, wait_days
from sim.pathways.mdt import Teams
from sim.replication.single import single_run
from sim.vocabulary import Delay, Dest, Ev, Funding, Place, Reason, Responsible

NONE_EXTRA = {  # no waits but the ones a test asks for
    "therapy_assessment_days": 0.0,
    "nhs_funding_days": 0.0,
    "council_funding_days": 0.0,
    "package_start_days": 0.0,
    "choice_share": 0.0,
    "equipment_share": 0.0,
    "housing_share": 0.0,
    "dispute_share": 0.0,
    "care_home_search_share": 0.0,
}


def _leave(m, pid: int, dest: Dest, monkeypatch) -> tuple[list[tuple], list[float]]:
    """Send person ``pid`` from a bed through discharge to ``dest`` now; return their delays and when they left."""
    monkeypatch.setattr(discharge, "choose_destination", lambda _m, _pid, _u: dest)
    m.pop.place[pid] = Place.ACUTE
    m.beds.preload(1)
    stay = OpenStay(pid, True, m.env.now, m.env.now, fit=m.env.now)
    m.env.process(discharge.leave_acute_bed(m, pid, stay))
    m.env.run(until=m.env.now + 400.0)
    return [d for d in m.rec.delays if d[0] == pid], [stay.left]


def _model(**discharge_overrides) -> tuple[Model, int]:
    """A small place's services with one person and nobody else (no calendar running): only this discharge moves."""
    p = small(population=5_000, horizon=2_000.0, warmup=0.0, discharge={**NONE_EXTRA, **discharge_overrides})
    m = Model(p, seed=3, replication=0)
    m.teams = Teams(m)
    pid = m.pop.entrant(0.0, young=False)
    m.new_person_slots()
    return m, pid


def _fill(pool) -> None:
    while pool.try_take():
        pass


def test_a_full_destination_is_waited_for_by_default_and_the_wait_has_its_category(monkeypatch):
    m, pid = _model()
    _fill(m.care_homes)
    m.env.timeout(30.0).callbacks.append(lambda _e: m.care_homes.give_back())  # a place frees after 30 days
    delays, left = _leave(m, pid, Dest.CARE_HOME, monkeypatch)
    waits = [d for d in delays if d[4] == Delay.CARE_HOME]
    assert len(waits) == 1 and waits[0][2] == pytest.approx(30.0) == left[0]  # the wait ends when the place frees
    assert waits[0][3] == Reason.CARE_HOME and Responsible(waits[0][5]) == Responsible.SOCIAL_CARE
    assert m.pop.place[pid] == Place.CARE_HOME


def test_with_the_step_rule_a_full_destination_is_swapped_for_the_next_with_room(monkeypatch):
    m, pid = _model(step_down_when_full=True)
    _fill(m.care_homes)
    delays, left = _leave(m, pid, Dest.CARE_HOME, monkeypatch)
    assert not [d for d in delays if d[4] == Delay.CARE_HOME]  # nobody waited for the care home
    steps = [e for e in m.rec.event_frame().itertuples() if e.event == Ev.DESTINATION_STEP and e.pid == pid]
    assert len(steps) == 1 and steps[0].detail == 10 * Dest.CARE_HOME + Dest.INTERMEDIATE_CARE
    discharges = m.rec.event_frame().query(f"event == {int(Ev.DISCHARGE)} and pid == {pid}")
    assert discharges["detail"].tolist() == [Dest.INTERMEDIATE_CARE]


def test_the_step_rule_waits_when_no_service_on_the_ladder_has_room(monkeypatch):
    m, pid = _model(step_down_when_full=True)
    _fill(m.care_homes)
    _fill(m.intermediate_care)
    m.env.timeout(12.0).callbacks.append(lambda _e: m.care_homes.give_back())
    delays, left = _leave(m, pid, Dest.CARE_HOME, monkeypatch)
    assert [d[2] for d in delays if d[4] == Delay.CARE_HOME] == [pytest.approx(12.0)]


def test_each_wait_is_attributed_as_the_returns_did(monkeypatch):
    m, pid = _model(therapy_assessment_days=1.0, equipment_share=1.0, dispute_share=1.0, housing_share=1.0)
    delays, _ = _leave(m, pid, Dest.REABLEMENT, monkeypatch)
    who = {Delay(d[4]): Responsible(d[5]) for d in delays}
    assert who[Delay.EQUIPMENT] == Responsible.BOTH and who[Delay.DISPUTES] == Responsible.BOTH
    assert who[Delay.HOUSING] == Responsible.SOCIAL_CARE  # reablement is the council's
    assessments = [Responsible(d[5]) for d in delays if d[4] == Delay.ASSESSMENT]
    assert Responsible.NHS in assessments  # the hospital team's
    assert Responsible.SOCIAL_CARE in assessments or m.p.discharge.assessment_days == 0  # the social worker's


@pytest.mark.parametrize("assess_after_discharge", [False, True])
def test_a_care_home_is_searched_for_even_with_places_free_and_the_search_is_a_placement_wait(
    monkeypatch, assess_after_discharge
):
    rules = {
        "care_home_search_share": 1.0,
        "care_home_search_days": 6.0,
        "assess_after_discharge": assess_after_discharge,
    }
    probe, pid = _model(**rules)  # the same seed: the person's first draws of each stream, read before the run
    expected = Exponential(6.0).ppf(probe.u("care_home_search", pid))
    payer = funding(probe, Dest.CARE_HOME, probe.u("funding", pid))
    m, pid = _model(**rules)
    assert m.care_homes.capacity > m.care_homes.in_use  # places are free
    delays, left = _leave(m, pid, Dest.CARE_HOME, monkeypatch)
    searches = [d for d in delays if d[4] == Delay.CARE_HOME]
    assert len(searches) == 1 and searches[0][2] - searches[0][1] == pytest.approx(expected)
    assert left[0] == pytest.approx(max(d[2] for d in delays))  # the place was free: no wait after the search
    assert Responsible(searches[0][5]) == by_funding(payer)


def test_no_care_home_search_for_other_destinations(monkeypatch):
    m, pid = _model(care_home_search_share=1.0, care_home_search_days=6.0)
    delays, _ = _leave(m, pid, Dest.HOME_CARE, monkeypatch)
    assert delays and not [d for d in delays if d[4] == Delay.CARE_HOME]  # the social worker's assessment only


def test_funding_decides_whom_a_care_home_wait_belongs_to():
    m, _ = _model(nhs_funded_share=0.1)
    share = m.p.social_care.self_funder_share
    assert funding(m, Dest.CARE_HOME, 0.05) == Funding.NHS
    assert funding(m, Dest.CARE_HOME, 0.1 + 0.9 * share - 1e-9) == Funding.SELF
    assert funding(m, Dest.CARE_HOME, 0.1 + 0.9 * share + 1e-9) == Funding.COUNCIL
    assert funding(m, Dest.HOME_CARE, 0.5) == Funding.COUNCIL  # home care on discharge: no self-funders
    assert funding(m, Dest.INTERMEDIATE_CARE, 0.99) == Funding.NHS
    assert by_funding(Funding.COUNCIL) == Responsible.SOCIAL_CARE
    assert by_funding(Funding.SELF) == by_funding(Funding.NHS) == Responsible.NHS


def test_intermediate_care_waits_are_further_non_acute_nhs_care_and_need_no_social_worker(monkeypatch):
    m, pid = _model()
    _fill(m.intermediate_care)
    _fill(m.social_workers)  # no social worker is free: intermediate care does not need one
    m.env.timeout(5.0).callbacks.append(lambda _e: m.intermediate_care.give_back())
    delays, left = _leave(m, pid, Dest.INTERMEDIATE_CARE, monkeypatch)
    assert [(Delay(d[4]), Responsible(d[5])) for d in delays] == [(Delay.NON_ACUTE_NHS, Responsible.NHS)]
    assert delays[0][3] == Reason.INTERMEDIATE_CARE and left[0] == pytest.approx(5.0)


def test_discharge_to_assess_leaves_when_the_service_has_room_and_assesses_afterwards(monkeypatch):
    m, pid = _model(assess_after_discharge=True, therapy_assessment_days=2.0, council_funding_days=5.0)
    in_use = m.social_workers.in_use
    delays, left = _leave(m, pid, Dest.HOME_CARE, monkeypatch)
    assert not [d for d in delays if d[4] in (Delay.ASSESSMENT, Delay.PUBLIC_FUNDING)]
    assert left[0] == pytest.approx(0.0)  # a package was free: left when fit
    assert m.social_workers.served > 0 and m.social_workers.in_use == in_use  # assessed, and the worker is free again


def test_a_wait_for_a_share_of_people_uses_one_uniform_for_whether_and_how_long():
    u = (np.arange(100_000) + 0.5) / 100_000
    days = np.array([wait_days(x, 0.3, 7.0) for x in u])
    assert np.mean(days > 0) == pytest.approx(0.3, abs=1e-4)
    assert days[days > 0].mean() == pytest.approx(7.0, rel=0.01)
    assert wait_days(0.2, 0.3, 0.0) == 0.0 and wait_days(0.5, 0.3, 7.0) == 0.0
    assert wait_days(0.15, 0.3, 7.0) == pytest.approx(Exponential(7.0).ppf(0.5))


def test_every_delayed_day_has_one_category_and_one_responsible_organisation():
    res = single_run(small(population=20_000, horizon=365.0), seed=4, replication=0)
    k = res.kpis.pivot(index="metric", columns="cohort", values="value")
    for cohort in ("all", "65plus", "85plus"):
        total = k.loc["delayed_discharge_days", cohort]
        assert total > 0
        by_who = sum(k.loc[f"delayed_days_{w.name.lower()}", cohort] for w in Responsible)
        by_why = sum(k.loc[f"delayed_days_{c.name.lower()}", cohort] for c in Delay)
        assert math.isclose(by_who, total, rel_tol=1e-9) and math.isclose(by_why, total, rel_tol=1e-9)
        awaiting = sum(k.loc[f"delayed_days_awaiting_{r.name.lower()}", cohort] for r in Reason)
        assert awaiting <= total + 1e-6
    assert k.loc["delayed_days_nhs", "all"] > 0 and k.loc["delayed_days_social_care", "all"] > 0
