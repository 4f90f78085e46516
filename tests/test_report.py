"""``build_report``: one self-contained HTML page from an experiment's or a comparison's results folder."""

from __future__ import annotations

import json
import math
import re
from html import unescape
from pathlib import Path
from string import Formatter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from jinja2 import UndefinedError  # noqa: E402

from sim.analysis.compare import COMPARISON_COLUMNS  # noqa: E402
from sim.outcomes import registry  # noqa: E402
from sim.reports.report import SUMMARY_COLUMNS, ReportError, build_report  # noqa: E402
from sim.reports.sections import page, table  # noqa: E402
from sim.reports.stress_des import TEXT, checklist, facts  # noqa: E402

NAN = math.nan
HASHES = {"baseline": "a1" * 32, "mdt_team": "b2" * 32, "growth": "c3" * 32}
FILE_SHA = {"mdt_team": "d4" * 32, "growth": "e5" * 32}
COMMIT = "0123456789abcdef0123456789abcdef01234567"
STRESS_HEADINGS = ["1. Objectives", "2. Logic", "3. Data", "4. Experimentation", "5. Implementation", "6. Code access"]
STRESS_ITEMS = [
    "1.1",
    "1.2",
    "1.3",
    "2.1",
    "2.2",
    "2.3",
    "2.4",
    "2.5.1",
    "2.5.2",
    "2.5.3",
    "2.5.4",
    "2.5.5",
    "3.1",
    "3.2",
    "3.3",
    "3.4",
    "4.1",
    "4.2",
    "4.3",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.1",
]


def chart(path: Path, fmt: str = "png") -> None:
    fig, ax = plt.subplots(figsize=(1.5, 1.0))
    ax.plot([0, 1, 2], [1, 3, 2])
    fig.savefig(path, dpi=30, format=fmt)
    plt.close(fig)


