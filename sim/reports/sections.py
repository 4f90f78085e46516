"""Sections of the HTML report as plain data, and the templates that draw them.

Each function here returns what a section shows, as plain text: tables of
strings, titles, charts as ``data:`` URIs.  The markup is in the jinja2
templates of ``templates/`` beside this module, one per section, rendered with
autoescaping on (every piece of text is escaped on the page) and with
``StrictUndefined`` (a template asking for a value it was not given fails
instead of showing nothing).  :mod:`sim.reports.report` puts the sections on
the page.  Keys missing from the metadata are shown as not recorded rather than
failing.  Long unbroken values (hashes, the git commit) are shown by their first characters with the whole
value in a tooltip (:class:`Short`), so that tables fit a window; sources are shown as citations in words
(:func:`sim.reports.stress_des.citation`); :data:`GLOSSARY` explains the terms the page uses.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from sim.analysis import evaluation_view
from sim.outcomes import registry
from sim.outcomes.costs import metric_of
from sim.outcomes.evaluation import load_designs
from sim.reports.ledger_words import any_unstable, cost_split_lines, ledger_lines
from sim.reports.stress_des import CITATION, NOT_RECORDED, SHORT, checklist, citation, described, population_run
from sim.reports.text import SAME, a_year, cells, is_clear, period_words, same_every_time, window_years

TEMPLATES = Environment(
    loader=PackageLoader("sim.reports", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
CHART_NOTES = {  # known charts, in the order shown, with a line on what each shows
    "forest_plot": "Per cent change of the main measures against the reference, with 95% intervals.",
    "costs_by_sector": "Mean cost over the statistics window, by sector.",
    "ledger": "Who pays and who saves: each organisation's change against the reference, providers in the provider "
    "view and payers in the commissioner view, with 95% intervals (filled: a clear change).",
    "response_curves": "How the per cent change of a few measures varies across the grid values, with 95% bands.",
    "delayed_discharges": "Patients in hospital waiting to be discharged, week by week.",
    "acute_beds_occupied": "Acute beds occupied by all patients, week by week.",
}
WARMUP_COLUMNS = ["scenario", "grid", "series", "mser_truncation_days", "window_days", "verdict"]
# the terms of the page a reader may not know, each with one plain sentence, in the order they first appear
GLOSSARY = (
    (
        "Statistics window",
        "The simulated period that is counted, after the warm-up: counts, days and costs are totals over it, and "
        "'a year' figures divide them by its length in years.",
    ),
    (
        "Warm-up",
        "Simulated time before the statistics window that is run but not counted, so that beds and queues have "
        "filled to their usual levels from an empty start.",
    ),
    (
        "Replication",
        "One run of the model with its own random numbers; figures are means over the replications, which "
        "differ only by chance.",
    ),
    (
        "95% interval",
        "The range of the true mean (or change) that the replications support: were the study repeated many "
        "times, 95 in 100 such ranges would hold it; a change is clear when its interval excludes no change.",
    ),
    (
        "Common random numbers",
        "Every scenario draws the same random numbers as the reference, person by person (the same people fall "
        "ill on the same days), so a difference between two scenarios comes from what they change, not from "
        "chance, and smaller differences can be told apart.",
    ),
    ("pp (percentage points)", "The difference between two percentages: from 80% to 83% is +3 pp (a 3.75% rise)."),
    (
        "MSER-5",
        "The marginal standard error rule on batch means of 5 observations, a standard test of where an output "
        "series stops drifting from its start (where the standard error of what remains is smallest): here it "
        "checks that the warm-up was long enough.",
    ),
    (
        "Overload",
        "A queue that keeps growing through the statistics window: the service cannot keep up, so the figures "
        "depend on how long the run is and no change is called clear.",
    ),
    (
        "STRESS-DES",
        "A published checklist (Monks et al. 2019) of what a report of a discrete-event simulation should state "
        "so that others can judge and repeat it; the last section answers it for this run.",
    ),
)


def page(template: str, **context: Any) -> str:
    """A page (or part of one) rendered from ``template``; a value the template needs and lacks is an error."""
    return TEMPLATES.get_template(template).render(**context)


def fragment(template: str, **context: Any) -> Markup:
    """Part of a page rendered from ``template``, marked as markup so that another page can include it as it is."""
    return Markup(page(template, **context))


@dataclass(frozen=True)
class Table:
    """A table as the templates draw it: column headings and rows of plain text."""

    head: list[str]
    rows: list[list[str]]


class Short(str):
    """A long unbroken value (a hash, a commit) shown by its first :data:`SHORT` characters; ``full`` is the whole
    value, which the page puts in a tooltip (``title``) so that it can still be read and copied."""

    full: str

    def __new__(cls, full: object) -> Short:
        whole = str(full)
        shown = super().__new__(cls, whole[:SHORT] + ("..." if len(whole) > SHORT else ""))
        shown.full = whole
        return shown


def short(value: object) -> Short | None:
    """A hash as :class:`Short` (None stays None: not recorded)."""
    return None if value is None or value == "" else Short(value)


@dataclass(frozen=True)
class Figure:
    """A chart on the page: the image as a ``data:`` URI, its alternative text and its caption."""

    uri: str
    alt: str
    caption: str


def fmt(v) -> str:
    """A metadata value as plain text (a :class:`Short` value as it is)."""
    if isinstance(v, Short):
        return v
    if v is None:
        return NOT_RECORDED
    if isinstance(v, float) and v != v:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    if isinstance(v, float):
        return f"{v:,.6g}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x) for x in v) or "none"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {fmt(x)}" for k, x in v.items()) or "none"
    return str(v)


def grid_text(value) -> str:
    """A grid value as shown: '' for none, '150' for 150.0, '1,000,000' for 1e6."""
    if value is None or str(value).strip().lower() in ("", "nan", "none"):
        return ""
    try:
        return fmt(float(value))
    except ValueError:
        return str(value)


def table(head: list[str], rows: list[list], missing: str = "n/a") -> Table:
    """A table with every cell formatted by :func:`fmt` (None as ``missing``)."""
    return Table(list(head), [[missing if c is None else fmt(c) for c in r] for r in rows])


def _flatten(d: dict, prefix: str = "") -> list[list]:
    rows = []
    for k, v in d.items():
        if isinstance(v, dict):
            rows += _flatten(v, f"{prefix}{k} / ")
        else:
            rows.append([f"{prefix}{k}", v])
    return rows


def warmup_rows(folder: Path, meta: dict | None) -> list[dict]:
    """The warm-up check: ``warmup.csv`` when the folder has one, else the metadata's copy."""
    if (folder / "warmup.csv").exists():
        try:
            w = pd.read_csv(folder / "warmup.csv", dtype={"grid": str})
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
            return []
        return w.to_dict("records")
    return [r for r in (meta or {}).get("warmup_check") or [] if isinstance(r, dict)]


