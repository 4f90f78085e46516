"""Test files share code through ``tests/helpers.py`` and ``tests/conftest.py``, never by importing each other:
importing a test file runs its module-level code and collects its tests a second time under another name."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_file_imports_another():
    test_files = {path.stem for path in TESTS.glob("test_*.py")}
    found = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in test_files:
                found.append(f"{path.name} imports {node.module}")
            elif isinstance(node, ast.Import):
                found += [f"{path.name} imports {alias.name}" for alias in node.names if alias.name in test_files]
    assert not found, "; ".join(found) + ": move what they share to tests/helpers.py"
