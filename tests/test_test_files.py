"""Test files share code through ``tests/helpers.py`` and ``tests/conftest.py``, never by importing each other:
importing a test file runs its module-level code and collects its tests a second time under another name.
The broken-input corpora (``tests/broken*/``) hold every class of bad input the project has met."""

from __future__ import annotations

import ast
import re
import tomllib
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


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _numbers(path: Path) -> list:
    """Every number in a TOML file (read as text: some are too long for tomllib)."""
    return [float(n) for n in re.findall(r"(?<![\w.])-?\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?", _text(path))]


def _wrong_type(path: Path) -> bool:
    """Text where a number belongs (``acute``), or something else where text belongs (``out``, ``reference``,
    a prior's ``parameter``)."""
    data = tomllib.loads(_text(path))
    priors = data.get("sensitivity", {}).get("prior") or data.get("prior") or [{}]
    texts = [data.get("out", ""), data.get("reference", ""), priors[0].get("parameter", "")]
    numbers = list(data.get("acute", {}).values())
    return any(not isinstance(v, str) for v in texts) or any(isinstance(v, str) for v in numbers)


# Each class of bad input of issue 22 (point 11): corpus files of it, and a test that each really is of it.
CORPUS_CLASSES = {
    "a number too large for a float": (
        ["broken/huge_float.toml", "broken_experiments/grid_value_too_large.toml"],
        lambda p: max(_numbers(p)) >= 1e300,
    ),
    "an integer of hundreds of digits": (["broken/huge_integer.toml"], lambda p: re.search(r"\d{300,}", _text(p))),
    "an integer of more digits than Python converts (4,300)": (
        [
            "broken/integer_of_5000_digits.toml",
            "broken_experiments/population_of_5000_digits.toml",
            "broken_studies/integer_of_5000_digits.toml",
        ],
        lambda p: re.search(r"\d{4301,}", _text(p)),
    ),
    "a quantity above its upper bound": (
        [
            "broken/above_upper_bound.toml",
            "broken_experiments/replications_too_many.toml",
            "broken_studies/population_too_large.toml",
            "broken_studies/horizon_too_long.toml",
        ],
        lambda p: 10_000 < max(_numbers(p)) < 2**63,
    ),
    "nesting deeper than Python recurses": (
        [
            "broken/deeply_nested_lists.toml",
            "broken/deeply_nested_tables.toml",
            "broken_experiments/deeply_nested.toml",
            "broken_studies/deeply_nested.toml",
        ],
        lambda p: "[" * 2000 in _text(p) or "{a = " * 2000 in _text(p),
    ),
    "a key of the wrong type": (
        [
            "broken/wrong_type.toml",
            "broken_experiments/out_not_text.toml",
            "broken_experiments/reference_not_text.toml",
            "broken_studies/prior_parameter_a_list.toml",
            "broken_studies/prior_parameter_a_table.toml",
            "broken_studies/sensitivity_prior_parameter_a_list.toml",
        ],
        _wrong_type,
    ),
    "a grid path that names an entry of a list": (
        ["broken_experiments/grid_names_an_entry_of_a_list.toml"],
        lambda p: tomllib.loads(_text(p))["grid"]["parameter"].startswith("shift."),
    ),
    "a seed of 2**63 or more": (
        ["broken_experiments/seed_too_large.toml", "broken_studies/seed_too_large.toml"],
        lambda p: tomllib.loads(_text(p))["seed"] >= 2**63,
    ),
}


def test_the_broken_corpora_hold_every_class_of_bad_input():
    """The corpora read by test_cli, test_scenario, test_experiment and test_calibration hold every class of
    bad input found in issue 22.  What cannot be a committed file is made by the tests that need it: special
    files (a FIFO, /dev/zero) in test_input_limits.py, damaged stores and ``--out ''`` in test_results_folders.py."""
    for cls, (names, of_the_class) in CORPUS_CLASSES.items():
        for name in names:
            path = TESTS / name
            assert path.is_file(), f"{name} ({cls}) is missing"
            assert of_the_class(path), f"{name} is no longer {cls}"
