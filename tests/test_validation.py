"""``caresim validation``: the data file, the figures against known answers, the verdicts and the command.

The command runs at 5,000 people with two short replications (the care home rows' own 3,650-day
window included), so the module takes seconds.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import __version__
from sim.calibration.validation import (
    FIGURES,
    PATHWAY,
    Row,
    ValidationError,
    load_rows,
    pathway_shares,
    stay_figures,
    top_share_of_bed_days,
    validation_table,
)
from sim.cli.main import main
from sim.parameters.params import Params
from sim.vocabulary import Dest, Ev

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "calibration" / "validation.toml"
SMALL = ["--population", "5000", "--reps", "2", "--horizon-days", "365", "--warmup-days", "60"]
COLUMNS = "| figure | source | evidence | range accepted | model | in range | reason for a miss |"


def evidence_rows() -> list[dict]:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))["row"]


# --- the data file ----------------------------------------------------------------------------------


def test_the_file_holds_every_validation_row_of_the_evidence_sheet():
    rows = load_rows(DATA).rows
    figures = {r.figure for r in rows}
    assert {
        "bed_days_share_65plus",
        "bed_days_share_85plus",
        "top_decile_bed_day_share",
        "care_home_median_days",
        "care_home_mean_days",
        "care_home_one_year_survival",
    } <= figures
    assert {f"discharge_pathway_{k}_share" for k in set(PATHWAY.values())} <= figures
    for r in rows:
        assert r.low <= r.high and r.miss_reason and r.range_reason and r.measured


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("miss_reason =", "mis_reason =", "unknown key 'row[1].mis_reason'; did you mean 'row[1].miss_reason'?"),
        ('figure = "bed_days_share_65plus"', 'figure = "bed_day_share_65plus"', "did you mean 'bed_days_share_65plus'"),
        ("high = 0.65", "high = 65", "is a share: low and high must be between 0 and 1"),
        ("description =", "descripton =", "unknown key 'descripton'; did you mean 'description'?"),
    ],
)
def test_a_misspelt_key_gives_one_line_naming_the_file(tmp_path, capsys, old, new, message):
    text = DATA.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "validation.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationError, match="^" + path.as_posix()):
        load_rows(path)
    assert main(["validation", "--file", str(path), "--no-write", *SMALL]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("caresim: error: ") and err.count("\n") == 1 and message in err


def test_every_destination_has_a_discharge_pathway():
    assert set(PATHWAY) == set(Dest)
    assert set(PATHWAY.values()) == {0, 1, 2, 3}


# --- the figures, against answers known by hand ------------------------------------------------------


def test_kaplan_meier_stays_match_known_answers():
    # no censoring: the median and the mean are the sample's
    length = np.array([100.0, 200.0, 300.0, 500.0, 1000.0])
    f = stay_figures(length, np.ones(5, bool))
    assert f["care_home_median_days"] == (300.0, False)
    assert f["care_home_mean_days"] == (pytest.approx(length.mean()), False)
    assert f["care_home_one_year_survival"][0] == pytest.approx(2 / 5)
    # censored at 4 and 6: S = 5/6, 4/6, 1/2 after 1, 2, 3; 1/4 after 5; the area to 6 is 3.75, a lower bound
    f = stay_figures(np.array([1.0, 2, 3, 4, 5, 6]), np.array([True, True, True, False, True, False]))
    assert f["care_home_median_days"] == (3.0, False)
    assert f["care_home_mean_days"] == (pytest.approx(3.75), True)
    assert math.isnan(f["care_home_one_year_survival"][0])  # no one followed for a year


def test_the_top_tenth_of_inpatients_and_no_one_else():
    # ten inpatients in a 365-day window: one with 55 bed days, nine with 5; people never admitted do not count
    stays = pd.DataFrame(
        {
            "pid": [0, *range(1, 10), -1],
            "admitted": [10.0, *[100.0] * 9, 0.0],
            "left": [65.0, *[105.0] * 9, 300.0],
        }
    )
    assert top_share_of_bed_days(stays, (0.0, 365.0)) == pytest.approx(0.55)
    two_years = pd.concat([stays, stays.assign(admitted=stays["admitted"] + 365, left=stays["left"] + 365)])
    assert top_share_of_bed_days(two_years, (0.0, 730.0)) == pytest.approx(0.55)


def test_pathways_count_emergency_discharges_of_the_living_by_destination():
    stays = pd.DataFrame(
        {
            "pid": [0, 1, 2, 3, 4, 5, -1],
            "emergency": [True, True, True, True, False, True, True],
            "left": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
            "died": [False, False, False, False, False, True, False],
        }
    )
    events = pd.DataFrame(
        {
            "time": [10.0, 20.0, 30.0, 40.0, 50.0],
            "pid": [0, 1, 2, 3, 4],
            "event": [int(Ev.DISCHARGE)] * 5,
            "detail": [int(Dest.HOME), int(Dest.HOME), int(Dest.REABLEMENT), int(Dest.CARE_HOME), int(Dest.HOME)],
        }
    )
    shares = pathway_shares(stays, events, (0.0, 100.0))  # the elective stay (4) and the death (5) left out
    assert shares == {0: 0.5, 1: 0.25, 2: 0.0, 3: 0.25}


# --- the verdicts -------------------------------------------------------------------------------------


def row(figure: str, low: float, high: float) -> Row:
    return Row(figure, f"{figure} {low}-{high}", "e", "s", low, high, "r", "m", f"because {figure}", None)


def test_in_range_is_the_mean_inside_the_stated_range():
    rows = (
        row("bed_days_share_65plus", 0.5, 0.6),
        row("bed_days_share_85plus", 0.5, 0.6),
        row("top_decile_bed_day_share", 0.5, 0.6),
        row("care_home_mean_days", 600, 1000),
        row("care_home_median_days", 350, 580),
    )
    values = {
        "bed_days_share_65plus": [0.52, 0.58],
        "bed_days_share_85plus": [0.40, 0.45],
        "top_decile_bed_day_share": [math.nan, math.nan],
        "care_home_mean_days": [700.0, 900.0],
        "care_home_median_days": [500.0, 560.0],
    }
    figures = pd.DataFrame(
        [(730.0, r, f, v, f == "care_home_mean_days") for f, vs in values.items() for r, v in enumerate(vs)],
        columns=["horizon_days", "replication", "figure", "value", "lower_bound"],
    )
    table = validation_table(rows, Params(), figures).set_index("figure")
    assert table.loc["bed_days_share_65plus", "in_range"] == "yes"
    assert table.loc["bed_days_share_65plus", "mean"] == pytest.approx(0.55)
    assert table.loc["bed_days_share_85plus", "in_range"] == "no"
    assert table.loc["top_decile_bed_day_share", "in_range"] == "cannot tell"  # not measurable
    assert table.loc["care_home_mean_days", "in_range"] == "cannot tell"  # a lower bound inside the range
    assert table.loc["care_home_median_days", ["min", "max", "n"]].tolist() == [500.0, 560.0, 2]


# --- the command ------------------------------------------------------------------------------------


def test_the_command_prints_every_row_and_writes_the_table(tmp_path, capsys):
    doc = tmp_path / "docs" / "validation.md"
    assert main(["validation", *SMALL, "--write", str(doc)]) == 0
    out = capsys.readouterr().out
    text = doc.read_text(encoding="utf-8")
    assert f"caresim {__version__}" in text and "`caresim validation --reps 2 --population 5000" in text
    assert COLUMNS in text
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    rows = evidence_rows()
    assert len(table) == len(rows)
    for r, line in zip(rows, table):
        assert r["label"] in out and line.startswith(f"| {r['label']} | {r['source']} | {r['evidence']} |")
        verdict = line.split(" | ")[5]
        assert verdict in ("yes", "no", "cannot tell")
        assert (r["miss_reason"] in line) == (verdict == "no")
        assert (r["miss_reason"] in " ".join(out.split())) == (verdict == "no")
    assert "3,650-day window" in text  # the care home rows ran with their own, longer window


def test_a_figure_outside_its_range_is_a_miss_with_its_reason(tmp_path, capsys):
    """The 65+ share of bed days is above 0 and below 1 at any place with background patients."""
    first = DATA.read_text(encoding="utf-8").split("\n[[row]]\n")[1]
    inside = first.replace("low = 0.45", "low = 0.0").replace("high = 0.65", "high = 1.0")
    outside = (
        first.replace("low = 0.45", "low = 1.0")
        .replace("high = 0.65", "high = 1.0")
        .replace('label = "Share', 'label = "Again, share')
    )
    outside = outside.replace(outside.split('miss_reason = "')[1].split('"')[0], "ALL BED DAYS ARE NEVER 65+")
    path = tmp_path / "two.toml"
    path.write_text(f'description = "two rows"\n[[row]]\n{inside}\n[[row]]\n{outside}', encoding="utf-8")
    doc = tmp_path / "v.md"
    assert main(["validation", "--file", str(path), "--write", str(doc), *SMALL]) == 0
    lines = [line for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("| ")][1:]
    assert len(lines) == 2
    assert lines[0].split(" | ")[5] == "yes" and "ALL BED DAYS" not in lines[0]
    assert lines[1].split(" | ")[5] == "no" and lines[1].endswith("| ALL BED DAYS ARE NEVER 65+ |")
    assert "ALL BED DAYS ARE NEVER 65+" in capsys.readouterr().out


def test_every_figure_has_a_unit():
    assert set(FIGURES.values()) <= {"share", "days", "ratio"}
