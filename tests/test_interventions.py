"""Named interventions: each translation, its checks, and how it sits in a scenario's resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.parameters.params import NEEDS, Params, capacity_basis, per_place
from sim.parameters.tree import ParameterError, apply_overrides
from sim.scenarios.interventions import DISCIPLINES, INTERVENTIONS, translate
from sim.scenarios.scenario import RunSettings, ScenarioError, load

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def resolved(tmp_path: Path, body: str, settings: RunSettings | None = None):
    return load(write(tmp_path, "s.toml", 'name = "s"\n' + body), settings)


def test_mdt_translation(tmp_path):
    s = resolved(
        tmp_path,
        """
[intervention.mdt]
coordinators_per_100k = { nurse = 8, social_worker = 2, occupational_therapist = 1 }
caseload = 40
social_care_in_team = true
discipline_for_need = { dementia = "mental_health", physical_disability = "occupational_therapist" }
enrol_top_share = 0.03
""",
    )
    m = s.params.mdt
    assert m.coordinators_per_100k == (8.0, 2.0, 0.0, 1.0)
    assert (m.caseload, m.social_care_in_team, m.enrol_top_share) == (40, True, 0.03)
    want = {need: "nurse" for need in NEEDS} | {
        "dementia": "mental_health",
        "physical_disability": "occupational_therapist",
    }
    assert [DISCIPLINES[int(d)] for d in m.preferred_discipline] == [want[n] for n in NEEDS]
    assert s.interventions == ("mdt",)
    # everything else is the baseline's
    assert (
        apply_overrides(
            s.params,
            {
                "mdt": {
                    "coordinators_per_100k": [0, 0, 0, 0],
                    "caseload": 50,
                    "social_care_in_team": False,
                    "enrol_top_share": 0.05,
                    "preferred_discipline": [0] * 6,
                }
            },
        )
        == Params()
    )


def test_needs_left_out_keep_the_parent_discipline(tmp_path):
    write(
        tmp_path,
        "parent.toml",
        'name = "p"\n[intervention.mdt]\ndiscipline_for_need = { dementia = "mental_health" }\n',
    )
    child = write(
        tmp_path,
        "child.toml",
        'name = "c"\nextends = "parent.toml"\n'
        '[intervention.mdt]\ndiscipline_for_need = { physical_disability = "occupational_therapist" }\n',
    )
    pref = load(child).params.mdt.preferred_discipline
    assert DISCIPLINES[int(pref[NEEDS.index("dementia")])] == "mental_health"
    assert DISCIPLINES[int(pref[NEEDS.index("physical_disability")])] == "occupational_therapist"


def test_community_interventions(tmp_path):
    s = resolved(
        tmp_path,
        """
[intervention.rapid_response]
teams_per_100k = 4
single_point_of_access = true
[intervention.care_navigators]
enabled = true
[intervention.community_support]
funding = 0.6
[intervention.information_sharing]
assessment_days_multiplier = 0.5
""",
    )
    c = s.params.community
    assert (c.rapid_response_per_100k, c.single_point_of_access, c.care_navigators, c.support_funding) == (
        4.0,
        True,
        True,
        0.6,
    )
    assert s.params.discharge.assessment_days == pytest.approx(Params().discharge.assessment_days * 0.5)
    assert s.interventions == ("rapid_response", "care_navigators", "community_support", "information_sharing")


def test_multipliers_apply_after_overrides_and_compound_through_extends(tmp_path):
    write(
        tmp_path,
        "parent.toml",
        'name = "p"\n[discharge]\nassessment_days = 2.0\n'
        "[intervention.information_sharing]\nassessment_days_multiplier = 0.5\n",
    )
    child = write(
        tmp_path,
        "child.toml",
        'name = "c"\nextends = "parent.toml"\n[intervention.information_sharing]\nassessment_days_multiplier = 0.5\n',
    )
    assert load(child).params.discharge.assessment_days == pytest.approx(0.5)


def test_demography_grows_numbers_and_pins_capacities(tmp_path):
    base = Params().place
    s = resolved(
        tmp_path,
        """