def common_files(folder: Path) -> None:
    """kpis.csv and timeseries.csv (2 replications of three scenarios) and the charts."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        (s, r, "all", "emergency_admissions", 100.0 + r) for s in ("baseline", "mdt_team", "growth") for r in (0, 1)
    ]
    pd.DataFrame(rows, columns=["scenario", "replication", "cohort", "metric", "value"]).to_csv(
        folder / "kpis.csv", index=False
    )
    pd.DataFrame(
        [("baseline", 0, 0, "delayed_patients", 5.0)], columns=["scenario", "replication", "day", "series", "value"]
    ).to_csv(folder / "timeseries.csv", index=False)
    chart(folder / "forest_plot.png")
    chart(folder / "costs_by_sector.png")
    chart(folder / "delayed_discharges.svg", "svg")


def change(ref, sc, diff, lo, hi):
    pct = [100 * v / ref for v in (diff, lo, hi)]
    return dict(
        reference_mean=ref,
        scenario_mean=sc,
        diff_mean=diff,
        diff_ci_low=lo,
        diff_ci_high=hi,
        pct_change=pct[0],
        pct_ci_low=pct[1],
        pct_ci_high=pct[2],
    )


# scenario -> cohort -> metric -> (reference mean, scenario mean, diff, low, high)
CHANGES = {
    "mdt_team": {
        "all": {
            "emergency_admissions": (250.0, 237.5, -12.5, -20.3, -4.75),  # fell clearly
            "bed_days": (2000.0, 2003.0, 3.0, -10.0, 16.0),  # no clear change
            "at_home_91d_after_reablement": (0.80, 0.83, 0.03, 0.01, 0.05),  # rose clearly, in pp
            "cost_total_gbp": (5_000_000.0, 5_150_000.0, 150_000.0, 50_000.0, 250_000.0),
        },
        "mdt": {"emergency_admissions": (40.0, 30.0, -10.0, -14.0, -6.0)},
    },
    "growth": {"all": {"emergency_admissions": (250.0, 300.0, 50.0, 20.0, 80.0)}},
}


def summary_row(scenario, grid, cohort, metric, mean, changed=None, paired="", unstable=False):
    """A summary.csv row over five replications, its interval the mean +-1; ``changed``: its change, if any."""
    diffs = [(changed or {}).get(k, NAN) for k in registry.CHANGE_COLUMNS]
    values = [scenario, grid, cohort, metric, 5, mean, mean - 1, mean + 1, *diffs, paired, unstable]  # in order
    return dict(zip(SUMMARY_COLUMNS, values, strict=True))


def experiment_folder(tmp_path: Path, metadata: bool = True) -> Path:
    folder = tmp_path / "experiment"
    common_files(folder)
    rows = []
    for cohort, metrics in CHANGES["mdt_team"].items():
        ref_cohort = "mdt:mdt_team" if cohort == "mdt" else cohort
        for metric, (ref, sc, d, lo, hi) in metrics.items():
            rows.append(summary_row("baseline", "", ref_cohort, metric, ref))
            for grid in (1.0, 2.0):  # the runner writes grid values as floats
                rows.append(summary_row("mdt_team", grid, cohort, metric, sc, change(ref, sc, d, lo, hi), paired=True))
    ref, sc, d, lo, hi = CHANGES["growth"]["all"]["emergency_admissions"]
    rows.append(summary_row("growth", "", "all", "emergency_admissions", sc, change(ref, sc, d, lo, hi), paired=False))
    pd.DataFrame(rows, columns=SUMMARY_COLUMNS).to_csv(folder / "summary.csv", index=False)
    pd.DataFrame(
        [
            dict(
                scenario="baseline",
                grid="",
                series="acute_beds_occupied",
                mser_truncation_days=14,
                window_days=730,
                verdict="ok: settled-early",
            )
        ]
    ).to_csv(folder / "warmup.csv", index=False)
    if metadata:
        meta = {
            "kind": "experiment",
            "name": "mdt_sizes",
            "caresim_version": "9.8.7",
            "git_commit": COMMIT,
            "python": "3.11.7",
            "platform": "Linux-test-x86_64",
            "timing": {"created": "2024-05-01T10:00:00", "wall_seconds": 12.5},
            "seed": 4242,
            "replications": 5,
            "population": 50_000,
            "horizon_days": 730,
            "warmup_days": 365,
            "reference": "baseline",
            "scenarios": [
                {
                    "name": "baseline",
                    "description": "The built-in baseline.",
                    "file": None,
                    "file_sha256": None,
                    "scenario_hash": HASHES["baseline"],
                    "paired": True,
                    "interventions": [],
                    "shifts": [],
                },
                {
                    "name": "mdt_team",
                    "description": "An MDT <script>alert(1)</script> & co-ordinators.",
                    "file": "scenarios/mdt_team.toml",
                    "file_sha256": FILE_SHA["mdt_team"],
                    "scenario_hash": HASHES["mdt_team"],
                    "paired": True,
                    "interventions": ["mdt"],
                    "shifts": ["Moves GBP 600,000 a year from acute beds to MDT co-ordinators."],
                },
                {
                    "name": "growth",
                    "description": "More older people.",
                    "file": "scenarios/growth.toml",
                    "file_sha256": FILE_SHA["growth"],
                    "scenario_hash": HASHES["growth"],
                    "paired": False,
                    "interventions": [],
                    "shifts": [],
                },
            ],
            "grid": {"parameter": "mdt.caseload", "values": [1, 2], "scenarios": ["mdt_team"], "label": "team size"},
            "metrics": ["emergency_admissions", "bed_days"],
            "charts": ["forest_plot.png", "costs_by_sector.png"],
            "experiment_file": "experiments/mdt_sizes.toml",
            "experiment_sha256": "f6" * 32,
            "failed": [{"scenario": "growth", "grid": "", "replication": 3, "error": "ZeroDivisionError: boom-xyz"}],
            "parameters": {
                "baseline": [],
                "growth": [],
                "mdt_team": [
                    {
                        "parameter": "mdt.enabled",
                        "baseline": False,
                        "value": True,
                        "unit": "switch-unit-q",
                        "source": "scenario file mdt_team.toml",
                    }
                ],
            },
            "baseline_parameters": [
                {
                    "parameter": "acute.beds_per_100k",
                    "value": 180.0,
                    "unit": "beds per 100,000",
                    "source": "EVIDENCE 3: beds",
                },
                {"parameter": "costs.price_year", "value": 2018, "unit": "year", "source": "DESIGN 2: one price year"},
                {
                    "parameter": "mdt.caseload",
                    "value": 50,
                    "unit": "people",
                    "source": "assumption: a typical caseload",
                },
            ],
            "warmup_check": [],
            "precision": {
                "metrics": ["emergency_admissions"],
                "cohort": "all",
                "half_width_pct": 2.5,
                "recommended": {"emergency_admissions": 37},
                "assessment": [
                    {
                        "scenario": "mdt_team",
                        "grid": 1.0,
                        "metric": "emergency_admissions",
                        "n_required": None,
                        "half_width_pct": 3.25,
                    }
                ],
            },
        }
        (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def compare_folder(tmp_path: Path, metadata: bool = True, reps: int = 2) -> Path:
    folder = tmp_path / "compare"
    common_files(folder)
    rows = []
    for scenario, cohorts in CHANGES.items():
        for cohort, metrics in cohorts.items():
            for metric, (ref, sc, d, lo, hi) in metrics.items():
                c = change(ref, sc, d, lo, hi)
                if reps == 1:
                    c.update(diff_ci_low=NAN, diff_ci_high=NAN, pct_ci_low=NAN, pct_ci_high=NAN)
                paired = scenario != "growth"
                rows.append(dict(scenario=scenario, cohort=cohort, metric=metric, **c, paired=paired, unstable=False))
    pd.DataFrame(rows, columns=COMPARISON_COLUMNS).to_csv(folder / "comparison.csv", index=False)
    if metadata:
        meta = json.loads((experiment_folder(tmp_path) / "metadata.json").read_text())
        meta.update(
            kind="compare",
            name="comparison",
            grid=None,
            experiment_file=None,
            replications=reps,
            failed=[],
            precision=None,
        )
        del meta["experiment_sha256"]
        (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def text_of(html: str) -> str:
    """The page as plain text, charts left out."""
    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row(html: str, measure: str, after: str = "") -> str:
    """The first table row of ``measure`` after the text ``after``."""
    start = html.index(after) if after else 0
    m = re.search(r"<tr><td>" + re.escape(measure) + r"</td>.*?</tr>", html[start:])
    assert m, measure
    return m.group(0)


def assert_self_contained(html: str) -> None:
    assert not re.search(r"""src\s*=\s*["']?(https?:|//)""", html)
    assert not re.search(r"<link\b|<script\b|@import|url\(", html)
    assert "href=" not in html


