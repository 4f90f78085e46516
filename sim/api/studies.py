"""Calibration studies: a sweep with Morris screening (:func:`sweep`), a fit by ABC-SMC (:func:`calibrate`) and
the check of a committed fit (:func:`check_calibration`), each run into its results folder, with their results."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.api.errors import Interrupted, RunError
from sim.api.folders import open_runner
from sim.api.progress import Notes, StudyNotes
from sim.api.settings import file_path, job_keywords, optional
from sim.calibration.study import HistoryMatchingSettings, StudyError
from sim.parameters.filecheck import MAX_POPULATION, MAX_REPLICATIONS
from sim.parameters.params import Params

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.study import Study

_FIT_CHECK_REPLICATIONS = 5  # the check's replications when none are given


def command_line(command: str, file: Any, **flags: Any) -> str:
    """The command that reproduces a study's numbers: ``caresim <command> <file>`` and the flags given (not None).

    Where the runs are made does not change the numbers, so ``--workers`` and ``--dask`` are never part of it.
    """
    words = ["caresim", command, str(file)]
    for flag, value in flags.items():
        if value is not None:
            words += [f"--{flag}", str(value)]
    return " ".join(shlex.quote(w) for w in words)


@contextmanager
def _study_runner(
    study: Study, out: Path, resume: bool, force: bool, workers: int | None, dask: Any, job: str, progress: Notes
) -> Iterator[Any]:
    """An evaluator of the study's parameter sets (its runs in ``out``'s store) and the news of its runs.

    Everything opened is closed on the way out; a budget exceeded is a :class:`RunError`.
    """
    from sim.calibration.calibrate import BudgetExceeded, Evaluator
    from sim.provenance import git_commit

    notes = StudyNotes(progress)
    try:
        executor, store = open_runner(out, resume, force, workers, dask, (job, study.name))
    except BaseException:
        notes.close()
        raise
    evaluate = Evaluator(study, store, executor, git_commit(), out, notes.run)
    try:
        yield evaluate, notes
    except BudgetExceeded as e:
        raise RunError(f"{study.path.as_posix()}: {e}") from None
    except KeyboardInterrupt:
        stored = sum(1 for s in store.status().values() if s == "ok")
        raise Interrupted(stored, out / "results.sqlite") from None
    finally:
        notes.close()
        executor.close()
        store.close()


def _study(study: Any, population: int | None, reps: int | None, out: Path | None) -> tuple[Study, Path]:
    """The checked study file and its results folder (default: ``fitted/<study>`` beside the file)."""
    from sim.calibration.study import load_study

    checked = load_study(file_path(study, StudyError), population=population, reps=reps)
    return checked, out or checked.path.parent / "fitted" / checked.name


def study_keywords(
    reps: Any, population: Any, workers: Any, out: Any, progress: Any
) -> tuple[int | None, int | None, int | None, Path | None]:
    """The keywords of a study's job: ``reps``, ``population`` (1,000 or more), ``workers`` and ``out`` checked."""
    reps = optional(reps, "--reps", 1, MAX_REPLICATIONS)
    population = optional(population, "--population", 1000, MAX_POPULATION)
    return (reps, population, *job_keywords(workers, out, progress))


@dataclass(frozen=True)
class SweepResult:
    """A space-filling sweep of a study and its Morris screening (:func:`sweep`).

    Attributes
    ----------
    study : Study
        The checked study.
    folder : pathlib.Path
        Its results folder.
    design : pandas.DataFrame
        ``sweep.csv``: each parameter set, its simulated targets with their standard errors, and its distance.
    morris : pandas.DataFrame
        ``morris.csv``: Morris's elementary effects of each parameter on each target, with ``fitted`` false for a
        check (a target with ``fit = false``, left out of the screening).
    screened : list of str
        The parameters screening against the fitted targets keeps (``screened.txt``).
    runs_now : int
        Runs made by this call.
    seconds : float
        Wall-clock time.
    """

    study: Study
    folder: Path
    design: pd.DataFrame
    morris: pd.DataFrame
    screened: list[str]
    runs_now: int
    seconds: float


