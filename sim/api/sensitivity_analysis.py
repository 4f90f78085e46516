"""The sensitivity of a calibration study's answers: Morris screening, then Sobol indices (:func:`sensitivity`),
run into its results folder, with its result."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import Interrupted, RunError, SettingsError
from sim.api.folders import open_runner
from sim.api.progress import Notes, RunNotes
from sim.api.settings import file_path
from sim.api.studies import command_line, study_keywords
from sim.calibration.study import StudyError

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.sensitivity_study import Analysis
    from sim.calibration.study import Study

SENSITIVITY_FILES = ("parameters.csv", "morris.csv", "sobol.csv", "prior_driven.csv", "sobol.png", "sensitivity.json")
"""The files :func:`sensitivity` writes into its results folder."""
EMULATED_FILES = (
    "sobol_emulated.csv",
    "emulator_check.csv",
    "prior_driven_emulated.csv",
    "sobol_emulated_by_points.csv",
    "sensitivity_emulated.json",
)
"""The files ``route="emulator"`` writes there instead (beside the direct route's, which it leaves alone)."""
ROUTES = ("direct", "emulator")


@dataclass(frozen=True)
class SensitivityResult:
    """A study's sensitivity analysis (:func:`sensitivity`): Morris screening and Sobol indices of its answers.

    Attributes
    ----------
    study : Study
        The study as the analysis ran it: its answers as targets, the analysis' parameters as priors.
    analysis : Analysis
        Everything found (the parameters, the answers, why each parameter was kept, the runs for Morris).
    folder : pathlib.Path
        The results folder, holding the files below, ``sobol.png`` and ``sensitivity.json``.
    fitted : pathlib.Path
        The study's fit folder, read for ``intervals.csv`` and ``screened.txt`` where they exist.
    parameters : pandas.DataFrame
        ``parameters.csv``: each parameter's range, where it came from, whether it is prior-driven (no target
        informs it), and whether and why it was kept.
    morris : pandas.DataFrame
        ``morris.csv``: Morris's elementary effects of each parameter on each answer.
    sobol : pandas.DataFrame
        ``sobol.csv``: first-order and total Sobol indices with 95% bootstrap intervals.
    prior_driven : pandas.DataFrame
        ``prior_driven.csv``: each answer's share of the total indices held by parameters no target informs,
        whether that makes it prior-driven (a share of at least 0.1), and its replication noise share.

    Every table names each answer in ``answer`` (``<scenario>:<metric>``; a contrast between two what-ifs,
    ``contrast:<name>:<metric>``) and in ``scenario`` and ``metric`` (``contrast:<name>`` as the scenario).
    failed : dict of str to str
        The runs that failed (their parameter sets have no answers), by run key: the error.
    runs_now : int
        Runs made by this call.
    seconds : float
        Wall-clock time.
    command : str
        The command that reproduces the numbers.
    route : str
        ``"direct"``, or ``"emulator"``: then ``analysis`` is an
        :class:`~sim.calibration.sensitivity_emulated.EmulatedAnalysis`, ``sobol`` is ``sobol_emulated.csv``
        (indices on Gaussian-process emulators, with intervals that carry the emulators' uncertainty and
        the sampling uncertainty, and each one's share), ``prior_driven`` is ``prior_driven_emulated.csv``,
        ``morris`` and ``parameters`` are empty, and ``check`` is ``emulator_check.csv``.
    check : pandas.DataFrame or None
        The emulator route's check against direct model runs: held-out parameter sets, emulated against
        simulated with 95% intervals, and each emulator's leave-one-out summary.
    """

    study: Study
    analysis: Analysis
    folder: Path
    fitted: Path
    parameters: pd.DataFrame
    morris: pd.DataFrame
    sobol: pd.DataFrame
    prior_driven: pd.DataFrame
    failed: dict[str, str]
    runs_now: int
    seconds: float
    command: str
    route: str = "direct"
    check: pd.DataFrame | None = None


def sensitivity(
    study: str | os.PathLike[str],
    *,
    workers: int | None = None,
    dask: Any = None,
    reps: int | None = None,
    population: int | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Notes = True,
    route: str = "direct",
) -> SensitivityResult:
    """Morris screening and Sobol indices of a calibration study's answers: ``caresim sensitivity``.

    The answers are the ``[sensitivity]`` table's metrics at the reference, their per cent changes in its
    what-if scenarios, and its contrasts (``[[sensitivity.contrast]]``: one what-if's change minus another's,
    in percentage points of the reference), each flagged prior-driven when the parameters no target informs
    hold at least 0.1 of its summed total indices; the parameters are the priors (narrowed to the fit's 90%
    posterior intervals where ``intervals.csv`` exists) and those no target informs.  Every run goes through
    the experiment runner into the folder's results store, so ``resume=True`` continues.  Writes
    ``parameters.csv``, ``morris.csv``, ``sobol.csv``, ``prior_driven.csv``, ``sobol.png`` and
    ``sensitivity.json``.

    Parameters
    ----------
    study : str or path-like
        The study file, with a ``[sensitivity]`` table (``calibration/pilots.toml``).
    workers, dask, resume, force
        As in :func:`run_experiment`.
    reps : int, optional
        Replications per parameter set, over the ``[sensitivity]`` table's (``emulator_replications`` for the
        emulator route, where the table gives it; ``replications`` otherwise).
    population : int, optional
        Registered people (1,000 or more), over the table's.
    out : str or path-like, optional
        The results folder (default: ``fitted/<study>/sensitivity`` beside the study file).
    progress : bool or callable, default True
        A progress bar for each phase (Morris, then Sobol), with each failed run a line on stderr; ``False``
        for none, or a function given each phase and each failed run, in words.
    route : {"direct", "emulator"}, default "direct"
        ``"emulator"``: no Morris screening and no Saltelli design in the model; every parameter is varied over
        a nested Sobol' design of ``[sensitivity] emulator_points`` sets (default ten per parameter) and 20
        held-out sets, one Gaussian-process emulator is fitted per answer, and the Sobol indices are computed
        on the emulators with intervals that carry their uncertainty (:mod:`sim.calibration.sobol_emulated`).
        Writes ``sobol_emulated.csv``, ``emulator_check.csv``, ``prior_driven_emulated.csv``,
        ``sobol_emulated_by_points.csv`` (each answer's widest intervals on the design's first half and on
        all of it, and the sets its widest would need to reach 0.1) and ``sensitivity_emulated.json`` into
        the same folder.

    Returns
    -------
    SensitivityResult
        ``parameters``, ``morris``, ``sobol`` and ``prior_driven`` as the files hold them, and the runs that
        failed.

    Raises
    ------
    StudyError
        The study file cannot be used, it has no ``[sensitivity]`` table, or its fit's ``intervals.csv`` cannot
        be read.
    SettingsError
        A count, the executor or the results folder cannot be used.
    RunError
        Screening kept nothing to vary, or the results cannot be written.
    Interrupted
        Interrupted; the finished runs are kept (``resume=True`` continues).

    Examples
    --------
    >>> found = sensitivity("calibration/pilots.toml", workers=2)
    >>> found.prior_driven.query("prior_driven")
    """
    from sim.calibration.calibrate import Evaluator
    from sim.calibration.sensitivity_study import NothingToVary, analyse, answer_study, parameters, read_screened
    from sim.calibration.study import load_study
    from sim.provenance import git_commit

    if route not in ROUTES:
        raise SettingsError(f"--route: expected one of {', '.join(ROUTES)}, got {route!r}")
    reps, population, workers, out_dir = study_keywords(reps, population, workers, out, progress)
    checked = load_study(file_path(study, StudyError), require_fit=False)  # a sensitivity-only study too
    if checked.sensitivity is None:
        raise StudyError(
            f"{checked.path.as_posix()}: no [sensitivity] table; add one (scenarios, metrics, samples, "
            "[[sensitivity.prior]]; see calibration/pilots.toml)"
        )
    fitted = checked.path.parent / "fitted" / checked.name
    folder = out_dir or fitted / "sensitivity"
    try:
        params = parameters(checked, fitted)
    except ValueError as e:
        raise StudyError(str(e)) from None
    route_reps = reps  # the emulator route's own replications, where the study gives them and no flag does
    if route == "emulator" and reps is None:
        route_reps = checked.sensitivity.emulator_replications
    runner_study, answers = answer_study(checked, params, population, route_reps)
    notes = RunNotes(progress, lambda task, error: f"{task.variant.name}, replication {task.replication}: {error}")
    executor, store = open_runner(folder, resume, force, workers, dask, ("sensitivity study", checked.name))
    evaluate = Evaluator(runner_study, store, executor, git_commit(), folder, notes)
    t0 = time.perf_counter()
    if route == "emulator":
        command = command_line("sensitivity", study, route="emulator", reps=reps, population=population, out=out)
        return _emulated(evaluate, params, answers, runner_study, folder, fitted, notes, executor, store, t0, command)
    with _closing(notes, executor, store, folder):
        try:
            found = analyse(evaluate, params, answers, read_screened(fitted), notes.phase)
        except NothingToVary as e:
            raise RunError(f"{checked.path.as_posix()}: {e}") from None
        failed = store.errors()
    seconds = time.perf_counter() - t0
    command = command_line("sensitivity", study, reps=reps, population=population, out=out)
    tables = _write(found, runner_study, folder, command, seconds, evaluate.runs)
    return SensitivityResult(runner_study, found, folder, fitted, *tables, failed, evaluate.runs, seconds, command)


@contextmanager
def _closing(notes, executor, store, folder: Path) -> Iterator[None]:
    """Everything the runner opened is closed on the way out; an interruption keeps the finished runs."""
    try:
        yield
    except KeyboardInterrupt:
        stored = sum(1 for s in store.status().values() if s == "ok")
        raise Interrupted(stored, folder / "results.sqlite") from None
    finally:
        notes.close()
        executor.close()
        store.close()


def _emulated(evaluate, params, answers, runner_study, folder, fitted, notes, executor, store, t0, command):
    """The emulator route of :func:`sensitivity`, from the opened runner on."""
    import pandas as pd

    from sim.calibration.sensitivity_emulated import analyse_emulated

    with _closing(notes, executor, store, folder):
        found = analyse_emulated(evaluate, params, answers, notes.phase, on_output=lambda: notes(None, None))
        failed = store.errors()
    seconds = time.perf_counter() - t0
    _write_emulated(found, runner_study, folder, command, seconds, evaluate.runs)
    empty = pd.DataFrame()
    return SensitivityResult(
        runner_study,
        found,
        folder,
        fitted,
        empty,
        empty,
        found.sobol,
        found.driven,
        failed,
        evaluate.runs,
        seconds,
        command,
        "emulator",
        found.check,
    )


def _provenance(runner_study: Study, command: str, seconds: float, runs: int) -> dict[str, object]:
    """What either route's ``sensitivity*.json`` says of the run: the study, the command, its time and size."""
    return {
        "study": runner_study.name,
        "command": command,
        "seconds": round(seconds, 1),
        "runs_made": runs,
        "population": runner_study.settings.population,
        "replications": runner_study.replications,
        "seed": runner_study.seed,
    }


def _write_emulated(found, runner_study: Study, out: Path, command: str, seconds: float, runs: int) -> None:
    """The emulator route's tables and metadata, written into ``out``."""
    from sim.calibration.sobol_emulated import CONDITIONING, REALISATIONS, RESAMPLES
    from sim.experiments.exports import write_table

    meta = {
        "route": "emulator",
        **_provenance(runner_study, command, seconds, runs),
        "design_points": found.points,
        "held_out_points": found.held_out,
        "base_sample": found.base_sample,
        "realisations": REALISATIONS,
        "bootstrap_resamples": RESAMPLES,
        "conditioning_points": CONDITIONING,
        "contrasts": [a.name for a in found.answers if a.plus and a.minus],
    }
    try:
        for name, frame in zip(EMULATED_FILES, (found.sobol, found.check, found.driven, found.by_points)):
            write_table(frame, out / name)
        (out / EMULATED_FILES[-1]).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    except OSError as e:
        raise RunError(f"--out: cannot write to '{out}': {e.strerror or e}") from None


def _write(
    found: Analysis, runner_study: Study, out: Path, command: str, seconds: float, runs: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The tables, the heat map and the metadata written into ``out``; the tables returned as written."""
    from sim.calibration.sensitivity_study import PRIOR_DRIVEN_SHARE, parameter_table
    from sim.experiments.exports import write_table
    from sim.reports.charts import plt
    from sim.reports.charts_sensitivity import indices_heatmap

    s = runner_study.sensitivity
    assert s is not None  # checked before the runs
    meta = {
        **_provenance(runner_study, command, seconds, runs),
        "samples": s.samples,
        "morris_trajectories": s.morris_trajectories,
        "prior_driven_threshold": PRIOR_DRIVEN_SHARE,
        "contrasts": [c.name for c in s.contrasts],
        "sweep_screening_used": found.swept is not None,
    }
    tables = (parameter_table(found.params, found.why), found.morris, found.sobol, found.driven)
    try:
        for name, frame in zip(SENSITIVITY_FILES, tables):
            write_table(frame, out / name)
        fig = indices_heatmap(
            found.sobol,
            {p.name for p in found.params if not p.informed},
            found.reference,
            f"prior-driven when they hold {PRIOR_DRIVEN_SHARE:.0%} of the total indices",
        )
        fig.savefig(out / "sobol.png", dpi=120)
        plt.close(fig)
        (out / "sensitivity.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    except OSError as e:
        raise RunError(f"--out: cannot write to '{out}': {e.strerror or e}") from None
    return tables