def test_experiment_report_embeds_every_chart_and_is_self_contained(tmp_path):
    folder = experiment_folder(tmp_path)
    path = build_report(folder)
    assert path == folder / "report.html" and path.exists()
    html = path.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    assert html.count("data:image/svg+xml;base64,") == 1
    for caption in ("Forest plot", "Costs by sector", "Delayed discharges"):
        assert f"<figcaption>{caption}." in html
    # the known charts come first in a fixed order, then the rest by name
    assert html.index("forest_plot.png") < html.index("costs_by_sector.png") < html.index("delayed_discharges.svg")
    assert_self_contained(html)


def test_experiment_report_records_provenance_and_stress_des(tmp_path):
    html = build_report(experiment_folder(tmp_path)).read_text(encoding="utf-8")
    text = text_of(html)
    for needle in ("9.8.7", "4242", "Linux-test-x86_64", "experiments/mdt_sizes.toml", "scenarios/mdt_team.toml"):
        assert needle in text, needle
    for needle in (COMMIT, "f6" * 32, *HASHES.values(), *FILE_SHA.values()):  # shortened, whole in a tooltip
        assert f'title="{needle}"' in html and needle[:12] in text, needle
    for heading in STRESS_HEADINGS:
        assert f"<h3>{heading}</h3>" in html
    assert "Journal of Simulation" in text
    # filled from the metadata: run length, warm-up, seed, replications, software
    assert "A statistics window of 730 days after the warm-up of 365 days" in text
    assert "Master seed 4242" in text and "caresim 9.8.7 in Python 3.11.7" in text
    assert "1 from stated assumptions" in text and "1 from published figures" in text
    # differences from baseline with unit and source, and every parameter in a collapsible block
    assert re.search(
        r"mdt\.enabled</td><td>no</td><td>yes</td><td>switch-unit-q</td><td>scenario file mdt_team\.toml", html
    )
    start = html.index("<details><summary>All 3 parameters of the reference")
    details = html[start : html.index("</details>", start)]
    assert (
        "acute.beds_per_100k" in details
        and "EVIDENCE.md section 3: beds" in details
        and "assumption: a typical caseload" in details
    )