def sweep(
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
) -> SweepResult:
    """Sweep a calibration study's priors (a Latin hypercube) and screen them (Morris): ``caresim sweep``.

    Parameters
    ----------
    study : str or path-like
        The study file (``calibration/<study>.toml``).
    workers, dask, resume, force
        As in :func:`run_experiment`.
    reps : int, optional
        Replications per parameter set, over the file's.
    population : int, optional
        Registered people (1,000 or more), over the file's.
    out : str or path-like, optional
        The results folder (default: ``fitted/<study>`` beside the study file).
    progress : bool or callable, default True
        A progress bar over the runs; ``False`` for none, or a function given each run that fails, in words.

    Returns
    -------
    SweepResult
        ``design`` (``sweep.csv``), ``morris`` (``morris.csv``) and the parameters kept.

    Raises
    ------
    StudyError
        The study file cannot be used.
    SettingsError
        A count, the executor or the results folder cannot be used.
    RunError
        The study's budget of runs would be exceeded.
    Interrupted
        Interrupted; the finished runs are kept.

    Examples
    --------
    >>> result = sweep("calibration/pilots.toml", workers=2)
    >>> result.screened
    """
    from sim.calibration.calibrate import evaluations, latin_hypercube
    from sim.calibration.sensitivity import morris, screen

    reps, population, workers, out_dir = study_keywords(reps, population, workers, out, progress)
    checked, folder = _study(study, population, reps, out_dir)
    t0 = time.perf_counter()
    with _study_runner(checked, folder, resume, force, workers, dask, "calibration study", progress) as (evaluate, _):
        evaluate(latin_hypercube(checked))
        design = evaluations(evaluate)
        indices = morris(
            lambda X: evaluate(X)[0],
            list(checked.names),
            checked.low,
            checked.high,
            [t.name for t in checked.targets],
            trajectories=checked.morris_trajectories,
            seed=checked.seed,
        )
    indices["fitted"] = indices["output"].map({t.name: t.fit for t in checked.targets}).astype(bool)
    kept = screen(indices[indices["fitted"]])  # the checks' effects are reported, not screened on
    design.to_csv(folder / "sweep.csv", index=False)
    indices.to_csv(folder / "morris.csv", index=False)
    (folder / "screened.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return SweepResult(checked, folder, design, indices, kept, evaluate.runs, time.perf_counter() - t0)


@dataclass(frozen=True)
class CalibrationResult:
    """A calibration study fitted by ABC-SMC, with a point estimate (:func:`calibrate`).

    Attributes
    ----------
    study : Study
        The checked study.
    folder : pathlib.Path
        Its results folder, holding the files below, ``fitted.json`` and ``report.html``.
    posterior : pandas.DataFrame
        ``posterior.csv``: the final particles, one column a parameter, with their ``weight``.
    intervals : pandas.DataFrame
        ``intervals.csv``: each parameter's posterior mean and 90% interval, and its shrinkage against the
        prior (indexed by ``parameter``).
    generations : pandas.DataFrame
        ``generations.csv``: each generation's tolerance, proposals and acceptances.
    evaluations : pandas.DataFrame
        ``evaluations.csv``: every parameter set run, its simulated targets and distance.
    fitted : dict of str to float
        The point estimate, by parameter.
    targets : pandas.DataFrame
        Each target at the point estimate: ``name, observed, sd, simulated, se, source, fitted`` (``fitted`` false:
        a check, measured and reported but left out of the fit).
    distance : float
        The point estimate's distance to the fitted targets.
    runs_now : int
        Runs made by this call.
    simulations : int
        Parameter sets the fit simulated.
    seconds : float
        Wall-clock time.
    command : str
        The command that reproduces the numbers.
    report : pathlib.Path
        The fit's report.
    route : str
        ``"abc"`` or ``"emulator"`` (history matching first; ``simulations`` then counts the parameter sets
        run in the model, the waves and the final check).
    waves : pandas.DataFrame or None
        The emulator route's ``waves.csv``.
    """

    study: Study
    folder: Path
    posterior: pd.DataFrame
    intervals: pd.DataFrame
    generations: pd.DataFrame
    evaluations: pd.DataFrame
    fitted: dict[str, float]
    targets: pd.DataFrame
    distance: float
    runs_now: int
    simulations: int
    seconds: float
    command: str
    report: Path
    route: str = "abc"
    waves: pd.DataFrame | None = None  # the emulator route's ``waves.csv``


def calibrate(
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
    route: str = "abc",
) -> CalibrationResult:
    """Fit a calibration study by ABC-SMC, with a point estimate and a fit report: ``caresim calibrate``.

    Writes ``posterior.csv``, ``intervals.csv``, ``generations.csv``, ``evaluations.csv``, ``fitted.json``
    and ``report.html`` (with its charts) into the results folder.  With ``route="emulator"`` the model's
    runs go to waves of history matching first (:mod:`sim.calibration.history_matching`): ABC-SMC then runs
    on the emulators, and the point estimate and a posterior sample are checked in the model; it also writes
    ``waves.csv``, ``non_implausible.csv`` and ``posterior_check.csv``.

    Parameters
    ----------
    study, workers, dask, reps, population, out, resume, force
        As in :func:`sweep`.
    progress : bool or callable, default True
        A progress bar over the runs; ``False`` for none, or a function given each finished generation and
        each run that fails, in words.
    route : {"abc", "emulator"}, default "abc"
        ABC-SMC in the model, or history matching with emulators first (``[history_matching]`` in the study).

    Returns
    -------
    CalibrationResult
        The posterior sample, its intervals, the generations, every evaluation and the point estimate.

    Raises
    ------
    StudyError
        The study file cannot be used.
    SettingsError
        A count, the executor or the results folder cannot be used.
    RunError
        The study's budget of runs would be exceeded.
    Interrupted
        Interrupted; the finished runs are kept (``resume=True`` continues).

    Examples
    --------
    >>> fit = calibrate("calibration/pilots.toml", workers=2)
    >>> fit.intervals
    """
    import json

    import numpy as np
    import pandas as pd

    from sim.api.errors import SettingsError
    from sim.calibration.calibrate import abc_fit, evaluations, fit_distance, point_estimate
    from sim.calibration.design import point_id
    from sim.calibration.fit_report import write_report
    from sim.calibration.history_matching import NothingPlausible, fit_study, non_implausible

    if route not in ("abc", "emulator"):
        raise SettingsError(f"--route: must be 'abc' or 'emulator', got {route!r}")
    reps, population, workers, out_dir = study_keywords(reps, population, workers, out, progress)
    checked, folder = _study(study, population, reps, out_dir)
    emulated = None
    t0 = time.perf_counter()
    with _study_runner(checked, folder, resume, force, workers, dask, "calibration study", progress) as (
        evaluate,
        notes,
    ):
        if route == "emulator":
            try:
                emulated = fit_study(evaluate, checked, notes.note)
            except NothingPlausible as e:
                raise RunError(f"{checked.path.as_posix()}: {e}") from None
            posterior, fitted, fun = emulated.posterior, emulated.point, None
        else:
            posterior = abc_fit(evaluate, checked, notes.generation)
            best = point_estimate(evaluate, posterior.interval(0.9).loc[list(checked.names), "mean"].to_numpy())
            fitted, fun = np.clip(best.x, checked.low, checked.high), float(best.fun)
        sample = posterior.sample()
        intervals = posterior.interval(0.9)
        means, point_ses = evaluate(fitted[None, :])
        table = evaluations(evaluate)
        ses = table.set_index("point").loc[int(point_id(fitted))]
    seconds = time.perf_counter() - t0
    sample.to_csv(folder / "posterior.csv", index=False)
    intervals.to_csv(folder / "intervals.csv")
    generations = pd.DataFrame(
        [
            {
                "generation": i,
                "tolerance": g.tolerance,
                "proposed": g.proposed,
                "accepted": g.accepted,
                "acceptance_rate": g.accepted / g.proposed if g.proposed else float("nan"),
                "shift": moved,
            }
            for i, (g, moved) in enumerate(zip(posterior.generations, posterior.shifts(), strict=True))
        ]
    )
    generations.to_csv(folder / "generations.csv", index=False)
    table.to_csv(folder / "evaluations.csv", index=False)
    command = command_line(
        "calibrate", study, reps=reps, population=population, out=out, route=None if route == "abc" else route
    )
    waves = None
    if emulated is not None:
        waves = emulated.match.table()
        waves["target"] = np.flatnonzero(checked.fitted)[waves["target"]]  # the study's numbering, checks included
        waves.insert(2, "target_name", [checked.targets[j].name for j in waves["target"]])
        waves.to_csv(folder / "waves.csv", index=False)
        non_implausible(emulated.match).to_csv(folder / "non_implausible.csv", index=False)
        emulated.check.to_csv(folder / "posterior_check.csv", index=False)
    result = {
        "study": checked.name,
        "command": command,
        "route": route,
        "seconds": round(seconds, 1),
        "runs": evaluate.runs,
        "simulations": posterior.simulations if emulated is None else emulated.match.simulations,
        "fitted": dict(zip(checked.names, map(float, fitted))),
        "distance": fun if fun is not None else float(fit_distance(means, point_ses, checked)[0]),
        "pooled_se": dict(zip((t.name for t in checked.targets), map(float, evaluate.pooled_se()))),
        "targets": [
            {
                "name": t.name,
                "observed": t.value,
                "sd": t.sd,
                "simulated": float(m),
                "se": float(ses[t.name + "_se"]),
                "source": t.source,
                "fitted": t.fit,
            }
            for t, m in zip(checked.targets, means[0])
        ],
    }
    if emulated is None:
        result["target_noise"] = checked.abc_target_noise
    else:
        match, check = emulated.match, emulated.check
        settings = checked.history_matching or HistoryMatchingSettings()
        result["history_matching"] = {
            "waves": len(match.waves),
            "stopped": match.stop,
            "non_implausible_fraction": match.waves[-1].fraction,
            "emulator_generations": len(posterior.generations),
            "emulator_abc_stopped": posterior.stopped,
            "checked_draws": int(len(check) - 1),
            "draws_non_implausible": int(check["non_implausible"].iloc[1:].sum()),
            "point_estimate": str(check.loc[check["chosen"], "set"].iloc[0]),
            "cutoff": match.cutoff,
            "rank": match.rank,
            "folds": settings.folds,
            "distance": settings.distance,
            "target_noise": settings.target_noise,
        }
    (folder / "fitted.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    report = write_report(folder, checked, posterior, result)
    return CalibrationResult(
        checked,
        folder,
        sample,
        intervals,
        generations,
        table,
        result["fitted"],
        pd.DataFrame(result["targets"], columns=["name", "observed", "sd", "simulated", "se", "source", "fitted"]),
        result["distance"],
        evaluate.runs,
        result["simulations"],
        seconds,
        command,
        report,
        route,
        waves,
    )


@dataclass(frozen=True)
class CheckResult:
    """The check of a committed fit (:func:`check_calibration`): the fitted defaults against the targets.

    Attributes
    ----------
    study : Study
        The study as the check ran it (the default population, a fresh seed).
    folder : pathlib.Path
        The check's results folder (``<fit folder>/check``).
    table : pandas.DataFrame
        ``check.csv``: each target observed and simulated, the combined standard error, ``z``,
        ``within_2se`` and ``fitted`` (false: a check, measured but not fitted).
    report : pathlib.Path or None
        The fit's report the check was added to, where there is one.
    runs_now : int
        Runs made by this call.
    seconds : float
        Wall-clock time.
    command : str
        The command that reproduces the numbers.
    """

    study: Study
    folder: Path
    table: pd.DataFrame
    report: Path | None
    runs_now: int
    seconds: float
    command: str

    @property
    def held(self) -> int:
        """How many fitted targets the defaults reproduce within two standard errors (checks not counted)."""
        return int((self.table["within_2se"] & self.table["fitted"]).sum())

    @property
    def checks_held(self) -> int:
        """How many checks (targets not fitted) the defaults reproduce within two standard errors."""
        return int((self.table["within_2se"] & ~self.table["fitted"]).sum())


def check_calibration(
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
) -> CheckResult:
    """Check a committed fit: ``caresim calibrate FILE --check``.

    The package defaults must be the fitted values (``fitted.json``), and a fresh run with them (another
    seed, the default population) must reproduce each target within two standard errors.  Writes
    ``check.csv`` into ``<fit folder>/check`` and adds the check to the fit's report.

    Parameters
    ----------
    study : str or path-like
        The study file.
    workers, dask, resume, force
        As in :func:`run_experiment`; ``resume`` and ``force`` apply to the check's folder.
    reps : int, optional
        Replications (default 5).
    population : int, optional
        Registered people (default: the package's, 250,000).
    out : str or path-like, optional
        The fit's folder (default: ``fitted/<study>`` beside the study file).
    progress : bool or callable, default True
        A progress bar over the runs; ``False`` for none, or a function given each run that fails, in words.

    Returns
    -------
    CheckResult
        ``table`` (``check.csv``) and how many fitted targets and checks held.

    Raises
    ------
    StudyError
        The study cannot be used, it has no fit, or the package defaults are not its fitted values.
    SettingsError
        A count, the executor or the results folder cannot be used.
    Interrupted
        Interrupted; the finished runs are kept.

    Examples
    --------
    >>> check = check_calibration("calibration/pilots.toml", population=50_000, reps=3)
    >>> check.table[["target", "observed", "simulated", "z", "within_2se"]]
    """
    from sim.calibration.fit_check import (
        FitCheckError,
        add_to_report,
        check_html,
        check_study,
        check_table,
        defaults,
        defaults_match,
        read_fitted,
    )

    reps, given_population, workers, out_dir = study_keywords(reps, population, workers, out, progress)
    population = given_population or Params().place.registered_population
    checked, fitted_dir = _study(study, population, None, out_dir)
    try:
        wrong = defaults_match(checked, read_fitted(fitted_dir))
    except FitCheckError as e:
        raise StudyError(str(e)) from None
    if wrong:
        raise StudyError(
            f"{checked.path.as_posix()}: the package defaults are not the fitted values "
            f"({'; '.join(wrong)}); write {(fitted_dir / 'fitted.json').as_posix()} into sim/parameters/params.py"
        )
    checked = check_study(checked, population, reps or _FIT_CHECK_REPLICATIONS)
    folder = fitted_dir / "check"
    if folder.is_dir() and [f.name for f in folder.iterdir()] == ["check.csv"]:
        (folder / "check.csv").unlink()  # a committed check without its runs (a fresh clone): made anew
    t0 = time.perf_counter()
    with _study_runner(checked, folder, resume, force, workers, dask, "fit check", progress) as (evaluate, _):
        means, ses = evaluate(defaults(checked.names)[None, :])
    seconds = time.perf_counter() - t0
    table = check_table(checked, means[0], ses[0])
    table.to_csv(folder / "check.csv", index=False)
    command = command_line("calibrate", study, reps=reps, population=given_population, out=out) + " --check"
    report = fitted_dir / "report.html" if (fitted_dir / "report.html").is_file() else None
    if report is not None:
        add_to_report(report, check_html(table, command, population, checked.replications, checked.seed))
    return CheckResult(checked, folder, table, report, evaluate.runs, seconds, command)


@dataclass(frozen=True)
class SdSensitivityResult:
    """The emulator-route fit redone with other standard errors on its assumed targets (:func:`sd_sensitivity`).

    Attributes
    ----------
    study : Study
        The checked study.
    folder : pathlib.Path
        The fit's folder, where ``sd_sensitivity.csv`` and ``sd_sensitivity_targets.csv`` are written (and a
        section added to its ``report.html``).
    parameters : pandas.DataFrame
        ``sd_sensitivity.csv``: per factor on the assumed sds (1 is the fit itself) and parameter, the posterior's
        mean and 90% interval, the point estimate chosen among the sets checked in the model, the share of the prior
        box not ruled out, the mean's shift against the fit's in prior widths, the interval's width against the
        fit's, and ``sd_sensitive``.
    targets : pandas.DataFrame
        ``sd_sensitivity_targets.csv``: per factor and fitted target, the sd used and, where the fit was checked
        (``check/check.csv``), the check's z with that sd.
    sensitive : tuple of str
        The parameters whose posterior mean moves by more than a tenth of the prior's width, or whose point
        estimate changes, at some factor.
    seconds : float
        Wall-clock time.
    command : str
        The command that reproduces the numbers.
    """

    study: Study
    folder: Path
    parameters: pd.DataFrame
    targets: pd.DataFrame
    sensitive: tuple[str, ...]
    seconds: float
    command: str


def sd_sensitivity(
    study: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    scales: tuple[float, ...] | None = None,
) -> SdSensitivityResult:
    """How the emulator-route fit would change with other sds on the targets whose sd is assumed:
    ``caresim calibrate FILE --sd-sensitivity``.

    Each assumed sd is multiplied by each factor (default a half and twice) and the history matching, the
    ABC-SMC on the emulators, the choice of the point estimate and the check's z are redone on the runs the
    fit already made; no model run (:mod:`sim.calibration.sd_sensitivity`).

    Parameters
    ----------
    study : str or path-like
        The study file.
    out : str or path-like, optional
        The fit's folder (default: ``fitted/<study>`` beside the study file).
    scales : tuple of float, optional
        The factors on the assumed sds (default ``(0.5, 2.0)``); the fit's own (1) is always added.

    Returns
    -------
    SdSensitivityResult

    Raises
    ------
    StudyError
        The study cannot be used, no fitted target's sd is assumed, the folder holds no emulator-route fit, or a
        factor is not a positive number.

    Examples
    --------
    >>> result = sd_sensitivity("calibration/pilots.toml")
    >>> result.parameters.query("scale == 2")[["parameter", "mean", "lower", "upper", "sd_sensitive"]]
    """
    from sim.calibration import sd_sensitivity as sds

    out_dir = None if out is None else Path(out)
    checked, folder = _study(study, None, None, out_dir)
    t0 = time.perf_counter()
    try:
        result = sds.sd_sensitivity(checked, folder, sds.SCALES if scales is None else tuple(scales))
    except sds.SdSensitivityError as e:
        raise StudyError(str(e)) from None
    sds.write(result, folder)
    command = command_line("calibrate", study, out=out) + " --sd-sensitivity"
    if scales is not None:
        command += " --sd-scales " + ",".join(f"{s:g}" for s in scales)
    if (folder / "report.html").is_file():
        from sim.calibration.fit_check import add_to_report

        add_to_report(folder / "report.html", sds.report_html(result, command), heading="<h2>Standard errors assumed")
    return SdSensitivityResult(
        checked, folder, result.parameters, result.targets, result.sensitive, time.perf_counter() - t0, command
    )
