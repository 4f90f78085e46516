"""Capacities at every size: no positive rate rounds to no unit, and a small place says which services are small."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.app import logic
from sim.cli.main import main
from sim.core.capacity_check import (
    SMALL_PLACE,
    capacity_warnings,
    combined_warnings,
    place_units,
    small_capacities,
)
from sim.core.model import capacities
from sim.parameters.params import Params, per_place
from sim.parameters.tree import apply_overrides
from sim.scenarios.scenario import RunSettings, load

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--reps", "1", "--horizon-days", "7", "--warmup-days", "0"]


def place(n: int, **groups: dict) -> Params:
    return apply_overrides(Params(), {"place": {"registered_population": n}, **groups})


# --- the rule ----------------------------------------------------------------------------------------


@given(st.floats(min_value=1e-6, max_value=10_000), st.integers(min_value=1_000, max_value=5_000_000))
def test_a_positive_rate_never_gives_zero_units_and_rounds_to_the_nearest_otherwise(rate, n):
    exact = rate * n / 100_000
    units = per_place(rate, n)
    assert units >= 1
    if exact >= 0.5:
        assert abs(units - exact) <= 0.5  # the nearest whole unit, as before the rule
    else:
        assert units == 1  # raised from zero to one


@pytest.mark.parametrize("n", [1_000, 50_000, 250_000, 5_000_000])
def test_a_rate_of_zero_stays_zero(n):
    assert per_place(0.0, n) == 0
    off = place(n, community={"rapid_response_per_100k": 0.0})
    assert capacities(off)["rapid_response"] == 0
    assert "rapid response" not in " ".join(capacity_warnings(off))  # a service switched off is not named


@pytest.mark.parametrize("n", [1_000, 10_000, 50_000, 250_000])
def test_the_check_counts_the_units_the_model_builds(n):
    p = place(n)
    units = {u.service: u.units for u in place_units(p)}
    for name, held in capacities(p).items():
        assert name in units, f"capacity '{name}' has no line in sim.core.capacity_check.SERVICES"
        assert units[name] == held, name


# --- the warning -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10_000, 20_000, 50_000])
def test_below_100000_every_service_with_fewer_than_two_units_is_named(n):
    p = place(n)
    expected = {u.service for u in place_units(p) if u.per_100k > 0 and u.units < 2}
    assert expected  # at these sizes some baseline service is that small
    named = small_capacities(p)
    assert {u.service for u in named} == expected
    lines = capacity_warnings(p)
    assert len(lines) == 1 + len(named) and f"{n:,} registered people" in lines[0]
    for u in named:
        assert any(line.startswith(u.words + ": ") for line in lines[1:])
        assert ("raised from zero to one" in u.line()) == (round(u.exact) == 0)  # nearest, halves to even


def test_at_250000_the_baseline_warns_of_nothing_but_a_raised_service_is_named_at_any_size():
    assert capacity_warnings(place(250_000)) == []
    tiny = place(250_000, community={"rapid_response_per_100k": 0.1})  # 0.25 of a team: raised to one
    lines = capacity_warnings(tiny)
    assert len(lines) == 2 and "rapid response" in lines[1] and "raised from zero to one" in lines[1]
    assert SMALL_PLACE == 100_000


def test_scenarios_compared_are_named_only_where_their_warnings_differ():
    base = place(50_000)
    assert combined_warnings([("a", base), ("b", base)]) == capacity_warnings(base)
    bigger = place(50_000, community={"rapid_response_per_100k": 4.0})
    lines = combined_warnings([("baseline", base), ("more_rr", bigger)])
    assert lines and all(line.startswith("scenario 'baseline': ") for line in lines)


def test_run_warns_below_100000_on_stderr_and_not_at_250000(capsys):
    assert main(["run", "--population", "50000", *QUICK]) == 0
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if line.startswith("caresim: warning: capacities: ")]
    others = [line for line in err if not line.startswith("caresim: warning: replications: ")]  # one replication
    assert warned and len(warned) == len(others)
    expected = capacity_warnings(place(50_000))
    assert [line.removeprefix("caresim: warning: capacities: ") for line in warned] == expected
    assert any("rapid response" in line and "raised from zero to one" in line for line in warned)
    assert main(["run", "--population", "250000", *QUICK]) == 0
    assert "warning: capacities" not in capsys.readouterr().err


def test_compare_warns_like_run(capsys):
    rr = (ROOT / "scenarios" / "rapid_response.toml").as_posix()
    assert main(["compare", "baseline", rr, "--population", "20000", *QUICK]) == 0
    err = capsys.readouterr().err
    assert "caresim: warning: capacities: " in err and "social workers" in err


def test_the_page_shows_the_same_warning():
    small = load(ROOT / "scenarios" / "baseline.toml", RunSettings(population=50_000))
    text = logic.small_place_warning(small)
    lines = capacity_warnings(small.params)
    assert text.startswith("At 50,000 registered people") and all(line in text for line in lines[1:])
    assert logic.small_place_warning(load(ROOT / "scenarios" / "baseline.toml")) == ""


def test_the_page_shows_it_above_the_run_button_for_ready_made_scenarios_too(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from sim.app import command

    monkeypatch.setenv("CARESIM_APP_RESULTS", str(tmp_path / "results"))
    at = AppTest.from_file(str(Path(command.__file__).with_name("page.py")), default_timeout=60)
    at.query_params.update({"population": "50000", "reps": "2"})
    at.run()
    assert not at.exception
    shown = [w.value for w in at.warning if w.value.startswith("At 50,000 registered people")]
    assert len(shown) == 1 and "rapid response" in shown[0]
    at.radio(key="mode").set_value("Pick a ready-made scenario").run()  # the first: case management
    assert not at.exception
    assert any(w.value.startswith("At 50,000 registered people") for w in at.warning)
