"""Sections of the HTML report built from a run's metadata: run checks, metadata, STRESS-DES.

Each function returns an HTML fragment with every piece of text escaped;
:mod:`sim.reports.report` puts them on the page.  Keys missing from the metadata are
shown as not recorded rather than failing.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import pandas as pd

from sim.reports.stress_des import CITATION, NOT_RECORDED, checklist

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


def table(head: list[str], rows: list[list], missing: str = "n/a") -> str:
    """An HTML table; every cell is formatted with :func:`fmt` (None as ``missing``) and escaped."""
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{escape(missing if c is None else fmt(c))}</td>" for c in r) + "</tr>"
                for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


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


def checks_html(folder: Path, meta: dict | None) -> str:
    """Failed replications, the warm-up check and the replication-count (precision) result."""
    out = ["<h3>Failed replications</h3>"]
    failed = (meta or {}).get("failed")
    if meta is None or failed is None:
        out.append("<p>Not recorded.</p>")
    elif not failed:
        out.append("<p>No replication failed.</p>")
    else:
        out.append(f"<p class='note'>{len(failed)} replication{'s' if len(failed) != 1 else ''} failed and "
                   f"{'are' if len(failed) != 1 else 'is'} left out of every figure above.</p>")
        out.append(table(["scenario", "grid value", "replication", "error"],
                         [[f.get("scenario"), grid_text(f.get("grid")), f.get("replication"), f.get("error")] for f in failed]))
    out.append("<h3>Warm-up check</h3>")
    rows = [[grid_text(r.get(c)) if c == "grid" else r.get(c) for c in WARMUP_COLUMNS] for r in warmup_rows(folder, meta)]
    if rows:
        out.append("<p>The MSER-5 rule was applied to each output series over the statistics window. A truncation "
                   "point near day 0 means the series had already settled when statistics began, so the warm-up "
                   "was long enough; a late one means it was still settling.</p>")
        out.append(table(["scenario", "grid value", "series", "MSER-5 truncation (days)", "window (days)", "verdict"], rows))
    else:
        out.append("<p>No warm-up check was recorded.</p>")
    out.append("<h3>Number of replications</h3>")
    prec = (meta or {}).get("precision")
    if isinstance(prec, dict):
        out.append(f"<p>Replications needed for the 95% interval's half-width to be within "
                   f"{escape(fmt(prec.get('half_width_pct')))}% of the mean (cohort "
                   f"'{escape(fmt(prec.get('cohort')))}', measures {escape(fmt(prec.get('metrics')))}); this run used "
                   f"{escape(fmt((meta or {}).get('replications')))}.</p>")
        rec = prec.get("recommended")
        if isinstance(rec, dict) and rec:
            out.append(table(["measure", "replications recommended"], _flatten(rec)))
        rows = [r for r in prec.get("assessment") or [] if isinstance(r, dict)]
        if rows:
            head = list(dict.fromkeys(k for r in rows for k in r))
            out.append(f"<details><summary>The assessment, {len(rows)} rows</summary>"
                       + table(head, [[grid_text(r.get(k)) if k == "grid" else r.get(k) for k in head] for r in rows])
                       + "</details>")
    else:
        out.append("<p>No precision check was recorded.</p>")
    if (folder / "replications.csv").exists():
        with open(folder / "replications.csv", encoding="utf-8", errors="replace") as f:
            n = max(sum(1 for _ in f) - 1, 0)
        out.append(f"<p>The file replications.csv in this folder holds {n} row{'s' if n != 1 else ''}.</p>")
    return "".join(out)


def metadata_html(meta: dict | None) -> str:
    """Version, commit, settings, scenario files with hashes, and the parameters with their sources."""
    if meta is None:
        return "<p>Not recorded: this folder has no metadata.json.</p>"
    keys = [("kind", "Kind of run"), ("name", "Name"), ("caresim_version", "caresim version"),
            ("git_commit", "Git commit"), ("created", "Created"), ("wall_seconds", "Wall-clock seconds"),
            ("python", "Python"), ("platform", "Platform"), ("seed", "Seed"), ("replications", "Replications"),
            ("population", "Registered population"), ("horizon_days", "Statistics window (days)"),
            ("warmup_days", "Warm-up (days)"), ("reference", "Reference scenario"),
            ("experiment_file", "Experiment file"), ("experiment_sha256", "Experiment file SHA-256"),
            ("grid", "Parameter grid"), ("metrics", "Measures"), ("charts", "Charts")]
    plain = {"seed": str(meta.get("seed"))} if meta.get("seed") is not None else {}  # a seed is a label, not a quantity
    out = [table(["item", "value"], [[label, plain.get(k, meta.get(k))] for k, label in keys if k in meta],
                 missing=NOT_RECORDED)]
    scenarios = [s for s in meta.get("scenarios") or [] if isinstance(s, dict)]
    out.append("<h3>Scenarios</h3>")
    out.append(table(["scenario", "description", "file", "file SHA-256", "scenario hash", "paired with reference",
                      "interventions", "shifts"],
                     [[s.get("name"), " ".join(str(s.get("description") or "").split()),
                       s.get("file") or "built-in baseline",
                       s.get("file_sha256") or ("none (built in)" if not s.get("file") else None), s.get("scenario_hash"),
                       s.get("paired"), s.get("interventions") or "none", s.get("shifts") or "none"] for s in scenarios],
                     missing=NOT_RECORDED))
    out.append("<h3>Parameters that differ from the built-in baseline</h3>")
    params = meta.get("parameters") or {}
    for s in scenarios or [{"name": n} for n in params]:
        diffs = params.get(s.get("name")) or []
        out.append(f"<p><b>{escape(fmt(s.get('name')))}</b>: "
                   + (f"{len(diffs)} parameter{'s' if len(diffs) != 1 else ''}.</p>" if diffs else "none.</p>"))
        if diffs:
            out.append(table(["parameter", "baseline", "this scenario", "unit", "source"],
                             [[d.get(k) for k in ("parameter", "baseline", "value", "unit", "source")] for d in diffs]))
    base = meta.get("baseline_parameters") or []
    if base:
        out.append(f"<details><summary>All {len(base)} parameters of the reference '"
                   f"{escape(fmt(meta.get('reference')))}', with their sources</summary>"
                   + table(["parameter", "value", "unit", "source"],
                           [[p.get(k) for k in ("parameter", "value", "unit", "source")] for p in base])
                   + "</details>")
    return "".join(out)


def stress_html(folder: Path, meta: dict | None) -> str:
    """The STRESS-DES checklist, section by section."""
    meta = {**(meta or {}), "warmup_check": warmup_rows(folder, meta)}
    out = [f"<p>The items of the STRESS-DES checklist for reporting discrete-event simulation studies, answered for "
           f"this run. {escape(CITATION)}</p>"]
    for heading, items in checklist(meta):
        out.append(f"<h3>{escape(heading)}</h3>")
        out.append("<table><tbody>" + "".join(f"<tr><th>{escape(item)}</th><td>{escape(text)}</td></tr>"
                                              for item, text in items) + "</tbody></table>")
    return "".join(out)


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


def charts_html(folder: Path) -> str:
    """Every chart in ``folder`` embedded as a ``data:`` URI, with a caption from its file stem."""
    out = []
    for path in chart_files(folder):
        mime = "image/png" if path.suffix.lower() == ".png" else "image/svg+xml"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        text = " ".join(x for x in (caption(path.stem) + ".", CHART_NOTES.get(path.stem, ""), f"({path.name})") if x)
        out.append(f"<figure><img src=\"data:{mime};base64,{data}\" alt=\"{escape(caption(path.stem))}\">"
                   f"<figcaption>{escape(text)}</figcaption></figure>")
    return "".join(out) or "<p>There are no charts in this folder.</p>"
