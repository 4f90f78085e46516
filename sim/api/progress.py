"""The progress bars of the API's calls (``tqdm.auto``: a widget in Jupyter, text on stderr elsewhere).

``progress=True`` shows a bar and ``False`` none; :func:`~sim.api.run` and :func:`~sim.api.compare` also take
a function called after each run, the calibration functions one given each line of news.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sim.api.settings import progress_kind

Progress = bool | Callable[[int, int, float], None]
"""``True`` for a progress bar, ``False`` for none, or a function called after each run with
``(done, total, seconds)``."""
Notes = bool | Callable[[str], None]
"""``True`` for a progress bar, ``False`` for none, or a function given each line of news (a generation of
the fit, a run that failed) as text."""


@contextmanager
def bar(progress: Progress, total: int) -> Iterator[Callable[[int, int, float], None] | None]:
    """The ``progress`` callback of the runners: a tqdm bar over ``total`` runs, the caller's function, or none."""
    progress_kind(progress)
    if callable(progress):
        yield progress
        return
    if not progress:
        yield None
        return
    from tqdm.auto import tqdm

    shown = tqdm(total=total, unit="run", desc="caresim", dynamic_ncols=True)
    try:
        yield lambda done, _total, _seconds: shown.update(done - shown.n)
    finally:
        shown.close()


class ExperimentBar:
    """A tqdm bar over an experiment's runs, counting those already stored (none with ``progress=False``)."""

    def __init__(self, progress: bool):
        self.progress = progress
        self.bar: Any = None
        self.failed = 0

    def plan(self, tasks: Sequence[Any], reps: int, done: int) -> None:
        if not self.progress:
            return
        from tqdm.auto import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=len(tasks), initial=done, unit="run", dynamic_ncols=True, desc="caresim", smoothing=0.1
            )
        else:  # more replications for precision
            self.bar.total = len(tasks)
            self.bar.refresh()
        self.bar.set_postfix_str(f"{reps} replications")

    def step(self, task: Any, error: str | None) -> None:
        if error:
            self.failed += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.failed:
                self.bar.set_postfix_str(f"{self.failed} failed")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class StudyNotes:
    """The news of a study's runs: a tqdm bar counting them, or each line given to the caller's function."""

    def __init__(self, progress: Notes):
        progress_kind(progress)
        self.say = progress if callable(progress) else None
        self.shown = progress is True
        self.bar: Any = None

    def run(self, task: Any, error: str | None) -> None:
        if self.shown and self.bar is None:  # started by the first run, once the study and its folder are checked
            from tqdm.auto import tqdm

            self.bar = tqdm(unit="run", desc="caresim", dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(1)
        if error:
            self.note(f"run failed: {task.variant.name}, replication {task.replication}: {error}")

    def generation(self, g: Any) -> None:
        self.note(f"generation: tolerance {g.tolerance:.3g}, accepted {g.accepted} of {g.proposed} proposed")

    def note(self, text: str) -> None:
        if self.say is not None:
            self.say(text)
        elif self.bar is not None:
            self.bar.set_postfix_str(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class RunNotes:
    """The news of a job's runs by phase (``sensitivity``, ``sites``): a tqdm bar a phase, each failed run a line
    on stderr above it; or each line given to the caller's function (none with ``progress=False``).

    ``failed(task, error)`` says which run failed, in words.
    """

    def __init__(self, progress: Notes, failed: Callable[[Any, str], str]):
        progress_kind(progress)
        self.say = progress if callable(progress) else None
        self.shown = progress is True
        self.failed = failed
        self.bar: Any = None

    def phase(self, name: str | None, total: int, done: int = 0, postfix: str | None = None, unit: str = "run") -> None:
        """A new bar over ``total`` runs (or other ``unit``s; ``done`` of them already stored), named
        ``caresim <name>``."""
        self.close()
        if self.say is not None and name:
            self.say(f"{name}: {total} {unit}s" + (f", {done} of them stored already" if done else ""))
        if not self.shown:
            return
        from tqdm.auto import tqdm

        desc = f"caresim {name}" if name else "caresim"
        self.bar = tqdm(total=total, initial=done, unit=unit, desc=desc, dynamic_ncols=True, smoothing=0.1)
        if postfix:
            self.bar.set_postfix_str(postfix)

    def __call__(self, task: Any, error: str | None) -> None:
        if error:
            line = f"run failed: {self.failed(task, error)}"
            if self.say is not None:
                self.say(line)
            elif self.shown:
                from tqdm.auto import tqdm

                tqdm.write(f"caresim: {line}", file=sys.stderr)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
