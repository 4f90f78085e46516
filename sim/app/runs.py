"""Running a what-if and reading its results, without the page.

:func:`execute` runs one comparison and writes its folder as ``caresim compare --out`` does
(``kpis.csv``, ``timeseries.csv``, ``comparison.csv``, the charts, ``metadata.json`` and
``report.html``), plus the scenario file and the printed summary; :func:`headline` turns
``comparison.csv`` into the page's plain-English table, and :func:`overload_warning` names an
overloaded queue (:mod:`sim.analysis.stability`).  The comparison, charts and report are
the existing modules.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.app.levers import Settings, runs_in_words
from sim.outcomes import registry
from sim.scenarios.scenario import BASELINE, Scenario, baseline, check_names, load

# --- running a comparison -----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One comparison: the reference (``baseline`` or a file) and a scenario (a file or scenario text)."""

    settings: Settings
    reference: str = BASELINE
    scenario_path: str | None = None
    scenario_text: str | None = None
    file_name: str = "what_if.toml"


class Cancelled(Exception):
    """The run was cancelled between two replications."""


def _scenarios(req: Request, out: Path) -> list[Scenario]:
    rs = req.settings.run_settings()
    if req.reference == BASELINE and not Path(req.reference).exists():
        ref = baseline(rs)
    else:
        ref = load(req.reference, rs)
    if req.scenario_text is not None:
        path = out / req.file_name
        path.write_text(req.scenario_text, encoding="utf-8")
    elif req.scenario_path is not None:
        path = Path(req.scenario_path)
        (out / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        raise ValueError("a request needs a scenario file or scenario text")
    scenarios = [ref, load(path, rs)]
    check_names(scenarios)
    return scenarios


def execute(req: Request, out: Path, progress: Callable[[int, int, float], None] | None = None) -> Path:
    """Run the comparison and write its folder as ``caresim compare --out`` does; return the folder.

    Besides ``compare``'s files the folder holds the scenario file and ``summary.txt`` (what
    ``caresim compare`` prints).  ``progress(done, total, seconds)`` is called after each run;
    it may raise (e.g. :class:`Cancelled`) to stop.
    """
    from sim.analysis.compare import comparison_table, pairing, run_comparison
    from sim.analysis.ledger import ledger_table
    from sim.analysis.stability import check
    from sim.replication.runner import write_outputs
    from sim.reports import metadata
    from sim.reports.charts import comparison_charts, save
    from sim.reports.report import build_report
    from sim.reports.text import compare_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scenarios = _scenarios(req, out)
    s = req.settings
    t0 = time.perf_counter()
    frames = run_comparison(scenarios, int(s.reps), int(s.seed), progress=progress)
    seconds = time.perf_counter() - t0
    names = [sc.name for sc in scenarios]
    paired = pairing(scenarios)
    table = comparison_table(frames["kpis"], names, paired, timeseries=frames["timeseries"])
    write_outputs(out, frames)
    table.to_csv(out / "comparison.csv", index=False)
    money = ledger_table(table)
    if len(money):
        money.to_csv(out / "ledger.csv", index=False)
    save(comparison_charts(frames, table, names, scenarios[0].params.time.horizon_days), out)
    meta = metadata.base_metadata("compare", "comparison", scenarios, paired, names[0], int(s.reps), int(s.seed))
    metadata.write(out, metadata.timed(meta, seconds))
    build_report(out)
    text = compare_text(scenarios, table, int(s.reps), int(s.seed), overloads=check(frames["timeseries"]))
    (out / "summary.txt").write_text(
        text + f"\n\nRan {runs_in_words(int(s.reps), len(scenarios))} in {seconds:.1f} s.\n", encoding="utf-8"
    )
    return out


# --- reading the results ------------------------------------------------------------------------

HEADLINE = registry.HEADLINE
CHARTS = {
    "forest_plot.png": (
        "Per cent change of each measure, with its 95% interval (a bar crossing 0 means no clear change)."
    ),
    "costs_by_sector.png": "Costs by sector over the statistics window.",
    "delayed_discharges.png": "Patients in hospital waiting to be discharged, week by week.",
    "acute_beds_occupied.png": "Acute beds occupied, week by week.",
}
DOWNLOADS = {
    "comparison.csv": "text/csv",
    "kpis.csv": "text/csv",
    "timeseries.csv": "text/csv",
    "report.html": "text/html",
}


GRIDLOCK = "Overloaded run: this change reflects the gridlock, not an effect of the what-if (see the warning above)."


def _in_words(metric: str, r: Any, reps: int) -> str:
    from sim.reports.text import flagged

    if not (math.isfinite(r.reference_mean) and math.isfinite(r.scenario_mean)):
        return "Not measured (no one in this group)."
    if flagged(getattr(r, registry.UNSTABLE, False)):
        return GRIDLOCK
    if reps < 2 or not math.isfinite(r.diff_ci_low):
        return "One replication: no interval, so no conclusion. Run more replications."
    share = registry.is_share(metric)
    if r.diff_ci_low > 0 or r.diff_ci_high < 0:
        verb = "Higher" if r.diff_mean > 0 else "Lower"
        if share:
            return f"{verb}, by {abs(100 * r.diff_mean):.1f} percentage points: a clear change."
        if math.isfinite(r.pct_change):
            return f"{verb}, by {abs(r.pct_change):.1f}%: a clear change."
        return f"{verb}: a clear change."
    return "No clear change: the interval includes no change."


def _measure(metric: str) -> str:
    """A measure's name in the page's table: the registry's label, and each sector's cost as "Cost: <sector> (GBP)"."""
    if metric in registry.COST_SECTORS:
        return f"Cost: {registry.sector_title(metric).lower()} (GBP)"
    return registry.long_label(metric)


def cohort_title(cohort: str) -> str:
    """A cohort's title in a comparison, from the metric registry."""
    return registry.cohort(cohort).compared


def meanings(metrics=HEADLINE) -> list[str]:
    """Each measure's label and its one-line definition, from the metric registry (Markdown)."""
    return [f"**{_measure(m)}**: {registry.entry(m).definition}" for m in metrics]


def pounds(gbp: float, sign: bool = False) -> str:
    """Whole pounds with thousands separators, for a table whose measure says GBP: '2,000,000', '-200,000'."""
    if not math.isfinite(gbp):
        return "n/a"
    return f"{gbp:+,.0f}" if sign and round(gbp) else f"{gbp:,.0f}"


def _money_cells(r: Any) -> tuple[str, str, str]:
    """A cost's reference, what-if and change [95% interval], in whole pounds (not '124.12m')."""
    change = pounds(r.diff_mean, sign=True)
    if math.isfinite(r.diff_ci_low):
        change += f" [{pounds(r.diff_ci_low, sign=True)}, {pounds(r.diff_ci_high, sign=True)}]"
    return pounds(r.reference_mean), pounds(r.scenario_mean), change


def headline(comparison, scenario: str, reps: int, cohort: str = "all", metrics=HEADLINE):
    """The page's table: each headline measure in both scenarios, the change with its 95% interval, in words.

    Costs are in whole pounds with thousands separators.
    """
    import pandas as pd

    from sim.reports.text import cells

    rows = comparison[(comparison["scenario"] == scenario) & (comparison["cohort"] == cohort)]
    by_metric = {r.metric: r for r in rows.itertuples(index=False)}
    out = []
    for m in metrics:
        if m not in by_metric:
            continue
        r = by_metric[m]
        ref, sc, change, pct = cells(m, r)
        if registry.is_cost(m) and change != "n/a":
            ref, sc, change = _money_cells(r)
        out.append(
            {
                "Measure": _measure(m),
                "Reference": ref,
                "What-if": sc,
                "Change [95% interval]": change,
                "Change in % [95% interval]": pct,
                "In plain words": _in_words(m, r, reps),
            }
        )
    return pd.DataFrame(
        out,
        columns=[
            "Measure",
            "Reference",
            "What-if",
            "Change [95% interval]",
            "Change in % [95% interval]",
            "In plain words",
        ],
    )


def overload_warning(folder: Path, comparison, scenario: str) -> str:
    """Where the what-if or its reference is overloaded: which queue grew, by how much a week, and what that means.

    '' when the comparison is not ``unstable``.  Read from the folder's ``timeseries.csv``.
    """
    import pandas as pd

    from sim.analysis.stability import GRIDLOCK_WORDS, check, overload_sentence
    from sim.reports.text import unstable

    if not unstable(comparison[comparison["scenario"] == scenario]):
        return ""
    path = Path(folder) / "timeseries.csv"
    overloads = check(pd.read_csv(path, dtype={"scenario": str})) if path.is_file() else pd.DataFrame()
    names = list(dict.fromkeys(overloads["scenario"])) if len(overloads) else []
    said = [x for x in (overload_sentence(overloads, n) for n in names) if x]
    said = said or ["One of the two runs is overloaded: a queue grew through the statistics window."]
    return " ".join(said) + f" So {GRIDLOCK_WORDS}, and no change is called clear."


def read_comparison(folder: Path):
    import pandas as pd

    return pd.read_csv(Path(folder) / "comparison.csv", dtype={"scenario": str, "cohort": str, "metric": str})


def zip_folder(folder: Path) -> bytes:
    """The results folder as a ZIP archive (the run's own bookkeeping files left out)."""
    import io
    import zipfile

    skip = {"request.json", "progress.json", "status.json", "run.log"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(Path(folder).iterdir()):
            if path.is_file() and path.name not in skip:
                z.write(path, path.name)
    return buf.getvalue()


def results_root() -> Path:
    """Where each run's folder is written: ``CARESIM_APP_RESULTS``, else a folder in the temporary directory."""
    root = os.environ.get("CARESIM_APP_RESULTS")
    return Path(root) if root else Path(tempfile.gettempdir()) / "caresim-app"


def new_run_folder(name: str, root: Path | None = None) -> Path:
    """A new, empty folder for one run, named by the time and the scenario."""
    root = Path(root or results_root())
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or "what_if"
    return Path(tempfile.mkdtemp(prefix=f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-", dir=root))


def file_name(name: str) -> str:
    """A scenario file name for a scenario name."""
    return (re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "what_if") + ".toml"


def period(folder: Path) -> str:
    """What the counts and costs of a run cover: 'totals over the 2-year statistics window (730 days)'."""
    from sim.reports import metadata
    from sim.reports.text import period_words

    days = (metadata.read(Path(folder)) or {}).get("horizon_days")
    if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
        return period_words(float(days))
    return "totals over the statistics window"


def moved(folder: Path) -> list[str]:
    """What the compared scenario's shifts moved in the run, in words (from ``metadata.json``)."""
    from sim.reports import metadata

    meta = metadata.read(Path(folder)) or {}
    scenarios = meta.get("scenarios") or []
    return list(scenarios[-1].get("shifts", [])) if len(scenarios) > 1 else []
