"""One comparison in a separate process, so that the page stays responsive and a run can be cancelled.

:class:`Job` starts ``python -m sim.app.jobs REQUEST.json`` in its results folder; the child runs
:func:`sim.app.runs.execute` and after each replication replaces ``progress.json`` in the folder
(``done``, ``total``, ``seconds``), then writes ``status.json`` (``done`` or ``failed`` with the
message).  The page reads those files without waiting; cancelling terminates the child at once,
not only between replications.  A plain child process, rather than :mod:`multiprocessing`, so that
nothing depends on how the web server's own main module was started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from sim.app.levers import Settings
from sim.app.runs import Request, execute

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
REQUEST, PROGRESS, STATUS, LOG = "request.json", "progress.json", "status.json", "run.log"


def _write_json(path: Path, data: dict) -> None:
    """Replace ``path`` in one step, so that a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def request_to_json(req: Request) -> dict:
    return asdict(req)


def request_from_json(data: dict) -> Request:
    return Request(**{**data, "settings": Settings(**data["settings"])})


class Job:
    """A comparison running in a child process; :meth:`poll` it, :meth:`cancel` it."""

    def __init__(self, request: Request, out: Path):
        self.request = request
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.total = int(request.settings.reps) * 2
        self.done = 0
        self.last_seconds = 0.0
        self.state = RUNNING
        self.error = ""
        self.details = ""
        self.started = time.monotonic()
        self.finished: float | None = None
        _write_json(self.out / REQUEST, request_to_json(request))
        self._log = open(self.out / LOG, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sim.app.jobs", str(self.out / REQUEST)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=os.getcwd(),
        )

    @property
    def seconds(self) -> float:
        """Seconds since the start (to the end, once it has ended)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def poll(self) -> str:
        """Read the child's progress and status; return the state."""
        if self.state != RUNNING:
            return self.state
        progress = _read_json(self.out / PROGRESS)
        if progress:
            self.done, self.total, self.last_seconds = progress["done"], progress["total"], progress["seconds"]
        code = self.process.poll()
        if code is None:
            return self.state
        status = _read_json(self.out / STATUS) or {}
        if status.get("state") == DONE:
            self._finish(DONE)
        else:
            self.error = status.get("error") or f"the run stopped unexpectedly (exit code {code})"
            self.details = status.get("details", "")
            self._finish(FAILED)
        return self.state

    def wait(self, timeout: float | None = None, step: float = 0.2) -> str:
        """Poll until the run ends (or ``timeout`` seconds pass); return the state."""
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() == RUNNING and (end is None or time.monotonic() < end):
            time.sleep(step)
        return self.state

    def cancel(self) -> None:
        """Stop the run now; the partial folder is left as it is."""
        if self.state != RUNNING:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._finish(CANCELLED)

    def _finish(self, state: str) -> None:
        self.state = state
        self.finished = time.monotonic()
        self._log.close()


def main(argv: list[str] | None = None) -> int:
    """The child: run the request next to ``REQUEST.json`` and report through files."""
    path = Path((argv or sys.argv[1:])[0])
    out = path.parent
    req = request_from_json(json.loads(path.read_text(encoding="utf-8")))

    def progress(done: int, total: int, seconds: float) -> None:
        _write_json(out / PROGRESS, {"done": done, "total": total, "seconds": seconds})

    try:
        execute(req, out, progress)
    except Exception as e:  # reported to the page, which shows it in words
        from sim.replication.runner import ReplicationFailed
        from sim.scenarios.scenario import ScenarioError

        text = " ".join(str(e).split())
        if not isinstance(e, (ScenarioError, ReplicationFailed)):
            text = f"{type(e).__name__}: {text}"
        _write_json(out / STATUS, {"state": FAILED, "error": text, "details": traceback.format_exc()})
        return 1
    _write_json(out / STATUS, {"state": DONE})
    return 0


if __name__ == "__main__":
    sys.exit(main())
