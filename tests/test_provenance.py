"""Where a result came from: the commit (sim.provenance.describe) and the code that made it, which results
stores key runs by (sim.provenance.describe_code): edits told apart, changes outside the code ignored."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sim.provenance import describe, describe_code

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
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "rates.py").write_text("RATE = 1.0\n")
    (tmp_path / "README.md").write_text("a model\n")
    (tmp_path / "data.toml").write_text("controls = 1\n")  # a data file the runs read
    _git(tmp_path, "add", ".")
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


def test_the_code_keeps_its_identity_through_commits_that_leave_it_alone(checkout: Path) -> None:
    first = describe_code(checkout, ("pkg", "data.toml"))
    assert first is not None and first.startswith("code:")
    (checkout / "README.md").write_text("a model, documented\n")
    assert describe_code(checkout, ("pkg", "data.toml")) == first  # an uncommitted change elsewhere
    _git(checkout, "commit", "-q", "-am", "docs")
    assert describe_code(checkout, ("pkg", "data.toml")) == first  # a commit elsewhere: every finished run is kept
    (checkout / "pkg" / "rates.py").write_text("RATE = 2.0\n")
    _git(checkout, "commit", "-q", "-am", "a model change")
    changed = describe_code(checkout, ("pkg", "data.toml"))
    assert changed is not None and changed.startswith("code:") and changed != first
    (checkout / "data.toml").write_text("controls = 2\n")
    _git(checkout, "commit", "-q", "-am", "a data change")
    assert describe_code(checkout, ("pkg", "data.toml")) not in (first, changed, None)


def test_uncommitted_code_and_new_modules_are_told_apart(checkout: Path) -> None:
    clean = describe_code(checkout, ("pkg", "data.toml"))
    (checkout / "pkg" / "rates.py").write_text("RATE = 2.0\n")
    edit = describe_code(checkout, ("pkg", "data.toml"))
    (checkout / "pkg" / "rates.py").write_text("RATE = 3.0\n")
    other = describe_code(checkout, ("pkg", "data.toml"))
    assert edit is not None and other is not None and clean is not None
    assert edit.startswith(clean + "+dirty.") and other.startswith(clean + "+dirty.") and edit != other
    (checkout / "pkg" / "rates.py").write_text("RATE = 1.0\n")
    assert describe_code(checkout, ("pkg", "data.toml")) == clean
    (checkout / "pkg" / "new_module.py").write_text("X = 1\n")  # untracked, but the code may import it
    added = describe_code(checkout, ("pkg", "data.toml"))
    assert added is not None and added.startswith(clean + "+dirty.")
    (checkout / "pkg" / "new_module.py").write_text("X = 2\n")
    assert describe_code(checkout, ("pkg", "data.toml")) not in (added, clean)


def test_code_outside_a_checkout_has_no_identity(tmp_path: Path) -> None:
    assert describe_code(tmp_path, ("pkg", "data.toml")) is None


def test_a_runs_key_follows_the_code_and_nothing_else_of_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.experiments.tasks as tasks

    keys = {}
    for code in ("code:a", "code:a", "code:b", "code:a+dirty.1", None):
        monkeypatch.setattr(tasks, "code_identity", lambda code=code: code)
        keys.setdefault(code, set()).add(tasks.task_key("scenario", None, 1, 0))
    assert all(len(found) == 1 for found in keys.values())  # the same code: the same key
    assert len({next(iter(found)) for found in keys.values()}) == 4  # other code: another key


def test_the_code_identity_covers_the_evaluation_designs_the_runs_read() -> None:
    from sim.outcomes.evaluation import DESIGNS_FILE
    from sim.provenance import CODE_PATHS, _checkout

    assert DESIGNS_FILE.relative_to(_checkout()).as_posix() in CODE_PATHS
    assert "sim" in CODE_PATHS


def test_what_is_left_out_never_changes_the_identity(checkout: Path) -> None:
    """The code that reads runs (left out) changes, committed or not, new files too: the runs are kept."""
    (checkout / "pkg" / "reading").mkdir()
    (checkout / "pkg" / "reading" / "tables.py").write_text("WIDTH = 0.1\n")
    _git(checkout, "add", ".")
    _git(checkout, "commit", "-q", "-m", "the reading code")
    clean = describe_code(checkout, ("pkg", "data.toml"), ("pkg/reading",))
    assert clean is not None and clean.startswith("code:") and "+dirty" not in clean
    assert clean != describe_code(checkout, ("pkg", "data.toml"))  # what is left out is not counted
    (checkout / "pkg" / "reading" / "tables.py").write_text("WIDTH = 0.2\n")
    (checkout / "pkg" / "reading" / "charts.py").write_text("DPI = 100\n")
    assert describe_code(checkout, ("pkg", "data.toml"), ("pkg/reading",)) == clean  # uncommitted, untracked
    _git(checkout, "add", ".")
    _git(checkout, "commit", "-q", "-m", "reading changed")
    assert describe_code(checkout, ("pkg", "data.toml"), ("pkg/reading",)) == clean  # committed
    (checkout / "pkg" / "readings.py").write_text("X = 1\n")  # beside the folder left out, not in it
    assert describe_code(checkout, ("pkg", "data.toml"), ("pkg/reading",)) not in (clean, None)
    (checkout / "pkg" / "readings.py").unlink()
    (checkout / "pkg" / "rates.py").write_text("RATE = 2.0\n")
    _git(checkout, "commit", "-q", "-am", "a model change")
    assert describe_code(checkout, ("pkg", "data.toml"), ("pkg/reading",)) not in (clean, None)


def test_a_path_not_committed_has_no_identity(checkout: Path) -> None:
    assert describe_code(checkout, ("pkg", "missing.toml")) is None
