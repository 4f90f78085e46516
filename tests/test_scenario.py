"""Scenario files: extends chains, overrides, and one-line errors naming the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.parameters.params import Params
from sim.parameters.tree import to_dict
from sim.scenarios.scenario import Scenario, ScenarioError, baseline, load

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).resolve().parent / "broken"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_baseline_file_equals_built_in_baseline():
    s = load(ROOT / "scenarios" / "baseline.toml")
    assert s.name == "baseline"
    assert s.params == Params()
    assert s.overrides == {}
    assert s.description.strip()


def test_built_in_baseline():
    s = baseline()
    assert (s.name, s.path, s.params, s.overrides) == ("baseline", None, Params(), {})


def test_overrides_are_applied_and_recorded(tmp_path):
    path = write(tmp_path, "beds.toml", 'name = "beds"\ndescription = "Fewer beds."\n[acute]\nbeds_per_100k = 150\n')
    s = load(path)
    assert s.name == "beds" and s.description == "Fewer beds." and s.path == path
    assert s.params.acute.beds_per_100k == 150.0
    assert isinstance(s.params.acute.beds_per_100k, float)
    assert s.params == dataclasses.replace(Params(), acute=dataclasses.replace(Params().acute, beds_per_100k=150.0))
    assert s.overrides == {"acute": {"beds_per_100k": 150}}


def test_extends_defaults_to_baseline(tmp_path):
    s = load(write(tmp_path, "a.toml", 'name = "a"\n'))
    assert s.params == Params() and s.description == ""


def test_extends_chain_child_wins_and_overrides_merge(tmp_path):
    write(
        tmp_path,
        "base/parent.toml",
        'name = "parent"\nextends = "baseline"\n[acute]\nbeds_per_100k = 150\nlos_cv = 0.8\n'
        "[place]\nregistered_population = 100000\n",
    )
    child = write(
        tmp_path, "child/child.toml", 'name = "child"\nextends = "../base/parent.toml"\n[acute]\nlos_cv = 0.9\n'
    )
    s = load(child)
    assert s.name == "child"
    assert s.params.acute.beds_per_100k == 150
    assert s.params.acute.los_cv == 0.9
    assert s.params.place.registered_population == 100000
    assert s.overrides == {"acute": {"beds_per_100k": 150, "los_cv": 0.9}, "place": {"registered_population": 100000}}


def test_extends_is_relative_to_the_file_not_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path, "dir/parent.toml", 'name = "parent"\n[acute]\nbeds_per_100k = 120\n')
    write(tmp_path, "dir/child.toml", 'name = "child"\nextends = "parent.toml"\n')
    monkeypatch.chdir(tmp_path)
    assert load("dir/child.toml").params.acute.beds_per_100k == 120


def test_lists_become_tuples(tmp_path):
    s = load(write(tmp_path, "a.toml", 'name = "a"\n[people]\nlives_alone = [0.3, 0.3, 0.4, 0.5]\n'))
    assert s.params.people.lives_alone == (0.3, 0.3, 0.4, 0.5)


def test_scenario_is_frozen_and_loading_leaves_defaults_alone(tmp_path):
    before = to_dict(Params())
    s = load(write(tmp_path, "a.toml", 'name = "a"\n[acute]\nbeds_per_100k = 99\n'))
    assert isinstance(s, Scenario)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "b"  # type: ignore[misc]
    assert to_dict(Params()) == before


def errors(path) -> str:
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, ValueError)
    return message


@pytest.mark.parametrize(
    "body, fragment",
    [
        (
            'name = "x"\n[intervention.mdt]\nco_ordinators = 4\n',
            "unknown key 'intervention.mdt.co_ordinators'; did you mean",
        ),
        ('name = "x"\n[[shift]]\nfrom = "acute"\n', "shift[1]: missing 'amount_gbp_per_year'"),
        ('name = "x"\nintervnetion = 1\n', "did you mean 'intervention'?"),
        ('name = "x"\nnmae = "y"\n', "did you mean 'name'?"),
        ('name = ""\n', "'name' must not be empty"),
        ('name = "x"\ndescription = 3\n', "'description' must be text"),
        ('name = "x"\nextends = ["a.toml"]\n', "'extends' must be text"),
        ('name = "x"\nacute = 5\n', "acute: expected a table"),
        ('name = "x"\n[acute]\nbeds_per_100k = true\n', "acute.beds_per_100k: expected a number"),
        ('name = "x"\n[place]\nregistered_population = 2.5\n', "place.registered_population: expected a whole number"),
        ('name = "x"\n[people]\nlives_alone = [0.3, 0.3]\n', "people.lives_alone: expected 4 values"),
        ('name = "x"\nextends = "x.toml"\n', "makes a cycle"),
        ("   \n\n", "empty"),
        ("# only a comment\n", "missing required key 'name'"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path, body, fragment):
    path = write(tmp_path, "x.toml", body)
    message = errors(path)
    assert message.startswith(f"{path.as_posix()}: ")
    assert fragment in message


def test_error_in_a_parent_names_the_parent(tmp_path):
    write(tmp_path, "parent.toml", 'name = "parent"\n[acute]\nbeds_per_100k = -1\n')
    child = write(tmp_path, "child.toml", 'name = "child"\nextends = "parent.toml"\n')
    message = errors(child)
    assert message.startswith(f"{(tmp_path / 'parent.toml').as_posix()}: acute.beds_per_100k")


def test_missing_file_and_directory(tmp_path):
    assert errors(tmp_path / "nope.toml").endswith("nope.toml: no such file")
    assert "is a directory" in errors(tmp_path)


BROKEN_EXPECTED = {
    "unknown_top_level_key.toml": "unknown top-level key 'acutee'; did you mean 'acute'?",
    "misspelt_parameter_key.toml": "unknown key 'acute.beds_per_100_k'; did you mean 'acute.beds_per_100k'?",
    "wrong_type.toml": "acute.beds_per_100k: expected a number, got 'a lot'",
    "name_not_text.toml": "'name' must be text",
    "negative_capacity.toml": "acute.beds_per_100k: -10.0 is below the smallest possible value 0",
    "shares_do_not_sum.toml": "people.frailty_65_74: shares must sum to 1",
    "cyclic_extends_a.toml": "makes a cycle: cyclic_extends_a.toml -> cyclic_extends_b.toml -> cyclic_extends_a.toml",
    "cyclic_extends_b.toml": "makes a cycle: cyclic_extends_b.toml -> cyclic_extends_a.toml -> cyclic_extends_b.toml",
    "missing_extends_target.toml": "'extends' names 'no_such_scenario.toml', which is not a file",
    "malformed.toml": "not valid TOML: ",
    "empty.toml": "the file is empty",
    "non_utf8.toml": "not UTF-8 text (byte 0xe9 on line 2)",
    "missing_name.toml": "missing required key 'name'",
    "shift_shares_do_not_sum.toml": "shift[1].to: shares must sum to 1, they sum to 1.2",
    "shift_larger_than_source.toml": "more than the 2 the place holds (at 250,000 people",  # priced: no count here
    "shift_to_unknown_service.toml": "shift[1].to: unknown service 'reablement'; did you mean 'reablement_places'?",
    "unknown_intervention.toml": (
        "unknown intervention 'intervention.rapid_responce'; did you mean 'intervention.rapid_response'?"
    ),
    "misspelt_intervention_key.toml": (
        "unknown key 'intervention.mdt.casload'; did you mean 'intervention.mdt.caseload'?"
    ),
    "huge_float.toml": "acute.beds_per_100k: 1e+308 is too large for any quantity caresim reads",
    "huge_integer.toml": "time.horizon_days: a number of 401 digits is too large",
    "integer_of_5000_digits.toml": "registered_population (line 4): a number of 5,000 digits is too large",
    "above_upper_bound.toml": "acute.beds_per_100k: 20000.0 is above the largest possible value 10000.0",
    "deeply_nested_lists.toml": "nested too deeply (at most 20 levels)",
    "deeply_nested_tables.toml": "nested too deeply (at most 20 levels)",
}


def test_broken_corpus_is_complete():
    assert sorted(p.name for p in BROKEN.glob("*.toml")) == sorted(BROKEN_EXPECTED)


@pytest.mark.parametrize("name", sorted(BROKEN_EXPECTED))
def test_broken_corpus_messages(name):
    message = errors(BROKEN / name)
    assert BROKEN_EXPECTED[name] in message
    assert message.split(": ")[0].endswith(".toml")
