"""The report of a results folder: one self-contained HTML page for a board.

:func:`build_report` reads an experiment's results folder (``summary.csv``) or
a ``caresim compare --out`` folder (``comparison.csv``), with its
``metadata.json`` when there is one, and writes ``report.html`` beside them:
what was run, in plain words, with the terms it uses explained; the clear changes, found by the same rule
and function as ``caresim compare`` prints them (:func:`sim.reports.text.clear_sentences`); the headline
changes against the reference with 95% intervals, their period stated and each total's change a year; every
chart in the folder, embedded; failed replications and
the warm-up and precision checks; the run's metadata and parameters; and the
STRESS-DES checklist (:mod:`sim.reports.stress_des`).  Where a scenario's queue grows through the window
(:mod:`sim.analysis.stability`, from ``timeseries.csv``), the page names it and calls no change of that
comparison clear (``unstable``).  The page has no external links:
charts are embedded as ``data:`` URIs and the styles sit in the page.  This
module reads the folder and works out the headline changes; the charts and the
sections drawn from the metadata are in :mod:`sim.reports.sections`, and the
markup of every part is in the templates of ``templates/`` (``report.html``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.analysis.compare import COMPARISON_COLUMNS, MDT_PREFIX
from sim.analysis.evaluation_view import READING
from sim.analysis.ledger import LEDGER_COLUMNS, ledger_table
from sim.analysis.stability import GRIDLOCK_WORDS, check, is_unstable, overload_sentence, unstable_by_scenario
from sim.outcomes import registry
from sim.reports.sections import (
    EVALUATION_NOTE,
    GLOSSARY,
    Table,
    evaluation_section,
    figures,
    grid_text,
    ledger_note,
    ledger_section,
    metadata_section,
    page,
    run_checks,
    stress_section,
    table,
)
from sim.reports.text import (
    CLEAR_TITLE,
    SAME,
    a_year,
    cells,
    clear_sentences,
    flagged,
    is_clear,
    main_changes,
    period_note,
    same_every_time,
    same_sentences,
)

SUMMARY_COLUMNS = list(registry.SUMMARY_COLUMNS)
# the columns a folder must have (``unstable`` came later: a folder without it is checked from timeseries.csv)
MAIN_TABLE = {
    "experiment": ("summary.csv", [c for c in SUMMARY_COLUMNS if c != registry.UNSTABLE]),
    "compare": ("comparison.csv", [c for c in COMPARISON_COLUMNS if c != registry.UNSTABLE]),
}
GRIDLOCK = "overloaded: reflects the gridlock"  # a change's words where either run is overloaded
HEADLINE_METRICS = registry.HEADLINE
COHORTS = {c: registry.cohort(c).compared for c in registry.COMPARED_COHORTS}  # cohort -> its title


class ReportError(Exception):
    """A folder that cannot be reported on: the message is ``<folder>: <what is missing>``."""


@dataclass
class Results:
    """What the report needs from a folder."""

    folder: Path
    kind: str  # "experiment" or "compare"
    meta: dict | None  # None when metadata.json is missing
    changes: pd.DataFrame  # one row per (scenario, grid, cohort, metric) against the reference
    reference: str
    names: list[str]  # reference first
    overloads: pd.DataFrame = field(default_factory=pd.DataFrame)  # sim.analysis.stability.check, grids as text


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "1.0", "yes")


def _read(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(folder / name, dtype={"grid": str, "scenario": str, "cohort": str, "metric": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ReportError(f"{folder}: {name} cannot be read: {' '.join(str(e).split())}") from None
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise ReportError(f"{folder}: {name} lacks the columns {', '.join(lacking)}")
    if "grid" in frame.columns:
        frame["grid"] = frame["grid"].map(grid_text)
    return frame


def _reference_means(summary: pd.DataFrame, reference: str) -> dict:
    ref = summary[summary["scenario"] == reference]
    return {(g, c, m): v for g, c, m, v in zip(ref["grid"], ref["cohort"], ref["metric"], ref["mean"])}


def _from_summary(summary: pd.DataFrame, reference: str) -> pd.DataFrame:
    means = _reference_means(summary, reference)
    rows = summary[(summary["scenario"] != reference) & ~summary["cohort"].str.startswith(MDT_PREFIX)].copy()
    ref_means = []
    for r in rows.itertuples(index=False):
        cohort = MDT_PREFIX + r.scenario if r.cohort == "mdt" else r.cohort
        keys = [k for k in ((r.grid, cohort, r.metric), ("", cohort, r.metric)) if k in means]
        ref_means.append(means[keys[0]] if keys else r.mean - r.diff_mean)
    rows["reference_mean"] = ref_means
    return rows.rename(columns={"mean": "scenario_mean"})


# every file of a results folder the report reads
READ_FILES = (
    "metadata.json",
    "summary.csv",
    "comparison.csv",
    "kpis.csv",
    "timeseries.csv",
    "warmup.csv",
    "replications.csv",
    "uncertainty.csv",
    "ledger.csv",
)


def load_results(folder: Path) -> Results:
    """Read a results folder; :class:`ReportError` if it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder")
    for name in READ_FILES:  # a FIFO would block the reader and a device could be read without end
        if (folder / name).exists() and not (folder / name).is_file():
            raise ReportError(f"{folder}: {name} is not a regular file")
    meta = None
    if (folder / "metadata.json").exists():
        try:
            meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ReportError(f"{folder}: metadata.json is not valid JSON: {e}") from None
        if not isinstance(meta, dict):
            raise ReportError(f"{folder}: metadata.json does not hold a table of keys")
    kind = (meta or {}).get("kind")
    what = f"a complete {kind} results folder"
    if kind not in MAIN_TABLE:
        kind = (
            "experiment"
            if (folder / "summary.csv").exists() and not (folder / "comparison.csv").exists()
            else "compare"
        )
        what = "an experiment's results folder or a compare --out folder"
    table_name, columns = MAIN_TABLE[kind]
    missing = [n for n in (table_name, "kpis.csv", "timeseries.csv") if not (folder / n).exists()]
    if missing:
        if meta is None and missing[0] == "comparison.csv" and not (folder / "summary.csv").exists():
            missing[0] = "summary.csv or comparison.csv"
        raise ReportError(f"{folder}: missing {', '.join(missing)} (not {what})")
    meta_names = [str(s.get("name")) for s in (meta or {}).get("scenarios") or [] if isinstance(s, dict)]
    reference = (meta or {}).get("reference")
    replications = (meta or {}).get("replications")
    table = _read(folder, table_name, columns)
    kpi_names, reps = [], {}
    if kind == "compare" and not (reference and replications and meta_names):
        kpis = _read(folder, "kpis.csv", ["scenario", "replication"])
        kpi_names = list(dict.fromkeys(kpis["scenario"]))
        reps = kpis.groupby("scenario")["replication"].nunique().to_dict()
    if kind == "experiment":
        if not reference:
            no_diff = table.groupby("scenario", sort=False)["diff_mean"].apply(lambda d: d.isna().all())
            reference = next((s for s, yes in no_diff.items() if yes), table["scenario"].iloc[0] if len(table) else "")
        changes = _from_summary(table, reference)
    else:
        if not reference:
            reference = next((s for s in kpi_names if s not in set(table["scenario"])), "reference")
        changes = table.assign(grid="", n=[replications or reps.get(s, math.nan) for s in table["scenario"]])
    changes = changes.assign(paired=changes["paired"].map(_truthy))
    names = meta_names or [reference] + list(
        dict.fromkeys(s for s in [*kpi_names, *table["scenario"]] if s != reference)
    )
    overloads = check(_read(folder, "timeseries.csv", ["day", "series", "value"]))
    changes = changes.assign(unstable=_unstable(changes, overloads, str(reference)))
    return Results(folder, kind, meta, changes.reset_index(drop=True), str(reference), names, overloads)


