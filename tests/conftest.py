"""Shared pytest hooks.

A skipped browser test is not silent: the end of the test output has one line saying why it was skipped,
how to install the browser and how to run the test then, even with ``-q`` and ``-n auto``.
The evaluations' pool of controls is the place's own size in the suite (below).
Tests marked ``compiled`` run only with ``CARESIM_EXPECT_COMPILED=1``, where the compiled build must be in use
(``.ci/run`` makes it); elsewhere they are deselected, and pytest's count of deselected tests says so.
"""

from __future__ import annotations

import os

import pytest

# The emulated evaluations draw controls from a place of at least 250,000 people
# (calibration/evaluation_designs.toml, pool_population).  The suite's places are small and many: their
# controls come from a place of their own size, unless a test sets the variable itself
# (tests/test_evaluation_pool.py).  Set here, so that every worker process inherits it.
os.environ.setdefault("CARESIM_POOL_POPULATION", "0")
EXPECT_COMPILED = os.environ.get("CARESIM_EXPECT_COMPILED", "") not in ("", "0")


def pytest_sessionstart(session: pytest.Session) -> None:
    if EXPECT_COMPILED:
        from sim import compiled

        kind, why = compiled.state()
        if compiled.build_name() != "mypyc":
            why = why or "turned off"
            raise pytest.UsageError(f"CARESIM_EXPECT_COMPILED=1 but the compiled build is {kind}: {why}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if EXPECT_COMPILED:
        return
    left_out = [item for item in items if "compiled" in item.keywords]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if "compiled" not in item.keywords]


@pytest.fixture(autouse=True)
def _fresh_kept_runs(monkeypatch):
    """Each test starts with no kept runs (sim/analysis/kept_runs.py): a run kept by an earlier test in the same
    process would stand in for one a test means to make, or to make fail."""
    from sim.analysis import kept_runs
    from sim.experiments import tasks

    monkeypatch.setattr(kept_runs, "POOLS", kept_runs.KeptRuns(kept_runs.POOLS.size))
    monkeypatch.setattr(tasks, "REFERENCES", kept_runs.KeptRuns(tasks.REFERENCES.size))


def _reason(report: pytest.TestReport) -> str:
    """The skip reason of a skipped test's report, without pytest's ``Skipped:`` prefix."""
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reasons = {_reason(r) for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords}
    for reason in sorted(reasons):
        terminalreporter.write_line(f"caresim: skipped: {reason}", yellow=True)
