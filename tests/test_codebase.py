"""The code base stays ruff- and mypy-clean and keeps its import layering."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGE = ROOT / "src" / "tuneloop"

# Lower layers never import higher ones (ARCHITECTURE.md, entry points → components → foundations).
FOUNDATIONS = ("errors", "config", "atomicfile", "store", "models", "hookspecs", "plugins")
ENTRY_POINTS = ("cli", "serve")


def test_ruff_is_clean():
    result = subprocess.run(
        [BIN / "ruff", "check", "src", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean():
    result = subprocess.run([BIN / "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tuneloop."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("tuneloop.")}
    return found


def test_foundations_never_import_entry_points():
    offenders = []
    for name in FOUNDATIONS:
        target = PACKAGE / name
        files = list(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
        for file in files:
            bad = _imports(file) & set(ENTRY_POINTS)
            if bad:
                offenders.append(f"{file.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_errors_module_exports_every_error_class():
    import tuneloop.errors as errors

    classes = {
        n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)
    }
    assert classes == set(errors.__all__)
    assert all(issubclass(getattr(errors, n), errors.TuneloopError) for n in errors.__all__)
