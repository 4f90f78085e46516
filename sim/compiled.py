"""The compiled build: the model's core and pathways compiled by mypyc from the same source, when current.

Pure Python is the default and always works.  ``caresim compile`` builds C extensions of the modules in
:data:`MODULES` beside their sources (mypyc, from the typed code as it is: one source, no second copy),
with a manifest of the sources it compiled.  Python then imports the extensions in their place; the
numbers are the same to the last digit (CI runs the model's tests on both builds).

A build that no longer matches its sources is never used: when any file it was built from has changed
since (:func:`state`), or ``CARESIM_PURE=1`` is set, ``import sim`` loads every compiled module from its
source instead (:func:`guard`), with a warning for a stale build.  The modules are compiled as one group
whose calls between them go straight to the compiled code, so they are used all together or not at all.
``caresim compile --remove`` deletes the build.

This module imports only the standard library: ``sim/__init__.py`` runs :func:`guard` before any
compiled module can be imported.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent  # sim/
GROUP = "sim.native"  # the group's shared library: sim/native__mypyc.<suffix>
MODULES: tuple[str, ...] = (
    "sim.core.streams",
    "sim.core.late",
    "sim.core.calendar",
    "sim.core.at_hand",
    "sim.core.inverse",
    "sim.core.records",
    "sim.core.population",
    "sim.core.services",
    "sim.core.hospital",
    "sim.core.model",
    "sim.core.seasons",
    "sim.pathways.background",
    "sim.pathways.demography",
    "sim.pathways.discharge",
    "sim.pathways.elective",
    "sim.pathways.emergency",
    "sim.pathways.entries",
    "sim.pathways.home",
    "sim.pathways.mdt",
    "sim.pathways.mdt_risk",
    "sim.pathways.social_care",
    "sim.replication.initial_state",
)
# what the compiled code was type-checked against as well: a change to any of these files makes a build stale
READS = ("vocabulary.py", "parameters", "core", "pathways", "replication/initial_state.py")
MANIFEST = "compiled.json"  # beside the package's modules: the sources' hashes when the build was made
PURE = "CARESIM_PURE"  # set to 1: load the pure-Python modules even where a current build is present


class BuildError(RuntimeError):
    """The compiled build could not be made (no compiler, no mypyc, or the compiler failed)."""


def source(module: str, package: Path = PACKAGE) -> Path:
    """The ``.py`` file of ``module`` (a dotted name under ``sim``)."""
    return package.joinpath(*module.split(".")[1:]).with_suffix(".py")


def sources(package: Path = PACKAGE) -> list[Path]:
    """Every file the build depends on (:data:`READS`), sorted."""
    found: list[Path] = []
    for name in READS:
        path = package / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def fingerprint(package: Path = PACKAGE) -> dict[str, str]:
    """SHA-256 of each file the build depends on, by its path under the package."""
    return {p.relative_to(package).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sources(package)}


def extensions(package: Path = PACKAGE) -> list[Path]:
    """The built extension files present: the group's shared library and one per compiled module."""
    found = []
    for stem in ["native__mypyc", *(str(source(m, package).relative_to(package).with_suffix("")) for m in MODULES)]:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = package / (stem + suffix)
            if path.exists():
                found.append(path)
    return found


def state(package: Path = PACKAGE) -> tuple[str, str]:
    """``("pure", why)``, ``("compiled", "")`` or ``("stale", what changed)``: what ``import sim`` does here."""
    if not extensions(package):
        return "pure", "none made; caresim compile makes one"
    try:
        manifest = json.loads((package / MANIFEST).read_text())
        built, modules = dict(manifest["sources"]), set(manifest["modules"])
    except (OSError, ValueError, KeyError, TypeError):
        return "stale", f"{MANIFEST} is missing or unreadable"
    now = fingerprint(package)
    changed = sorted(k for k in built.keys() | now.keys() if built.get(k) != now.get(k))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return "stale", f"sim/{changed[0]}{more} changed since the build was made"
    if modules != set(MODULES):
        return "stale", "the build compiled other modules than this version compiles"
    if len(extensions(package)) != len(MODULES) + 1:
        return "stale", "some of the build's files are missing"
    return "compiled", ""


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' ``.py`` files, ahead of their extensions."""

    def __init__(self, package: Path) -> None:
        self.package = package

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source(fullname, self.package))


_using = False  # whether guard() let this process use the compiled build


def guard() -> None:
    """Use the compiled build only when it is current and not turned off: otherwise load the sources.

    Called by ``sim/__init__.py``, before any compiled module can be imported.
    """
    global _using
    if not extensions():
        return
    kind, why = state()
    pure = os.environ.get(PURE, "") not in ("", "0")
    if kind == "compiled" and not pure:
        _using = True
        return
    if not pure:
        warnings.warn(f"caresim: the compiled build is not used: {why}; run caresim compile again", stacklevel=2)
    sys.meta_path.insert(0, _FromSource(PACKAGE))


def build_name() -> str:
    """``"mypyc"`` or ``"python"``: the build this process runs, for a run's metadata and the benchmarks."""
    return "mypyc" if _using else "python"


_SETUP = """
import sys
from mypyc.build import mypycify
from setuptools import setup
config, temp, *files = sys.argv[1:]
setup(
    name="caresim-compiled",
    ext_modules=mypycify(["--config-file", config, *files], opt_level="3", group_name={group!r}, target_dir=temp),
    script_args=["build_ext", "--inplace", "--build-temp", temp],
)
"""
_MYPY = "[mypy]\npython_version = {major}.{minor}\nignore_missing_imports = True\n"


def missing_tools() -> list[str]:
    """What the build needs that is not here: mypyc (``pip install mypy``), setuptools, a C compiler."""
    missing = [
        f"{name} ({how})"
        for name, how in (("mypyc", "pip install mypy"), ("setuptools", "pip install setuptools"))
        if importlib.util.find_spec(name) is None
    ]
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        missing.append(f"a C compiler ({compiler} is not on PATH)")
    return missing


def build(package: Path = PACKAGE, say: bool = True) -> list[Path]:
    """Compile :data:`MODULES` in place, write the manifest; the extension files made.  Raises :class:`BuildError`."""
    missing = missing_tools()
    if missing:
        raise BuildError("the compiled build needs " + ", ".join(missing) + "; pure Python works without it")
    remove(package)
    root = package.parent
    before = fingerprint(package)
    with tempfile.TemporaryDirectory(prefix="caresim-build-") as temp:
        config = Path(temp) / "mypy.ini"
        config.write_text(_MYPY.format(major=sys.version_info[0], minor=sys.version_info[1]))
        files = [source(m, package).relative_to(root).as_posix() for m in MODULES]
        done = subprocess.run(
            [sys.executable, "-c", _SETUP.format(group=GROUP), str(config), temp, *files],
            cwd=root,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        remove(package)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise BuildError(f"mypyc failed (pure Python is still used):\n{tail}")
    if fingerprint(package) != before:
        remove(package)
        raise BuildError("the sources changed while they were compiled: run caresim compile again")
    manifest = {"modules": list(MODULES), "sources": before, "python": sys.version.split()[0]}
    (package / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return extensions(package)


def remove(package: Path = PACKAGE) -> list[Path]:
    """Delete the compiled build (extensions and manifest); the files deleted."""
    gone = extensions(package)
    manifest = package / MANIFEST
    if manifest.exists():
        gone.append(manifest)
    for path in gone:
        path.unlink()
    return gone