def _precision(meta: dict) -> dict[str, Any] | None:
    """The replication-count result: the target, the replications recommended and the assessment behind them."""
    prec = meta.get("precision")
    if not isinstance(prec, dict):
        return None
    rec = prec.get("recommended")
    rows = [r for r in prec.get("assessment") or [] if isinstance(r, dict)]
    head = list(dict.fromkeys(k for r in rows for k in r))
    return {
        "half_width_pct": fmt(prec.get("half_width_pct")),
        "cohort": fmt(prec.get("cohort")),
        "metrics": fmt(prec.get("metrics")),
        "replications": fmt(meta.get("replications")),
        "recommended": table(["measure", "replications recommended"], _flatten(rec) if isinstance(rec, dict) else []),
        "assessment": table(head, [[grid_text(r.get(k)) if k == "grid" else r.get(k) for k in head] for r in rows]),
    }


def run_checks(folder: Path, meta: dict | None) -> dict[str, Any]:
    """Failed replications (None when not recorded), the warm-up check and the replication-count result."""
    failed = (meta or {}).get("failed")
    failures = (
        None
        if meta is None or failed is None
        else table(
            ["scenario", "grid value", "replication", "error"],
            [[f.get("scenario"), grid_text(f.get("grid")), f.get("replication"), f.get("error")] for f in failed],
        )
    )
    warmup = [
        [grid_text(r.get(c)) if c == "grid" else r.get(c) for c in WARMUP_COLUMNS] for r in warmup_rows(folder, meta)
    ]
    rows_in_file = None
    if (folder / "replications.csv").exists():
        with open(folder / "replications.csv", encoding="utf-8", errors="replace") as f:
            rows_in_file = max(sum(1 for _ in f) - 1, 0)
    return {
        "failed": failures,
        "warmup": table(
            ["scenario", "grid value", "series", "MSER-5 truncation (days)", "window (days)", "verdict"], warmup
        ),
        "precision": _precision(meta or {}),
        "replications_csv": rows_in_file,
    }