def test_experiment_headline_table_shows_the_changes_in_words(tmp_path):
    html = build_report(experiment_folder(tmp_path)).read_text(encoding="utf-8")
    first = "&#39;mdt_team&#39; against &#39;baseline&#39;, team size = 1"
    assert first in html and "team size = 2" in html
    r = row(html, "Emergency admissions", first)
    assert "250" in r and "238" in r  # reference and scenario means
    assert "-12.5 [-20.3, -4.75]" in r and "-5.0% [-8.1, -1.9]" in r and "fell clearly" in r
    r = row(html, "Acute bed days", first)
    assert "+3.00 [-10.0, +16.0]" in r and "no clear change" in r
    r = row(html, "At home 91 days after reablement", first)
    assert "80.0%" in r and "83.0%" in r and "+3.0 pp [+1.0, +5.0]" in r and "rose clearly" in r
    r = row(html, "Total cost (GBP)", first)
    assert "5,000,000" in r and "+150,000 [+50,000, +250,000]" in r and "rose clearly" in r
    # the MDT cohort against the same people in the reference (cohort mdt:mdt_team of the reference)
    tables = html.index(first, html.index("<h2>Headline figures</h2>"))
    mdt = html.index("People enrolled in the MDT, against the same people in the reference", tables)
    r = row(html, "Emergency admissions", html[mdt : mdt + 80])
    assert "40.0" in r and "30.0" in r and "-10.0 [-14.0, -6.00]" in r
    # the plain-English findings come before the tables
    text = text_of(html)
    found = text[text.index("What changed") : text.index("Headline figures")]
    assert "Emergency admissions fell by 5.0% (95% interval -8.1% to -1.9%)." in found
    assert "At home 91 days after reablement rose by 3.0 percentage points" in found
    assert "Acute bed days" not in found  # no clear change
    # the unpaired comparison is flagged
    assert "&#39;growth&#39; against &#39;baseline&#39; (unpaired)" in html
    assert "Unpaired: 'growth' simulates a different population" in text


def test_experiment_report_shows_run_checks_and_escapes_text(tmp_path):
    html = build_report(experiment_folder(tmp_path)).read_text(encoding="utf-8")
    text = text_of(html)
    assert "1 replication failed" in text and "ZeroDivisionError: boom-xyz" in text
    assert "settled-early" in text and "acute_beds_occupied" in text  # from warmup.csv
    assert "The warm-up check (MSER-5) covered 1 output series of the statistics window, with verdicts ok 1" in text
    assert re.search(r"<td>mdt_team</td><td>1</td><td>emergency_admissions</td><td>n/a</td><td>3.25</td>", html)
    assert re.search(r"<td>emergency_admissions</td><td>37</td>", html)  # precision: replications recommended
    assert "within 2.5% of the mean" in text
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co-ordinators" in html
    )


def test_compare_report(tmp_path):
    folder = compare_folder(tmp_path)
    html = build_report(folder).read_text(encoding="utf-8")
    text = text_of(html)
    assert html.count("data:image/png;base64,") == 2 and html.count("data:image/svg+xml;base64,") == 1
    assert_self_contained(html)
    assert "caresim report: Comparison of scenarios" in text
    assert (
        "Each scenario was run 2 times (replications), with seed 4242, for a place of 50,000 registered people" in text
    )
    first = "&#39;mdt_team&#39; against &#39;baseline&#39;"
    r = row(html, "Emergency admissions", first)
    assert "-12.5 [-20.3, -4.75]" in r and "fell clearly" in r
    assert "9.8.7" in text
    for needle in (COMMIT, *HASHES.values(), *FILE_SHA.values()):  # shortened, whole in a tooltip
        assert f'title="{needle}"' in html and needle[:12] in text
    for heading in STRESS_HEADINGS:
        assert f"<h3>{heading}</h3>" in html
    assert "Metadata was not recorded" not in text


def test_compare_report_without_metadata_builds_from_the_csvs(tmp_path):
    folder = compare_folder(tmp_path, metadata=False)
    html = build_report(folder).read_text(encoding="utf-8")
    text = text_of(html)
    assert "Metadata was not recorded for this folder" in text
    # reference and replications are taken from kpis.csv
    assert "compared with the reference scenario 'baseline'" in text and "run 2 times" in text
    assert "The seed, population, run length and warm-up were not recorded" in text
    assert "-12.5 [-20.3, -4.75]" in row(html, "Emergency admissions")
    assert html.count("data:image/png;base64,") == 2
    for heading in STRESS_HEADINGS:
        assert f"<h3>{heading}</h3>" in html


def test_experiment_report_without_metadata_finds_the_reference(tmp_path):
    folder = experiment_folder(tmp_path, metadata=False)
    text = text_of(build_report(folder).read_text(encoding="utf-8"))
    assert "Metadata was not recorded for this folder" in text
    assert "compared with the reference scenario 'baseline'" in text and "run 5 times" in text


def test_one_replication_has_no_intervals(tmp_path):
    folder = compare_folder(tmp_path, reps=1)
    html = build_report(folder).read_text(encoding="utf-8")
    r = row(html, "Emergency admissions", "&#39;mdt_team&#39; against")
    assert "n=1: interval not defined" in r and "clearly" not in r and "[" not in r
    assert "One replication (n=1)" in html


