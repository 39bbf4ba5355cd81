"""Hatchling build hook: compile the gettext catalogs (``.po`` → ``.mo``) with babel before every wheel build.

Runs for regular and editable wheels alike (``pip install .``, ``pip install -e .``, ``python -m build``), writing
each ``src/ticketcore/locale/<lang>/LC_MESSAGES/ticketcore.mo`` next to its ``.po``. The ``.mo`` files are
git-ignored build products; ``[tool.hatch.build.targets.wheel] artifacts`` ships them in the wheel anyway.

A catalog with fuzzy or untranslated entries, or whose entries fail babel's checks, stops the build: a wheel that
silently shows English to Croatian readers is worse than no wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE_DIR = Path("src") / "ticketcore" / "locale"
DOMAIN = "ticketcore"


def compile_catalogs(root: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/ticketcore.po`` under ``root / LOCALE_DIR``; return the ``.mo`` paths."""
    written = []
    for po_path in sorted((root / LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parent.parent.name, domain=DOMAIN)
        problems = [
            f"{po_path}: {message.context or ''}|{message.id!r}: {problem}"
            for message, errors in catalog.check()
            for problem in errors
        ]
        problems += [
            f"{po_path}: {message.context or ''}|{message.id!r} is fuzzy or untranslated"
            for message in catalog
            if message.id and (message.fuzzy or not message.string)
        ]
        if problems:
            raise RuntimeError("cannot compile the message catalogs:\n" + "\n".join(problems))
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo_path)
    if not written:
        raise RuntimeError(
            f"no catalogs found under {root / LOCALE_DIR}; the wheel would ship without translations"
        )
    return written


class CatalogBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compile the catalogs for the ``wheel`` target (standard and editable builds)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the ``.mo`` files before hatchling collects the wheel's files."""
        if self.target_name != "wheel":
            return
        compile_catalogs(Path(self.root))