def metadata_section(meta: dict | None) -> dict[str, Any] | None:
    """Version, commit, settings, scenario files with hashes, and the parameters with their sources."""
    if meta is None:
        return None
    keys = [
        ("kind", "Kind of run"),
        ("name", "Name"),
        ("caresim_version", "caresim version"),
        ("git_commit", "Git commit"),
        ("python", "Python"),
        ("platform", "Platform"),
        ("seed", "Seed"),
        ("replications", "Replications"),
        ("population", "Registered population"),
        ("horizon_days", "Statistics window (days)"),
        ("warmup_days", "Warm-up (days)"),
        ("reference", "Reference scenario"),
        ("experiment_file", "Experiment file"),
        ("experiment_sha256", "Experiment file SHA-256"),
        ("grid", "Parameter grid"),
        ("metrics", "Measures"),
        ("charts", "Charts"),
    ]
    plain: dict[str, Any] = {"seed": str(meta.get("seed"))} if meta.get("seed") is not None else {}  # a label
    plain.update({k: short(meta[k]) for k in ("git_commit", "experiment_sha256") if meta.get(k)})
    scenarios = [s for s in meta.get("scenarios") or [] if isinstance(s, dict)]
    params = meta.get("parameters") or {}
    differences = [
        (
            fmt(s.get("name")),
            table(
                ["parameter", "baseline", "this scenario", "unit", "source"],
                [
                    [d.get(k) for k in ("parameter", "baseline", "value", "unit")] + [citation(d.get("source") or "")]
                    for d in params.get(s.get("name")) or []
                ],
            ),
        )
        for s in scenarios or [{"name": n} for n in params]
    ]
    return {
        "settings": table(
            ["item", "value"],
            [[label, plain.get(k, meta.get(k))] for k, label in keys if k in meta],
            missing=NOT_RECORDED,
        ),
        "scenarios": table(
            [
                "scenario",
                "description",
                "file",
                "file SHA-256",
                "scenario hash",
                "paired with reference",
                "interventions",
                "shifts",
            ],
            [
                [
                    s.get("name"),
                    described(s.get("description"), population_run(meta, s.get("name"))),
                    s.get("file") or "built-in baseline",
                    short(s.get("file_sha256")) or ("none (built in)" if not s.get("file") else None),
                    short(s.get("scenario_hash")),
                    s.get("paired"),
                    s.get("interventions") or "none",
                    s.get("shifts") or "none",
                ]
                for s in scenarios
            ],
            missing=NOT_RECORDED,
        ),
        "differences": differences,
        "reference": fmt(meta.get("reference")),
        "baseline": table(
            ["parameter", "value", "unit", "source"],
            [
                [p.get(k) for k in ("parameter", "value", "unit")] + [citation(p.get("source") or "")]
                for p in meta.get("baseline_parameters") or []
            ],
        ),
    }


def stress_section(folder: Path, meta: dict | None) -> dict[str, Any]:
    """The STRESS-DES checklist, section by section, with its citation."""
    meta = {**(meta or {}), "warmup_check": warmup_rows(folder, meta)}
    return {"citation": CITATION, "sections": checklist(meta)}


EVALUATION_NOTE = (
    "Per cent (the bias in percentage points), means over the replications with 95% intervals; the bias's "
    "interval pairs the two changes replication by replication (with one replication, no interval)."
)


def evaluation_section(folder: Path, comparison: pd.DataFrame, reference: str) -> list[dict[str, Any]]:
    """Per MDT scenario with an emulated evaluation: its title, the design's title, the table of
    :func:`sim.analysis.evaluation_view.evaluation_table` in words and the matching's balance in a sentence."""
    if not evaluation_view.matched_scenarios(comparison):
        return []
    kpis = pd.read_csv(folder / "kpis.csv", dtype={"scenario": str, "cohort": str, "metric": str})
    path = folder / "matching_balance.csv"
    balance = pd.read_csv(path, dtype={"scenario": str}) if path.is_file() else None
    view = evaluation_view.evaluation_table(comparison, kpis, balance)
    worst = evaluation_view.balance_table(balance)
    titles = {name: d.title for name, d in load_designs()[0].items()}
    out = []
    for name in dict.fromkeys(view["scenario"]):
        designs = [] if balance is None else list(dict.fromkeys(balance.loc[balance["scenario"] == name, "design"]))
        out.append(
            {
                "title": f"'{name}' against '{reference}'",
                "design": "; ".join(titles.get(d, d) for d in designs),
                "table": Table(list(evaluation_view.HEAD), evaluation_view.rows_in_words(view, name)),
                "balance": evaluation_view.balance_sentence(worst, name),
            }
        )
    return out


LEDGER_HEAD = ["Organisation", "reference", "scenario", "Change [95% interval]", "Change a year", "Clear change"]
LEDGER_VIEWS = {"provider": "Providers' costs (provider view)", "commissioner": "Payers' payments (commissioner view)"}


def shift_remainder(entry: dict) -> float:
    """A scenario's unspent shift remainder, GBP a year, from its entry in ``metadata.json`` (0 when none)."""
    value = entry.get("shift_remainder_gbp", 0.0)
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0