def _unstable(changes: pd.DataFrame, overloads: pd.DataFrame, reference: str) -> list[bool]:
    """Each change's ``unstable`` flag: from the table's column, else (an older folder, or NA) from the time series."""
    flags = unstable_by_scenario(overloads)
    column = changes[registry.UNSTABLE] if registry.UNSTABLE in changes.columns else [math.nan] * len(changes)
    out = []
    for v, s, g in zip(column, changes["scenario"], changes["grid"]):
        known = str(v).strip().lower() in ("true", "false", "1", "0", "1.0", "0.0")
        out.append(flagged(v) if known else is_unstable(flags, s, g) or is_unstable(flags, reference, g))
    return out


# --- headline changes ---------------------------------------------------------------------------


def label(metric: str) -> str:
    """A measure's plain-English name, from the metric registry (costs with "(GBP)")."""
    return registry.long_label(metric)


def phrase(r) -> str:
    """The change in words: 'fell clearly' / 'rose clearly' when it is clear (:func:`sim.reports.text.is_clear`).

    A change identical in every replication (a zero-width interval) is called so, not clear.

    Where either run is overloaded (``unstable``), no change is called clear: it reflects the gridlock.
    """
    if not _finite(r.diff_mean):
        return "not available"
    if flagged(getattr(r, "unstable", False)):
        return GRIDLOCK
    if _finite(r.n) and r.n < 2:
        return "n=1: interval not defined"
    if not (_finite(r.diff_ci_low) and _finite(r.diff_ci_high)):
        return "interval not defined"
    if same_every_time(r) and r.diff_mean != 0:
        return ("rose" if r.diff_mean > 0 else "fell") + ", the same in every replication"
    if is_clear(r):
        return "rose clearly" if r.diff_mean > 0 else "fell clearly"
    return "no clear change"


