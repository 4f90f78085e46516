"""Sections of the HTML report as plain data, and the templates that draw them.

Each function here returns what a section shows, as plain text: tables of
strings, titles, charts as ``data:`` URIs.  The markup is in the jinja2
templates of ``templates/`` beside this module, one per section, rendered with
autoescaping on (every piece of text is escaped on the page) and with
``StrictUndefined`` (a template asking for a value it was not given fails
instead of showing nothing).  :mod:`sim.reports.report` puts the sections on
the page.  Keys missing from the metadata are shown as not recorded rather than
failing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from sim.reports.stress_des import CITATION, NOT_RECORDED, checklist

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
    "ledger": "What each scenario moves between sectors: the change in each sector's cost and the net change, "
    "with 95% intervals.",
    "response_curves": "How the per cent change of a few measures varies across the grid values, with 95% bands.",
    "delayed_discharges": "Patients in hospital waiting to be discharged, week by week.",
    "acute_beds_occupied": "Acute beds occupied by all patients, week by week.",
}
WARMUP_COLUMNS = ["scenario", "grid", "series", "mser_truncation_days", "window_days", "verdict"]


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


@dataclass(frozen=True)
class Figure:
    """A chart on the page: the image as a ``data:`` URI, its alternative text and its caption."""

    uri: str
    alt: str
    caption: str


def fmt(v) -> str:
    """A metadata value as plain text."""
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
    plain = {"seed": str(meta.get("seed"))} if meta.get("seed") is not None else {}  # a seed is a label, not a quantity
    scenarios = [s for s in meta.get("scenarios") or [] if isinstance(s, dict)]
    params = meta.get("parameters") or {}
    differences = [
        (
            fmt(s.get("name")),
            table(
                ["parameter", "baseline", "this scenario", "unit", "source"],
                [
                    [d.get(k) for k in ("parameter", "baseline", "value", "unit", "source")]
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
                    " ".join(str(s.get("description") or "").split()),
                    s.get("file") or "built-in baseline",
                    s.get("file_sha256") or ("none (built in)" if not s.get("file") else None),
                    s.get("scenario_hash"),
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
                [p.get(k) for k in ("parameter", "value", "unit", "source")]
                for p in meta.get("baseline_parameters") or []
            ],
        ),
    }


def stress_section(folder: Path, meta: dict | None) -> dict[str, Any]:
    """The STRESS-DES checklist, section by section, with its citation."""
    meta = {**(meta or {}), "warmup_check": warmup_rows(folder, meta)}
    return {"citation": CITATION, "sections": checklist(meta)}


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
