"""The code base stays ruff- and mypy-clean and keeps its import layering."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGE = ROOT / "src" / "tuneloop"


def test_ruff_is_clean():
    result = subprocess.run(
        [BIN / "ruff", "check", "src", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean():
    result = subprocess.run([BIN / "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# The layer table of ARCHITECTURE.md: a module imports only its own layer and the layers below
# (later rows). A module's layer is its longest matching prefix, so the workflow modules inside
# component packages (``train.run``) sit above their package. Every module must be placed.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entry points", ("cli", "serve", "__main__")),
    ("workflows", ("train.run", "evaluate.runner", "data.prepare", "loop", "migrate")),
    (
        "components",
        (
            "prompts",
            "data",
            "knowledge",
            "train",
            "evaluate",
            "postprocess",
            "gateway",
            "feedback",
            "monitor",
            "safety",
            # The built-ins register through the public hooks like any third-party package;
            # plugins.py loads them by name, never by an import statement.
            "default_plugins",
        ),
    ),
    (
        "foundations",
        (
            "",  # tuneloop/__init__.py: the version string
            "store",
            "registry",
            "models",
            "text",
            "config",
            "errors",
            "plugins",
            "hookspecs",
            "atomicfile",
            "yamlfile",
            "jsonlines",
        ),
    ),
)

# Known imports against the table, each to be fixed by moving a value type into the foundation
# (ARCHITECTURE.md: "a value type that both a foundation and a component need lives in the
# foundation"). Keys are (importing package, imported package).
KNOWN_LAYER_BREAKS: set[tuple[str, str]] = set()

# Import cycles between packages that another branch removes.
KNOWN_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True)
class Import:
    """One ``import`` of a tuneloop module: who, what, where."""

    source: str  # importing module, relative to tuneloop ("data.clean")
    target: str  # imported module ("safety.pii")
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports tuneloop.{self.target}"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(source: str, path: Path, modules: Collection[str]) -> list[Import]:
    """Every tuneloop import in the file, module-level and inside functions alike.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run, so they make no runtime
    dependency or cycle (hookspecs.py names component types in its annotations that way).
    ``from tuneloop.a import b`` counts as importing ``a.b`` when that is a module. Imports of the
    module's own enclosing packages are left out: Python runs those ``__init__`` files first for
    any import inside the package anyway.
    """
    found: list[Import] = []

    def add(name: str, line: int) -> None:
        target = name.removeprefix("tuneloop.")
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in modules and not (source + ".").startswith(target + "." if target else ""):
            found.append(Import(source, target, line))

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("tuneloop."):
                        add(alias.name, child.lineno)
            elif (
                isinstance(child, ast.ImportFrom)
                and child.level == 0
                and (child.module or "").split(".")[0] == "tuneloop"
            ):
                for alias in child.names:
                    add(f"{child.module}.{alias.name}", child.lineno)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


@functools.cache
def _import_graph() -> tuple[Import, ...]:
    modules = _modules()
    return tuple(
        imp for name, path in modules.items() for imp in _runtime_imports(name, path, modules)
    )


def _layer(module: str) -> int:
    """The index in LAYERS of the longest prefix naming ``module`` (KeyError: none does)."""
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix and module.startswith(prefix + "."))
    ]
    if not matches:
        raise KeyError(module)
    return max(matches)[1]


def _package(module: str) -> str:
    return module.split(".")[0]


def test_every_module_has_a_place_in_the_layer_table():
    unplaced = []
    for module in _modules():
        try:
            _layer(module)
        except KeyError:
            unplaced.append(module)
    assert not unplaced, f"add these to LAYERS (ARCHITECTURE.md): {unplaced}"


def test_imports_point_down_the_layer_table():
    offenders = [
        f"{imp} ({LAYERS[_layer(imp.source)][0]} → {LAYERS[_layer(imp.target)][0]})"
        for imp in _import_graph()
        if _layer(imp.target) < _layer(imp.source)
        and (_package(imp.source), _package(imp.target)) not in KNOWN_LAYER_BREAKS
    ]
    assert not offenders, "\n".join(offenders)


def test_the_known_layer_breaks_still_exist():
    """An exemption that is no longer needed is removed, so it cannot hide a new break."""
    seen = {(_package(i.source), _package(i.target)) for i in _import_graph()}
    assert seen >= KNOWN_LAYER_BREAKS


def _cycles(edges: Collection[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _explain(cycle: list[str], imports: Collection[Import], unit: Callable[[str], str]) -> str:
    members = set(cycle)
    lines = [str(i) for i in imports if unit(i.source) in members and unit(i.target) in members]
    return f"cycle {' ↔ '.join(cycle)}:\n  " + "\n  ".join(sorted(set(lines)))


def test_no_import_cycles_between_packages():
    imports = [
        i
        for i in _import_graph()
        if _package(i.source) != _package(i.target)
        and frozenset({_package(i.source), _package(i.target)}) not in KNOWN_CYCLES
    ]
    cycles = _cycles([(_package(i.source), _package(i.target)) for i in imports])
    assert not cycles, "\n".join(_explain(c, imports, _package) for c in cycles)


def test_no_import_cycles_between_modules():
    imports = [
        i
        for i in _import_graph()
        if frozenset({_package(i.source), _package(i.target)}) not in KNOWN_CYCLES
    ]
    cycles = _cycles([(i.source, i.target) for i in imports])
    assert not cycles, "\n".join(_explain(c, imports, lambda m: m) for c in cycles)


def test_the_import_graph_sees_function_level_imports():
    """The checks above would be blind without this: ``data.clean`` imports lazily."""
    targets = {i.target for i in _import_graph() if i.source == "cli.data.clean"}
    assert "data.clean" in targets


def test_errors_module_exports_every_error_class():
    import tuneloop.errors as errors

    classes = {
        n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)
    }
    assert classes == set(errors.__all__)
    assert all(issubclass(getattr(errors, n), errors.TuneloopError) for n in errors.__all__)


def test_type_checking_imports_are_exempt_and_function_imports_count(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from tuneloop import errors\n"
        "if TYPE_CHECKING:\n"
        "    from tuneloop.cli import main\n"
        "def f():\n"
        "    import tuneloop.serve.app\n",
        encoding="utf-8",
    )
    modules = {"errors", "cli", "cli.main", "serve", "serve.app", "store"}
    found = {(i.target, i.line) for i in _runtime_imports("store", path, modules)}
    assert found == {("errors", 2), ("serve.app", 6)}