def _groups(res: Results, metrics=HEADLINE_METRICS):
    """(scenario, grid, rows of ``metrics``) in scenario order, then grid order."""
    ch = res.changes[res.changes["metric"].isin(metrics)]
    order = {n: i for i, n in enumerate(res.names)}
    keys = sorted(dict.fromkeys(zip(ch["scenario"], ch["grid"])), key=lambda k: order.get(k[0], len(order)))
    for scenario, grid in keys:
        yield scenario, grid, ch[(ch["scenario"] == scenario) & (ch["grid"] == grid)]


def _title(res: Results, scenario: str, grid: str) -> str:
    g = (res.meta or {}).get("grid") or {}
    where = f", {g.get('label') or g.get('parameter') or 'grid'} = {grid}" if grid else ""
    return f"'{scenario}' against '{res.reference}'{where}"


def overload_text(res: Results, scenario: str, grid: str) -> str:
    """Why a comparison's changes are not called clear: which run is overloaded, where, and what it means."""
    said = [overload_sentence(res.overloads, n, grid) for n in dict.fromkeys([res.reference, scenario])]
    said = [x for x in said if x] or ["One of the two runs is overloaded (marked unstable in the results)."]
    return " ".join(said) + f" So {GRIDLOCK_WORDS}, and no change is called clear."


def overload_check(res: Results) -> Table:
    """The queues that grew through the window in at least one replication, scenario by scenario."""
    o = res.overloads
    rows = [] if not len(o) else o[o["growing_runs"] > 0].itertuples(index=False)
    return table(
        ["scenario", "grid value", "who waits", "replications where it grew", "growth per week", "overloaded"],
        [
            [
                r.scenario,
                getattr(r, "grid", ""),
                r.waiting,
                f"{r.growing_runs} of {r.runs}",
                f"{r.growth_per_week:+.2f}",
                "yes" if r.unstable else "no (fewer than half)",
            ]
            for r in rows
        ],
    )


@dataclass(frozen=True)
class Finding:
    """The clear changes of one scenario (and grid value) against the reference, cohort by cohort.

    The same sentences as ``caresim compare`` prints for the same comparison table: both take the main measures
    with :func:`sim.reports.text.main_changes` and word them with :func:`sim.reports.text.clear_sentences`.
    """

    title: str
    note: str  # instead of the lists: the overload, or one replication only
    cohorts: list[tuple[str, list[str], list[str]]]  # (cohort's title, clear changes, changes the same every time)