def _ledger_table(rows: pd.DataFrame, view: str, days: float | None, unstable: bool) -> Table:
    """One view's organisations: reference, scenario, change with its interval, a year, and whether it is clear."""
    out = []
    for r in rows[rows["view"] == view].itertuples(index=False):
        metric = metric_of(view, r.organisation)
        blank = SimpleNamespace(**r._asdict(), pct_change=math.nan, pct_ci_low=math.nan, pct_ci_high=math.nan)
        ref, sc, change, _ = cells(metric, blank)
        clear = is_clear(SimpleNamespace(**r._asdict(), unstable=unstable))
        words = "yes" if clear else "no (a run is overloaded)" if unstable else "no"
        if same_every_time(r) and not unstable:
            words = f"no: {SAME}"
        yearly = a_year(metric, r.diff_mean, days, sign=True) if days else "n/a"
        out.append([registry.ORGANISATION_NAMES.get(r.organisation, r.organisation), ref, sc, change, yearly, words])
    return table(LEDGER_HEAD, out)


def ledger_section(
    ledger: pd.DataFrame, changes: pd.DataFrame, reference: str, meta: dict | None, days: float | None
) -> list[dict[str, Any]]:
    """Who pays and who saves, per scenario (and grid value): each view's table of ``ledger.csv``, what the change of
    total cost is made of (capacity held with the shift's remainder, closed beds not cashed, activity) and who pays
    and who saves in words, as ``caresim compare`` prints them (:mod:`sim.reports.ledger_words`).

    ``changes``: the comparison's rows (``grid`` as text, '' for none); ``days``: the statistics window (None when not
    recorded: no figures a year and no words, which are a year).
    """
    meta = meta or {}
    grid: dict = meta["grid"] if isinstance(meta.get("grid"), dict) else {}
    entries = {str(s.get("name")): s for s in meta.get("scenarios") or [] if isinstance(s, dict)}
    ledger = ledger.assign(grid=ledger["grid"] if "grid" in ledger else "")
    out = []
    for (scenario, point), rows in ledger.groupby(["scenario", "grid"], sort=False):
        mine = changes[(changes["scenario"] == scenario) & (changes["grid"] == point)]
        overloaded = any_unstable(mine)
        where = f", {grid.get('label') or grid.get('parameter') or 'grid'} = {point}" if point else ""
        split: list[str] = []
        words = ""
        if days:
            years = window_years(days)
            remainder = 0.0 if point else shift_remainder(entries.get(scenario, {}))
            split = cost_split_lines(mine, scenario, years, remainder)
            words = "\n".join(ledger_lines(rows, scenario, years, overloaded))
        out.append(
            {
                "title": f"'{scenario}' against '{reference}'{where}",
                "split": split,
                "views": [
                    {"title": title, "table": _ledger_table(rows, view, days, overloaded)}
                    for view, title in LEDGER_VIEWS.items()
                ],
                "words": words,
            }
        )
    return out


def ledger_note(days: float | None) -> str:
    """How to read the section: the two views, the period, the rule for a clear change."""
    period = period_words(days) if days else "totals over the statistics window (its length was not recorded)"
    return (
        "Each organisation's change against the reference: providers in the provider view (what it costs to run "
        "what they run), payers in the commissioner view (what they pay); within a view no pound is counted twice "
        f"(docs/costs.md). Costs in GBP, {period}; a change is clear when its 95% interval excludes no change and "
        "neither run is overloaded. ledger.csv holds the same figures."
    )


def caption(stem: str) -> str:
    """A chart's caption from its file stem: 'costs_by_sector' -> 'Costs by sector'."""
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


def chart_files(folder: Path) -> list[Path]:
    """One file per chart stem (PNG preferred over SVG): the known charts first, then the rest by name."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.svg")) + sorted(folder.glob("*.png")):
        if path.is_file():
            found[path.stem] = path  # PNG, read last, wins
    stems = list(dict.fromkeys([s for s in CHART_NOTES if s in found] + sorted(found)))
    return [found[s] for s in stems]


def figures(folder: Path) -> list[Figure]:
    """Every chart in ``folder``, embedded as a ``data:`` URI, with a caption from its file stem."""
    out = []
    for path in chart_files(folder):
        mime = "image/png" if path.suffix.lower() == ".png" else "image/svg+xml"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        text = " ".join(x for x in (caption(path.stem) + ".", CHART_NOTES.get(path.stem, ""), f"({path.name})") if x)
        out.append(Figure(f"data:{mime};base64,{data}", caption(path.stem), text))
    return out
