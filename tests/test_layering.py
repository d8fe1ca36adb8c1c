"""Each room imports only the rooms DESIGN.md allows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("core", "sources", "extractors", "alerts", "storage", "app", "flows", "data")
ALLOWED = {
    "core": {"core"},
    "extractors": {"core", "extractors"},
    "sources": {"core", "sources"},
    "storage": {"core", "storage"},
    "alerts": {"core", "alerts"},
    # the path without Prefect: everything below it, never the flows above it
    "app": {"core", "sources", "extractors", "alerts", "storage", "app"},
    "flows": set(ROOMS),
    "data": {"data"},
}
PREFECT_ROOMS = {"flows"}  # the only room that may import Prefect (and typer: the command line lives there)
TERMINAL = {"typer", "rich", "click"}  # what a command line uses to talk to people


def _imports(path: Path) -> set[str]:
    """Top-level module names a file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files() -> list[Path]:
    return [p for room in ROOMS for p in sorted((ROOT / room).rglob("*.py"))]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_room_imports_only_what_it_may(path: Path) -> None:
    room = path.relative_to(ROOT).parts[0]
    imported = _imports(path)
    ours = imported & set(ROOMS)
    assert ours <= ALLOWED[room], f"{room}/ may not import {sorted(ours - ALLOWED[room])}"
    if room not in PREFECT_ROOMS:
        assert "prefect" not in imported and "prefect_dask" not in imported, f"{room}/ may not import prefect"
        assert not imported & TERMINAL, f"{room}/ may not import {sorted(imported & TERMINAL)}"
    if room != "storage":
        assert not imported & {"sqlalchemy", "alembic"}, f"{room}/ may not use SQL; storage/ holds it"
