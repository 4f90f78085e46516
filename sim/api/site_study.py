"""Heterogeneous sites running an integration scenario, read as councils would (seed 003): :func:`sites`, run into
its results folder, with its result."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import Interrupted, RunError, SettingsError
from sim.api.folders import open_runner
from sim.api.progress import Notes, RunNotes
from sim.api.settings import file_path, job_keywords, optional
from sim.api.studies import command_line
from sim.calibration.sites import SitesError

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.sites import SitesStudy

KIND = "caresim sites"  # metadata.json's kind
SITES_FILES = ("sites.csv", "shares.csv", "thresholds.csv", "shares.png", "metadata.json")
"""The files :func:`sites` writes into its results folder."""


@dataclass(frozen=True)
class SitesResult:
    """Sites run before and after integration, and after no change (:func:`sites`), and the shares that improved.

    Attributes
    ----------
    study : SitesStudy
        The checked sites file, with every site drawn.
    folder : pathlib.Path
        The results folder, holding the files below, ``shares.png`` and ``metadata.json``.
    sites : pandas.DataFrame
        ``sites.csv``: one row a site: its size, baseline differences, factors, and each metric before and
        after, with its change and whether it improved by more than the minimal amount.
    shares : pandas.DataFrame
        ``shares.csv``: per metric and scenario (integration, no effect), the share of sites that improved with
        its 95% interval, beside seed 003's share.
    thresholds : pandas.DataFrame
        ``thresholds.csv``: the shares again with other minimal amounts.
    metadata : dict
        ``metadata.json``: the command, the file and its hash, the seed, the runs and where they were made.
    failed : dict of str to str
        The runs that failed (their sites are left out of the shares), by run key: the error.
    runs : int
        Runs in the study (three a site).
    runs_now : int
        Runs made by this call (the others were found in the store).
    executor : str
        Where the runs were made, in words.
    seconds : float
        Wall-clock time of the runs.
    written : tuple of str
        The files written into the folder.
    """

    study: SitesStudy
    folder: Path
    sites: pd.DataFrame
    shares: pd.DataFrame
    thresholds: pd.DataFrame
    metadata: dict[str, Any]
    failed: dict[str, str]
    runs: int
    runs_now: int
    executor: str
    seconds: float
    written: tuple[str, ...]


def sites(
    sites_file: str | os.PathLike[str],
    *,
    workers: int | None = None,
    dask: Any = None,
    sites: int | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Notes = True,
) -> SitesResult:
    """Run heterogeneous sites and count those that would report an improvement (seed 003): ``caresim sites``.

    Each site runs before and after integration, and after no change at all (the noise floor), with
    independent random numbers, as a council compares two periods.  Every run is committed to the folder's
    results store as it finishes, so ``resume=True`` continues.  Writes ``sites.csv``, ``shares.csv``,
    ``thresholds.csv``, ``shares.png`` and ``metadata.json``.

    Parameters
    ----------
    sites_file : str or path-like
        The sites file (``calibration/sites.toml``).
    workers, dask, resume, force
        As in :func:`run_experiment`.
    sites : int, optional
        Run the file's first N sites (2 or more; the same sites as in the full run).
    out : str or path-like, optional
        The results folder (default: ``fitted/<name>`` beside the file); never inside another results folder.
    progress : bool or callable, default True
        A progress bar over the runs, with each failed run a line on stderr; ``False`` for none, or a function
        given each failed run, in words.

    Returns
    -------
    SitesResult
        ``sites``, ``shares`` and ``thresholds`` as the files hold them, and the runs that failed.

    Raises
    ------
    SitesError
        The sites file cannot be used.
    SettingsError
        A count, the executor or the results folder cannot be used.
    RunError
        The results cannot be stored or written.
    Interrupted
        Interrupted; the finished runs are kept (``resume=True`` continues).

    Examples
    --------
    >>> result = sites("calibration/sites.toml", sites=10, workers=2)
    >>> result.shares[["metric", "scenario", "share", "ci_low", "ci_high", "seed_share"]]
    """
    from sim.calibration.sites import load_sites

    count = optional(sites, "--sites", 2)
    workers, out_dir = job_keywords(workers, out, progress)
    study = load_sites(file_path(sites_file, SitesError), sites=count)
    folder = out_dir or study.path.parent / "fitted" / study.name
    _not_inside_another(folder)
    executor, store = open_runner(folder, resume, force, workers, dask, ("sites study", study.name))
    from sim.calibration.sites_run import experiment, plan_sites
    from sim.experiments.batch import run_tasks
    from sim.provenance import file_sha256, git_commit

    try:
        if not (folder / "metadata.json").is_file():
            _write(folder / "metadata.json", json.dumps({"kind": KIND, "study": study.name}, indent=1) + "\n")
    except OSError as e:
        executor.close()
        store.close()
        raise SettingsError(f"--out: cannot write to '{folder}': {e.strerror or e}") from None
    commit = git_commit()
    tasks, roles = plan_sites(study)
    status = store.status()
    notes = RunNotes(
        progress,
        lambda task, error: f"site {task.variant.grid}, {task.variant.name}, replication {task.replication}: {error}",
    )
    notes.phase(None, len(tasks), sum(status.get(t.key) == "ok" for t in tasks), f"{len(study.sites)} sites")
    t0 = time.perf_counter()
    try:
        outcome = run_tasks(tasks, experiment(study, folder), store, executor, commit, notes)
    except (OSError, sqlite3.Error) as e:
        executor.close()
        store.close()
        raise RunError(f"{folder / 'results.sqlite'}: cannot store results: {e}") from None
    except KeyboardInterrupt:
        notes.close()
        stored = sum(1 for t in tasks if store.status().get(t.key) == "ok")
        executor.close()
        store.close()
        raise Interrupted(stored, folder / "results.sqlite") from None
    finally:
        notes.close()
    executor.close()
    seconds = time.perf_counter() - t0
    try:
        table, share, limits, written = _outputs(study, store, tasks, roles, folder)
    except OSError as e:
        raise RunError(f"--out: cannot write to '{folder}': {e.strerror or e}") from None
    finally:
        store.close()
    meta = {
        "kind": KIND,
        "study": study.name,
        "command": command_line("sites", sites_file, sites=count, out=out),
        "file": study.path.as_posix(),
        "file_sha256": file_sha256(study.path),
        "integration": study.integration.as_posix(),
        "reference": study.reference.as_posix() if study.reference else "baseline",
        "seed": study.seed,
        "sites": len(study.sites),
        "complete_sites": int(table["complete"].sum()),
        "population": list(study.population),
        "runs": len(tasks),
        "ran_now": outcome.ran,
        "reused": outcome.reused,
        "failed": len(outcome.failed),
        "seconds": round(seconds, 1),
        "where": executor.description,
        "git_commit": commit,
    }
    try:
        _write(folder / "metadata.json", json.dumps(meta, indent=1) + "\n")
    except OSError as e:
        raise RunError(f"--out: cannot write to '{folder}': {e.strerror or e}") from None
    return SitesResult(
        study,
        folder,
        table,
        share,
        limits,
        meta,
        dict(outcome.failed),
        len(tasks),
        outcome.ran,
        executor.description,
        seconds,
        (*written, "metadata.json"),
    )


def _not_inside_another(out: Path) -> None:
    """A sites folder never sits inside another results folder (its store would be read as part of that one)."""
    absolute = out.resolve()
    for parent in absolute.parents:
        if (parent / "results.sqlite").is_file():
            raise SettingsError(
                f"--out: '{out}' is inside another results folder ('{parent}'); choose a folder of its own"
            )


def _write(path: Path, text: str) -> None:
    """Replace a file whole, so a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _outputs(
    study: SitesStudy, store: Any, tasks: list[Any], roles: dict[str, tuple[int, str]], out: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """The site table, the shares and the thresholds, written with the chart; and the files' names."""
    import matplotlib.pyplot as plt

    from sim.calibration.sites_run import shares, shares_chart, site_table, thresholds

    table = site_table(study, store, tasks, roles)
    share = shares(study, table)
    limits = thresholds(study, table)
    _write(out / "sites.csv", table.to_csv(index=False))
    _write(out / "shares.csv", share.to_csv(index=False))
    _write(out / "thresholds.csv", limits.to_csv(index=False))
    fig = shares_chart(study, share)
    fig.savefig(out / "shares.png", dpi=130)
    plt.close(fig)
    return table, share, limits, ["sites.csv", "shares.csv", "thresholds.csv", "shares.png"]
