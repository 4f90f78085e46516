"""The package's architecture: layers (``sim/layers.py``), no import cycles, no private names across modules.

Every import in ``sim/`` is read from the source, those inside functions included; only imports
under ``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

from sim.layers import LAYERS, layer_of
from sim.provenance import ABOVE_THE_RUNS

SIM = Path(__file__).resolve().parents[1] / "sim"


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py")) if p.name != "__main__.py"}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Import nodes, skipping the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            yield from (n for child in node.orelse for n in _imports_in(child))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _imports(node)


def edges(module: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported sim module, imported name or '', line) for every import of ``module``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names if a.name.split(".")[0] == "sim"]
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != "sim":
            continue
        for alias in node.names:
            sub = f"{source}.{alias.name}"
            out.append((sub, "", node.lineno) if sub in MODULES else (source, alias.name, node.lineno))
    return out


ALL_EDGES = {m: edges(m, p) for m, p in MODULES.items()}
LAZY_EXPORTS = {
    ("sim", "sim.api"): "sim/__init__.py re-exports the Python API on first use (a module __getattr__), so that "
    "'from sim import run' works while 'import sim' stays as light as its version; the import runs only when an "
    "API name is asked for, when no layer is still loading",
}
"""The one import from a lower layer to a higher one, with its reason; it is left out of the layer and cycle checks."""


def declared(module: str, target: str) -> bool:
    return (module, target) in LAZY_EXPORTS


def test_every_module_has_a_layer():
    missing = []
    for m in MODULES:
        try:
            layer_of(m)
        except KeyError:
            missing.append(m)
    assert not missing, f"modules in no layer of sim/layers.py: {missing}"


def test_no_import_from_a_higher_layer():
    bad = [
        f"{m} (layer {LAYERS[layer_of(m)][0]}) line {line} imports {target} (layer {LAYERS[layer_of(target)][0]})"
        for m, es in ALL_EDGES.items()
        for target, _, line in es
        if layer_of(target) > layer_of(m) and not declared(m, target)
    ]
    assert not bad, "\n".join(bad)


def test_the_code_that_keys_runs_is_every_layer_up_to_the_one_that_runs_them():
    """Results stores key runs by the code of the layers a task runs in (sim.provenance.ABOVE_THE_RUNS leaves
    out the rest): the layers above sim.experiments.tasks, which no layer below imports (the test above)."""
    above = [prefix for prefix, _ in LAYERS[layer_of("sim.experiments.tasks") + 1 :]]
    assert ABOVE_THE_RUNS == tuple(prefix.replace(".", "/") for prefix in above)
    assert all((SIM.parent / path).is_dir() for path in ABOVE_THE_RUNS)


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in es if t != m and t in MODULES and not declared(m, t)} for m, es in ALL_EDGES.items()}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_no_private_name_crosses_modules():
    bad = [
        f"{m} line {line} imports {name} from {target}"
        for m, es in ALL_EDGES.items()
        for target, name, line in es
        if name.startswith("_") and not name.startswith("__") and target != m
    ]
    assert not bad, "\n".join(bad)


def test_no_private_attribute_of_another_module():
    """``module._name`` on a module imported from sim is a private name crossing too."""
    bad = []
    for m, path in MODULES.items():
        tree = ast.parse(path.read_text())
        bound = {}
        for node in _imports(tree):
            for alias in node.names:
                target = (
                    f"{node.module}.{alias.name}" if isinstance(node, ast.ImportFrom) and node.module else alias.name
                )
                if target in MODULES:
                    bound[alias.asname or alias.name.split(".")[-1]] = target
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{m} line {node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_the_checks_can_fail(tmp_path):
    """The walker sees imports inside functions and skips those under TYPE_CHECKING."""
    src = tmp_path / "x.py"
    src.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.cli.main import main\n"
        "def f():\n    from sim.core.model import Model\n    from sim.analysis.stats import _hidden\n"
    )
    found = [
        (t, n)
        for node in _imports(ast.parse(src.read_text()))
        for t, n in [(getattr(node, "module", ""), a.name) for a in node.names]
    ]
    assert ("sim.core.model", "Model") in found and ("sim.analysis.stats", "_hidden") in found
    assert ("sim.cli.main", "main") not in found
    assert layer_of("sim.cli.main") > layer_of("sim.core.model")
