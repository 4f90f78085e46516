"""An experiment file run on an executor into its results folder (:func:`run_experiment`), and its result."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import Interrupted, RunError, SettingsError
from sim.api.folders import open_runner
from sim.api.progress import ExperimentBar
from sim.api.results import Results, read_results
from sim.api.settings import file_path, job_keywords, optional
from sim.experiments.experiment import ExperimentError
from sim.parameters.filecheck import MAX_POPULATION, MAX_REPLICATIONS

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.experiment import Experiment


@dataclass(frozen=True)
class ExperimentResult:
    """An experiment run (:func:`run_experiment`): its results folder read back, and what ran.

    Attributes
    ----------
    experiment : Experiment
        The checked experiment file (its scenarios, grid, reference, seed, ``out``).
    results : Results
        The results folder: ``kpis``, ``timeseries`` and ``summary`` (also as attributes here).
    failed : pandas.DataFrame
        The runs that failed: ``scenario, grid, draw, replication, error`` (empty when none did).
    runs : int
        Runs in the experiment (scenario variants x replications).
    runs_now : int
        Runs made by this call (the others were found in the store).
    replications : int
        Replications of each variant (more than asked where a precision target added some).
    assessment : pandas.DataFrame or None
        ``replications.csv``: whether each precision target was reached.
    executor : str
        Where the runs were made, in words.
    seconds : float
        Wall-clock time of the runs.
    written : tuple of pathlib.Path
        The files written into the folder.
    ledger : pandas.DataFrame or None
        ``ledger.csv``: who pays and who saves, by organisation in each cost view, from the summary's cohort ``all``
        (``scenario, [grid,] organisation, view, reference_mean, scenario_mean, diff_mean, diff_ci_low,
        diff_ci_high``; docs/costs.md); None when no scenario was compared or the organisations' costs were not
        among the metrics.
    """

    experiment: Experiment
    results: Results
    failed: pd.DataFrame
    runs: int
    runs_now: int
    replications: int
    assessment: pd.DataFrame | None
    executor: str
    seconds: float
    written: tuple[Path, ...]
    ledger: pd.DataFrame | None = None

    @property
    def folder(self) -> Path:
        """The results folder."""
        return self.results.folder

    @property
    def kpis(self) -> pd.DataFrame:
        """``kpis.csv``: ``scenario, grid, replication, cohort, metric, value`` (and ``draw``)."""
        return self.results.kpis

    @property
    def timeseries(self) -> pd.DataFrame:
        """``timeseries.csv``: ``scenario, grid, replication, day, series, value`` (and ``draw``)."""
        return self.results.timeseries

    @property
    def summary(self) -> pd.DataFrame | None:
        """``summary.csv``: means, changes against the reference and their intervals, with ``unstable``."""
        return self.results.summary


def run_experiment(
    experiment: str | os.PathLike[str],
    *,
    workers: int | None = None,
    dask: Any = None,
    reps: int | None = None,
    population: int | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
) -> ExperimentResult:
    """Run an experiment file (scenarios x grid x replications) and write its results folder: ``caresim experiment``.

    Every finished run is committed to the folder's results store at once, so an interrupted experiment
    continues with ``resume=True``; the numbers do not depend on where the runs are made.

    Parameters
    ----------
    experiment : str or path-like
        The experiment file (see ``experiments/``).
    workers : int, optional
        Worker processes: 1 runs serially in this process; default, a process pool of one a core.
    dask : str or dask.distributed.Client, optional
        Run on a Dask cluster: a scheduler's address, ``"local"`` to start one here, or a connected client.
    reps, population : int, optional
        Replications and registered people, over the file's.
    out : str or path-like, optional
        The results folder, over the file's ``out``.
    resume : bool, default False
        Continue this experiment's folder, making only the runs it lacks.
    force : bool, default False
        Replace the results in the folder (caresim's files in it are removed first).
    progress : bool, default True
        A progress bar over the runs.

    Returns
    -------
    ExperimentResult
        ``summary``, ``kpis`` and ``timeseries`` as the folder holds them, the failed runs, and what ran where.

    Raises
    ------
    ExperimentError
        The experiment file, or a scenario in it, cannot be used.
    SettingsError
        A count, the executor or the results folder cannot be used.
    RunError
        The results cannot be stored or written.
    Interrupted
        Interrupted; the finished runs are kept.

    Examples
    --------
    >>> result = run_experiment("experiments/headline.toml", workers=2, reps=3, out="results/headline3")
    >>> result.summary.query("cohort == 'all' and metric == 'emergency_admissions'")
    """
    reps = optional(reps, "--reps", 1, MAX_REPLICATIONS)
    population = optional(population, "--population", 1, MAX_POPULATION)
    workers, out_dir = job_keywords(workers, out, progress)
    if not isinstance(progress, bool):
        raise SettingsError(f"progress: expected True or False, got {progress!r}")
    from sim.experiments.experiment import load_experiment

    exp = load_experiment(file_path(experiment, ExperimentError), reps=reps, population=population, out=out_dir)
    executor, store = open_runner(exp.out, resume, force, workers, dask, ("experiment", exp.name))
    from sim.experiments.batch import run_experiment as run_all
    from sim.experiments.outputs import write_all
    from sim.provenance import git_commit

    commit = git_commit()
    bar = ExperimentBar(bool(progress))
    t0 = time.perf_counter()
    try:
        status = store.status()
        outcome = run_all(
            exp,
            store,
            executor,
            commit,
            progress=bar.step,
            on_plan=lambda tasks, n: bar.plan(tasks, n, sum(status.get(t.key) == "ok" for t in tasks)),
        )
    except (OSError, sqlite3.Error) as e:
        executor.close()
        store.close()
        raise RunError(f"{exp.out / 'results.sqlite'}: cannot store results: {e}") from None
    except KeyboardInterrupt:
        bar.close()
        stored = sum(1 for s in store.status().values() if s == "ok")
        executor.close()
        store.close()
        raise Interrupted(stored, exp.out / "results.sqlite") from None
    finally:
        bar.close()
    executor.close()
    seconds = time.perf_counter() - t0
    try:
        written = write_all(exp, store, outcome, commit, seconds, executor.description)
    except OSError as e:
        raise RunError(f"--out: cannot write to '{exp.out}': {e.strerror or e}") from None
    finally:
        store.close()
    import pandas as pd

    by_key = {t.key: t for t in outcome.tasks}
    failed = pd.DataFrame(
        [
            {
                "scenario": t.variant.name,
                "grid": t.variant.grid,
                "draw": None if t.variant.draw is None else t.variant.draw.index,
                "replication": t.replication,
                "error": error,
            }
            for t, error in ((by_key[k], e) for k, e in outcome.failed.items())
        ],
        columns=["scenario", "grid", "draw", "replication", "error"],
    )
    return ExperimentResult(
        exp,
        read_results(exp.out),
        failed,
        len(outcome.tasks),
        outcome.ran,
        outcome.replications,
        outcome.assessment,
        executor.description,
        seconds,
        tuple(written),
        pd.read_csv(exp.out / "ledger.csv") if (exp.out / "ledger.csv").is_file() else None,
    )
