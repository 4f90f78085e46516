"""The commit a result is keyed by: a dirty checkout's edits are told apart (sim.provenance.describe)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sim.provenance import describe

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "test@example.org")
    _git(tmp_path, "config", "user.name", "test")
    (tmp_path / "model.py").write_text("RATE = 1.0\n")
    _git(tmp_path, "add", "model.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_clean_checkout_is_its_commit(checkout: Path) -> None:
    assert describe(checkout) == _git(checkout, "rev-parse", "HEAD")


def test_two_edits_of_a_tracked_file_get_different_keys_and_the_same_edit_the_same(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    (checkout / "model.py").write_text("RATE = 2.0\n")
    first = describe(checkout)
    (checkout / "model.py").write_text("RATE = 3.0\n")
    second = describe(checkout)
    assert first is not None and second is not None
    assert first.startswith(head + "+dirty.") and second.startswith(head + "+dirty.")
    assert first != second  # a bare "+dirty" would let --resume reuse the first edit's runs
    (checkout / "model.py").write_text("RATE = 2.0\n")
    assert describe(checkout) == first  # an interrupted run of the same edit still resumes
    (checkout / "model.py").write_text("RATE = 1.0\n")
    assert describe(checkout) == head


def test_staged_changes_count_and_untracked_files_do_not(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    (checkout / "notes.txt").write_text("untracked\n")
    assert describe(checkout) == head
    (checkout / "model.py").write_text("RATE = 2.0\n")
    _git(checkout, "add", "model.py")
    staged = describe(checkout)
    assert staged is not None and staged.startswith(head + "+dirty.")


def test_outside_a_checkout_there_is_no_commit(tmp_path: Path) -> None:
    assert describe(tmp_path) is None
