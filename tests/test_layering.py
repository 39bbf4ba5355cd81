"""The house rules, read from the package layout.

Every module belongs to one area: a public face (``sla.py``) and its private package (``_sla/``) are the area
``sla``; ``adapters/`` and ``testing/`` are one area each. The rules:

- the core areas import only core areas at or before their own place in :data:`CORE_ORDER`, the allowed third-party
  packages, and no I/O from the standard library; they never read the clock;
- a private module (any path component starting with ``_``) is imported only from within its own area, through a
  shared private face (:data:`SHARED_PRIVATE`), or by one of the deliberate imports listed in :data:`CROSS_AREA`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ticketcore"

CORE_ORDER = [
    "errors",
    "check",
    "time",
    "copy",
    "model",
    "calendar",
    "repositories",
    "lifecycle",
    "priority",
    "sla",
    "routing",
    "automation",
    "scheduling",
    "backlog",
]
"""The core areas in import order: an area may import only itself and the areas before it."""

FACES = {"plots": "dataframes", "frames": "dataframes", "__main__": "cli", "version": "package"}
"""Modules and private packages whose area is not named after them (``_frames/`` is the private part of
``dataframes``; ``plots`` draws its frames)."""

SHARED_PRIVATE = {
    "ticketcore._check",
    "ticketcore._copy",
    "ticketcore._time",
    "ticketcore._version",
    "ticketcore._calendar",
}
"""Private faces any area may import: the shape checks of configuration, the unchecked copy of a checked value, the
time helpers, the version, and the business-time package
(``BusinessCalendar`` and the calendar protocols; public through ``ticketcore.sla``). Their inner modules stay
private to their area."""

CROSS_AREA = {
    (
        "dataframes",
        "ticketcore._backlog.checks",
    ): "the DataFrame twin refuses bad arguments exactly as backlog does",
    ("dataframes", "ticketcore._backlog.periods"): "and cuts periods at the same instants",
    ("dataframes", "ticketcore._backlog.sla"): "and computes SLA achievement with the same arithmetic",
    ("dataframes", "ticketcore._backlog.values"): "and returns the same result values",
    # The SLA area's batch readers: the packed cycles are read there, and only there, without building reports.
    (
        "backlog",
        "ticketcore._sla.rows",
    ): "achievement counts the SLA cycles' outcomes with the SLA area's reader",
    ("dataframes", "ticketcore._sla.rows"): "the cycles frame takes its rows from the SLA area's reader",
    ("codec", "ticketcore._calendar.config"): "the calendar hooks parse weekly hours as the calendar does",
    # The asyncio desk moves only the I/O: every decision is the blocking desk's own code.
    ("aio", "ticketcore._desk"): "AsyncHelpDesk checks its arguments as HelpDesk does",
    ("aio", "ticketcore._desk.check"): "with the same checks",
    ("aio", "ticketcore._desk.decide"): "decides the plain commands with the same deciders",
    (
        "aio",
        "ticketcore._desk.face",
    ): "runs every command's step machine, the clock and the listeners of HelpDesk",
    ("aio", "ticketcore._desk.opening"): "checks an opening's arguments as HelpDesk does",
    ("aio", "ticketcore._desk.steps"): "awaits the steps the shared step machines yield",
}
"""Deliberate imports of another area's private module, with the reason for each."""

THIRD_PARTY_ALLOWED = {"attrs", "dateutil", "holidays"}
IO_MODULES = {
    "sqlite3",
    "socket",
    "urllib",
    "http",
    "subprocess",
    "asyncio",
    "io",
    "os",
    "shutil",
    "tempfile",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("ticketcore", *parts))


def area_of(module: str) -> str:
    """The area of a ``ticketcore`` module, read from its first component under the package."""
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    head = parts[1].removeprefix("_") if not parts[1].startswith("__") else parts[1]
    return FACES.get(head, head)


def is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def all_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(path), path) for path in SRC.rglob("*.py"))


