"""The results store: every finished replication committed at once to SQLite.

A run is keyed by :func:`sim.experiments.tasks.task_key` (scenario hash, grid point,
seed, replication, version, commit).  A run is stored with its KPIs, time
series, KPIs by year (``yearly``) and MDT enrolments in one transaction, so a run is either wholly there
or not at all; a kill at any moment loses only the runs still in flight.
Counterfactual KPIs (the reference run measured over another run's enrolled
people) are stored per (reference key, other key).  A failed run is stored
with its error and counts as missing when the experiment resumes.

A run whose MDT enrolled anyone also stores its case summary (``cases``).  A
comparator run (:mod:`sim.experiments.comparator`) is stored apart from the
runs (``comparator_runs``, keyed the same way), with the ``matched:X`` rows of
each partner (``matched``, the reference's and X's) and the matching's balance
(``matching_balance``), and linked to its partners like a reference run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.comparator import ComparatorResult
from sim.experiments.tasks import Cases, TaskResult
from sim.outcomes.matching import BALANCE_COLUMNS

FILENAME = "results.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, scenario TEXT NOT NULL, grid REAL, replication INTEGER NOT NULL, seed INTEGER NOT NULL,
    scenario_hash TEXT NOT NULL, version TEXT NOT NULL, git_commit TEXT, status TEXT NOT NULL, error TEXT,
    seconds REAL, events INTEGER, finished REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kpis (key TEXT NOT NULL, cohort TEXT NOT NULL, metric TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS kpis_key ON kpis (key);
CREATE TABLE IF NOT EXISTS timeseries (key TEXT NOT NULL, day REAL NOT NULL, series TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS timeseries_key ON timeseries (key);
CREATE TABLE IF NOT EXISTS yearly (key TEXT NOT NULL, year INTEGER NOT NULL, cohort TEXT, metric TEXT, value REAL);
CREATE INDEX IF NOT EXISTS yearly_key ON yearly (key);
CREATE TABLE IF NOT EXISTS enrolments (key TEXT PRIMARY KEY, pids BLOB NOT NULL, times BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counterfactuals (
    key TEXT NOT NULL, other TEXT NOT NULL, cohort TEXT, metric TEXT, value REAL);
CREATE INDEX IF NOT EXISTS counterfactuals_key ON counterfactuals (key, other);
CREATE TABLE IF NOT EXISTS links (key TEXT NOT NULL, other TEXT NOT NULL, PRIMARY KEY (key, other));
CREATE TABLE IF NOT EXISTS job (kind TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (key TEXT PRIMARY KEY, design TEXT NOT NULL, columns TEXT NOT NULL, data BLOB);
CREATE TABLE IF NOT EXISTS comparator_runs (
    key TEXT PRIMARY KEY, scenario TEXT NOT NULL, grid REAL, replication INTEGER NOT NULL, seed INTEGER NOT NULL,
    scenario_hash TEXT NOT NULL, version TEXT NOT NULL, git_commit TEXT, status TEXT NOT NULL, error TEXT,
    seconds REAL, ran INTEGER, finished REAL NOT NULL);
CREATE TABLE IF NOT EXISTS matched (
    key TEXT NOT NULL, other TEXT NOT NULL, side TEXT NOT NULL, cohort TEXT, metric TEXT, value REAL);
CREATE INDEX IF NOT EXISTS matched_key ON matched (key, other);
CREATE TABLE IF NOT EXISTS matching_balance (
    key TEXT NOT NULL, other TEXT NOT NULL, design TEXT, variable TEXT, cases INTEGER, controls INTEGER,
    case_mean REAL, control_mean REAL, smd REAL);
"""
# what a run's row says of it, in the runs and the comparator runs alike
RUN_FIELDS = (
    "key",
    "scenario",
    "grid",
    "replication",
    "seed",
    "scenario_hash",
    "version",
    "git_commit",
    "status",
    "error",
    "seconds",
)
COLUMNS = {  # what each table must hold, checked when a store is opened
    "runs": (*RUN_FIELDS, "events", "finished"),
    "kpis": ("key", "cohort", "metric", "value"),
    "timeseries": ("key", "day", "series", "value"),
    "yearly": ("key", "year", "cohort", "metric", "value"),
    "enrolments": ("key", "pids", "times"),
    "counterfactuals": ("key", "other", "cohort", "metric", "value"),
    "links": ("key", "other"),
    "job": ("kind", "name"),
    "cases": ("key", "design", "columns", "data"),
    "comparator_runs": (*RUN_FIELDS, "ran", "finished"),
    "matched": ("key", "other", "side", "cohort", "metric", "value"),
    "matching_balance": ("key", "other", "design", *BALANCE_COLUMNS),
}


class StoreError(Exception):
    """A file that is not a sound results store: the message is ``<file>: <what is wrong>``."""