def findings(res: Results) -> list[Finding]:
    """The clear changes of the main measures, one :class:`Finding` per scenario and grid value."""
    out = []
    for scenario, grid, rows in _groups(res, registry.COMPARISON_MAIN):
        flag = "" if rows["paired"].all() else " (unpaired comparison)"
        title = _title(res, scenario, grid) + flag
        if rows["unstable"].any():
            out.append(Finding(title, overload_text(res, scenario, grid), []))
            continue
        if all(_finite(n) and n < 2 for n in rows["n"]):
            out.append(Finding(title, ONE_REPLICATION, []))
            continue
        cohorts = []
        for cohort, cohort_title in COHORTS.items():
            main = main_changes({r.metric: r for r in rows[rows["cohort"] == cohort].itertuples(index=False)})
            if main:
                cohorts.append((cohort_title, clear_sentences(main), same_sentences(main)))
        out.append(Finding(title, "", cohorts))
    return out


ONE_REPLICATION = "One replication only, so no interval is defined and no change can be called clear (see the table)."


@dataclass(frozen=True)
class HeadlineRow:
    """One measure in a headline table: its name, the figures of :func:`cells` (and the change a year where the
    window's length is known), and the change in words."""

    label: str
    cells: tuple[str, ...]
    words: str
    clear: bool  # the 95% interval excludes zero


@dataclass(frozen=True)
class Headline:
    """The headline table of one scenario (and grid value) against the reference, cohort by cohort."""

    title: str
    scenario: str
    reference: str
    paired: bool
    single: bool  # one replication: no interval is defined
    head: list[str]
    cohorts: list[tuple[str, list[HeadlineRow]]]  # (cohort's title, its rows)
    overload: str = ""  # where either run is overloaded: which queue grew, and that no change is called clear


def horizon(res: Results) -> float | None:
    """The statistics window's days, from the metadata (None when not recorded)."""
    v = (res.meta or {}).get("horizon_days")
    days = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan
    return days if math.isfinite(days) and days > 0 else None


def headline(res: Results) -> list[Headline]:
    """The headline tables, in scenario order, then grid order."""
    out = []
    days = horizon(res)
    for scenario, grid, rows in _groups(res):
        n = rows["n"].max()  # a share may have fewer values than the run has replications
        head = [
            "Measure",
            f"{res.reference} (reference)",
            scenario,
            "Change [95% interval]",
            *(["Change a year"] if days else []),
            "% change [95% interval]",
            "In words",
        ]
        cohorts = []
        for cohort, title in COHORTS.items():
            c = {r.metric: r for r in rows[rows["cohort"] == cohort].itertuples(index=False)}
            if c:
                cohorts.append(
                    (
                        title,
                        [
                            HeadlineRow(label(m), _cells(m, c[m], days), phrase(c[m]), phrase(c[m]).endswith("clearly"))
                            for m in HEADLINE_METRICS
                            if m in c
                        ],
                    )
                )
        out.append(
            Headline(
                _title(res, scenario, grid),
                scenario,
                res.reference,
                bool(rows["paired"].all()),
                bool(_finite(n) and n < 2),
                head,
                cohorts,
                overload_text(res, scenario, grid) if rows["unstable"].any() else "",
            )
        )
    return out


def _cells(metric: str, r, days: float | None) -> tuple[str, ...]:
    """The figures of a headline row: :func:`cells`, with the change a year after the change when ``days``."""
    ref, sc, change, pct = cells(metric, r)
    return (ref, sc, change, a_year(metric, r.diff_mean, days, sign=True), pct) if days else (ref, sc, change, pct)


# --- the page -----------------------------------------------------------------------------------


