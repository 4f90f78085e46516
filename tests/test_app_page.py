"""The what-if page through Streamlit's AppTest, and the ``app`` sub-command that starts it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest  # the page's tests need Streamlit: pip install -e ".[app,test]"

from sim.app import command, levers, logic

pytestmark = pytest.mark.timeout(300)  # a run on the page is a background child process

PAGE = Path(command.__file__).with_name("page.py")
TINY = {"population": "4000", "reps": "2", "horizon_days": "60", "warmup_days": "30"}


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("CARESIM_APP_RESULTS", str(tmp_path / "results"))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params.update(TINY)
    return at.run()


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _run_button(at):
    return next(b for b in at.button if b.label == "Run")


def test_the_page_opens_with_the_resource_shift_and_no_problem(page):
    assert not page.exception
    assert not _errors(page)
    assert page.number_input(key="set_population").value == 4000
    assert page.number_input(key="lv_shift_gbp").value == 2_000_000
    assert not _run_button(page).disabled
    assert any("What the money buys" in m.value for m in page.markdown)


def test_invalid_shares_are_explained_and_block_the_run(page):
    page.number_input(key="lv_share_mdt").set_value(50.0).run()
    assert not page.exception
    assert any("add up to 110%" in e for e in _errors(page))
    assert _run_button(page).disabled
    page.number_input(key="lv_share_reablement").set_value(20.0).run()
    assert not _errors(page) and not _run_button(page).disabled


def test_too_much_money_is_explained_next_to_the_amount(page):
    page.number_input(key="lv_shift_gbp").set_value(1e9).run()
    assert not page.exception
    assert any("more than the 450 the place holds" in e for e in _errors(page))


def test_bad_run_settings_are_explained(page):
    page.number_input(key="set_population").set_value(10).run()
    assert not page.exception
    assert any("below the smallest possible value 1000" in e for e in _errors(page))
    assert _run_button(page).disabled


def test_a_ready_made_scenario_can_be_picked(page):
    page.radio(key="mode").set_value("Pick a ready-made scenario").run()
    path = next(str(e.path) for e in logic.library() if e.name == "rapid_response")
    assert "rapid_response" in page.selectbox(key="ready").options
    page.selectbox(key="ready").set_value(path).run()
    assert not page.exception
    assert any("rapid response" in m.value for m in page.markdown)
    assert not _run_button(page).disabled
    page.selectbox(key="reference").set_value(path).run()  # the scenario against itself
    assert any("also the scenario you compare against" in e for e in _errors(page))
    assert _run_button(page).disabled


def test_a_run_shows_the_headline_table_charts_and_downloads(page):
    page.number_input(key="lv_shift_gbp").set_value(20_000_000.0).run()
    _run_button(page).click().run()
    _wait_for_results(page)
    table = page.table[-2].value  # the headline table, then the MDT cohort's
    assert "Emergency admissions" in list(table["Measure"])
    assert table["Change [95% interval]"].str.contains(r"\d").sum() >= 6  # measures with nobody in them are n/a
    labels = [b.label for b in page.get("download_button")]
    assert {"The scenario (TOML)", "The report (HTML)", "Changes (comparison.csv)"} <= set(labels)
    folder = Path(page.session_state["result"]["folder"])
    assert (folder / "report.html").is_file() and (folder / "my_what_if.toml").is_file()


def _wait_for_results(page) -> None:
    end = time.monotonic() + 90
    while time.monotonic() < end and not any(h.value == "Results" for h in page.header):
        time.sleep(0.5)
        page.run()
        assert not page.exception
    assert any(h.value == "Results" for h in page.header), _errors(page)


def test_the_words_on_runs_agree_with_the_replications(page):
    captions = " ".join(c.value for c in page.caption)
    assert "2 replications of each of the 2 scenarios, 4 runs" in captions and "simulates" not in captions
    page.number_input(key="set_reps").set_value(3).run()
    assert "3 replications of each of the 2 scenarios, 6 runs" in " ".join(c.value for c in page.caption)


def test_money_on_the_page_has_thousands_separators(page):
    assert levers.money(logic.acute_bed_year()) in page.number_input(key="lv_shift_gbp").help
    captions = " ".join(c.value for c in page.caption)
    assert "GBP 2,000,000 a year for a place of 250,000 people; GBP 32,000 a year at this run's 4,000" in captions
    page.number_input(key="lv_shift_gbp").set_value(20_000_000.0).run()
    assert "That is GBP 20,000,000 a year" in " ".join(c.value for c in page.caption)
    bought = page.table[0].value  # what the money buys
    assert bought["GBP a year"].str.fullmatch(r"[+-]?\d{1,3}(,\d{3})*").all()
    assert bought["GBP a year"].str.contains(",").any()


def test_a_shift_too_small_for_one_post_says_there_is_no_mdt(page):
    # GBP 2m at 250,000 people is GBP 32,000 at the page's 4,000: no bed moves and no co-ordinator is bought
    assert any("There is no MDT at 4,000 people" in w.value for w in page.warning)
    _run_button(page).click().run()
    _wait_for_results(page)
    said = [i.value for i in page.info]
    assert any("There is no MDT" in x and "no MDT results" in x for x in said), said
    tables = [t.value for t in page.table if "In plain words" in t.value.columns]
    assert len(tables) == 1  # the headline table only, no MDT rows of +0.0 pp [+0.0, +0.0]
    intro = " ".join(m.value for m in page.markdown)
    assert levers.runs_in_words(2) in intro
    page.number_input(key="lv_shift_gbp").set_value(20_000_000.0).run()  # two co-ordinators at 4,000 people
    assert not any("There is no MDT" in w.value for w in page.warning)


# --- the sub-command ---------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="caresim")
    command.add_app_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["app", *argv])


def test_the_page_listens_on_this_computer_by_default(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(command, "serve", lambda cmd, env, browse=None: seen.update(cmd=cmd, env=env) or 0)
    command.app(_args("--port", "8600", "--results", "out"))
    cmd = seen["cmd"]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert seen["env"]["CARESIM_APP_RESULTS"].endswith("out")
    err = capsys.readouterr().err
    assert "http://127.0.0.1:8600" in err and "warning" not in err


def test_another_host_is_warned_about(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(command, "serve", lambda cmd, env, browse=None: seen.update(cmd=cmd) or 0)
    command.app(_args("--host", "0.0.0.0"))
    assert seen["cmd"][seen["cmd"].index("--server.address") + 1] == "0.0.0.0"
    assert "caresim: warning: app: listening on 0.0.0.0" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_ports_are_refused(port):
    with pytest.raises(SystemExit):
        _args("--port", port)
