"""The core never imports the edges, and core modules import only modules before them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ticketcore"

CORE_ORDER = [
    "errors",
    "_time",
    "model",
    "_calendar",
    "repositories",
    "lifecycle",
    "priority",
    "sla",
    "routing",
    "backlog",
]
"""The import order of the core: a module may import only modules before it (and their private helpers)."""

THIRD_PARTY_ALLOWED = {"attrs", "dateutil", "holidays"}


def core_modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.glob("*.py")):
        name = path.stem
        base = _base_of(name)
        if base in CORE_ORDER:
            found.append((name, path))
    return found


def _base_of(name: str) -> str:
    """Private helpers such as ``_sla_clock`` belong to their public module (``sla``)."""
    if name in CORE_ORDER:
        return name
    for candidate in CORE_ORDER:
        if name.startswith(f"_{candidate.lstrip('_')}_"):
            return candidate
    return name


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "ticketcore":
                names.update(f"ticketcore.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(("name", "path"), core_modules(), ids=[n for n, _ in core_modules()])
def test_core_module_imports_only_earlier_core_and_allowed_packages(name: str, path: Path) -> None:
    rank = CORE_ORDER.index(_base_of(name))
    for module in imported_modules(path):
        top = module.split(".")[0]
        if top == "ticketcore":
            parts = module.split(".")
            assert len(parts) == 2, f"{name} imports {module}: the core imports flat core modules only"
            target = _base_of(parts[1])
            assert target in CORE_ORDER, f"{name} imports the edge module {module}"
            assert CORE_ORDER.index(target) <= rank, f"{name} imports {module}, which comes after it"
        elif top in sys.stdlib_module_names:
            assert top not in {"sqlite3", "socket", "urllib", "http", "subprocess"}, (
                f"{name} does I/O via {top}"
            )
        else:
            assert top in THIRD_PARTY_ALLOWED, (
                f"{name} imports {top}; the core may use only {THIRD_PARTY_ALLOWED}"
            )


CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}


def test_core_never_reads_the_clock() -> None:
    for name, path in core_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in CLOCK_CALLS:
                    pytest.fail(
                        f"{name} reads the clock with {owner.id}.{node.func.attr}(); take `now` as an argument"
                    )


def test_every_core_module_is_known() -> None:
    assert {n for n, _ in core_modules()} >= {"errors", "model"}