def summary_text(res: Results) -> str:
    """One paragraph: what was run."""
    meta = res.meta or {}
    others = [n for n in res.names if n != res.reference]
    quoted = ", ".join(f"'{n}'" for n in others)
    if res.kind == "experiment":
        text = f"This report sets out the results of the experiment '{meta.get('name') or res.folder.name}'. "
        text += f"{' '.join(str(meta['description']).split()).rstrip('.')}. " if meta.get("description") else ""
    else:
        text = "This report sets out a comparison of scenarios run with caresim. "
    text += (
        f"{len(others)} scenario{'s' if len(others) != 1 else ''} ({quoted}) "
        f"{'were' if len(others) != 1 else 'was'} compared with the reference scenario '{res.reference}'. "
    )
    reps = meta.get("replications")
    if reps is None and len(res.changes) and _finite(res.changes["n"].max()):
        reps = int(res.changes["n"].max())
    said, unsaid = [], []
    for key, words, missing in (
        ("seed", "with seed {}", "seed"),
        ("population", "for a place of {:,} registered people", "population"),
        ("horizon_days", "over a statistics window of {:g} days", "run length"),
        ("warmup_days", "after a warm-up of {:g} days", "warm-up"),
    ):
        v = meta.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            said.append(words.format(v))
        else:
            unsaid.append(missing)
    text += (
        (
            f"Each scenario was run {reps} time{'s' if reps != 1 else ''} (replications)"
            if reps is not None
            else "The number of replications was not recorded"
        )
        + "".join(f", {x}" for x in said)
        + ". "
    )
    if unsaid:
        listed = ", ".join(unsaid[:-1]) + " and " + unsaid[-1] if len(unsaid) > 1 else unsaid[0]
        text += f"The {listed} {'were' if len(unsaid) > 1 else 'was'} not recorded. "
    grid = meta.get("grid")
    if isinstance(grid, dict) and grid.get("values"):
        which = ", ".join(f"'{n}'" for n in grid.get("scenarios") or []) or "the scenarios"
        text += (
            f"Over a grid, {which} also ran at each value of {grid.get('label') or grid.get('parameter')} "
            f"({grid.get('parameter')}): {', '.join(grid_text(v) for v in grid['values'])}. "
        )
    return text


def uncertainty(folder: Path) -> Table | None:
    """Which part of each headline change's interval is the larger, when the runs were over posterior draws."""
    path = folder / "uncertainty.csv"
    if not path.exists():
        return None
    u = pd.read_csv(path)
    u = u[u["metric"].isin(HEADLINE_METRICS) & (u.get("quantity", "diff") == "diff")]
    rows = [
        [r.scenario, r.cohort, label(r.metric), f"{100 * r.calibration_share:.0f}%", r.dominant] for r in u.itertuples()
    ]
    return table(["scenario", "cohort", "measure", "calibration's share of the variance", "dominant"], rows)


def _period(res: Results) -> str:
    """What the tables' figures cover: the window's length and the change a year, or that it was not recorded."""
    days = horizon(res)
    if days is None:
        return "Counts, days, hours and costs are totals over the statistics window (its length was not recorded)."
    return period_note(days, "'Change a year'")


def who_pays(res: Results) -> list[dict]:
    """The section "Who pays and who saves", from ``ledger.csv`` (a comparison without it: from its table)."""
    if (res.folder / "ledger.csv").is_file():
        ledger = _read(res.folder, "ledger.csv", LEDGER_COLUMNS)
    elif res.kind == "compare":
        ledger = ledger_table(res.changes)
    else:
        return []
    return ledger_section(ledger, res.changes, res.reference, res.meta, horizon(res))


def render(res: Results) -> str:
    """The page, from the template ``report.html``."""
    meta = res.meta
    title = (meta or {}).get("name") if res.kind == "experiment" else "Comparison of scenarios"
    return page(
        "report.html",
        title=str(title or "caresim report"),
        heading=str(title or res.folder.name),
        summary=summary_text(res),
        glossary=GLOSSARY,
        recorded=meta is not None,
        found=findings(res),
        clear_title=CLEAR_TITLE,
        same_title=f"Changes {SAME} (no spread, so no interval)",
        period=_period(res),
        groups=headline(res),
        split=uncertainty(res.folder),
        ledger_items=who_pays(res),
        ledger_note=ledger_note(horizon(res)),
        figures=figures(res.folder),
        run_checks=run_checks(res.folder, meta),
        overload=overload_check(res),
        meta=metadata_section(meta),
        checklist=stress_section(res.folder, meta),
        evaluations=evaluation_section(res.folder, res.changes, res.reference) if res.kind == "compare" else [],
        evaluation_reading=READING,
        evaluation_note=EVALUATION_NOTE,
    )


def build_report(folder: Path) -> Path:
    """Write ``<folder>/report.html`` and return its path.

    Raises :class:`ReportError` on a folder that is not a results folder.
    """
    res = load_results(Path(folder))
    path = res.folder / "report.html"
    path.write_text(render(res), encoding="utf-8")
    return path