def test_png_preferred_when_a_chart_is_also_an_svg(tmp_path):
    folder = compare_folder(tmp_path)
    chart(folder / "forest_plot.svg", "svg")
    html = build_report(folder).read_text(encoding="utf-8")
    assert html.count("<figcaption>Forest plot.") == 1
    assert html.count("data:image/png;base64,") == 2 and html.count("data:image/svg+xml;base64,") == 1


@pytest.mark.parametrize(
    "make, remove, word",
    [
        (experiment_folder, "summary.csv", "summary.csv"),
        (compare_folder, "comparison.csv", "comparison.csv"),
        (compare_folder, "kpis.csv", "kpis.csv"),
        (lambda t: compare_folder(t, metadata=False), "kpis.csv", "missing kpis.csv"),
    ],
)
def test_missing_csv_is_a_one_line_error(tmp_path, make, remove, word):
    folder = make(tmp_path)
    (folder / remove).unlink()
    with pytest.raises(ReportError) as e:
        build_report(folder)
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"{folder}: ") and word in message
    assert not (folder / "report.html").exists()


def test_folder_with_nothing_to_report_and_bad_metadata(tmp_path):
    with pytest.raises(ReportError, match="missing summary.csv or comparison.csv, kpis.csv, timeseries.csv"):
        build_report(tmp_path)
    folder = compare_folder(tmp_path)
    (folder / "metadata.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="metadata.json is not valid JSON"):
        build_report(folder)


# --- text is text: escaping, templates that need every value, the checklist's words -----------------

EVIL = "<script>alert('x')</script>"


def test_markup_in_names_and_descriptions_is_shown_as_text(tmp_path):
    """An experiment, a scenario and a description named with markup appear escaped wherever they are shown."""
    folder = experiment_folder(tmp_path)
    summary = pd.read_csv(folder / "summary.csv")
    summary["scenario"] = summary["scenario"].replace("mdt_team", EVIL)
    summary.to_csv(folder / "summary.csv", index=False)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["name"] = EVIL
    meta["scenarios"][1].update(name=EVIL, description=f"Runs {EVIL} & more.")
    meta["parameters"][EVIL] = meta["parameters"].pop("mdt_team")
    meta["grid"]["scenarios"] = [EVIL]
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    html = build_report(folder).read_text(encoding="utf-8")
    assert_self_contained(html)  # no <script anywhere
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert f"<title>{escaped}</title>" in html and f"<h1>caresim report: {escaped}</h1>" in html
    assert f"<h3>&#39;{escaped}&#39; against &#39;baseline&#39;, team size = 1</h3>" in html  # headline table
    assert f"<th>{escaped}</th>" in html  # its column
    assert f"<li><b>&#39;{escaped}&#39; against &#39;baseline&#39;, team size = 1</b>\n<p>Everyone" in html  # findings
    assert f"&#39;{escaped}&#39;: Run for a place of 50,000 registered people. Runs {escaped} &amp; more." in html
    assert f"<b>{escaped}</b>: 1 parameter." in html  # parameters that differ


def test_a_template_value_left_out_is_an_error():
    """Templates fail on a value they were not given (StrictUndefined) rather than showing nothing."""
    values = {
        "population": "1,000",
        "held": 1,
        "total": 2,
        "replications": 2,
        "seed": 7,
        "command": "caresim calibrate x.toml",
        "targets": table(["target", "z"], [["crises", 0.5]]),
    }
    assert "Reproduce with <code>caresim calibrate x.toml</code>" in page("fit_check.html", **values)
    for left_out in values:
        with pytest.raises(UndefinedError):
            page("fit_check.html", **{k: v for k, v in values.items() if k != left_out})
    with pytest.raises(UndefinedError):  # a table without its rows
        page("fit_check.html", **{**values, "targets": {"head": ["target"]}})


def test_the_stress_des_data_file_is_complete(tmp_path):
    """Every STRESS-DES item has words; each fact they name is one the code fills in, and each fact is used."""
    sections = TEXT["sections"]
    assert [s["title"] for s in sections] == STRESS_HEADINGS
    items = [i for s in sections for i in s["items"]]
    assert [i["item"].split(" ")[0] for i in items] == STRESS_ITEMS
    assert all(i["item"].split(" ", 1)[1].strip() and i["text"].strip() for i in items)
    named = {name for i in items for _, name, _, _ in Formatter().parse(i["text"]) if name}
    assert named == set(facts(None))
    full = json.loads((experiment_folder(tmp_path) / "metadata.json").read_text())
    for meta in (None, {}, full):
        answers = [a for _, section in checklist(meta) for _, a in section]
        assert len(answers) == len(STRESS_ITEMS) and all(a.strip() and "{" not in a for a in answers)
