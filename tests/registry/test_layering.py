"""The registry builds on the store, never the other way round (no store ↔ registry cycle), and
there is one place that parses ``name@v:split`` references."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tuneloop"


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_store_imports_nothing_of_the_registry_not_even_for_type_checking():
    offenders = [
        f"{file.relative_to(PACKAGE)} imports {module}"
        for file in (PACKAGE / "store").rglob("*.py")
        for module in _imported_modules(file)
        if module == "tuneloop.registry" or module.startswith("tuneloop.registry.")
    ]
    assert not offenders, "\n".join(offenders)


def test_only_the_registry_splits_a_data_reference_at_its_colon():
    # The four hand-written parsers this replaced each split on ':' themselves.
    pattern = re.compile(r"""\.r?partition\(\s*["']:["']\s*\)""")
    offenders = [
        str(file.relative_to(PACKAGE))
        for file in PACKAGE.rglob("*.py")
        if file.parent.name != "registry"
        and pattern.search(file.read_text(encoding="utf-8"))
        and "ref" in file.read_text(encoding="utf-8")
    ]
    allowed = {"models/catalog.py", "models/identity.py", "cli/schema.py"}
    # `backend:target`, `module:attr`, `sha256:digest`
    assert set(offenders) <= allowed, offenders
