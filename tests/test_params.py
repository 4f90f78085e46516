"""The parameter tree: typed, frozen, validated, with a unit and a source on every leaf (DESIGN 4, 10)."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, apply_overrides, to_dict, walk

LEAVES = list(walk(Params()))
KEYS = [key for key, _, _ in LEAVES]
META = {key: meta for key, _, meta in LEAVES}


def nested(key: str, value: Any) -> dict[str, Any]:
    """``{'a': {'b': value}}`` for the dotted key ``a.b`` (the shape of a scenario file's tables)."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def get(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def one_line_error_naming(key: str, overrides: dict[str, Any]) -> str:
    with pytest.raises(ParameterError) as info:
        apply_overrides(Params(), overrides)
    msg = str(info.value)
    assert key in msg, msg
    assert "\n" not in msg  # the CLI prints errors on one line
    return msg


# --- construction and metadata --------------------------------------------------------------------


def test_defaults_construct_and_are_equal():
    assert Params() == Params()
    assert len(LEAVES) > 20


def test_every_leaf_has_unit_and_source():
    missing = [
        key
        for key, _, meta in LEAVES
        if not str(meta.get("unit") or "").strip() or not str(meta.get("source") or "").strip()
    ]
    assert missing == []


def test_every_leaf_key_is_dotted_and_unique():
    assert len(KEYS) == len(set(KEYS))
    assert all("." in k for k in KEYS)


def test_defaults_satisfy_their_own_bounds():
    for key, value, meta in LEAVES:
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert math.isfinite(v), key
                if meta.get("lo") is not None:
                    assert v >= meta["lo"], key
                if meta.get("hi") is not None:
                    assert v <= meta["hi"], key
        if meta.get("length") is not None:
            assert len(value) == meta["length"], key


def test_to_dict_is_json_and_round_trips():
    d = to_dict(Params())
    text = json.dumps(d, sort_keys=True)
    assert apply_overrides(Params(), json.loads(text)) == Params()


def test_overriding_every_leaf_with_its_own_value_changes_nothing():
    p = Params()
    for key, value, _ in LEAVES:
        v = list(value) if isinstance(value, tuple) else value  # a scenario file gives lists
        assert apply_overrides(p, nested(key, v)) == p, key


# --- unknown keys ---------------------------------------------------------------------------------


def test_unknown_key_names_dotted_key_and_suggests_closest():
    msg = one_line_error_naming("acute.beds_per_100K", {"acute": {"beds_per_100K": 200}})
    assert "did you mean 'acute.beds_per_100k'" in msg


def test_unknown_group_suggests_closest_group():
    msg = one_line_error_naming("acutee", {"acutee": {"beds_per_100k": 200}})
    assert "'acute'" in msg


def test_unknown_key_without_close_match_lists_valid_keys():
    msg = one_line_error_naming("zzzz", {"zzzz": 1})
    assert "acute" in msg and "place" in msg


@pytest.mark.parametrize("key", KEYS)
def test_typos_of_every_key_suggest_it(key):
    group, leaf = key.rsplit(".", 1)
    mid = len(leaf) // 2
    for typo in (leaf[:mid] + leaf[mid + 1 :], leaf[:-1] + leaf[-1].swapcase()):
        if typo == leaf:
            continue
        msg = one_line_error_naming(f"{group}.{typo}", nested(f"{group}.{typo}", 1))
        assert f"did you mean '{key}'" in msg


# --- bad values -----------------------------------------------------------------------------------


def test_wrong_type_names_key():
    one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", "many"))
    one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", True))  # a bool is not a number
    one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", [1.0, 2.0]))
    one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", {"a": 1}))
    one_line_error_naming("acute", {"acute": 5})  # a value where a table belongs
    one_line_error_naming("place.registered_population", nested("place.registered_population", 1000.5))


@pytest.mark.parametrize("key", KEYS)
def test_wrong_type_rejected_for_every_leaf(key):
    value = get(Params(), key)
    bad = 1.5 if isinstance(value, str) else "not a number"
    one_line_error_naming(key, nested(key, bad))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_rejected(bad):
    one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", bad))


def test_negative_capacity_names_key():
    msg = one_line_error_naming("acute.beds_per_100k", nested("acute.beds_per_100k", -5))
    assert "below" in msg
    capacities = [k for k in KEYS if k.endswith("_per_100k")]
    assert len(capacities) >= 5
    for key in capacities:
        one_line_error_naming(key, nested(key, -1.0))


@pytest.mark.parametrize("key", [k for k in KEYS if META[k].get("lo") is not None or META[k].get("hi") is not None])
def test_out_of_bounds_rejected_for_every_bounded_leaf(key):
    value = get(Params(), key)
    meta = META[key]
    int_leaf = isinstance(value, int) and not isinstance(value, bool)
    step = 1 if int_leaf else 0.5
    for bound, outside in (("lo", -step), ("hi", step)):
        if meta.get(bound) is None:
            continue
        bad = meta[bound] + outside
        if int_leaf:
            bad = int(bad)
        override = [bad] * len(value) if isinstance(value, tuple) else bad
        one_line_error_naming(key, nested(key, override))


def test_shares_not_summing_to_one_name_key():
    msg = one_line_error_naming("people.frailty_65_74", nested("people.frailty_65_74", [0.5, 0.5, 0.5, 0.5]))
    assert "sum" in msg
    one_line_error_naming("social_care.reablement_outcome", nested("social_care.reablement_outcome", [0.5, 0.2, 0.2]))


def test_shares_summing_to_one_accepted():
    p = apply_overrides(Params(), nested("people.frailty_65_74", [0.25, 0.25, 0.25, 0.25]))
    assert p.people.frailty_65_74 == (0.25, 0.25, 0.25, 0.25)


@pytest.mark.parametrize("values", [[0.5, 0.5], [0.2, 0.2, 0.2, 0.2, 0.2], []])
def test_wrong_tuple_length_names_key(values):
    msg = one_line_error_naming("people.frailty_65_74", nested("people.frailty_65_74", values))
    assert "values" in msg


def test_direct_construction_is_validated_too():
    group = type(Params().acute)
    with pytest.raises(ParameterError, match="beds_per_100k"):
        group(beds_per_100k=-1.0)


@settings(max_examples=60, deadline=None)
@given(beds=st.floats(min_value=0.0, max_value=1e4), pop=st.integers(min_value=1_000, max_value=5_000_000))
def test_valid_overrides_are_applied(beds, pop):
    p = apply_overrides(Params(), {"acute": {"beds_per_100k": beds}, "place": {"registered_population": pop}})
    assert p.acute.beds_per_100k == beds
    assert p.place.registered_population == pop
    # nothing else moved
    others = [(k, v) for k, v, _ in walk(p) if k not in ("acute.beds_per_100k", "place.registered_population")]
    assert others == [(k, v) for k, v, _ in LEAVES if k not in ("acute.beds_per_100k", "place.registered_population")]


# --- immutability ---------------------------------------------------------------------------------


def test_params_are_frozen():
    p = Params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.acute = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.acute.beds_per_100k = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.people.frailty_65_74[0] = 0.9  # type: ignore[index]
    hash(p)  # frozen all the way down: usable as a key


def test_apply_overrides_does_not_mutate_its_inputs():
    base = Params()
    overrides = {
        "acute": {"beds_per_100k": 150, "los_to_fit_mean_days": [4.0, 5.0, 6.0, 7.0]},
        "people": {"frailty_65_74": [0.25, 0.25, 0.25, 0.25]},
    }
    before = copy.deepcopy(overrides)
    new = apply_overrides(base, overrides)
    assert overrides == before
    assert base == Params()
    assert new is not base and new != base
    assert new.acute.beds_per_100k == 150.0 and isinstance(new.acute.beds_per_100k, float)
    # the new tree holds tuples, not the caller's lists: changing the list later changes nothing
    overrides["acute"]["los_to_fit_mean_days"][0] = 99.0
    assert new.acute.los_to_fit_mean_days == (4.0, 5.0, 6.0, 7.0)
    # groups not mentioned are shared, unchanged objects
    assert new.costs is base.costs


def test_failed_override_leaves_base_unchanged():
    base = Params()
    with pytest.raises(ParameterError):
        apply_overrides(base, {"acute": {"beds_per_100k": 150}, "people": {"frailty_65_74": [1.0]}})
    assert base == Params()
