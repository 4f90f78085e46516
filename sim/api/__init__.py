"""The Python API: what the ``caresim`` command does, from a script or a notebook, as pandas tables.

>>> from sim import compare
>>> result = compare(["baseline", "scenarios/rapid_response.toml"], population=20_000, reps=3)
>>> result.comparison.query("cohort == 'all' and metric == 'emergency_admissions'")

Every public name is listed in :data:`__all__` (and re-exported by ``sim``); the modules of this package are
its parts, each named after what it holds (below). The functions load and check scenarios
(:func:`load_scenario`, :func:`differences`), run replications (:func:`run`), compare scenarios
(:func:`compare`), run an experiment file on an executor (:func:`run_experiment`), read a results folder back
(:func:`read_results`) and write its report (:func:`report`), sweep, fit and check a calibration study and see
what its assumed standard errors do (:func:`sweep`, :func:`calibrate`, :func:`check_calibration`,
:func:`sd_sensitivity`), analyse its sensitivity (:func:`sensitivity`), run heterogeneous sites
(:func:`sites`), and set the baseline beside the published figures it was not fitted to (:func:`validation`).
Each returns DataFrames in the columns of the command line's files (``kpis.csv``, ``timeseries.csv``,
``comparison.csv``, ``summary.csv``, ...), held by a small frozen result object, and prints nothing but an
optional progress bar (``tqdm.auto``: a widget in Jupyter, text on stderr elsewhere; ``progress=False`` turns
it off).

The command line calls these functions, so both give the same numbers for the same seed: a command
only parses its flags, prints, and writes the files of ``run`` and ``compare``.  The jobs that keep
a results store (an experiment, a calibration's sweep, fit and check) write their folder here, as
the store is their result and what ``resume=True`` continues (``sensitivity`` and ``sites`` too).

Bad input raises one exception type per kind, and its message is the one line the command line
prints after ``caresim: error:``; a keyword's flag stands for it there (``--out`` for ``out=``,
``--resume`` for ``resume=True``).  Every bad input is a ``ValueError``: :class:`ScenarioError`
(a scenario file, overrides or names), :class:`ExperimentError` (an experiment file),
:class:`StudyError` (a calibration study or its fit), :class:`SitesError` (a sites file),
:class:`ValidationError` (a validation file), :class:`SettingsError` (a keyword's value,
an executor, a results folder to write) and :class:`ResultsError` (a results folder to read).  A
replication that raises is a :class:`ReplicationFailed`, results that cannot be stored or written a
:class:`RunError` (both ``RuntimeError``), and Ctrl-C during an experiment or a study an
:class:`Interrupted` that says how many runs were kept.

The modules:

- :mod:`sim.api.errors`: the exception types of the API's own;
- :mod:`sim.api.settings`: the checks of keywords (counts, run settings, files, folders, ``progress``);
- :mod:`sim.api.scenarios`: :func:`load_scenario` and :func:`differences`;
- :mod:`sim.api.progress`: the progress bars;
- :mod:`sim.api.runs`: :func:`run`, :func:`compare` and their results;
- :mod:`sim.api.results`: :func:`read_results` and its result, and :func:`report`;
- :mod:`sim.api.folders`: the checks of a results folder to write, ``force``, and the runner (executor and
  results store) that writes into it;
- :mod:`sim.api.experiments`: :func:`run_experiment` and its result;
- :mod:`sim.api.studies`: :func:`sweep`, :func:`calibrate`, :func:`check_calibration`, :func:`sd_sensitivity` and
  their results;
- :mod:`sim.api.sensitivity_analysis`: :func:`sensitivity` and its result;
- :mod:`sim.api.site_study`: :func:`sites` and its result;
- :mod:`sim.api.validation_figures`: :func:`validation`, its result and the page it makes.

Layers (``sim/layers.py``): this package is the layer ``sim.api``, above the page (``sim.app``) and
below the command line (``sim.cli``), because the command line calls it.  ``sim/__init__.py``, the
bottom layer, re-exports these names on first use through a module ``__getattr__`` that imports this
package then (``from sim import run``): the one import from a higher layer, declared with its reason
in ``tests/test_architecture.py``.  ``import sim`` alone stays as light as the version it holds;
the experiment runner, calibration and the charts are imported only when a function needs them.
"""

from __future__ import annotations

from sim.api.errors import Interrupted, ResultsError, RunError, SettingsError
from sim.api.experiments import ExperimentResult, run_experiment
from sim.api.results import Results, read_results, report
from sim.api.runs import ComparisonResult, RunResult, compare, run
from sim.api.scenarios import differences, load_scenario
from sim.api.sensitivity_analysis import SensitivityResult, sensitivity
from sim.api.site_study import SitesResult, sites
from sim.api.studies import (
    CalibrationResult,
    CheckResult,
    SdSensitivityResult,
    SweepResult,
    calibrate,
    check_calibration,
    sd_sensitivity,
    sweep,
)
from sim.api.validation_figures import ValidationResult, validation
from sim.calibration.sites import SitesError
from sim.calibration.study import StudyError
from sim.calibration.validation import ValidationError
from sim.experiments.experiment import ExperimentError
from sim.replication.runner import ReplicationFailed
from sim.scenarios.scenario import Scenario, ScenarioError

__all__ = [
    "load_scenario",
    "differences",
    "run",
    "compare",
    "run_experiment",
    "read_results",
    "report",
    "sweep",
    "calibrate",
    "check_calibration",
    "sd_sensitivity",
    "sensitivity",
    "sites",
    "validation",
    "Scenario",
    "RunResult",
    "ComparisonResult",
    "ExperimentResult",
    "Results",
    "SweepResult",
    "CalibrationResult",
    "CheckResult",
    "SdSensitivityResult",
    "SensitivityResult",
    "SitesResult",
    "ValidationResult",
    "ScenarioError",
    "ExperimentError",
    "StudyError",
    "SitesError",
    "ValidationError",
    "SettingsError",
    "ResultsError",
    "ReplicationFailed",
    "RunError",
    "Interrupted",
]
