"""A results folder of ``run``, ``compare`` or ``experiment`` read back as tables (:func:`read_results`), and its
HTML report written (:func:`report`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import ResultsError, one_line

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Results:
    """A results folder read back (:func:`read_results`): the tables of ``run``, ``compare`` or ``experiment``.

    Attributes
    ----------
    folder : pathlib.Path
        The folder.
    kind : str
        ``"run"``, ``"compare"`` or ``"experiment"``.
    kpis, timeseries : pandas.DataFrame
        ``kpis.csv`` and ``timeseries.csv``.
    events : pandas.DataFrame or None
        ``events.csv``, where written.
    comparison : pandas.DataFrame or None
        ``comparison.csv`` (compare).
    summary : pandas.DataFrame or None
        ``summary.csv`` (experiment): every scenario's means and changes with intervals.
    uncertainty : pandas.DataFrame or None
        ``uncertainty.csv`` (over posterior draws).
    yearly : pandas.DataFrame or None
        ``yearly.csv``: the KPIs year by year of the window (:mod:`sim.outcomes.yearly`).
    npv : pandas.DataFrame or None
        ``npv.csv`` (compare, experiment): changes in cost and days at home over time, discounted (docs/costs.md).
    metadata : dict or None
        ``metadata.json``: version, commit, seed, scenarios and their hashes, timing.
    """

    folder: Path
    kind: str
    kpis: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    uncertainty: pd.DataFrame | None = None
    metadata: dict[str, Any] | None = None
    yearly: pd.DataFrame | None = None
    npv: pd.DataFrame | None = None


def read_results(folder: str | os.PathLike[str]) -> Results:
    """Read a results folder back (``caresim run``, ``compare`` or ``experiment`` with ``--out``).

    Parameters
    ----------
    folder : str or path-like
        The folder.

    Returns
    -------
    Results
        Its tables as DataFrames, read as ``pandas.read_csv`` reads the files.

    Raises
    ------
    ResultsError
        No such folder, no ``kpis.csv`` and ``timeseries.csv`` in it, or a table that cannot be read.

    Examples
    --------
    >>> results = read_results("results/headline")
    >>> results.summary.query("cohort == 'all' and metric == 'bed_days'")
    """
    import json

    import pandas as pd

    path = Path(folder)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder")
    missing = [n for n in ("kpis.csv", "timeseries.csv") if not (path / n).is_file()]
    if missing:
        raise ResultsError(f"{path}: missing {', '.join(missing)} (not a results folder of run, compare or experiment)")

    def table(name: str) -> pd.DataFrame | None:
        if not (path / name).is_file():
            return None
        try:
            return pd.read_csv(path / name)
        except (OSError, ValueError, pd.errors.ParserError) as e:  # EmptyDataError and UnicodeDecodeError too
            raise ResultsError(f"{path}: {name} cannot be read: {one_line(e)}") from None

    meta = None
    if (path / "metadata.json").is_file():
        try:
            meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ResultsError(f"{path}: metadata.json cannot be read: {one_line(e)}") from None
    names = ("kpis", "timeseries", "events", "comparison", "summary", "uncertainty", "yearly", "npv")
    frames = {n: table(f"{n}.csv") for n in names}
    kind = "experiment" if frames["summary"] is not None else "compare" if frames["comparison"] is not None else "run"
    kpis, series = frames.pop("kpis"), frames.pop("timeseries")
    assert kpis is not None and series is not None  # checked above
    return Results(path, kind, kpis, series, **frames, metadata=meta if isinstance(meta, dict) else None)


def report(folder: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` for an experiment's or a comparison's results folder: ``caresim report``.

    One self-contained page: the charts embedded, the headline table of changes in words, the metadata and
    a STRESS-DES section.  ``run_experiment`` and ``compare`` with ``--out`` write it already; this remakes it.

    Parameters
    ----------
    folder : str or path-like
        The results folder (``caresim experiment``, or ``caresim compare --out``).

    Returns
    -------
    pathlib.Path
        The report written, ``<folder>/report.html``.

    Raises
    ------
    ResultsError
        No such folder, or one that cannot be reported on (a table missing, metadata that cannot be read).

    Examples
    --------
    >>> path = report("results/headline")
    >>> path.name
    'report.html'
    """
    from sim.reports.report import ReportError, build_report

    if not isinstance(folder, (str, os.PathLike)):
        raise ResultsError(f"{one_line(repr(folder))}: expected a results folder's path")
    if not Path(folder).is_dir():
        raise ResultsError(f"{os.fspath(folder)}: no such results folder")
    try:
        return build_report(Path(folder))
    except ReportError as e:
        raise ResultsError(one_line(e)) from None
