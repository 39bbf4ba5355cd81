"""Locale parsing with fallback, and the compiled gettext catalogs of ``ticketcore/locale``, cached per locale.

Private to :mod:`ticketcore.i18n`. Nothing here touches the process-wide ``gettext`` domain: each locale's catalogs
are read from the package with :class:`gettext.GNUTranslations` and chained by babel's parent rules, then English.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Mapping
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.core import get_global

__all__ = ["DOMAIN", "SHIPPED_LOCALES", "available_locales", "chain", "parse_locale", "translations_for"]

DOMAIN = "ticketcore"
"""The gettext domain: catalogs are ``locale/<tag>/LC_MESSAGES/ticketcore.mo`` inside the package."""

SHIPPED_LOCALES: tuple[str, ...] = ("en", "it", "hr", "de", "fr", "es", "pt")
"""The locales whose catalogs ship with ticketcore."""

_ENGLISH = Locale("en")
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, UnknownLocaleError)


def _tag_text(raw: str) -> str:
    # POSIX forms ("it_IT.UTF-8@euro") carry an encoding and a modifier that babel does not parse.
    return raw.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")


@functools.lru_cache(maxsize=256)
def _parse_text(raw: str) -> Locale:
    text = _tag_text(raw)
    candidates = [text]
    if "_" in text:
        candidates.append(text.split("_", 1)[0])
    for candidate in candidates:
        if not candidate or not candidate.isascii():
            continue
        try:
            parsed = Locale.parse(candidate)
        except _PARSE_ERRORS:
            continue
        if parsed.language not in ("root", "und"):
            return parsed
    return _ENGLISH


def parse_locale(locale: str | Locale) -> Locale:
    """``locale`` as a babel :class:`~babel.Locale`; a tag babel cannot read is English, never an error."""
    if isinstance(locale, Locale):
        return locale
    if not isinstance(locale, str):
        raise TypeError(f"locale must be a tag such as 'hr' or 'it_CH', or a babel Locale; got {locale!r}")
    return _parse_text(locale)


@functools.lru_cache(maxsize=256)
def _chain_of(tag: str) -> tuple[str, ...]:
    parents: Mapping[str, str] = get_global("parent_exceptions")
    tags: list[str] = []
    current: str | None = tag
    while current and current != "root" and current not in tags:
        tags.append(current)
        if current in parents:
            current = parents[current]
        elif "_" in current:
            current = current.rsplit("_", 1)[0]
        else:
            current = None
    if "en" not in tags:
        tags.append("en")
    return tuple(tags)


def chain(locale: Locale) -> tuple[str, ...]:
    """The tags to look a message up under, most specific first, ending in English: ``('it_CH', 'it', 'en')``."""
    return _chain_of(str(locale))


def _catalog_file(tag: str) -> resources.abc.Traversable:
    return resources.files("ticketcore") / "locale" / tag / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _read(tag: str) -> gettext.GNUTranslations | None:
    path = _catalog_file(tag)
    if not path.is_file():
        return None
    return gettext.GNUTranslations(io.BytesIO(path.read_bytes()))


@functools.lru_cache(maxsize=64)
def translations_for(tags: tuple[str, ...]) -> gettext.NullTranslations:
    """The catalogs for ``tags`` chained in order (missing ones skipped), falling back to the English source text.

    Cached per chain; ``functools.lru_cache`` is thread-safe and the catalogs are never mutated after loading.
    """
    result: gettext.NullTranslations = gettext.NullTranslations()
    found = [catalog for catalog in map(_read, tags) if catalog is not None]
    if found:
        result = found[0]
        for catalog in found[1:]:
            result.add_fallback(catalog)
    return result


def available_locales() -> frozenset[str]:
    """The locales whose compiled catalogs are installed (normally every one of :data:`SHIPPED_LOCALES`).

    Catalogs are compiled from ``.po`` to ``.mo`` when the package is built (also by ``pip install -e .``); a
    source tree that was never built has none, and labels then read in English.
    """
    root = resources.files("ticketcore") / "locale"
    if not root.is_dir():
        return frozenset()
    return frozenset(entry.name for entry in root.iterdir() if _catalog_file(entry.name).is_file())
