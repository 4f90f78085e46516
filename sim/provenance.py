"""Where a result came from: the checkout's git commit and the hash of an input file.

Used by every layer that records its inputs (results stores, posterior draws, metadata), so it sits
at the bottom with the package's version.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path


@functools.cache
def git_commit() -> str | None:
    """The checkout's commit, or None outside a checkout (see :func:`describe`)."""
    return describe(Path(__file__).resolve().parents[1])


def describe(root: Path) -> str | None:
    """The commit checked out at ``root``; with ``+dirty.`` and a hash of the uncommitted changes to tracked
    files when there are any, or None outside a checkout.

    The results stores key runs by this (DESIGN 8), so two different edits of the code never share a key:
    a bare ``+dirty`` would let ``--resume`` reuse the runs of one edit after another.  The same edit gives
    the same hash, so an interrupted run of uncommitted code still resumes.  Untracked files are left out.
    """

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        changes = git("diff", "HEAD", "--no-ext-diff", "--no-textconv", "--binary")
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.decode().strip()
    if changes.returncode != 0:  # the changes could not be read: dirty or not is unknown
        return commit + "+dirty"
    if not changes.stdout:
        return commit
    return f"{commit}+dirty.{hashlib.sha256(changes.stdout).hexdigest()[:12]}"


def file_sha256(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
