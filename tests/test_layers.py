"""The dependency direction: adapters → services → storage/core; core imports no other layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jjjcredit"
FORBIDDEN = {
    "core": {"jjjcredit.storage", "jjjcredit.services", "jjjcredit.cli", "jjjcredit.web"},
    "storage": {"jjjcredit.services", "jjjcredit.cli", "jjjcredit.web"},
    "services": {"jjjcredit.cli", "jjjcredit.web"},
    "cli": {"jjjcredit.storage", "jjjcredit.web"},
    "web": {"jjjcredit.storage", "jjjcredit.cli"},
}
FRAMEWORKS = {"fastapi", "typer", "rich", "sqlalchemy", "starlette", "click"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layers_import_only_downwards():
    problems = []
    for layer, forbidden in FORBIDDEN.items():
        for path in (PACKAGE / layer).rglob("*.py") if (PACKAGE / layer).exists() else []:
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, problems


def test_the_core_imports_no_framework():
    for path in (PACKAGE / "core").rglob("*.py"):
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & FRAMEWORKS, (path, roots & FRAMEWORKS)
