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
    """The checkout's commit (with ``+dirty`` when tracked files are modified), or None outside a checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def file_sha256(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