[intervention.demography]
growth_registered_population = 1.1
growth_65_74 = 1.3
growth_75_84 = 1.6
growth_85plus = 2.0
pin_capacities = true
""",
    )
    pl = s.params.place
    assert pl.registered_population == 275_000

    def people(place, share):
        return place.registered_population * getattr(place, share)

    assert people(pl, "share_85plus") == pytest.approx(2.0 * people(base, "share_85plus"))
    assert people(pl, "share_75_84") == pytest.approx(1.6 * people(base, "share_75_84"))
    assert people(pl, "share_65_74") == pytest.approx(1.3 * people(base, "share_65_74"))
    assert people(pl, "share_under65_complex") == pytest.approx(1.1 * people(base, "share_under65_complex"))
    assert capacity_basis(s.params) == 250_000  # the same beds as today
    assert per_place(s.params.acute.beds_per_100k, capacity_basis(s.params)) == 450
    unpinned = resolved(tmp_path, "[intervention.demography]\ngrowth_registered_population = 1.1\n")
    assert capacity_basis(unpinned.params) == 275_000


def test_demography_grows_the_population_given_on_the_command_line(tmp_path):
    s = resolved(
        tmp_path,
        "[intervention.demography]\ngrowth_registered_population = 1.1\npin_capacities = true\n",
        RunSettings(population=20_000, horizon_days=60, warmup_days=30),
    )
    assert s.params.place.registered_population == 22_000
    assert s.params.place.capacity_population == 20_000
    assert (s.params.time.horizon_days, s.params.time.warmup_days) == (60, 30)


@pytest.mark.parametrize(
    "body, fragment",
    [
        (
            "[intervention.mtd]\ncaseload = 4\n",
            "unknown intervention 'intervention.mtd'; did you mean 'intervention.mdt'?",
        ),
        (
            "[intervention.mdt]\ncasload = 4\n",
            "unknown key 'intervention.mdt.casload'; did you mean 'intervention.mdt.caseload'?",
        ),
        ("[intervention.mdt]\ncaseload = 0\n", "intervention.mdt.caseload: 0 is below the smallest possible value 1"),
        ("[intervention.mdt]\ncaseload = 12.5\n", "intervention.mdt.caseload: expected a whole number"),
        (
            "[intervention.mdt]\ncoordinators_per_100k = 8\n",
            "intervention.mdt.coordinators_per_100k: expected a table like",
        ),
        (
            "[intervention.mdt]\ncoordinators_per_100k = { nurses = 8 }\n",
            "intervention.mdt.coordinators_per_100k: unknown discipline 'nurses'; did you mean 'nurse'?",
        ),
        (
            "[intervention.mdt]\ncoordinators_per_100k = { nurse = -1 }\n",
            "intervention.mdt.coordinators_per_100k.nurse: -1 is below",
        ),
        (
            '[intervention.mdt]\ndiscipline_for_need = { dementa = "nurse" }\n',
            "intervention.mdt.discipline_for_need: unknown main need 'dementa'; did you mean 'dementia'?",
        ),
        (
            '[intervention.mdt]\ndiscipline_for_need = { dementia = "psychiatrist" }\n',
            "intervention.mdt.discipline_for_need.dementia: unknown discipline 'psychiatrist'",
        ),
        (
            '[intervention.mdt]\nsocial_care_in_team = "yes"\n',
            "intervention.mdt.social_care_in_team: expected true or false",
        ),
        (
            "[intervention.mdt]\nenrol_top_share = 1.5\n",
            "intervention.mdt.enrol_top_share: 1.5 is above the largest possible value 1",
        ),
        ("[intervention.community_support]\nfunding = -0.1\n", "intervention.community_support.funding: -0.1 is below"),
        (
            "[intervention.information_sharing]\nassessment_days_multiplier = 0\n",
            "assessment_days_multiplier: must be more than 0",
        ),
        (
            "[intervention.demography]\ngrowth_85plus = 50\n",
            "intervention.demography: place.share_85plus: 1.15 is above",
        ),
        (
            '[intervention.demography]\ngrowth_85plus = "double"\n',
            "intervention.demography.growth_85plus: expected a number",
        ),
        (
            "[intervention.care_navigators]\nenabled = 1\n",
            "intervention.care_navigators.enabled: expected true or false",
        ),
        ("intervention = 3\n", "intervention: expected named tables such as [intervention.mdt]"),
        ("[intervention]\nmdt = 3\n", "intervention.mdt: expected a table of settings"),
    ],
)
def test_bad_interventions_give_one_line_naming_file_and_key(tmp_path, body, fragment):
    path = write(tmp_path, "s.toml", 'name = "s"\n' + body)
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path.as_posix()}: ")
    assert fragment in message, message


def test_every_intervention_key_is_translated():
    """Each documented key changes something when set to a non-default value."""
    values = {
        "coordinators_per_100k": {"nurse": 3},
        "caseload": 20,
        "social_care_in_team": True,
        "discipline_for_need": {"dementia": "mental_health"},
        "enrol_top_share": 0.1,
        "enrol_broad_share": 0.5,
        "teams_per_100k": 3,
        "single_point_of_access": True,
        "enabled": True,
        "assessment_days_multiplier": 0.5,
        "funding": 0.5,
        "growth_registered_population": 1.2,
        "growth_65_74": 1.2,
        "growth_75_84": 1.2,
        "growth_85plus": 1.2,
        "pin_capacities": True,
        "rate_per_year": 0.017,
        "projection": "ons_principal",
        "mortality_improvement_per_year": 0.01,
        "healthy_ageing_share": 0.6,
    }
    for name, spec in INTERVENTIONS.items():
        for key in spec.keys:
            if key == "pin_capacities":
                table = {"growth_registered_population": 1.2, key: True}
                assert capacity_basis(apply_overrides(Params(), translate(name, table, Params()))) == 250_000
                continue
            params = apply_overrides(Params(), translate(name, {key: values[key]}, Params()))
            assert params != Params(), (name, key)


def test_unknown_intervention_without_a_close_match_lists_the_known_ones():
    with pytest.raises(ParameterError, match="known: mdt, rapid_response"):
        translate("telecare", {}, Params())
