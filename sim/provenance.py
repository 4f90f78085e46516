"""Where a result came from: the checkout's git commit, the identity of the package's code, and the hash of
an input file.

Used by every layer that records its inputs (results stores, posterior draws, metadata), so it sits
at the bottom with the package's version.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

# What a run's numbers depend on besides its parameters, as paths in the checkout: the package, and the
# evaluation designs the comparator runs match by (sim.outcomes.evaluation.DESIGNS_FILE) ...
CODE_PATHS = ("sim", "calibration/evaluation_designs.toml")
# ... less the package's layers above the one that runs a task (sim.experiments.tasks.run_task): the
# calibration, the page, the Python API and the command line read runs and never run inside one, and no
# layer below imports them (sim.layers; tests/test_architecture.py holds this list to that map).  So a
# change to how a study's runs are read (its emulators, its tables, what the command prints) keeps them.
ABOVE_THE_RUNS = ("sim/calibration", "sim/app", "sim/api", "sim/cli")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)


def _checkout() -> Path:
    return Path(__file__).resolve().parents[1]


@functools.cache
def git_commit() -> str | None:
    """The checkout's commit, or None outside a checkout (see :func:`describe`)."""
    return describe(_checkout())


def describe(root: Path) -> str | None:
    """The commit checked out at ``root``; with ``+dirty.`` and a hash of the uncommitted changes to tracked
    files when there are any, or None outside a checkout.

    Recorded with every result (its metadata), so that two different edits are told apart: a bare
    ``+dirty`` would not.  Untracked files are left out.  Results stores key runs by the code itself
    (:func:`code_identity`), not by this.
    """
    try:
        head = _git(root, "rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        changes = _git(root, "diff", "HEAD", "--no-ext-diff", "--no-textconv", "--binary")
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.decode().strip()
    if changes.returncode != 0:  # the changes could not be read: dirty or not is unknown
        return commit + "+dirty"
    if not changes.stdout:
        return commit
    return f"{commit}+dirty.{hashlib.sha256(changes.stdout).hexdigest()[:12]}"


@functools.cache
def code_identity() -> str | None:
    """What the results stores key runs by, beside the version: the code of :data:`CODE_PATHS` less
    :data:`ABOVE_THE_RUNS` (:func:`describe_code`)."""
    return describe_code(_checkout(), CODE_PATHS, ABOVE_THE_RUNS)


def describe_code(root: Path, paths: tuple[str, ...], leave_out: tuple[str, ...] = ()) -> str | None:
    """The code at ``paths`` (folders or files) of the checkout at ``root``, less what is under ``leave_out``,
    by content: a hash of the files' paths and git's ids of them as committed; with ``+dirty.`` and a hash of
    their uncommitted changes and untracked files when there are any.  None outside a checkout (an installed
    package: its version says which code it is), or when a path is not committed.

    Two checkouts with the same code have the same identity whatever else differs, so a commit that changes
    only the docs, the tests, the study files or what is left out keeps every finished run of a results store
    (the scenario hash covers the parameters a study file sets); a change to the code, committed or not,
    never reuses a run made by other code.  Untracked files count here (a new module the code imports), not
    in :func:`describe`.
    """
    spec = [*paths, *(f":(exclude){path}" for path in leave_out)]
    try:
        tree = _git(root, "ls-tree", "-r", "-z", "--full-tree", "HEAD", "--", *paths)  # it takes no exclusions
        found = [_git(root, "rev-parse", "--verify", "--quiet", f"HEAD:{path}") for path in paths]
        if tree.returncode != 0 or any(f.returncode != 0 for f in found):
            return None
        changes = _git(root, "diff", "HEAD", "--no-ext-diff", "--no-textconv", "--binary", "--", *spec)
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", *spec)
        committed = "\n".join(e for e in tree.stdout.decode().split("\0") if e and not _under(e, leave_out))
        identity = "code:" + hashlib.sha256(committed.encode()).hexdigest()[:40]
        if changes.returncode != 0 or untracked.returncode != 0:  # the changes could not be read
            return identity + "+dirty"
        if not changes.stdout and not untracked.stdout:
            return identity
        digest = hashlib.sha256(changes.stdout)
        for name in sorted(n for n in untracked.stdout.decode().split("\0") if n):
            digest.update(name.encode() + b"\0" + hashlib.sha256((root / name).read_bytes()).digest())
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{identity}+dirty.{digest.hexdigest()[:12]}"


def _under(ls_tree_line: str, folders: tuple[str, ...]) -> bool:
    """Whether the file of a ``git ls-tree`` entry (``mode type id<TAB>path``, unquoted) is in one of ``folders``."""
    path = ls_tree_line.split("\t", 1)[1]
    return any(path == folder or path.startswith(folder + "/") for folder in folders)


def file_sha256(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
