"""Results folders to write: the checks before anything is written, ``force``, and the runner that writes.

A folder must be new or empty, or this job's own with ``resume``; ``force`` replaces the results in it
(caresim's kinds of file are removed first; other files stay).  The command line checks every folder it
writes with this code (``run`` and ``compare`` too, which keep no results store), so both say the same line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sim.api.errors import SettingsError

RESULT_FILES = (
    "*.csv",
    "*.png",
    "*.svg",
    "*.html",
    "*.json",
    "results.sqlite",
    "results.sqlite-wal",
    "results.sqlite-shm",
)  # what force=True removes from a results folder: caresim's kinds of file, no folders


def check_out(out: Path, resume: bool, force: bool, resumable: bool = True) -> None:
    """The results folder must be new or empty, or this job's with ``resume``, or is replaced with ``force``.

    ``resumable=False`` for a job that keeps no results store (``run``, ``compare``): a refusal then offers
    only ``--force``.
    """
    if out.exists() and not out.is_dir():
        raise SettingsError(f"--out: '{out}' exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        if not resume:
            again = (
                "add --resume to continue it, --force to replace it, " if resumable else "add --force to replace it "
            )
            raise SettingsError(f"--out: the results folder '{out}' already exists; {again}or choose another folder")
        if not (out / "results.sqlite").is_file():
            raise SettingsError(f"--out: '{out}' is not a results folder (no results.sqlite); choose another folder")
    parent = next((p for p in [out, *out.parents] if p.exists()), Path("."))
    if not parent.is_dir():
        raise SettingsError(f"--out: cannot create '{out}': '{parent}' is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SettingsError(f"--out: cannot create '{out}': '{parent}' is not writable")


def clear_results(out: Path) -> None:
    """``force``: remove the files caresim writes from ``out`` (its top level only; other files stay)."""
    for pattern in RESULT_FILES:
        for path in out.glob(pattern):
            if path.is_file():
                path.unlink()


def open_runner(
    out: Path, resume: bool, force: bool, workers: int | None, dask: Any, job: tuple[str, str]
) -> tuple[Any, Any]:
    """Check the results folder, start the executor and open the store: ``(executor, store)``.

    ``job`` is (kind, name), for example ``("experiment", "headline")``: a store that holds another job's
    results is refused, with or without ``resume``.  Nothing is started that is not closed again.
    """
    from sim.experiments.executors import ExecutorError, make_executor
    from sim.experiments.store import Store, StoreError

    check_out(out, bool(resume), bool(force))
    if force and out.is_dir():
        clear_results(out)
    address = dask_address(dask)
    if address and workers == 1:
        raise SettingsError("--workers: 1 runs serially in this process; it cannot be combined with --dask")
    try:
        executor = make_executor(workers, address)
    except ExecutorError as e:
        raise SettingsError(str(e)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        store = Store(out)
    except (OSError, StoreError) as e:
        executor.close()
        raise SettingsError(
            f"--out: cannot create '{out}': {e.strerror or e}" if isinstance(e, OSError) else f"--out: {e}"
        ) from None
    held = store.claim(*job)
    if held != job:
        store.close()
        executor.close()
        raise SettingsError(
            f"--out: '{out}' holds the results of {held[0]} '{held[1]}', not of {job[0]} '{job[1]}'; "
            "choose another folder, or add --force to replace them"
        )
    return executor, store


def dask_address(dask: Any) -> str | None:
    """A Dask scheduler's address: given as text (``"local"`` starts a cluster here), or a client's."""
    if dask is None or isinstance(dask, str):
        return dask or None
    scheduler = getattr(dask, "scheduler", None)
    address = getattr(scheduler, "address", None)
    if isinstance(address, str) and address:
        return address
    raise SettingsError(f"--dask: expected a scheduler's address, 'local' or a dask.distributed Client, got {dask!r}")