def imports(path: Path) -> set[str]:
    """The ``ticketcore`` modules and top-level packages ``path`` imports (``from x import y`` counts ``x.y`` when
    ``y`` is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate.startswith("ticketcore") and _exists(candidate):
                    found.add(candidate)
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (SRC / relative).with_suffix(".py").exists() or (SRC / relative / "__init__.py").exists()


MODULES = all_modules()
CORE = [(name, path) for name, path in MODULES if area_of(name) in CORE_ORDER]


@pytest.mark.parametrize(("name", "path"), CORE, ids=[name for name, _ in CORE])
def test_core_imports_only_earlier_core_areas_and_allowed_packages(name: str, path: Path) -> None:
    rank = CORE_ORDER.index(area_of(name))
    for module in imports(path):
        top = module.split(".")[0]
        if top == "ticketcore":
            target = area_of(module)
            assert target in CORE_ORDER, f"{name} imports the edge {module}: the core never imports an edge"
            assert CORE_ORDER.index(target) <= rank, (
                f"{name} imports {module}, whose area comes after {name}'s"
            )
        elif top in sys.stdlib_module_names:
            assert top not in IO_MODULES, f"{name} does I/O through {top}: the core is pure"
        else:
            assert top in THIRD_PARTY_ALLOWED, (
                f"{name} imports {top}; the core may use only {THIRD_PARTY_ALLOWED}"
            )


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_private_modules_are_imported_only_within_their_area(name: str, path: Path) -> None:
    area = area_of(name)
    for module in imports(path):
        if not module.startswith("ticketcore.") or not is_private(module) or area_of(module) == area:
            continue
        if module in SHARED_PRIVATE or (area, module) in CROSS_AREA:
            continue
        pytest.fail(
            f"{name} (area {area!r}) imports {module}, private to the area {area_of(module)!r}: import its public "
            "face, or list the import with its reason in CROSS_AREA"
        )


def test_every_deliberate_cross_area_import_is_still_used() -> None:
    used = {
        (area_of(name), module)
        for name, path in MODULES
        for module in imports(path)
        if module.startswith("ticketcore.")
    }
    assert set(CROSS_AREA) <= used, f"stale CROSS_AREA entries: {sorted(set(CROSS_AREA) - used)}"


def test_the_top_level_holds_public_modules_and_one_private_package_per_area() -> None:
    private_files = sorted(p.name for p in SRC.glob("_*.py") if not p.name.startswith("__"))
    assert private_files == ["_check.py", "_copy.py", "_time.py", "_version.py"], (
        f"private modules outside an area package: {private_files}"
    )
    for package in SRC.glob("_*/"):
        if package.name == "__pycache__":
            continue
        assert (package / "__init__.py").exists(), f"{package.name} is not a package"
        face = SRC / f"{area_of(f'ticketcore.{package.name}')}.py"
        assert face.exists() or f"ticketcore.{package.name}" in SHARED_PRIVATE, (
            f"the private package {package.name} has no public face ({face.name}) and is not a shared private face"
        )


CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
}


@pytest.mark.parametrize(("name", "path"), CORE, ids=[name for name, _ in CORE])
def test_the_core_never_reads_the_clock(name: str, path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in CLOCK_CALLS:
                pytest.fail(
                    f"{name} reads the clock with {owner.id}.{node.func.attr}(); take `now` as an argument"
                )


def test_the_areas_are_known() -> None:
    areas = {area_of(name) for name, _ in MODULES}
    assert set(CORE_ORDER) - {"automation"} <= areas
    assert {"codec", "desk", "aio", "cli", "dataframes", "i18n", "adapters", "importers", "testing"} <= areas


def test_importing_the_package_loads_no_optional_or_heavy_dependency() -> None:
    """``import ticketcore`` stays light: ``holidays`` loads when a calendar first needs a country's holidays, and
    the edges' libraries (cattrs, babel, pandas, psycopg, sqlite3) when their edge is imported."""
    heavy = ("holidays", "cattrs", "babel", "pandas", "numpy", "psycopg", "sqlite3", "dask")
    code = f"import sys, ticketcore; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
