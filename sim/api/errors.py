"""The API's own exception types, and a message on one line.

The API's other errors come from the layers below and are re-exported by :mod:`sim.api`:
:class:`~sim.scenarios.scenario.ScenarioError`, :class:`~sim.experiments.experiment.ExperimentError`,
:class:`~sim.calibration.study.StudyError` and :class:`~sim.replication.runner.ReplicationFailed`.
"""

from __future__ import annotations

from pathlib import Path


class SettingsError(ValueError):
    """A keyword's value that cannot be used: a count, a run setting, an executor, a results folder to write.

    The message is ``<flag>: <what>`` on one line, as the command line prints it.
    """


class ResultsError(ValueError):
    """A folder that is not a results folder, or one of its tables that cannot be read.

    The message is ``<folder>: <what>`` on one line.
    """


class RunError(RuntimeError):
    """Runs that were made but cannot be stored or written (a full disk, a damaged store), or a study's
    budget of runs that would be exceeded; the message is ``<where>: <what>`` on one line."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or a notebook's interrupt) during an experiment or a study: the runs finished so far are kept.

    Attributes
    ----------
    stored : int
        Finished runs kept in the results store.
    store : pathlib.Path
        The results store (``results.sqlite``); the same call with ``resume=True`` computes the rest.
    """

    def __init__(self, stored: int, store: Path):
        self.stored = stored
        self.store = store
        super().__init__(f"interrupted; {stored} finished runs are kept in {store}")


def one_line(error: BaseException | str) -> str:
    """An error's message (or any text) on one line: its runs of white space folded to one space."""
    return " ".join(str(error).split())
