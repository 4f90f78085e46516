"""The compiled build (``sim/compiled.py``, ``caresim compile``): used only when current, and the same numbers.

The tests marked ``compiled`` need the build and run where CI makes it (``.ci/run``: ``caresim compile``, then
``CARESIM_EXPECT_COMPILED=1``); elsewhere they are deselected, and the count says so.  The others run on
either build.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim import compiled
from sim.core.model import AT_HAND, DERIVED, STAYS

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def test_derived_names_every_value_derive_sets():
    """``Model.launch`` compares the values in ``DERIVED`` before and after a launch (a compiled class has no
    ``vars``): a value ``_derive`` sets but the list leaves out would go unnoticed when a scenario changes it."""
    tree = ast.parse((ROOT / "sim/core/model.py").read_text())
    derive = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_derive")
    assigned = {
        t.attr
        for n in ast.walk(derive)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    }
    assert assigned - set(STAYS) - set(AT_HAND) == set(DERIVED)  # the others are read at each use, never drawn ahead
    assert set(STAYS) | set(AT_HAND) <= assigned
    assert len(DERIVED) == len(set(DERIVED))


def test_the_guard_imports_only_the_standard_library():
    """``import sim`` runs the guard first: it stays light, and cannot import a model module before it acts."""
    tree = ast.parse((ROOT / "sim/compiled.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {name.split(".")[0] for name in names} - {"__future__"} <= sys.stdlib_module_names


def fake_package(tmp_path: Path) -> Path:
    """A package holding every file the build reads, with a copy of one real module."""
    package = tmp_path / "sim"
    for name in compiled.READS:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
    (package / "vocabulary.py").write_text("A = 1\n")
    (package / "parameters").mkdir(exist_ok=True)
    (package / "parameters" / "params.py").write_text("B = 2\n")
    for module in compiled.MODULES:
        path = compiled.source(module, package)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {module}\n")
    return package


def fake_build(package: Path) -> None:
    """Extension files where the build puts them, and the manifest of the sources as they are."""
    (package / f"native__mypyc{SUFFIX}").write_bytes(b"")
    for module in compiled.MODULES:
        compiled.source(module, package).with_suffix(SUFFIX).write_bytes(b"")
    manifest = {"modules": list(compiled.MODULES), "sources": compiled.fingerprint(package)}
    (package / compiled.MANIFEST).write_text(json.dumps(manifest))


def test_no_build_is_pure_python(tmp_path):
    package = fake_package(tmp_path)
    assert compiled.state(package)[0] == "pure"
    assert compiled.extensions(package) == []


def test_a_build_is_current_until_a_file_it_read_changes(tmp_path):
    package = fake_package(tmp_path)
    fake_build(package)
    assert compiled.state(package) == ("compiled", "")
    assert len(compiled.extensions(package)) == len(compiled.MODULES) + 1
    (package / "parameters" / "params.py").write_text("B = 3\n")  # not compiled, but the build was checked against it
    kind, why = compiled.state(package)
    assert kind == "stale" and "sim/parameters/params.py changed" in why


def test_a_new_module_among_those_read_makes_a_build_stale(tmp_path):
    package = fake_package(tmp_path)
    fake_build(package)
    (package / "core" / "new.py").write_text("C = 1\n")
    assert compiled.state(package) == ("stale", "sim/core/new.py changed since the build was made")


def test_a_build_without_its_manifest_or_of_other_modules_is_stale(tmp_path):
    package = fake_package(tmp_path)
    fake_build(package)
    manifest = json.loads((package / compiled.MANIFEST).read_text())
    (package / compiled.MANIFEST).write_text(json.dumps({**manifest, "modules": manifest["modules"][:-1]}))
    assert compiled.state(package) == ("stale", "the build compiled other modules than this version compiles")
    (package / compiled.MANIFEST).unlink()
    assert compiled.state(package)[0] == "stale"


def test_a_build_missing_a_file_is_stale(tmp_path):
    package = fake_package(tmp_path)
    fake_build(package)
    compiled.source("sim.pathways.home", package).with_suffix(SUFFIX).unlink()
    assert compiled.state(package) == ("stale", "some of the build's files are missing")


def test_remove_deletes_the_build_and_nothing_else(tmp_path):
    package = fake_package(tmp_path)
    before = sorted(p for p in package.rglob("*") if p.is_file())
    fake_build(package)
    gone = compiled.remove(package)
    assert len(gone) == len(compiled.MODULES) + 2  # the modules, the shared library, the manifest
    assert sorted(p for p in package.rglob("*") if p.is_file()) == before


def test_without_the_tools_the_build_says_what_is_missing_and_changes_nothing(tmp_path, monkeypatch):
    package = fake_package(tmp_path)
    monkeypatch.setattr(compiled, "missing_tools", lambda: ["mypyc (pip install mypy)"])
    with pytest.raises(compiled.BuildError, match="needs mypyc .* pure Python works without it"):
        compiled.build(package)
    assert compiled.state(package)[0] == "pure"


def test_the_command_reports_the_state(capsys):
    from sim.cli.main import main

    assert main(["compile", "--status"]) == 0
    kind, _ = compiled.state()
    assert capsys.readouterr().out.startswith(f"compiled build: {kind}")


def test_the_command_without_the_tools_ends_with_one_line_and_changes_nothing(capsys, monkeypatch):
    from sim.cli.main import main

    before = compiled.state()
    monkeypatch.setattr(compiled, "missing_tools", lambda: ["a C compiler (cc is not on PATH)"])
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("caresim: error: compile: the compiled build needs a C compiler") and err.count("\n") == 1
    assert compiled.state() == before


# --- on the compiled build itself (CI: caresim compile, then CARESIM_EXPECT_COMPILED=1) ---------------------

RUN = textwrap.dedent(
    """
    import hashlib, sys
    import sim.core.model
    from sim import compiled
    from sim.scenarios.scenario import RunSettings, load
    from sim.replication.single import single_run
    s = load("scenarios/integrated_care_pilot.toml", RunSettings(population=6000, horizon_days=365, warmup_days=180))
    r = single_run(s.params, 7, 1)
    table = "".join(t.to_csv(float_format="%.17g") for t in (r.kpis, r.timeseries, r.events()))
    print(compiled.build_name(), sim.core.model.__file__.rsplit(".", 1)[-1], hashlib.sha256(table.encode()).hexdigest())
    """
)


def run_elsewhere(code: str, cwd: Path = ROOT, **env: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


@pytest.mark.compiled
def test_the_compiled_build_is_in_use():
    import sim.core.model

    assert compiled.state() == ("compiled", "")
    assert compiled.build_name() == "mypyc"
    assert not sim.core.model.__file__.endswith(".py")


@pytest.mark.compiled
def test_the_compiled_build_gives_the_same_numbers_as_the_sources():
    """A pilot scenario (an MDT, case finding, every pathway) run by the build and by the sources
    (``CARESIM_PURE=1``): the same KPIs and the same events, to the last digit."""
    build, loaded, made = run_elsewhere(RUN)
    pure, loaded_pure, made_pure = run_elsewhere(RUN, CARESIM_PURE="1")
    assert (build, loaded, pure, loaded_pure) == ("mypyc", "so", "python", "py")
    assert made == made_pure


@pytest.mark.compiled
def test_a_build_whose_sources_changed_is_not_used(tmp_path):
    """An edited module runs as edited: the stale build is set aside, with a warning, until compiled again."""
    copy = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    home = copy / "pathways" / "home.py"
    home.write_text(home.read_text() + "\nEDITED = True\n")
    code = "import sim.pathways.home as h; print(h.__file__.endswith('.py'), getattr(h, 'EDITED', False))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "True"]
    assert "the compiled build is not used: sim/pathways/home.py changed" in done.stderr
