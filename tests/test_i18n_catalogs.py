"""The shipped message catalogs: complete in every language, in sync with the source, compiled and loadable.

These tests fail (never skip) when a catalog misses a message, keeps a fuzzy entry, or was not compiled to ``.mo``
by the build hook (``hatch_build.py`` runs on ``pip install .`` and ``pip install -e .``).
"""

from __future__ import annotations

import gettext
import io
import re
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import ticketcore
from ticketcore import i18n
from ticketcore._i18n.messages import MESSAGES, PHRASES

LOCALE_DIR = Path(ticketcore.__file__).parent / "locale"
LANGUAGES = ("en", "it", "hr", "de", "fr", "es", "pt")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _entries(catalog: Catalog) -> dict[tuple[str | None, str], str]:
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id}


TEMPLATE = _entries(_read(LOCALE_DIR / "ticketcore.pot"))


def test_shipped_locales_are_the_seven_languages() -> None:
    assert set(i18n.SHIPPED_LOCALES) == set(LANGUAGES)


def test_template_matches_the_source() -> None:
    """``pybabel extract -k N_:1c,2`` over the source gives exactly the template's messages."""
    source = Path(ticketcore.__file__).parent / "_i18n" / "messages.py"
    extracted = {
        (context, message)
        for _line, message, _comments, context in extract_from_file(
            "python", str(source), keywords={"N_": ((1, "c"), 2)}
        )
    }
    assert extracted == set(TEMPLATE)
    in_code = {(kind, text) for kind, names in MESSAGES.items() for text in names.values()}
    in_code |= {("deadline", text) for text in PHRASES.values()}
    assert in_code == set(TEMPLATE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete(language: str) -> None:
    catalog = _read(LOCALE_DIR / language / "LC_MESSAGES" / "ticketcore.po", language)
    assert str(catalog.locale) == language
    entries = _entries(catalog)
    assert set(entries) == set(TEMPLATE), "run pybabel update (docs/how-to/translations.md)"
    untranslated = sorted(key for key, text in entries.items() if not text.strip())
    assert untranslated == []
    fuzzy = sorted((m.context, m.id) for m in catalog if m.id and m.fuzzy)
    assert fuzzy == []
    assert not catalog.obsolete
    for (context, msgid), text in entries.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), (context, msgid, text)
        assert text == text.strip(), (context, msgid, text)
    if language == "en":
        assert all(text == msgid for (_context, msgid), text in entries.items())


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_present_and_loadable(language: str) -> None:
    """The ``.mo`` is installed inside the package and says what the ``.po`` says, message for message."""
    compiled = resources.files("ticketcore") / "locale" / language / "LC_MESSAGES" / "ticketcore.mo"
    assert compiled.is_file(), (
        f"{language}: compiled catalog missing; reinstall the package (pip install -e .) so hatch_build.py compiles it"
    )
    translations = gettext.GNUTranslations(io.BytesIO(compiled.read_bytes()))
    entries = _entries(_read(LOCALE_DIR / language / "LC_MESSAGES" / "ticketcore.po", language))
    for (context, msgid), text in entries.items():
        assert context is not None
        assert translations.pgettext(context, msgid) == text


def test_every_shipped_locale_is_available() -> None:
    assert i18n.available_locales() == frozenset(LANGUAGES)
