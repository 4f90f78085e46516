"""Units and words of the printed tables and the report (issue 22, points 4 and 6).

Every table says its period and shows each total a year, read from the run's settings; labels come from the
metric registry; money is in whole pounds; the report's "What changed" is the terminal's list of clear changes;
hashes are shortened, sources cited in words, the population run stated and the terms explained.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.api as api
from sim.cli.main import main
from sim.core.population import DAYS_PER_YEAR
from sim.outcomes import registry
from sim.reports.report import build_report
from sim.reports.sections import GLOSSARY
from sim.reports.text import compare_text

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
POPULATION, HORIZON, WARMUP, REPS = 4000, 365.0, 60.0, 3
SETTINGS = ["--population", str(POPULATION), "--horizon-days", f"{HORIZON:g}", "--warmup-days", f"{WARMUP:g}"]
PAIR = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "rapid_response.toml")]


def cli(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == 0, err.getvalue()
    return out.getvalue()


def text_of(html: str) -> str:
    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def figure(text: str) -> float:
    """A printed figure as a number: '1,234' -> 1234.0, '+8.01' -> 8.01."""
    return float(text.replace(",", "").replace("+", ""))


def close(printed: str, value: float) -> bool:
    """Whether a printed figure is ``value`` to the precision it was printed with (3 significant digits or whole)."""
    return abs(figure(printed) - value) <= max(0.006 * abs(value), 0.51)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    text = cli("run", PAIR[0], "--reps", "2", *SETTINGS, "--out", str(out))
    return text, pd.read_csv(out / "kpis.csv")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    cli("compare", *PAIR, "--reps", str(REPS), *SETTINGS, "--out", str(out))
    return out


def table_lines(text: str, title: str) -> list[str]:
    """The rows of the printed table whose title starts with ``title`` (below its dashes, to the blank line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 3 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


# --- the run table ----------------------------------------------------------------------------------


def test_the_run_tables_state_their_period_from_the_settings(run):
    text, _ = run
    years = HORIZON / DAYS_PER_YEAR
    said = re.findall(r"totals over the ([\d.]+)-year statistics window \(([\d,]+) days\)", text)
    assert said and all(float(y) == pytest.approx(years, rel=0.01) and figure(d) == HORIZON for y, d in said)
    assert text.count(f"Main results, totals over the {years:.3g}-year statistics window") == 1
    assert "Admissions per 1,000 person-years" in text


def test_the_run_table_shows_each_total_a_year(run):
    text, kpis = run
    means = kpis[kpis["cohort"] == "all"].groupby("metric")["value"].mean()
    years = HORIZON / DAYS_PER_YEAR
    checked = 0
    for line in table_lines(text, "Main results") + table_lines(text, "All other metrics"):
        metric = next((m for m in registry.NAMES if line.startswith(registry.long_label(m) + "  ")), None)
        assert metric is not None, line
        last = line.split("  ")[-1].strip()
        if registry.per_year(metric):
            assert close(last, means[metric] / years), (metric, line)
            checked += 1
        else:  # a level has no rate: its last column is a cohort's value, never its mean a year
            assert "+/-" in last or "%" in last or last in ("0", "n/a"), (metric, line)
    assert checked >= 20


def test_the_run_tables_use_the_registry_s_labels_not_identifiers(run):
    text, kpis = run
    rows = table_lines(text, "Main results") + table_lines(text, "All other metrics")
    for metric in set(kpis["metric"]):
        assert any(r.startswith(registry.long_label(metric) + "  ") for r in rows), metric
    identifiers = [m for m in registry.NAMES if "_" in m] + ["emergency_admissions_per_1000_py"]
    assert not [m for m in identifiers if re.search(rf"\b{m}\b", text)]


def test_costs_are_whole_pounds_and_beds_read_together(run):
    text, kpis = run
    assert not re.search(r"\d\.\d\dm\b", text) and "m = million" not in text
    total = kpis[(kpis["cohort"] == "all") & (kpis["metric"] == "cost_total_gbp")]["value"].mean()
    row = next(r for r in table_lines(text, "Main results") if r.startswith("Total cost (GBP)"))
    assert f"{total:,.0f} +/- " in row
    means = kpis[kpis["cohort"] == "all"].groupby("metric")["value"].mean()
    m = re.search(r"on average ([\d,.]+) of ([\d,]+) core beds occupied \(([\d.]+)%\), ([\d,.]+) of them by", text)
    assert m, text
    assert close(m[1], means["acute_occupancy"] * means["acute_beds"]) and figure(m[2]) == means["acute_beds"]
    assert close(m[3], 100 * means["acute_occupancy"]) and close(m[4], means["mean_occupied_beds"])


# --- the comparison: the terminal and the report say the same ------------------------------------------


def synthetic(comparison: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """The comparison with made-up changes: some clear either way, some not, one the same every time."""
    rng = np.random.default_rng(seed)
    t = comparison.copy()
    n = len(t)
    t["diff_mean"] = rng.normal(0, 10, n)
    half = np.abs(t["diff_mean"]) * rng.choice([0.5, 2.0], n)  # half the rows exclude no change
    t["diff_ci_low"], t["diff_ci_high"] = t["diff_mean"] - half, t["diff_mean"] + half
    t["pct_change"], t["pct_ci_low"], t["pct_ci_high"] = t["diff_mean"], t["diff_ci_low"], t["diff_ci_high"]
    t["unstable"] = False
    same = t.index[(t["cohort"] == "all") & (t["metric"] == "deaths")]
    t.loc[same, ["diff_ci_low", "diff_ci_high"]] = t.loc[same, "diff_mean"].iloc[0]
    return t


def terminal_clear(text: str) -> set[str]:
    out, inside = set(), False
    for line in text.splitlines():
        if line.strip().startswith("Clear changes"):
            inside = True
        elif inside and line.startswith("      "):
            out.add(line.strip())
        else:
            inside = False
    return out


def report_clear(html: str) -> set[str]:
    found = html[html.index("<h2>What changed</h2>") : html.index("<h2>Headline figures</h2>")]
    lists = re.findall(r'<ul class="clear">(.*?)</ul>', found, re.S)
    return {unescape(x.strip()) for block in lists for x in re.findall(r"<li>(.*?)</li>", block, re.S)}


def test_what_changed_is_the_terminal_s_list_of_clear_changes(compared, tmp_path):
    folder = tmp_path / "synthetic"
    shutil.copytree(compared, folder)
    table = synthetic(pd.read_csv(folder / "comparison.csv"))
    table.to_csv(folder / "comparison.csv", index=False)
    scenarios = [api.load_scenario(p, population=POPULATION, horizon_days=HORIZON, warmup_days=WARMUP) for p in PAIR]
    printed = terminal_clear(compare_text(scenarios, table, REPS, 1))
    html = build_report(folder).read_text(encoding="utf-8")
    assert report_clear(html) == printed
    # and that set is what the rule says: the main measures whose interval excludes no change
    main = table[table["metric"].isin(registry.COMPARISON_MAIN) & table["cohort"].isin(["all", "mdt"])]
    clear = main[
        ((main["diff_ci_low"] > 0) | (main["diff_ci_high"] < 0)) & (main["diff_ci_low"] != main["diff_ci_high"])
    ]
    assert len(printed) == len(clear) > 0
    assert {s.split(" rose by ")[0].split(" fell by ")[0] for s in printed} == {
        registry.label(m) for m in clear["metric"]
    }
    assert "Deaths rose by" not in " ".join(printed) and "Deaths fell by" not in " ".join(printed)  # no spread


def test_the_compare_table_states_its_period_and_each_change_a_year(compared):
    table = pd.read_csv(compared / "comparison.csv")
    scenarios = [api.load_scenario(p, population=POPULATION, horizon_days=HORIZON, warmup_days=WARMUP) for p in PAIR]
    text = compare_text(scenarios, table, REPS, 1)
    years = HORIZON / DAYS_PER_YEAR
    assert f"totals over the {years:.3g}-year statistics window ({HORIZON:,.0f} days)" in " ".join(text.split())
    head = next(line for line in text.splitlines() if line.strip().startswith("measure"))
    start = head.index("change a year")
    rows = table[(table["cohort"] == "all")].set_index("metric")
    checked = 0
    for line in text.splitlines():
        metric = next(
            (m for m in registry.COMPARISON_MAIN if line.strip().startswith(registry.long_label(m) + "  ")), None
        )
        if metric is None or not registry.per_year(metric) or not math.isfinite(rows.loc[metric, "diff_mean"]):
            continue
        cell = line[start - 6 : start + len("change a year")].split()[-1]
        assert close(cell, rows.loc[metric, "diff_mean"] / years), (metric, line)
        checked += 1
    assert checked >= 10


def test_the_report_states_the_period_and_each_change_a_year(compared):
    html = build_report(compared).read_text(encoding="utf-8")
    meta = json.loads((compared / "metadata.json").read_text(encoding="utf-8"))
    years = meta["horizon_days"] / DAYS_PER_YEAR
    assert f"totals over the {years:.3g}-year statistics window ({meta['horizon_days']:,.0f} days)" in text_of(html)
    table = pd.read_csv(compared / "comparison.csv")
    r = table[(table["cohort"] == "all") & (table["metric"] == "emergency_admissions")].iloc[0]
    row = re.search(r"<tr><td>Emergency admissions</td>(.*?)</tr>", html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert "<th>Change a year</th>" in html and close(cells[3], r.diff_mean / years)
    cost = re.search(r"<tr><td>Total cost \(GBP\)</td>(.*?)</tr>", html, re.S)[1]
    t = table[(table["cohort"] == "all") & (table["metric"] == "cost_total_gbp")].iloc[0]
    assert f">{t.reference_mean:,.0f}<" in cost and not re.search(r"\d\.\d\dm\b", html)
    assert "metric" not in re.findall(r"<th>(.*?)</th>", html)  # the calibration table too says "measure"


# --- the report's words ---------------------------------------------------------------------------------


def test_hashes_are_shortened_and_cells_wrap(compared):
    html = build_report(compared).read_text(encoding="utf-8")
    meta = json.loads((compared / "metadata.json").read_text(encoding="utf-8"))
    hashes = [s[k] for s in meta["scenarios"] for k in ("file_sha256", "scenario_hash") if s.get(k)]
    hashes += [meta["git_commit"]] if meta.get("git_commit") else []
    assert hashes
    for h in hashes:  # the whole value only in a tooltip; the cell shows its start
        assert html.count(h) == html.count(f'title="{h}"') >= 1
        assert f'<code title="{h}">{h[:12]}...</code>' in html
    longest = max(len(w) for w in text_of(html).split())
    assert longest < 64, "an unbroken string as long as a hash is shown"
    assert "overflow-wrap:anywhere" in html and "max-width" in html


def test_sources_are_cited_in_words(compared):
    text = text_of(build_report(compared).read_text(encoding="utf-8"))
    assert not re.search(r"\b(DESIGN|EVIDENCE) \d", text)
    assert "design brief section 2" in text and "EVIDENCE.md section 3" in text
    seeds = re.findall(r"(.{12})\b(\d{3}_[0-9a-f]{16}\.txt)", text)
    assert seeds and all(before.endswith("[seed file ") for before, _ in seeds)


def test_the_description_states_the_population_run(compared):
    html = build_report(compared).read_text(encoding="utf-8")
    meta = json.loads((compared / "metadata.json").read_text(encoding="utf-8"))
    scenarios = html[html.index("<h3>Scenarios</h3>") :]
    cells = re.findall(
        r"<tr><td>(baseline|rapid_response)</td><td>(.*?)</td>", scenarios[: scenarios.index("</table>")]
    )
    assert {name for name, _ in cells} == {"baseline", "rapid_response"}
    for _, description in cells:
        said = re.match(r"Run for a place of ([\d,]+) registered people\.", unescape(description))
        assert said and figure(said[1]) == meta["population"] == POPULATION


def test_the_glossary_explains_the_terms_before_they_are_used(compared):
    text = text_of(build_report(compared).read_text(encoding="utf-8"))
    glossary = text.index("Words used in this report")
    assert glossary < text.index("What changed")
    terms = dict(GLOSSARY)
    for term in ("MSER-5", "STRESS-DES", "Common random numbers"):
        meaning = terms[term]
        assert meaning.endswith(".") and meaning.count(". ") <= 1 and len(meaning.split()) >= 10
        at = text.index(f"{term} {meaning}")
        assert glossary < at and text.lower().index(term.lower()) >= glossary
