"""Killed with SIGKILL, an experiment leaves no process behind: its pool workers end with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import write_experiment

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's"),
]
ROOT = Path(__file__).resolve().parents[1]


def test_pool_workers_end_when_the_experiment_is_killed(tmp_path):
    exp = write_experiment(tmp_path, reps=30)
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "experiment",
        str(exp),
        "--workers",
        "2",
        "--quiet",
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    children: list[psutil.Process] = []
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(children) < 3:  # two workers and the resource tracker
            children = parent.children(recursive=True)
            time.sleep(0.2)
        assert len(children) >= 2, "the pool never started"
        assert proc.poll() is None, "the experiment ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
    finally:  # whatever happened, nothing this test started lives on
        if proc.poll() is None:
            proc.kill()
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
