"""What may import what: views render models and never reach into the services or the store;
the repositories need nothing from the connection manager at run time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runtime_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs (not those under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_views_render_models_only() -> None:
    renderers = [*(ROOT / "bot" / "views").glob("*.py"), ROOT / "bot" / "charts.py"]
    renderers.append(ROOT / "bot" / "export.py")
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in renderers
        for module in runtime_imports(path)
        if module.startswith(("bot.services", "storage", "handlers"))
    }
    assert offenders == set()


def test_models_stand_on_their_own() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "bot" / "models").glob("*.py")
        for module in runtime_imports(path)
        if module.startswith(("bot.services", "bot.views", "storage", "handlers"))
    }
    assert offenders == set()


def test_repositories_do_not_import_the_connection_manager() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "storage" / "repos").glob("*.py")
        for module in runtime_imports(path)
        if module == "storage.db"
    }
    assert offenders == set()