class Store:
    """A results store in ``folder/results.sqlite``."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / FILENAME
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path}: not a file")
        self.db = sqlite3.connect(self.path)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            self._check()
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise StoreError(
                f"{self.path}: not a sound results store ({e}); move it aside or choose another folder"
            ) from None
        except StoreError:
            self.db.close()
            raise

    def _check(self) -> None:
        """A damaged file or another program's database is refused on opening, not half-way through a run."""
        (verdict,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
        if verdict != "ok":
            raise StoreError(f"{self.path}: the file is damaged ({verdict}); move it aside or choose another folder")
        for table, columns in COLUMNS.items():
            found = tuple(row[1] for row in self.db.execute(f"PRAGMA table_info({table})"))
            if found != columns:
                raise StoreError(
                    f"{self.path}: table '{table}' has columns {', '.join(found)}, not those of a "
                    "caresim results store; move it aside or choose another folder"
                )

    def claim(self, kind: str, name: str) -> tuple[str, str]:
        """Record which job this store holds (``kind``, ``name``), or return the job it already holds."""
        with self.db:
            row = self.db.execute("SELECT kind, name FROM job").fetchone()
            if row is None:
                self.db.execute("INSERT INTO job VALUES (?, ?)", (kind, name))
                return kind, name
        return str(row[0]), str(row[1])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ---

    def put(self, result: TaskResult, meta: dict[str, Any]) -> None:
        """Commit one finished (or failed) run, replacing any earlier record of the same key."""
        key = result.key
        status = "failed" if result.error else "ok"
        with self.db:  # one transaction
            for table in ("kpis", "timeseries", "yearly", "enrolments", "cases"):
                self.db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
            self.db.execute("DELETE FROM counterfactuals WHERE key = ?", (key,))
            self.db.execute("DELETE FROM links WHERE key = ?", (key,))
            self.db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    meta["scenario"],
                    meta["grid"],
                    meta["replication"],
                    meta["seed"],
                    meta["scenario_hash"],
                    meta["version"],
                    meta["git_commit"],
                    status,
                    result.error,
                    result.seconds,
                    result.events,
                    time.time(),
                ),
            )
            if result.error:
                return
            # a run without an error carries its KPIs, time series and enrolments (run_task sets them together)
            assert result.kpis is not None and result.timeseries is not None and result.enrolled is not None
            self.db.executemany(
                "INSERT INTO kpis VALUES (?,?,?,?)",
                [
                    (key, c, m, float(v))
                    for c, m, v in result.kpis[["cohort", "metric", "value"]].itertuples(index=False)
                ],
            )
            ts = result.timeseries
            self.db.executemany(
                "INSERT INTO timeseries VALUES (?,?,?,?)",
                [(key, float(d), s, float(v)) for d, s, v in ts[["day", "series", "value"]].itertuples(index=False)],
            )
            if result.yearly is not None:
                columns = ["year", "cohort", "metric", "value"]
                self.db.executemany(
                    "INSERT INTO yearly VALUES (?,?,?,?,?)",
                    [(key, int(y), c, m, float(v)) for y, c, m, v in result.yearly[columns].itertuples(index=False)],
                )
            pids, times = result.enrolled
            self.db.execute(
                "INSERT INTO enrolments VALUES (?,?,?)",
                (
                    key,
                    np.ascontiguousarray(pids, np.int64).tobytes(),
                    np.ascontiguousarray(times, np.float64).tobytes(),
                ),
            )
            if result.cases is not None:
                frame = result.cases.frame
                kinds = [[c, str(frame[c].dtype)] for c in frame.columns]
                data = np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes()
                self.db.execute(
                    "INSERT INTO cases VALUES (?,?,?,?)", (key, result.cases.design, json.dumps(kinds), data)
                )
            for other, frame in result.counterfactuals.items():
                self.db.execute("INSERT INTO links VALUES (?,?)", (key, other))
                self.db.executemany(
                    "INSERT INTO counterfactuals VALUES (?,?,?,?,?)",
                    [
                        (key, other, c, m, float(v))
                        for c, m, v in frame[["cohort", "metric", "value"]].itertuples(index=False)
                    ],
                )

    def put_comparator(self, result: ComparatorResult, meta: dict[str, Any]) -> None:
        """Commit one comparator run (:mod:`sim.experiments.comparator`), replacing any earlier record of its key."""
        key = result.key
        with self.db:  # one transaction
            for table in ("matched", "matching_balance", "links"):
                self.db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
            self.db.execute(
                "INSERT OR REPLACE INTO comparator_runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    meta["scenario"],
                    meta["grid"],
                    meta["replication"],
                    meta["seed"],
                    meta["scenario_hash"],
                    meta["version"],
                    meta["git_commit"],
                    "failed" if result.error else "ok",
                    result.error,
                    result.seconds,
                    int(result.ran),
                    time.time(),
                ),
            )
            if result.error:
                return
            self.db.executemany("INSERT INTO links VALUES (?,?)", [(key, other) for other in result.partners])
            for other, frame in result.matched.items():
                self.db.executemany(
                    "INSERT INTO matched VALUES (?,?,?,?,?,?)",
                    [(key, other, sd, c, m, float(v)) for sd, c, m, v in frame.itertuples(index=False)],
                )
            for other, frame in result.balance.items():
                columns = ["design", *BALANCE_COLUMNS]
                self.db.executemany(
                    "INSERT INTO matching_balance VALUES (?,?,?,?,?,?,?,?,?)",
                    [(key, other, *row) for row in frame[columns].itertuples(index=False)],
                )

    # --- reading ---

    def status(self) -> dict[str, str]:
        """Every stored run's status (``ok`` or ``failed``) by key."""
        return dict(self.db.execute("SELECT key, status FROM runs"))

    def errors(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, error FROM runs WHERE status = 'failed'"))

    def linked(self, key: str) -> set[str]:
        """The other runs whose enrolled people this run has been measured over."""
        return {row[0] for row in self.db.execute("SELECT other FROM links WHERE key = ?", (key,))}

    def identity(self, key: str) -> tuple[str, Any]:
        """A stored run's scenario name and grid point."""
        return tuple(self.db.execute("SELECT scenario, grid FROM runs WHERE key = ?", (key,)).fetchone())

    def enrolled(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        row = self.db.execute("SELECT pids, times FROM enrolments WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return np.frombuffer(row[0], np.int64).copy(), np.frombuffer(row[1], np.float64).copy()

    def cases(self, key: str) -> Cases | None:
        """A stored run's case summary for the emulated evaluation (None: nobody enrolled)."""
        row = self.db.execute("SELECT design, columns, data FROM cases WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        kinds = json.loads(row[1])
        values = np.frombuffer(row[2], np.float64).reshape(-1, len(kinds))
        frame = pd.DataFrame({c: values[:, i].astype(kind) for i, (c, kind) in enumerate(kinds)})
        return Cases(str(row[0]), frame)

    def comparator_status(self) -> dict[str, str]:
        """Every stored comparator run's status (``ok`` or ``failed``) by key."""
        return dict(self.db.execute("SELECT key, status FROM comparator_runs"))

    def comparator_runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM comparator_runs", self.db)

    def matched(self, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        """``key, other, side, cohort, metric, value`` for the given (comparator key, partner key) pairs."""
        return self._pairs("SELECT key, other, side, cohort, metric, value FROM matched", pairs)

    def balance(self, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        """``key, other, design`` and the matching's balance for the given (comparator key, partner key) pairs."""
        return self._pairs(f"SELECT key, other, design, {', '.join(BALANCE_COLUMNS)} FROM matching_balance", pairs)

    def _pairs(self, select: str, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        frame = self._select(select + " WHERE key IN ({}) ORDER BY rowid", sorted({k for k, _ in pairs}))
        wanted = set(pairs)
        keep = np.array([(k, o) in wanted for k, o in zip(frame["key"], frame["other"])], dtype=bool)
        return frame[keep].reset_index(drop=True)

    def runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM runs", self.db)

    def kpis(self, keys: list[str]) -> pd.DataFrame:
        """``key, cohort, metric, value`` of the given runs, in the order the runs stored them."""
        return self._select("SELECT key, cohort, metric, value FROM kpis WHERE key IN ({}) ORDER BY rowid", keys)

    def counterfactual_kpis(self, pairs: list[tuple[str, str]]) -> pd.DataFrame:
        """``key, other, cohort, metric, value`` for the given (reference key, other key) pairs."""
        frame = self._select(
            "SELECT key, other, cohort, metric, value FROM counterfactuals WHERE key IN ({}) ORDER BY rowid",
            sorted({k for k, _ in pairs}),
        )
        wanted = set(pairs)
        return frame[[(k, o) in wanted for k, o in zip(frame["key"], frame["other"])]].reset_index(drop=True)

    def timeseries(self, keys: list[str]) -> pd.DataFrame:
        return self._select("SELECT key, day, series, value FROM timeseries WHERE key IN ({}) ORDER BY rowid", keys)

    def yearly(self, keys: list[str]) -> pd.DataFrame:
        """``key, year, cohort, metric, value`` of the given runs (``yearly.csv``), in the order they were stored."""
        return self._select(
            "SELECT key, year, cohort, metric, value FROM yearly WHERE key IN ({}) ORDER BY rowid", keys
        )

    def _select(self, sql: str, keys: list[str]) -> pd.DataFrame:
        frames = []
        for i in range(0, max(len(keys), 1), 500):  # SQLite's limit on bound parameters; IN () when none
            chunk = keys[i : i + 500]
            frames.append(pd.read_sql_query(sql.format(",".join("?" * len(chunk))), self.db, params=chunk))
        return pd.concat(frames, ignore_index=True)
